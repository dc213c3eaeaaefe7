"""Fixtures for the emulator's own tests: one emulator per module, and the real SDK clients on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import openai
import pytest

from agentwatch.testing import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def oai(emu: Emulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="test", base_url=emu.openai_base_url, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def ant(emu: Emulator) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key="test", base_url=emu.anthropic_base_url, max_retries=0) as client:
        yield client


@pytest.fixture
async def aoai(emu: Emulator) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(api_key="test", base_url=emu.openai_base_url, max_retries=0) as client:
        yield client


@pytest.fixture
async def aant(emu: Emulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="test", base_url=emu.anthropic_base_url, max_retries=0
    ) as client:
        yield client
