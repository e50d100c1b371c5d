"""Configuration from the environment, read once at start-up.

DAICHO_HOME (default ./var) holds the embedded SQLite file; DAICHO_DATABASE_URL, when
set to postgresql://…, selects PostgreSQL instead. DAICHO_DATABASE_SCHEMA picks the
PostgreSQL schema (default public), which lets tests and tenants of a shared server
keep apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigurationError(Exception):
    """The environment names a store Daicho cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None = None
    database_schema: str = "public"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        url = env.get("DAICHO_DATABASE_URL") or None
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError("DAICHO_DATABASE_URL must start with postgresql://")
        return cls(
            home=Path(env.get("DAICHO_HOME") or "./var"),
            database_url=url,
            database_schema=env.get("DAICHO_DATABASE_SCHEMA") or "public",
        )

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.home / "daicho.sqlite3"

    def store_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for this store."""
        if self.database_url is None:
            return {
                "PERSISTENCE_MODULE": "infra.sqlite_store:ChainedSQLiteFactory",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": "infra.sqlite_store:ChainedSQLiteApplicationRecorder",
            }
        parts = urlsplit(self.database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": self.database_schema,
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "APPLICATION_RECORDER_TOPIC": "infra.postgres_store:ChainedPostgresApplicationRecorder",
        }
