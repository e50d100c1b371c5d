"""The customer directory: what each customer event does to it, and search."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.context import EventContext
from infra.ledger import Ledger
from projections import queries
from projections.database import ProjectionDatabase
from projections.runner import Projections
from tests.projections.conftest import TODAY, customer, household, ids, save


def test_registration_makes_the_customer_row(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    taro = customer(
        agency_a,
        name="桜井 太郎",
        kana="さくらい たろう",
        birth_date=date(1980, 2, 29),
        postal_code="〒150-0001",
        address="東京都渋谷区神宮前一丁目2番3号",
        phones=["03-1234-5678", "090-8765-4321"],
        email="Taro@Example.JP",
        agent_id="agent-ono",
    )
    save(ledger, taro)
    assert projections.catch_up() > 0

    row = queries.get_customer(db, agency_a.agency_id, taro.id)

    assert row is not None
    created_at = row.pop("created_at")
    assert created_at == row.pop("updated_at")
    assert created_at.endswith("Z") and created_at.startswith(str(taro.created_on.year))
    assert row == {
        "id": str(taro.id),
        "kind": "person",
        "name": "桜井 太郎",
        "kana": "さくらい たろう",
        "birth_date": "1980-02-29",
        "postal_code": "1500001",
        "address": "東京都渋谷区神宮前一丁目2番3号",
        "phones": ["03-1234-5678", "090-8765-4321"],
        "email": "Taro@example.jp",
        "household_id": None,
        "agent_id": "agent-ono",
        "status": "active",
        "version": 1,
    }


def test_each_changed_field_reaches_the_row(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    hanako = customer(agency_a, name="桜井 花子", kana="サクライ ハナコ", phones=["03-1111-2222"])
    home = household(agency_a, "桜井家")
    save(ledger, hanako, home)
    changes = {
        "kind": "corporation",
        "name": "株式会社 さくら商会",
        "kana": "カブシキガイシャ サクラショウカイ",
        "birth_date": date(1975, 10, 10),
        "postal_code": "060-0042",
        "address": "北海道札幌市中央区大通西四丁目",
        "phones": ["011-222-3333"],
        "email": "info@sakura.example.jp",
        "household_id": home.id,
        "agent_id": "agent-kudo",
    }
    for field, value in changes.items():
        hanako.change(agency_a, today=TODAY, **{field: value})
    save(ledger, hanako)
    projections.catch_up()

    row = queries.get_customer(db, agency_a.agency_id, hanako.id)

    assert row is not None
    assert row["version"] == 1 + len(changes)
    assert row["updated_at"] > row["created_at"]
    assert {field: row[field] for field in changes} == {
        **changes,
        "birth_date": "1975-10-10",
        "postal_code": "0600042",
        "household_id": str(home.id),
    }

    def found(**filters: Any) -> list[str]:
        return ids(queries.search_customers(db, agency_a.agency_id, **filters))

    assert found(q="株式会社さくら") == ids([hanako])
    assert found(q="かぶしきがいしゃ") == ids([hanako])
    assert found(q="サクライ") == []
    assert found(q="桜井") == []
    assert found(q="3333") == ids([hanako])
    assert found(q="2222") == []
    assert found(agent="agent-kudo") == ids([hanako])
    assert found(household_id=home.id) == ids([hanako])
    assert found(birth_date=date(1975, 10, 10)) == ids([hanako])


def test_archive_and_unarchive_move_the_status(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    kept, archived = customer(agency_a, name="青木 一郎"), customer(agency_a, name="青木 二郎")
    archived.archive(agency_a)
    save(ledger, kept, archived)
    projections.catch_up()

    def with_status(status: str) -> list[str]:
        return ids(queries.search_customers(db, agency_a.agency_id, status=status))

    assert with_status("archived") == ids([archived])
    assert with_status("active") == ids([kept])
    row = queries.get_customer(db, agency_a.agency_id, archived.id)
    assert row is not None and (row["status"], row["version"]) == ("archived", 2)

    archived.unarchive(agency_a)
    save(ledger, archived)
    projections.catch_up()

    assert with_status("archived") == []
    assert sorted(with_status("active")) == sorted(ids([kept, archived]))
    row = queries.get_customer(db, agency_a.agency_id, archived.id)
    assert row is not None and (row["status"], row["version"]) == ("active", 3)


@pytest.mark.parametrize(
    "q",
    [
        "やまだ",  # hiragana
        "ヤマダ",  # katakana
        "ﾔﾏﾀﾞ",  # half-width katakana, voicing mark apart
        "ﾔﾏﾀﾞ ﾀ",  # half-width, with a space
        "やまだ　たろう",  # ideographic space
        "ヤマダタロウ",  # the whole key
        "山田",  # the name in kanji
        "山田 太",  # with the space as typed
        "山田太郎",  # without it
    ],
)
def test_search_finds_a_name_or_its_kana_in_any_form(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext, q: str
) -> None:
    yamada = customer(agency_a, name="山田 太郎", kana="やまだ たろう")
    others = [
        customer(agency_a, name="山本 花子", kana="やまもと はなこ"),
        customer(agency_a, name="浜田 太郎", kana="はまだ たろう"),
    ]
    save(ledger, yamada, *others)
    projections.catch_up()

    found = queries.search_customers(db, agency_a.agency_id, q=q).items

    assert [row["id"] for row in found] == [str(yamada.id)]


def test_search_by_a_short_prefix_finds_everyone_it_starts(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    yamada = customer(agency_a, name="山田 太郎", kana="やまだ たろう")
    yamamoto = customer(agency_a, name="山本 花子", kana="やまもと はなこ")
    hamada = customer(agency_a, name="浜田 太郎", kana="はまだ たろう")
    save(ledger, yamada, yamamoto, hamada)
    projections.catch_up()

    by_kana = queries.search_customers(db, agency_a.agency_id, q="ﾔﾏ").items
    by_name = queries.search_customers(db, agency_a.agency_id, q="山").items

    assert [row["id"] for row in by_kana] == [str(yamada.id), str(yamamoto.id)]
    assert [row["id"] for row in by_name] == [str(yamada.id), str(yamamoto.id)]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("5678", True),  # the last four digits
        ("1234-5678", True),  # the last eight, as typed
        ("03-1234-5678", True),  # the whole number
        ("０３（１２３４）５６７８", True),  # full-width, brackets
        ("0312345678", True),
        ("4321", True),  # the ending of the second number
        ("090-8765-4321", True),
        ("1234", False),  # in the middle, not at the end
        ("9999", False),
        ("678", False),  # three digits are too few for a phone number
    ],
)
def test_search_finds_a_phone_number_by_its_ending(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    q: str,
    found: bool,
) -> None:
    caller = customer(agency_a, postal_code="100-0001", phones=["03-1234-5678", "090-8765-4321"])
    save(ledger, caller, customer(agency_a, name="別人 次郎", phones=["06-5555-0000"]))
    projections.catch_up()

    rows = queries.search_customers(db, agency_a.agency_id, q=q).items

    assert [row["id"] for row in rows] == ([str(caller.id)] if found else [])


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("150", True),  # a prefix of three digits
        ("1500", True),
        ("150-0001", True),  # the whole code, as typed
        ("〒150-0001", True),
        ("１５００００１", True),  # full-width
        ("1500002", False),
        ("15", False),  # two digits are too few
        ("0001", False),  # not a prefix (and no phone ends so)
    ],
)
def test_search_finds_a_postal_code_by_prefix(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    q: str,
    found: bool,
) -> None:
    resident = customer(agency_a, postal_code="150-0001", phones=["03-2222-3333"])
    save(ledger, resident, customer(agency_a, name="別人 次郎", postal_code="530-0001"))
    projections.catch_up()

    rows = queries.search_customers(db, agency_a.agency_id, q=q).items

    assert [row["id"] for row in rows] == ([str(resident.id)] if found else [])


def test_a_customer_matching_two_ways_is_listed_once(
    ledger: Ledger, projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    both = customer(agency_a, postal_code="123-4567", phones=["03-9999-1234"])
    save(ledger, both)
    projections.catch_up()

    rows = queries.search_customers(db, agency_a.agency_id, q="1234").items

    assert [row["id"] for row in rows] == [str(both.id)]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("kana", ["阿部 一", "伊藤 二", "上田 三"]),
        ("name", ["上田 三", "伊藤 二", "阿部 一"]),  # code point order of the kanji
        ("created", ["伊藤 二", "上田 三", "阿部 一"]),
        ("updated", ["上田 三", "阿部 一", "伊藤 二"]),
    ],
)
def test_sorts(
    ledger: Ledger,
    projections: Projections,
    db: ProjectionDatabase,
    agency_a: EventContext,
    sort: str,
    expected: list[str],
) -> None:
    ito = customer(agency_a, name="伊藤 二", kana="いとう じ")
    ueda = customer(agency_a, name="上田 三", kana="うえだ さん")
    abe = customer(agency_a, name="阿部 一", kana="あべ はじめ")
    for aggregate in (ito, ueda, abe):
        save(ledger, aggregate)
    ito.change(agency_a, today=TODAY, agent_id="agent-ono")
    save(ledger, ito)
    projections.catch_up()

    rows = queries.search_customers(db, agency_a.agency_id, sort=sort).items

    assert [row["name"] for row in rows] == expected


def test_unknown_sort_is_refused(
    projections: Projections, db: ProjectionDatabase, agency_a: EventContext
) -> None:
    with pytest.raises(ValueError, match="sort"):
        queries.search_customers(db, agency_a.agency_id, sort="birth")
