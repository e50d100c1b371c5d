"""The insurance policy (契約) an agency placed with an insurer for a customer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks, text
from domain.changes import FieldChange, apply_field_changes, field_changes
from domain.context import EventContext
from domain.errors import DomainError, StateConflict, check_each
from domain.tenancy import require_same_agency

LINES = frozenset({"auto", "fire", "life", "medical", "liability", "other"})
PAYMENT_FREQUENCIES = frozenset({"monthly", "annual", "single", "semiannual", "quarterly"})

IN_FORCE = "in_force"
LAPSED = "lapsed"
CANCELLED = "cancelled"
RENEWED = "renewed"
STATUSES = frozenset({IN_FORCE, LAPSED, CANCELLED, RENEWED})
# A lapsed policy can be reinstated; a cancelled or renewed one is closed for good (a
# renewal is a new policy).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    IN_FORCE: frozenset({LAPSED, CANCELLED, RENEWED}),
    LAPSED: frozenset({IN_FORCE}),
    CANCELLED: frozenset(),
    RENEWED: frozenset(),
}

INSURER_MAX_LENGTH = 100
POLICY_NUMBER_MAX_LENGTH = 64
AGENT_ID_MAX_LENGTH = 64


def natural_key(insurer: str, policy_number: str) -> str:
    """What identifies a policy outside Daicho: its number is unique only within its
    insurer. Imports and the API derive the policy's id from it, so one policy cannot
    be registered twice."""
    return f"{text.name_key(insurer)}|{text.name_key(policy_number)}"


class Policy(Aggregate):
    """A policy: who holds it, who is insured, what it costs, when it runs, its status."""

    class Event(Aggregate.Event):
        """Every policy event says who made the change, for which agency and why."""

        context: EventContext

    class Registered(Event, Aggregate.Created):
        """The policy was registered with these initial fields."""

        agency_id: UUID
        insurer: str
        line: str
        policy_number: str
        policyholder_id: UUID
        insured_ids: list[UUID]
        premium: int
        payment_frequency: str
        start_date: date
        end_date: date | None
        status: str
        agent_id: str | None

    class Changed(Event):
        """Some fields changed; each entry names the field, its old and its new value."""

        changes: list[FieldChange]

        def apply(self, aggregate: Policy) -> None:
            apply_field_changes(aggregate, self.changes)

    class StatusChanged(Event):
        """The policy's status moved from `old` to `new`."""

        old: str
        new: str

        def apply(self, aggregate: Policy) -> None:
            aggregate.status = self.new

    def __init__(
        self,
        agency_id: UUID,
        insurer: str,
        line: str,
        policy_number: str,
        policyholder_id: UUID,
        insured_ids: list[UUID],
        premium: int,
        payment_frequency: str,
        start_date: date,
        end_date: date | None,
        status: str,
        agent_id: str | None,
    ) -> None:
        self.agency_id = agency_id
        self.insurer = insurer
        self.line = line
        self.policy_number = policy_number
        self.policyholder_id = policyholder_id
        # A copy, so that mutating the aggregate's list cannot rewrite the event.
        self.insured_ids = list(insured_ids)
        self.premium = premium
        self.payment_frequency = payment_frequency
        self.start_date = start_date
        self.end_date = end_date
        self.status = status
        self.agent_id = agent_id

    @classmethod
    def register(
        cls,
        context: EventContext,
        *,
        insurer: str,
        line: str,
        policy_number: str,
        policyholder_id: UUID,
        premium: int,
        payment_frequency: str,
        start_date: date,
        end_date: date | None,
        insured_ids: Sequence[UUID] = (),
        agent_id: str | None = None,
        status: str = IN_FORCE,
        id: UUID | None = None,  # noqa: A002 - the library's name for an aggregate id
    ) -> Policy:
        """Register a policy of the context's agency.

        `status` is for imports of policies that already lapsed, ended or were renewed;
        `id` is given by imports, which derive it so that a re-run finds the same policy.
        """
        fields = check_each(
            {
                "insurer": insurer,
                "line": line,
                "policy_number": policy_number,
                "policyholder_id": policyholder_id,
                "insured_ids": insured_ids,
                "premium": premium,
                "payment_frequency": payment_frequency,
                "start_date": start_date,
                "end_date": end_date,
                "agent_id": agent_id,
            },
            _checked,
        )
        _require_end_after_start(fields["start_date"], fields["end_date"])
        return cls._create(
            cls.Registered,
            id=id,
            context=context,
            agency_id=context.agency_id,
            status=checks.one_of(status, STATUSES, "status"),
            **fields,
        )

    def change(self, context: EventContext, **fields: Any) -> None:
        """Change some fields, recording only those whose value really changes.

        Corrections stay possible whatever the status: a typo in a cancelled policy is
        still a typo. The status is not a field: use change_status().
        """
        require_same_agency(context, self.agency_id)
        checked = check_each(fields, _checked)
        self._require_same_identity(checked)
        _require_end_after_start(
            checked.get("start_date", self.start_date),
            checked.get("end_date", self.end_date),
            # The error names a field the request sent: a new start names the start.
            field="end_date" if "end_date" in checked else "start_date",
        )
        changes = field_changes(self, checked)
        if changes:
            self.trigger_event(self.Changed, context=context, changes=changes)

    def _require_same_identity(self, checked: Mapping[str, Any]) -> None:
        """The insurer and number may be re-spelled (全角 to 半角, say), not replaced: the
        policy's id is derived from them, and a policy under another number is another
        policy (registering it is what finds one already there)."""
        insurer = checked.get("insurer", self.insurer)
        policy_number = checked.get("policy_number", self.policy_number)
        if natural_key(insurer, policy_number) != natural_key(self.insurer, self.policy_number):
            field = "policy_number" if "policy_number" in checked else "insurer"
            raise DomainError(
                field,
                "identifies the policy and can only be re-spelled, not replaced: register "
                "the policy under the right insurer and number, and cancel this one",
            )

    def change_status(self, context: EventContext, status: str) -> None:
        """Move the policy to another status, if its current status allows that move."""
        require_same_agency(context, self.agency_id)
        checks.one_of(status, STATUSES, "status")
        if status not in TRANSITIONS[self.status]:
            onward = ", ".join(sorted(TRANSITIONS[self.status])) or f"none, {self.status} is final"
            raise StateConflict(
                "status",
                f"a policy cannot go from {self.status} to {status} (from {self.status}: {onward})",
            )
        self.trigger_event(self.StatusChanged, context=context, old=self.status, new=status)


