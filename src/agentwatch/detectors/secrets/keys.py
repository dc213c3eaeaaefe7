"""Provider API keys and tokens, recognised by their documented prefixes, alphabets and lengths.

GitHub's newer tokens carry a CRC-32 checksum of their body in their last six characters; it is
checked, so a ``ghp_`` string someone typed by hand does not fire.
"""

from __future__ import annotations

import re
import zlib

from agentwatch.detectors.pattern import PatternDetector

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# A line break in a key block: a real one, or the two characters ``\\n`` of a JSON or log string.
_EOL = r"(?:\r?\n|\\n)"
# A whole line of base64 (``{0}`` characters at least), ending where the line, the text or the
# quoted string holding it ends.
_BASE64_LINE = r"[A-Za-z0-9+/=]{{{0},}}[ \t]*(?=\r?\n|\\n|\Z|[\"'])"


def github_checksum_ok(token: str) -> bool:
    """``ghp_`` + 30 random characters + base62(crc32(random part)) in six characters."""
    body, checksum = token[4:-6], token[-6:]
    value, encoded = zlib.crc32(body.encode()), ""
    while value:
        value, digit = divmod(value, 62)
        encoded = _BASE62[digit] + encoded
    return encoded.rjust(6, "0") == checksum


def _looks_random(value: str) -> bool:
    """Not a placeholder: mixed characters, not ``xxxx`` or ``your-key-here``."""
    return len(set(value)) >= 8 and not re.search(r"(?i)x{6}|your|here|example|dummy|placeholder", value)


class KeyDetector(PatternDetector):
    """A token with a fixed prefix; ``score`` is how sure its shape alone makes us."""

    kind = "secret"
    score = 0.95

    def check(self, value: str) -> float | None:
        return self.score if _looks_random(value) else None


class OpenAIKeyDetector(KeyDetector):
    type = "openai_key"
    trigger = "sk-"
    pattern = re.compile(r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,}(?![\w-])")


class AnthropicKeyDetector(KeyDetector):
    type = "anthropic_key"
    trigger = "sk-ant-"
    pattern = re.compile(r"(?<![\w-])sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{32,}(?![\w-])")


class AWSAccessKeyDetector(KeyDetector):
    type = "aws_access_key"
    trigger = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}(?![A-Za-z0-9])")

    def check(self, value: str) -> float | None:
        return 0.9 if len(set(value[4:])) >= 6 else None


class GitHubTokenDetector(KeyDetector):
    type = "github_token"
    trigger = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
    pattern = re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?!\w)")

    def check(self, value: str) -> float | None:
        if value.startswith("github_pat_"):
            return 0.95 if _looks_random(value[11:]) else None
        return 0.99 if github_checksum_ok(value) else None


class SlackTokenDetector(KeyDetector):
    type = "slack_token"
    trigger = ("xox", "xapp-", "hooks.slack.com")
    pattern = re.compile(
        r"(?<![\w-])(?:xox[abposr]-(?:\d+-)+[A-Za-z0-9-]{8,}|xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,}"
        r"|https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]+/[A-Z0-9/]+/[A-Za-z0-9]{20,})(?![\w-])"
    )


class StripeKeyDetector(KeyDetector):
    type = "stripe_key"
    trigger = ("_live_", "_test_", "whsec_")
    pattern = re.compile(
        r"(?<![\w])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9]{32,})(?!\w)"
    )


class GoogleAPIKeyDetector(KeyDetector):
    type = "google_api_key"
    trigger = "AIza"
    pattern = re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])")


class PrivateKeyDetector(KeyDetector):
    type = "private_key"
    trigger = "PRIVATE KEY"
    # A whole block, or one cut short (a reply stopped by max_tokens, a pasted fragment): the header
    # and at least 40 characters of base64 lines after it, up to the first line that is not base64.
    # The body of a whole block holds no "-----": a header without its END stops at the next one, not
    # at the end of the text (six thousand headers would otherwise each scan the whole text: seconds).
    pattern = re.compile(
        r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
        r"(?:(?:[^-]|-(?!----)){16,}?-----END \1PRIVATE KEY(?: BLOCK)?-----"
        rf"|(?:{_EOL}[A-Za-z-]+: [^\r\n\\]*)*(?:{_EOL})?"  # headers of an encrypted key, a blank line
        rf"{_EOL}{_BASE64_LINE.format(40)}(?:{_EOL}{_BASE64_LINE.format(1)})*)"
    )

    def check(self, value: str) -> float | None:
        return 0.99 if "-----END " in value else 0.95
