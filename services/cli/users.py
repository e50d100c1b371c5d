"""`daicho users add --agency CODE --username U --role R [--password-stdin]`.

The password never comes from an argument (it would sit in the shell history and in
`ps`): it is read from a prompt, or from standard input with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from domain.roles import ROLES
from services.agencies import UnknownAgency, agency_by_code
from services.cli.common import EXIT_OK, Commands, UsageError, open_ledger
from services.requests import cli_meta
from services.users import UserExists, add_user


def register(commands: Commands) -> None:
    users = commands.add_parser("users", help="manage staff logins")
    sub = users.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="register a user of an agency")
    add.add_argument("--agency", required=True, help="the agency's code")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    add.set_defaults(handler=add_user_command)


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
    try:
        agency = agency_by_code(ledger, args.agency)
    except UnknownAgency as error:
        raise UsageError(str(error)) from None
    try:
        user = add_user(
            ledger,
            cli_meta(),
            agency,
            username=args.username,
            role=args.role,
            password=_password(args.password_stdin),
        )
    except UserExists as error:
        raise UsageError(str(error)) from None
    print(f"user {user.username} ({user.role}) added to {agency.code} (id {user.id})")
    return EXIT_OK
