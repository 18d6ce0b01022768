"""Which idle shutdown covers a Studio app: the built-in settings' precedence, and this
extension's lifecycle configuration winning over them."""

from __future__ import annotations

from jupyterlab_smcost.fleet.coverage import NATIVE_CAVEAT, NativeIdle, coverage, native_idle


def idle(state=None, timeout=None, key="JupyterLabAppSettings"):
    s = {}
    if state:
        s["LifecycleManagement"] = state
    if timeout:
        s["IdleTimeoutInMinutes"] = timeout
    return {key: {"AppLifecycleManagement": {"IdleSettings": s}}}


def test_nothing_set_is_no_native_cover():
    assert native_idle("JupyterLab", None, None, None) is None
    assert native_idle("KernelGateway", idle(timeout=5), idle("ENABLED"), idle("ENABLED")) is None


def test_user_profile_wins_over_domain_and_space_sets_the_timeout():
    assert native_idle("JupyterLab", None, idle("DISABLED"), idle("ENABLED", 60)) == NativeIdle(
        False, None, "user profile"
    )
    assert native_idle("JupyterLab", idle(timeout=15), None, idle("ENABLED", 60)) == NativeIdle(
        True, 15, "space"
    )
    assert native_idle("JupyterLab", None, idle("ENABLED", 30), idle("ENABLED", 60)) == NativeIdle(
        True, 30, "user profile"
    )
    assert native_idle("JupyterLab", None, idle("ENABLED"), idle(timeout=90)) == NativeIdle(
        True, 90, "domain (user default)"
    )


def test_shared_space_reads_the_domain_space_default():
    got = native_idle(
        "JupyterLab", None, idle("DISABLED"), idle("DISABLED"), idle("ENABLED", 45), shared=True
    )
    assert got == NativeIdle(True, 45, "domain (space default)")


def test_code_editor_reads_its_own_settings():
    jl_only = idle("ENABLED", 60)
    assert native_idle("CodeEditor", None, None, jl_only) is None
    ce = idle("ENABLED", 20, key="CodeEditorAppSettings")
    assert native_idle("CodeEditor", None, None, ce) == NativeIdle(
        True, 20, "domain (user default)"
    )


def test_coverage_order_and_caveat():
    on = NativeIdle(True, 60, "domain (user default)")
    ours = coverage("JupyterLab", "smcost-jupyterlab-0123abcd", {"idle_timeout": 600}, on)
    assert ours.mechanism == "smcost" and ours.idle_timeout_minutes == 10 and not ours.caveats
    assert coverage("JupyterLab", None, {}, None).idle_timeout_minutes == 60  # the default
    native = coverage("JupyterLab", "someone-elses", None, on)
    assert native.mechanism == "native" and native.caveats == (NATIVE_CAVEAT,)
    assert coverage("CodeEditor", None, None, on).caveats == ()
    off = NativeIdle(False, None, "user profile")
    assert coverage("JupyterLab", None, None, off).mechanism == "none"
    assert coverage("JupyterLab", None, {"idle_timeout": 0}, None).describe() == (
        "smcost (None, idle shutdown off in its policy)"
    )
