"""A staff login (募集人, manager, admin, auditor, investigator) of one agency.

Passwords are hashed outside the domain: the domain records the hash it is given, and
never sees a password.
"""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks
from domain.context import EventContext
from domain.errors import DomainError
from domain.roles import ROLES
from domain.tenancy import require_same_agency

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")
PASSWORD_HASH_MAX_LENGTH = 512


class User(Aggregate):
    """A user who can log in, with a role, until deactivated.

    Deactivation is final: the user's past actions stay attributed to this id, and a
    person who comes back gets a new user.
    """

    class Event(Aggregate.Event):
        """Every user event says who made the change, for which agency and why."""

        context: EventContext

    class Registered(Event, Aggregate.Created):
        """The user was registered, active, with this role and password hash."""

        agency_id: UUID
        username: str
        role: str
        password_hash: str

    class PasswordChanged(Event):
        """The user's password changed; the event holds the new hash."""

        password_hash: str

        def apply(self, aggregate: User) -> None:
            aggregate.password_hash = self.password_hash

    class RoleChanged(Event):
        """The user's role changed from `old` to `new`."""

        old: str
        new: str

        def apply(self, aggregate: User) -> None:
            aggregate.role = self.new

    class Deactivated(Event):
        """The user can no longer log in."""

        def apply(self, aggregate: User) -> None:
            aggregate.active = False

    def __init__(self, agency_id: UUID, username: str, role: str, password_hash: str) -> None:
        self.agency_id = agency_id
        self.username = username
        self.role = role
        self.password_hash = password_hash
        self.active = True

    @classmethod
    def register(
        cls,
        context: EventContext,
        *,
        username: str,
        role: str,
        password_hash: str,
        id: UUID | None = None,  # noqa: A002 - the library's name for an aggregate id
    ) -> User:
        """Register an active user of the context's agency."""
        if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
            raise DomainError(
                "username", "must be 3 to 64 characters of a-z, 0-9, '.', '_' and '-'"
            )
        return cls._create(
            cls.Registered,
            id=id,
            context=context,
            agency_id=context.agency_id,
            username=username,
            role=checks.one_of(role, ROLES, "role"),
            password_hash=_checked_password_hash(password_hash),
        )

    def change_password(self, context: EventContext, password_hash: str) -> None:
        """Replace the password hash."""
        self._require_changeable(context)
        self.trigger_event(
            self.PasswordChanged,
            context=context,
            password_hash=_checked_password_hash(password_hash),
        )

    def change_role(self, context: EventContext, role: str) -> None:
        """Give the user another role; giving the current role records nothing."""
        self._require_changeable(context)
        role = checks.one_of(role, ROLES, "role")
        if role != self.role:
            self.trigger_event(self.RoleChanged, context=context, old=self.role, new=role)

    def deactivate(self, context: EventContext) -> None:
        """Stop the user from logging in, for good."""
        self._require_changeable(context)
        self.trigger_event(self.Deactivated, context=context)

    def _require_changeable(self, context: EventContext) -> None:
        require_same_agency(context, self.agency_id)
        if not self.active:
            raise DomainError("active", "the user is deactivated")


def _checked_password_hash(password_hash: str) -> str:
    return checks.required_text(password_hash, "password_hash", max_length=PASSWORD_HASH_MAX_LENGTH)
