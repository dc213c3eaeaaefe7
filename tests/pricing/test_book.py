"""Custom prices, the price valid at the call's time, offline use, and the models the project uses."""

from __future__ import annotations

import ast
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import pytest

import agentwatch
from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.config import ConfigError, load_settings
from agentwatch.pipeline import default_pipeline
from agentwatch.pricing.book import PriceBook
from agentwatch.testing import Emulator
from agentwatch.testing.anthropic_routes import anthropic_models
from agentwatch.testing.openai_routes import openai_models
from tests.conftest import Recorder

ROOT = Path(__file__).parent.parent.parent


def _raw(provider: str, model: str, usage: dict[str, Any], when: datetime) -> RawCall:
    api = "messages" if provider == "anthropic" else "chat.completions"
    return RawCall(
        api=api,
        body={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        client=ClientDefaults(provider=provider),
        trace=None,
        start_wall_ns=int(when.timestamp() * 1e9),
        start_ns=0,
        end_ns=1_000_000,
        response={"model": model, "usage": usage},
    )


def test_the_price_in_force_on_the_day_of_the_call() -> None:
    # Sonnet 4.6: long-context prices (> 200K: $6 in, $22.50 out) until Anthropic dropped them on
    # 2026-03-13, flat $3 / $15 after (https://platform.claude.com/docs/en/about-claude/pricing).
    pipeline = default_pipeline(capture_content=False)
    usage = {"input_tokens": 250_000, "output_tokens": 1000}
    before = pipeline(_raw("anthropic", "claude-sonnet-4-6", usage, datetime(2026, 3, 1, tzinfo=UTC)))
    after = pipeline(_raw("anthropic", "claude-sonnet-4-6", usage, datetime(2026, 4, 1, tzinfo=UTC)))
    assert before.cost is not None and after.cost is not None
    assert before.cost.total_usd == pytest.approx((250_000 * 6 + 1000 * 22.5) / 1e6, abs=1e-12)
    assert after.cost.total_usd == pytest.approx((250_000 * 3 + 1000 * 15) / 1e6, abs=1e-12)


def test_off_peak_prices_follow_the_time_of_day() -> None:
    # DeepSeek chat: $0.27 in / $1.10 out, half price off-peak 16:30-00:30 UTC
    # (https://api-docs.deepseek.com/quick_start/pricing); not cached per day.
    pipeline = default_pipeline(capture_content=False)
    usage = {"prompt_tokens": 10_000, "completion_tokens": 2000}
    peak = pipeline(_raw("deepseek", "deepseek-chat", usage, datetime(2026, 11, 2, 10, 0, tzinfo=UTC)))
    off = pipeline(_raw("deepseek", "deepseek-chat", usage, datetime(2026, 11, 2, 20, 0, tzinfo=UTC)))
    assert peak.cost is not None and off.cost is not None
    assert peak.cost.total_usd == pytest.approx((10_000 * 0.27 + 2000 * 1.10) / 1e6, abs=1e-12)
    assert off.cost.total_usd == pytest.approx((10_000 * 0.135 + 2000 * 0.55) / 1e6, abs=1e-12)


def test_custom_prices_from_the_config_file_override_the_table(
    tmp_path: Path, emulator: Emulator, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "agentwatch.toml").write_text(
        '[agentwatch.prices."gpt-4o-mini"]\ninput_mtok = 1.0\noutput_mtok = 2.0\ncache_read_mtok = 0.5\n'
        '[agentwatch.prices."acme-ft-*"]\ninput_mtok = 0.3\noutput_mtok = 1.2\n'
        '[agentwatch.prices."gpt-4o"]\nprovider = "vllm"\ninput_mtok = 0\n'
    )
    monkeypatch.chdir(tmp_path)
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}")
    client = agentwatch.instrument(
        openai.OpenAI(api_key="t", base_url=emulator.openai_base_url, max_retries=0)
    )
    usage = (
        '{"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 400}}'
    )
    for model in ("gpt-4o-mini", "acme-ft-7", "gpt-4o"):
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-emulator-usage": usage},
        )
    mini, acme, gpt4o = (event.cost for event in recorder.events())
    assert mini is not None and acme is not None and gpt4o is not None
    assert mini.total_usd == pytest.approx((600 * 1.0 + 400 * 0.5 + 100 * 2.0) / 1e6, abs=1e-12)
    assert (mini.price_source, mini.price_model, mini.price_version) == ("custom", "gpt-4o-mini", None)
    assert acme.total_usd == pytest.approx((1000 * 0.3 + 100 * 1.2) / 1e6, abs=1e-12)  # cache at input price
    assert gpt4o.price_source == "genai-prices"  # the custom one is for vllm only


