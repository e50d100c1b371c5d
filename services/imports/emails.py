"""E-mail addresses typed into a spreadsheet.

Only the shape is checked (one @, a dot in the domain, no spaces): the real test of an
address is sending to it, which is not the import's job. NFKC first, because Japanese
input methods often produce a full-width ＠ or full-width letters.
"""

import re
import unicodedata

from services.imports.errors import InvalidValue

_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+", re.ASCII)


def parse_email(text: str) -> str:
    """Return the address, NFKC-normalised and stripped."""
    address = unicodedata.normalize("NFKC", text).strip()
    if not _SHAPE.fullmatch(address):
        raise InvalidValue("must look like name@example.jp")
    return address
