"""`daicho import FILE --agency CODE [--encoding auto|utf-8|cp932] [--dry-run] [--json]`.

Exit 0 when the file was processed, even with rejected rows; 2 with a one-line reason
when it could not be used at all.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from services.agencies import agency_by_code
from services.cli.common import EXIT_OK, Commands, UsageError, open_ledger
from services.imports.errors import UnusableInput
from services.imports.job import ImportSummary, run_import
from services.requests import cli_meta

MAX_FILE_BYTES = 50 * 1024 * 1024


def register(commands: Commands) -> None:
    command = commands.add_parser("import", help="import an agency spreadsheet (CSV)")
    command.add_argument("file", type=Path, help="the CSV file exported from Excel")
    command.add_argument("--agency", required=True, help="the agency's code")
    command.add_argument("--encoding", choices=["auto", "utf-8", "cp932"], default="auto")
    command.add_argument(
        "--insurer",
        help="the insurer of every row, for files without "
        "a 保険会社 column (exports of a single insurer)",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="check every row and report, but record nothing"
    )
    command.add_argument("--json", action="store_true", help="print the summary as JSON")
    command.set_defaults(handler=import_file)


def import_file(args: argparse.Namespace) -> int:
    data = _read(args.file)
    ledger = open_ledger()
    try:
        agency = agency_by_code(ledger, args.agency)
        summary = run_import(
            ledger,
            agency,
            cli_meta(),
            data,
            encoding=args.encoding,
            dry_run=args.dry_run,
            default_insurer=args.insurer,
        )
    except UnusableInput as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(_contract(summary), ensure_ascii=False))
    else:
        _print_report(summary)
    return EXIT_OK


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the file ({error.strerror})") from None


def _contract(summary: ImportSummary) -> dict[str, object]:
    """The documented JSON keys first, then the job's extra facts."""
    full = summary.as_dict()
    keys = ["customers_created", "customers_matched", "policies_created", "rows_rejected"]
    return {**{key: full[key] for key in keys}, **full}


def _print_report(summary: ImportSummary) -> None:
    for rejected in summary.rows_rejected:
        print(f"line {rejected.line}: {rejected.reason}")
    if summary.ignored_columns:
        print(f"ignored columns: {', '.join(summary.ignored_columns)}")
    prefix = "dry run, nothing recorded: " if summary.dry_run else ""
    print(
        f"{prefix}{summary.customers_created} customers created, "
        f"{summary.customers_matched} matched, {summary.policies_created} policies created, "
        f"{summary.policies_updated} updated, {len(summary.rows_rejected)} rows rejected "
        f"(encoding {summary.encoding}, sha256 {summary.file_sha256}, job {summary.job_id})"
    )
