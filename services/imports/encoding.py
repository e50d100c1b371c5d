"""Turn the bytes of an uploaded CSV into text, or refuse them.

Japanese Excel saves CSV either as UTF-8 (with a byte-order mark when the user picks
"CSV UTF-8") or as CP932, the Windows flavour of Shift_JIS. CP932 rather than "shift_jis"
because Windows files contain NEC and IBM extension characters (①, ㈱, 髙, 﨑) that plain
Shift_JIS cannot decode.

Every decode is strict. A lenient fallback such as latin-1 or cp1252 "succeeds" on any
bytes and turns names into mojibake that would then be recorded, hash-chained, forever;
refusing the file is the only safe answer.
"""

import codecs

from services.imports.errors import UnusableInput

AUTO = "auto"
UTF8 = "utf-8"
UTF8_WITH_BOM = "utf-8-sig"
CP932 = "cp932"

# Python's cp932 codec follows Microsoft's table, which maps five single bytes that are not
# Shift_JIS characters at all (0x80, 0xA0, 0xFD-0xFF) to U+0080 and U+F8F0-U+F8F3. Excel never
# writes them; finding them means the file is in some other encoding.
_NOT_CP932_TEXT = frozenset("\x80\uf8f0\uf8f1\uf8f2\uf8f3")

_SAVE_AS_HINT = "save it from Excel as 'CSV UTF-8' and try again"


def decode_csv_bytes(data: bytes, encoding: str = AUTO) -> tuple[str, str]:
    """Decode `data` and return (text, encoding used).

    `encoding` is "auto", "utf-8", "utf-8-sig" or "cp932" (aliases such as "UTF8" or
    "ms932" are accepted). "auto" tries, in this order: a UTF-8 byte-order mark, strict
    UTF-8, strict CP932. UTF-8 goes first because files valid in both are almost always
    UTF-8 (pure ASCII is valid in both and reported as UTF-8), while CP932 text is almost
    never valid UTF-8. A byte-order mark is never part of the text.

    Raises UnusableInput when the bytes are not valid in the chosen encoding.
    """
    if b"\x00" in data:
        raise UnusableInput(
            "the file contains NUL bytes: it is probably UTF-16 or a binary file such as "
            f".xlsx, not a CSV; {_SAVE_AS_HINT}"
        )
    wanted = _canonical_encoding(encoding)
    if wanted == AUTO:
        return _decode_auto(data)
    if wanted == CP932:
        return _decode_cp932(data), CP932
    return _decode_utf8(data), _utf8_variant(data)


def _canonical_encoding(encoding: str) -> str:
    if encoding == AUTO:
        return AUTO
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in (UTF8, UTF8_WITH_BOM, CP932):
        raise UnusableInput("encoding must be auto, utf-8 or cp932")
    return CP932 if name == CP932 else UTF8


def _decode_auto(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _decode_utf8(data), UTF8_WITH_BOM
    try:
        return data.decode(UTF8), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return _decode_cp932(data), CP932
    except UnusableInput:
        raise UnusableInput(
            f"the file is neither UTF-8 nor CP932 (Shift_JIS); {_SAVE_AS_HINT}"
        ) from None


def _utf8_variant(data: bytes) -> str:
    return UTF8_WITH_BOM if data.startswith(codecs.BOM_UTF8) else UTF8


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode(_utf8_variant(data))
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            f"the file is not valid UTF-8 (first bad byte at offset {exc.start}); {_SAVE_AS_HINT}"
        ) from None


def _decode_cp932(data: bytes) -> str:
    try:
        text = data.decode(CP932)
    except UnicodeDecodeError as exc:
        raise UnusableInput(
            f"the file is not valid CP932 (first bad byte at offset {exc.start}); {_SAVE_AS_HINT}"
        ) from None
    if not _NOT_CP932_TEXT.isdisjoint(text):
        raise UnusableInput(
            f"the file contains bytes that are not CP932 characters; {_SAVE_AS_HINT}"
        )
    return text
