"""Authentication and the one-line-per-request log.

The log line carries the request id, actor, agency, route template, status and
latency — never the path's query string (searches carry names), headers, tokens or
bodies.
"""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services import sessions
from services.api.access import request_id_from
from services.api.runtime import runtime_of

log = structlog.get_logger("daicho.api")


def _header(scope: Scope, name: bytes) -> str:
    """One request header, read straight from the ASGI scope (whose header names are
    lower-case): cheaper than building Litestar's Headers for a request that needs
    only this one."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


class BearerTokenAuthentication(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = _header(connection.scope, b"authorization").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(
                "send Authorization: Bearer <token> from /api/v1/auth/login"
            )
        runtime = runtime_of(connection)
        # On the event loop, not in a worker thread: one indexed read is cheaper than
        # the hop (bench/api_breakdown.py measured the hop at about half of a GET's cost).
        principal = await sessions.resolve(runtime.db, runtime.live_sessions, token.strip())
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked")
        return AuthenticationResult(user=principal, auth=principal.session_id)


def authentication() -> DefineMiddleware:
    return DefineMiddleware(
        BearerTokenAuthentication, exclude=["^/schema"], exclude_from_auth_key="exclude_from_auth"
    )


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


# Headers above this, in all, are refused before routing (431). The ASGI server has read
# them by then: a reverse proxy's own limit is what bounds its memory (operations.md).
MAX_HEADER_BYTES = 16 * 1024


async def _refuse_headers(send: Send) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Request Header Fields Too Large",
            "status": 431,
            "detail": f"the request's headers are above {MAX_HEADER_BYTES // 1024} KiB in all",
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json")]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def request_log(app: ASGIApp) -> ASGIApp:
    """Wraps the whole application, so that every response — 401s and unmatched routes
    included — gets a request id and the security headers, and is logged once with
    its final status."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(_header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *[(name, value) for name, value in SECURITY_HEADERS if name not in present],
                ]
            await send(message)

        try:
            if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
                await _refuse_headers(send_with_id)
            else:
                await app(scope, receive, send_with_id)
        finally:
            user = scope.get("user")
            log.info(
                "request",
                request_id=request_id,
                method=scope["method"],
                route=str(scope.get("path_template") or "unmatched"),
                status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                actor=str(user.user_id) if user is not None else None,
                agency=str(user.agency_id) if user is not None else None,
            )

    return wrapped
