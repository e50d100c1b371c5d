"""Staff logins as an agency's operator manages them with `daicho users`."""

from __future__ import annotations

import io

import pytest

from infra.ledger import Ledger
from infra.settings import Settings
from projections.runner import Projections
from services import sessions, users

OLD, NEW = "correct horse battery staple", "a new passphrase, 2026-12"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))


def test_an_operator_changes_a_role_resets_a_password_and_deactivates(
    daicho, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert daicho("agencies", "add", "sakura", "--name", "さくら保険サービス")[0] == 0
    _stdin(monkeypatch, OLD)
    add = ("users", "add", "--agency", "sakura", "--username", "tanaka", "--role", "agent")
    assert daicho(*add, "--password-stdin")[0] == 0
    ledger = Ledger(settings)
    read_side = Projections(ledger)
    sessions.create_tables(read_side.database)

    def session(token: str) -> dict:
        """What the API's token lookup finds (sessions.LOOKUP), once the users read
        model has what the command recorded."""
        read_side.catch_up()
        found = read_side.database.query(sessions.LOOKUP, (sessions.session_id_of(token),))
        return found[0]

    try:
        user = users.authenticate(ledger, "sakura", "tanaka", OLD)
        token, _ = sessions.open_session(read_side.database, user)
        who = ("--agency", "sakura", "--username", "tanaka")

        code, out, _ = daicho("users", "set-role", *who, "--role", "manager")
        assert code == 0 and "now manager; 1 session(s) ended" in out
        assert session(token)["revoked_at"]  # no token keeps the old role's reach
        token, _ = sessions.open_session(
            read_side.database, users.authenticate(ledger, "sakura", "tanaka", OLD)
        )
        assert session(token)["role"] == "manager"

        _stdin(monkeypatch, NEW)
        code, out, _ = daicho("users", "reset-password", *who, "--password-stdin")
        assert code == 0 and "1 session(s) ended" in out
        assert session(token)["revoked_at"]  # whoever knew the old password holds no token
        with pytest.raises(users.InvalidCredentials):
            users.authenticate(ledger, "sakura", "tanaka", OLD)
        token, _ = sessions.open_session(
            read_side.database, users.authenticate(ledger, "sakura", "tanaka", NEW)
        )

        code, out, _ = daicho("users", "deactivate", *who)
        assert code == 0 and "1 session(s) ended" in out  # at once, not at the catch-up
        assert session(token)["revoked_at"] and not session(token)["active"]
        with pytest.raises(users.InvalidCredentials):
            users.authenticate(ledger, "sakura", "tanaka", NEW)
        code, _, err = daicho("users", "set-role", *who, "--role", "admin")
        assert code == 2 and "deactivated" in err
    finally:
        read_side.close()
        ledger.close()


def test_an_unknown_user_or_agency_is_a_usage_error(daicho) -> None:
    assert daicho("agencies", "add", "sakura", "--name", "さくら保険サービス")[0] == 0
    code, _, err = daicho("users", "deactivate", "--agency", "sakura", "--username", "nobody")
    assert code == 2 and "no user with this username" in err
    code, _, err = daicho("users", "deactivate", "--agency", "momiji", "--username", "tanaka")
    assert code == 2 and "agency" in err
