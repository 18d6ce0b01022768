"""The organisation deployment of the janitor (``jupyter smcost deploy ...``): the package's
Lambda zip in one bucket per region, a service-managed StackSet of
``deploy/janitor-stackset.json`` on organisational units, and its teardown.

The code bucket of a region is ``<prefix>-<region>``: the template builds the same name with
``!Sub "${CodeBucketPrefix}-${AWS::Region}"`` (a Lambda's S3 code must be in its region).
Service-managed permissions reach every account of the OUs and, with automatic deployment,
the accounts that join them later; they refuse templates with macros (the SAM transform), so
the plain generated template is the one deployed.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from botocore.exceptions import ClientError

from .errors import CommandError, aws_errors, error_code
from .partitions import partition_of

PACKAGE = Path(__file__).resolve().parent.parent  # jupyterlab_smcost/
DEFAULT_KEY = "jupyterlab-smcost-janitor.zip"
CAPABILITIES = ["CAPABILITY_IAM"]
TEMPLATE_BODY_MAX = 51200  # bytes CloudFormation takes inline; above it, a TemplateURL
#: the code bucket policy's statement letting the organisation read the zip
ORG_READ_SID = "OrganisationReadsJanitorCode"
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
#: the Lambda zip leaves out what only the server and browser use
_LEFT_OUT = ("labextension", "__pycache__")


def bucket_name(prefix: str, region: str) -> str:
    """What the template's ``${CodeBucketPrefix}-${AWS::Region}`` names."""
    return f"{prefix}-{region}"


