"""agentwatch: monitor AI agents and the LLM calls they make.

``agentwatch.instrument(client)`` monitors an ``openai`` or ``anthropic`` client;
``agentwatch.trace(...)`` labels the calls made inside it. See the README for the rest.
"""

from __future__ import annotations

from agentwatch.analysis import AnomalyDetector
from agentwatch.api import configure, flush, get_monitor, instrument, shutdown, status, uninstrument
from agentwatch.compat import (
    AnthropicCollector,
    EventAggregator,
    EventProcessor,
    EventStorage,
    OpenAICollector,
)
from agentwatch.config import ConfigError, Settings
from agentwatch.context import current_trace, trace
from agentwatch.detectors import scan
from agentwatch.model import Anomaly, LLMCall, Usage

__version__ = "0.1.0"

__all__ = [
    "Anomaly",
    "AnomalyDetector",
    "AnthropicCollector",
    "ConfigError",
    "EventAggregator",
    "EventProcessor",
    "EventStorage",
    "LLMCall",
    "OpenAICollector",
    "Settings",
    "Usage",
    "__version__",
    "configure",
    "current_trace",
    "flush",
    "get_monitor",
    "instrument",
    "scan",
    "shutdown",
    "status",
    "trace",
    "uninstrument",
]
