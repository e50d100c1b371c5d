"""Dates typed by people: the accepted forms, the exact era boundaries, and the refusals."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.imports.errors import InvalidValue
from services.imports.japanese_dates import InvalidDate, parse_date

ACCEPTED = [
    # Gregorian
    ("2024/04/01", date(2024, 4, 1)),
    ("2024/4/1", date(2024, 4, 1)),
    ("2024/4/1 0:00", date(2024, 4, 1)),  # Excel's date-and-time cell at midnight
    ("2024-04-01 00:00:00", date(2024, 4, 1)),
    ("2024-4-1", date(2024, 4, 1)),
    ("2024-04-01", date(2024, 4, 1)),
    ("2024.4.1", date(2024, 4, 1)),
    ("20240401", date(2024, 4, 1)),
    ("2024年4月1日", date(2024, 4, 1)),
    ("2024年04月01日", date(2024, 4, 1)),
    (" 2024 / 4 / 1 ", date(2024, 4, 1)),
    ("2024 年 4 月 1 日", date(2024, 4, 1)),
    ("1873/1/1", date(1873, 1, 1)),
    ("2000/2/29", date(2000, 2, 29)),
    # full-width digits, separators and spaces
    ("２０２４／０４／０１", date(2024, 4, 1)),
    ("２０２４年４月１日", date(2024, 4, 1)),
    ("２０２４０４０１", date(2024, 4, 1)),
    ("２０２４－４－１", date(2024, 4, 1)),
    ("令和６年４月１日", date(2024, 4, 1)),
    ("Ｒ６．４．１", date(2024, 4, 1)),
    ("令和\u30006年4月1日", date(2024, 4, 1)),
    # 和暦, kanji
    ("令和6年4月1日", date(2024, 4, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("令和1年5月1日", date(2019, 5, 1)),
    ("令和 元 年 5 月 1 日", date(2019, 5, 1)),
    ("令和2年2月29日", date(2020, 2, 29)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("平成12年2月29日", date(2000, 2, 29)),
    ("昭和64年1月7日", date(1989, 1, 7)),
    ("昭和元年12月25日", date(1926, 12, 25)),
    ("昭和50年3月12日", date(1975, 3, 12)),
    ("大正15年12月25日", date(1926, 12, 25)),
    ("大正元年7月30日", date(1912, 7, 30)),
    ("明治45年7月29日", date(1912, 7, 29)),
    ("明治45年7月30日", date(1912, 7, 30)),
    ("明治6年1月1日", date(1873, 1, 1)),
    ("明治33年2月28日", date(1900, 2, 28)),
    # 和暦, letters
    ("R6.4.1", date(2024, 4, 1)),
    ("R6/4/1", date(2024, 4, 1)),
    ("R6-4-1", date(2024, 4, 1)),
    ("r6.4.1", date(2024, 4, 1)),
    ("R06.04.01", date(2024, 4, 1)),
    ("R 6.4.1", date(2024, 4, 1)),
    ("R元.5.1", date(2019, 5, 1)),
    ("R1.5.1", date(2019, 5, 1)),
    ("H31.4.30", date(2019, 4, 30)),
    ("h1.1.8", date(1989, 1, 8)),
    ("S64.1.7", date(1989, 1, 7)),
    ("S1.12.25", date(1926, 12, 25)),
    ("T15.12.25", date(1926, 12, 25)),
    ("T1.7.30", date(1912, 7, 30)),
    ("M45.7.29", date(1912, 7, 29)),
    ("M6.1.1", date(1873, 1, 1)),
    # era ligatures, folded by NFKC
    ("㋿6年4月1日", date(2024, 4, 1)),
    ("㍻31年4月30日", date(2019, 4, 30)),
    ("㍼64年1月7日", date(1989, 1, 7)),
]

REFUSED = [
    # era boundaries, exact to the day
    ("昭和64年1月8日", "昭和 ended on 1989-01-07"),
    ("S64.1.8", "昭和 ended on 1989-01-07"),
    ("令和元年4月30日", "令和 began on 2019-05-01"),
    ("R1.4.30", "令和 began on 2019-05-01"),
    ("平成31年5月1日", "平成 ended on 2019-04-30"),
    ("H31.5.1", "平成 ended on 2019-04-30"),
    ("平成元年1月7日", "平成 began on 1989-01-08"),
    ("昭和元年12月24日", "昭和 began on 1926-12-25"),
    ("大正15年12月26日", "大正 ended on 1926-12-25"),
    ("大正元年7月29日", "大正 began on 1912-07-30"),
    ("明治45年7月31日", "明治 ended on 1912-07-30"),
    ("令和0年5月1日", "令和 years start at 1 (元年)"),
    ("R0.5.1", "令和 years start at 1 (元年)"),
    # before the Gregorian calendar
    ("明治5年12月2日", "dates before 1873-01-01 are not supported"),
    ("M1.10.23", "dates before 1873-01-01 are not supported"),
    ("1872/12/31", "dates before 1873-01-01 are not supported"),
    ("0000/01/01", "dates before 1873-01-01 are not supported"),
    # days that do not exist are refused, never rolled over
    ("令和3年2月29日", "that day does not exist in that month"),
    ("明治33年2月29日", "that day does not exist in that month"),
    ("1900/2/29", "that day does not exist in that month"),
    ("2023/2/29", "that day does not exist in that month"),
    ("2024/2/30", "that day does not exist in that month"),
    ("2024/4/31", "that day does not exist in that month"),
    ("2024/4/0", "that day does not exist in that month"),
    ("20240431", "that day does not exist in that month"),
    ("2024/13/1", "the month must be 1 to 12"),
    ("2024/0/1", "the month must be 1 to 12"),
    ("R6.13.1", "the month must be 1 to 12"),
    # two-digit years are ambiguous
    ("24/4/1", "a two-digit year is ambiguous"),
    ("24-04-01", "a two-digit year is ambiguous"),
    ("24.4.1", "a two-digit year is ambiguous"),
    ("240401", "a date without separators needs 8 digits, like 20240401"),
    ("24年4月1日", "a two-digit year is ambiguous"),
    ("２４／４／１", "a two-digit year is ambiguous"),
    # unrecognised forms
    ("", "unrecognised form"),
    ("abc", "unrecognised form"),
    ("2024/4-1", "unrecognised form"),
    ("2024/4/1 13:45", "unrecognised form"),
    ("4/1/2024", "unrecognised form"),
    ("45383", "unrecognised form"),
    ("2024年4月", "unrecognised form"),
    ("2024年4月1", "unrecognised form"),
    ("X6.4.1", "unrecognised form"),
    ("令和6.4.1", "unrecognised form"),
    ("R6年4月1日", "unrecognised form"),
    ("平成100年1月1日", "unrecognised form"),
    ("2024/4/1/1", "unrecognised form"),
    ("202441", "a date without separators needs 8 digits, like 20240401"),
    ("2024041", "a date without separators needs 8 digits, like 20240401"),
    ("٢٠٢٤/٤/١", "unrecognised form"),  # Arabic-Indic digits are not folded to ASCII
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "rule"), REFUSED)
def test_refused_with_the_rule(text: str, rule: str) -> None:
    with pytest.raises(InvalidDate) as raised:
        parse_date(text)
    assert str(raised.value).startswith("not a valid date: ")
    assert rule in str(raised.value)


def test_the_error_is_a_value_error_that_names_the_rule_only() -> None:
    with pytest.raises(ValueError) as raised:
        parse_date("昭和64年1月8日")
    assert isinstance(raised.value, InvalidValue) and isinstance(raised.value, InvalidDate)
    assert str(raised.value) == "not a valid date: 昭和 ended on 1989-01-07"
    assert raised.value.rule == "昭和 ended on 1989-01-07"


@pytest.mark.parametrize("text", ["2024/2/30", "1965/12/32", "S40.12.32", "S40.2.30"])
def test_refusal_does_not_echo_the_value(text: str) -> None:
    with pytest.raises(InvalidDate) as raised:
        parse_date(text)
    message = str(raised.value)
    assert "30" not in message and "32" not in message and "1965" not in message


# An era table written out again, independently of the code under test: (name, letter,
# first day, last day). The changeover days of 1912 and 1926 belong to both eras.
TEST_ERAS = [
    ("明治", "M", date(1868, 1, 25), date(1912, 7, 30)),
    ("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),
    ("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    ("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    ("令和", "R", date(2019, 5, 1), date(9999, 12, 31)),
]


def era_forms(day: date) -> list[str]:
    """Every way of writing `day` in the era (or both eras) it belongs to."""
    forms = []
    for name, letter, first, last in TEST_ERAS:
        if not first <= day <= last:
            continue
        year = day.year - first.year + 1
        kanji_year = "元" if year == 1 else str(year)
        m, d = day.month, day.day
        forms += [
            f"{name}{kanji_year}年{m}月{d}日",
            f"{name}{year}年{m}月{d}日",
            f"{name}{year:02}年{m:02}月{d:02}日",
            f"{name} {kanji_year} 年 {m} 月 {d} 日",
            f"{letter}{year}.{m}.{d}",
            f"{letter}{year}/{m}/{d}",
            f"{letter}{year}-{m}-{d}",
            f"{letter.lower()}{year}.{m}.{d}",
            f"{letter}{year:02}.{m:02}.{d:02}",
            f"{letter}{kanji_year}.{m}.{d}",
        ]
    assert forms, "every supported date belongs to an era"
    return forms


def gregorian_forms(day: date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [
        f"{y}/{m:02}/{d:02}",
        f"{y}/{m}/{d}",
        f"{y}-{m}-{d}",
        f"{y}.{m}.{d}",
        f"{y}{m:02}{d:02}",
        f"{y}年{m}月{d}日",
    ]


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


supported_dates = st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31))


@given(supported_dates)
def test_round_trip_through_every_era_form(day: date) -> None:
    for form in era_forms(day):
        assert parse_date(form) == day, form
        assert parse_date(full_width(form)) == day, form


@given(supported_dates)
def test_round_trip_through_every_gregorian_form(day: date) -> None:
    for form in gregorian_forms(day):
        assert parse_date(form) == day, form
        assert parse_date(full_width(form)) == day, form


@given(supported_dates)
def test_a_date_written_in_the_wrong_era_is_refused(day: date) -> None:
    for name, letter, first, last in TEST_ERAS:
        if first <= day <= last or day.year < first.year:
            continue
        year = day.year - first.year + 1
        if year > 99:
            continue
        with pytest.raises(InvalidDate, match=f"{name} (ended|began) on"):
            parse_date(f"{letter}{year}.{day.month}.{day.day}")


def test_every_day_at_each_boundary() -> None:
    """Walk a week either side of each changeover, day by day, in both neighbouring eras."""
    for _, _, first, _ in TEST_ERAS[1:]:
        for offset in range(-7, 8):
            day = first + timedelta(days=offset)
            for form in era_forms(day):
                assert parse_date(form) == day
