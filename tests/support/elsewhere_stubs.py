"""Canned Studio answers for "Still running elsewhere" (botocore Stubber: every request and
response checked against the real API model): alice's space, two of her other apps (one in a
shared space), an endpoint and a training job tagged with her space / user profile ARN."""

from __future__ import annotations

from datetime import datetime, timezone

from support.sm_stub import REGION, app

D = "d-abc123"
ACCOUNT = "123456789012"
SPACE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{D}/alice-space"
PROFILE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{D}/alice"
EP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/alice-ep"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/alice-train"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def space(name, owner, sharing="Private"):
    return {
        "DomainId": D,
        "SpaceName": name,
        "Status": "InService",
        "SpaceSharingSettingsSummary": {"SharingType": sharing},
        "OwnershipSettingsSummary": {"OwnerUserProfileName": owner},
    }


def listed(name, app_type, status="InService", space_name=None, user=None):
    out = {"DomainId": D, "AppType": app_type, "AppName": name, "Status": status}
    out.update({"SpaceName": space_name} if space_name else {"UserProfileName": user})
    return out


def stub_listing(sm, tagging, cw, *, endpoint_invocations: list[float]):
    sm.add_response(
        "describe_space",
        {
            "DomainId": D,
            "SpaceArn": SPACE_ARN,
            "SpaceName": "alice-space",
            "OwnershipSettings": {"OwnerUserProfileName": "alice"},
            "SpaceSharingSettings": {"SharingType": "Private"},
        },
        {"DomainId": D, "SpaceName": "alice-space"},
    )
    sm.add_response(
        "list_spaces",
        {
            "Spaces": [
                space("alice-space", "alice"),
                space("alice-gpu", "alice"),
                space("team-shared", "alice", "Shared"),
                space("bob-space", "bob"),
            ]
        },
        {"DomainIdEquals": D},
    )
    sm.add_response(
        "list_apps",
        {
            "Apps": [
                listed("default", "JupyterLab", space_name="alice-space"),  # this IDE
                listed("default", "JupyterLab", space_name="alice-gpu"),
                listed("old", "JupyterLab", "Deleted", space_name="alice-gpu"),
                listed("default", "CodeEditor", space_name="team-shared"),
                listed("default", "JupyterLab", space_name="bob-space"),  # not hers
            ]
        },
        {"DomainIdEquals": D},
    )
    for name, app_type, itype in (
        ("alice-gpu", "JupyterLab", "ml.g4dn.xlarge"),
        ("team-shared", "CodeEditor", "ml.m5.xlarge"),
    ):
        sm.add_response(
            "describe_app",
            app(D, "default", app_type, "InService", itype, None, {"SpaceName": name}, T0),
            {"DomainId": D, "AppType": app_type, "AppName": "default", "SpaceName": name},
        )
    for key, value, arn in (
        ("sagemaker:space-arn", SPACE_ARN, EP_ARN),
        ("sagemaker:user-profile-arn", PROFILE_ARN, JOB_ARN),
    ):
        tagging.add_response(
            "get_resources",
            {"ResourceTagMappingList": [{"ResourceARN": arn}]},
            {
                "TagFilters": [{"Key": key, "Values": [value]}],
                "ResourceTypeFilters": [
                    "sagemaker:endpoint",
                    "sagemaker:training-job",
                    "sagemaker:processing-job",
                ],
            },
        )
    sm.add_response(
        "describe_endpoint",
        {
            "EndpointName": "alice-ep",
            "EndpointArn": EP_ARN,
            "EndpointConfigName": "alice-cfg",
            "EndpointStatus": "InService",
            "CreationTime": T0,
            "LastModifiedTime": T0,
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 2}],
        },
        {"EndpointName": "alice-ep"},
    )
    sm.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "alice-cfg",
            "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/alice-cfg",
            "CreationTime": T0,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 2,
                }
            ],
        },
        {"EndpointConfigName": "alice-cfg"},
    )
    stub_training_job(sm)
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "q0", "Label": "x", "Values": endpoint_invocations, "StatusCode": "Complete"}
            ]
        },
    )


def stub_training_job(sm):
    """DescribeTrainingJob of alice's tagged job: InProgress on one ml.g4dn.xlarge."""
    sm.add_response(
        "describe_training_job",
        {
            "TrainingJobName": "alice-train",
            "TrainingJobArn": JOB_ARN,
            "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Training",
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
            "ResourceConfig": {
                "InstanceType": "ml.g4dn.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "ModelArtifacts": {"S3ModelArtifacts": ""},
            "CreationTime": T0,
            "TrainingStartTime": T0,
        },
        {"TrainingJobName": "alice-train"},
    )