def test_bad_custom_prices_fail_at_configure_time(tmp_path: Path) -> None:
    bad = tmp_path / "agentwatch.toml"
    bad.write_text('[agentwatch.prices."m"]\ninput_mtok = -1\n')
    with pytest.raises(ConfigError, match=r"prices \(from file"):
        load_settings(environ={}, config_file=bad)
    with pytest.raises(ConfigError, match="prices"):
        load_settings(environ={"AGENTWATCH_PRICES": "{not json"}, config_file=tmp_path / "none.toml")
    env = {"AGENTWATCH_PRICES": '{"m": {"input_mtok": 1, "output_mtok": 2}}'}
    assert load_settings(environ=env, config_file=tmp_path / "none.toml").prices["m"].output_mtok == 2


def test_self_hosted_models_are_unpriced_unless_given_a_price() -> None:
    pipeline = default_pipeline(capture_content=False)
    event = pipeline(
        _raw("vllm", "gpt-4o-mini", {"prompt_tokens": 10, "completion_tokens": 5}, datetime.now(UTC))
    )
    assert event.cost is not None and event.cost.unpriced and event.cost.total_usd is None
    assert [f.type for f in event.findings] == ["unpriced_model"]


def test_pricing_and_token_estimates_never_touch_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("agentwatch tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from agentwatch.pipeline import tokenizer

    tokenizer._counter.cache_clear()  # load the encodings again, here
    raw = _raw("openai", "gpt-4o", {}, datetime.now(UTC))
    raw.response = {"model": "gpt-4o", "choices": [{"message": {"content": "hello there"}}]}
    event = default_pipeline(capture_content=False)(raw)
    assert event.usage.estimated and event.cost is not None and event.cost.total_usd
    assert tokenizer.counter_for("gpt-4o").name == "o200k_base"


def _documented_models() -> set[tuple[str, str]]:
    """(provider, model) pairs the emulator, the demo and the README use."""
    found = {("openai", m["id"]) for m in openai_models()["data"]}
    found |= {("anthropic", m["id"]) for m in anthropic_models()["data"]}
    demo = ast.parse((ROOT / "src/agentwatch/cli/demo_script.py").read_text())
    for node in ast.walk(demo):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            name = getattr(node.targets[0], "id", "")
            if name in ("GPT", "EMBEDDING", "CLAUDE") and isinstance(node.value.value, str):
                found.add(("anthropic" if name == "CLAUDE" else "openai", node.value.value))
    texts = [(ROOT / "README.md").read_text(), *(f.read_text() for f in (ROOT / "src").rglob("*.py"))]
    for text in texts:
        for model in re.findall(r'model="([^"]+)"', text):
            found.add(("anthropic" if model.startswith("claude") else "openai", model))
    return found


def test_every_model_the_project_uses_has_a_price() -> None:
    models = _documented_models()
    assert ("openai", "gpt-4o-mini") in models and len(models) >= 6
    book = PriceBook()
    assert sorted(m for m in models if not book.known(*m[:1], [m[1]])) == []


def test_usage_that_contradicts_itself_is_unpriced_not_an_exception() -> None:
    pipeline = default_pipeline(capture_content=False)
    for usage in (
        {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 50}},
        {"prompt_tokens": -10, "completion_tokens": 5},
    ):
        event = pipeline(_raw("openai", "gpt-4o-mini", usage, datetime.now(UTC)))
        assert event.cost is not None and event.cost.unpriced and event.cost.total_usd is None
    assert pipeline.failures == {}


def test_importing_agentwatch_loads_neither_the_price_table_nor_a_tokenizer() -> None:
    code = "import sys, agentwatch; print(sorted({'genai_prices', 'tiktoken'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"  # both load on the worker thread, when first needed


def test_the_readme_price_example_is_valid(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Cost and tokens") :]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    config = tmp_path / "agentwatch.toml"
    config.write_text("\n".join(line.strip() for line in example.group(1).splitlines()))
    prices = load_settings(environ={}, config_file=config).prices
    book = PriceBook(prices)
    assert book.custom_card("openai", "ft:gpt-4o-mini:acme:abc123") is not None
    assert book.custom_card("vllm", "llama-3.1-70b") is not None
    assert book.custom_card("openai", "llama-3.1-70b") is None
