"""Login sessions: short-lived opaque bearer tokens, revocable at once.

A token is 32 random bytes; the database keeps only its SHA-256, so a stolen copy of
the table opens no session. Every request looks its token up, which makes logout and
deactivation take effect immediately on every API process sharing the database.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.user import User
from infra.clock import now
from projections.database import ProjectionDatabase

TOKEN_PREFIX = "dct_"
TOKEN_LIFETIME = timedelta(minutes=15)

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS api_sessions ("
    "id TEXT PRIMARY KEY, user_id TEXT NOT NULL, agency_id TEXT NOT NULL, "
    "username TEXT NOT NULL, "
    "created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE INDEX IF NOT EXISTS api_sessions_expiry ON api_sessions (expires_at)",
]
# The role and the active flag come from the users read model, not from the session:
# a role change or a deactivation takes effect on the next request.
LOOKUP = (
    "SELECT s.user_id, s.agency_id, s.username, u.role, u.active, s.expires_at, "
    "s.revoked_at FROM api_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?"
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    session_id: str
    user_id: UUID
    agency_id: UUID
    username: str
    role: str


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_tables(db: ProjectionDatabase) -> None:
    with db.transaction() as cursor:
        for statement in SCHEMA:
            cursor.execute(statement)


def open_session(db: ProjectionDatabase, user: User) -> tuple[str, int]:
    """A new token for `user`, and its lifetime in seconds."""
    token = TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    created = now()
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM api_sessions WHERE expires_at < ?", (created.isoformat(),))
        cursor.execute(
            "INSERT INTO api_sessions VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                _session_id(token),
                str(user.id),
                str(user.agency_id),
                user.username,
                created.isoformat(),
                (created + TOKEN_LIFETIME).isoformat(),
            ),
        )
    return token, int(TOKEN_LIFETIME.total_seconds())


async def resolve(db: ProjectionDatabase, token: str) -> Principal | None:
    """The principal of a live token; None for unknown, expired or revoked tokens.

    Looked up afresh for every request, never cached: a logout or a deactivation takes
    effect on the next request, in every process.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    session_id = _session_id(token)
    rows = await db.read(LOOKUP, (session_id,))
    row = rows[0] if rows else None
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    if datetime.fromisoformat(row["expires_at"]) <= now():
        return None
    return Principal(
        session_id, UUID(row["user_id"]), UUID(row["agency_id"]), row["username"], row["role"]
    )


def revoke(db: ProjectionDatabase, session_id: str) -> None:
    with db.transaction() as cursor:
        cursor.execute(
            "UPDATE api_sessions SET revoked_at = ? WHERE id = ?", (now().isoformat(), session_id)
        )


def revoke_user(db: ProjectionDatabase, user_id: UUID) -> None:
    """Ends every session of a user, e.g. when the user is deactivated."""
    with db.transaction() as cursor:
        cursor.execute(
            "UPDATE api_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (now().isoformat(), str(user_id)),
        )
