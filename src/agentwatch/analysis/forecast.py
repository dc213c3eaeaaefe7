"""Month-end spend forecast: what this month will cost, from the recent daily trend, with its uncertainty.

Spend so far this month is known. The rest is projected from the last ``window`` complete
days (UTC), counted from the first day with any spend: a least-squares line through the daily
totals (with fewer than 3 days, their mean), extended to the month's remaining days (the rest
of today counted pro rata). The interval is the 90% prediction interval of that sum, the
day-to-day scatter of the fit and the uncertainty of the line itself both included, so a
short or noisy history gives a wide interval. It is clipped at the spend already made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Forecast", "month_end_forecast"]

Z90 = 1.6449  # two-sided 90% normal quantile
WINDOW_DAYS = 14


@dataclass(frozen=True, slots=True)
class Forecast:
    month: str  # YYYY-MM (UTC)
    spent_usd: float  # month to date
    forecast_usd: float  # month-end point estimate
    low_usd: float  # 90% interval
    high_usd: float
    days: int  # complete days the projection is fitted on
    method: str  # "trend" (least squares) or "mean"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_end_forecast(
    daily: Mapping[date, float], now: datetime, *, window: int = WINDOW_DAYS
) -> Forecast | None:
    """The forecast for ``now``'s month from daily spend (UTC days); None with under 2 days of history."""
    now = now.astimezone(UTC)
    today = now.date()
    first = min((day for day, cost in daily.items() if cost > 0), default=None)
    if first is None:
        return None
    start = max(first, today - timedelta(days=window))
    history = [daily.get(start + timedelta(days=i), 0.0) for i in range((today - start).days)]
    n = len(history)
    if n < 2:
        return None
    month_start = today.replace(day=1)
    spent = sum(cost for day, cost in daily.items() if month_start <= day <= today)
    xs = range(n)
    mean_x = (n - 1) / 2
    mean_y = sum(history) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    trend = n >= 3
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, history, strict=True)) / sxx if trend else 0.0
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, history, strict=True))
    variance = residual / (n - (2 if trend else 1))
    # The rest of today (a fraction of a day) and every later day of the month.
    rest_of_today = (datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC) - now) / timedelta(
        days=1
    )
    remaining = (_next_month(today) - today).days - 1
    future = [(float(n), rest_of_today)] + [(float(n + 1 + i), 1.0) for i in range(remaining)]
    weight = sum(w for _, w in future)
    projected = sum(w * (intercept + slope * x) for x, w in future)
    spread = sum(w * (x - mean_x) for x, w in future)
    var_sum = variance * (weight + weight**2 / n + (spread**2 / sxx if trend else 0.0))
    margin = Z90 * math.sqrt(var_sum)
    return Forecast(
        month=today.strftime("%Y-%m"),
        spent_usd=spent,
        forecast_usd=spent + max(projected, 0.0),
        low_usd=spent + max(projected - margin, 0.0),
        high_usd=spent + max(projected + margin, 0.0),
        days=n,
        method="trend" if trend else "mean",
    )
