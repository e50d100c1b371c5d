"""Where the tests find PostgreSQL, and throwaway schemas on it.

DAICHO_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/daicho_test)
names the server; the database is created if missing. Each test gets its own schema,
dropped afterwards. Under CI=true an unreachable server fails the test: it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

URL = os.environ.get("DAICHO_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/daicho_test")
_reachable: bool | None = None


def _ensure_database() -> None:
    parts = urlsplit(URL)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))


def require_postgres() -> str:
    global _reachable
    if _reachable is None:
        try:
            _ensure_database()
            _reachable = True
        except psycopg.Error as error:
            _reachable = False
            reason = f"PostgreSQL unreachable at {URL}: {error}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
    if not _reachable:
        message = f"PostgreSQL unreachable at {URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return URL


@contextmanager
def throwaway_schema() -> Iterator[str]:
    url = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))
