"""Who is calling: API keys from ``Authorization: Bearer`` or ``X-Agentwatch-Key``, checked per scope.

The provider proxy (:mod:`agentwatch.server.proxy`) reads only ``X-Agentwatch-Key``: there
``Authorization`` is the provider's key and is passed upstream untouched. With auth turned off (loopback hosts only) every caller is
let in as :data:`ANONYMOUS`. Keys are never logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from agentwatch.storage.keys import ApiKey, KeyStore, Scope

KEY_HEADER = "X-Agentwatch-Key"

#: The caller when auth is off.
ANONYMOUS = ApiKey("anonymous", "anonymous", frozenset({Scope.ADMIN}), datetime.fromtimestamp(0, UTC))

_bearer = HTTPBearer(auto_error=False, description="An agentwatch API key (`agentwatch keys create`)")
_key_header = APIKeyHeader(name=KEY_HEADER, auto_error=False, description="An agentwatch API key")

Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
KeyHeader = Annotated[str | None, Depends(_key_header)]


class Authenticator:
    def __init__(self, keys: KeyStore | None) -> None:
        self.keys = keys  # None: auth is off

    def admits(self, headers: dict[bytes, bytes], *, proxy: bool) -> bool:
        """Whether a request carries a live key (any scope), before its body is read: an unknown
        caller must not make the server buffer megabytes. Routes still check the scope."""
        if self.keys is None:
            return True
        key = headers.get(KEY_HEADER.lower().encode(), b"").decode("latin-1")
        if not key and not proxy:  # on the proxy, Authorization is the provider's key
            scheme, _, credentials = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            key = credentials.strip() if scheme.lower() == "bearer" else ""
        record = self.keys.verify(key) if key else None
        return record is not None and record.revoked_at is None

    def check(self, key: str | None, scope: Scope) -> ApiKey:
        if self.keys is None:
            return ANONYMOUS
        if not key:
            raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
        record = self.keys.verify(key)
        if record is None or record.revoked_at is not None:
            raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        if not record.allows(scope):
            raise HTTPException(403, f"this API key lacks the {scope.value!r} scope")
        return record


def _authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


def require(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency: the caller's key (Bearer or X-Agentwatch-Key) if it has ``scope``."""

    async def dependency(request: Request, bearer: Bearer, header: KeyHeader) -> ApiKey:
        key = header or (bearer.credentials if bearer is not None else None)
        return _authenticator(request).check(key, scope)

    return dependency
