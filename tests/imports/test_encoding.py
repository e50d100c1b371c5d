"""Decoding uploads: UTF-8 (with or without BOM) or CP932, strictly, or not at all."""

import codecs
from pathlib import Path

import pytest

from services.imports.encoding import decode_csv_bytes
from services.imports.errors import UnusableInput

DATA = Path(__file__).parent.parent / "data"

JAPANESE = "氏名,フリガナ,住所\r\n山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ,東京都新宿区西新宿2丁目8-1\r\n"
# NEC special characters (①, ㈱, №, Ⅲ, ㍻) and IBM extensions (髙, 﨑, 德, ⅰ): in CP932, not in
# Shift_JIS, and common in Japanese names and addresses.
CP932_EXTENSIONS = "㈱髙松商事,山﨑 德子,サンハイツ①,№12,Ⅲ期,㍻,ⅰ\r\n"


def test_utf8_with_bom_is_decoded_without_the_bom() -> None:
    text, used = decode_csv_bytes(codecs.BOM_UTF8 + JAPANESE.encode())
    assert (text, used) == (JAPANESE, "utf-8-sig")


def test_utf8_without_bom() -> None:
    assert decode_csv_bytes(JAPANESE.encode()) == (JAPANESE, "utf-8")


def test_cp932() -> None:
    assert decode_csv_bytes(JAPANESE.encode("cp932")) == (JAPANESE, "cp932")


def test_cp932_nec_and_ibm_extension_characters() -> None:
    data = CP932_EXTENSIONS.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")  # the reason the codec must be cp932
    assert decode_csv_bytes(data) == (CP932_EXTENSIONS, "cp932")
    assert decode_csv_bytes(data, "cp932") == (CP932_EXTENSIONS, "cp932")


def test_cp932_yen_byte_reads_as_backslash() -> None:
    # 0x5C is ¥ on a Japanese screen and "\" in the cp932 codec; the premium parser accepts it.
    assert decode_csv_bytes("保険料\r\n\\12,340\r\n".encode("cp932"))[0] == "保険料\r\n\\12,340\r\n"


def test_pure_ascii_is_reported_as_utf8() -> None:
    assert decode_csv_bytes(b"name,phone\r\nA,03\r\n") == ("name,phone\r\nA,03\r\n", "utf-8")


def test_bytes_valid_in_both_encodings_are_utf8() -> None:
    data = "Café,日本".encode()
    assert data.decode("cp932") != "Café,日本"  # also valid CP932, as different text
    assert decode_csv_bytes(data) == ("Café,日本", "utf-8")


def test_empty_file() -> None:
    assert decode_csv_bytes(b"") == ("", "utf-8")


@pytest.mark.parametrize(
    "data",
    [
        "Zoë Müller;Düsseldorf\r\n".encode("latin-1"),
        "Café, naïve — “quoted” €5\r\n".encode("cp1252"),
        b"\x81\x20",  # a CP932 lead byte without a valid trail byte
        b"\xef\xbb\xbf\xff",  # a BOM followed by bytes that are not UTF-8
    ],
)
def test_neither_utf8_nor_cp932_is_refused(data: bytes) -> None:
    with pytest.raises(UnusableInput):
        decode_csv_bytes(data)


def test_the_latin1_sample_really_fails_both_codecs() -> None:
    data = (DATA / "not_a_csv_latin1.csv").read_bytes()
    for codec in ("utf-8", "cp932"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)
    with pytest.raises(UnusableInput, match="neither UTF-8 nor CP932"):
        decode_csv_bytes(data)


@pytest.mark.parametrize("odd_byte", [b"\x80", b"\xa0", b"\xfd", b"\xfe", b"\xff"])
def test_single_bytes_that_python_cp932_maps_but_shift_jis_lacks_are_refused(
    odd_byte: bytes,
) -> None:
    data = "氏名,".encode("cp932") + odd_byte + b"\r\n"
    assert data.decode("cp932")  # Python's codec accepts them ...
    with pytest.raises(UnusableInput, match="neither UTF-8 nor CP932"):
        decode_csv_bytes(data)  # ... but no Japanese spreadsheet writes them
    with pytest.raises(UnusableInput, match="not CP932 characters"):
        decode_csv_bytes(data, "cp932")


def test_utf16_is_refused_with_a_hint() -> None:
    with pytest.raises(UnusableInput, match="NUL bytes"):
        decode_csv_bytes("name,phone\r\n".encode("utf-16-le"))


def test_explicit_utf8_is_strict() -> None:
    with pytest.raises(UnusableInput, match="not valid UTF-8"):
        decode_csv_bytes(JAPANESE.encode("cp932"), "utf-8")


def test_explicit_utf8_drops_a_bom() -> None:
    data = codecs.BOM_UTF8 + JAPANESE.encode()
    assert decode_csv_bytes(data, "utf-8") == (JAPANESE, "utf-8-sig")


def test_explicit_cp932_is_strict() -> None:
    with pytest.raises(UnusableInput, match="not valid CP932"):
        decode_csv_bytes("Zoë Müller,Düsseldorf\r\n".encode("latin-1"), "cp932")


def test_explicit_cp932_wins_over_utf8() -> None:
    data = "Café".encode()
    assert decode_csv_bytes(data, "cp932") == (data.decode("cp932"), "cp932")


@pytest.mark.parametrize(
    ("alias", "used"), [("UTF8", "utf-8"), ("utf_8", "utf-8"), ("MS932", "cp932")]
)
def test_encoding_aliases(alias: str, used: str) -> None:
    assert decode_csv_bytes(b"a,b\r\n", alias)[1] == used


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "shift_jis", "euc-jp", "no-such-codec"])
def test_other_encodings_are_not_offered(encoding: str) -> None:
    with pytest.raises(UnusableInput, match="encoding must be auto, utf-8 or cp932"):
        decode_csv_bytes(b"a,b\r\n", encoding)
