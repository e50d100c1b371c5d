"""The `daicho` command: thin wrappers that parse arguments, call one use case, print.

Exit codes: 0 done, 1 verification found tampering, 2 unusable input or arguments.
Each sub-module registers its own sub-commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import psycopg
from eventsourcing.persistence import PersistenceError

from domain.errors import DomainError
from infra.logging import configure_logging
from infra.settings import ConfigurationError
from services.agencies import UnknownAgency
from services.cli import agencies, imports, projections, server, users, verify
from services.cli.common import EXIT_UNUSABLE, UsageError
from services.users import UnknownUser, UserExists


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daicho", description="Daicho: the hash-chained customer ledger."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (agencies, users, imports, verify, projections, server):
        module.register(commands)
    return parser


# What an operator typed wrong or asked for that cannot be: one line, exit 2.
OPERATOR_ERRORS = (
    UsageError,
    ConfigurationError,
    DomainError,
    UnknownAgency,
    UnknownUser,
    UserExists,
)


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except OPERATOR_ERRORS as error:
        print(f"daicho: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except (psycopg.OperationalError, PersistenceError) as error:
        # An outage is not tampering (exit 1): monitoring must tell them apart.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"daicho: cannot use the store: {reason}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
