"""Who and what a call belongs to: trace and span ids, user, session, agent, tags.

``agentwatch.trace(...)`` sets a :class:`TraceContext` in a context variable, so each thread and
each asyncio task sees the context it was started in. Traces nest: an inner trace keeps the
trace id, gets its own span id and inherits what it does not override.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def new_trace_id() -> str:
    return os.urandom(16).hex()


def new_span_id() -> str:
    return os.urandom(8).hex()


@dataclass(frozen=True, slots=True)
class TraceContext:
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    agent: str | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[TraceContext | None] = contextvars.ContextVar(
    "agentwatch_trace", default=None
)


def current_trace() -> TraceContext | None:
    """The innermost active trace in this thread or task, if any."""
    return _current.get()


class trace:
    """Group the calls made inside it under one trace, with user, session, agent and tags.

    Works as a context manager (sync and async) and as a decorator.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        agent: str | None = None,
        tags: list[str] | tuple[str, ...] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self._fields = {"user_id": user_id, "session_id": session_id, "agent": agent}
        self._tags = tuple(tags or ())
        self._metadata = dict(metadata or {})
        self._tokens: list[contextvars.Token[TraceContext | None]] = []

    def _build(self) -> TraceContext:
        parent = _current.get()
        if parent is None:
            return TraceContext(
                trace_id=new_trace_id(),
                span_id=new_span_id(),
                name=self.name,
                tags=self._tags,
                metadata=self._metadata,
                **self._fields,
            )
        inherited = {k: v if v is not None else getattr(parent, k) for k, v in self._fields.items()}
        return TraceContext(
            trace_id=parent.trace_id,
            span_id=new_span_id(),
            parent_span_id=parent.span_id,
            name=self.name or parent.name,
            tags=tuple(dict.fromkeys(parent.tags + self._tags)),
            metadata={**parent.metadata, **self._metadata},
            **inherited,
        )

    def _for_one_call(self) -> trace:
        """A trace like this one for one call of a decorated function: calls running at once (tasks,
        threads) each keep their own context token, which only the context that made it may reset."""
        return trace(self.name, tags=self._tags, metadata=self._metadata, **self._fields)

    def __enter__(self) -> TraceContext:
        ctx = self._build()
        self._tokens.append(_current.set(ctx))
        return ctx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _current.reset(self._tokens.pop())

    async def __aenter__(self) -> TraceContext:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        import inspect

        if inspect.iscoroutinefunction(func):
            async_func: Callable[P, Awaitable[Any]] = func

            @wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                with self._for_one_call():
                    return await async_func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._for_one_call():
                return func(*args, **kwargs)

        return wrapper
