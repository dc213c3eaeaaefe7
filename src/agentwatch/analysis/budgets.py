"""budget_exceeded: a user's or an agent's spend in a UTC day or month above its budget.

Spend is kept in memory per (user|agent, name, period). The first time a period is seen it is
read from the store's rollups (``spent``), which already hold the batch being analysed, so a
restarted process keeps counting where the last one stopped and the batch is not counted twice.
Each budget fires once per period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from agentwatch.analysis.evidence import Evidence
from agentwatch.analysis.rules import cost_of
from agentwatch.analysis.settings import AnomalySettings, BudgetSettings
from agentwatch.model import Anomaly, LLMCall

#: (kind "user"|"agent", name, period start, period end) -> USD spent in the period, from the store.
SpendLookup = Callable[[str, str, datetime, datetime], float]


def period_start(day: date, period: str) -> date:
    return day if period == "day" else day.replace(day=1)


def period_bounds(start: date, period: str) -> tuple[datetime, datetime]:
    """The period's first and last moments (UTC): a late event's period must not count later spend."""
    if period == "day":
        end = start + timedelta(days=1)
    else:
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return first, datetime(end.year, end.month, end.day, tzinfo=UTC) - timedelta(microseconds=1)


class BudgetRule:
    def __init__(self, settings: AnomalySettings, budgets: BudgetSettings, evidence: Evidence) -> None:
        self.settings = settings
        self.budgets = budgets
        self.evidence = evidence
        self._spent: dict[tuple[str, str, str, date], float] = {}
        self._fired: set[tuple[str, str, str, date]] = set()

    @property
    def active(self) -> bool:
        return self.budgets.any and self.settings.enabled_type("budget_exceeded")

    def observe_batch(self, events: list[LLMCall], spent: SpendLookup | None = None) -> list[Anomaly]:
        if not self.active:
            return []
        found: list[Anomaly] = []
        seeded: set[tuple[str, str, str, date]] = set()
        for event in events:
            cost = cost_of(event)
            if cost is None:
                continue
            day = event.start_time.astimezone(UTC).date()
            for kind, name in (("user", event.user_id), ("agent", event.agent)):
                if not name:
                    continue
                limits = self.budgets.limit(kind, name)
                for period, limit in (("day", limits.daily_usd), ("month", limits.monthly_usd)):
                    if limit is None:
                        continue
                    key = (kind, name, period, period_start(day, period))
                    if key not in self._spent:
                        total = 0.0
                        if spent is not None:  # the store's total already holds this batch
                            total = spent(kind, name, *period_bounds(key[3], period))
                            seeded.add(key)
                        self._spent[key] = total  # only once known: a failed lookup is retried
                    if key not in seeded:
                        self._spent[key] += cost
                    if self._spent[key] > limit and key not in self._fired:
                        self._fired.add(key)
                        found.append(self._anomaly(event, key, limit))
        return found

    def _anomaly(self, event: LLMCall, key: tuple[str, str, str, date], limit: float) -> Anomaly:
        kind, name, period, start = key
        label = start.strftime("%Y-%m-%d" if period == "day" else "%Y-%m")
        spent = self._spent[key]
        return self.evidence.anomaly(
            "budget_exceeded",
            f"{kind.capitalize()} {name} spent ${spent:.2f} in {label}, above the {period}ly budget of ${limit:.2f}"
            if period == "month"
            else f"{kind.capitalize()} {name} spent ${spent:.2f} on {label}, above the daily budget of ${limit:.2f}",
            scope={kind: name},
            event_ids=[event.event_id],
            observed=spent,
            threshold=limit,
            window=label,
            key=(period, label),
        )
