"""`daicho serve [--host] [--port] [--workers N] [--demo] [--no-projections]`.

Runs the API on uvicorn. With no configuration the store is the embedded SQLite file
under DAICHO_HOME. --demo first loads the demo agency and prints a login per role.
"""

from __future__ import annotations

import argparse
import socket
import sys

import uvicorn

from infra.settings import Settings
from services.cli.common import EXIT_OK, EXIT_UNUSABLE, Commands, open_ledger


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the JSON API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API processes (default 1)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo agency first and print a login for each role",
    )
    serve.add_argument(
        "--no-projections",
        action="store_true",
        help="leave the read models to a separate `daicho projections run`",
    )
    serve.set_defaults(handler=serve_api)


def serve_api(args: argparse.Namespace) -> int:
    if (taken := _address_in_use(args.host, args.port)) is not None:
        # Before the demo's new passwords: they would replace the running server's.
        print(
            f"cannot listen on {args.host}:{args.port}: {taken} (another server? try --port)",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    if args.demo:
        _load_demo()
    ledger = open_ledger()  # an unusable store stops here, with its reason (exit 2)
    ledger.close()
    from services.api.app import prepare_store  # the web stack, for this command only

    prepare_store(ledger.settings)
    if args.no_projections:
        import os

        os.environ["DAICHO_PROJECTIONS"] = "external"
    settings = Settings.from_env()
    print(
        f"Daicho API on http://{args.host}:{args.port} (store: {settings.backend}; "
        f"API docs at /schema)",
        flush=True,
    )
    uvicorn.run(
        "services.api.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return EXIT_OK


def _address_in_use(host: str, port: int) -> str | None:
    """Why the server could not listen there, or None; bound as uvicorn binds
    (SO_REUSEADDR), so that a port left in TIME_WAIT does not count as taken."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def _load_demo() -> None:
    from projections.runner import Projections
    from services.demo import DEMO_CODE, load_demo

    ledger = open_ledger()
    print("preparing the demo agency (generated on the first start only)…", flush=True)
    logins = load_demo(ledger)
    projections = Projections(ledger)
    projections.catch_up()
    projections.close()
    ledger.close()
    print(f"demo agency '{DEMO_CODE}': log in with POST /api/v1/auth/login", flush=True)
    for login in logins:
        print(
            f'  {login.role:<13} {{"agency": "{DEMO_CODE}", "username": '
            f'"{login.username}", "password": "{login.password}"}}',
            flush=True,
        )
