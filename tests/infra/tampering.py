"""Raw SQL access to a ledger's store, the way an attacker with database access has it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from infra.settings import Settings

SQLITE_TRIGGERS = ["stored_events_no_update", "stored_events_no_delete"]
POSTGRES_TRIGGERS = ["stored_events_no_update_delete", "stored_events_no_truncate"]


class RawStore:
    """Executes statements with `?` placeholders on either backend, autocommitted."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.database_url is not None
        self.position_column = "notification_id" if self.postgres else "rowid"

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.postgres:
            with psycopg.connect(self.settings.database_url, autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(
                    SQL("SET search_path TO {}").format(Identifier(self.settings.database_schema))
                )
                yield conn
        else:
            conn = sqlite3.connect(self.settings.sqlite_path, isolation_level=None)
            try:
                yield conn
            finally:
                conn.close()

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        statement = statement.replace("{pos}", self.position_column)
        if self.postgres:
            statement = statement.replace("?", "%s")
        with self._connection() as conn:
            cursor = conn.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []

    def insert_copy(
        self,
        position: int,
        of: int,
        *,
        version: int,
        state: bytes,
        **links: Any,
    ) -> None:
        """Inserts a row at `position` for the aggregate of the row at `of`, with the given
        version and state and that row's chain columns, unless `links` gives others
        (prev_position, entry_hash, chain_hash, aggregate_hash). Inserting needs no
        dropped trigger: the triggers guard UPDATE and DELETE."""
        columns = ("prev_position", "entry_hash", "chain_hash", "aggregate_hash")
        values = ["?" if column in links else column for column in columns]
        self.execute(
            "INSERT INTO stored_events ({pos}, originator_id, originator_version, topic, state, "
            f"{', '.join(columns)}) SELECT ?, originator_id, ?, topic, ?, {', '.join(values)} "
            "FROM stored_events WHERE {pos} = ?",
            (position, version, state, *(links[c] for c in columns if c in links), of),
        )

    def execute_script(self, script: str) -> None:
        """Several statements at once (SQLite only): PRAGMA writable_schema holds per
        connection."""
        with self._connection() as conn:
            conn.executescript(script)

    def drop_guards(self) -> None:
        """What an attacker does first: remove the append-only triggers."""
        if self.postgres:
            for trigger in POSTGRES_TRIGGERS:
                self.execute(f"DROP TRIGGER {trigger} ON stored_events")
        else:
            for trigger in SQLITE_TRIGGERS:
                self.execute(f"DROP TRIGGER {trigger}")
