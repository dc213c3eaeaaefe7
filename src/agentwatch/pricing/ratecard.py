"""A model's prices compiled once, applied to each call's usage in a few microseconds.

genai-prices resolves, validates and decomposes a model's prices on every ``calc_price`` call
(about 60 us). For one model, date and price context (service tier, batch) all of that is the
same from call to call, so :func:`compile_card` does it once and :meth:`RateCard.price` keeps
only the per-call arithmetic, with genai-prices' own rules and its decimal arithmetic in the
same order:

* each priced unit pays for its *leaf* count: its usage minus that of the more specific priced
  units inside it (``input_tokens`` minus cache reads minus cache writes, ...);
* a tiered price applies the highest tier whose start the call's total input tokens exceed, to
  every token of the unit (the providers' "cliff" long-context pricing).

``tests/pricing/test_ratecard.py`` checks the result against ``genai_prices.calc_price`` for
every model of the bundled table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from genai_prices.data_units import unit_data
from genai_prices.types import ModelPrice, TieredPrices
from genai_prices.types import Usage as PriceUsage
from genai_prices.units import UnitDef, UnitRegistry
from genai_prices.validation import validate_priced_units

__all__ = ["Amount", "Line", "RateCard", "compile_card"]

_REGISTRY = UnitRegistry(unit_data)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Amount:
    """What one call costs, in USD."""

    input_usd: Decimal
    output_usd: Decimal
    total_usd: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    """One priced unit: its usage key, the lines nested inside it, and its (tiered) price."""

    usage_key: str
    direction: str | None  # input | output | None (per-request fees, searches)
    per: int
    base: Decimal
    tiers: tuple[tuple[int, Decimal], ...]  # (start, price), highest start first
    inner: tuple[int, ...]  # indexes of the more specific lines whose counts are taken out
    descendants: frozenset[str]  # usage keys inside this unit: reported, genai-prices needs this one
    joins: tuple[frozenset[str], ...]  # pairs of broader units whose overlap is exactly this unit

    def rate(self, total_input_tokens: int | float | Decimal) -> Decimal:
        for start, price in self.tiers:
            if total_input_tokens > start:
                return price
        return self.base


@dataclass(frozen=True, slots=True)
class RateCard:
    """The prices of one model, at one time, in one context, ready to apply."""

    provider: str
    model: str
    lines: tuple[Line, ...]
    tiered: bool
    context: tuple[tuple[str, str], ...] = ()  # the price variant these prices come from

    def price(self, usage: Mapping[str, int]) -> Amount:
        """The price of ``usage`` (genai-prices usage keys -> non-negative counts, as reported).
        Raises ``ValueError`` for usage that contradicts itself (e.g. cache reads > input)."""
        total_input = _value(usage, "input_tokens") if self.tiered else 0
        leaves: list[Decimal] = []
        input_usd = output_usd = total_usd = _ZERO
        for line in self.lines:
            if line.usage_key == "requests":
                count = Decimal(1)
            else:
                count = Decimal(_count(usage, line))
                for index in line.inner:
                    count -= leaves[index]
                if count < 0:
                    raise ValueError(f"invalid usage: the parts of {line.usage_key} exceed it")
            leaves.append(count)
            amount = line.rate(total_input) * count / line.per
            total_usd += amount
            if line.direction == "input":
                input_usd += amount
            elif line.direction == "output":
                output_usd += amount
        return Amount(input_usd, output_usd, total_usd)


def _value(usage: Mapping[str, int], key: str) -> int | float | Decimal:
    """An unreported count, as genai-prices infers it (it raises when it cannot)."""
    value = usage.get(key)
    return value if value is not None else getattr(PriceUsage(**usage), key)


def _count(usage: Mapping[str, int], line: Line) -> int | float | Decimal:
    """The usage for ``line``: as reported; if not reported, 0 unless a unit inside it or two whose
    overlap it is were reported, in which case genai-prices decides (it raises for usage it
    cannot split unambiguously)."""
    value = usage.get(line.usage_key)
    if value is not None:
        return value
    if line.descendants.isdisjoint(usage) and not any(pair <= usage.keys() for pair in line.joins):
        return 0
    return _value(usage, line.usage_key)


def _neighbours(unit: UnitDef) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    """The registry units that decide an unreported count of ``unit`` (see :func:`_count`)."""
    dims = unit.dimensions.items()
    descendants = frozenset(
        other.usage_key
        for other in _REGISTRY.units.values()
        if other is not unit and dims <= other.dimensions.items()
    )
    ancestors = [
        other for other in _REGISTRY.units.values() if other is not unit and other.dimensions.items() < dims
    ]
    joins = tuple(
        frozenset((left.usage_key, right.usage_key))
        for i, left in enumerate(ancestors)
        for right in ancestors[i + 1 :]
        if left.is_compatible_with(right)
        and not left.dimensions.items() <= right.dimensions.items()
        and not right.dimensions.items() <= left.dimensions.items()
        and {**left.dimensions, **right.dimensions} == dict(unit.dimensions)
    )
    return descendants, joins


def compile_card(
    provider: str, model: str, prices: ModelPrice, context: tuple[tuple[str, str], ...] = ()
) -> RateCard:
    """Resolve ``prices`` (the variant ``context`` names) into a :class:`RateCard`; raises
    ``ValueError`` if they are inconsistent."""
    priced = []
    for key, value in vars(prices).items():
        if key.startswith("_") or value is None:
            continue
        try:
            unit = _REGISTRY.unit_for_price_key(key)
        except KeyError:
            continue  # a price key this genai-prices version does not know: it ignores it too
        priced.append((unit, value))
    validate_priced_units([unit for unit, _ in priced], _REGISTRY)
    priced.sort(key=lambda item: (-len(item[0].dimensions), item[0].usage_key))
    lines = []
    for unit, value in priced:
        inner = tuple(
            index
            for index, (other, _) in enumerate(priced)
            if other is not unit
            and unit.usage_key != "requests"
            and other.usage_key != "requests"
            and unit.dimensions.items() <= other.dimensions.items()
        )
        if isinstance(value, TieredPrices):
            base = value.base
            tiers = tuple(sorted(((t.start, t.price) for t in value.tiers), reverse=True))
        else:
            base, tiers = value, ()
        lines.append(
            Line(
                unit.usage_key,
                unit.dimensions.get("direction"),
                unit.per,
                base,
                tiers,
                inner,
                *_neighbours(unit),
            )
        )
    return RateCard(provider, model, tuple(lines), any(line.tiers for line in lines), context)
