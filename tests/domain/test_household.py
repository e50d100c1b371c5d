import pytest

from domain.context import EventContext
from domain.errors import DomainError, WrongAgency
from domain.household import Household

from .conftest import RoundTrip


def test_a_household_is_formed_with_a_name(context: EventContext) -> None:
    household = Household.form(context, name="山田家")

    assert household.name == "山田家"
    assert household.agency_id == context.agency_id
    [formed] = household.pending_events
    assert isinstance(formed, Household.Formed)
    assert formed.context == context


@pytest.mark.parametrize("name", ["", "　", "家" * 101])
def test_a_household_needs_a_reasonable_name(context: EventContext, name: str) -> None:
    with pytest.raises(DomainError) as error:
        Household.form(context, name=name)
    assert error.value.field == "name"


def test_renaming_records_old_and_new_name(context: EventContext) -> None:
    household = Household.form(context, name="山田家")

    household.rename(context, "山田・佐藤家")

    renamed = household.pending_events[-1]
    assert isinstance(renamed, Household.Renamed)
    assert (renamed.old, renamed.new) == ("山田家", "山田・佐藤家")
    assert household.name == "山田・佐藤家"


def test_renaming_to_the_same_name_records_nothing(context: EventContext) -> None:
    household = Household.form(context, name="山田家")

    household.rename(context, "山田家")

    assert household.version == 1


def test_another_agency_cannot_rename_the_household(
    context: EventContext, other_agency_context: EventContext
) -> None:
    household = Household.form(context, name="山田家")

    with pytest.raises(WrongAgency):
        household.rename(other_agency_context, "佐藤家")


def test_household_round_trips_through_the_event_store(
    context: EventContext, round_trip: RoundTrip
) -> None:
    household = Household.form(context, name="山田家")
    household.rename(context, "山田・佐藤家")

    assert round_trip(household) == household
