"""The Litestar application: routes, authentication, problem details, OpenAPI."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from infra.settings import Settings
from services.api import idempotency
from services.api.middleware import authentication, request_log
from services.api.problems import EXCEPTION_HANDLERS
from services.api.query_names import query_names_by_handler, refuse_unknown_query_names
from services.api.routes.auth import login, logout, me
from services.api.routes.contacts import ContactController
from services.api.routes.customers import CustomerController
from services.api.routes.health import health, ready
from services.api.routes.households import HouseholdController
from services.api.routes.imports import import_file
from services.api.routes.policies import PolicyController, renewals
from services.api.runtime import Runtime

MAX_JSON_BODY_BYTES = 64 * 1024


def _operation_id(handler: HTTPRouteHandler, method: Any, path: Any) -> str:
    """`customers_read`, `policies_renewals`: stable names for generated clients (the
    default is built from the path: `ApiV1CustomersCustomerIdRead`)."""
    tags = sorted(handler.resolve_tags()) or ["service"]
    return f"{tags[0]}_{handler.handler_name}"


def _runtime(state: State) -> Runtime:
    return state.runtime  # type: ignore[no-any-return]


def prepare_store(settings: Settings) -> None:
    """Creates every table the app uses, once, before `serve --workers N` starts its
    workers: on a new store they would all run CREATE TABLE IF NOT EXISTS at once,
    which PostgreSQL does not make safe against itself (a worker died on a duplicate
    type). An unusable store stops here, with its reason, not in a worker."""
    runtime = Runtime.open(settings)
    try:
        idempotency.create_tables(runtime)
    finally:
        runtime.close()


def create_app(settings: Settings, *, run_projections: bool = True) -> Litestar:
    """The app over `settings`' store. With run_projections, this process keeps the
    read models caught up in a background thread (the default for `daicho serve`)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        runtime = Runtime.open(settings)
        idempotency.create_tables(runtime)
        await runtime.db.open_reads()
        app.state.runtime = runtime
        app.state.query_names = query_names_by_handler(app)
        if run_projections:
            runtime.projections.start()
        # What exists now (modules, routes, pools) lives as long as the process: moved out
        # of the collector's reach, a full collection no longer walks it, and its pauses
        # fall from ~40 ms, the p99 of a GET under load, to ~2 (docs/performance.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await runtime.db.close_reads()
            runtime.close()
            gc.unfreeze()  # a process that starts the app again (tests) can free this one

    app = Litestar(
        route_handlers=[
            health,
            ready,
            login,
            logout,
            me,
            CustomerController,
            PolicyController,
            renewals,
            ContactController,
            HouseholdController,
            import_file,
        ],
        dependencies={"runtime": Provide(_runtime, sync_to_thread=False)},
        middleware=[authentication()],
        before_request=refuse_unknown_query_names,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        request_max_body_size=MAX_JSON_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Daicho API",
            version="1",
            description=(
                "Customer ledger for insurance agencies. Authentication, roles, errors, "
                "concurrency (ETag / If-Match), idempotency and pagination: docs/api.md."
            ),
            path="/schema",
            use_handler_docstrings=True,
            operation_id_creator=_operation_id,
            render_plugins=[ScalarRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="token from /api/v1/auth/login"
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        debug=False,
        logging_config=None,
    )
    # Outside Litestar's routing and exception handling, so nothing escapes it.
    app.asgi_handler = request_log(app.asgi_handler)
    return app


def app_from_env() -> Any:
    """ASGI factory for `uvicorn --factory services.api.app:app_from_env` (workers)."""
    from infra.logging import configure_logging

    configure_logging()
    external = os.environ.get("DAICHO_PROJECTIONS") == "external"
    return create_app(Settings.from_env(), run_projections=not external)
