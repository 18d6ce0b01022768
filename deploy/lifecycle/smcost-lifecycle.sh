#!/bin/bash
# jupyterlab-smcost: one lifecycle configuration script for the three places SageMaker runs
# Jupyter (SMCOST_TARGET; auto reads /opt/ml/metadata/resource-metadata.json):
#   notebook-instance  a notebook instance's on-start script (root, every start)
#   jupyterlab         a Studio lifecycle configuration of app type JupyterLab (spaces)
#   jupyter-server     a Studio lifecycle configuration of app type JupyterServer (Classic)
# It installs jupyterlab-smcost into the environment that runs the Jupyter server, writes the
# admin policy to <env>/etc/jupyter/jupyter_jupyterlab_smcost_config.json and restarts a
# running server if anything changed. It never fails the start: problems are logged (stdout
# goes to CloudWatch) and it exits 0. Work that outlasts SMCOST_WAIT_S seconds goes on in the
# background (SageMaker allows 5 minutes), logging to SMCOST_LOG.
#
# `jupyter smcost lifecycle script|create|attach` fills in these settings:
# SMCOST_SOURCE      a pip requirement (jupyterlab-smcost==0.1.0), or a wheel at an S3 URI
#                    or a path; an S3 prefix or folder ending in / installs from the wheels
#                    there. Wheels install with --no-index (VPC-only domains): what the wheel
#                    needs must be in the environment already or among those wheels.
# SMCOST_POLICY_URI  a JSON policy file (S3 URI or path) read at every start; wins over
# SMCOST_POLICY      the inline JSON policy: {"idle_timeout": 3600, ...} (SmCostApp traits).
# >>> smcost settings
SMCOST_TARGET=auto
SMCOST_SOURCE=jupyterlab-smcost
SMCOST_POLICY_URI=
SMCOST_POLICY=$(cat <<'SMCOST_POLICY_END'
{}
SMCOST_POLICY_END
)
# <<< smcost settings

SMCOST_METADATA=${SMCOST_METADATA:-/opt/ml/metadata/resource-metadata.json}
SMCOST_OS_RELEASE=${SMCOST_OS_RELEASE:-/etc/os-release}
SMCOST_WAIT_S=${SMCOST_WAIT_S:-200}
SMCOST_LOG=${SMCOST_LOG:-/tmp/smcost-lifecycle.log}
export PATH="$PATH:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
set -u
umask 022
log() { echo "smcost-lifecycle: $*"; }

detect_target() {
  local md=$SMCOST_METADATA app
  if [ "$SMCOST_TARGET" != auto ]; then echo "$SMCOST_TARGET"; return; fi
  [ -r "$md" ] || { echo "unknown: no $md"; return; }
  app=$(grep -o '"AppType" *: *"[A-Za-z]*"' "$md" | sed 's/.*"\([A-Za-z]*\)"$/\1/')
  if ! grep -q '"DomainId" *: *"[^"]' "$md"; then echo notebook-instance
  elif [ "$app" = JupyterLab ]; then echo jupyterlab
  elif [ "$app" = JupyterServer ]; then echo jupyter-server
  else echo "unknown: Studio app type ${app:-none}"; fi
}

# Runs in the server's environment: versions, pins, S3, the policy file.
read -r -d '' SMCOST_PY <<'PY'
import json, os, subprocess, sys
from importlib import metadata

def ver(name):
    try:
        return metadata.version(name)
    except Exception:
        return ""

def key(v):
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits or 0))
        if not part.isdigit():
            break
    return tuple(out)

def s3(uri, dest=None):
    bucket, _, path = uri[5:].partition("/")
    try:
        import boto3
    except ImportError:
        cmd = ["aws", "s3", "cp", "--only-show-errors", uri, dest + "/" if dest else "-"]
        if uri.endswith("/"):
            cmd += ["--recursive", "--exclude", "*", "--include", "*.whl"]
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    client = boto3.client("s3")
    if dest is None:
        return client.get_object(Bucket=bucket, Key=path)["Body"].read()
    keys = [path]
    if uri.endswith("/"):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=path)
        keys = [o["Key"] for p in pages for o in p.get("Contents", []) if o["Key"].endswith(".whl")]
    for k in keys:
        client.download_file(bucket, k, os.path.join(dest, os.path.basename(k)))

