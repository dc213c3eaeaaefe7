"""IP addresses, v4 and v6, validated by :mod:`ipaddress`; version strings and times are not addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from agentwatch.detectors.pattern import Context, PatternDetector, merge_windows, shapes, words
from agentwatch.detectors.prefilter import Screen

_HEX_OR_COLON = frozenset("0123456789abcdefABCDEF:")
_CONTEXT = Context(
    positive=words(
        "ip", "ips", "ipv4", "ipv6", "address", "addr", "host", "server", "client", "from", "adres"
    ),
    negative=words(
        "version", "ver", "v", "build", "release", "sdk", "python", "node", "chrome", "firefox", "oid"
    ),
    boost=0.15,
    penalty=0.5,
)


class IPv4Detector(PatternDetector):
    kind = "pii"
    type = "ip_address"
    numeric = True
    pattern = re.compile(r"(?<![\w.-])(?:\d{1,3}\.){3}\d{1,3}(?![\w-]|\.\d)")
    context = _CONTEXT

    def __init__(self) -> None:
        super().__init__()
        self.name = "pii.ipv4"

    def screen(self) -> Screen:
        """The pattern without its lookarounds."""
        return shapes(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")

    def check(self, value: str) -> float | None:
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            return None
        return 0.4 if address.is_unspecified else 0.8


class IPv6Detector(PatternDetector):
    kind = "pii"
    type = "ip_address"
    pattern = re.compile(
        r"(?<![\w:.-])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:-])", re.IGNORECASE
    )
    context = _CONTEXT

    def screen(self) -> Screen:
        """What check accepts: a "::", or eight groups (the hex digits of the pattern are ASCII only)."""
        return Screen(literals=("::",), patterns=(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}",))

    def matches(self, text: str) -> Iterable[re.Match[str]]:
        """The pattern runs only around colons with a hex digit or colon on both sides."""
        at, i, last = [], text.find(":"), len(text) - 1
        while i != -1:
            if 0 < i < last and text[i - 1] in _HEX_OR_COLON and text[i + 1] in _HEX_OR_COLON:
                at.append(i)
            i = text.find(":", i + 1)
        for pos, endpos in merge_windows(at, 42, 42, len(text)):
            yield from self.pattern.finditer(text, pos, endpos)

    def __init__(self) -> None:
        super().__init__()
        self.name = "pii.ipv6"

    def check(self, value: str) -> float | None:
        groups = [g for g in value.split("%", maxsplit=1)[0].split(":") if g]
        if len(groups) < (3 if "::" in value else 8):  # "a::b", "12:30:45", "std::vector" are not addresses
            return None
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return None
        return 0.8
