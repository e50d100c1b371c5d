"""The agency (代理店): the tenant that owns customers, policies, contacts and users."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import checks
from domain.context import EventContext
from domain.errors import DomainError

CODE_PATTERN = re.compile(r"[a-z0-9-]{2,32}")
NAME_MAX_LENGTH = 100
ID_KEY_BYTES = 32


class Agency(Aggregate):
    """An agency, with the secret from which the ids of its imported records are derived.

    Imports must find the same record again when they are re-run, so they derive its id
    from its natural key (an insurer's policy number, a row id in a spreadsheet). Keying
    the derivation with a per-agency secret keeps ids from revealing natural keys, and
    keeps two agencies' records with the same natural key apart.
    """

    class Event(Aggregate.Event):
        """Every agency event says who made the change and why."""

        context: EventContext

    class Registered(Event, Aggregate.Created):
        """The agency was registered. `id_key` is the hex of its id-derivation secret."""

        code: str
        name: str
        id_key: str

    def __init__(self, code: str, name: str, id_key: str) -> None:
        self.code = code
        self.name = name
        self.id_key = id_key

    @classmethod
    def register(cls, context: EventContext, *, code: str, name: str) -> Agency:
        """Register an agency whose id is the context's agency_id.

        An agency is its own tenant: the caller makes its id (uuid4) and puts it in the
        context, so that the registration is recorded as a change of that agency.
        """
        if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
            raise DomainError("code", "must be 2 to 32 characters of a-z, 0-9 and -")
        return cls._create(
            cls.Registered,
            id=context.agency_id,
            context=context,
            code=code,
            name=checks.required_text(name, "name", max_length=NAME_MAX_LENGTH),
            id_key=secrets.token_hex(ID_KEY_BYTES),
        )

    def derive_id(self, kind: str, natural_key: str) -> UUID:
        """The id of this agency's record of `kind` (e.g. "policy") with `natural_key`.

        HMAC-SHA256 of kind NUL natural_key, truncated to 16 bytes and marked as a version
        4 UUID so that derived ids look like any other id.
        """
        # The NUL separates kind from key; a NUL inside the kind would make two different
        # (kind, key) pairs derive the same id.
        if "\x00" in kind:
            raise ValueError("kind must not contain NUL")
        message = f"{kind}\x00{natural_key}".encode()
        digest = hmac.new(bytes.fromhex(self.id_key), message, hashlib.sha256).digest()
        return UUID(bytes=digest[:16], version=4)
