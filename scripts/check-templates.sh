#!/usr/bin/env bash
# template.yaml: cfn-lint on the SAM template, then on its expansion to plain CloudFormation
# (which also catches wrong values such as a bad schedule expression); railway-cron.toml parses.
set -euo pipefail
cd "$(dirname "$0")/.."
cfn-lint template.yaml
expanded="$(mktemp --suffix=.json)"
trap 'rm -f "$expanded"' EXIT
python3 scripts/expand_sam.py template.yaml > "$expanded"
cfn-lint "$expanded"
python3 -c 'import sys, tomllib; c = tomllib.load(open("railway-cron.toml", "rb")); assert c["deploy"]["restartPolicyType"] == "NEVER", "cron jobs must not restart"'
