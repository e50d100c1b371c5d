"""Every store-backed test runs twice: on the embedded SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.ledger import Ledger
from infra.settings import Settings
from tests.postgres import throwaway_schema

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(home=tmp_path / "home")
        return
    from tests.postgres import require_postgres

    url = require_postgres()
    with throwaway_schema() as schema:
        yield Settings(home=tmp_path / "home", database_url=url, database_schema=schema)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    app = Ledger(settings)
    yield app
    app.close()
