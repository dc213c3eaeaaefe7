"""Custom prices: fine-tuned, self-hosted or negotiated models, set in ``agentwatch.toml``.

::

    [agentwatch.prices."ft:gpt-4o-mini:acme:*"]   # a trailing * matches every name it begins
    input_mtok = 0.30                              # USD per million input tokens
    output_mtok = 1.20
    cache_read_mtok = 0.15                         # optional, default: input_mtok

    [agentwatch.prices."llama-3.1-70b"]
    provider = "vllm"                              # optional: only calls to this provider
    input_mtok = 0
    output_mtok = 0

A custom price wins over the bundled table. ``AGENTWATCH_PRICES`` may hold the same as JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice

__all__ = ["CustomPrice", "parse_prices"]

Rate = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class CustomPrice(BaseModel):
    """Prices in USD per million tokens; unset cache prices fall back as noted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_mtok: Rate
    output_mtok: Rate = Decimal(0)
    cache_read_mtok: Rate | None = None  # default: input_mtok
    cache_write_mtok: Rate | None = None  # default: input_mtok
    cache_write_1h_mtok: Rate | None = None  # default: cache_write_mtok
    provider: str | None = Field(default=None, description="Only for calls to this provider (e.g. vllm)")

    def model_price(self) -> ModelPrice:
        """The same prices as genai-prices' :class:`ModelPrice`, defaults filled in."""
        from genai_prices.types import ModelPrice

        cache_write = self.cache_write_mtok if self.cache_write_mtok is not None else self.input_mtok
        return ModelPrice(
            input_mtok=self.input_mtok,
            output_mtok=self.output_mtok,
            cache_read_mtok=self.cache_read_mtok if self.cache_read_mtok is not None else self.input_mtok,
            cache_write_mtok=cache_write,
            cache_write_1h_mtok=(
                self.cache_write_1h_mtok if self.cache_write_1h_mtok is not None else cache_write
            ),
        )

    def covers(self, pattern: str, model: str, provider: str) -> bool:
        """Whether this price, set under ``pattern``, applies to ``model`` called at ``provider``."""
        if self.provider is not None and self.provider != provider:
            return False
        pattern, model = pattern.lower(), model.lower()
        if pattern.endswith("*"):
            return model.startswith(pattern[:-1])
        return model == pattern


def parse_prices(value: Any) -> Any:
    """``prices`` as given: a table, or JSON text (from ``AGENTWATCH_PRICES``)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"expected a JSON object of model -> prices ({exc})") from None
    return value
