"""An API under test: the real app over a real store (both backends), with two
agencies and a user of every role in the first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar.testing import TestClient

from domain.roles import ROLES
from infra.ledger import Ledger
from infra.settings import Settings
from services import users
from services.agencies import register_agency
from services.api.app import create_app
from services.requests import cli_meta
from services.users import add_user
from tests.changes import known_version

PASSWORD = "correct horse battery staple"


class Tokens(dict[str, str]):
    """Logs a role in the first time a test uses it: a login costs an argon2 verify."""

    def __init__(self, client: TestClient[Any]) -> None:
        super().__init__()
        self.client = client

    def __missing__(self, role: str) -> str:
        agency, username = (
            ("momiji", "agent-user") if role == "other-agency" else ("sakura", f"{role}-user")
        )
        self[role] = token = login(self.client, agency, username)
        return token


@dataclass
class Api:
    client: TestClient[Any]
    tokens: Tokens

    def headers(self, role: str = "agent", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def get(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.get(
            path, headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs
        )

    def post(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.post(
            path, headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs
        )

    def patch(self, path: str, role: str = "agent", **kwargs: Any) -> Any:
        return self.client.patch(
            path, headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs
        )


def _seed(settings: Settings) -> None:
    ledger = Ledger(settings)
    sakura = register_agency(ledger, cli_meta(), code="sakura", name="さくら保険サービス")
    for role in ROLES:
        add_user(ledger, cli_meta(), sakura, username=f"{role}-user", role=role, password=PASSWORD)
    momiji = register_agency(ledger, cli_meta(), code="momiji", name="もみじ保険サービス")
    add_user(ledger, cli_meta(), momiji, username="agent-user", role="agent", password=PASSWORD)
    ledger.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its production cost takes ~0.4 s a hash on this machine; the tests
    use the same algorithm at the lowest cost, so that they test logic, not the CPU."""
    monkeypatch.setattr(
        users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def login(client: TestClient[Any], agency: str, username: str) -> str:
    response = client.post(
        "/api/v1/auth/login", json={"agency": agency, "username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    _seed(settings)
    app = create_app(settings, run_projections=False)
    with TestClient(app) as client:
        # Live sessions are reused only once the database's data version is known.
        known_version(client.app.state.runtime.db)
        yield Api(client, Tokens(client))