def fetch(src, dest):
    folder = src
    if src.startswith("s3://"):
        s3(src, dest)
        folder = dest
    elif os.path.isfile(src):
        folder, src = os.path.split(src)
    elif "/" not in src:
        return  # a pip requirement
    wheels = [w for w in os.listdir(folder) if w.startswith("jupyterlab_smcost-") and w.endswith(".whl")]
    if os.path.isfile(os.path.join(folder, src)):
        wheels = [src]
    if not wheels:
        sys.exit(f"no jupyterlab_smcost wheel at {sys.argv[2]}")
    best = max(wheels, key=lambda w: key(w.split("-")[1]))
    print(best.split("-")[1], os.path.join(folder, best))

def policy(inline, uri, out):
    try:
        text = (s3(uri) if uri.startswith("s3://") else open(uri, "rb").read()) if uri else inline
        doc = json.loads(text or "{}")
    except Exception as e:
        sys.exit(f"cannot read the policy {uri or '(inline)'}: {e}")
    if isinstance(doc, dict) and list(doc) == ["SmCostApp"]:
        doc = doc["SmCostApp"]
    if not isinstance(doc, dict):
        sys.exit(f"the policy {uri or '(inline)'} is not a JSON object of SmCostApp traits")
    new = json.dumps({"SmCostApp": doc}, indent=2, sort_keys=True) + "\n" if doc else None
    old = open(out).read() if os.path.exists(out) else None
    if new != old and new is None:
        os.remove(out)
    elif new != old:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out + ".tmp", "w") as f:
            f.write(new)
        os.replace(out + ".tmp", out)
    status = "unchanged" if new == old else "removed" if new is None else "written"
    print(status, json.dumps(doc, sort_keys=True))

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "installed":
    print(ver("jupyterlab_smcost"))
elif cmd == "check":
    server, lab = ver("jupyter_server"), ver("jupyterlab")
    print(f"jupyter_server {server or 'missing'}, jupyterlab {lab or 'missing'}")
    lab = key(lab or "0")
    sys.exit(3 if key(server or "0") < (2, 4) else 4 if lab < (4,) else 5 if lab < (4, 4) else 0)
elif cmd == "pins":
    names = ("jupyter_server", "jupyterlab", "jupyterlab_server", "notebook", "jupyter_core",
             "jupyter_client", "tornado", "traitlets")
    print("".join(f"{n}=={ver(n)}\n" for n in names if ver(n)), end="")
elif cmd == "fetch":
    try:
        fetch(*args)
    except Exception as e:
        sys.exit(f"cannot fetch {args[0]}: {' '.join(str(e).split())}")
elif cmd == "policy":
    policy(*args)
PY

as_user() {  # the environment's owner, when this runs as root
  if [ "$(id -u)" = 0 ] && [ -n "$RUN_AS" ] && id "$RUN_AS" >/dev/null 2>&1; then
    sudo -u "$RUN_AS" -H -- "$@"
  else "$@"; fi
}

restart_server() {
  if [ "$TARGET" = notebook-instance ]; then
    if grep -q amazon-linux-ami "$SMCOST_OS_RELEASE" 2>/dev/null; then
      log "restarting the Jupyter server (initctl)"; initctl restart jupyter-server --no-wait
    else
      log "restarting the Jupyter server (systemctl)"; systemctl --no-block restart jupyter-server.service
    fi
  elif [ "$TARGET" = jupyterlab ] && ! as_user "$PREFIX/bin/jupyter" server list --json 2>/dev/null | grep -q port; then
    log "no Jupyter server is running yet: it will start with jupyterlab-smcost"
  elif command -v restart-jupyter-server >/dev/null; then
    log "restarting the Jupyter server (restart-jupyter-server)"; restart-jupyter-server
  else
    log "restarting the Jupyter server (supervisorctl)"
    supervisorctl -c /etc/supervisor/conf.d/supervisord.conf restart jupyterlabserver
  fi
}

