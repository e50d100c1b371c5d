"""The ledger: the event-sourced application over the chained store.

One `Ledger` per process and store. It knows how to persist and reload aggregates and
how to open a verification snapshot; use cases live in `services/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from psycopg.sql import SQL, Identifier

from infra import postgres_store, sqlite_store
from infra.settings import Settings
from infra.transcodings import DateAsISO, EventContextAsDict
from infra.verification import ChainSnapshot


class Ledger(Application[UUID]):
    name = "daicho"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.database_url:
            _ensure_schema(settings.database_url, settings.database_schema)
        super().__init__(env=settings.store_env())

    def construct_env(self, name: str, env: Any = None) -> Any:
        # Unlike the library's default, ignore os.environ: the store is configured by
        # Settings alone, so a stray POSTGRES_* variable cannot change its behaviour.
        from eventsourcing.utils import Environment

        return Environment(name, dict(env or {}))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EventContextAsDict())

    @contextmanager
    def chain_snapshot(self) -> Iterator[ChainSnapshot]:
        if self.settings.database_url:
            with postgres_store.chain_snapshot(self.recorder) as snapshot:  # type: ignore[arg-type]
                yield snapshot
        else:
            with sqlite_store.chain_snapshot(self.recorder) as snapshot:  # type: ignore[arg-type]
                yield snapshot


def _ensure_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
