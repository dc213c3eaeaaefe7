"""Where agentwatch's per-call cost goes (run with the harness venv's python).

    /tmp/overhead-venv/bin/python benchmarks/overhead/profile_agentwatch.py [--part threads,caller,worker]

threads  callgrind (``--separate-threads=yes``) over the harness's own worker process: instructions
         per call of the caller's thread and of agentwatch's worker thread, bare vs agentwatch.
caller   the caller's-thread work alone, in µs: the SDK's ``request`` is replaced by a stub that
         returns a response recorded from the mock server, so only the SDK's request building
         (same for both) and agentwatch's wrapper run; bare-stub vs instrumented-stub.
worker   the worker's pipeline per event, in µs, split into normalise / rules / SQLite write, plus
         a cProfile of ``Monitor._handle`` on one batch (top functions by own time).

The mock server and bench_worker come from the shared harness (never modified: copied to a temp
dir, like run.sh does).
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import io
import os
import pstats
import shutil
import socket
import statistics as st
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MSGS = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Say something short about foxes and dogs."},
]
AN_MSGS = [{"role": "user", "content": "Say something short about foxes and dogs."}]
SCENARIOS = ["openai_chat", "openai_chat_stream", "openai_embed", "anthropic_msg", "anthropic_msg_stream"]


def find_harness(explicit: str | None) -> str:
    for cand in (
        explicit,
        os.environ.get("OVERHEAD_SRC"),
        os.path.join(REPO, "..", "shared", "bench", "overhead"),
        "/work/shared/bench/overhead",
    ):
        if cand and os.path.isfile(os.path.join(cand, "run_bench.py")):
            return os.path.realpath(cand)
    raise SystemExit("harness not found (--harness or OVERHEAD_SRC)")


def copy_harness(src: str, dst: str) -> str:
    work = os.path.join(dst, "overhead")
    shutil.copytree(src, work)
    for root, dirs, files in os.walk(work):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755)
    shutil.copy(os.path.join(HERE, "ours.py"), os.path.join(work, "variants", "ours.py"))
    return work


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def start_mock(harness: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(harness, "mock_server.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.read() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("mock server did not come up")


def clients(url: str) -> tuple[Any, Any]:
    import anthropic
    import openai

    oa = openai.OpenAI(base_url=url + "/v1", api_key="sk-bench", max_retries=0, timeout=30)
    an = anthropic.Anthropic(base_url=url, api_key="sk-ant-bench", max_retries=0, timeout=30)
    return oa, an


def call(name: str, oa: Any, an: Any) -> None:
    if name == "openai_chat":
        oa.chat.completions.create(model="gpt-4o-mini", messages=MSGS, max_tokens=64)
    elif name == "openai_chat_stream":
        for _ in oa.chat.completions.create(
            model="gpt-4o-mini",
            messages=MSGS,
            max_tokens=64,
            stream=True,
            stream_options={"include_usage": True},
        ):
            pass
    elif name == "openai_embed":
        oa.embeddings.create(
            model="text-embedding-3-small", input="The quick brown fox jumps over the lazy dog"
        )
    elif name == "anthropic_msg":
        an.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=AN_MSGS)
    else:
        for _ in an.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=AN_MSGS, stream=True):
            pass


# ------------------------------------------------------------------ threads (callgrind)
def _recv(p: subprocess.Popen[str], variant: str) -> Any:
    import json

    assert p.stdout is not None
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit(f"{variant}: worker exited")
        if line.startswith("@@BENCH "):
            return json.loads(line[8:])


def _cg_run(harness: str, lib: str, port: str, variant: str, scenarios: list[str], k: int, out: str) -> None:
    """One bench_worker process under callgrind (--separate-threads) running one block per scenario."""
    import json

    os.makedirs(out)
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--separate-threads=yes",
        f"--callgrind-out-file={out}/cg.%p",
        sys.executable,
        os.path.join(harness, "bench_worker.py"),
        "--variant",
        variant,
        "--port",
        port,
        "--warmup",
        "20",
        "--scenarios",
        ",".join(scenarios),
        "--scratch",
        os.path.join(os.path.dirname(out), "scratch"),
        "--cg-lib",
        lib,
    ]
    p = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, PYTHONPATH=harness),
        cwd=harness,
    )
    assert p.stdin is not None
    _recv(p, variant)
    for s in scenarios:
        p.stdin.write(json.dumps({"cmd": "block", "scenario": s, "k": k, "pre": 3, "cg": s}) + "\n")
        p.stdin.flush()
        _recv(p, variant)
    p.stdin.write('{"cmd": "finish"}\n')
    p.stdin.flush()
    _recv(p, variant)
    p.wait(timeout=120)


def _cg_files(out: str) -> list[tuple[str, str, int]]:
    """(file suffix, trigger, Ir) per dump file."""
    res = []
    for fn in glob.glob(os.path.join(out, "cg.*")):
        label, ir = "", 0
        with open(fn) as f:
            for line in f:
                if line.startswith("desc: Trigger: "):
                    label = line.split("Trigger: ", 1)[1].strip().removeprefix("Client Request: ")
                elif line.startswith("totals:"):
                    ir = int(line.split()[1])
        res.append((fn.rsplit("-", 1)[-1] if "-" in os.path.basename(fn) else "", label, ir))
    return res


def part_threads(harness: str, tmp: str, scenarios: list[str], k: int) -> None:
    """With --separate-threads, a client-request dump writes only the calling thread; the worker
    thread's counts are written at process end. So: one agentwatch process per scenario."""
    lib = os.path.join(tmp, "libcgctl.so")
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", lib, os.path.join(harness, "cgctl.c")], check=True
    )
    mock, url = start_mock(harness)
    port = url.rsplit(":", 1)[1]
    bare: dict[str, float] = {}
    ours: dict[str, tuple[float, float]] = {}
    try:
        out = os.path.join(tmp, "cg-bare")
        _cg_run(harness, lib, port, "variants.bare", scenarios, k, out)
        for _, label, ir in _cg_files(out):
            if "|" in label:
                bare[label.split("|")[0]] = bare.get(label.split("|")[0], 0.0) + ir / k
        for s in scenarios:
            out = os.path.join(tmp, "cg-ours-" + s)
            _cg_run(harness, lib, port, "variants.ours", [s], k, out)
            caller = sum(ir for t, label, ir in _cg_files(out) if t == "01" and "|" in label) / k
            worker = sum(ir for t, label, ir in _cg_files(out) if t not in ("", "01")) / k
            ours[s] = (caller, worker)
            print(f"[threads] {s}: caller {caller / 1e6:.3f} M, worker {worker / 1e6:.3f} M", flush=True)
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    print(f"\n## instructions per call by thread (callgrind, {k} calls + flush, M)\n")
    print(
        "| scenario | bare | agentwatch caller | Δ caller | agentwatch worker thread | agentwatch total Δ |"
    )
    print("|---|---|---|---|---|---|")
    for s in scenarios:
        b, (c, w) = bare.get(s, 0.0), ours[s]
        print(
            f"| {s} | {b / 1e6:.3f} | {c / 1e6:.3f} | {(c - b) / 1e6:+.3f} | {w / 1e6:.3f} | {(c + w - b) / 1e6:+.3f} |"
        )


