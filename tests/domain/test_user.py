from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from domain.context import EventContext
from domain.errors import DomainError, WrongAgency
from domain.user import User

from .conftest import RoundTrip

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
NEW_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaG5ld2hhc2g"


def register_user(context: EventContext, **overrides: Any) -> User:
    fields: dict[str, Any] = {"username": "tanaka.k", "role": "agent", "password_hash": HASH}
    return User.register(context, **{**fields, **overrides})


def test_a_registered_user_is_active(context: EventContext) -> None:
    user = register_user(context)

    assert user.active
    assert (user.username, user.role) == ("tanaka.k", "agent")
    assert user.agency_id == context.agency_id
    [registered] = user.pending_events
    assert isinstance(registered, User.Registered)
    assert registered.context == context


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "a" * 65),
        ("username", "Tanaka"),
        ("username", "tanaka k"),
        ("username", "たなか"),
        ("role", "superuser"),
        ("password_hash", ""),
    ],
)
def test_registration_breaking_a_rule_names_the_field(
    context: EventContext, field: str, value: str
) -> None:
    with pytest.raises(DomainError) as error:
        register_user(context, **{field: value})
    assert error.value.field == field


def test_changing_the_password_records_the_new_hash(context: EventContext) -> None:
    user = register_user(context)

    user.change_password(context, NEW_HASH)

    changed = user.pending_events[-1]
    assert isinstance(changed, User.PasswordChanged)
    assert changed.password_hash == NEW_HASH
    assert user.password_hash == NEW_HASH


def test_changing_the_role_records_old_and_new(context: EventContext) -> None:
    user = register_user(context)

    user.change_role(context, "manager")

    changed = user.pending_events[-1]
    assert isinstance(changed, User.RoleChanged)
    assert (changed.old, changed.new) == ("agent", "manager")
    assert user.role == "manager"


def test_giving_the_current_role_records_nothing(context: EventContext) -> None:
    user = register_user(context)

    user.change_role(context, "agent")

    assert user.version == 1


def test_deactivated_user_refuses_every_change(context: EventContext) -> None:
    user = register_user(context)
    user.deactivate(context)

    assert not user.active
    changes: list[Callable[[], None]] = [
        partial(user.change_password, context, NEW_HASH),
        partial(user.change_role, context, "admin"),
        partial(user.deactivate, context),
    ]
    for change in changes:
        with pytest.raises(DomainError) as error:
            change()
        assert error.value.field == "active"
    assert user.version == 2


def test_another_agency_cannot_change_the_user(
    context: EventContext, other_agency_context: EventContext
) -> None:
    user = register_user(context)

    with pytest.raises(WrongAgency):
        user.change_role(other_agency_context, "admin")


def test_user_round_trips_through_the_event_store(
    context: EventContext, round_trip: RoundTrip
) -> None:
    user = register_user(context)
    user.change_password(context, NEW_HASH)
    user.change_role(context, "investigator")
    user.deactivate(context)

    assert round_trip(user) == user
