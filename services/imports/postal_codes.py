"""Japanese postal codes (郵便番号): seven digits, written any way people write them.

People type 〒160-0023, 1600023, １６０－００２３ or 160ー0023 (with the katakana long
vowel mark that a Japanese keyboard gives for "-"). All of these are the same code.

Excel, though, reads 0600001 as the number 600001 and drops the leading zero. A 6-digit
code is therefore refused with that hint rather than padded: padding guesses, and a wrong
postal code silently attached to a customer is worse than a rejected row.
"""

import re
import unicodedata

from services.imports.errors import InvalidValue
from services.imports.hyphens import HYPHEN_CHARACTERS

_SEPARATORS = re.compile(rf"[\s〒{HYPHEN_CHARACTERS}]")
_SEVEN_DIGITS = re.compile(r"[0-9]{7}")
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def parse_postal_code(text: str) -> str:
    """Return the seven digits of a postal code, without separators."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if _SEVEN_DIGITS.fullmatch(digits):
        return digits
    if _SIX_DIGITS.fullmatch(digits):
        raise InvalidValue("has 6 digits: a leading zero may have been lost in Excel, fix the file")
    raise InvalidValue("must be 7 digits, like 160-0023")
