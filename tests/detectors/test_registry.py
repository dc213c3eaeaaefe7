"""The detector registry: plugins, isolation of a failing detector, ordering, and hostile input."""

from __future__ import annotations

import base64
import time

import agentwatch
from agentwatch.detectors import Detector, DetectorRegistry, default_registry
from agentwatch.model import Finding


class Shouting:
    """A third-party detector: any all-caps word of five letters or more."""

    name = "custom.shouting"
    kind = "tone"

    def scan(self, text: str) -> list[Finding]:
        found, at = [], 0
        for word in text.split(" "):
            if len(word) >= 5 and word.isupper():
                found.append(
                    Finding(kind=self.kind, type="shouting", detector=self.name, start=at, end=at + len(word))
                )
            at += len(word) + 1
        return found


class Broken:
    name = "custom.broken"
    kind = "pii"

    def scan(self, text: str) -> list[Finding]:
        raise RuntimeError("bug in a plugin")


def shouting() -> list[Detector]:
    return [Shouting()]


def test_builtin_families_are_registered_like_plugins() -> None:
    names = {d.name for d in default_registry().detectors}
    assert {"pii.email", "pii.phone", "pii.iban", "secret.openai_key", "secret.jwt"} <= names
    assert all(isinstance(d, Detector) for d in default_registry().detectors)


def test_a_registered_factory_runs_beside_the_builtins_and_findings_are_sorted() -> None:
    registry = DetectorRegistry(["agentwatch.detectors.pii:detectors"], plugins=False)
    registry.register(shouting)
    text = "mail jan@example.com NOW PLEASE"
    assert [(f.type, f.start) for f in registry.scan(text)] == [("email", 5), ("shouting", 25)]


def test_a_failing_detector_or_factory_is_skipped_and_counted() -> None:
    def broken_factory() -> list[Detector]:
        raise ImportError("missing optional dependency")

    registry = DetectorRegistry(
        [lambda: [Broken()], broken_factory, "agentwatch.detectors.pii:detectors"], plugins=False
    )
    assert [f.type for f in registry.scan("a@example.com")] == ["email"]
    registry.scan("b@example.com")
    assert registry.failures == {"custom.broken": 2}


def test_a_detector_listed_twice_runs_once() -> None:
    registry = DetectorRegistry([shouting, shouting], plugins=False)
    assert len(registry.scan("HELLO THERE")) == 2


def test_public_scan_runs_every_family() -> None:
    found = agentwatch.scan("key sk-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z" + " mail a@example.com")
    assert {(f.kind, f.type) for f in found} >= {("secret", "openai_key"), ("pii", "email")}


def test_hostile_input_never_raises() -> None:
    lone_surrogates = "card \udcff\ud800 4111 1111 1111 1111 \udc80"
    control = "\x00\x01\x02 +48 601 234 567 \x7f" * 3
    digits = "4" * 100_000
    separators = "1-" * 50_000
    mixed = ("+(" * 10_000) + ("1 " * 10_000)
    for text in (lone_surrogates, control, digits, separators, mixed, "", "\n" * 10_000):
        assert isinstance(agentwatch.scan(text), list)
    assert [f.type for f in agentwatch.scan(lone_surrogates)] == ["credit_card"]


def _nested_jwt_header(depth: int) -> str:
    raw = b'{"alg":"HS256","a":' + b"[" * depth
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_no_builtin_detector_raises_on_hostile_input() -> None:
    """The registry would swallow the exception, but the detector's findings in that text are lost."""
    hostile = {
        "kelvin sign in an IBAN": "IBAN DE89 3704 0044 0532 0130 \u212a0 and DE89370400440532013000",
        "deeply nested JWT header": f"x {_nested_jwt_header(100_000)}.eyJhIjoxfQ.sig",
    }
    for name, text in hostile.items():
        for detector in default_registry().detectors:
            try:
                detector.scan(text)
            except Exception as exc:  # pragma: no cover - the failure being tested for
                raise AssertionError(f"{detector.name} raised on {name}: {exc!r}") from exc


def test_many_unterminated_private_key_headers_scan_in_linear_time() -> None:
    detector = next(d for d in default_registry().detectors if d.name == "secret.private_key")
    text = "-----BEGIN RSA PRIVATE KEY-----\n" * 6_000  # 192,000 characters, within max_chars
    started = time.process_time()
    assert detector.scan(text) == []
    assert time.process_time() - started < 0.5  # quadratic: several seconds
