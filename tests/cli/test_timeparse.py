from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentwatch.cli.timeparse import describe_since, parse_since

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 10 M ", timedelta(minutes=10)),
    ],
)
def test_durations_count_back_from_now(text: str, back: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - back


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-30T09:15:00Z", datetime(2025, 1, 30, 9, 15, tzinfo=UTC)),
        ("2025-01-30T10:15:00+01:00", datetime(2025, 1, 30, 9, 15, tzinfo=UTC)),
        ("2025-01-30", datetime(2025, 1, 30).astimezone().astimezone(UTC)),  # naive: local time
    ],
)
def test_iso_times_are_absolute(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["abc", "", "24", "h", "-5m", "3y", "2025-13-01"])
def test_anything_else_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"30s, 15m, 24h, 7d, 2w"):
        parse_since(text, NOW)


def test_titles_name_the_window() -> None:
    assert describe_since("24h") == "last 24h"
    assert describe_since("2025-01-30") == "since 2025-01-30"
