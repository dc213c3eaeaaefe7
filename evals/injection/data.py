"""The injection datasets in ``../shared/datasets/injection`` and the one documented split.

Split (deterministic; see evals/README.md):

- **train**: deepset/prompt-injections ``train`` (546 texts, English + German), the half of
  PromptShield ``validation.json`` whose ``zlib.crc32(text) % 2 == 0``, and the quarters of the
  Dolly and WildGuard benign pools whose ``crc32 % 4 == 0`` (realistic benign instructions and
  chat: the other training sets have few).
- **validation**: the other half of PromptShield ``validation.json``,
  PIGuard ``valid.json`` minus its rows that are copies of NotInject / held-out WildGuard rows,
  and the Dolly and WildGuard quarters with ``crc32 % 4 == 1``.
- **held out** (never seen by training or threshold choice): deepset ``test``, NotInject 1-3,
  the remaining halves of Dolly and WildGuard (``crc32 % 4 in {2, 3}``), CyberSecEval (PurpleLlama)
  prompt injection, JailbreakBench artifacts. NotInject is an entirely unseen benign distribution;
  the Dolly and WildGuard halves are unseen texts from distributions seen in training.

One more benign set for the evaluation only, not from ``shared/``: the docstrings of a fixed list of standard-library modules
of the running Python (technical English full of code, "ignore", "override", "prompt", "system"),
for false positives on developer traffic.

Any train/validation text whose normalised form also occurs in a held-out set is dropped.

How the two are used (``evals/injection/train.py``): the shipped classifier is trained on training
and validation together, and the threshold is chosen on out-of-fold scores over both (5 folds by
``crc32 % 5``: each text is scored by a model that did not see it). Until 2026-11-27 the classifier
learnt from the training split only and the validation split served only the threshold. The
classifier also learns from ``sklearn_docs()`` (benign technical text, not from ``shared/``), which
plays no part in the threshold.
"""

from __future__ import annotations

import json
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """``$AGENTWATCH_DATASETS/injection``, else ``shared/datasets/injection`` beside the repo (or its parent)."""
    if env := os.environ.get("AGENTWATCH_DATASETS"):
        return Path(env) / "injection"
    candidates = [base / "shared" / "datasets" / "injection" for base in (_REPO.parent, _REPO.parent.parent)]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DEFAULT_ROOT = default_root()


@dataclass(frozen=True)
class Sample:
    text: str
    label: int  # 1 = injection / jailbreak, 0 = benign
    source: str


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _json(path: Path) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _parquet(path: Path, source: str) -> list[Sample]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pq.read_table(path, columns=["text", "label"]).to_pylist()
    return [Sample(str(row["text"]), int(row["label"]), source) for row in table]


def _deepset(root: Path, part: str) -> list[Sample]:
    (path,) = sorted((root / "deepset_prompt_injections").glob(f"{part}-*.parquet"))
    return _parquet(path, f"deepset_{part}")


def held_out(root: Path = DEFAULT_ROOT) -> dict[str, list[Sample]]:
    """Held-out sets by name: attack sets, benign pools, and deepset test (both labels)."""
    notinject: list[Sample] = []
    for part in ("one", "two", "three"):
        rows = _json(root / "notinject_piguard" / f"NotInject_{part}.json")
        notinject += [Sample(str(r["prompt"]), 0, "notinject") for r in rows]
    wildguard = [s for s in _wildguard(root) if crc(s.text) % 4 >= 2]
    dolly = [s for s in _dolly(root) if crc(s.text) % 4 >= 2]
    cyberseceval = [
        Sample(str(r["user_input"]), 1, f"cyberseceval_{r['injection_type']}")
        for r in _json(root / "promptshield" / "purplellama_prompt_injection.json")
    ]
    jailbreakbench: list[Sample] = []
    for path in sorted((root / "jailbreakbench_artifacts").glob("*.json")):
        method = json.loads(path.read_text(encoding="utf-8"))["parameters"]["method"]
        for row in json.loads(path.read_text(encoding="utf-8"))["jailbreaks"]:
            if row["prompt"]:
                jailbreakbench.append(Sample(row["prompt"], 1, f"jailbreakbench_{method}"))
    return {
        "deepset_test": _deepset(root, "test"),
        "cyberseceval": cyberseceval,
        "jailbreakbench": jailbreakbench,
        "notinject": notinject,
        "wildguard": wildguard,
        "dolly": dolly,
    }


#: Standard-library modules whose docstrings make the ``python_docs`` benign set.
_DOC_MODULES = (
    "argparse",
    "asyncio",
    "base64",
    "cmd",
    "code",
    "codecs",
    "collections",
    "concurrent.futures",
    "configparser",
    "contextlib",
    "csv",
    "dataclasses",
    "datetime",
    "difflib",
    "email.message",
    "enum",
    "functools",
    "getpass",
    "glob",
    "hashlib",
    "html.parser",
    "http.client",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "logging",
    "multiprocessing",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "platform",
    "pprint",
    "queue",
    "random",
    "re",
    "sched",
    "secrets",
    "selectors",
    "shutil",
    "signal",
    "smtplib",
    "socket",
    "sqlite3",
    "ssl",
    "statistics",
    "string",
    "subprocess",
    "sys",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "timeit",
    "traceback",
    "typing",
    "unittest",
    "urllib.request",
    "uuid",
    "warnings",
    "xml.etree.ElementTree",
    "zipfile",
)


