"""The key of the ``hash`` redaction mode when none is configured.

An HMAC with an empty key is a plain hash: a phone number or a card number has few enough possible
values to be found again from its hash. So without ``hash_key`` agentwatch keys the hashes with 32
random bytes kept in ``agentwatch-hash.key`` beside the database (created on first use, readable by
its owner only): hashes stay joinable across the processes that share the database and cannot be
reversed by someone who has only the database. Apps that write to different databases (or send to
one server from several machines) and want equal hashes set one ``hash_key``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

log = logging.getLogger(__name__)

KEY_FILE = "agentwatch-hash.key"
_KEY_BYTES = 32


class HashKey:
    """The key read from (or first written to) ``path``; a key of this process only when there is
    no file (an in-memory database) or it cannot be read or written."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        key = self._key
        if key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load()
                key = self._key
        return key

    def _load(self) -> bytes:
        if self.path is None:
            return secrets.token_bytes(_KEY_BYTES)
        try:
            return _read_or_create(self.path)
        except (OSError, ValueError) as exc:
            log.warning(
                "agentwatch: the hash redaction key %s could not be read or created (%s); hashes are "
                "keyed for this process only (set redaction.hash_key to keep them joinable)",
                self.path,
                exc,
            )
            return secrets.token_bytes(_KEY_BYTES)


def _read_or_create(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) < 16:
            raise ValueError("the key file holds fewer than 16 bytes") from None
        return key
    key = secrets.token_bytes(_KEY_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key
