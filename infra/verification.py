"""Recomputes both hash chains from a snapshot of the store and names what is wrong.

Streaming: the log and the chain table are read as two cursors in position order and
merged, then the chain table is read again in aggregate order. Nothing is kept per
event, so memory stays flat however long the log grows.
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
HEAD_MISMATCH = "history rewritten"

MAX_PROBLEMS = 1000

# (position, aggregate id, version, topic, state)
EventRow = tuple[int, UUID, int, str, bytes]
# (position, aggregate id, version, prev_position, entry_hash, chain_hash, aggregate_hash)
LinkRow = tuple[int, UUID, int, int | None, bytes, bytes, bytes]


class ChainSnapshot(Protocol):
    """A consistent read-only view of one store, as each backend provides it."""

    def events(self) -> Iterator[EventRow]: ...  # in position order

    def links(self) -> Iterator[LinkRow]: ...  # in position order

    def links_by_aggregate(self) -> Iterator[LinkRow]: ...  # by aggregate, then version

    def guard_problems(self) -> list[str]: ...


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
    problems_truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        positioned = [p for p in self.problems if p.position is not None]
        if positioned:
            return min(positioned, key=lambda p: p.position or 0)
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.problems_truncated = True

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
    _verify_global_chain(snapshot, report, expected_head)
    _verify_aggregate_chains(snapshot, report)
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _merged(
    events: Iterator[EventRow], links: Iterator[LinkRow]
) -> Iterator[tuple[int, EventRow | None, LinkRow | None]]:
    """Pairs event rows and link rows by position (a full outer merge join)."""
    event = next(events, None)
    link = next(links, None)
    while event is not None or link is not None:
        if link is None or (event is not None and event[0] < link[0]):
            yield event[0], event, None  # type: ignore[index]
            event = next(events, None)
        elif event is None or link[0] < event[0]:
            yield link[0], None, link
            link = next(links, None)
        else:
            yield event[0], event, link
            event, link = next(events, None), next(links, None)


def _event_problem(position: int, event: EventRow | None, link: LinkRow) -> Problem | None:
    """What is wrong with the stored event at a position its chain link vouches for."""
    _, aggregate_id, version, _, stored_entry, _, _ = link
    if aggregate_id is None:
        return Problem(LINK_BROKEN, position, None, "the chain link's aggregate id is altered")
    if event is None:
        detail = f"chain link for version {version} has no stored event"
        return Problem(EVENT_MISSING, position, aggregate_id, detail)
    if event[1] is None or not isinstance(event[4], bytes):
        # Same hash, other spelling or type: the recorder would no longer find it.
        detail = f"version {version} is not stored in the recorder's form"
        return Problem(PAYLOAD_MODIFIED, position, aggregate_id, detail)
    if event[1] != aggregate_id or event[2] != version:
        detail = f"the stored event is not version {version} of the chain's aggregate"
        return Problem(ORDER_CHANGED, position, event[1], detail)
    try:
        intact = entry_hash(*event) == stored_entry
    except (TypeError, ValueError, OverflowError, struct.error):
        intact = False
    if not intact:
        detail = f"version {version} does not match its entry hash"
        return Problem(PAYLOAD_MODIFIED, position, aggregate_id, detail)
    return None


def _link_problem(
    position: int, link: LinkRow, prev_position: int | None, prev_hash: bytes
) -> Problem | None:
    """What is wrong with a chain link given the link before it."""
    _, aggregate_id, _, link_prev, stored_entry, stored_chain, _ = link
    if link_prev != prev_position:
        if link_prev is not None and (prev_position is None or link_prev > prev_position):
            detail = f"the link at {position} follows position {link_prev}, which is gone"
            return Problem(EVENT_MISSING, link_prev, None, detail)
        detail = f"the link at {position} does not follow it"
        return Problem(EVENT_INSERTED, prev_position, None, detail)
    if chain_link(prev_hash, stored_entry) != stored_chain:
        detail = "global chain hash does not follow from its predecessor"
        return Problem(LINK_BROKEN, position, aggregate_id, detail)
    return None


def _verify_global_chain(
    snapshot: ChainSnapshot, report: Report, expected_head: tuple[int, bytes] | None
) -> None:
    anchor_position, anchor_hash = expected_head or (None, b"")
    anchor_seen = False
    prev_position: int | None = None
    prev_hash = GENESIS
    checked = 0
    for position, event, link in _merged(snapshot.events(), snapshot.links()):
        checked += 1
        if link is None:
            assert event is not None
            detail = "stored event has no chain link"
            report.add(Problem(EVENT_INSERTED, position, event[1], detail))
            continue
        stored_chain = link[5]
        # The fast path, taken by every intact row: same entry, recomputed hashes match.
        intact = (
            event is not None
            and link[3] == prev_position
            and event[1] == link[1]
            and event[1] is not None
            and event[2] == link[2]
            and type(event[4]) is bytes
            and (digest := entry_hash(*event)) == link[4]
            and chain_link(prev_hash, digest) == stored_chain
        )
        if not intact:
            for problem in (
                _event_problem(position, event, link),
                _link_problem(position, link, prev_position, prev_hash),
            ):
                if problem is not None:
                    report.add(problem)
        if position == anchor_position:
            anchor_seen = True
            if stored_chain != anchor_hash:
                detail = "the chain no longer passes through the recorded head"
                report.add(Problem(HEAD_MISMATCH, position, link[1], detail))
        prev_position, prev_hash = position, stored_chain
    if anchor_position is not None and not anchor_seen:
        detail = "the recorded head's position is no longer in the chain"
        report.add(Problem(HEAD_MISMATCH, anchor_position, None, detail))
    report.events_checked = checked
    report.head_position = prev_position
    report.head_hash = prev_hash


def _verify_aggregate_chains(snapshot: ChainSnapshot, report: Report) -> None:
    current: UUID | None = None
    prev_version = 0
    prev_hash = GENESIS
    for position, aggregate_id, version, _, entry, _, stored in snapshot.links_by_aggregate():
        if aggregate_id is None:
            continue  # an altered id: reported by the global pass
        if aggregate_id != current:
            current, prev_hash = aggregate_id, GENESIS
            if version > 1:
                detail = f"aggregate history starts at version {version}"
                report.add(Problem(EVENT_MISSING, position, aggregate_id, detail))
        elif version != prev_version + 1:
            detail = f"versions {prev_version + 1} to {version - 1} are missing"
            report.add(Problem(EVENT_MISSING, position, aggregate_id, detail))
        if aggregate_link(prev_hash, entry) != stored:
            detail = f"aggregate hash of version {version} does not follow from the previous"
            report.add(Problem(LINK_BROKEN, position, aggregate_id, detail))
        prev_version, prev_hash = version, stored
