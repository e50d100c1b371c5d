"""`daicho agencies add CODE --name NAME`."""

from __future__ import annotations

import argparse

from services.agencies import AgencyExists, register_agency
from services.cli.common import EXIT_OK, Commands, UsageError, open_ledger
from services.requests import cli_meta


def register(commands: Commands) -> None:
    agencies = commands.add_parser("agencies", help="manage agencies (tenants)")
    sub = agencies.add_subparsers(dest="agency_command", required=True)
    add = sub.add_parser("add", help="register an agency")
    add.add_argument("code", help="short code: 2-32 characters of a-z, 0-9 and -")
    add.add_argument("--name", required=True, help="the agency's name")
    add.set_defaults(handler=add_agency)


def add_agency(args: argparse.Namespace) -> int:
    try:
        agency = register_agency(open_ledger(), cli_meta(), code=args.code, name=args.name)
    except AgencyExists as error:
        raise UsageError(str(error)) from None
    print(f"agency {agency.code} registered (id {agency.id})")
    return EXIT_OK