def python_docs() -> list[Sample]:
    """Docstrings (80+ characters, first 1,500) of the standard library's public names, deduplicated."""
    import importlib
    import inspect

    texts: dict[str, None] = {}
    with warnings.catch_warnings():  # deprecated names (typing.io) warn when their docstring is read
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in _DOC_MODULES:
            module = importlib.import_module(name)
            for _, member in inspect.getmembers(module):
                doc = inspect.getdoc(member)
                if doc and len(doc) >= 80:
                    texts[doc[:1500]] = None
    return [Sample(text, 0, "python_docs") for text in texts]


#: scikit-learn modules (pinned by the ``eval`` extra) whose docstrings make the ``sklearn_docs`` benign
#: *training* texts: technical English about code ("ignored", "override", "prompt"), which the
#: datasets lack. Distinct from ``python_docs`` (standard library, evaluation only).
_SKLEARN_MODULES = (
    "sklearn.base",
    "sklearn.calibration",
    "sklearn.cluster",
    "sklearn.compose",
    "sklearn.covariance",
    "sklearn.cross_decomposition",
    "sklearn.datasets",
    "sklearn.decomposition",
    "sklearn.discriminant_analysis",
    "sklearn.dummy",
    "sklearn.ensemble",
    "sklearn.exceptions",
    "sklearn.feature_extraction",
    "sklearn.feature_extraction.image",
    "sklearn.feature_extraction.text",
    "sklearn.feature_selection",
    "sklearn.gaussian_process",
    "sklearn.gaussian_process.kernels",
    "sklearn.impute",
    "sklearn.inspection",
    "sklearn.isotonic",
    "sklearn.kernel_approximation",
    "sklearn.kernel_ridge",
    "sklearn.linear_model",
    "sklearn.manifold",
    "sklearn.metrics",
    "sklearn.metrics.pairwise",
    "sklearn.mixture",
    "sklearn.model_selection",
    "sklearn.multiclass",
    "sklearn.multioutput",
    "sklearn.naive_bayes",
    "sklearn.neighbors",
    "sklearn.neural_network",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.random_projection",
    "sklearn.semi_supervised",
    "sklearn.svm",
    "sklearn.tree",
    "sklearn.utils",
)


def sklearn_docs() -> list[Sample]:
    """Benign training texts: docstrings (80+ characters, first 1,500) of scikit-learn's public names,
    deduplicated, minus any that also occur in ``python_docs`` (kept unseen for the evaluation)."""
    import importlib
    import inspect

    unseen = {_key(s.text) for s in python_docs()}
    texts: dict[str, None] = {}
    for name in _SKLEARN_MODULES:
        module = importlib.import_module(name)
        for member_name, member in inspect.getmembers(module):
            doc = inspect.getdoc(member)
            if not member_name.startswith("_") and doc and len(doc) >= 80 and _key(doc[:1500]) not in unseen:
                texts[doc[:1500]] = None
    return [Sample(text, 0, "sklearn_docs") for text in texts]


def crc(text: str) -> int:
    """CRC-32 of the UTF-8 text: the split's (and the training folds') deterministic hash."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _dolly(root: Path) -> list[Sample]:
    samples = []
    for line in (root / "promptshield" / "dolly_benign.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        samples.append(Sample(row["instruction"] + (f"\n{row['input']}" if row["input"] else ""), 0, "dolly"))
    return samples


def _wildguard(root: Path) -> list[Sample]:
    return [
        Sample(str(r["prompt"]), 0, "wildguard") for r in _json(root / "notinject_piguard" / "wildguard.json")
    ]


def _promptshield_halves(root: Path) -> tuple[list[Sample], list[Sample]]:
    halves: tuple[list[Sample], list[Sample]] = ([], [])
    for row in _json(root / "promptshield" / "validation.json"):
        text = str(row["prompt"])
        sample = Sample(text, int(str(row["label"])), "promptshield")
        halves[crc(text) % 2].append(sample)
    return halves


def _without(samples: list[Sample], seen: set[str]) -> list[Sample]:
    return [s for s in samples if _key(s.text) not in seen]


def train_and_validation(root: Path = DEFAULT_ROOT) -> tuple[list[Sample], list[Sample]]:
    """The training and validation sets, with anything that also occurs in a held-out set removed."""
    seen = {_key(s.text) for samples in held_out(root).values() for s in samples}
    ps_train, ps_valid = _promptshield_halves(root)
    piguard = [
        Sample(str(r["prompt"]), int(str(r["label"])), f"piguard_{r['source']}")
        for r in _json(root / "notinject_piguard" / "valid.json")
    ]
    pools = _dolly(root) + _wildguard(root)
    train = _deepset(root, "train") + ps_train + [s for s in pools if crc(s.text) % 4 == 0]
    valid = ps_valid + piguard + [s for s in pools if crc(s.text) % 4 == 1]
    return _without(train, seen), _without(valid, seen)
