"""The one thing pyproject.toml cannot declare: the optional C extension of the injection detectors.

``optional=True``: without a compiler (or Python headers) the build warns and goes on, and the
package runs on its pure-Python code (``agentwatch.detectors.injection.speedups``).
"""

from pathlib import Path

from setuptools import Extension, setup

CSRC = Path("csrc/injection")  # speedups.h says what each file does
SOURCES = ["module.c", "words.c", "table.c", "lexicon.c", "triggers.c", "confusables.c", "runs.c"]

setup(
    ext_modules=[
        Extension(
            "agentwatch.detectors.injection._speedups",
            sources=[str(CSRC / name) for name in SOURCES],
            depends=[str(CSRC / "speedups.h")],
            optional=True,
        )
    ]
)
