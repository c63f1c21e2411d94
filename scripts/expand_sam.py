"""Expands a SAM template into plain CloudFormation with samtranslator, offline."""
import json
import os
import sys

# samtranslator asks boto for a region even offline; any region expands the same template.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: F401  (samtranslator's managed-policy loader imports it)
from samtranslator.translator.transform import transform
from samtranslator.public.translator import ManagedPolicyLoader
from samtranslator.yaml_helper import yaml_parse


class OfflinePolicies(ManagedPolicyLoader):
    """Resolves the managed policies the template names without calling IAM."""

    def __init__(self):
        pass

    def load(self):
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSLambdaVPCAccessExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        }


with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
# `sam package` replaces local code paths with the uploaded artifact; do the same here.
template.get("Globals", {}).get("Function", {})["CodeUri"] = "s3://artifacts/precog.zip"
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in resource.get("Properties", {}):
        resource["Properties"]["CodeUri"] = "s3://artifacts/precog.zip"
params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
print(json.dumps(transform(template, params, OfflinePolicies()), indent=1, default=str))
