"""The customer (顧客): a person or a corporation that an agency serves.

Text is recorded as typed; what the domain derives from it (the kana search key, the
7 digits of a postal code, the lower-case e-mail domain) is derived once, here, and recorded
in the event, so that replaying history never depends on how a later version normalises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks, text
from domain.changes import FieldChange, apply_field_changes, field_changes
from domain.context import EventContext
from domain.errors import DomainError, InvalidFields, RecordArchived, StateConflict, check_each
from domain.tenancy import require_same_agency

KINDS = frozenset({"person", "corporation"})
ACTIVE = "active"
ARCHIVED = "archived"

NAME_MAX_LENGTH = 100
ADDRESS_MAX_LENGTH = 200
AGENT_ID_MAX_LENGTH = 64
# Generous bounds on what may be typed; the real rules are in domain.text.
POSTAL_CODE_MAX_LENGTH = 16
PHONE_MAX_LENGTH = 32


def natural_key(kind: str, name: str, birth_date: date | None, phones: Sequence[str]) -> str | None:
    """Who a customer is outside Daicho: the name with the birth date, or with the first
    phone number when the birth date is unknown. Imports and the API derive the
    customer's id from it, so the same person is not registered twice, by hand or by
    file. None when neither is known (or the phone is no number, which registering
    refuses anyway): such a customer gets a random id."""
    if birth_date is not None:
        identity = birth_date.isoformat()
    elif phones:
        try:
            identity = f"tel:{text.phone_digits(phones[0])}"
        except DomainError:
            return None
    else:
        return None
    return f"{kind}|{text.name_key(name)}|{identity}"


class Customer(Aggregate):
    """A customer of one agency, from registration to archiving.

    Archiving replaces deletion: the history of a customer is evidence and stays.
    """

    class Event(Aggregate.Event):
        """Every customer event says who made the change, for which agency and why."""

        context: EventContext

    class Registered(Event, Aggregate.Created):
        """The customer was registered with these initial fields."""

        agency_id: UUID
        kind: str
        name: str
        kana: str
        kana_key: str
        birth_date: date | None
        postal_code: str | None
        address: str | None
        phones: list[str]
        email: str | None
        household_id: UUID | None
        agent_id: str | None

    class Changed(Event):
        """Some fields changed; each entry names the field, its old and its new value."""

        changes: list[FieldChange]

        def apply(self, aggregate: Customer) -> None:
            apply_field_changes(aggregate, self.changes)

    class Archived(Event):
        """The customer was archived: kept as history, closed to changes."""

        def apply(self, aggregate: Customer) -> None:
            aggregate.status = ARCHIVED

    class Unarchived(Event):
        """The customer was taken back out of the archive."""

        def apply(self, aggregate: Customer) -> None:
            aggregate.status = ACTIVE

    def __init__(
        self,
        agency_id: UUID,
        kind: str,
        name: str,
        kana: str,
        kana_key: str,
        birth_date: date | None,
        postal_code: str | None,
        address: str | None,
        phones: list[str],
        email: str | None,
        household_id: UUID | None,
        agent_id: str | None,
    ) -> None:
        self.agency_id = agency_id
        self.kind = kind
        self.name = name
        self.kana = kana
        self.kana_key = kana_key
        self.birth_date = birth_date
        self.postal_code = postal_code
        self.address = address
        # A copy, so that mutating the aggregate's list cannot rewrite the event.
        self.phones = list(phones)
        self.email = email
        self.household_id = household_id
        self.agent_id = agent_id
        self.status = ACTIVE

    @classmethod
    def register(
        cls,
        context: EventContext,
        *,
        today: date,
        kind: str,
        name: str,
        kana: str,
        birth_date: date | None = None,
        postal_code: str | None = None,
        address: str | None = None,
        phones: Sequence[str] = (),
        email: str | None = None,
        household_id: UUID | None = None,
        agent_id: str | None = None,
        id: UUID | None = None,  # noqa: A002 - the library's name for an aggregate id
    ) -> Customer:
        """Register a customer of the context's agency.

        `today` is the agency's current date, passed in because the domain has no clock.
        `id` is derived from natural_key() by imports and the API, so that the same
        person is found again; otherwise a random id is made.
        """
        fields = _checked_fields(
            {
                "kind": kind,
                "name": name,
                "kana": kana,
                "birth_date": birth_date,
                "postal_code": postal_code,
                "address": address,
                "phones": phones,
                "email": email,
                "household_id": household_id,
                "agent_id": agent_id,
            },
            today,
        )
        return cls._create(
            cls.Registered, id=id, context=context, agency_id=context.agency_id, **fields
        )

    def change(self, context: EventContext, *, today: date, **fields: Any) -> None:
        """Change some fields, recording only those whose value really changes.

        `today` is needed to check a birth date. A change that changes nothing records no
        event. The status is not a field: use archive() and unarchive().
        """
        require_same_agency(context, self.agency_id)
        self._refuse_if_archived()
        changes = field_changes(self, _checked_fields(fields, today))
        if changes:
            self.trigger_event(self.Changed, context=context, changes=changes)

    def archive(self, context: EventContext) -> None:
        """Archive the customer; it then refuses every change until un-archived."""
        require_same_agency(context, self.agency_id)
        self._refuse_if_archived()
        self.trigger_event(self.Archived, context=context)

    def unarchive(self, context: EventContext) -> None:
        """Take an archived customer back out of the archive."""
        require_same_agency(context, self.agency_id)
        if self.status != ARCHIVED:
            raise StateConflict("status", "the customer is not archived")
        self.trigger_event(self.Unarchived, context=context)

    def _refuse_if_archived(self) -> None:
        if self.status == ARCHIVED:
            raise RecordArchived()


def _checked_fields(fields: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The values to record for the given fields, with the kana key derived from the kana."""
    checked = check_each(fields, lambda field, value: _checked(field, value, today))
    if "kana" in checked:
        checked["kana_key"] = text.katakana_key(checked["kana"])
    return checked


