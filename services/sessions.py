"""Login sessions: short-lived opaque bearer tokens, revocable at once.

A token is 32 random bytes; the database keeps only its SHA-256, so a stolen copy of
the table opens no session. Every request checks its token against the database, which
makes logout, deactivation and role changes take effect at the next request on every
API process sharing the database: by a lookup, or, while the database's data version
shows that no write was committed since the last lookup, from that lookup.
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


def session_id_of(token: str) -> str:
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
                session_id_of(token),
                str(user.id),
                str(user.agency_id),
                user.username,
                created.isoformat(),
                (created + TOKEN_LIFETIME).isoformat(),
            ),
        )
    return token, int(TOKEN_LIFETIME.total_seconds())


class LiveSessions:
    """The sessions found live since the database last changed, in one process.

    Whatever ends or changes a session — logout, deactivation, a role change — is a
    write committed to the read models' database, and each changes its
    `data_version`: an entry is used only while the version it was found under is
    still current, so the next request after such a commit, in any process, looks
    its token up again. Unknown
    and refused tokens are never kept: only holders of a live token add entries.
    """

    LIMIT = 10_000

    def __init__(self) -> None:
        self._version: int | None = None
        self._found: dict[str, tuple[Principal, datetime]] = {}

    def get(self, session_id: str, version: int | None) -> Principal | None:
        if version is None:
            return None
        if version != self._version:
            self._found.clear()
            self._version = version
            return None
        found = self._found.get(session_id)
        if found is None or found[1] <= now():
            return None
        return found[0]

    def add(self, principal: Principal, expires_at: datetime, version: int | None) -> None:
        if version is None or version != self._version:
            return  # unknowable, or something was committed since the lookup began
        if len(self._found) >= self.LIMIT:
            self._found.clear()
        self._found[principal.session_id] = (principal, expires_at)


async def resolve(db: ProjectionDatabase, live: LiveSessions, token: str) -> Principal | None:
    """The principal of a live token; None for unknown, expired or revoked tokens."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    session_id = session_id_of(token)
    # Read before the lookup: a commit during the lookup then shows as a new version.
    version = db.data_version()
    principal = live.get(session_id, version)
    if principal is not None:
        return principal
    rows = await db.read(LOOKUP, (session_id,), point=True)
    row = rows[0] if rows else None
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    expires_at = datetime.fromisoformat(row["expires_at"])
    if expires_at <= now():
        return None
    principal = Principal(
        session_id, UUID(row["user_id"]), UUID(row["agency_id"]), row["username"], row["role"]
    )
    live.add(principal, expires_at, version)
    return principal


def revoke(db: ProjectionDatabase, session_id: str) -> None:
    with db.transaction() as cursor:
        cursor.execute(
            "UPDATE api_sessions SET revoked_at = ? WHERE id = ?", (now().isoformat(), session_id)
        )


def revoke_all_of(db: ProjectionDatabase, user_id: UUID) -> int:
    """Ends every live session of one user (a new password: whoever held the old one
    may hold a token too). Returns how many were live."""
    at = now().isoformat()
    live = "user_id = ? AND revoked_at IS NULL AND expires_at > ?"
    with db.transaction() as cursor:
        cursor.execute(f"SELECT count(*) AS n FROM api_sessions WHERE {live}", (str(user_id), at))
        ended = int(cursor.fetchone()["n"])
        cursor.execute(
            f"UPDATE api_sessions SET revoked_at = ? WHERE {live}", (at, str(user_id), at)
        )
    return ended
