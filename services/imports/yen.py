"""Amounts of money as typed in a spreadsheet, read as whole yen.

Accepted: 12340, 12,340, ¥12,340, ￥12,340, 12340円, ¥12,340円, full-width digits, and the
backslash that a CP932 file shows instead of ¥ (the two share byte 0x5C). Digit grouping,
if used, must be correct (1,234,567), so that a European "12.340" or a slip such as
"12,34" is not misread.

Refused: negative amounts (-, △, ▲), decimals (yen have no subunit in these files) and
anything else. Money is an int, as everywhere in Daicho.
"""

import re
import unicodedata

from services.imports.errors import InvalidValue

_AMOUNT = re.compile(r"[¥\\]?\s*(?P<number>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s*円?")


def parse_yen(text: str) -> int:
    """Return a non-negative whole number of yen."""
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _AMOUNT.fullmatch(folded)
    if match is None:
        raise InvalidValue("must be a whole, non-negative number of yen, like 12,340 or ¥12,340")
    return int(match["number"].replace(",", ""))
