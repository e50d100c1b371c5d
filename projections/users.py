"""Users of each agency, for the admin screens. Password hashes stay in the events:
a read model that lists users has no reason to hold what would let someone log in."""

from __future__ import annotations

from domain.user import User
from projections.projection import Handlers, Projection
from projections.rows import created_columns, update_row
from projections.schema import KEY, Index, Table
from projections.values import uid
from projections.view import View

USERS = Table(
    "users",
    f"id {KEY} PRIMARY KEY, agency_id {KEY} NOT NULL, username {KEY} NOT NULL, "
    f"role {KEY} NOT NULL, active INTEGER NOT NULL, version INTEGER NOT NULL, "
    f"created_at {KEY} NOT NULL, updated_at {KEY} NOT NULL",
    (Index("users_by_username", "agency_id, username"),),
)

handlers = Handlers()


@handlers.on(User.Registered)
def registered(view: View, event: User.Registered) -> None:
    view.insert(
        "users",
        {
            **created_columns(event),
            "agency_id": uid(event.agency_id),
            "username": event.username,
            "role": event.role,
            "active": 1,
        },
    )


@handlers.on(User.PasswordChanged)
def password_changed(view: View, event: User.PasswordChanged) -> None:
    # Only the version and time move: the hash is not projected.
    update_row(view, "users", event, {})


@handlers.on(User.RoleChanged)
def role_changed(view: View, event: User.RoleChanged) -> None:
    update_row(view, "users", event, {"role": event.new})


@handlers.on(User.Deactivated)
def deactivated(view: View, event: User.Deactivated) -> None:
    update_row(view, "users", event, {"active": 0})


PROJECTION = Projection(name="users", layout=1, tables=(USERS,), handlers=handlers)
