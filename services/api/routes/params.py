"""Query and header parameters that several routes share."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, QueryParameter

# Query text may not carry control characters: NUL in particular cannot reach PostgreSQL.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size (default 50, max 200)")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=2000, description="next_cursor of the previous page")
]
Agent = Annotated[
    str | None, QueryParameter(max_length=64, pattern=PRINTABLE, description="the agent in charge")
]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description='required (428 without it): the ETag read, e.g. "3"',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=255,
        description="a retry with the same key returns the first result",
    ),
]
