"""Where the chained recorders' extra append time goes: a breakdown by ablation.

    .venv/bin/python bench/append_breakdown.py [--rounds 5] [--single 500] [--batches 100]

Measures the plain library recorder, our chained recorder, and variants of the chained
recorder defined HERE (subclasses; infra/ is not touched), each leaving out or
changing one part of the chain work. The variants are for measurement only: most of
them do not produce a valid chain.

PostgreSQL variants
  no-link-insert   computes the links (head and aggregate lookups, hashing) but does
                   not insert them: what the chain-table INSERTs cost (its event_chain
                   stays empty, so its lookups are cheaper than the real ones)
  no-lookups       inserts the links, but skips both SELECTs queued in the pipeline
                   (links against a head kept in memory): what the lookups cost
  executemany-insert  inserts the links with one INSERT ... VALUES per event
                   (executemany, pipelined) instead of the recorder's own statement
  unprepared-lookup  the chained recorder exactly, except that the aggregate-hash lookup
                   is executed with prepare=False (a valid chain): shows what the cached
                   generic plan of that lookup costs as event_chain grows
SQLite variants
  no-link-insert   computes the links but does not insert them
  no-hashing       inserts constant links: what link_batch (SHA-256 x3, packing) costs
  no-lookups       skips the head SELECT and the per-aggregate SELECTs

Same fairness rules as ledger_bench.py: warm-up, rotating order, median of rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eventsourcing.persistence import StoredEvent  # noqa: E402
from psycopg.sql import SQL, Identifier  # noqa: E402

from infra.chain import EMPTY_HEAD, GENESIS, Head, NewEntry, first_versions, link_batch  # noqa: E402
from infra.postgres_store import ChainedPostgresApplicationRecorder, _PendingChain  # noqa: E402
from infra.sqlite_store import CHAIN_TABLE, ChainedSQLiteApplicationRecorder, _as_uuid  # noqa: E402
from ledger_bench import (  # noqa: E402
    DEFAULT_PG_URL,
    EventSource,
    ForeignLoad,
    guarded,
    RecorderContender,
    ensure_schema,
    postgres_env,
    sample_state,
    sqlite_env,
)

# ----------------------------------------------------------------------------- PostgreSQL


class PgNoLinkInsert(ChainedPostgresApplicationRecorder):
    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedPostgresApplicationRecorder, self)._fetch_ids_after_insert_events(
            curs, stored_events, **kwargs)
        pending: _PendingChain = kwargs["pending_chain"]
        assert pending.head_cursor is not None and pending.aggregate_cursor is not None
        row = pending.head_cursor.fetchone()
        head = Head(row["position"], bytes(row["chain_hash"])) if row else EMPTY_HEAD
        previous = {(r["originator_id"], r["originator_version"]): bytes(r["aggregate_hash"])
                    for r in pending.aggregate_cursor.fetchall()}
        entries = [NewEntry(p, e.originator_id, e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        pending.head_cursor.close()
        pending.aggregate_cursor.close()
        link_batch(entries, head, previous)
        return positions


def _insert_links(recorder: ChainedPostgresApplicationRecorder, curs: Any, links: list[Any]
                  ) -> None:
    """Inserts links the way the chained recorder under test does (infra/ has used both)."""
    if "unnest" in recorder.insert_links.as_string(None):
        curs.execute(recorder.insert_links, [list(column) for column in zip(*links)])
    else:
        curs.executemany(recorder.insert_links, links)


class PgNoLookups(ChainedPostgresApplicationRecorder):
    _head_cache: Head = EMPTY_HEAD

    def _insert_stored_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> None:
        super(ChainedPostgresApplicationRecorder, self)._insert_stored_events(
            curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedPostgresApplicationRecorder, self)._fetch_ids_after_insert_events(
            curs, stored_events, **kwargs)
        entries = [NewEntry(p, e.originator_id, e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        links = link_batch(entries, self._head_cache, {})
        self._head_cache = Head(links[-1].position, links[-1].chain_hash)
        _insert_links(self, curs, links)
        return positions


class PgExecutemanyInsert(ChainedPostgresApplicationRecorder):
    """The links inserted one INSERT ... VALUES per event with executemany (pipelined),
    as infra/ did before commit 18c544b, for comparison with one unnest() statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_links_rows = SQL(
            "INSERT INTO {schema}.{chain} VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(schema=Identifier(self.datastore.schema), chain=self.chain_table)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedPostgresApplicationRecorder, self)._fetch_ids_after_insert_events(
            curs, stored_events, **kwargs)
        pending: _PendingChain = kwargs["pending_chain"]
        assert pending.head_cursor is not None and pending.aggregate_cursor is not None
        row = pending.head_cursor.fetchone()
        head = Head(row["position"], bytes(row["chain_hash"])) if row else EMPTY_HEAD
        previous = {(r["originator_id"], r["originator_version"]): bytes(r["aggregate_hash"])
                    for r in pending.aggregate_cursor.fetchall()}
        entries = [NewEntry(p, e.originator_id, e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        pending.head_cursor.close()
        pending.aggregate_cursor.close()
        curs.executemany(self.insert_links_rows, link_batch(entries, head, previous))
        return positions


class PgUnpreparedLookup(ChainedPostgresApplicationRecorder):
    """As the chained recorder, but the aggregate-hash lookup is not a prepared statement,
    so PostgreSQL plans it afresh each time instead of caching a generic plan."""

    def _insert_stored_events(self, curs: Any, stored_events: Any, **kwargs: Any) -> None:
        super(ChainedPostgresApplicationRecorder, self)._insert_stored_events(
            curs, stored_events, **kwargs)
        pending: _PendingChain = kwargs["pending_chain"]
        pending.head_cursor = curs.connection.cursor()
        pending.head_cursor.execute(self.select_head, prepare=True)
        lookups = first_versions(
            [NewEntry(0, e.originator_id, e.originator_version, "", b"") for e in stored_events])
        pending.aggregate_cursor = curs.connection.cursor()
        pending.aggregate_cursor.execute(
            self.select_aggregate_hashes,
            ([a for a, _ in lookups], [v for _, v in lookups]),
            prepare=False,
        )


# ----------------------------------------------------------------------------- SQLite


class LiteNoLinkInsert(ChainedSQLiteApplicationRecorder):
    def _insert_events(self, c: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedSQLiteApplicationRecorder, self)._insert_events(
            c, stored_events, **kwargs)
        entries = [NewEntry(p, _as_uuid(e.originator_id), e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        link_batch(entries, self._head(c), self._aggregate_hashes(c, entries))
        return positions


class LiteNoHashing(ChainedSQLiteApplicationRecorder):
    def _insert_events(self, c: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedSQLiteApplicationRecorder, self)._insert_events(
            c, stored_events, **kwargs)
        entries = [NewEntry(p, _as_uuid(e.originator_id), e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        head = self._head(c)
        self._aggregate_hashes(c, entries)
        c.executemany(
            f"INSERT INTO {CHAIN_TABLE} VALUES (?,?,?,?,?,?,?)",
            [(e.position, e.aggregate_id.hex, e.version, head.position, GENESIS, GENESIS,
              GENESIS) for e in entries],
        )
        return positions


class LiteNoLookups(ChainedSQLiteApplicationRecorder):
    _head_cache: Head = EMPTY_HEAD

    def _insert_events(self, c: Any, stored_events: Any, **kwargs: Any) -> Any:
        positions = super(ChainedSQLiteApplicationRecorder, self)._insert_events(
            c, stored_events, **kwargs)
        entries = [NewEntry(p, _as_uuid(e.originator_id), e.originator_version, e.topic, e.state)
                   for p, e in zip(positions, stored_events, strict=True)]
        links = link_batch(entries, self._head_cache, {})
        self._head_cache = Head(links[-1].position, links[-1].chain_hash)
        c.executemany(
            f"INSERT INTO {CHAIN_TABLE} VALUES (?,?,?,?,?,?,?)",
            [(l.position, l.aggregate_id.hex, l.version, l.prev_position,
              l.entry_hash, l.chain_hash, l.aggregate_hash) for l in links],
        )
        return positions


def _topic(cls: type) -> str:
    return f"{__name__ if __name__ != '__main__' else 'append_breakdown'}:{cls.__name__}"


def run(contenders: list[RecorderContender], source: EventSource, rounds: int, single: int,
        batches: int, label: str, guard: ForeignLoad | None) -> None:
    import gc

    warm = source.take(50)
    for c in contenders:
        c.append_one(warm)
        c.append_batches([source.take(100) for _ in range(3)])
    for kind in ("single", "batch"):
        results: dict[str, list[float]] = {c.name: [] for c in contenders}
        cpu: dict[str, list[float]] = {c.name: [] for c in contenders}
        for r in range(rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]

            def attempt() -> dict[str, tuple[float, float]]:
                if kind == "single":
                    events: list[StoredEvent] = source.take(single)
                else:
                    bs = [source.take(100) for _ in range(batches)]
                    events = [e for b in bs for e in b]
                out = {}
                for c in order:
                    gc.collect()
                    t, p = time.perf_counter(), time.process_time()
                    if kind == "single":
                        c.append_one(events)
                    else:
                        c.append_batches(bs)
                    dt, dp = time.perf_counter() - t, time.process_time() - p
                    out[c.name] = (dt / len(events), dp / len(events))
                return out

            figures, _ = guarded(guard, attempt, f"{label} {kind} round {r + 1}")
            for name, (wall, cpu_time) in figures.items():
                results[name].append(wall)
                cpu[name].append(cpu_time)
            print(f"  [{label}] {kind} round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
        base = statistics.median(results["plain"])
        print(f"\n{label}, {kind} appends: median of {rounds} rounds")
        print(f"  {'variant':<18}{'us/event':>10}{'client CPU':>12}{'events/s':>11}"
              f"{'vs plain':>10}{'extra us':>10}   per round (us/event)")
        for c in contenders:
            m = statistics.median(results[c.name])
            mc = statistics.median(cpu[c.name])
            rounds_text = " ".join(f"{x * 1e6:.0f}" for x in results[c.name])
            print(f"  {c.name:<18}{m * 1e6:>10.1f}{mc * 1e6:>12.1f}{1 / m:>11,.0f}"
                  f"{base / m:>10.2f}{(m - base) * 1e6:>10.1f}   {rounds_text}")


def print_scans(url: str, schemas: list[str]) -> None:
    import psycopg

    time.sleep(1.5)  # give the exiting backends time to report their table counters
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT schemaname, seq_scan, seq_tup_read, idx_scan, n_live_tup "
            "FROM pg_stat_user_tables WHERE relname = 'event_chain' AND schemaname = ANY(%s) "
            "ORDER BY schemaname", (schemas,)).fetchall()
    print("\n  event_chain scans during the PostgreSQL run (pg_stat_user_tables)")
    print(f"  {'schema':<18}{'seq scans':>10}{'rows read by them':>19}{'index scans':>13}"
          f"{'rows now':>10}")
    for schema, seq, seq_rows, idx, live in rows:
        print(f"  {schema:<18}{seq:>10,}{seq_rows:>19,}{idx or 0:>13,}{live:>10,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--only", choices=("postgres", "sqlite"))
    parser.add_argument("--no-redo", action="store_true",
                        help="keep rounds during which other processes were busy")
    args = parser.parse_args()
    import psycopg

    topic, state = sample_state()
    dbname = f"daicho_breakdown_{uuid.uuid4().hex[:8]}"
    base = args.pg_url.rsplit("/", 1)[0]
    url = f"{base}/{dbname}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    guard = None if args.no_redo else ForeignLoad(dbname)
    if guard is not None:
        guard.wait_quiet(0.15, 1800)
    contenders: list[RecorderContender] = []
    try:
        if args.only in (None, "postgres"):
            variants: list[tuple[str, type | None]] = [
                ("plain", None), ("chained", ChainedPostgresApplicationRecorder),
                ("no-link-insert", PgNoLinkInsert), ("no-lookups", PgNoLookups),
                ("executemany-insert", PgExecutemanyInsert),
                ("unprepared-lookup", PgUnpreparedLookup),
            ]
            for name, cls in variants:
                schema = name.replace("-", "_")
                ensure_schema(url, schema)
                env = postgres_env(url, schema, chained=cls is not None)
                if cls is not None:
                    env["APPLICATION_RECORDER_TOPIC"] = _topic(cls)
                contenders.append(RecorderContender(name, env))
            run(contenders, EventSource(topic, state), args.rounds, args.single, args.batches,
                "PostgreSQL", guard)
            for c in contenders:
                c.close()  # backends report their table counters when they exit
            print_scans(url, [name.replace("-", "_") for name, _ in variants])
            contenders = []
        if args.only in (None, "sqlite"):
            with tempfile.TemporaryDirectory(prefix="daicho-breakdown-") as tmp:
                variants = [
                    ("plain", None), ("chained", ChainedSQLiteApplicationRecorder),
                    ("no-link-insert", LiteNoLinkInsert), ("no-hashing", LiteNoHashing),
                    ("no-lookups", LiteNoLookups),
                ]
                for name, cls in variants:
                    env = sqlite_env(Path(tmp) / name, chained=cls is not None)
                    if cls is not None:
                        env["APPLICATION_RECORDER_TOPIC"] = _topic(cls)
                    contenders.append(RecorderContender(name, env))
                run(contenders, EventSource(topic, state), args.rounds, args.single,
                    args.batches, "SQLite", guard)
                for c in contenders:
                    c.close()
                contenders = []
    finally:
        for c in contenders:
            c.close()
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                Identifier(dbname)))


if __name__ == "__main__":
    main()
