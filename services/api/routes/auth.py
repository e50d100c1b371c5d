"""/api/v1/auth: log in for a short-lived bearer token, see whose it is, log out to
revoke it."""

from __future__ import annotations

import threading
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import JSONBody

from domain.roles import sees_personal_data
from services import sessions
from services.api import schemas
from services.api.responses import problems
from services.api.runtime import Runtime
from services.users import InvalidCredentials, authenticate

# argon2id costs ~64 MiB and a core for a few hundred milliseconds per attempt: more
# than this many at once only queues attackers ahead of everyone else's requests.
CONCURRENT_LOGINS = 4
_login_slots = threading.BoundedSemaphore(CONCURRENT_LOGINS)


@post(
    "/api/v1/auth/login",
    sync_to_thread=True,
    status_code=200,
    security=[{}],
    exclude_from_auth=True,
    tags=["auth"],
    responses=problems(400, 401, 413, 422, 429),
)
def login(runtime: NamedDependency[Runtime], data: JSONBody[schemas.Login]) -> schemas.Token:
    """Exchanges agency code, username and password for a bearer token."""
    if not _login_slots.acquire(timeout=0.5):
        raise TooManyRequestsException(
            "too many logins at once; retry in a second", headers={"Retry-After": "1"}
        )
    try:
        user = authenticate(runtime.ledger, data.agency, data.username, data.password)
    except InvalidCredentials as error:
        raise NotAuthorizedException(str(error)) from None
    finally:
        _login_slots.release()
    # Requests resolve the caller's role from the users read model: it must show the
    # user before the token is handed out.
    runtime.caught_up_to(runtime.ledger.recorder.max_notification_id())
    token, expires_in = sessions.open_session(runtime.db, user)
    return schemas.Token(access_token=token, expires_in=expires_in)


@get("/api/v1/auth/me", tags=["auth"], responses=problems(400, 401))
async def me(request: Request[Any, Any, Any]) -> schemas.Caller:
    """The caller: user, agency and role, and whether the role sees personal data (the
    fields of customers that are absent for roles that do not)."""
    caller = request.user
    return schemas.Caller(
        user_id=caller.user_id,
        agency_id=caller.agency_id,
        username=caller.username,
        role=caller.role,
        sees_personal_data=sees_personal_data(caller.role),
    )


@post(
    "/api/v1/auth/logout",
    sync_to_thread=True,
    status_code=204,
    tags=["auth"],
    responses=problems(400, 401),
)
def logout(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Response[None]:
    """Revokes the token this request carries, at once, on every API process."""
    sessions.revoke(runtime.db, request.user.session_id)
    return Response(None, status_code=204)
