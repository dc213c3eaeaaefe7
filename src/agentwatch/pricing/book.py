"""The price book: which price applies to a call, from custom prices or genai-prices' bundled table.

The table is the one installed with genai-prices (:data:`genai_prices.data.providers`), read
into this book's own snapshot: agentwatch never downloads prices, and a host app that turns
on genai-prices' auto-update does not change what agentwatch records. Each price records the
table's version (the genai-prices release that shipped it).

Lookups are cached per instance (``functools.lru_cache``): model matching per provider and model
name, misses included, and compiled :class:`RateCard` s per model, day and price context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache

import genai_prices.types
from genai_prices.data import providers as bundled_providers
from genai_prices.data_snapshot import DataSnapshot
from genai_prices.types import ConditionalPrice, ModelInfo, TimeOfDateConstraint

from agentwatch.model import Usage
from agentwatch.pricing import TABLE_SOURCE, TABLE_VERSION
from agentwatch.pricing.custom import CustomPrice
from agentwatch.pricing.ratecard import Amount, RateCard, compile_card

__all__ = ["PROVIDER_IDS", "PriceBook", "Quote", "price_usage", "table_provider"]

CUSTOM_SOURCE = "custom"

#: agentwatch provider name (OpenTelemetry ``gen_ai.provider.name``) -> genai-prices provider id.
#: None: self-hosted, priced only by a custom price.
PROVIDER_IDS: dict[str, str | None] = {
    "openai": "openai",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "anthropic": "anthropic",
    "aws.bedrock": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "groq": "groq",
    "deepseek": "deepseek",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "together_ai": "together",
    "fireworks": "fireworks",
    "perplexity": "perplexity",
    "cerebras": "cerebras",
    "openrouter": "openrouter",
    "cohere": "cohere",
    "ollama": None,
    "vllm": None,
    "lmstudio": None,
}

Context = tuple[tuple[str, str], ...]


_TOTALS = ("input_tokens", "output_tokens")


def price_usage(usage: Usage) -> dict[str, int]:
    """agentwatch's usage in genai-prices' usage keys (both count cache and reasoning inside the
    totals); details that are 0 or unknown are left out. Raises ``ValueError`` for negative counts."""
    values = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
        "cache_read_tokens": usage.cache_read_input_tokens,
        "cache_write_tokens": usage.cache_creation_input_tokens,
        "cache_write_1h_tokens": usage.cache_creation_1h_input_tokens,
        "output_reasoning_tokens": usage.reasoning_output_tokens,
        "input_audio_tokens": usage.input_audio_tokens,
        "output_audio_tokens": usage.output_audio_tokens,
    }
    counts: dict[str, int] = {
        key: value for key, value in values.items() if value is not None and (value or key in _TOTALS)
    }
    if any(value < 0 for value in counts.values()):
        raise ValueError(f"negative token counts: {counts}")
    return counts


def table_provider(provider: str) -> str | None:
    """The genai-prices provider id for an agentwatch provider name (others are tried as given)."""
    return PROVIDER_IDS.get(provider, provider)


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of one call and where it came from."""

    amount: Amount
    source: str  # genai-prices | custom
    version: str | None  # the table's version; None for custom prices
    model: str  # the table entry (model id) or the custom price's name
    provider: str | None  # the table's provider id
    context: Context  # the price variant that applied: (("service_tier", "priority"),) ...


def _time_of_day_priced(model: ModelInfo) -> bool:
    """Whether the model's price depends on the time of day (off-peak rates): not cached per day."""
    constraints = [variant.constraint for variant in model.price_variants or ()]
    if not isinstance(model.prices, genai_prices.types.ModelPrice):
        constraints += [price.constraint for price in model.prices if isinstance(price, ConditionalPrice)]
    return any(isinstance(constraint, TimeOfDateConstraint) for constraint in constraints)


def _applied(model: ModelInfo, when: datetime, context: Context) -> Context:
    """The part of ``context`` that selects one of the model's price variants at ``when``."""
    asked = dict(context)
    used: dict[str, str] = {}
    for variant in model.price_variants or ():
        if variant.constraint is not None and not variant.constraint.active(when):
            continue
        if all(asked.get(key) == value for key, value in variant.when.items()):
            used.update(variant.when)
    return tuple(sorted(used.items()))


class PriceBook:
    """Prices calls. ``custom`` maps a model name (or ``prefix*``) to its :class:`CustomPrice`."""

    def __init__(self, custom: Mapping[str, CustomPrice] | None = None, *, cache_size: int = 4096) -> None:
        self._snapshot = DataSnapshot(providers=bundled_providers, from_auto_update=False)
        self._custom = [
            (pattern, price, compile_card(CUSTOM_SOURCE, pattern, price.model_price()))
            for pattern, price in (custom or {}).items()
        ]
        self._find = lru_cache(maxsize=cache_size)(self._find_uncached)
        self._card = lru_cache(maxsize=cache_size)(self._card_uncached)

    # ------------------------------------------------------------------ lookups

    def _find_uncached(self, provider_id: str, model: str) -> ModelInfo | None:
        try:
            _, info = self._snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            return None
        return info

    def _compile(self, provider_id: str, info: ModelInfo, when: datetime, context: Context) -> RateCard:
        applied = _applied(info, when, context)
        return compile_card(provider_id, info.id, info.get_prices(when, dict(applied) or None), applied)

    def _card_uncached(self, provider_id: str, model: str, day: date, context: Context) -> RateCard | None:
        info = self._find(provider_id, model)
        if info is None:
            return None
        return self._compile(provider_id, info, datetime.combine(day, time(), UTC), context)

    def card(self, provider: str, model: str, when: datetime, context: Context = ()) -> RateCard | None:
        """The table's rate card for ``model`` at ``provider`` at time ``when``, or None."""
        provider_id = table_provider(provider)
        if provider_id is None:
            return None
        info = self._find(provider_id, model)
        if info is None:
            return None
        if _time_of_day_priced(info):
            return self._compile(provider_id, info, when, context)
        return self._card(provider_id, model, when.astimezone(UTC).date(), context)

    def custom_card(self, provider: str, model: str) -> RateCard | None:
        for pattern, price, card in self._custom:
            if price.covers(pattern, model, provider):
                return card
        return None

    # ------------------------------------------------------------------ pricing

    def quote(
        self,
        provider: str,
        models: Sequence[str],
        usage: Mapping[str, int],
        when: datetime,
        context: Context = (),
    ) -> Quote | None:
        """Price ``usage``: a custom price for any of ``models`` (most specific name first), else the
        table's. None when no price is known. Raises ``ValueError`` for self-contradicting usage."""
        for model in models:
            card = self.custom_card(provider, model)
            if card is not None:
                return Quote(card.price(usage), CUSTOM_SOURCE, None, card.model, None, ())
        for model in models:
            card = self.card(provider, model, when, context)
            if card is not None:
                return Quote(
                    card.price(usage), TABLE_SOURCE, TABLE_VERSION, card.model, card.provider, card.context
                )
        return None

    def known(self, provider: str, models: Iterable[str]) -> bool:
        """Whether any of ``models`` has a price (custom or in the table) at ``provider``."""
        for model in models:
            provider_id = table_provider(provider)
            if self.custom_card(provider, model) is not None:
                return True
            if provider_id is not None and self._find(provider_id, model) is not None:
                return True
        return False
