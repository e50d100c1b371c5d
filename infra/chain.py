"""The byte layout of the hash chain: what is hashed, and how links are formed.

This module is the specification in code; `docs/chain-format.md` states the same in
prose with a worked example, and `tests/infra/test_chain_vectors.py` pins it with
fixed vectors. Change nothing here without a new format version.

An *entry* is one stored event exactly as stored: its position in the notification
log, aggregate id, aggregate version, topic and state bytes (the state already holds
the event's metadata: actor, agency, request id, source, reason, timestamp).

    entry      = 0x01 || u64be(position) || aggregate_id (16 bytes)
                 || u64be(version) || u32be(len(topic)) || topic (UTF-8)
                 || u32be(len(state)) || state
    entry_hash = SHA-256(0x00 || entry)                       (an RFC 9162 leaf hash)
    chain_hash = SHA-256("daicho/chain/v1" || previous chain_hash || entry_hash)
    aggregate_hash = SHA-256("daicho/aggregate/v1" || previous aggregate_hash || entry_hash)

The first entry of the log, and version 1 of every aggregate, link to 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple
from uuid import UUID

FORMAT_VERSION = 1
GENESIS = bytes(32)
CHAIN_DOMAIN = b"daicho/chain/v1"
AGGREGATE_DOMAIN = b"daicho/aggregate/v1"

_HEAD = struct.Struct(">BQ16sQI")
_LEAF_HEAD = struct.Struct(">BBQ16sQI")  # 0x00 || the entry's head, packed at once
_LEN = struct.Struct(">I")
_sha256 = hashlib.sha256


def entry_bytes(position: int, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The canonical bytes of one stored event; cheap to rebuild from a stored row."""
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            _HEAD.pack(FORMAT_VERSION, position, aggregate_id.bytes, version, len(topic_bytes)),
            topic_bytes,
            _LEN.pack(len(state)),
            state,
        )
    )


def entry_hash(position: int, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """SHA-256(0x00 || entry): the same value later serves as the Merkle leaf hash.

    Equal to hashing b"\\x00" + entry_bytes(…), built in one piece: every append and
    every verified event goes through here."""
    topic_bytes = topic.encode("utf-8")
    return _sha256(
        _LEAF_HEAD.pack(0, FORMAT_VERSION, position, aggregate_id.bytes, version, len(topic_bytes))
        + topic_bytes
        + _LEN.pack(len(state))
        + state
    ).digest()


def chain_link(previous: bytes, entry_digest: bytes) -> bytes:
    """The global link: commits to every entry before this one, in log order."""
    return _sha256(CHAIN_DOMAIN + previous + entry_digest).digest()


def aggregate_link(previous: bytes, entry_digest: bytes) -> bytes:
    """The per-aggregate link: commits to the aggregate's earlier versions."""
    return _sha256(AGGREGATE_DOMAIN + previous + entry_digest).digest()


class ChainLink(NamedTuple):
    """One row of the chain table: the links computed for one stored event."""

    position: int
    aggregate_id: UUID
    version: int
    prev_position: int | None
    entry_hash: bytes
    chain_hash: bytes
    aggregate_hash: bytes


class Head(NamedTuple):
    """The last link of the global chain (position None and GENESIS for an empty log)."""

    position: int | None
    chain_hash: bytes


EMPTY_HEAD = Head(None, GENESIS)


class NewEntry(NamedTuple):
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes


def link_batch(
    entries: Sequence[NewEntry],
    head: Head,
    previous_aggregate_hashes: Mapping[tuple[UUID, int], bytes],
) -> list[ChainLink]:
    """Links a batch of new entries, in position order, onto the chain.

    `previous_aggregate_hashes` holds the stored aggregate hash of version v-1 for the
    first entry of each aggregate in the batch; an aggregate absent from it starts at
    GENESIS. Later entries of the same aggregate link to the batch's own earlier ones.
    """
    links = []
    # Keyed by UUID.int: a UUID's own __hash__ is Python code, run per event here.
    last_aggregate_hash: dict[int, tuple[int, bytes]] = {}
    prev_position, prev_chain = head
    for position, aggregate_id, version, topic, state in sorted(entries, key=_position):
        digest = entry_hash(position, aggregate_id, version, topic, state)
        known = last_aggregate_hash.get(aggregate_id.int)
        if known is not None and known[0] == version - 1:
            prev_aggregate = known[1]
        else:
            prev_aggregate = previous_aggregate_hashes.get((aggregate_id, version - 1), GENESIS)
        prev_chain = chain_link(prev_chain, digest)
        aggregate_hash = aggregate_link(prev_aggregate, digest)
        links.append(
            ChainLink(
                position, aggregate_id, version, prev_position, digest, prev_chain, aggregate_hash
            )
        )
        last_aggregate_hash[aggregate_id.int] = (version, aggregate_hash)
        prev_position = position
    return links


def _position(entry: NewEntry) -> int:
    return entry.position


def previous_versions(keys: Iterable[tuple[UUID, int]]) -> list[tuple[UUID, int]]:
    """(aggregate, version - 1) for each aggregate's earliest (aggregate, version) in a
    batch, unless that is version 1: the stored aggregate hashes a recorder must look up
    before calling `link_batch`."""
    earliest: dict[UUID, int] = {}
    for aggregate_id, version in keys:
        if version < earliest.get(aggregate_id, version + 1):
            earliest[aggregate_id] = version
    return [
        (aggregate_id, version - 1) for aggregate_id, version in earliest.items() if version > 1
    ]
