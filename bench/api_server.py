"""The API server that bench/api_bench.py measures: the real app plus one bare route.

    .venv/bin/python bench/api_server.py [--host 127.0.0.1] [--port 8765]

Builds `services.api.app.create_app(Settings.from_env())` exactly as `daicho serve`
does (structured request log on stderr, read models kept caught up by the in-process
background thread, uvicorn with its default uvloop + httptools, 1 worker) and registers
one extra route, `GET /bench/constant`: a plain Litestar handler returning a constant
small JSON dict, without authentication. It runs on the same server process, behind the
same app-level middleware (request id + request log) and response headers, so that the
difference between it and a real route is what the real route does: authentication (a
session lookup), the handler's thread hop, the query and the rendering.

The store comes from the environment (DAICHO_HOME, DAICHO_DATABASE_URL,
DAICHO_DATABASE_SCHEMA), as for `daicho serve`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from litestar import Litestar, get  # noqa: E402

CONSTANT_BODY = {"status": "ok", "service": "daicho", "version": 1}


@get("/bench/constant", security=[{}], exclude_from_auth=True, include_in_schema=False)
async def constant() -> dict[str, object]:
    """A constant small JSON body: the framework's own cost on this server."""
    return CONSTANT_BODY


# Experiments for finding where a request's time goes (--variant, comma-separated).
# None is used by the measured runs of api_bench.py, which serve the app unchanged.
VARIANTS = {
    "probes": "also GET /bench/constant-auth (the bare route behind the bearer-token "
    "authentication) and GET /bench/constant-thread (the bare route as a sync "
    "handler run in a worker thread, like every Daicho handler)",
    "inline-auth": "look the session up on the event loop instead of in a worker thread",
    "inline-handlers": "run the customer read and search handlers on the event loop "
    "instead of in a worker thread",
    "no-log": "drop the per-request log line (log level WARNING)",
    "autocommit-reads": "run each read-only query as one autocommit statement, without "
    "BEGIN and COMMIT around it",
}


@get("/bench/constant-auth", include_in_schema=False)
async def constant_auth() -> dict[str, object]:
    """The bare route, but behind the app's bearer-token authentication."""
    return CONSTANT_BODY


@get(
    "/bench/constant-thread",
    security=[{}],
    exclude_from_auth=True,
    include_in_schema=False,
    sync_to_thread=True,
)
def constant_thread() -> dict[str, object]:
    """The bare route as a sync handler in a worker thread."""
    return CONSTANT_BODY


INLINE_HANDLERS = frozenset({"CustomerController.read", "CustomerController.search"})


def _apply_variants(variants: set[str]) -> None:
    unknown = variants - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
    if "inline-auth" in variants:
        from types import SimpleNamespace

        from services.api import middleware

        async def run_inline(fn, *args):  # type: ignore[no-untyped-def]
            return fn(*args)

        middleware.anyio = SimpleNamespace(  # type: ignore[attr-defined]
            to_thread=SimpleNamespace(run_sync=run_inline)
        )
    if "inline-handlers" in variants:
        from litestar.handlers.http_handlers import base
        from litestar.utils.predicates import is_async_callable

        wrap = base.ensure_async_callable

        def inline(fn):  # type: ignore[no-untyped-def]
            if is_async_callable(fn) or getattr(fn, "__qualname__", "") not in INLINE_HANDLERS:
                return wrap(fn)

            async def call(*args, **kwargs):  # type: ignore[no-untyped-def]
                return fn(*args, **kwargs)

            return call

        base.ensure_async_callable = inline  # type: ignore[assignment]
    if "autocommit-reads" in variants:
        _autocommit_reads()


def _autocommit_reads() -> None:
    """Read-only transactions (no `lock`) become plain autocommit statements: no BEGIN
    and COMMIT around a single SELECT. (Only an experiment: a read of several
    statements, such as a household with its members, needs its one snapshot.)"""
    import inspect
    from contextlib import contextmanager

    from psycopg.rows import dict_row

    from projections import database

    # Some versions build a transaction on a connection, others on a cursor.
    on_connection = "connection" in inspect.signature(database._PostgresTransaction).parameters
    sqlite_transaction = database.SQLiteDatabase.transaction
    postgres_transaction = database.PostgresDatabase.transaction

    @contextmanager
    def sqlite_read(self, *, lock=None):  # type: ignore[no-untyped-def]
        if lock:
            with sqlite_transaction(self, lock=lock) as tx:
                yield tx
            return
        connection = self._take()
        try:
            yield database._SQLiteTransaction(connection.cursor())
        finally:
            self._idle.put(connection)

    @contextmanager
    def postgres_read(self, *, lock=None):  # type: ignore[no-untyped-def]
        if lock:
            with postgres_transaction(self, lock=lock) as tx:
                yield tx
            return
        with self._pool.connection() as connection:
            if on_connection:
                yield database._PostgresTransaction(connection)
            else:
                with connection.cursor(row_factory=dict_row) as cursor:
                    yield database._PostgresTransaction(cursor)

    database.SQLiteDatabase.transaction = sqlite_read  # type: ignore[method-assign]
    database.PostgresDatabase.transaction = postgres_read  # type: ignore[method-assign]


def build_app(variants: set[str] = frozenset()) -> Litestar:  # type: ignore[assignment]
    from infra.logging import configure_logging
    from infra.settings import Settings
    from services.api.app import create_app

    _apply_variants(set(variants))
    configure_logging("WARNING" if "no-log" in variants else "INFO")
    external = os.environ.get("DAICHO_PROJECTIONS") == "external"
    app = create_app(Settings.from_env(), run_projections=not external)
    app.register(constant)
    if "probes" in variants:
        app.register(constant_auth)
        app.register(constant_thread)
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--variant",
        default="",
        help="experiments, comma-separated: "
        + "; ".join(f"{name}: {meaning}" for name, meaning in VARIANTS.items()),
    )
    args = parser.parse_args()
    variants = {v.strip() for v in args.variant.split(",") if v.strip()}
    # The same options as `daicho serve` (services/cli/server.py), one worker.
    uvicorn.run(
        build_app(variants),
        host=args.host,
        port=args.port,
        workers=1,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