work() {
  local py=$PREFIX/bin/python jupyter=$PREFIX/bin/jupyter conf=$PREFIX/etc/jupyter/jupyter_jupyterlab_smcost_config.json
  local before after out rc tmp changed=0 failed=0
  log "target $TARGET, environment $PREFIX, source $SMCOST_SOURCE"
  [ -x "$py" ] || { log "ERROR: no Python at $py: nothing installed"; return 1; }
  out=$("$py" -c "$SMCOST_PY" check); rc=$?
  log "the server runs with $out"
  case $rc in
    0|4) ;;
    5) log "WARNING: the panel is built for JupyterLab 4.4 and later: it may not load here" ;;
    3) log "ERROR: jupyterlab-smcost needs jupyter_server 2.4 or later: nothing installed"; return 1 ;;
    *) log "ERROR: cannot inspect $PREFIX"; return 1 ;;
  esac
  tmp=$(mktemp -d /tmp/smcost-lifecycle.XXXXXX) && chmod 755 "$tmp" || return 1
  "$py" -c "$SMCOST_PY" pins >"$tmp/pins.txt" || return 1
  before=$("$py" -c "$SMCOST_PY" installed)
  out=$("$py" -c "$SMCOST_PY" fetch "$SMCOST_SOURCE" "$tmp" 2>&1) || { log "ERROR: $out"; return 1; }
  local pip=("$py" -m pip install --disable-pip-version-check --no-input -q -c "$tmp/pins.txt")
  if [ -z "$out" ]; then
    as_user "${pip[@]}" "$SMCOST_SOURCE" || { log "ERROR: pip could not install $SMCOST_SOURCE"; return 1; }
  elif [ "${out%% *}" = "$before" ]; then
    log "jupyterlab-smcost $before is installed already"
  else
    as_user "${pip[@]}" --no-index --find-links "$(dirname "${out#* }")" "${out#* }" \
      || { log "ERROR: pip could not install ${out#* } offline"; return 1; }
  fi
  rm -rf "$tmp"
  after=$("$py" -c "$SMCOST_PY" installed)
  [ -n "$after" ] || { log "ERROR: jupyterlab-smcost did not install"; return 1; }
  [ "$before" = "$after" ] || { changed=1; log "installed jupyterlab-smcost $after (before: ${before:-none})"; }
  if [ $rc = 4 ]; then
    log "no JupyterLab 4 here: the server extension runs, the panel cannot load"
    "$jupyter" labextension disable jupyterlab-smcost >/dev/null 2>&1
  fi
  out=$(as_user "$py" -c "$SMCOST_PY" policy "$SMCOST_POLICY" "$SMCOST_POLICY_URI" "$conf" 2>&1) \
    || { log "ERROR: $out"; out="unchanged (see the error above)"; failed=1; }
  [ "${out%% *}" = unchanged ] || changed=1
  log "admin policy ${out%% *} ($conf): ${out#* }"
  { "$jupyter" server extension list; "$jupyter" labextension list; } 2>&1 | sed 's/\x1b\[[0-9;]*m//g' \
    | grep -E 'jupyterlab[-_]smcost .*(enabled|disabled)|jupyterlab_smcost [0-9].* OK' \
    | sed 's/^ */smcost-lifecycle:   /'
  if [ $changed = 1 ]; then restart_server; else log "nothing changed: no restart"; fi
  return $failed
}

TARGET=$(detect_target)
case $TARGET in
  notebook-instance) PREFIX=${SMCOST_ENV_PREFIX:-/home/ec2-user/anaconda3/envs/JupyterSystemEnv}
    RUN_AS=${SMCOST_RUN_AS-ec2-user} ;;
  jupyterlab) PREFIX=${SMCOST_ENV_PREFIX:-/opt/conda}; RUN_AS=${SMCOST_RUN_AS-} ;;
  jupyter-server) PREFIX=${SMCOST_ENV_PREFIX:-/opt/conda/envs/studio}; RUN_AS=${SMCOST_RUN_AS-} ;;
  *) log "nothing to do here ($TARGET)"; exit 0 ;;
esac

( : >"$SMCOST_LOG" ) 2>/dev/null || SMCOST_LOG=$(mktemp /tmp/smcost-lifecycle.XXXXXX)
rm -f "$SMCOST_LOG.rc"
WORKER="$(declare -p SMCOST_SOURCE SMCOST_POLICY SMCOST_POLICY_URI SMCOST_OS_RELEASE SMCOST_PY \
  TARGET PREFIX RUN_AS); $(declare -f log as_user restart_server work); work; echo \$? >'$SMCOST_LOG.rc'"
SETSID=$(command -v setsid)
$SETSID nohup bash -c "$WORKER" >"$SMCOST_LOG" 2>&1 </dev/null &
PID=$!
tail -n +1 -f --pid="$PID" "$SMCOST_LOG" &
for _ in $(seq "$SMCOST_WAIT_S"); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
if kill -0 "$PID" 2>/dev/null; then
  kill $! 2>/dev/null
  log "still working after ${SMCOST_WAIT_S}s: it goes on in the background (log: $SMCOST_LOG)"
else
  wait $!
  if [ "$(cat "$SMCOST_LOG.rc" 2>/dev/null)" = 0 ]; then log "done"
  else log "FAILED (see above): Jupyter starts without these changes; log: $SMCOST_LOG"; fi
fi
exit 0
