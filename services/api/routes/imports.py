"""/api/v1/imports: the same CSV import as `daicho import`, over HTTP (multipart)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody

from services.api import schemas
from services.api.access import may_import, meta_of
from services.api.idempotency import idempotent
from services.api.problems import InvalidQuery
from services.api.rendering import as_struct
from services.api.responses import problems
from services.api.routes.params import IdempotencyKey
from services.api.runtime import Runtime
from services.imports.errors import UnusableInput
from services.imports.job import MAX_REJECTIONS_RECORDED, run_import

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass
class ImportForm:
    file: UploadFile
    encoding: Literal["auto", "utf-8", "cp932"] = "auto"
    dry_run: bool = False
    insurer: str | None = None


FORM_FIELDS = frozenset(field.name for field in dataclasses.fields(ImportForm))


def _refuse_unknown_fields(request: Request[Any, Any, Any]) -> None:
    """A misspelled field is refused, not ignored: `dryRun=true` would import for real."""
    form = request._connection_state.form  # noqa: SLF001 - the form Litestar already parsed
    for name in form if isinstance(form, dict) else ():
        if name not in FORM_FIELDS:
            takes = ", ".join(sorted(FORM_FIELDS))
            detail = f"is not a field of this form (it takes: {takes})"
            raise InvalidQuery(name[:64], detail, source="form")


@post(
    "/api/v1/imports",
    guards=[may_import],
    sync_to_thread=True,
    status_code=200,
    request_max_body_size=MAX_UPLOAD_BYTES,
    tags=["imports"],
    responses=problems(400, 401, 403, 409, 413, 422),
)
def import_file(
    request: Request[Any, Any, Any],
    runtime: NamedDependency[Runtime],
    data: MultipartBody[ImportForm],
    idempotency_key: IdempotencyKey = None,
) -> Response[schemas.ImportResult]:
    """Imports an agency spreadsheet (CSV, UTF-8 or CP932, at most 10 MiB: larger
    uploads get 413 and start no job). Good rows are imported, bad rows listed.
    Honours Idempotency-Key: a retry returns the first run's summary, not a second run's
    (which would report every record as matched)."""
    _refuse_unknown_fields(request)
    if data.insurer is not None and len(data.insurer) > 100:
        raise InvalidQuery("insurer", "must be at most 100 characters", source="form")
    content = data.file.file.read(MAX_UPLOAD_BYTES + 1)
    form = msgspec.json.encode([data.encoding, data.dry_run, data.insurer])
    agency = runtime.ledger.repository.get(request.user.agency_id)

    def run() -> Response[schemas.ImportResult]:
        try:
            summary = run_import(
                runtime.ledger,
                agency,
                meta_of(request),
                content,
                encoding=data.encoding,
                dry_run=data.dry_run,
                default_insurer=data.insurer,
            )
        except UnusableInput as error:
            raise InvalidQuery("file", str(error), source="form") from None
        runtime.caught_up_to(runtime.ledger.recorder.max_notification_id())
        result = as_struct(summary.as_dict(MAX_REJECTIONS_RECORDED), schemas.ImportResult)
        return Response(result, status_code=200)

    return idempotent(runtime, request, idempotency_key, form + content, run)
