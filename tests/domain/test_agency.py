import hmac
from hashlib import sha256
from uuid import UUID, uuid4

import pytest

from domain.agency import Agency
from domain.context import EventContext
from domain.errors import DomainError

from .conftest import RoundTrip, make_context


def register_agency(context: EventContext, code: str = "mihon-hoken") -> Agency:
    return Agency.register(context, code=code, name="見本保険サービス株式会社")


def test_an_agency_is_registered_under_the_id_in_its_context(context: EventContext) -> None:
    agency = register_agency(context)

    assert agency.id == context.agency_id
    assert agency.code == "mihon-hoken"
    assert len(bytes.fromhex(agency.id_key)) == 32
    [registered] = agency.pending_events
    assert isinstance(registered, Agency.Registered)
    assert registered.context == context
    assert registered.id_key == agency.id_key


def test_each_agency_gets_its_own_id_key(context: EventContext) -> None:
    assert register_agency(context).id_key != register_agency(context).id_key


@pytest.mark.parametrize("code", ["a", "x" * 33, "Mihon", "mihon_hoken", "みほん", "mihon hoken"])
def test_agency_code_must_be_lower_case_ascii(context: EventContext, code: str) -> None:
    with pytest.raises(DomainError) as error:
        register_agency(context, code=code)
    assert error.value.field == "code"


@pytest.mark.parametrize("code", ["ab", "x" * 32, "agency-01"])
def test_agency_code_limits_are_inclusive(context: EventContext, code: str) -> None:
    assert register_agency(context, code=code).code == code


def test_derived_ids_are_deterministic(context: EventContext) -> None:
    agency = register_agency(context)

    assert agency.derive_id("policy", "AUTO-0000123") == agency.derive_id("policy", "AUTO-0000123")


def test_derived_ids_differ_by_kind_key_and_agency(context: EventContext) -> None:
    agency = register_agency(context)
    other = register_agency(make_context(uuid4()))

    ids = [
        agency.derive_id("policy", "AUTO-0000123"),
        agency.derive_id("policy", "AUTO-0000124"),
        agency.derive_id("customer", "AUTO-0000123"),
        other.derive_id("policy", "AUTO-0000123"),
    ]
    assert len(set(ids)) == len(ids)


def test_derived_id_is_the_hmac_of_kind_nul_key_marked_as_version_4(
    context: EventContext,
) -> None:
    agency = register_agency(context)
    digest = hmac.new(bytes.fromhex(agency.id_key), b"policy\x00AUTO-0000123", sha256).digest()
    expected = bytearray(digest[:16])
    expected[6] = expected[6] & 0x0F | 0x40
    expected[8] = expected[8] & 0x3F | 0x80

    assert agency.derive_id("policy", "AUTO-0000123") == UUID(bytes=bytes(expected))


def test_derived_ids_look_like_random_ids(context: EventContext) -> None:
    derived = register_agency(context).derive_id("customer", "row-7")

    assert derived.version == 4
    assert derived.variant == "specified in RFC 4122"


def test_a_kind_containing_nul_is_a_programming_error(context: EventContext) -> None:
    with pytest.raises(ValueError):
        register_agency(context).derive_id("policy\x00AUTO", "0000123")


def test_derivation_survives_reloading(context: EventContext, round_trip: RoundTrip) -> None:
    agency = register_agency(context)
    derived = agency.derive_id("customer", "row-7")

    reloaded = round_trip(agency)

    assert reloaded == agency
    assert reloaded.derive_id("customer", "row-7") == derived
