"""Recomputes both hash chains from a snapshot of the store and names what is wrong.

Streaming: the log is read once in position order for the global chain, then once
in aggregate order for the per-aggregate chains. Nothing is kept per event, so memory
stays flat however long the log grows.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from infra.chain import GENESIS, aggregate_link, chain_link, entry_hash

# What a problem is called; docs/chain-format.md explains each.
PAYLOAD_MODIFIED = "payload modified"
EVENT_MISSING = "event missing"
EVENT_INSERTED = "event inserted"
ORDER_CHANGED = "order changed"
LINK_BROKEN = "link broken"
GUARD_REMOVED = "append-only guard removed"
STORE_ALTERED = "store definition altered"
HEAD_MISMATCH = "history rewritten"

MAX_PROBLEMS = 1000

# One stored event with its links: (position, aggregate id, version, topic, state,
# prev_position, entry_hash, chain_hash, aggregate_hash). The aggregate id is None when
# it is not stored in the recorder's canonical form.
StoredRow = tuple[int, UUID | None, int, str, bytes, int | None, bytes, bytes, bytes]
# (position, aggregate id, version, entry_hash, aggregate_hash)
AggregateLinkRow = tuple[int, UUID | None, int, bytes, bytes]


class ChainSnapshot(Protocol):
    """A consistent read-only view of one store, as each backend provides it."""

    def rows(self) -> Iterator[StoredRow]: ...  # in position order

    def aggregate_links(self) -> Iterator[AggregateLinkRow]: ...  # by aggregate, then version

    def guard_problems(self) -> list[str]: ...  # the append-only triggers

    def column_problems(self) -> list[str]: ...  # the table's columns and their types

    def definition_problems(self) -> list[str]: ...  # what else changes reads or writes


class UnreadableStore(Exception):
    """A snapshot could not read the rows it needs; the message says why."""


@dataclass(frozen=True)
class Problem:
    kind: str
    position: int | None
    aggregate_id: UUID | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "position": self.position,
            "aggregate_id": str(self.aggregate_id) if self.aggregate_id else None,
            "detail": self.detail,
        }


@dataclass
class Report:
    events_checked: int = 0
    head_position: int | None = None
    head_hash: bytes = GENESIS
    elapsed_seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    problems_found: int = 0
    first_problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems_truncated(self) -> bool:
        return self.problems_found > len(self.problems)

    def add(self, problem: Problem) -> None:
        """Keeps the first MAX_PROBLEMS found, and the first in position order whenever
        it was found (the aggregate pass reports after the global one)."""
        self.problems_found += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        if self.first_problem is None or _order(problem) < _order(self.first_problem):
            self.first_problem = problem

    def as_dict(self) -> dict[str, object]:
        first = self.first_problem
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "head_position": self.head_position,
            "head_hash": self.head_hash.hex(),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "first_problem": first.as_dict() if first else None,
            "problems": [p.as_dict() for p in sorted(self.problems, key=_order)],
            "problems_found": self.problems_found,
            "problems_truncated": self.problems_truncated,
        }


def _order(problem: Problem) -> tuple[int, int]:
    return (0, problem.position) if problem.position is not None else (1, 0)


def verify(snapshot: ChainSnapshot, expected_head: tuple[int, bytes] | None = None) -> Report:
    """Checks both chains; `expected_head` is a (position, chain hash) recorded earlier
    outside the database, through which today's chain must still pass."""
    started = time.perf_counter()
    report = Report()
    for problem in snapshot.guard_problems():
        report.add(Problem(GUARD_REMOVED, None, None, problem))
    for problem in snapshot.definition_problems():
        report.add(Problem(STORE_ALTERED, None, None, problem))
    column_problems = snapshot.column_problems()
    for problem in column_problems:
        report.add(Problem(STORE_ALTERED, None, None, problem))
    if not column_problems:
        try:
            _verify_global_chain(snapshot, report, expected_head)
            indexed = _verify_aggregate_chains(snapshot, report)
        except UnreadableStore as error:
            report.add(Problem(STORE_ALTERED, None, None, f"the events cannot be read: {error}"))
        else:
            if indexed != report.events_checked:
                # The aggregate pass reads through the primary-key index, as the
                # application does: an index that leaves out an event (or lists one
                # twice) hides it from the application, not from the table.
                detail = (
                    f"the primary-key index lists {indexed} events, the table "
                    f"{report.events_checked}"
                )
                report.add(Problem(STORE_ALTERED, None, None, detail))
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _row_problem(row: StoredRow, prev_position: int | None, prev_hash: bytes) -> Problem:
    """What is wrong with a stored row that failed the fast path, given the row before it.

    Each row's links were computed for its position, after the row at prev_position:
    comparing what it says with what the log around it says tells which attack fits.
    """
    position, aggregate_id, version, topic, state, link_prev, stored_entry, stored_chain, _ = row
    if not _well_typed_links(row):
        detail = "the chain columns do not hold an integer and three 32-byte hashes"
        return Problem(LINK_BROKEN, position, aggregate_id, detail)
    if aggregate_id is None or type(state) is not bytes:
        # Same hash, other spelling or type: the recorder would no longer find it.
        detail = f"version {version} is not stored in the recorder's form"
        return Problem(PAYLOAD_MODIFIED, position, aggregate_id, detail)
    if _entry_digest(position, row) != stored_entry:
        written_at = (link_prev or 0) + 1  # positions are assigned without gaps
        if written_at != position and _entry_digest(written_at, row) == stored_entry:
            detail = f"version {version} was written at position {written_at}"
            return Problem(ORDER_CHANGED, position, aggregate_id, detail)
        if link_prev == prev_position and chain_link(prev_hash, stored_entry) == stored_chain:
            detail = f"version {version} does not match its entry hash"
            return Problem(PAYLOAD_MODIFIED, position, aggregate_id, detail)
        detail = f"neither version {version} nor its links belong to the chain"
        return Problem(EVENT_INSERTED, position, aggregate_id, detail)
    if link_prev != prev_position:
        if link_prev is not None and (prev_position is None or link_prev > prev_position):
            gone = f"{(prev_position or 0) + 1} to {link_prev}"
            detail = f"the event at {position} follows position {link_prev}: {gone} are gone"
            return Problem(EVENT_MISSING, (prev_position or 0) + 1, None, detail)
        detail = f"the event at {position} does not follow it"
        return Problem(EVENT_INSERTED, prev_position, None, detail)
    if position != (prev_position or 0) + 1:
        # Its links are right, but appends take the next position: nothing written by
        # the recorder leaves a gap.
        detail = f"the event at {position} follows position {prev_position}, leaving a gap"
        return Problem(EVENT_INSERTED, position, aggregate_id, detail)
    detail = "global chain hash does not follow from its predecessor"
    return Problem(LINK_BROKEN, position, aggregate_id, detail)


