"""Instrumentation shared by the ``openai`` and ``anthropic`` SDKs.

Both SDKs send every API call through one method, ``client.request(cast_to, options, *,
stream, stream_cls)`` (``post`` and the resource methods, the ``.stream()`` helpers and the
``with_raw_response`` variants all call it). agentwatch replaces that method *on the instance*,
so only the clients the user instruments are affected and undoing it is deleting one attribute.

On the caller's thread the wrapper reads two clocks, keeps references to the request body and
the response, and appends a :class:`RawCall` to the transport's queue. A stream keeps its own
type: only its private iterator is wrapped, so SDK helpers such as ``chat.completions.stream()``
and ``messages.stream()`` work unchanged, and every chunk reaches the caller as the SDK made it
(with ``stream_usage`` on, less the usage chunk agentwatch asked for itself:
:mod:`agentwatch.capture.stream_usage`).
Chunks are not kept: an accumulator (:mod:`agentwatch.capture.streams`) notes what each carries.
Exceptions from the provider are re-raised untouched; agentwatch's own failures are logged and
swallowed (and re-raised under pytest, so bugs cannot hide).
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.capture.stream_usage import ask_for_usage, usage_only
from agentwatch.capture.streams import STREAM_STATES, ChatStream
from agentwatch.context import _current

log = logging.getLogger(__name__)

MARKER = "_agentwatch_instrumented"
Submit = Callable[[RawCall], None]

_UNDER_PYTEST = "PYTEST_CURRENT_TEST" in os.environ or "PYTEST_VERSION" in os.environ


def _internal_error(what: str, exc: Exception) -> None:
    """An agentwatch bug: never reaches the host app, except under pytest."""
    if _UNDER_PYTEST:
        raise exc
    log.exception("agentwatch: internal error while %s; your code still runs fine", what)


def _note_error(raw: RawCall, exc: BaseException) -> None:
    raw.error_type = type(exc).__name__
    status = getattr(exc, "status_code", None)
    raw.error_status = status if isinstance(status, int) else None
    raw.error_message = str(exc)[:1000]


def _finish(raw: RawCall, submit: Submit) -> None:
    if raw.submitted:
        return
    raw.submitted = True
    if not raw.end_ns:
        raw.end_ns = time.perf_counter_ns()
    submit(raw)


def _sync_chunks(raw: RawCall, inner: Iterator[Any], submit: Submit) -> Iterator[Any]:
    add = raw.stream_state.add
    hide = raw.hide_usage
    try:
        for item in inner:
            if raw.first_chunk_ns is None:
                raw.first_chunk_ns = time.perf_counter_ns()
            if add is not None:
                try:
                    add(item)
                except Exception as internal:
                    add = None
                    _internal_error("reading a stream chunk", internal)
            if hide and usage_only(item):
                continue
            yield item
        raw.completed = True
    except GeneratorExit:
        raise
    except BaseException as exc:
        _note_error(raw, exc)
        raise
    finally:
        try:
            _finish(raw, submit)
        except Exception as internal:
            _internal_error("finishing a stream", internal)


async def _async_chunks(raw: RawCall, inner: AsyncIterator[Any], submit: Submit) -> AsyncIterator[Any]:
    add = raw.stream_state.add
    hide = raw.hide_usage
    try:
        async for item in inner:
            if raw.first_chunk_ns is None:
                raw.first_chunk_ns = time.perf_counter_ns()
            if add is not None:
                try:
                    add(item)
                except Exception as internal:
                    add = None
                    _internal_error("reading a stream chunk", internal)
            if hide and usage_only(item):
                continue
            yield item
        raw.completed = True
    except GeneratorExit:
        raise
    except BaseException as exc:
        _note_error(raw, exc)
        raise
    finally:
        try:
            _finish(raw, submit)
        except Exception as internal:
            _internal_error("finishing a stream", internal)


def _wrap_sync_stream(stream: Any, raw: RawCall, submit: Submit) -> None:
    inner = stream._iterator  # openai: an attribute; anthropic: a cached property (computed here)
    raw.stream_state = STREAM_STATES.get(raw.api, ChatStream)()
    raw.completed = False
    weakref.finalize(stream, _finish, raw, submit)  # dropped unread, or still open at exit
    stream.__dict__["_iterator"] = _sync_chunks(raw, inner, submit)
    # The replacement refers to the stream weakly: a strong reference from the stream's own
    # __dict__ would make every stream cyclic garbage, left for the app's garbage collector.
    ref = weakref.ref(stream)
    close = type(stream).close

    def close_and_record() -> None:
        try:
            target = ref()
            if target is not None:
                close(target)
        finally:
            _finish(raw, submit)

    stream.close = close_and_record


def _wrap_async_stream(stream: Any, raw: RawCall, submit: Submit) -> None:
    inner = stream._iterator
    raw.stream_state = STREAM_STATES.get(raw.api, ChatStream)()
    raw.completed = False
    weakref.finalize(stream, _finish, raw, submit)
    stream.__dict__["_iterator"] = _async_chunks(raw, inner, submit)
    ref = weakref.ref(stream)
    close = type(stream).close

    async def close_and_record() -> None:
        try:
            target = ref()
            if target is not None:
                await close(target)
        finally:
            _finish(raw, submit)

    stream.close = close_and_record


#: Request fields that hold the caller's own lists: agent loops append to them right after a call.
_MUTABLE_FIELDS = ("messages", "input", "system", "tools")


def _snapshot(body: Any) -> dict[str, Any]:
    """A copy of the request body that the caller's later edits cannot reach (lists and the
    message dicts in them are copied; the strings they hold are immutable)."""
    if not isinstance(body, Mapping):
        return {}
    copy = dict(body)
    for name in _MUTABLE_FIELDS:
        value = copy.get(name)
        if isinstance(value, list):
            copy[name] = [dict(item) if isinstance(item, dict) else item for item in value]
    return copy


def _new_record(api: str, options: Any, defaults: ClientDefaults, stream: bool) -> RawCall:
    return RawCall(
        api=api,
        body=_snapshot(options.json_data),
        client=defaults,
        trace=_current.get(),
        start_wall_ns=time.time_ns(),
        start_ns=time.perf_counter_ns(),
        stream=stream,
    )


def _start(api: str, options: Any, defaults: ClientDefaults, stream: bool) -> tuple[RawCall | None, Any]:
    """The record (of the request as the caller made it) and the options to send."""
    try:
        raw = _new_record(api, options, defaults, stream)
        if stream:
            asked = ask_for_usage(api, options, defaults)
            if asked is not None:
                raw.hide_usage = True
                return raw, asked
        return raw, options
    except Exception as internal:
        _internal_error("starting a record", internal)
        return None, options


def _failed(raw: RawCall | None, exc: BaseException, submit: Submit) -> None:
    if raw is None:
        return
    try:
        raw.end_ns = time.perf_counter_ns()
        _note_error(raw, exc)
        _finish(raw, submit)
    except Exception as internal:
        _internal_error("recording a failed call", internal)


def _succeeded(
    raw: RawCall | None, result: Any, wrap_stream: Callable[[Any, RawCall, Submit], None], submit: Submit
) -> None:
    if raw is None:
        return
    try:
        if raw.stream and hasattr(result, "_iterator"):
            wrap_stream(result, raw, submit)
        else:
            raw.end_ns = time.perf_counter_ns()
            raw.response = result
            _finish(raw, submit)
    except Exception as internal:
        _internal_error("recording a call", internal)


def wrap_client(
    client: Any,
    *,
    routes: Mapping[str, str],
    defaults: ClientDefaults,
    submit: Submit,
    is_async: bool,
) -> None:
    """Replace ``client.request`` on this instance with a recording wrapper."""
    original = client.request

    def sync_request(cast_to: Any, options: Any, *, stream: bool = False, stream_cls: Any = None) -> Any:
        api = routes.get(options.url)
        if api is None:
            return original(cast_to, options, stream=stream, stream_cls=stream_cls)
        raw, options = _start(api, options, defaults, stream)
        try:
            result = original(cast_to, options, stream=stream, stream_cls=stream_cls)
        except BaseException as exc:
            _failed(raw, exc, submit)
            raise
        _succeeded(raw, result, _wrap_sync_stream, submit)
        return result

    async def async_request(
        cast_to: Any, options: Any, *, stream: bool = False, stream_cls: Any = None
    ) -> Any:
        api = routes.get(options.url)
        if api is None:
            return await original(cast_to, options, stream=stream, stream_cls=stream_cls)
        raw, options = _start(api, options, defaults, stream)
        try:
            result = await original(cast_to, options, stream=stream, stream_cls=stream_cls)
        except BaseException as exc:
            _failed(raw, exc, submit)
            raise
        _succeeded(raw, result, _wrap_async_stream, submit)
        return result

    client.request = async_request if is_async else sync_request
    setattr(client, MARKER, defaults)


def unwrap_client(client: Any) -> bool:
    """Undo :func:`wrap_client`; returns whether the client was instrumented."""
    if not is_instrumented(client):
        return False
    del client.request
    delattr(client, MARKER)
    return True


def is_instrumented(client: Any) -> bool:
    return MARKER in getattr(client, "__dict__", {})
