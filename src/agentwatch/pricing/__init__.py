"""Prices: genai-prices' bundled table, custom prices from ``agentwatch.toml``, and the arithmetic.

Nothing here reaches the network: the table is the one installed with genai-prices. Importing
this package is cheap; :mod:`agentwatch.pricing.book` loads the table (about 0.1 s) and is
imported by the cost stage on agentwatch's worker thread, the first time a call is priced.
"""

from __future__ import annotations

from importlib.metadata import version

from agentwatch.pricing.custom import CustomPrice, parse_prices

__all__ = ["TABLE_SOURCE", "TABLE_VERSION", "CustomPrice", "parse_prices"]

TABLE_SOURCE = "genai-prices"
#: The price table's version: the genai-prices release that ships it (and genai_prices.__version__).
TABLE_VERSION = version("genai-prices")
