"""The one thing pyproject.toml cannot declare: the optional C extension of the injection detectors.

``optional=True``: without a compiler (or Python headers) the build warns and goes on, and the
package runs on its pure-Python code (``agentwatch.detectors.injection.speedups``, which then logs
a warning when imported). With ``AGENTWATCH_REQUIRE_SPEEDUPS`` set (to anything but "" or "0", as
``.ci/run`` does) the extension is required: a build that cannot compile it fails.
"""

import os
from pathlib import Path

from setuptools import Extension, setup

CSRC = Path("csrc/injection")  # speedups.h says what each file does
SOURCES = ["module.c", "words.c", "table.c", "lexicon.c", "triggers.c", "confusables.c", "runs.c"]
REQUIRED = os.environ.get("AGENTWATCH_REQUIRE_SPEEDUPS", "") not in ("", "0")

setup(
    ext_modules=[
        Extension(
            "agentwatch.detectors.injection._speedups",
            sources=[str(CSRC / name) for name in SOURCES],
            depends=[str(CSRC / "speedups.h")],
            optional=not REQUIRED,
        )
    ]
)
