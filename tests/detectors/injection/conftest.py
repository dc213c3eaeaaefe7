"""The labelled injection data sets, which the evaluation tests read from ``../shared/datasets``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from evals.injection.data import DEFAULT_ROOT


@pytest.fixture
def injection_datasets() -> Path:
    """Their folder. Missing, the test is skipped on a developer's machine and fails in CI
    (``.ci/run`` sets ``AGENTWATCH_REQUIRE_DATASETS``), so CI never passes without running it."""
    if DEFAULT_ROOT.is_dir():
        return DEFAULT_ROOT
    message = f"injection datasets not found at {DEFAULT_ROOT} (set AGENTWATCH_DATASETS)"
    if os.environ.get("AGENTWATCH_REQUIRE_DATASETS"):
        pytest.fail(message)
    pytest.skip(message)
