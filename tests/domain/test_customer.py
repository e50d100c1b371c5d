from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.context import EventContext
from domain.customer import Customer
from domain.errors import DomainError, RecordArchived, WrongAgency

from .conftest import RoundTrip, make_context


def register_taro(context: EventContext, today: date, **overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "kind": "person",
        "name": "山田 太郎",
        "kana": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "birth_date": date(1980, 5, 17),
        "postal_code": "〒123-4567",
        "address": "東京都架空区見本町1-2-3",
        "phones": ["090-0000-1234", "03-0000-5678"],
        "email": "Taro.Yamada@Example.JP",
        "agent_id": "user:tanaka",
    }
    return Customer.register(context, today=today, **{**fields, **overrides})


def test_registering_records_what_was_typed_and_the_derived_keys(
    context: EventContext, today: date
) -> None:
    customer = register_taro(context, today)

    assert customer.agency_id == context.agency_id
    assert customer.name == "山田 太郎"
    assert customer.kana == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert customer.kana_key == "ヤマダタロウ"
    assert customer.postal_code == "1234567"
    assert customer.phones == ["090-0000-1234", "03-0000-5678"]
    assert customer.email == "Taro.Yamada@example.jp"
    assert customer.status == "active"
    [registered] = customer.pending_events
    assert isinstance(registered, Customer.Registered)
    assert registered.context == context
    assert registered.kana_key == "ヤマダタロウ"


def test_a_corporation_can_be_registered_with_only_name_and_kana(
    context: EventContext, today: date
) -> None:
    customer = Customer.register(
        context, today=today, kind="corporation", name="架空商事株式会社", kana="カクウショウジ"
    )

    assert customer.kind == "corporation"
    assert customer.birth_date is None
    assert customer.phones == []
    assert customer.household_id is None


def test_imports_can_choose_the_id(context: EventContext, today: date) -> None:
    chosen = uuid4()
    assert register_taro(context, today, id=chosen).id == chosen


def test_an_emptied_optional_field_means_none(context: EventContext, today: date) -> None:
    customer = register_taro(context, today, postal_code="", address="  ", email="")

    assert (customer.postal_code, customer.address, customer.email) == (None, None, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "robot"),
        ("name", ""),
        ("name", "　"),
        ("name", "山" * 101),
        ("kana", ""),
        ("birth_date", date(2024, 4, 2)),
        ("birth_date", datetime(1980, 5, 17)),
        ("birth_date", "1980-05-17"),
        ("birth_date", date(1, 1, 1)),  # a typing slip, not a person
        ("postal_code", "12-3456"),
        ("phones", ["090-0000"]),
        ("phones", "090-0000-1234"),
        ("phones", ["090-0000-1234", "09000001234"]),
        ("email", "taro@localhost"),
        ("household_id", "not-a-uuid"),
        ("agent_id", 42),
    ],
)
def test_registration_breaking_a_rule_names_the_field(
    context: EventContext, today: date, field: str, value: Any
) -> None:
    with pytest.raises(DomainError) as error:
        register_taro(context, today, **{field: value})
    assert error.value.field.split("/")[0] == field  # phones/1: the item of a list


def test_born_today_is_not_in_the_future(context: EventContext, today: date) -> None:
    assert register_taro(context, today, birth_date=today).birth_date == today


def test_a_change_records_each_changed_field_with_its_old_and_new_value(
    context: EventContext, today: date
) -> None:
    customer = register_taro(context, today)
    household_id = uuid4()

    customer.change(
        context,
        today=today,
        address="大阪府見本市架空町4-5-6",
        household_id=household_id,
        name="山田 太郎",
    )

    changed = customer.pending_events[-1]
    assert isinstance(changed, Customer.Changed)
    assert changed.context == context
    assert changed.changes == [
        {"field": "address", "old": "東京都架空区見本町1-2-3", "new": "大阪府見本市架空町4-5-6"},
        {"field": "household_id", "old": None, "new": household_id},
    ]
    assert customer.address == "大阪府見本市架空町4-5-6"
    assert customer.household_id == household_id
    assert customer.version == 2


def test_a_change_that_changes_nothing_records_no_event(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)

    customer.change(
        context,
        today=today,
        name="山田 太郎",
        postal_code="123-4567",
        email="Taro.Yamada@example.jp",
    )

    assert customer.version == 1
    assert len(customer.pending_events) == 1