# ------------------------------------------------------------------ caller (stub)
def part_caller(harness: str, tmp: str, n: int) -> None:
    import agentwatch

    agentwatch.configure(
        database=f"sqlite:///{tmp}/caller.db", flush_interval=3600, batch_size=10**7, queue_size=10**7
    )
    mock, url = start_mock(harness)
    try:
        oa, an = clients(url)
        canned: dict[str, Any] = {}
        for fam, client in (("openai", oa), ("anthropic", an)):
            original = client.request

            def recorder(cast_to: Any, options: Any, *, _o: Any = original, _f: str = fam, **kw: Any) -> Any:
                r = _o(cast_to, options, **kw)
                canned[f"{_f}{options.url}"] = r
                return r

            client.request = recorder
        for s in ("openai_chat", "openai_embed", "anthropic_msg"):
            call(s, oa, an)
    finally:
        mock.terminate()
        mock.wait(timeout=10)

    def stubbed(instrumented: bool) -> tuple[Any, Any]:
        a, b = clients("http://127.0.0.1:9")
        for fam, client in (("openai", a), ("anthropic", b)):
            client.request = lambda cast_to, options, *, _f=fam, **kw: canned[f"{_f}{options.url}"]
            if instrumented:
                agentwatch.instrument(client)
        return a, b

    bare, inst = stubbed(False), stubbed(True)
    pc = time.perf_counter_ns
    print(
        f"\n## caller's thread, SDK transport stubbed out ({n} calls x 7 rounds, median of round medians)\n"
    )
    print("| scenario | bare-stub µs | instrumented-stub µs | agentwatch on caller µs |")
    print("|---|---|---|---|")
    for s in ("openai_chat", "openai_embed", "anthropic_msg"):
        meds: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(7):
            for flag, (a, b) in ((False, bare), (True, inst)):
                lat = []
                for _ in range(n):
                    t = pc()
                    call(s, a, b)
                    lat.append(pc() - t)
                meds[flag].append(st.median(lat) / 1e3)
        b0, i0 = st.median(meds[False]), st.median(meds[True])
        print(f"| {s} | {b0:.1f} | {i0:.1f} | {i0 - b0:+.1f} |")
    # share of agentwatch's own functions on the caller's thread
    prof = cProfile.Profile()
    a, b = inst
    prof.enable()
    for _ in range(n):
        call("openai_chat", a, b)
    prof.disable()
    print(
        f"\ncProfile, instrumented-stub openai_chat, {n} calls: agentwatch functions (µs per call, "
        "inflated by the profiler)\n"
    )
    stats = pstats.Stats(prof)
    rows = [
        (v[2], v[3], f"{os.path.basename(k[0])}:{k[2]}")
        for k, v in stats.stats.items()  # type: ignore[attr-defined]
        if "agentwatch" in k[0]
    ]
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    for tt, ct, name in sorted(rows, reverse=True)[:8]:
        print(f"  {name:40s} own {tt / n * 1e6:6.1f}  cum {ct / n * 1e6:6.1f}")
    print(f"  (whole call incl. SDK request building: {total / n * 1e6:.1f} µs own time summed)")


