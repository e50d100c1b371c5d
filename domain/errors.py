"""Errors the domain raises when a rule is broken.

Messages name the field and the rule, never the offending value: values are often
personal data, and exception text ends up in logs.
"""


class DomainError(Exception):
    """A business rule was broken; `field` names the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RecordArchived(DomainError):
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