def _well_typed_links(row: StoredRow) -> bool:
    """SQLite stores whatever it is given; a link of another type would crash the hashing."""
    link_prev, *hashes = row[5:]
    return (link_prev is None or type(link_prev) is int) and all(
        type(value) is bytes and len(value) == 32 for value in hashes
    )


def _entry_digest(position: int, row: StoredRow) -> bytes | None:
    _, aggregate_id, version, topic, state, *_ = row
    try:
        return entry_hash(position, aggregate_id, version, topic, state)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, AttributeError, struct.error):
        return None


def _verify_global_chain(
    snapshot: ChainSnapshot, report: Report, expected_head: tuple[int, bytes] | None
) -> None:
    anchor_position, anchor_hash = expected_head or (None, b"")
    anchor_seen = False
    prev_position: int | None = None
    prev_hash = GENESIS
    checked = 0
    for row in snapshot.rows():
        checked += 1
        position, aggregate_id, version, topic, state, link_prev, stored_entry, stored_chain, _ = (
            row
        )
        # The fast path, taken by every intact row: recomputed hashes match the stored.
        intact = (
            link_prev == prev_position
            and position == (prev_position or 0) + 1
            and aggregate_id is not None
            and type(state) is bytes
            and _entry_digest(position, row) == stored_entry
            and chain_link(prev_hash, stored_entry) == stored_chain
        )
        if not intact:
            report.add(_row_problem(row, prev_position, prev_hash))
        if position == anchor_position:
            anchor_seen = True
            if stored_chain != anchor_hash:
                detail = "the chain no longer passes through the recorded head"
                report.add(Problem(HEAD_MISMATCH, position, aggregate_id, detail))
        prev_position = position
        prev_hash = stored_chain if type(stored_chain) is bytes else GENESIS
    if anchor_position is not None and not anchor_seen:
        detail = "the recorded head's position is no longer in the chain"
        report.add(Problem(HEAD_MISMATCH, anchor_position, None, detail))
    report.events_checked = checked
    report.head_position = prev_position
    report.head_hash = prev_hash


def _verify_aggregate_chains(snapshot: ChainSnapshot, report: Report) -> int:
    """Checks each aggregate's chain; returns how many rows the pass read."""
    read = 0
    current: UUID | None = None
    prev_version = 0
    prev_hash = GENESIS
    for position, aggregate_id, version, entry, stored in snapshot.aggregate_links():
        read += 1
        if aggregate_id is None or type(version) is not int:
            continue  # an altered id or version: reported by the global pass
        if aggregate_id != current:
            current, prev_hash = aggregate_id, GENESIS
            if version > 1:
                detail = f"aggregate history starts at version {version}"
                report.add(Problem(EVENT_MISSING, position, aggregate_id, detail))
        elif version != prev_version + 1:
            detail = f"versions {prev_version + 1} to {version - 1} are missing"
            report.add(Problem(EVENT_MISSING, position, aggregate_id, detail))
        if type(entry) is not bytes or aggregate_link(prev_hash, entry) != stored:
            detail = f"aggregate hash of version {version} does not follow from the previous"
            report.add(Problem(LINK_BROKEN, position, aggregate_id, detail))
        prev_version, prev_hash = version, stored if type(stored) is bytes else GENESIS
    return read