def _checked(field: str, value: Any) -> Any:
    """The value to record for one field, or DomainError naming the broken rule."""
    match field:
        case "insurer":
            return checks.required_text(value, field, max_length=INSURER_MAX_LENGTH)
        case "line":
            return checks.one_of(value, LINES, field)
        case "policy_number":
            return checks.required_text(value, field, max_length=POLICY_NUMBER_MAX_LENGTH)
        case "policyholder_id":
            return checks.identifier(value, field)
        case "insured_ids":
            return checks.identifiers(value, field)
        case "premium":
            return checks.yen(value, field)
        case "payment_frequency":
            return checks.one_of(value, PAYMENT_FREQUENCIES, field)
        case "start_date":
            return checks.calendar_date(value, field)
        case "end_date":
            # None is a policy without maturity (終身保険, whole-life cover).
            return None if value is None else checks.calendar_date(value, field)
        case "agent_id":
            return checks.optional_text(value, field, max_length=AGENT_ID_MAX_LENGTH)
        case _:
            raise DomainError(field, "is not a policy field that can be changed")


def _require_end_after_start(
    start_date: date, end_date: date | None, field: str = "end_date"
) -> None:
    if end_date is not None and end_date <= start_date:
        message = (
            "must be after the start date" if field == "end_date" else "must be before the end date"
        )
        raise DomainError(field, message)