# ------------------------------------------------------------------ worker
def part_worker(harness: str, tmp: str, n: int) -> None:
    import agentwatch
    from agentwatch.storage import open_storage

    agentwatch.configure(
        database=f"sqlite:///{tmp}/worker.db", flush_interval=3600, batch_size=10**7, queue_size=10**7
    )
    mon = agentwatch.get_monitor()
    mock, url = start_mock(harness)
    try:
        oa, an = clients(url)
        agentwatch.instrument(oa)
        agentwatch.instrument(an)
        raws: dict[str, list[Any]] = {}
        for s in SCENARIOS:
            for _ in range(n):
                call(s, oa, an)
            raws[s] = list(mon.queue._queue)
            mon.queue._queue.clear()
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    storage = open_storage(mon.settings)
    pc = time.perf_counter_ns
    print(f"\n## worker's pipeline per event (µs, batches of {n})\n")
    print(
        "| scenario | normalise+stages | rules | model_dump_json | SQLite write_events (incl. dump, rollups, "
        "commit) | total |"
    )
    print("|---|---|---|---|---|---|")
    for s, batch in raws.items():
        t0 = pc()
        events = [mon.pipeline(r) for r in batch]
        t1 = pc()
        for e in events:
            mon.rules.analyze(e, mon._recent.baseline(e))
            mon._recent.add(e)
        t2 = pc()
        for e in events:
            e.model_dump_json(exclude_defaults=True)
        t3 = pc()
        storage.write_events(events)
        t4 = pc()
        us = [(t1 - t0) / n / 1e3, (t2 - t1) / n / 1e3, (t3 - t2) / n / 1e3, (t4 - t3) / n / 1e3]
        print(
            f"| {s} | {us[0]:.1f} | {us[1]:.1f} | {us[2]:.1f} | {us[3]:.1f} | {us[0] + us[1] + us[3]:.1f} |"
        )
    # cProfile of the real handler over one batch of each scenario
    prof = cProfile.Profile()
    prof.enable()
    for batch in raws.values():
        mon._handle(batch)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(
        f"\ncProfile of Monitor._handle over {n * len(raws)} events: top functions by own time "
        f"(total {total / (n * len(raws)) * 1e6:.0f} µs/event, inflated by the profiler)\n"
    )
    rows = sorted(((v[2], v[3], k) for k, v in stats.stats.items()), reverse=True)  # type: ignore[attr-defined]
    for tt, ct, k in rows[:15]:
        where = f"{os.path.basename(k[0])}:{k[1]}" if k[0] != "~" else "builtin"
        print(
            f"  {tt / total * 100:5.1f}%  own {tt / (n * len(raws)) * 1e6:6.1f} µs  cum {ct / (n * len(raws)) * 1e6:6.1f}"
            f"  {k[2]}  ({where})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", default="threads,caller,worker")
    ap.add_argument("--harness", default=None)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--cg-k", type=int, default=40)
    ap.add_argument("--n", type=int, default=400, help="calls per measurement (caller, worker)")
    ap.add_argument("--keep", default=None, help="work in this (new) dir and keep it (callgrind dumps)")
    a = ap.parse_args()
    parts = a.part.split(",")
    with tempfile.TemporaryDirectory(prefix="aw-profile-") as tmp_dir:
        tmp = tmp_dir
        if a.keep:
            os.makedirs(a.keep)
            tmp = a.keep
        harness = copy_harness(find_harness(a.harness), tmp)
        if "threads" in parts:
            part_threads(harness, tmp, [s for s in a.scenarios.split(",") if s], a.cg_k)
        if "caller" in parts:
            part_caller(harness, tmp, a.n)
        if "worker" in parts:
            part_worker(harness, tmp, a.n)


if __name__ == "__main__":
    main()
