#!/usr/bin/env bash
# The dashboard's checks (functions/read-api/dashboard), a separate step of scripts/test.sh:
# npm ci, unit tests (vitest), type check and production build, the committed API types equal a
# fresh generation from `read-api --openapi`, then every page end to end in Debian's Chromium
# against `read-api --serve` on a seeded PostgreSQL (screenshots: the folder it prints).
# Needs: Node 20+ with npm, /usr/bin/chromium (.ci/run installs both), cargo, PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
dash=functions/read-api/dashboard
started=$(date +%s)

command -v node >/dev/null || { echo "test-dashboard: node not found (Node 20+ needed)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || {
  echo "test-dashboard: ${CHROMIUM:-/usr/bin/chromium} not found: apt-get install chromium fonts-liberation" >&2
  exit 1
}

echo "== dashboard: npm ci"
(cd "$dash" && npm ci --no-audit --no-fund --loglevel=error)
echo "== dashboard: unit tests"
(cd "$dash" && npx vitest run)
echo "== dashboard: type check and build"
(cd "$dash" && npm run --silent build)

echo "== dashboard: API types match read-api --openapi"
cargo build -p read-api --locked --quiet
target="${CARGO_TARGET_DIR:-target}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$target/debug/read-api" --openapi >"$scratch/openapi.json"
(cd "$dash" && npx openapi-typescript "$scratch/openapi.json" -o "$scratch/schema.d.ts" >/dev/null)
if ! diff -u "$dash/src/api/schema.d.ts" "$scratch/schema.d.ts"; then
  echo "test-dashboard: src/api/schema.d.ts is stale: run 'npm run gen:api' in $dash" >&2
  exit 1
fi

echo "== dashboard: end to end in Chromium"
cargo test -p read-api --locked --test dashboard -- --ignored --nocapture

echo "dashboard checks passed in $(($(date +%s) - started)) s"
