"""`daicho verify [--json]`: exit 0 when both chains hold, 1 when anything was altered."""

from __future__ import annotations

import argparse
import json

from services.audit import parse_head, summary_line, verify_ledger
from services.cli.common import EXIT_OK, EXIT_TAMPERED, Commands, UsageError, open_ledger


def register(commands: Commands) -> None:
    verify = commands.add_parser("verify", help="recompute both hash chains from the store")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.add_argument(
        "--expect-head",
        metavar="POSITION:HASH",
        help="a head printed by an earlier run and kept outside the database: "
        "fail unless today's chain still passes through it",
    )
    verify.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        expected = parse_head(args.expect_head) if args.expect_head else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    report = verify_ledger(open_ledger(create=False), expected)
    print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else summary_line(report))
    return EXIT_OK if report.ok else EXIT_TAMPERED
