"""Opaque cursors for keyset pagination, refused when tampered with or replayed.

A cursor carries the sort key of the last row served and a seal: a digest of that key
together with the query it belongs to (agency, sort and every filter). A cursor whose
key was edited, or that is replayed against another query, no longer matches its seal
and is refused. The seal is a digest, not a signature: it catches tampering and
mix-ups, and whoever forges one still only pages through their own agency's rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

# Far more than any cursor we make; refusing longer input bounds the work done on it.
MAX_CURSOR_LENGTH = 2048


class InvalidCursor(ValueError):
    """The cursor was not made by this query."""

    def __init__(self) -> None:
        super().__init__("cursor: not a cursor of this query; start again without one")


def encode_cursor(query: Mapping[str, Any], key: Sequence[str]) -> str:
    payload = {"k": list(key), "s": _seal(query, key)}
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(cursor: str, query: Mapping[str, Any], width: int) -> list[str]:
    """The sort key in `cursor` (`width` values), if the cursor was made by `query`."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        data = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        payload = json.loads(data)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if not isinstance(payload, dict) or set(payload) != {"k", "s"}:
        raise InvalidCursor()
    key, seal = payload["k"], payload["s"]
    if (
        not isinstance(key, list)
        or len(key) != width
        or not all(isinstance(value, str) for value in key)
        or not isinstance(seal, str)
        or not hmac.compare_digest(seal, _seal(query, key))
    ):
        raise InvalidCursor()
    return key


def _seal(query: Mapping[str, Any], key: Sequence[str]) -> str:
    material = json.dumps([query, list(key)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()[:32]
