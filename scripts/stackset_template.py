"""Generate the plain CloudFormation template a service-managed StackSet accepts.

StackSets with service-managed permissions refuse templates with macros, the SAM transform
included, so deploy/janitor.yaml (SAM, the one source) is expanded here into
deploy/janitor-stackset.json. The Lambda code comes from one bucket per region, named
``<CodeBucketPrefix>-<region>`` (a Lambda's S3 code must be in its own region).

    python scripts/stackset_template.py          # write deploy/janitor-stackset.json
    python scripts/stackset_template.py --check  # exit 1 when the file is stale
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAM = ROOT / "deploy" / "janitor.yaml"
PLAIN = ROOT / "deploy" / "janitor-stackset.json"

_BASIC_EXECUTION = "service-role/AWSLambdaBasicExecutionRole"
_SHORT = {"Ref": "Ref", "Condition": "Condition"}


class _Loader(yaml.SafeLoader):
    """YAML loader turning CloudFormation short tags into their long form."""


def _construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    key = _SHORT.get(suffix, f"Fn::{suffix}")
    return {key: value}


_Loader.add_multi_constructor("!", _construct)


def load_sam(path: Path = SAM) -> dict[str, Any]:
    """The SAM template as plain data (short tags expanded)."""
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def _role(policies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + _BASIC_EXECUTION}
            ],
            "Policies": [
                {"PolicyName": f"policy{i}", "PolicyDocument": doc}
                for i, doc in enumerate(policies)
            ],
            "Tags": [{"Key": "app", "Value": "jupyterlab-smcost-janitor"}],
        },
    }


def to_plain(sam: dict[str, Any]) -> dict[str, Any]:
    """Expand the SAM functions into Lambda functions, roles, rules and permissions."""
    sam = copy.deepcopy(sam)
    globals_ = sam.pop("Globals", {}).get("Function", {})
    sam.pop("Transform", None)
    params = sam.setdefault("Parameters", {})
    params["CodeBucketPrefix"] = {
        "Type": "String",
        "Description": "Code bucket name less the region: the code is read from <this>-<region>.",
    }
    params["CodeKey"] = {
        "Type": "String",
        "Default": "jupyterlab-smcost-janitor.zip",
        "Description": "Key of the package zip in each region's code bucket.",
    }
    resources: dict[str, Any] = {}
    for name, res in sam["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            resources[name] = res
            continue
        props = {**globals_, **res["Properties"]}
        events = props.pop("Events", {})
        policies = props.pop("Policies", [])
        props.pop("CodeUri", None)
        tags = props.pop("Tags", {})
        role = f"{name}Role"
        resources[role] = _role(policies)
        fn = {
            **props,
            "Code": {
                "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
                "S3Key": {"Ref": "CodeKey"},
            },
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        resources[name] = {"Type": "AWS::Lambda::Function", "Properties": fn}
        for event, spec in events.items():
            if spec.get("Type") != "Schedule":
                raise ValueError(f"{name}.{event}: only Schedule events are expanded")
            ep = spec["Properties"]
            rule = f"{name}{event}"
            resources[rule] = {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": ep["Schedule"],
                    "Description": ep.get("Description", ""),
                    "State": "ENABLED",
                    "Targets": [{"Arn": {"Fn::GetAtt": [name, "Arn"]}, "Id": name}],
                },
            }
            resources[f"{rule}Permission"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": name},
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
                },
            }
    sam["Resources"] = resources
    return sam


def render() -> str:
    """The plain template's text, as written to deploy/janitor-stackset.json."""
    return json.dumps(to_plain(load_sam()), indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not PLAIN.exists() or PLAIN.read_text() != text:
            print(f"{PLAIN} is stale: run python scripts/stackset_template.py", file=sys.stderr)
            return 1
        return 0
    PLAIN.write_text(text)
    print(f"wrote {PLAIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
