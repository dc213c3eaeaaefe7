"""The month-end forecast: exact on a steady history, wider on a noisy one, absent without history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agentwatch.analysis.forecast import month_end_forecast

NOON_10TH = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _days(values: list[float], end: date = date(2026, 11, 10)) -> dict[date, float]:
    """``values`` for the days before ``end``, oldest first; ``end`` itself spent 1.0 so far."""
    days = {end - timedelta(days=len(values) - i): v for i, v in enumerate(values)}
    days[end] = 1.0
    return days


def test_a_steady_spend_is_projected_exactly() -> None:
    forecast = month_end_forecast(_days([2.0] * 9), NOON_10TH)
    assert forecast is not None
    # Nov 1-9 at $2 plus $1 today = $19; then half of today and 20 more days at $2 = $41.
    assert forecast.spent_usd == pytest.approx(19.0)
    assert forecast.forecast_usd == pytest.approx(19.0 + 20.5 * 2.0)
    assert forecast.low_usd == pytest.approx(forecast.forecast_usd)  # no scatter, no doubt
    assert (forecast.days, forecast.method, forecast.month) == (9, "trend", "2026-11")


def test_a_rising_trend_is_extended_and_noise_widens_the_interval() -> None:
    rising = month_end_forecast(_days([1, 2, 3, 4, 5, 6, 7, 8, 9.0]), NOON_10TH)
    noisy = month_end_forecast(_days([1, 9, 2, 8, 3, 7, 4, 6, 5.0]), NOON_10TH)
    assert rising is not None and noisy is not None
    assert rising.forecast_usd == pytest.approx(sum(range(1, 10)) + 1 + 0.5 * 10 + sum(range(11, 31)))
    assert noisy.low_usd < noisy.forecast_usd < noisy.high_usd
    assert noisy.high_usd - noisy.low_usd > rising.high_usd - rising.low_usd
    assert noisy.low_usd >= noisy.spent_usd


def test_too_little_history_gives_no_forecast() -> None:
    assert month_end_forecast({}, NOON_10TH) is None
    assert month_end_forecast(_days([3.0]), NOON_10TH) is None
    two = month_end_forecast(_days([2.0, 4.0]), NOON_10TH)
    assert two is not None and two.method == "mean" and two.low_usd < two.high_usd
