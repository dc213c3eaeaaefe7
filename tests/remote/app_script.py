"""An app in remote mode, run as its own process: ``python app_script.py CALLS OPENAI_BASE_URL``.

Its settings come from AGENTWATCH_* variables. It makes CALLS chat calls through the real openai
SDK, then exits normally (agentwatch flushes at exit within shutdown_timeout).
"""

from __future__ import annotations

import sys

from openai import OpenAI

import agentwatch

calls, base_url = int(sys.argv[1]), sys.argv[2]
agentwatch.configure()
client = agentwatch.instrument(OpenAI(api_key="test", base_url=base_url, max_retries=0))
for i in range(calls):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {i}"}])
