"""Staff logins: registering users and checking their passwords.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended profile). A user's id is derived from the username with the agency's
secret, so a username is unique within its agency and login needs no index.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.agency import Agency
from domain.errors import DomainError
from domain.user import User
from infra.ledger import Ledger
from projections.database import ProjectionDatabase
from services import sessions
from services.agencies import UnknownAgency, agency_by_code
from services.requests import RequestMeta

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything; a megabyte "password" is an attack

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that an unknown username costs
# the same time as a wrong password and usernames cannot be enumerated by timing.
_DUMMY_HASH = _hasher.hash("daicho-dummy-password-for-timing")


class UserExists(Exception):
    def __init__(self) -> None:
        super().__init__("a user with this username exists already in this agency")


class UnknownUser(LookupError):
    def __init__(self) -> None:
        super().__init__("no user with this username in this agency")


class InvalidCredentials(Exception):
    """Deliberately one error for unknown agency, unknown user, inactive user and wrong
    password: telling them apart would let an attacker enumerate accounts."""

    def __init__(self) -> None:
        super().__init__("invalid agency, username or password")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def add_user(
    ledger: Ledger, meta: RequestMeta, agency: Agency, *, username: str, role: str, password: str
) -> User:
    user = User.register(
        meta.for_agency(agency.id).context(),
        id=agency.derive_id("user", username),
        username=username,
        role=role,
        password_hash=hash_password(password),
    )
    try:
        ledger.save(user)
    except IntegrityError:
        raise UserExists() from None
    return user


def authenticate(ledger: Ledger, agency_code: str, username: str, password: str) -> User:
    """The active user with these credentials, or InvalidCredentials."""
    user: User | None = None
    try:
        user = user_by_username(ledger, agency_by_code(ledger, agency_code), username)
    except (UnknownAgency, UnknownUser, ValueError):
        pass
    password_hash = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if user is None or not user.active:
        raise InvalidCredentials()
    return user


def user_by_username(ledger: Ledger, agency: Agency, username: str) -> User:
    try:
        found = ledger.repository.get(agency.derive_id("user", username))
    except AggregateNotFoundError:
        raise UnknownUser() from None
    if not isinstance(found, User) or found.username != username:
        raise UnknownUser()
    return found


def deactivate_user(
    ledger: Ledger, db: ProjectionDatabase, meta: RequestMeta, agency: Agency, username: str
) -> tuple[User, int]:
    """Stops a user from logging in and ends the user's sessions at once, without
    waiting for the users read model (its runner may be another process, or stalled).
    Returns the user and how many sessions were ended."""
    user = user_by_username(ledger, agency, username)
    user.deactivate(meta.for_agency(agency.id).context())
    ledger.save(user)
    return user, sessions.revoke_all_of(db, user.id)


def change_role(
    ledger: Ledger,
    db: ProjectionDatabase,
    meta: RequestMeta,
    agency: Agency,
    username: str,
    role: str,
) -> tuple[User, int]:
    """Gives a user another role and ends the user's sessions, so that no token keeps
    the old role's reach while the users read model catches up: the next login
    carries the new role. Returns the user and how many sessions were ended."""
    user = user_by_username(ledger, agency, username)
    user.change_role(meta.for_agency(agency.id).context(), role)
    ledger.save(user)
    return user, sessions.revoke_all_of(db, user.id)


def reset_password(
    ledger: Ledger,
    db: ProjectionDatabase,
    meta: RequestMeta,
    agency: Agency,
    username: str,
    password: str,
) -> tuple[User, int]:
    """Gives a user a new password and ends the user's sessions: a password is reset
    when someone else may know it, and then may hold a token too. Returns the user and
    how many sessions were ended."""
    user = user_by_username(ledger, agency, username)
    user.change_password(meta.for_agency(agency.id).context(), hash_password(password))
    ledger.save(user)
    return user, sessions.revoke_all_of(db, user.id)
