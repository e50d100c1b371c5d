"""The JSON shapes of the API (msgspec Structs): requests are strict, responses documented.

Requests reject unknown fields and bound every string and list, so oversized or
unexpected input is refused at the edge with a pointer to the field. In PATCH bodies
an absent field is UNSET (left alone) while null clears it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

Name = Annotated[str, Meta(min_length=1, max_length=100)]
ShortText = Annotated[str, Meta(max_length=200)]
Code = Annotated[str, Meta(max_length=64)]
LongText = Annotated[str, Meta(min_length=1, max_length=4000)]
Reason = Annotated[str, Meta(max_length=500)]
Phones = Annotated[list[Annotated[str, Meta(max_length=32)]], Meta(max_length=10)]
Ids = Annotated[list[UUID], Meta(max_length=50)]
Products = Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(max_length=20)]
Yen = Annotated[int, Meta(ge=0, le=10_000_000_000)]

CustomerKind = Literal["person", "corporation"]
Line = Literal["auto", "fire", "life", "medical", "liability", "other"]
Frequency = Literal["monthly", "annual", "single", "semiannual", "quarterly"]
PolicyStatus = Literal["in_force", "lapsed", "cancelled", "renewed"]
Channel = Literal["visit", "phone", "email", "letter", "online", "other"]
ContactKind = Literal[
    "general", "intent_confirmation", "comparison_recommendation", "complaint", "other"
]


class Request(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: strict."""


def given(body: Struct, *, without: tuple[str, ...] = ("reason",)) -> dict[str, Any]:
    """The fields a request actually carries (UNSET ones left out)."""
    return {
        name: value
        for name in body.__struct_fields__
        if (value := getattr(body, name)) is not UNSET and name not in without
    }


class Login(Request):
    agency: Code
    username: Code
    password: Annotated[str, Meta(max_length=1024)]


class Token(Struct):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


class Caller(Struct):
    """Who the token belongs to, for a front end to show and to shape its screens."""

    user_id: UUID
    agency_id: UUID
    username: str
    role: str
    sees_personal_data: bool


class CustomerCreate(Request):
    name: Name
    kana: Name
    kind: CustomerKind = "person"
    birth_date: date | None = None
    postal_code: Annotated[str, Meta(max_length=16)] | None = None
    address: ShortText | None = None
    phones: Phones = msgspec.field(default_factory=list)
    email: Annotated[str, Meta(max_length=254)] | None = None
    household_id: UUID | None = None
    agent_id: Code | None = None


class CustomerPatch(Request):
    name: Name | UnsetType = UNSET
    kana: Name | UnsetType = UNSET
    kind: CustomerKind | UnsetType = UNSET
    birth_date: date | None | UnsetType = UNSET
    postal_code: Annotated[str, Meta(max_length=16)] | None | UnsetType = UNSET
    address: ShortText | None | UnsetType = UNSET
    phones: Phones | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=254)] | None | UnsetType = UNSET
    household_id: UUID | None | UnsetType = UNSET
    agent_id: Code | None | UnsetType = UNSET
    reason: Reason | None = None


class ReasonOnly(Request):
    reason: Reason | None = None


class Customer(Struct, omit_defaults=True):
    """A customer. For the auditor role the personal-data fields are absent."""

    id: UUID
    kind: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    household_id: UUID | None | UnsetType = UNSET
    agent_id: str | None | UnsetType = UNSET
    name: str | UnsetType = UNSET
    kana: str | UnsetType = UNSET
    birth_date: date | None | UnsetType = UNSET
    postal_code: str | None | UnsetType = UNSET
    address: str | None | UnsetType = UNSET
    phones: list[str] | UnsetType = UNSET
    email: str | None | UnsetType = UNSET


class CustomerPage(Struct):
    items: list[Customer]
    next_cursor: str | None


class PolicyCreate(Request):
    insurer: Name
    line: Line
    policy_number: Code
    policyholder_id: UUID
    premium: Yen
    payment_frequency: Frequency
    start_date: date
    end_date: date | None = None
    insured_ids: Ids = msgspec.field(default_factory=list)
    agent_id: Code | None = None


class PolicyPatch(Request):
    insurer: Name | UnsetType = UNSET
    line: Line | UnsetType = UNSET
    policy_number: Code | UnsetType = UNSET
    policyholder_id: UUID | UnsetType = UNSET
    premium: Yen | UnsetType = UNSET
    payment_frequency: Frequency | UnsetType = UNSET
    start_date: date | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET
    insured_ids: Ids | UnsetType = UNSET
    agent_id: Code | None | UnsetType = UNSET
    reason: Reason | None = None


class StatusChange(Request):
    status: PolicyStatus
    reason: Reason | None = None


class Policy(Struct):
    id: UUID
    insurer: str
    line: str
    policy_number: str
    policyholder_id: UUID
    insured_ids: list[UUID]
    premium: int
    payment_frequency: str
    start_date: date
    end_date: date | None
    status: str
    agent_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class PolicyPage(Struct):
    items: list[Policy]
    next_cursor: str | None


class Renewal(Policy, omit_defaults=True):
    """A policy due for renewal, with its holder's name and kana (absent for the
    auditor role) and status: a call list leaves out or marks an `archived` holder."""

    policyholder_name: str | None = None
    policyholder_kana: str | None = None
    policyholder_status: str | None = None


class RenewalPage(Struct):
    items: list[Renewal]
    next_cursor: str | None


class ContactCreate(Request):
    customer_id: UUID
    occurred_at: datetime
    channel: Channel
    agent_id: Code
    kind: ContactKind
    summary: LongText
    customer_intent: Annotated[str, Meta(max_length=4000)] | None = None
    products_proposed: Products = msgspec.field(default_factory=list)
    recommended_product: Annotated[str, Meta(max_length=200)] | None = None
    recommendation_reason: Annotated[str, Meta(max_length=4000)] | None = None


class Contact(Struct, omit_defaults=True):
    """A contact record. For the auditor role its free-text fields are absent."""

    id: UUID
    customer_id: UUID
    occurred_at: datetime
    channel: str
    agent_id: str
    kind: str
    version: int
    created_at: datetime
    products_proposed: list[str]
    recommended_product: str | None
    summary: str | UnsetType = UNSET
    customer_intent: str | None | UnsetType = UNSET
    recommendation_reason: str | None | UnsetType = UNSET


class ContactPage(Struct):
    items: list[Contact]
    next_cursor: str | None


class HouseholdCreate(Request):
    name: Name


class HouseholdPatch(Request):
    name: Name


class HouseholdMember(Struct, omit_defaults=True):
    id: UUID
    name: str | UnsetType = UNSET
    kana: str | UnsetType = UNSET


class Household(Struct, omit_defaults=True):
    """A household; its name (a family name) is absent for the auditor role."""

    id: UUID
    version: int
    members: list[HouseholdMember]
    policies: list[Policy]
    name: str | UnsetType = UNSET


class RejectedRow(Struct):
    line: int
    reason: str


class ImportResult(Struct):
    job_id: UUID
    file_sha256: str
    encoding: str
    dry_run: bool
    customers_created: int
    customers_matched: int
    policies_created: int
    policies_updated: int
    rows_imported: int
    rows_rejected: list[RejectedRow]
    rows_rejected_count: int
    ignored_columns: list[str]


class Accepted(Struct):
    """A write that is recorded but not yet visible in the read models."""

    id: UUID
    position: int | None


class FieldError(Struct):
    pointer: str
    detail: str


class Problem(Struct, omit_defaults=True):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    current_version: int | None = None
    existing_id: UUID | None = None
