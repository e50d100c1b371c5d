"""Audit use cases: proving the log complete and unaltered, without personal data."""

from __future__ import annotations

from infra.ledger import Ledger
from infra.verification import Report, verify


def verify_ledger(ledger: Ledger, expected_head: tuple[int, bytes] | None = None) -> Report:
    """Recompute both hash chains over one consistent snapshot of the store."""
    with ledger.chain_snapshot() as snapshot:
        return verify(snapshot, expected_head)


def parse_head(text: str) -> tuple[int, bytes]:
    """`POSITION:HASH` as `daicho verify` prints it (`head POSITION:HASH`)."""
    position, _, digest = text.partition(":")
    try:
        parsed = int(position), bytes.fromhex(digest)
    except ValueError:
        raise ValueError("--expect-head must be POSITION:HASH (64 hex digits)") from None
    if parsed[0] < 1 or len(parsed[1]) != 32:
        raise ValueError("--expect-head must be POSITION:HASH (64 hex digits)")
    return parsed


def summary_line(report: Report) -> str:
    """One line for people: counts and hashes only, never event contents."""
    head = f"head {report.head_position}:{report.head_hash.hex()}"  # as --expect-head takes it
    timing = f"{report.elapsed_seconds:.2f} s"
    problem = report.first_problem
    if problem is None:
        return f"OK: {report.events_checked} events checked, {head}, {timing}"
    where = f"position {problem.position}" if problem.position is not None else "store"
    aggregate = f", aggregate {problem.aggregate_id}" if problem.aggregate_id else ""
    more = (
        f"; {report.problems_found} problems in all (--json lists them)"
        if report.problems_found > 1
        else ""
    )
    return (
        f"TAMPERED: {where}{aggregate}: {problem.kind} ({problem.detail}){more}; "
        f"{report.events_checked} events checked, {timing}"
    )
