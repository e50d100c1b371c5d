"""`daicho projections run | rebuild [NAME] | status`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from projections.runner import Projections
from services.cli.common import EXIT_OK, EXIT_TAMPERED, Commands, UsageError, open_ledger


def register(commands: Commands) -> None:
    command = commands.add_parser("projections", help="keep, rebuild or inspect read models")
    sub = command.add_subparsers(dest="projections_command", required=True)
    run = sub.add_parser("run", help="keep the read models caught up until stopped")
    run.set_defaults(handler=run_projections)
    rebuild = sub.add_parser("rebuild", help="replay the log into fresh tables and swap them in")
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    rebuild.set_defaults(handler=rebuild_projections)
    status = sub.add_parser("status", help="each projection's position and lag")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=show_status)


def run_projections(_: argparse.Namespace) -> int:
    projections = Projections(open_ledger())
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    projections.start()
    print("projections running; Ctrl-C stops", flush=True)
    stopped.wait()
    projections.close()
    return EXIT_OK


def rebuild_projections(args: argparse.Namespace) -> int:
    projections = Projections(open_ledger())
    try:
        projections.rebuild(args.name)
    except ValueError as error:  # names the known projections
        raise UsageError(str(error)) from None
    finally:
        projections.close()
    print(f"rebuilt {args.name or 'all projections'}")
    return EXIT_OK


def show_status(args: argparse.Namespace) -> int:
    projections = Projections(open_ledger())
    statuses = projections.status()
    projections.close()
    if args.json:
        print(
            json.dumps(
                [
                    {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag}
                    for s in statuses
                ]
            )
        )
    else:
        for s in statuses:
            print(f"{s.name:<20} position {s.position:>10}  head {s.head:>10}  lag {s.lag}")
    # Read models remember how far the log went: a log that now ends before that lost
    # its last events, which the chain alone cannot show (docs/chain-format.md).
    beyond = [s for s in statuses if s.position > s.head]
    if beyond:
        print(
            f"warning: the read models applied events up to {max(s.position for s in beyond)}"
            f" but the log ends at {beyond[0].head}: events were removed from its end; "
            "check with `daicho verify --expect-head` against a recorded head",
            file=sys.stderr,
        )
        return EXIT_TAMPERED
    return EXIT_OK
