"""An API under test: the real app over a real store (both backends), with two
agencies and a user of every role in the first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.roles import ROLES
from infra.ledger import Ledger
from infra.settings import Settings
from services.agencies import register_agency
from services.api.app import create_app
from services.requests import cli_meta
from services.users import add_user

PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    client: TestClient[Any]
    tokens: dict[str, str]

    def headers(self, role: str = "agent", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def get(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(role, **kwargs.pop("headers", {})),
                               **kwargs)

    def post(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers(role, **kwargs.pop("headers", {})),
                                **kwargs)

    def patch(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.patch(path, headers=self.headers(role, **kwargs.pop("headers", {})),
                                 **kwargs)


def _seed(settings: Settings) -> None:
    ledger = Ledger(settings)
    for code in ("sakura", "momiji"):
        agency = register_agency(ledger, cli_meta(), code=code, name=f"{code} 保険サービス")
        for role in ROLES:
            add_user(ledger, cli_meta(), agency, username=f"{role}-user", role=role,
                     password=PASSWORD)
    ledger.close()


def login(client: TestClient[Any], agency: str, username: str) -> str:
    response = client.post("/api/v1/auth/login",
                           json={"agency": agency, "username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    _seed(settings)
    app = create_app(settings, run_projections=False)
    with TestClient(app) as client:
        tokens = {role: login(client, "sakura", f"{role}-user") for role in ROLES}
        tokens["other-agency"] = login(client, "momiji", "agent-user")
        yield Api(client, tokens)
