"""The Grafana dashboard queries only metrics (and labels) that agentwatch.metrics exports."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentwatch.metrics import Metrics
from agentwatch.model import Anomaly, Cost, ErrorInfo, LLMCall, Severity, Status, Usage
from agentwatch.runtime import MonitorStatus
from tests.metrics_scrape import scrape, serving

DASHBOARD = Path(__file__).parents[1] / "deploy" / "grafana" / "agentwatch.json"

#: Added by Prometheus at scrape time (``instance``) or part of histograms (``le``).
SCRAPE_LABELS = {"instance", "job", "le"}
KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}


def exercised_metrics() -> Metrics:
    """Every metric with at least one series: an ok call with tokens and cost, a failure, an anomaly."""
    now = datetime.now(UTC)
    common: dict[str, Any] = {
        "trace_id": "t",
        "span_id": "s",
        "provider": "openai",
        "operation": "chat",
        "request_model": "gpt-4o-mini",
        "start_time": now,
        "end_time": now,
        "latency_ms": 120.0,
    }
    status = MonitorStatus(0, 2, 2, 0, 0, 0, {}, spooled=0, sent=2)
    metrics = Metrics(status=lambda: status, max_models=0)  # max_models=0: the overflow counter has a series
    metrics.observe(
        LLMCall(
            event_id="1", usage=Usage(input_tokens=10, output_tokens=5), cost=Cost(total_usd=0.01), **common
        )
    )
    metrics.observe(LLMCall(event_id="2", status=Status.ERROR, error=ErrorInfo(type="APIError"), **common))
    metrics.observe_anomalies(
        [Anomaly(anomaly_id="a", type="request_failure", severity=Severity.HIGH, description="")]
    )
    return metrics


def queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    variables = [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs + variables


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression (or a Grafana label_values() query)."""
    text = re.sub(r'"[^"]*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", text)  # grouping labels
    text = re.sub(r"label_values\((\w+)\s*,\s*\w+\)", r"\1", text)  # Grafana: (metric, label)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)", text):
        if match.group(1) is None and match.group(0) not in KEYWORDS:
            names.add(match.group(0))
    return names


def label_names(expr: str) -> set[str]:
    """Labels the expression groups by, matches on, or asks label_values() for."""
    grouped = re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
    matched = re.findall(r"[{,]\s*(\w+)\s*=~?", expr)
    asked = re.findall(r"label_values\([^,]+,\s*(\w+)\)", expr)
    return {name.strip() for group in grouped for name in group.split(",")} | set(matched) | set(asked)


def test_the_expression_parser_finds_metrics_and_labels() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, model) (rate(x_bucket{provider=~"$provider"}[$__rate_interval]))) * 3600'
    assert metric_names(expr) == {"x_bucket"}
    assert label_names(expr) == {"le", "model", "provider"}
    assert metric_names("label_values(a_total, provider)") == {"a_total"}


def test_every_metric_and_label_in_the_dashboard_is_exported() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    with serving(exercised_metrics()) as url:
        samples, _ = scrape(url)
    exported: dict[str, set[str]] = {}
    for name, labels in samples:
        exported.setdefault(name, set()).update(label for label, _ in labels)

    used = set()
    for expr in queries(dashboard):
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        missing = names - exported.keys()
        assert not missing, f"{expr!r} uses {missing}, which agentwatch does not export"
        labels = set().union(*(exported[name] for name in names)) | SCRAPE_LABELS
        assert label_names(expr) <= labels, f"{expr!r} uses labels {label_names(expr) - labels}"
        used |= names
    families = {re.sub(r"_(bucket|sum|count|total|created)$", "", name) for name in exported}
    shown = {re.sub(r"_(bucket|sum|count|total|created)$", "", name) for name in used}
    assert families - shown == set(), "every exported metric has a panel"


def test_panels_are_laid_out_and_have_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"
