"""The content policy stage: what of a call's text is kept once the detectors have read it.

Prompts, responses and tool-call arguments are available to every stage before this one, and
are stored only when ``capture_content`` is on. It runs last.
"""

from __future__ import annotations

from agentwatch.model import LLMCall


class ContentPolicy:
    name = "content"

    def __init__(self, capture_content: bool) -> None:
        self.capture_content = capture_content

    def process(self, event: LLMCall) -> None:
        if self.capture_content:
            return
        event.input_messages = None
        event.output_text = None
        for call in event.tool_calls:
            call.arguments = ""
