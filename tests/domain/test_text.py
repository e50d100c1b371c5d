from collections.abc import Callable

import pytest

from domain.errors import DomainError
from domain.text import email, katakana_key, name_key, phone_digits, postal_code


@pytest.mark.parametrize("typed", ["やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ", " ヤマダタロウ "])
def test_every_way_of_typing_a_kana_name_gives_one_key(typed: str) -> None:
    assert katakana_key(typed) == "ヤマダタロウ"


def test_kana_key_keeps_voiced_and_long_marks() -> None:
    assert katakana_key("ｺｰﾋﾟｰ ｼｮｳｼﾞ") == "コーピーショウジ"


def test_name_key_folds_width_and_drops_spaces() -> None:
    assert name_key("山田　太郎") == "山田太郎"
    assert name_key("ＡＢＣ 商事") == "ABC商事"


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("03-0000-1234", "0300001234"),
        ("０９０－００００－１２３４", "09000001234"),
        ("(03) 0000 1234", "0300001234"),
    ],
)
def test_phone_digits_keeps_only_the_digits(typed: str, digits: str) -> None:
    assert phone_digits(typed) == digits


@pytest.mark.parametrize("typed", ["0300-123", "030000123456", "3000012345", ""])
def test_phone_number_of_the_wrong_shape_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as error:
        phone_digits(typed, "fax")
    assert error.value.field == "fax"


@pytest.mark.parametrize(
    "typed", ["123-4567", "〒123-4567", "〒 １２３－４５６７", "123ー4567", "123−4567", "1234567"]
)
def test_postal_code_is_reduced_to_its_seven_digits(typed: str) -> None:
    assert postal_code(typed) == "1234567"


def test_six_digit_postal_code_hints_at_a_lost_leading_zero() -> None:
    with pytest.raises(DomainError) as error:
        postal_code("12-3456")
    assert error.value.field == "postal_code"
    assert "leading zero" in error.value.message


@pytest.mark.parametrize("typed", ["123-45678", "abc-defg", "١٢٣٤٥٦٧", ""])
def test_postal_code_that_is_not_seven_ascii_digits_is_refused(typed: str) -> None:
    with pytest.raises(DomainError, match="postal_code"):
        postal_code(typed)


def test_email_domain_is_lower_cased_but_not_the_local_part() -> None:
    assert email("Hanako.Sato@Example.CO.JP") == "Hanako.Sato@example.co.jp"


@pytest.mark.parametrize(
    "typed",
    [
        "hanako.example.jp",
        "@example.jp",
        "hanako@",
        "hanako@localhost",
        "hana ko@example.jp",
        "hanako@@example.jp",
        "hanako@example..jp",
        "hanako@.example.jp",
        "a" * 250 + "@example.jp",
    ],
)
def test_malformed_email_is_refused(typed: str) -> None:
    with pytest.raises(DomainError, match="email"):
        email(typed)


@pytest.mark.parametrize(
    ("check", "typed"),
    [
        (phone_digits, "090-1111"),
        (postal_code, "12-3456"),
        (postal_code, "987-65432"),
        (email, "secret.person@nowhere"),
    ],
)
def test_error_messages_never_contain_the_value(check: Callable[[str], str], typed: str) -> None:
    with pytest.raises(DomainError) as error:
        check(typed)
    for fragment in (typed, "1111", "3456", "65432", "secret.person"):
        assert fragment not in str(error.value)


def test_control_characters_and_lone_surrogates_are_refused() -> None:
    from domain import checks
    from domain.errors import DomainError

    for bad in ("山田\x00太郎", "a\x1bb", "x\ud800y", "山田\u202e郎太", "a\x9bb", "a\u2028b"):
        with pytest.raises(DomainError, match="control or text-direction characters"):
            checks.required_text(bad, "name", max_length=100)
    assert checks.required_text("一行目\n二行目\tタブ", "summary", max_length=100)


def test_text_of_invisible_characters_only_is_blank() -> None:
    from domain import checks
    from domain.errors import DomainError

    for blank in ("\u200b\u3000\ufeff", "\u3164", "\u2800", "\u00ad\u034f", "\U000e0041"):
        with pytest.raises(DomainError, match="must not be empty"):
            checks.required_text(blank, "name", max_length=100)
    assert checks.required_text("山田\u200b太郎", "name", max_length=100)  # kept as typed
