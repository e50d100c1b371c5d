"""Idempotency-Key for POST: a retried request returns the first result, once.

The key is scoped to the caller (agency and user). The first request claims the key
with a row naming itself; a concurrent duplicate sees the claim and gets 409 rather
than writing twice; a later duplicate gets the stored response. Reusing a key for a
different request is refused. Keys are forgotten after a day.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import psycopg
from litestar import Request, Response

from infra.clock import now
from services.api.problems import problem
from services.api.runtime import Runtime

KEY_LIFETIME = timedelta(days=1)
REPLAYED_HEADERS = ("ETag", "Location")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS idempotency_keys ("
    "agency_id TEXT NOT NULL, user_id TEXT NOT NULL, key TEXT NOT NULL, "
    "request_hash TEXT NOT NULL, owner TEXT NOT NULL, status INTEGER, headers TEXT, "
    "body TEXT, created_at TEXT NOT NULL, PRIMARY KEY (agency_id, user_id, key))",
]


def create_tables(runtime: Runtime) -> None:
    with runtime.db.transaction() as cursor:
        for statement in SCHEMA:
            cursor.execute(statement)


def idempotent(
    runtime: Runtime,
    request: Request[Any, Any, Any],
    key: str | None,
    content: bytes,
    run: Callable[[], Response[Any]],
) -> Response[Any]:
    """Runs `run` once per key; `content` is what makes two requests the same one (the
    decoded body, or an upload's bytes and form fields)."""
    if key is None:
        return run()
    scope = (str(request.user.agency_id), str(request.user.user_id), key)
    request_hash = hashlib.sha256(
        f"{request.method} {request.url.path} ".encode() + content
    ).hexdigest()
    owner = uuid.uuid4().hex
    created = now()
    with runtime.db.transaction() as cursor:
        cursor.execute(
            "DELETE FROM idempotency_keys WHERE created_at < ?",
            ((created - KEY_LIFETIME).isoformat(),),
        )
        cursor.execute(
            "INSERT INTO idempotency_keys (agency_id, user_id, key, request_hash, owner, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (*scope, request_hash, owner, created.isoformat()),
        )
        cursor.execute(
            "SELECT request_hash, owner, status, headers, body FROM idempotency_keys "
            "WHERE agency_id = ? AND user_id = ? AND key = ?",
            scope,
        )
        stored = cursor.fetchone()
    if stored["request_hash"] != request_hash:
        return problem(
            422,
            "Idempotency-Key reused",
            "this key was used for a different request; use a new key",
        )
    if stored["owner"] != owner:
        if stored["status"] is None:
            return problem(
                409,
                "Request in progress",
                "a request with this Idempotency-Key is still running; retry later",
            )
        return Response(
            content=stored["body"].encode(),
            status_code=stored["status"],
            headers={**json.loads(stored["headers"]), "Idempotent-Replayed": "true"},
            media_type="application/json",
        )
    try:
        response = run()
    except BaseException:
        _release(runtime, (*scope, owner))
        raise
    headers = {
        name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
    }
    with runtime.db.transaction() as cursor:
        cursor.execute(
            "UPDATE idempotency_keys SET status = ?, headers = ?, body = ? "
            "WHERE agency_id = ? AND user_id = ? AND key = ? AND owner = ?",
            (
                response.status_code,
                json.dumps(headers),
                msgspec.json.encode(response.content).decode(),
                *scope,
                owner,
            ),
        )
    return response


def _release(runtime: Runtime, claim: tuple[str, str, str, str]) -> None:
    """Frees a failed request's key for its retry. Its failure may have been a lost
    database connection, and then so may be the next one drawn: once more after the
    dead ones are replaced, or the key would answer 409 "in progress" for a day."""
    for attempt in (1, 2):
        try:
            with runtime.db.transaction() as cursor:
                cursor.execute(
                    "DELETE FROM idempotency_keys WHERE agency_id = ? AND user_id = ? "
                    "AND key = ? AND owner = ?",
                    claim,
                )
            return
        except psycopg.OperationalError:
            if attempt == 2:
                raise
            runtime.drop_dead_connections()