def test_changing_the_kana_records_the_key_only_if_the_key_changes(
    context: EventContext, today: date
) -> None:
    customer = register_taro(context, today)

    customer.change(context, today=today, kana="やまだ たろう")
    customer.change(context, today=today, kana="ヤマダ ジロウ")

    same_key, new_key = customer.pending_events[1:]
    assert isinstance(same_key, Customer.Changed)
    assert isinstance(new_key, Customer.Changed)
    assert same_key.changes == [{"field": "kana", "old": "ﾔﾏﾀﾞ ﾀﾛｳ", "new": "やまだ たろう"}]
    assert new_key.changes == [
        {"field": "kana", "old": "やまだ たろう", "new": "ヤマダ ジロウ"},
        {"field": "kana_key", "old": "ヤマダタロウ", "new": "ヤマダジロウ"},
    ]
    assert customer.kana_key == "ヤマダジロウ"


def test_a_change_breaking_a_rule_records_nothing(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)

    with pytest.raises(DomainError) as error:
        customer.change(
            context, today=today, address="新住所", birth_date=today + timedelta(days=1)
        )

    assert error.value.field == "birth_date"
    assert customer.address == "東京都架空区見本町1-2-3"
    assert customer.version == 1


@pytest.mark.parametrize("field", ["status", "kana_key", "agency_id", "id", "nickname"])
def test_only_customer_fields_can_be_changed(
    context: EventContext, today: date, field: str
) -> None:
    customer = register_taro(context, today)

    with pytest.raises(DomainError) as error:
        customer.change(context, today=today, **{field: "x"})
    assert error.value.field == field


def test_archived_customer_refuses_changes(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)
    customer.archive(context)

    with pytest.raises(RecordArchived):
        customer.change(context, today=today, address="新住所")
    assert customer.status == "archived"


def test_archiving_an_archived_customer_is_refused(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)
    customer.archive(context)

    with pytest.raises(RecordArchived):
        customer.archive(context)


def test_unarchived_customer_accepts_changes_again(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)
    customer.archive(context)

    customer.unarchive(context)
    customer.change(context, today=today, address="新住所")

    assert customer.status == "active"
    assert [type(e) for e in customer.pending_events] == [
        Customer.Registered,
        Customer.Archived,
        Customer.Unarchived,
        Customer.Changed,
    ]


def test_unarchiving_an_active_customer_is_refused(context: EventContext, today: date) -> None:
    customer = register_taro(context, today)

    with pytest.raises(DomainError) as error:
        customer.unarchive(context)
    assert error.value.field == "status"


def test_another_agency_cannot_change_the_customer(
    context: EventContext, other_agency_context: EventContext, today: date
) -> None:
    customer = register_taro(context, today)

    with pytest.raises(WrongAgency):
        customer.change(other_agency_context, today=today, address="新住所")
    with pytest.raises(WrongAgency):
        customer.archive(other_agency_context)


def test_error_messages_never_contain_personal_data(context: EventContext, today: date) -> None:
    with pytest.raises(DomainError) as error:
        register_taro(context, today, name="山田 太郎" * 30)
    assert "山田" not in str(error.value)


def test_mutating_the_aggregate_cannot_rewrite_its_events(
    context: EventContext, today: date
) -> None:
    customer = register_taro(context, today)
    customer.change(context, today=today, phones=["090-0000-9999"])

    customer.phones.append("03-0000-0000")

    registered, changed = customer.pending_events
    assert isinstance(registered, Customer.Registered)
    assert isinstance(changed, Customer.Changed)
    assert registered.phones == ["090-0000-1234", "03-0000-5678"]
    assert changed.changes[0]["new"] == ["090-0000-9999"]


def test_customer_round_trips_through_the_event_store(
    context: EventContext, today: date, round_trip: RoundTrip
) -> None:
    customer = register_taro(context, today, household_id=uuid4())
    customer.change(
        make_context(context.agency_id, actor="system:import:42"),
        today=today,
        birth_date=date(1981, 1, 2),
        phones=["090-0000-4321"],
        household_id=None,
    )
    customer.archive(context)
    customer.unarchive(context)

    reloaded = round_trip(customer)

    assert reloaded == customer
    assert isinstance(reloaded.id, UUID)
    assert reloaded.birth_date == date(1981, 1, 2)


def test_all_broken_rules_are_reported_together(context: EventContext, today: date) -> None:
    from domain.errors import InvalidFields

    with pytest.raises(InvalidFields) as raised:
        Customer.register(
            context, today=today, kind="alien", name="", kana="ヤマダ", postal_code="12"
        )
    assert sorted(error.field for error in raised.value.errors) == ["kind", "name", "postal_code"]
    assert "kind:" in str(raised.value) and "postal_code:" in str(raised.value)
