"""Normalisation of text that people type, for search keys and for validation.

People type the same name or number in many ways (half-width kana, hiragana, full-width
digits, ideographic spaces, assorted hyphens). These helpers reduce such input to one
canonical form. Names, kana and phone numbers are recorded as typed, with the canonical form
as a search key; a postal code and an e-mail domain are recorded in canonical form, which
loses nothing anyone meant. Error messages name the field and the rule, never the value:
the value is personal data.
"""

import string
import unicodedata

import jaconv

from domain.errors import DomainError

# Hyphens as Japanese input methods and spreadsheets produce them: NFKC folds the
# full-width hyphen-minus, but leaves the long-vowel mark, the minus sign and the
# Unicode hyphens alone.
_HYPHENS = frozenset("-‐‑－ー−")
_POSTAL_MARK = "〒"
EMAIL_MAX_LENGTH = 254


def _without_whitespace(value: str) -> str:
    # str.split() without arguments splits on all Unicode whitespace, U+3000 included.
    return "".join(value.split())


def katakana_key(value: str) -> str:
    """The kana search key: full-width katakana with no whitespace.

    "やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ" and "ヤマダ　タロウ" all give "ヤマダタロウ". NFKC comes first
    because it turns half-width kana (with their separate voicing marks) into full-width.
    """
    return _without_whitespace(jaconv.hira2kata(unicodedata.normalize("NFKC", value)))


def name_key(value: str) -> str:
    """The search key for a name in kanji: NFKC with no whitespace."""
    return _without_whitespace(unicodedata.normalize("NFKC", value))


def phone_digits(value: str, field: str = "phones") -> str:
    """The digits of a Japanese phone number, which must be 10 or 11 digits starting with 0.

    Separators and notation vary ("03-1234-5678", "（０３）１２３４ー５６７８"); the digits
    are what identify the number, so they are the key.
    """
    digits = "".join(c for c in unicodedata.normalize("NFKC", value) if c in string.digits)
    if len(digits) not in (10, 11) or not digits.startswith("0"):
        raise DomainError(field, "must be a Japanese phone number: 10 or 11 digits starting with 0")
    return digits


def postal_code(value: str, field: str = "postal_code") -> str:
    """A Japanese postal code as its 7 ASCII digits ("〒123-4567" gives "1234567").

    Six digits are refused, not padded: they usually mean a spreadsheet dropped a leading
    zero, and only the person who typed it knows the real code.
    """
    text = unicodedata.normalize("NFKC", value).strip().removeprefix(_POSTAL_MARK)
    digits = "".join(c for c in _without_whitespace(text) if c not in _HYPHENS)
    if len(digits) == 6 and digits.isascii() and digits.isdigit():
        raise DomainError(
            field,
            "must be 7 digits; it has 6, so a leading zero may have been lost "
            "(spreadsheets drop it): re-enter the full code",
        )
    if len(digits) != 7 or not (digits.isascii() and digits.isdigit()):
        raise DomainError(field, "must be 7 digits, optionally written as 123-4567")
    return digits


def email(value: str, field: str = "email") -> str:
    """An e-mail address, lightly checked, with its domain part in lower case.

    Only the domain is case-insensitive everywhere; the local part is kept as typed. The
    check catches typing slips, not every address RFC 5322 allows or forbids.
    """
    local, at, domain = value.rpartition("@")
    if (
        len(value) > EMAIL_MAX_LENGTH
        or not at
        or not local
        or "@" in local
        or _without_whitespace(value) != value
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
    ):
        raise DomainError(field, "must be an e-mail address such as name@example.jp")
    return f"{local}@{domain.lower()}"
