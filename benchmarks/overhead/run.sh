#!/usr/bin/env bash
# Per-call overhead of agentwatch vs the bare clients and peer libraries, measured with the
# shared harness (shared/bench/overhead), which is never modified: it is copied to a temp dir,
# benchmarks/overhead/ours.py is dropped into the copy's variants/ and registered there.
#
#   bash benchmarks/overhead/run.sh                      # all peers + agentwatch, ~30 min
#   bash benchmarks/overhead/run.sh --quick --variants bare,agentwatch
#   bash benchmarks/overhead/run.sh --variants bare,agentwatch,openllmetry --blocks 10
#
# Every argument goes to run_bench.py (see --help there). Unless --out-dir is given, results
# land in <repo>/bench-results/overhead/ (results.md, results.json).
# Environment: OVERHEAD_VENV (default /tmp/overhead-venv), OVERHEAD_SRC (the harness dir;
# default <repo>/../shared/bench/overhead, then /work/shared/bench/overhead),
# OVERHEAD_VENV_WAIT (seconds to wait for another process building the venv, default 1800).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
VENV=${OVERHEAD_VENV:-/tmp/overhead-venv}
SETUP_LOG=${OVERHEAD_SETUP_LOG:-/tmp/overhead-setup.log}
WAIT_MAX=${OVERHEAD_VENV_WAIT:-1800}

log() { echo "[bench.sh] $*" >&2; }

# ---------------------------------------------------------------- the harness, copied
SRC=${OVERHEAD_SRC:-}
if [ -z "$SRC" ]; then
  for cand in "$REPO/../shared/bench/overhead" /work/shared/bench/overhead; do
    if [ -f "$cand/run_bench.py" ]; then SRC=$(cd "$cand" && pwd); break; fi
  done
fi
[ -n "$SRC" ] && [ -f "$SRC/run_bench.py" ] || { log "harness not found (set OVERHEAD_SRC)"; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentwatch-overhead.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -R "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
cp "$HERE"/ours*.py "$WORK/variants/"   # ours.py (+ diagnostic ours_*.py)
# Register the variant in the copy's default list (discovery by file name is automatic, but
# a run without --variants uses DEFAULT_VARIANTS).
"${PYTHON:-python3}" - "$WORK/run_bench.py" <<'PY'
import re, sys
path = sys.argv[1]
src = open(path).read()
new, n = re.subn(r'(DEFAULT_VARIANTS = \[\s*"bare",)', r'\1 "agentwatch",', src, count=1)
if n != 1:
    sys.exit("run_bench.py: DEFAULT_VARIANTS not found; pass --variants explicitly")
open(path, "w").write(new)
PY
log "harness: $SRC -> $WORK (variants/ours.py = agentwatch, ours_deferred.py = agentwatch_deferred)"

# ---------------------------------------------------------------- the venv
venv_ok() {
  "$VENV/bin/python" -c "import openai, anthropic, openlit, langfuse, traceloop.sdk, \
openinference.instrumentation.openai, uvicorn, uvloop, httptools" 2>/dev/null
}
other_build_running() {
  # another process (e.g. a teammate's `bash run.sh`) building the same venv
  pgrep -f "setup_venv.sh" >/dev/null 2>&1 || pgrep -f "$VENV/bin/pip" >/dev/null 2>&1
}
exec 9>"$VENV.lock"
flock 9   # serialise builds started through this script
if ! venv_ok; then
  waited=0
  while other_build_running && [ "$waited" -lt "$WAIT_MAX" ]; do
    [ $((waited % 60)) -eq 0 ] && log "another process is building $VENV (see $SETUP_LOG); waiting"
    sleep 10; waited=$((waited + 10))
  done
  if ! venv_ok; then
    log "building $VENV from requirements.lock (log: $SETUP_LOG)"
    OVERHEAD_VENV="$VENV" bash "$WORK/setup_venv.sh" >"$SETUP_LOG" 2>&1 \
      || { tail -20 "$SETUP_LOG" >&2; exit 1; }
  fi
fi

# agentwatch itself, editable from this checkout. Its dependencies are installed under the
# harness lock as constraints, so no measured package changes version.
aw_ok() {
  "$VENV/bin/python" - "$REPO" <<'PY' 2>/dev/null
import os, sys
import agentwatch, pydantic, typer, rich  # noqa: F401
want = os.path.realpath(os.path.join(sys.argv[1], "src", "agentwatch"))
sys.exit(os.path.realpath(os.path.dirname(agentwatch.__file__)) != want)
PY
}
if ! aw_ok; then
  log "installing agentwatch (editable, $REPO) into $VENV"
  "$VENV/bin/pip" freeze --all >"$WORK/freeze.before" 2>/dev/null
  "$VENV/bin/pip" install -q -c "$SRC/requirements.lock" -e "$REPO" >&2
  "$VENV/bin/pip" freeze --all >"$WORK/freeze.after" 2>/dev/null
  "${PYTHON:-python3}" - "$SRC/requirements.lock" "$WORK/freeze.before" "$WORK/freeze.after" <<'PY'
import re, sys
def pins(path):
    out = {}
    for line in open(path):
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if m:
            out[re.sub(r"[-_.]+", "-", m[1]).lower()] = m[2]
    return out
lock, before, after = (pins(p) for p in sys.argv[1:])
changed = {k: (before.get(k), after.get(k)) for k in lock
           if k in before and before.get(k) != after.get(k)}
if changed:
    sys.exit(f"installing agentwatch changed measured packages: {changed}")
PY
  aw_ok || { log "agentwatch still not importable from $VENV"; exit 1; }
fi
flock -u 9

# ---------------------------------------------------------------- run
args=("$@")
has_out=0
for a in "$@"; do
  case "$a" in --out-dir|--out-dir=*|--render|--render=*) has_out=1 ;; esac
done
if [ "$has_out" -eq 0 ]; then
  mkdir -p "$REPO/bench-results/overhead"
  args+=(--out-dir "$REPO/bench-results/overhead")
fi
log "running: $VENV/bin/python run_bench.py ${args[*]}"
cd "$WORK"
"$VENV/bin/python" "$WORK/run_bench.py" "${args[@]}"
