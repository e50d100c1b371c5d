"""The decorator of every POST that creates a record (customer, policy, contact,
household): writing roles only, run in a worker thread, 201 with Location and ETag."""

from __future__ import annotations

from functools import partial

from litestar import post

from services.api import responses
from services.api.access import may_write

creates = partial(
    post,
    "/",
    guards=[may_write],
    sync_to_thread=True,
    status_code=201,
    responses=responses.CREATE,
    response_headers=responses.CREATED_HEADERS,
)
