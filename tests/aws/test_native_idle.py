"""``jupyter smcost lifecycle attach --native-idle-timeout N``: SageMaker's built-in idle
settings as a backstop, the UpdateDomain / UpdateUserProfile requests pinned by Stubber."""

from __future__ import annotations

import json

from test_lifecycle import (
    ACCOUNT,
    DOMAIN,
    OTHER,
    REGION,
    attach_domain,
    domain,
    expect_config,
    jupyterlab,
    studio,
)

DOMAIN_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}"


def idle(**settings):
    return {"AppLifecycleManagement": {"IdleSettings": settings}}


def test_domain_gets_the_builtin_idle_settings_after_the_attach(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content, exists=True)
    bounds = {"MinIdleTimeoutInMinutes": 60, "MaxIdleTimeoutInMinutes": 480}
    space = {"LifecycleConfigArns": [arn], "DefaultResourceSpec": {"LifecycleConfigArn": arn}}
    attached = domain(
        jupyterlab([OTHER, arn], arn, **idle(**bounds)),
        {"JupyterLabAppSettings": space},
    )
    stub.add_response("describe_domain", attached, {"DomainId": DOMAIN})  # attach: nothing to do
    stub.add_response("describe_domain", attached, {"DomainId": DOMAIN})
    on = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120}
    stub.add_response(
        "update_domain",
        {"DomainArn": DOMAIN_ARN},
        {
            "DomainId": DOMAIN,
            "DefaultUserSettings": jupyterlab([OTHER, arn], arn, **idle(**bounds, **on)),
            "DefaultSpaceSettings": {"JupyterLabAppSettings": {**space, **idle(**on)}},
        },
    )
    rc, out, err = attach_domain("--native-idle-timeout", "120")
    assert (rc, err) == (0, ""), err
    assert out.splitlines()[-1] == (
        "SageMaker's built-in idle shutdown, 120 min: set (it does not stop a JupyterLab app "
        "while any kernel or terminal session is open)"
    )


def test_user_profile_and_a_second_run_changes_nothing(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    on = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 90}
    for settings, change in (
        (jupyterlab([arn], arn), True),
        (jupyterlab([arn], arn, **idle(**on)), False),
    ):
        expect_config(stub, name, arn, content, exists=True)
        ident = {"DomainId": DOMAIN, "UserProfileName": "alice"}
        profile = {**ident, "UserSettings": settings}
        stub.add_response("describe_user_profile", profile, ident)
        stub.add_response("describe_user_profile", profile, ident)
        if change:
            stub.add_response(
                "update_user_profile",
                {"UserProfileArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/x/alice"},
                {**ident, "UserSettings": jupyterlab([arn], arn, **idle(**on))},
            )
        rc, out, err = attach_domain(
            "--user-profile", "alice", "--native-idle-timeout", "90", "--json"
        )
        assert (rc, err) == (0, "")
        assert json.loads(out)["native_idle"] == ("set" if change else "unchanged")


def test_bad_timeout_or_app_changes_nothing(stubs) -> None:
    stubs("sagemaker")  # no call expected
    rc, out, err = attach_domain("--native-idle-timeout", "30")
    assert rc == 1 and "SageMaker accepts 60 to 525600 minutes" in err
    rc, out, err = attach_domain("--app", "jupyter-server", "--native-idle-timeout", "60")
    assert rc == 1 and "applies to JupyterLab spaces" in err
