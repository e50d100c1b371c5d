"""The single-cell parsers: postal codes, phones, yen, e-mail and the closed vocabularies."""

import pytest

from services.imports.categories import (
    CustomerKind,
    InsuranceLine,
    PaymentFrequency,
    parse_customer_kind,
    parse_insurance_line,
    parse_payment_frequency,
)
from services.imports.emails import parse_email
from services.imports.errors import InvalidValue
from services.imports.phones import parse_phone
from services.imports.postal_codes import parse_postal_code
from services.imports.yen import parse_yen


@pytest.mark.parametrize(
    "text",
    [
        "160-0023",
        "1600023",
        "〒160-0023",
        "〒 160-0023",
        "〒1600023",
        "１６０－００２３",
        "〒１６０－００２３",
        "160ー0023",
        "160ｰ0023",
        "160‐0023",
        "160−0023",
        "160–0023",
        "160―0023",
        " 160 0023 ",
        "〶160-0023",
    ],
)
def test_postal_code_forms(text: str) -> None:
    assert parse_postal_code(text) == "1600023"


def test_postal_code_with_leading_zero_is_kept() -> None:
    assert parse_postal_code("060-0001") == "0600001"


@pytest.mark.parametrize("text", ["600001", "60-0001", "６００００１", "〒600001"])
def test_six_digit_postal_code_gets_the_excel_hint_and_is_not_padded(text: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_postal_code(text)
    assert str(raised.value) == (
        "has 6 digits: a leading zero may have been lost in Excel, fix the file"
    )


@pytest.mark.parametrize("text", ["160-02", "16000231", "160-00A3", "〒", "160/0023", "160.0023"])
def test_other_postal_codes_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="must be 7 digits"):
        parse_postal_code(text)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("03-1234-5678", "0312345678"),
        ("0312345678", "0312345678"),
        ("(03)1234-5678", "0312345678"),
        ("（03）1234－5678", "0312345678"),
        ("03 1234 5678", "0312345678"),
        ("090-1234-5678", "09012345678"),
        ("０９０－１２３４－５６７８", "09012345678"),
        ("090ー1234ー5678", "09012345678"),
        ("011-123-4567", "0111234567"),
        ("0120-123-456", "0120123456"),
    ],
)
def test_phone_forms(text: str, digits: str) -> None:
    assert parse_phone(text) == digits


@pytest.mark.parametrize("text", ["9012345678", "312345678"])
def test_phone_that_lost_its_leading_zero_gets_the_excel_hint(text: str) -> None:
    with pytest.raises(InvalidValue, match="a leading zero may have been lost in Excel"):
        parse_phone(text)


@pytest.mark.parametrize("text", ["03-1234-567", "090-1234-56789", "0312", "-"])
def test_phone_with_the_wrong_number_of_digits(text: str) -> None:
    with pytest.raises(InvalidValue, match="must be 10 or 11 digits starting with 0"):
        parse_phone(text)


@pytest.mark.parametrize(
    "text", ["03-1234-5678 内線12", "+81-3-1234-5678", "TEL 03-1234-5678", "03-1234-5678/5679"]
)
def test_phone_with_other_text_is_refused_not_reduced_to_digits(text: str) -> None:
    with pytest.raises(InvalidValue, match="may contain only digits, hyphens, spaces and brackets"):
        parse_phone(text)


@pytest.mark.parametrize(
    ("text", "yen"),
    [
        ("12340", 12340),
        ("12,340", 12340),
        ("¥12,340", 12340),
        ("￥12,340", 12340),
        ("\\12,340", 12340),
        ("12340円", 12340),
        ("12,340円", 12340),
        ("¥ 12,340", 12340),
        ("１２，３４０", 12340),
        ("１２３４０円", 12340),
        (" 1,234,567 ", 1234567),
        ("0", 0),
    ],
)
def test_yen_forms(text: str, yen: int) -> None:
    assert parse_yen(text) == yen