def package_zip(root: Path = PACKAGE) -> bytes:
    """The package as a Lambda zip (``jupyterlab_smcost/...`` at the top; boto3 is in the
    Lambda runtime). Entries are sorted with a fixed date: the same tree gives the same zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root.parent)
            if path.is_dir() or any(p in _LEFT_OUT for p in rel.parts) or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(str(rel), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def org_read_statement(bucket: str, key: str, org_id: str, region: str) -> dict[str, Any]:
    """Any principal of the organisation may read the zip, nobody else (a policy limited by
    ``aws:PrincipalOrgID`` is not public to S3's Block Public Access)."""
    return {
        "Sid": ORG_READ_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:{partition_of(region)}:s3:::{bucket}/{key}",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
    }


def allow_organisation(s3: Any, bucket: str, key: str, org_id: str, region: str) -> None:
    """Put :func:`org_read_statement` in the bucket's policy, keeping its other statements
    (ours, from an earlier run, is replaced)."""
    with aws_errors(f"read the policy of the code bucket {bucket}"):
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError as e:
            if error_code(e) != "NoSuchBucketPolicy":
                raise
            policy = {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    policy["Statement"] = [st for st in statements if st.get("Sid") != ORG_READ_SID] + [
        org_read_statement(bucket, key, org_id, region)
    ]
    with aws_errors(f"let organisation {org_id} read s3://{bucket}/{key}"):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def publish(
    s3_for: Callable[[str], Any],
    prefix: str,
    regions: list[str],
    body: bytes,
    key: str,
    org_id: Optional[str] = None,
) -> dict[str, str]:
    """Put the zip in each region's bucket (created when missing), with ``org_id``: the
    bucket policy letting the organisation read it; region -> 's3://...'."""
    if org_id is not None and not ORG_ID.match(org_id):
        raise CommandError("bad_org_id", f"{org_id!r} is not an AWS Organizations id (o-...)")
    out = {}
    for region in regions:
        s3 = s3_for(region)
        bucket = bucket_name(prefix, region)
        with aws_errors(f"create the code bucket {bucket} in {region}"):
            try:
                s3.head_bucket(Bucket=bucket)
            except ClientError as e:  # 404: not there yet
                if error_code(e) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
                params: dict[str, Any] = {"Bucket": bucket}
                if region != "us-east-1":
                    params["CreateBucketConfiguration"] = {"LocationConstraint": region}
                s3.create_bucket(**params)
        with aws_errors(f"upload the janitor code to s3://{bucket}/{key}"):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        if org_id:
            allow_organisation(s3, bucket, key, org_id, region)
        out[region] = f"s3://{bucket}/{key}"
    return out


def create_stack_set(
    cfn: Any,
    name: str,
    template: str,
    parameters: dict[str, str],
    ous: list[str],
    regions: list[str],
    call_as: str = "SELF",
) -> dict[str, str]:
    """Create the service-managed StackSet (automatic deployment on) and its instances on the
    OUs in the regions; ``template`` is the body, or an ``https://`` URL of it in S3;
    {'stack_set_id', 'operation_id'}."""
    if template.startswith("https://"):
        source = {"TemplateURL": template}
    elif len(template.encode()) > TEMPLATE_BODY_MAX:
        raise CommandError(
            "template_too_large",
            f"The template is {len(template.encode()):,} bytes, over the {TEMPLATE_BODY_MAX:,} "
            "CloudFormation takes inline: upload it to S3 and pass --template-url.",
        )
    else:
        source = {"TemplateBody": template}
    with aws_errors(f"create the StackSet {name}"):
        made = cfn.create_stack_set(
            StackSetName=name,
            Description="jupyterlab-smcost janitor (idle endpoints, notebook schedule, fleet)",
            **source,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=CAPABILITIES,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
            CallAs=call_as,
        )
    with aws_errors(f"create the instances of StackSet {name}"):
        op = cfn.create_stack_instances(
            StackSetName=name,
            DeploymentTargets={"OrganizationalUnitIds": ous},
            Regions=regions,
            OperationPreferences={
                "RegionConcurrencyType": "PARALLEL",
                "MaxConcurrentPercentage": 100,
                "FailureTolerancePercentage": 0,
            },
            CallAs=call_as,
        )
    return {"stack_set_id": made["StackSetId"], "operation_id": op["OperationId"]}


def wait_operation(
    cfn: Any,
    name: str,
    operation_id: str,
    call_as: str = "SELF",
    sleep: Callable[[float], None] = time.sleep,
    timeout_s: float = 3600.0,
    interval_s: float = 15.0,
) -> str:
    """Wait for a StackSet operation to finish; its final status (raises unless SUCCEEDED)."""
    waited = 0.0
    while True:
        with aws_errors(f"read operation {operation_id} of StackSet {name}"):
            status = cfn.describe_stack_set_operation(
                StackSetName=name, OperationId=operation_id, CallAs=call_as
            )["StackSetOperation"]["Status"]
        if status == "SUCCEEDED":
            return status
        if status in ("FAILED", "STOPPED"):
            raise CommandError(
                "stackset_failed",
                f"StackSet {name} operation {operation_id} {status}: see "
                "`aws cloudformation list-stack-set-operation-results`.",
            )
        if waited >= timeout_s:
            raise CommandError("wait_failed", f"StackSet {name} operation still {status}")
        sleep(interval_s)
        waited += interval_s


def teardown(
    cfn: Any,
    name: str,
    ous: list[str],
    regions: list[str],
    call_as: str = "SELF",
    sleep: Callable[[float], None] = time.sleep,
) -> Optional[str]:
    """Delete the instances on the OUs in the regions, wait, then delete the StackSet; the
    delete operation's id."""
    with aws_errors(f"delete the instances of StackSet {name}"):
        op = cfn.delete_stack_instances(
            StackSetName=name,
            DeploymentTargets={"OrganizationalUnitIds": ous},
            Regions=regions,
            RetainStacks=False,
            CallAs=call_as,
        )["OperationId"]
    wait_operation(cfn, name, op, call_as, sleep)
    with aws_errors(f"delete the StackSet {name}"):
        cfn.delete_stack_set(StackSetName=name, CallAs=call_as)
    return op
