"""Which customers a search box query `q` selects.

People type a name in kanji, its reading in any kana form, part of a phone number or a
postal code into the same box. Each reading of `q` becomes a prefix range on a key
stored in canonical form, so each is an index range scan, never a substring scan:

- the name: NFKC, no spaces (domain.text.name_key), by prefix;
- the kana: full-width katakana, no spaces (domain.text.katakana_key), by prefix, so
  hiragana, katakana and half-width kana all find the same customers;
- when `q` is written as a number: a phone number that is, or ends with, its digits
  (at least 4), and a postal code that starts with them (3 to 7 digits).

Each reading is a selection of its own (see projections.pages), with the other
filters applied inside it; a customer matching two readings is served once.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from typing import Any

from domain import text
from projections.pages import Selection

# The end of a prefix range: every key starting with the prefix sorts below
# prefix + U+FFFF in byte (code point) order.
PREFIX_END = "\uffff"
PHONE_MIN_DIGITS = 4
POSTAL_CODE_MIN_DIGITS = 3
POSTAL_CODE_DIGITS = 7
# What people write around the digits of a number: hyphens of every kind (the
# long-vowel mark included, as input methods produce it), brackets, +, the postal mark.
NUMBER_PUNCTUATION = frozenset("-‐‑‒–—―−ー－()+〒")
# The customers whose phone number ends with given digits, joined to their rows.
PHONE_SOURCE = (
    "(SELECT customer_id AS phone_customer_id FROM customer_phones "
    "WHERE agency_id = ? AND digits_reversed >= ? AND digits_reversed < ?) AS phones "
    "CROSS JOIN customers"
)


def customer_selections(
    q: str | None, agency_id: str, conditions: Sequence[str], params: Sequence[Any]
) -> list[Selection]:
    """The agency's customers meeting `conditions` (with `params`) and matching `q`.

    A blank or absent `q` matches every customer.
    """
    common = ["agency_id = ?", *conditions]
    common_params = [agency_id, *params]

    def prefix(column: str, key: str) -> Selection:
        return Selection(
            "customers",
            [f"{column} >= ?", f"{column} < ?", *common],
            [key, key + PREFIX_END, *common_params],
        )

    if q is None or not q.strip():
        return [Selection("customers", common, common_params)]
    selections = [
        prefix(column, key)
        for column, key in (("name_key", text.name_key(q)), ("kana_key", text.katakana_key(q)))
    ]
    digits = _number_digits(q)
    if len(digits) >= PHONE_MIN_DIGITS:
        ending = digits[::-1]
        selections.append(
            Selection(
                PHONE_SOURCE,
                ["id = phone_customer_id", *common],
                [agency_id, ending, ending + PREFIX_END, *common_params],
            )
        )
    if POSTAL_CODE_MIN_DIGITS <= len(digits) <= POSTAL_CODE_DIGITS:
        selections.append(prefix("postal_code", digits))
    return selections


def _number_digits(q: str) -> str:
    """The digits of `q` if it is written as a number, else ""."""
    typed = "".join(unicodedata.normalize("NFKC", q).split())
    if not all(c in string.digits or c in NUMBER_PUNCTUATION for c in typed):
        return ""
    return "".join(c for c in typed if c in string.digits)
