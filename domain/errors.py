"""Errors the domain raises when a rule is broken.

Messages name the field and the rule, never the offending value: values are often
personal data, and exception text ends up in logs.
"""

from collections.abc import Callable, Mapping
from typing import Any


class DomainError(Exception):
    """A business rule was broken; `field` names the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class StateConflict(DomainError):
    """The record's state, not the request, is what is wrong: archiving what is archived,
    changing what is archived. The same request may succeed once the state changes."""


class RecordArchived(StateConflict):
    """An archived customer accepts no change except being un-archived."""

    def __init__(self) -> None:
        super().__init__("status", "the customer is archived; un-archive it first")


class WrongAgency(DomainError):
    """A change was asked for a record of another agency (tenant).

    Services check tenancy before loading a record; the domain checks it again so that a
    slip in one service cannot write one agency's change into another agency's history.
    """

    def __init__(self) -> None:
        super().__init__("agency_id", "the record belongs to another agency")


class InvalidFields(DomainError):
    """Several fields broke their rules at once; `errors` has one DomainError each, so a
    form can show every problem after one round trip."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(errors[0].field, errors[0].message)
        self.args = ("; ".join(str(error) for error in errors),)
        self.errors = errors


def check_each(fields: Mapping[str, Any], check: Callable[[str, Any], Any]) -> dict[str, Any]:
    """Applies `check(field, value)` to every field and reports every broken rule."""
    checked: dict[str, Any] = {}
    errors: list[DomainError] = []
    for field, value in fields.items():
        try:
            checked[field] = check(field, value)
        except InvalidFields as error:
            errors.extend(error.errors)
        except DomainError as error:
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidFields(errors)
    return checked
