"""repeated_calls: the same request, or the same tool call, again and again — an agent in a loop.

Calls are grouped by who makes them (the agent, else the trace when inside one, else the user,
else the whole process) and by fingerprint (see :mod:`agentwatch.analysis.fingerprint`). The rule
fires once when ``repeat_threshold`` identical calls fall within ``repeat_window_s`` and re-arms
when the group's window empties below the threshold.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from agentwatch.analysis.evidence import Evidence, model_scope
from agentwatch.analysis.settings import AnomalySettings
from agentwatch.model import Anomaly, LLMCall


def caller(event: LLMCall) -> dict[str, str]:
    if event.agent:
        return {"agent": event.agent}
    if event.trace_name:
        return {"trace": event.trace_id, "trace_name": event.trace_name}
    if event.user_id:
        return {"user": event.user_id}
    return {}


class RepeatRule:
    def __init__(self, settings: AnomalySettings, evidence: Evidence, max_groups: int = 10_000) -> None:
        self.settings = settings
        self.evidence = evidence
        self.max_groups = max_groups
        self._groups: OrderedDict[tuple[str, ...], tuple[deque[tuple[float, str]], list[bool]]] = (
            OrderedDict()
        )

    def observe(self, event: LLMCall) -> list[Anomaly]:
        s = self.settings
        if not s.enabled_type("repeated_calls"):
            return []
        who = caller(event)
        found = []
        for what, fp in (("request", event.prompt_fingerprint), ("tool call", event.tool_fingerprint)):
            if fp is None:
                continue
            key = (what, fp, *who.values())
            times, fired = self._group(key)
            ts = event.start_time.timestamp()
            times.append((ts, event.event_id))
            while times and times[0][0] <= ts - s.repeat_window_s:
                times.popleft()
            if len(times) < s.repeat_threshold:
                fired[0] = False
            elif not fired[0]:
                fired[0] = True
                scope = {**model_scope(event), **who}
                found.append(
                    self.evidence.anomaly(
                        "repeated_calls",
                        f"The same {what} {len(times)} times in {s.repeat_window_s:g}s",
                        scope=scope,
                        event_ids=[i for _, i in times][-10:],
                        observed=len(times),
                        threshold=s.repeat_threshold,
                        window=f"{s.repeat_window_s:g}s",
                        key=(what, fp),
                    )
                )
        return found

    def _group(self, key: tuple[str, ...]) -> tuple[deque[tuple[float, str]], list[bool]]:
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (deque(maxlen=max(self.settings.repeat_threshold * 4, 64)), [False])
            if len(self._groups) > self.max_groups:
                self._groups.popitem(last=False)
        else:
            self._groups.move_to_end(key)
        return group
