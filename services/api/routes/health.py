"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from services.api.runtime import Runtime


@get("/health", security=[{}], exclude_from_auth=True, tags=["health"], sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up (no store access)."""
    return {"status": "ok"}


@get("/ready", security=[{}], exclude_from_auth=True, tags=["health"], sync_to_thread=True)
def ready(runtime: NamedDependency[Runtime]) -> Response[dict[str, Any]]:
    """The store answers and no read model needs a rebuild. Positions and lag are not
    shown: they would tell anyone how busy the agencies are (`daicho projections status`
    shows them to the operator)."""
    try:
        statuses = runtime.projections.status()
    except Exception:  # noqa: BLE001 - any failure means not ready; details stay in logs
        return Response({"status": "unavailable"}, status_code=503)
    if any(status.rebuild_needed for status in statuses):
        return Response({"status": "rebuild needed"}, status_code=503)
    return Response({"status": "ready"})
