from datetime import date

import pytest

from domain.context import EventContext
from domain.customer import Customer
from domain.roles import CUSTOMER_PERSONAL_DATA_FIELDS, ROLES, sees_personal_data


@pytest.mark.parametrize("role", ["admin", "manager", "agent", "investigator"])
def test_staff_who_serve_or_investigate_see_personal_data(role: str) -> None:
    assert sees_personal_data(role)


def test_the_auditor_does_not_see_personal_data() -> None:
    assert not sees_personal_data("auditor")


def test_an_unknown_role_sees_nothing() -> None:
    assert not sees_personal_data("superuser")


def test_every_role_is_known() -> None:
    assert {"admin", "manager", "agent", "auditor", "investigator"} == ROLES


def test_personal_data_fields_are_customer_fields(context: EventContext, today: date) -> None:
    customer = Customer.register(
        context, today=today, kind="person", name="佐藤 花子", kana="サトウ ハナコ"
    )

    for field in CUSTOMER_PERSONAL_DATA_FIELDS:
        assert hasattr(customer, field)
