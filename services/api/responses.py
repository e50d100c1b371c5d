"""The error responses each kind of route can give, for the OpenAPI document."""

from __future__ import annotations

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec

from services.api.schemas import Accepted, Problem

_DESCRIPTIONS = {
    400: "malformed JSON, query parameter (or one the route does not take), header, "
    "cursor or upload",
    401: "no valid bearer token",
    403: "the caller's role may not do this",
    404: "no such record in the caller's agency",
    409: "the record exists already, a request with this Idempotency-Key is running, or the "
    "record's state refuses the change (archived, or not archived for un-archive)",
    412: "If-Match names an older version (body has current_version)",
    413: "request body over the documented limit (JSON 64 KiB, uploads 10 MiB)",
    422: "invalid body: one error per field, by JSON pointer",
    428: "If-Match is required",
    429: "too many logins at once: retry after Retry-After seconds",
    503: "the database closed a connection under the request: retry after Retry-After",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            generate_examples=False,
            description=_DESCRIPTIONS[status],
            media_type="application/problem+json",
        )
        for status in statuses
    }


ACCEPTED = {
    202: ResponseSpec(
        data_container=Accepted,
        generate_examples=False,
        description="recorded, but the read models lag: the body has the id and log position",
    )
}
READ = problems(400, 401, 403, 404)
CREATE = {**ACCEPTED, **problems(400, 401, 403, 404, 409, 413, 422, 503)}
CHANGE = {**ACCEPTED, **problems(400, 401, 403, 404, 409, 412, 413, 422, 428, 503)}

# Documentation only: the handlers set these on the responses they build.
ETAG_HEADER = [
    ResponseHeader(
        name="ETag",
        value="",  # its type is the header's schema: a string
        documentation_only=True,
        description='the record\'s version, e.g. "3"',
    )
]
CREATED_HEADERS = [
    *ETAG_HEADER,
    ResponseHeader(
        name="Location",
        value="",
        documentation_only=True,
        description="the path of the new record",
    ),
]