def _checked(field: str, value: Any, today: date) -> Any:
    """The value to record for one field, or DomainError naming the broken rule."""
    match field:
        case "kind":
            return checks.one_of(value, KINDS, field)
        case "name" | "kana":
            return checks.required_text(value, field, max_length=NAME_MAX_LENGTH)
        case "birth_date":
            return None if value is None else _birth_date(value, today)
        case "postal_code":
            typed = checks.optional_text(value, field, max_length=POSTAL_CODE_MAX_LENGTH)
            return None if typed is None else text.postal_code(typed, field)
        case "address":
            return checks.optional_text(value, field, max_length=ADDRESS_MAX_LENGTH)
        case "phones":
            return _phones(value)
        case "email":
            typed = checks.optional_text(value, field, max_length=text.EMAIL_MAX_LENGTH)
            return None if typed is None else text.email(typed, field)
        case "household_id":
            return checks.optional_identifier(value, field)
        case "agent_id":
            return checks.optional_text(value, field, max_length=AGENT_ID_MAX_LENGTH)
        case _:
            raise DomainError(field, "is not a customer field that can be changed")


def _birth_date(value: Any, today: date) -> date:
    born = checks.calendar_date(value, "birth_date")
    if born > today:
        raise DomainError("birth_date", "must not be in the future")
    return born


def _phones(value: Any) -> list[str]:
    """Phone numbers as typed, each a valid Japanese number, no number listed twice."""
    phones = checks.text_list(value, "phones", max_length=PHONE_MAX_LENGTH)
    first_at: dict[str, int] = {}
    errors: list[DomainError] = []
    for index, phone in enumerate(phones):
        # Named by JSON pointer segment, so that an API error points at the number.
        field = f"phones/{index}"
        try:
            digits = text.phone_digits(phone, field)
        except DomainError as error:
            errors.append(error)
            continue
        if digits in first_at:
            errors.append(DomainError(field, f"is the same number as phones/{first_at[digits]}"))
        first_at.setdefault(digits, index)
    if len(errors) > 1:
        raise InvalidFields(errors)  # every bad number, for a form to mark them all
    if errors:
        raise errors[0]
    return phones