@pytest.mark.parametrize(
    "text",
    [
        "-12340",
        "−12,340",
        "△12,340",
        "▲12340",
        "(12,340)",
        "12340.5",
        "12,340.00",
        "12.340",
        "12,34",
        "1234,567",
        "abc",
        "12340ドル",
        "$12,340",
        "¥",
        "1万2340円",
        "12 340",
    ],
)
def test_yen_refusals(text: str) -> None:
    with pytest.raises(InvalidValue, match="must be a whole, non-negative number of yen"):
        parse_yen(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("taro@example.jp", "taro@example.jp"),
        (" taro.yamada+ins@mail.example.co.jp ", "taro.yamada+ins@mail.example.co.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
    ],
)
def test_email_forms(text: str, address: str) -> None:
    assert parse_email(text) == address


@pytest.mark.parametrize(
    "text", ["taro", "taro@", "@example.jp", "taro@example", "ta ro@example.jp", "a@b@example.jp"]
)
def test_email_refusals(text: str) -> None:
    with pytest.raises(InvalidValue, match=r"must look like name@example\.jp"):
        parse_email(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("自動車", InsuranceLine.AUTO),
        ("自動車保険", InsuranceLine.AUTO),
        ("総合自動車保険", InsuranceLine.AUTO),
        ("車両保険", InsuranceLine.AUTO),
        ("バイク保険", InsuranceLine.AUTO),
        ("自賠責", InsuranceLine.AUTO),
        ("自動車（人身傷害）", InsuranceLine.AUTO),
        ("火災", InsuranceLine.FIRE),
        ("火災保険", InsuranceLine.FIRE),
        ("住宅総合", InsuranceLine.FIRE),
        ("家財保険", InsuranceLine.FIRE),
        ("地震保険", InsuranceLine.FIRE),
        ("火災保険（個人賠償特約）", InsuranceLine.FIRE),
        ("生命保険", InsuranceLine.LIFE),
        ("終身保険", InsuranceLine.LIFE),
        ("定期保険", InsuranceLine.LIFE),
        ("養老保険", InsuranceLine.LIFE),
        ("収入保障保険", InsuranceLine.LIFE),
        ("医療保険", InsuranceLine.MEDICAL),
        ("終身医療保険", InsuranceLine.MEDICAL),
        ("がん保険", InsuranceLine.MEDICAL),
        ("ガン保険", InsuranceLine.MEDICAL),
        ("新・癌保険", InsuranceLine.MEDICAL),
        ("傷害保険", InsuranceLine.MEDICAL),
        ("賠償責任保険", InsuranceLine.LIABILITY),
        ("個人賠償", InsuranceLine.LIABILITY),
        ("施設賠償責任", InsuranceLine.LIABILITY),
        ("PL保険", InsuranceLine.LIABILITY),
        ("ＰＬ保険", InsuranceLine.LIABILITY),
        ("pl", InsuranceLine.LIABILITY),
        ("ペット保険", InsuranceLine.OTHER),
        ("Life PLUS", InsuranceLine.OTHER),
        ("ゴルファー保険", InsuranceLine.OTHER),
    ],
)
def test_insurance_lines(text: str, line: InsuranceLine) -> None:
    assert parse_insurance_line(text) is line


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("月払", PaymentFrequency.MONTHLY),
        ("月払い", PaymentFrequency.MONTHLY),
        ("年払", PaymentFrequency.ANNUAL),
        ("年払い", PaymentFrequency.ANNUAL),
        (" 年払 ", PaymentFrequency.ANNUAL),
        ("一時払", PaymentFrequency.SINGLE),
        ("一時払い", PaymentFrequency.SINGLE),
        ("半年払", PaymentFrequency.SEMIANNUAL),
        ("半年払い", PaymentFrequency.SEMIANNUAL),
    ],
)
def test_payment_frequencies(text: str, frequency: PaymentFrequency) -> None:
    assert parse_payment_frequency(text) is frequency


@pytest.mark.parametrize("text", ["口座振替", "クレジットカード", "一括", "月", "毎月"])
def test_payment_method_is_not_a_frequency(text: str) -> None:
    with pytest.raises(InvalidValue, match="must be 月払, 半年払, 年払 or 一時払"):
        parse_payment_frequency(text)


def test_customer_kinds() -> None:
    assert parse_customer_kind("個人") is CustomerKind.PERSON
    assert parse_customer_kind(" 法人 ") is CustomerKind.CORPORATION
    with pytest.raises(InvalidValue, match="must be 個人 or 法人"):
        parse_customer_kind("個人事業主")
