from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.context import EventContext
from domain.errors import DomainError, WrongAgency
from domain.policy import Policy

from .conftest import RoundTrip

HOLDER_ID = UUID("0b9e2c1e-4a5f-4c3b-9d7e-1f2a3b4c5d6e")


def register_auto_policy(context: EventContext, **overrides: Any) -> Policy:
    fields: dict[str, Any] = {
        "insurer": "架空損害保険株式会社",
        "line": "auto",
        "policy_number": "AUTO-0000123",
        "policyholder_id": HOLDER_ID,
        "insured_ids": [HOLDER_ID],
        "premium": 58_200,
        "payment_frequency": "annual",
        "start_date": date(2024, 4, 1),
        "end_date": date(2025, 4, 1),
        "agent_id": "user:tanaka",
    }
    return Policy.register(context, **{**fields, **overrides})


def test_registered_policy_is_in_force(context: EventContext) -> None:
    policy = register_auto_policy(context)

    assert policy.status == "in_force"
    assert policy.agency_id == context.agency_id
    assert policy.premium == 58_200
    assert policy.insured_ids == [HOLDER_ID]


def test_an_import_can_register_a_policy_that_already_lapsed(context: EventContext) -> None:
    assert register_auto_policy(context, status="lapsed").status == "lapsed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("insurer", ""),
        ("line", "pet"),
        ("policy_number", " "),
        ("policyholder_id", "holder"),
        ("insured_ids", [HOLDER_ID, HOLDER_ID]),
        ("insured_ids", ["holder"]),
        ("premium", -1),
        ("premium", 100.0),
        ("premium", True),
        ("payment_frequency", "weekly"),
        ("start_date", "2024-04-01"),
        ("end_date", date(2024, 4, 1)),
        ("end_date", date(2023, 4, 1)),
        ("end_date", date(9999, 12, 31)),  # no end is end_date None
        ("status", "dormant"),
    ],
)
def test_registration_breaking_a_rule_names_the_field(
    context: EventContext, field: str, value: Any
) -> None:
    with pytest.raises(DomainError) as error:
        register_auto_policy(context, **{field: value})
    assert error.value.field == field


def test_a_free_policy_has_a_premium_of_zero(context: EventContext) -> None:
    assert register_auto_policy(context, premium=0).premium == 0


def test_a_change_records_only_the_fields_that_change(context: EventContext) -> None:
    policy = register_auto_policy(context)
    spouse_id = uuid4()

    policy.change(context, premium=61_000, insured_ids=[HOLDER_ID, spouse_id], line="auto")

    changed = policy.pending_events[-1]
    assert isinstance(changed, Policy.Changed)
    assert changed.changes == [
        {"field": "premium", "old": 58_200, "new": 61_000},
        {"field": "insured_ids", "old": [HOLDER_ID], "new": [HOLDER_ID, spouse_id]},
    ]
    assert policy.premium == 61_000


def test_a_change_that_changes_nothing_records_no_event(context: EventContext) -> None:
    policy = register_auto_policy(context)

    policy.change(context, premium=58_200, payment_frequency="annual")

    assert policy.version == 1


def test_a_change_cannot_put_the_end_before_the_start(context: EventContext) -> None:
    policy = register_auto_policy(context)

    with pytest.raises(DomainError) as error:
        policy.change(context, start_date=date(2025, 4, 1))
    # Named by the field the change sent: the start moved past the end.
    assert (error.value.field, error.value.message) == ("start_date", "must be before the end date")
    assert policy.version == 1


def test_moving_both_dates_together_is_allowed(context: EventContext) -> None:
    policy = register_auto_policy(context)

    policy.change(context, start_date=date(2026, 4, 1), end_date=date(2027, 4, 1))

    assert (policy.start_date, policy.end_date) == (date(2026, 4, 1), date(2027, 4, 1))


@pytest.mark.parametrize("field", ["status", "agency_id", "insurer_code"])
def test_only_policy_fields_can_be_changed(context: EventContext, field: str) -> None:
    policy = register_auto_policy(context)

    with pytest.raises(DomainError) as error:
        policy.change(context, **{field: "x"})
    assert error.value.field == field


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["lapsed"], "lapsed"),
        (["cancelled"], "cancelled"),
        (["renewed"], "renewed"),
        (["lapsed", "in_force"], "in_force"),
        (["lapsed", "in_force", "cancelled"], "cancelled"),
    ],
)
def test_allowed_status_transitions(context: EventContext, path: list[str], final: str) -> None:
    policy = register_auto_policy(context)

    for status in path:
        policy.change_status(context, status)

    assert policy.status == final


def test_a_status_change_records_old_and_new(context: EventContext) -> None:
    policy = register_auto_policy(context)

    policy.change_status(context, "lapsed")

    changed = policy.pending_events[-1]
    assert isinstance(changed, Policy.StatusChanged)
    assert (changed.old, changed.new) == ("in_force", "lapsed")
    assert changed.context == context


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("in_force", "in_force"),
        ("lapsed", "cancelled"),
        ("lapsed", "renewed"),
        ("cancelled", "in_force"),
        ("cancelled", "lapsed"),
        ("renewed", "in_force"),
        ("renewed", "cancelled"),
        ("in_force", "unknown"),
    ],
)
def test_forbidden_status_transitions_are_refused(
    context: EventContext, start: str, target: str
) -> None:
    policy = register_auto_policy(context, status=start)

    with pytest.raises(DomainError) as error:
        policy.change_status(context, target)
    assert error.value.field == "status"
    assert policy.status == start


def test_a_cancelled_policy_can_still_be_corrected(context: EventContext) -> None:
    policy = register_auto_policy(context, status="cancelled")

    policy.change(context, premium=48_000)

    assert policy.premium == 48_000


def test_a_policy_number_can_be_re_spelled_but_not_replaced(context: EventContext) -> None:
    # Its id is derived from insurer and number: another number would be a second
    # policy under the first one's id, which registering it would not find.
    policy = register_auto_policy(context)

    policy.change(context, policy_number="ＡＵＴＯ－００００１２３")
    assert policy.policy_number == "ＡＵＴＯ－００００１２３"
    for fields in ({"policy_number": "AUTO-0000124"}, {"insurer": "損保ジャパン"}):
        with pytest.raises(DomainError) as error:
            policy.change(context, **fields)
        assert error.value.field in fields
        assert "register the policy under the right insurer and number" in str(error.value)


def test_another_agency_cannot_change_the_policy(
    context: EventContext, other_agency_context: EventContext
) -> None:
    policy = register_auto_policy(context)

    with pytest.raises(WrongAgency):
        policy.change(other_agency_context, premium=1)
    with pytest.raises(WrongAgency):
        policy.change_status(other_agency_context, "cancelled")


def test_policy_round_trips_through_the_event_store(
    context: EventContext, round_trip: RoundTrip
) -> None:
    policy = register_auto_policy(context)
    policy.change(context, insured_ids=[HOLDER_ID, uuid4()], end_date=date(2025, 3, 31))
    policy.change_status(context, "lapsed")
    policy.change_status(context, "in_force")

    assert round_trip(policy) == policy
