"""Reading provider payloads by shape: the SDKs' response objects and plain JSON alike."""

from __future__ import annotations

from typing import Any


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for dicts, ``obj.name`` for objects, None when absent."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
