"""The cost stage: what a call costs, from its usage and the price valid at the call's time.

Prices come from the :class:`~agentwatch.pricing.PriceBook` (custom prices, then genai-prices'
bundled table). The model that answered is priced first (``gpt-4o-2024-05-13`` is not priced as
``gpt-4o``), then the model asked for. The service tier the response reports selects the
price variant (``priority``, ``flex``; ``batch`` selects batch prices), and so does Anthropic's
fast mode. Each cost records its
source, the table's version and entry, and whether the tokens were estimated.

A call with no known price gets ``Cost(total_usd=None, unpriced=True)`` and an
``unpriced_model`` finding, never $0. A failed call that reports no usage costs $0: providers
do not bill failed requests.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from agentwatch.model import Cost, Finding, LLMCall, Status
from agentwatch.pricing import CustomPrice

if TYPE_CHECKING:
    from agentwatch.pricing.book import PriceBook

log = logging.getLogger(__name__)

__all__ = ["CostStage", "price_context"]

#: Service tier as responses report it -> genai-prices price context.
_TIERS: dict[str, tuple[tuple[str, str], ...]] = {
    "batch": (("processing", "batch"),),
    "default": (("service_tier", "default"),),
    "flex": (("service_tier", "flex"),),
    "priority": (("service_tier", "priority"),),
    "fast": (("service_tier", "fast"),),
}


def price_context(event: LLMCall) -> tuple[tuple[str, str], ...]:
    """The price variant to ask for: the tier the response reports, else the one requested; and
    Anthropic's fast mode (``speed="fast"``)."""
    tier = event.service_tier or event.request_parameters.get("service_tier")
    context = _TIERS.get(tier, ()) if isinstance(tier, str) else ()
    if event.request_parameters.get("speed") == "fast":
        context = (*context, ("speed", "fast"))
    return context


def _unpriced() -> Finding:
    return Finding(kind="cost", type="unpriced_model", detector="cost", location="response")


class CostStage:
    """Prices each event. The price book (``book``, else one built from ``prices``) is loaded on
    first use, on the worker thread, so that importing agentwatch stays cheap."""

    name = "cost"

    def __init__(
        self, book: PriceBook | None = None, *, prices: Mapping[str, CustomPrice] | None = None
    ) -> None:
        self._book = book
        self._prices = prices
        self.invalid_usage = 0  # events whose usage contradicted itself (left unpriced)

    @property
    def book(self) -> PriceBook:
        if self._book is None:
            from agentwatch.pricing.book import PriceBook

            self._book = PriceBook(self._prices)
        return self._book

    def process(self, event: LLMCall) -> None:
        usage = event.usage
        if usage.input_tokens is None and usage.output_tokens is None:
            if event.status is Status.ERROR:
                event.cost = Cost(input_usd=0.0, output_usd=0.0, total_usd=0.0)
            else:
                event.cost = Cost(unpriced=True)  # no usage, none estimated: the cost is unknown
            return
        from agentwatch.pricing.book import price_usage

        models = list(dict.fromkeys(m for m in (event.response_model, event.request_model) if m))
        try:
            quote = self.book.quote(
                event.provider, models, price_usage(usage), event.start_time, price_context(event)
            )
        except ValueError as exc:
            self.invalid_usage += 1
            if self.invalid_usage == 1:
                log.warning(
                    "agentwatch: cannot price event %s (%s); such events stay unpriced", event.event_id, exc
                )
            event.cost = Cost(unpriced=True, estimated=usage.estimated)
            return
        if quote is None:
            event.cost = Cost(unpriced=True, estimated=usage.estimated)
            if not any(f.kind == "cost" and f.type == "unpriced_model" for f in event.findings):
                event.findings.append(_unpriced())  # once, also when an ingested event is priced again
            return
        amount = quote.amount
        event.cost = Cost(
            input_usd=float(amount.input_usd),
            output_usd=float(amount.output_usd),
            total_usd=float(amount.total_usd),
            price_source=quote.source,
            price_version=quote.version,
            price_model=quote.model,
            price_provider=quote.provider,
            price_context=dict(quote.context),
            estimated=usage.estimated,
        )
