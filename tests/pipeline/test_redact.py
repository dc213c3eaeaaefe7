"""The redactor and its settings: modes per type or kind, overlaps, and secrets whatever the settings."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import stat
from pathlib import Path

import openai
import pytest

import agentwatch
from agentwatch.config import ConfigError, load_settings
from agentwatch.detectors import scan
from agentwatch.detectors.base import DetectorRegistry
from agentwatch.detectors.settings import RedactionSettings
from agentwatch.model import Finding
from agentwatch.pipeline import ContentPolicy, DetectorStage, Normalizer, Pipeline, RedactionStage
from agentwatch.pipeline.hashkey import HashKey
from agentwatch.pipeline.redact import Redactor
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator
from tests.pipeline.test_normalize import raw

TEXT = "Mail jan@example.pl, card 4111 1111 1111 1111, key AKIAQWERTYUIOPASDFGH."


def redact(text: str, **settings: object) -> str:
    return Redactor(RedactionSettings.model_validate(settings)).apply(text, scan(text))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "Mail [EMAIL], card [CREDIT_CARD], key [AWS_ACCESS_KEY]."),
        ({"modes": {"pii": "drop"}}, "[dropped: credit_card, email]"),
        ({"modes": {"email": "drop"}}, "[dropped: email]"),
        ({"enabled": False}, "Mail jan@example.pl, card 4111 1111 1111 1111, key [AWS_ACCESS_KEY]."),
        (
            {"enabled": False, "default": "drop"},
            "Mail jan@example.pl, card 4111 1111 1111 1111, key [AWS_ACCESS_KEY].",
        ),
    ],
)
def test_modes(settings: dict[str, object], expected: str) -> None:
    assert redact(TEXT, **settings) == expected


def test_hash_mode_is_a_keyed_hmac_so_equal_values_stay_joinable() -> None:
    digest = hmac.new(b"k", b"jan@example.pl", hashlib.sha256).hexdigest()[:12]
    assert redact("a jan@example.pl b jan@example.pl", default="hash", hash_key="k") == (
        f"a [EMAIL:{digest}] b [EMAIL:{digest}]"
    )
    assert redact("jan@example.pl", default="hash", hash_key="other") != f"[EMAIL:{digest}]"


def test_overlapping_findings_are_replaced_once() -> None:
    text = "x 0123456789 y"
    findings = [
        Finding(kind="pii", type="phone", detector="a", start=2, end=12),
        Finding(kind="pii", type="nip", detector="b", start=4, end=12),
    ]
    assert Redactor(RedactionSettings()).apply(text, findings) == "x [PHONE] y"


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("card 4111 1111 1111 1111-jan@example.pl", "jan@example.pl"),  # the card's end begins the address
        ("token: 9f8a7b6c5d4e3f2a1b0c-10.0.0.1=PL61 1090 1014 0000 0712 1981 2874", "0712 1981 2874"),
    ],
)
def test_partly_overlapping_findings_leave_nothing_of_either(text: str, leaks: str) -> None:
    spans = sorted((f.start or 0, f.end or 0) for f in scan(text) if f.kind in ("pii", "secret"))
    assert any(b[0] < a[1] < b[1] for a, b in itertools.pairwise(spans))  # a real partial overlap
    redacted = redact(text)
    assert leaks not in redacted and not any(text[s:e][-6:] in redacted for s, e in spans)


def test_redaction_settings_from_the_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "agentwatch.toml"
    config.write_text(
        '[agentwatch.redaction]\ndefault = "hash"\nmodes = { credit_card = "drop" }\n'
        '[agentwatch.detectors]\ndisabled = ["pii.ipv4"]\n',
        encoding="utf-8",
    )
    settings = load_settings(environ={}, config_file=config)
    assert settings.redaction.mode("pii", "credit_card") == "drop"
    assert settings.redaction.mode("pii", "email") == "hash"
    assert not settings.detectors.wants("pii.ipv4") and settings.detectors.wants("pii.ipv6")
    from_env = load_settings(environ={"AGENTWATCH_REDACTION": '{"default": "drop"}'}, config_file=config)
    assert from_env.redaction.default == "drop"
    with pytest.raises(ConfigError, match="redaction"):
        load_settings({"redaction": {"default": "shred"}}, environ={}, config_file=config)


class _FlakyPlugin:
    """A third-party detector plugin that finds a code name once, then fails on it (its backend went away)."""

    name = "plugin.codename"
    kind = "pii"

    def __init__(self) -> None:
        self.calls = 0

    def scan(self, text: str) -> list[Finding]:
        start = text.find("BLUEBIRD")
        if start < 0:
            return []
        self.calls += 1
        if self.calls > 1:
            raise ConnectionError("the plugin's backend is down")
        return [Finding(kind="pii", type="codename", detector=self.name, start=start, end=start + 8)]


def test_content_that_could_not_be_redacted_is_not_stored() -> None:
    plugin = _FlakyPlugin()
    registry = DetectorRegistry([lambda: [plugin]], plugins=False)
    pipeline = Pipeline(
        Normalizer(),
        [
            DetectorStage(registry=registry),
            RedactionStage(capture_content=True, registry=registry),
            ContentPolicy(True),
        ],
    )
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Operation BLUEBIRD starts Monday"}]}
    event = pipeline(raw("chat.completions", body, {"choices": [{"message": {"content": "ok"}}]}))
    assert [f.type for f in event.findings] == ["codename"]  # found, then redaction failed
    assert pipeline.failures == {"redaction": 1}
    assert event.input_messages is None and event.output_text is None  # fail closed


def test_without_a_hash_key_hashes_are_keyed_by_a_random_key_kept_beside_the_database(
    tmp_path: Path, emulator: Emulator
) -> None:
    """An unkeyed HMAC of a phone number can be found again by trying every number; the default key
    is random, kept (owner-only) beside the database, so two processes on one database agree."""
    db = tmp_path / "aw.db"
    for _ in range(2):  # two monitors in turn, as two processes would be
        agentwatch.configure(database=f"sqlite:///{db}", capture_content=True, redaction={"default": "hash"})
        client = agentwatch.instrument(openai.OpenAI(api_key="k", base_url=emulator.openai_base_url))
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "mail jan@example.pl"}]
        )
        assert agentwatch.flush(10)
        agentwatch.shutdown()
    store = SQLiteStorage(db)
    try:
        stored = [e.input_messages[0]["content"] for e in store.events(EventFilter(), 10) if e.input_messages]
    finally:
        store.close()
    key_file = tmp_path / "agentwatch-hash.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text())
    expected = hmac.new(key, b"jan@example.pl", hashlib.sha256).hexdigest()[:12]
    assert stored == [f"mail [EMAIL:{expected}]"] * 2
    unkeyed = hmac.new(b"", b"jan@example.pl", hashlib.sha256).hexdigest()[:12]
    assert unkeyed not in stored[0]


def test_an_unwritable_key_file_falls_back_to_a_key_of_the_process(tmp_path: Path) -> None:
    (tmp_path / "agentwatch-hash.key").write_text("not hex\n")
    key = HashKey(tmp_path / "agentwatch-hash.key")
    assert len(key()) == 32 and key() == key()  # no exception; one key for the process
    assert len(HashKey(None)()) == 32
