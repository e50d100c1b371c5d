"""Agencies (tenants): registering one and finding one by its code.

An agency's id is derived from its code, so a code names exactly one agency and
registering a code twice fails in the store itself, whichever process tries.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.agency import Agency
from infra.ledger import Ledger
from services.requests import RequestMeta

AGENCY_NAMESPACE = UUID("6f1c1b8e-5d0a-4f53-9a3e-2b7c0e4d9a11")


class UnknownAgency(LookupError):
    def __init__(self) -> None:
        super().__init__("no agency has this code")


class AgencyExists(Exception):
    def __init__(self) -> None:
        super().__init__("an agency with this code exists already")


def agency_id_for(code: str) -> UUID:
    return uuid.uuid5(AGENCY_NAMESPACE, f"agency:{code}")


def register_agency(ledger: Ledger, meta: RequestMeta, *, code: str, name: str) -> Agency:
    agency = Agency.register(meta.for_agency(agency_id_for(code)).context(), code=code, name=name)
    try:
        ledger.save(agency)
    except IntegrityError:
        raise AgencyExists() from None
    return agency


def agency_by_code(ledger: Ledger, code: str) -> Agency:
    try:
        agency = ledger.repository.get(agency_id_for(code))
    except AggregateNotFoundError:
        raise UnknownAgency() from None
    assert isinstance(agency, Agency)
    return agency
