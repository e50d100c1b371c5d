"""The closed vocabularies of an import: insurance line, payment frequency, customer kind.

Agencies write these in their own words; each is mapped onto a small fixed set here so that
the ledger never stores free text where it needs a category.
"""

import re
import unicodedata
from enum import StrEnum

from services.imports.errors import InvalidValue


class InsuranceLine(StrEnum):
    """The broad line of business of a policy (種目)."""

    AUTO = "auto"
    FIRE = "fire"
    LIFE = "life"
    MEDICAL = "medical"
    LIABILITY = "liability"
    OTHER = "other"


class PaymentFrequency(StrEnum):
    """How often the premium is paid (払込方法)."""

    MONTHLY = "monthly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    SINGLE = "single"


class CustomerKind(StrEnum):
    """Whether the customer is a person or a corporation (個人/法人)."""

    PERSON = "person"
    CORPORATION = "corporation"


# Product names are free text ("総合自動車保険", "個人賠償責任保険", "終身医療保険"), so they
# are matched by keyword, first line first. The order settles names with two keywords:
# 自動車 (人身傷害) is auto, 火災 (個人賠償特約) is fire, 終身医療 is medical. "PL" must stand
# alone, so that "PLUS" or "Plan" in a product name is not read as liability.
_LINE_KEYWORDS: tuple[tuple[InsuranceLine, re.Pattern[str]], ...] = (
    (InsuranceLine.AUTO, re.compile("自動車|車両|バイク|自賠責")),
    (InsuranceLine.FIRE, re.compile("火災|住宅|家財|地震")),
    (InsuranceLine.LIABILITY, re.compile("賠償|責任|(?<![a-z])pl(?![a-z])")),
    (InsuranceLine.MEDICAL, re.compile("医療|がん|ガン|癌|傷害")),
    (InsuranceLine.LIFE, re.compile("生命|終身|定期|養老|収入保障")),
)

_FREQUENCIES = {
    "月払": PaymentFrequency.MONTHLY,
    "半年払": PaymentFrequency.SEMIANNUAL,
    "年払": PaymentFrequency.ANNUAL,
    "一時払": PaymentFrequency.SINGLE,
}

_KINDS = {"個人": CustomerKind.PERSON, "法人": CustomerKind.CORPORATION}


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_insurance_line(text: str) -> InsuranceLine:
    """Map a product or line name onto its line; a name with no known keyword is OTHER."""
    folded = _fold(text)
    for line, keywords in _LINE_KEYWORDS:
        if keywords.search(folded):
            return line
    return InsuranceLine.OTHER


def parse_payment_frequency(text: str) -> PaymentFrequency:
    """Map 月払, 半年払, 年払 or 一時払 (also written with い: 月払い) onto a frequency."""
    folded = _fold(text).removesuffix("い")
    try:
        return _FREQUENCIES[folded]
    except KeyError:
        raise InvalidValue("must be 月払, 半年払, 年払 or 一時払") from None


def parse_customer_kind(text: str) -> CustomerKind:
    """Map 個人 or 法人 onto a customer kind."""
    try:
        return _KINDS[_fold(text)]
    except KeyError:
        raise InvalidValue("must be 個人 or 法人") from None
