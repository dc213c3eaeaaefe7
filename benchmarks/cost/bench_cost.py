"""The cost stage per event: warm price cache vs uncached lookups, measured in the same run.

Events are real normalised events (OpenAI and Anthropic shapes, cache, reasoning, tiers,
service tiers) built from JSON payloads, no network. Variants, alternated in random order in
each round so that drift on a shared machine hits them alike:

* ``warm``: the pipeline's CostStage, price book already warm (compiled rate cards cached);
* ``uncached``: the same stage with caching off (``PriceBook(cache_size=0)``): model matching,
  price resolution and compilation on every event — the baseline;
* ``calc_price``: ``genai_prices.calc_price`` called directly per event (reference).

Prints the median time per event of each variant over ``--rounds`` rounds and its ratio to
the baseline. Wall-clock numbers move with the machine's load; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import genai_prices

from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.model import LLMCall
from agentwatch.pipeline.cost import CostStage, price_context
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pricing.book import PriceBook, price_usage, table_provider

NOW = datetime.now(UTC)

PAYLOADS: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("openai", "gpt-4o-mini", {"prompt_tokens": 1200, "completion_tokens": 300}, None),
    ("openai", "gpt-4o", {"prompt_tokens": 9000, "completion_tokens": 800,
                          "prompt_tokens_details": {"cached_tokens": 6000}}, "priority"),
    ("openai", "o3", {"prompt_tokens": 3000, "completion_tokens": 9000,
                      "completion_tokens_details": {"reasoning_tokens": 8000}}, "flex"),
    ("openai", "gpt-4.1", {"prompt_tokens": 40000, "completion_tokens": 1500}, None),
    ("anthropic", "claude-sonnet-5", {"input_tokens": 20, "output_tokens": 100, "cache_read_input_tokens": 3000,
                                      "cache_creation_input_tokens": 3000,
                                      "cache_creation": {"ephemeral_5m_input_tokens": 1000,
                                                         "ephemeral_1h_input_tokens": 2000}}, None),
    ("anthropic", "claude-haiku-5-5", {"input_tokens": 120_000, "output_tokens": 3000}, "batch"),
]  # fmt: skip


def make_events(count: int) -> list[LLMCall]:
    normalize = Normalizer(lambda n: "0" * n)
    events = []
    for i in range(count):
        provider, model, usage, tier = PAYLOADS[i % len(PAYLOADS)]
        api = "messages" if provider == "anthropic" else "chat.completions"
        if api == "messages":
            usage = usage | ({"service_tier": tier} if tier else {})
            response: dict[str, Any] = {"model": model, "usage": usage}
        else:
            response = {"model": model, "usage": usage, "service_tier": tier}
        raw = RawCall(
            api=api,
            body={"model": model, "messages": [{"role": "user", "content": "hi"}]},
            client=ClientDefaults(provider=provider),
            trace=None,
            start_wall_ns=time.time_ns(),
            start_ns=0,
            end_ns=1_000_000,
            response=response,
        )
        events.append(normalize(raw))
    return events


def stage_runner(stage: CostStage, events: list[LLMCall]) -> Callable[[], None]:
    def run() -> None:
        for event in events:
            stage.process(event)

    return run


def calc_price_runner(events: list[LLMCall]) -> Callable[[], None]:
    def run() -> None:
        for event in events:
            genai_prices.calc_price(
                genai_prices.Usage(**price_usage(event.usage)),
                event.response_model or event.request_model or "",
                provider_id=table_provider(event.provider),
                genai_request_timestamp=event.start_time,
                price_context=dict(price_context(event)) or None,
            )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=600, help="events per round")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    events = make_events(args.events)
    warm = CostStage(PriceBook())
    warm_run = stage_runner(warm, events)
    warm_run()  # fill the cache
    variants: dict[str, Callable[[], None]] = {
        "warm": warm_run,
        "uncached": stage_runner(CostStage(PriceBook(cache_size=0)), events),
        "calc_price": calc_price_runner(events),
    }
    per_event: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    for _ in range(args.rounds):
        random.shuffle(order)
        for name in order:
            start = time.perf_counter_ns()
            variants[name]()
            per_event[name].append((time.perf_counter_ns() - start) / len(events) / 1000)
    base = statistics.median(per_event["uncached"])
    print(f"cost stage per event, median of {args.rounds} rounds x {len(events)} events (same run)")
    print(f"{'variant':<12} {'median us/event':>16} {'vs uncached':>12}")
    for name in variants:
        med = statistics.median(per_event[name])
        print(f"{name:<12} {med:>16.2f} {med / base:>11.3f}x")
    assert all(e.cost is not None and e.cost.total_usd is not None for e in events)


if __name__ == "__main__":
    main()
