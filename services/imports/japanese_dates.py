"""Dates as Japanese people type them into spreadsheets, Gregorian or 和暦.

The era table is written out here rather than taken from a library: it is five rows, and
the boundaries must be exact to the day, since a 生年月日 one day off is a different person.
An era's first year is 元年. Two changeovers happened during a day, on the day the emperor
died, so that day has two valid names: 1912-07-30 is both 明治45年7月30日 and 大正元年7月30日,
1926-12-25 both 大正15年12月25日 and 昭和元年12月25日. Since the 1979 era-name law the new era
starts the next day, so 昭和64年1月7日 exists and 昭和64年1月8日 does not, and 平成 ended on
2019-04-30 with 令和 starting on 2019-05-01.

Japan adopted the Gregorian calendar on 明治6年1月1日 (1873-01-01); earlier 明治 dates are
lunisolar and cannot be converted by arithmetic, so they are refused.

Nothing is ever rolled over or guessed: 2月30日 is an error, not 3月2日, and a two-digit
year such as 24/4/1 is refused because its century (or era) would be a guess.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from services.imports.errors import InvalidValue

EARLIEST_SUPPORTED = date(1873, 1, 1)


@dataclass(frozen=True)
class Era:
    """One Japanese era: its name, its one-letter abbreviation and its first and last day."""

    name: str
    letter: str
    first_day: date
    last_day: date | None


ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 1, 25), date(1912, 7, 30)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)

_ERA_BY_NAME = {era.name: era for era in ERAS}
_ERA_BY_LETTER = {era.letter: era for era in ERAS}

_EXAMPLES = "(write it like 2024/4/1, 20240401, 2024年4月1日, 令和6年4月1日 or R6.4.1)"

_S = r"\s*"
_SEP = r"(?P<sep>[/.\-])"
_MONTH_DAY_SEP = rf"{_S}(?P<month>\d{{1,2}}){_S}(?P=sep){_S}(?P<day>\d{{1,2}})"
_MONTH_DAY_KANJI = rf"{_S}(?P<month>\d{{1,2}}){_S}月{_S}(?P<day>\d{{1,2}}){_S}日"
_ERA_YEAR = r"(?P<year>\d{1,2}|元)"

# ASCII only: after NFKC every digit a person can type is an ASCII digit, and other scripts'
# digits must not slip through int().
_GREGORIAN_FORMS = (
    re.compile(rf"(?P<year>\d{{4}}){_S}{_SEP}{_MONTH_DAY_SEP}", re.ASCII),
    re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})", re.ASCII),
    re.compile(rf"(?P<year>\d{{4}}){_S}年{_MONTH_DAY_KANJI}", re.ASCII),
)
_ERA_FORMS = (
    re.compile(
        rf"(?P<era>明治|大正|昭和|平成|令和){_S}{_ERA_YEAR}{_S}年{_MONTH_DAY_KANJI}", re.ASCII
    ),
    re.compile(
        rf"(?P<letter>[MTSHR]){_S}{_ERA_YEAR}{_S}{_SEP}{_MONTH_DAY_SEP}",
        re.ASCII | re.IGNORECASE,
    ),
)
_TWO_DIGIT_YEAR_FORMS = (
    re.compile(rf"\d{{2}}{_S}{_SEP}{_MONTH_DAY_SEP}", re.ASCII),
    re.compile(rf"\d{{2}}{_S}年{_MONTH_DAY_KANJI}", re.ASCII),
)
_SHORT_COMPACT_FORM = re.compile(r"\d{6,7}", re.ASCII)
# Excel writes a date cell formatted as date and time with its midnight: 2024/4/1 0:00.
# Any other time is left in, and refused: the column may not hold the dates it claims.
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$", re.ASCII)


class InvalidDate(InvalidValue):
    """A date that cannot be read or does not exist; the message names the rule."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"not a valid date: {rule}")
        self.rule = rule


def parse_date(text: str) -> date:
    """Read one date typed by a person, Gregorian or 和暦, and check that it exists.

    Full-width digits and letters are folded first (NFKC), which also expands the era
    ligatures such as ㋿ and ㍻. Spaces between the parts are allowed, and so is a
    time of midnight after the date.
    """
    folded = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text).strip())
    for pattern in _GREGORIAN_FORMS:
        match = pattern.fullmatch(folded)
        if match:
            return _checked(int(match["year"]), int(match["month"]), int(match["day"]))
    for pattern in _ERA_FORMS:
        match = pattern.fullmatch(folded)
        if match:
            era = (
                _ERA_BY_NAME[match["era"]]
                if "era" in pattern.groupindex
                else _ERA_BY_LETTER[match["letter"].upper()]
            )
            return _in_era(era, match["year"], int(match["month"]), int(match["day"]))
    if any(pattern.fullmatch(folded) for pattern in _TWO_DIGIT_YEAR_FORMS):
        raise InvalidDate(f"a two-digit year is ambiguous {_EXAMPLES}")
    if _SHORT_COMPACT_FORM.fullmatch(folded):
        raise InvalidDate("a date without separators needs 8 digits, like 20240401")
    raise InvalidDate(f"unrecognised form {_EXAMPLES}")


def _in_era(era: Era, era_year: str, month: int, day: int) -> date:
    year_number = 1 if era_year == "元" else int(era_year)
    if year_number == 0:
        raise InvalidDate(f"{era.name} years start at 1 (元年)")
    result = _checked(era.first_day.year + year_number - 1, month, day)
    if result < era.first_day:
        raise InvalidDate(f"{era.name} began on {era.first_day.isoformat()}")
    if era.last_day is not None and result > era.last_day:
        raise InvalidDate(f"{era.name} ended on {era.last_day.isoformat()}")
    return result


def _checked(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise InvalidDate("the month must be 1 to 12")
    if year < EARLIEST_SUPPORTED.year:
        raise InvalidDate(
            f"dates before {EARLIEST_SUPPORTED.isoformat()} are not supported "
            "(Japan adopted the Gregorian calendar then)"
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDate("that day does not exist in that month") from None
