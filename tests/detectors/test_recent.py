"""A second scan of a text reads back what the built-in detectors found in the first (``remember``)."""

from __future__ import annotations

import pytest

from agentwatch.detectors import DetectorRegistry
from agentwatch.detectors.recent import RECENT_TEXTS
from agentwatch.model import Finding

TEXT = "Call +48 601 234 567 or mail jan@example.pl"


class Counting:
    """A plugin: never read back, since nothing says it is a pure function of the text."""

    name, kind = "custom.counting", "pii"

    def __init__(self) -> None:
        self.calls = 0

    def scan(self, text: str) -> list[Finding]:
        self.calls += 1
        return [Finding(kind="pii", type="thing", detector=self.name, start=0, end=4)]


def _registry(*extra: object) -> DetectorRegistry:
    return DetectorRegistry(["agentwatch.detectors.pii:detectors", lambda: list(extra)], plugins=False)


def _count_calls(registry: DetectorRegistry, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls: dict[str, int] = {}
    for detector in registry.detectors:
        scan = detector.scan

        def counted(text: str, scan: object = scan, name: str = detector.name) -> list[Finding]:
            calls[name] = calls.get(name, 0) + 1
            return scan(text)  # type: ignore[operator]

        monkeypatch.setattr(detector, "scan", counted)
    return calls


def test_a_remembered_scan_is_read_back_as_new_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _registry()
    calls = _count_calls(registry, monkeypatch)
    first = registry.scan(TEXT, remember=True)
    assert [f.type for f in first] == ["phone", "email"]
    ran = dict(calls)
    for finding in first:
        finding.location = "response"  # what the detector stage does to its findings
    phone = [d for d in registry.detectors if d.name == "pii.phone"]
    again = registry.scan(TEXT, only=phone, strict=True)
    assert calls == ran  # read back, not run
    assert [(f.type, f.location, f.start, f.end, f.score) for f in again] == [("phone", "prompt", 5, 20, 1.0)]
    assert again[0] is not first[0]


def test_scans_without_findings_or_without_remember_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _registry()
    calls = _count_calls(registry, monkeypatch)
    registry.scan("nothing here", remember=True)
    registry.scan(TEXT)
    before = sum(calls.values())
    registry.scan(TEXT)
    registry.scan("nothing here")
    assert sum(calls.values()) > before


def test_plugins_always_run_and_the_memory_is_bounded() -> None:
    counting = Counting()
    registry = _registry(counting)
    registry.scan(TEXT, remember=True)
    registry.scan(TEXT, strict=True)
    assert counting.calls == 2
    for i in range(RECENT_TEXTS + 1):
        registry.scan(f"{TEXT} {i}", remember=True)
    assert registry._recent.get(TEXT) is None
    assert registry._recent.get(f"{TEXT} {RECENT_TEXTS}") is not None


def test_a_detector_that_failed_runs_again() -> None:
    class Flaky:
        name, kind = "pii.flaky", "pii"  # a name like a built-in's; the module decides, not the name

        def __init__(self) -> None:
            self.calls = 0

        def scan(self, text: str) -> list[Finding]:
            self.calls += 1
            raise RuntimeError("bug")

    flaky = Flaky()
    registry = _registry(flaky)
    assert [f.type for f in registry.scan(TEXT, remember=True)] == ["phone", "email"]
    with pytest.raises(RuntimeError):
        registry.scan(TEXT, strict=True)
    assert flaky.calls == 2 and registry.failures == {"pii.flaky": 2}


def test_registering_a_factory_forgets_the_scans() -> None:
    registry = _registry()
    registry.scan(TEXT, remember=True)
    registry.register(lambda: [Counting()])
    assert [f.type for f in registry.scan(TEXT)] == ["thing", "phone", "email"]
    assert registry._recent.get(TEXT) is None
