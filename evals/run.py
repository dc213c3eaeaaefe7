"""``make eval``: every evaluation's table, one after the other (``python -m evals.run``)."""

from __future__ import annotations

import argparse
import importlib

#: Evaluation modules; each has ``report(**options) -> str``.
SECTIONS = ("evals.pii", "evals.injection.evaluate", "evals.speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run one section, e.g. evals.pii")
    parser.add_argument("--presidio-nlp", choices=("no_op", "spacy"), default="no_op")
    args = parser.parse_args()
    for name in SECTIONS if args.only is None else (args.only,):
        module = importlib.import_module(name)
        options = {"presidio_nlp": args.presidio_nlp} if name == "evals.pii" else {}
        print(module.report(**options), end="\n\n", flush=True)


if __name__ == "__main__":
    main()
