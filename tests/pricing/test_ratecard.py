"""The compiled rate cards give genai-prices' own result, for every model of the bundled table."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import genai_prices
import pytest
from genai_prices.data import providers
from genai_prices.types import Usage as PriceUsage

from agentwatch.pricing.book import PriceBook
from agentwatch.pricing.ratecard import compile_card

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

SHAPES = {
    "plain": {"input_tokens": 1234, "output_tokens": 567},
    "cache read": {"input_tokens": 5000, "cache_read_tokens": 3000, "output_tokens": 100},
    "cache write 5m+1h": {
        "input_tokens": 9000,
        "cache_write_tokens": 4000,
        "cache_write_1h_tokens": 1500,
        "cache_read_tokens": 2000,
        "output_tokens": 300,
    },
    "reasoning": {"input_tokens": 800, "output_tokens": 2500, "output_reasoning_tokens": 2000},
    "long context": {"input_tokens": 250_001, "cache_read_tokens": 50_000, "output_tokens": 10},
    "audio": {"input_tokens": 700, "input_audio_tokens": 300, "output_tokens": 90, "output_audio_tokens": 40},
}

MODELS = [(provider.id, model) for provider in providers for model in provider.models]


def _reference(provider_id: str, model_id: str, usage: PriceUsage, context: dict[str, str]) -> object:
    try:
        return genai_prices.calc_price(
            usage, model_id, provider_id=provider_id, genai_request_timestamp=WHEN, price_context=context
        ).total_price
    except (LookupError, ValueError) as exc:
        return type(exc)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_table_model_prices_as_genai_prices_does(shape: str) -> None:
    counts = SHAPES[shape]
    usage = PriceUsage(**counts)
    checked = 0
    for provider_id, model in MODELS:
        for context in ({}, {"service_tier": "priority"}, {"processing": "batch"}):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = _reference(provider_id, model.id, usage, context)
                info = model
                try:
                    card = compile_card(provider_id, info.id, info.get_prices(WHEN, context or None))
                    got: object = card.price(counts).total_usd
                except ValueError as exc:
                    got = type(exc)
            if expected is LookupError:
                continue  # the model's own id does not match itself (a few aliases): not our concern
            assert got == expected, (provider_id, model.id, context)
            checked += 1
    assert checked > 1000


def test_the_book_caches_lookups_and_misses() -> None:
    book = PriceBook()
    usage = {"input_tokens": 10, "output_tokens": 10}
    assert book.quote("openai", ["gpt-4o-mini"], usage, WHEN) is not None
    assert book.quote("openai", ["no-such-model"], usage, WHEN) is None
    found, compiled = book._find.cache_info().misses, book._card.cache_info().misses
    assert (found, compiled) == (2, 1)  # one model found, one not; one card compiled
    for _ in range(3):
        book.quote("openai", ["gpt-4o-mini"], usage, WHEN)
        book.quote("openai", ["no-such-model"], usage, WHEN)
    assert (book._find.cache_info().misses, book._card.cache_info().misses) == (found, compiled)
