"""Who may do what, and the request metadata every use case records.

The minimum role matrix (a later issue hardens it): staff who serve customers write;
auditors and investigators only read; auditors never see personal data.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from domain.roles import CUSTOMER_PERSONAL_DATA_FIELDS, sees_personal_data
from services.api.problems import InvalidQuery, PreconditionRequired
from services.requests import RequestMeta
from services.sessions import Principal

WRITERS = frozenset({"admin", "manager", "agent"})
IMPORTERS = frozenset({"admin", "manager"})
# A UUID or 16 to 64 hex digits (a W3C trace id is 32): nothing a person's name or
# phone number could be typed into, since the id is written into the permanent events.
_REQUEST_ID = re.compile(r"[0-9A-Fa-f]{16,64}|[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_ETAG = re.compile(r'"(\d{1,18})"')  # strong only: If-Match never matches a weak ETag


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a UUID or hex digits, else a fresh one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def may_write(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.user.role not in WRITERS:
        raise PermissionDeniedException("this role may not change records")


def may_import(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.user.role not in IMPORTERS:
        raise PermissionDeniedException("this role may not import files")


def meta_of(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestMeta:
    principal: Principal = connection.user
    client = connection.client
    return RequestMeta(
        actor=str(principal.user_id),
        agency_id=principal.agency_id,
        request_id=connection.scope["state"]["request_id"],
        source=client.host if client else "unknown",
        role=principal.role,
        token_id=principal.session_id[:16],
        user_agent=(connection.headers.get("user-agent") or "")[:200] or None,
    )


def expected_version(if_match: str | None) -> int:
    """The version an If-Match header names; 428 when it is missing."""
    if not if_match:
        raise PreconditionRequired()
    match = _ETAG.fullmatch(if_match.strip())
    if not match:
        raise InvalidQuery(
            "If-Match", 'must be the ETag of a response, a version in quotes: "3"', source="header"
        )
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def redact(
    row: dict[str, Any],
    role: str,
    fields: frozenset[str] = frozenset(CUSTOMER_PERSONAL_DATA_FIELDS),
) -> dict[str, Any]:
    """The row as this role may see it: without personal data for the auditor."""
    if sees_personal_data(role):
        return row
    return {key: value for key, value in row.items() if key not in fields}
