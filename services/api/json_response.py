"""A JSON response that goes straight to ASGI messages.

Litestar turns every `Response` into an `ASGIResponse`, building a header mapping,
looking up a serializer and setting defaults header by header: about 30 µs of a GET
customer's ~400 (docs/performance.md). A read's response has nothing that needs that
machinery — no cookies, no background task, no route-level headers — so this one
encodes its body with msgspec and its headers as bytes, once, and sends both.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.types import ASGIApp, Receive, Scope, Send

_JSON = (b"content-type", b"application/json")
# What a route can add to every response it gives; none of Daicho's routes does.
_ROUTE_EXTRAS = ("headers", "cookies", "background")


class _EncodedJSON:
    """The ASGI app of one response whose status, headers and body are final."""

    __slots__ = ("_body", "_start")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self._start = {"type": "http.response.start", "status": status, "headers": headers}
        self._body = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start)  # type: ignore[arg-type]
        await send(self._body)  # type: ignore[arg-type]


class JSONResponse(Response[Any]):
    """A `Response` of a msgspec-encodable body and string headers: what the
    idempotency store and the OpenAPI document see is an ordinary `Response`."""

    def to_asgi_response(  # type: ignore[override]
        self, app: Any, request: Request[Any, Any, Any], **route: Any
    ) -> ASGIApp:
        if self.cookies or self.background or any(route.get(name) for name in _ROUTE_EXTRAS):
            return super().to_asgi_response(app, request, **route)
        body = msgspec.json.encode(self.content)
        items = self.headers.items()
        headers = [
            _JSON,
            (b"content-length", str(len(body)).encode()),
            *[(name.lower().encode(), value.encode("latin-1")) for name, value in items],
        ]
        return _EncodedJSON(self.status_code, headers, body)
