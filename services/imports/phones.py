"""Japanese phone numbers: 10 or 11 digits starting with 0, stored as digits only.

Separators are allowed (03-1234-5678, (03)1234-5678, ０９０ー１２３４ー５６７８) but
nothing else: "03-1234-5678 内線12" or "+81 3 ..." is refused rather than reduced to its
digits, because dropping text can silently change the number.

Excel drops the leading zero of a number typed without hyphens (09012345678 becomes
9012345678); such a value is refused with that hint, never padded.
"""

import re
import unicodedata

from services.imports.errors import InvalidValue
from services.imports.hyphens import HYPHEN_CHARACTERS

_SEPARATORS = re.compile(rf"[\s(){HYPHEN_CHARACTERS}]")
_PHONE = re.compile(r"0[0-9]{9,10}")
_LOST_LEADING_ZERO = re.compile(r"[1-9][0-9]{8,9}")
_DIGITS = re.compile(r"[0-9]*")


def parse_phone(text: str) -> str:
    """Return the digits of a Japanese phone number."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if _PHONE.fullmatch(digits):
        return digits
    if _LOST_LEADING_ZERO.fullmatch(digits):
        raise InvalidValue(
            "does not start with 0: a leading zero may have been lost in Excel, fix the file"
        )
    if not _DIGITS.fullmatch(digits):
        raise InvalidValue("may contain only digits, hyphens, spaces and brackets")
    raise InvalidValue("must be 10 or 11 digits starting with 0")
