"""`daicho users add | deactivate | set-role | reset-password`, for an agency's staff.

    daicho users add --agency CODE --username U --role R [--password-stdin]
    daicho users deactivate --agency CODE --username U
    daicho users set-role --agency CODE --username U --role R
    daicho users reset-password --agency CODE --username U [--password-stdin]

The password never comes from an argument (it would sit in the shell history and in
`ps`): it is read from a prompt, or from standard input with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from domain.agency import Agency
from domain.roles import ROLES
from infra.ledger import Ledger
from projections.database import ProjectionDatabase, open_database
from services import sessions
from services.agencies import agency_by_code
from services.cli.common import EXIT_OK, Commands, UsageError, open_ledger
from services.requests import cli_meta
from services.users import (
    add_user,
    change_role,
    deactivate_user,
    reset_password,
)


def register(commands: Commands) -> None:
    users = commands.add_parser("users", help="manage staff logins")
    sub = users.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="register a user of an agency")
    _identify(add)
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    _password_option(add)
    add.set_defaults(handler=add_user_command)
    deactivate = sub.add_parser(
        "deactivate", help="stop a user from logging in, for good (tokens stop at once)"
    )
    _identify(deactivate)
    deactivate.set_defaults(handler=deactivate_command)
    set_role = sub.add_parser(
        "set-role", help="give a user another role (ends the user's sessions: log in again)"
    )
    _identify(set_role)
    set_role.add_argument("--role", required=True, choices=sorted(ROLES))
    set_role.set_defaults(handler=set_role_command)
    reset = sub.add_parser(
        "reset-password", help="give a user a new password and end the user's sessions"
    )
    _identify(reset)
    _password_option(reset)
    reset.set_defaults(handler=reset_password_command)


def _identify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", required=True, help="the agency's code")
    parser.add_argument("--username", required=True)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else a prompt)",
    )


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to prompt for the password: use --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise UsageError("the two passwords differ")
    return password


def add_user_command(args: argparse.Namespace) -> int:
    ledger = open_ledger()
    agency = agency_by_code(ledger, args.agency)
    user = add_user(
        ledger,
        cli_meta(),
        agency,
        username=args.username,
        role=args.role,
        password=_password(args.password_stdin),
    )
    print(f"user {user.username} ({user.role}) added to {agency.code} (id {user.id})")
    return EXIT_OK


Change = Callable[[Ledger, ProjectionDatabase, Agency], str]


def _change(args: argparse.Namespace, change: Change) -> int:
    """Runs one change of an existing user, next to the sessions it may end; what it
    prints is what `change` returns."""
    ledger = open_ledger(create=False)
    db = open_database(ledger.settings)
    try:
        sessions.create_tables(db)
        print(change(ledger, db, agency_by_code(ledger, args.agency)))
    finally:
        db.close()
        ledger.close()
    return EXIT_OK


def deactivate_command(args: argparse.Namespace) -> int:
    def change(ledger: Ledger, db: ProjectionDatabase, agency: Agency) -> str:
        user, ended = deactivate_user(ledger, db, cli_meta(), agency, args.username)
        return f"user {user.username} of {agency.code} deactivated; {ended} session(s) ended"

    return _change(args, change)


def set_role_command(args: argparse.Namespace) -> int:
    def change(ledger: Ledger, db: ProjectionDatabase, agency: Agency) -> str:
        user, ended = change_role(ledger, db, cli_meta(), agency, args.username, args.role)
        return f"user {user.username} of {agency.code} is now {user.role}; {ended} session(s) ended"

    return _change(args, change)


def reset_password_command(args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)

    def change(ledger: Ledger, db: ProjectionDatabase, agency: Agency) -> str:
        user, ended = reset_password(ledger, db, cli_meta(), agency, args.username, password)
        return f"password of {user.username} of {agency.code} reset; {ended} session(s) ended"

    return _change(args, change)
