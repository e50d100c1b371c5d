"""JSONResponse: the direct path must send what Litestar's own path would."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec
from litestar import Litestar, get
from litestar.testing import TestClient

from services.api.json_response import JSONResponse


class Card(msgspec.Struct):
    id: UUID
    name: str
    born: date


CARD = Card(UUID("0b7c6c1e-95a5-4c1a-9a43-5d1f4b0c2f10"), "山田 花子", date(1990, 4, 1))


@get("/direct", sync_to_thread=False)
def direct() -> JSONResponse:
    return JSONResponse(CARD, status_code=201, headers={"ETag": '"3"', "Location": "/x/1"})


@get("/with-route-headers", response_headers={"X-Route": "yes"}, sync_to_thread=False)
def with_route_headers() -> JSONResponse:
    return JSONResponse(CARD, headers={"ETag": '"3"'})


def test_the_body_status_and_headers_are_sent_as_given() -> None:
    with TestClient(Litestar([direct])) as client:
        response = client.get("/direct")
    assert response.status_code == 201
    assert response.json() == {"id": str(CARD.id), "name": "山田 花子", "born": "1990-04-01"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["etag"] == '"3"'
    assert response.headers["location"] == "/x/1"


def test_a_route_that_adds_headers_gets_litestars_own_path() -> None:
    with TestClient(Litestar([with_route_headers])) as client:
        response = client.get("/with-route-headers")
    assert response.headers["x-route"] == "yes"
    assert response.headers["etag"] == '"3"'
    assert response.json()["name"] == "山田 花子"
