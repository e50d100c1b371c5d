"""What limits `verify` on PostgreSQL: row streaming, measured with variants of the snapshot.

    .venv/bin/python bench/verify_variants.py [--events 100000] [--runs 3]

Fills one chained PostgreSQL store (throwaway database), then runs verify_ledger in fresh
worker processes (ledger_bench.py's worker, same memory measures) with the snapshot as
it is, and patched IN THE WORKER ONLY (infra/ is not touched) to use another FETCH page
size and/or binary-format cursors. Runs are interleaved and repeated; medians shown.
Also splits one verify into its parts (streaming the three cursors vs. the hashing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ledger_bench as lb  # noqa: E402

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("as is (infra/ unchanged)", {}),
    ("text, FETCH 20000", {"fetch": 20000, "binary": False}),
    ("text, FETCH 2000", {"fetch": 2000, "binary": False}),
    ("binary, FETCH 20000", {"fetch": 20000, "binary": True}),
    ("binary, FETCH 2000", {"fetch": 2000, "binary": True}),
    ("binary, FETCH 5000", {"fetch": 5000, "binary": True}),
]


def split(url: str, schema: str, n: int) -> None:
    """Where one verify's time goes: the three streams, then the checks on rows in memory."""
    from infra import verification as v
    from infra.ledger import Ledger
    from infra.settings import Settings

    ledger = Ledger(Settings(home=Path("/nonexistent"), database_url=url,
                             database_schema=schema))

    def timed(label: str, work: Any) -> Any:
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
        print(f"  {label:<52}{elapsed:>7.3f} s")
        return result

    print(f"\nOne verify split into parts, {n:,} events (snapshot as is):")
    with ledger.chain_snapshot() as snap:
        events = timed("stream events() into a list",
                       lambda: list(snap.events()))
        links = timed("stream links() into a list", lambda: list(snap.links()))
        by_aggregate = timed("stream links_by_aggregate() into a list",
                             lambda: list(snap.links_by_aggregate()))

    class InMemory:
        def events(self) -> Any:
            return iter(events)

        def links(self) -> Any:
            return iter(links)

        def links_by_aggregate(self) -> Any:
            return iter(by_aggregate)

        def guard_problems(self) -> list[str]:
            return []

        missing_guards = guard_problems  # the protocol's older name

    report = timed("verify() on those rows in memory (hashing, merge)",
                   lambda: v.verify(InMemory()))
    assert report.ok
    ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-url", default=lb.DEFAULT_PG_URL)
    args = parser.parse_args()
    launcher = lb.Launcher()

    import psycopg
    from psycopg.sql import SQL, Identifier

    from infra.ledger import Ledger
    from infra.postgres_store import PostgresChainSnapshot
    from infra.settings import Settings

    dbname = f"daicho_verifyvar_{uuid.uuid4().hex[:8]}"
    url = f"{args.pg_url.rsplit('/', 1)[0]}/{dbname}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    try:
        guard = lb.ForeignLoad(dbname)
        ledger = Ledger(Settings(home=Path("/nonexistent"), database_url=url,
                                 database_schema="verify"))
        lb.fill(ledger.recorder, lb.EventSource(*lb.sample_state()), args.events, 1000)
        ledger.close()
        lb.settle_postgres(url, "verify")
        guard.wait_quiet(lb.QUIET_CORES, 1800)
        results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in VARIANTS}
        argv = [sys.executable, str(ROOT / "bench" / "ledger_bench.py"), "--worker"]
        for r in range(args.runs):
            order = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
            for name, knobs in order:
                spec = {"home": "/nonexistent", "url": url, "schema": "verify",
                        "mode": "timed", **knobs}
                result, _ = lb.guarded(guard, lambda spec=spec: launcher.run(
                    argv + [json.dumps(spec)]), f"verify {name}")
                results[name].append(result)
                print(f"  [{name}] {result['eps']:,.0f} ev/s", file=sys.stderr, flush=True)
        print(f"verify_ledger on PostgreSQL, {args.events:,} events, median of {args.runs} "
              "runs, each in a fresh process")
        print(f"  PostgresChainSnapshot: FETCH = {PostgresChainSnapshot.FETCH} as is; the other "
              "rows patch its _stream in the worker (named cursor iterated by itersize)")
        print(f"  {'snapshot variant':<30}{'events/s':>10}{'seconds':>9}"
              f"{'peak RSS - RSS before (MiB)':>30}")
        for name, _ in VARIANTS:
            rs = results[name]
            print(f"  {name:<30}{statistics.median(r['eps'] for r in rs):>10,.0f}"
                  f"{statistics.median(r['wall_s'] for r in rs):>9.2f}"
                  f"{statistics.median(r['maxrss_delta_kb'] for r in rs) / 1024:>30.1f}")
        split(url, "verify", args.events)
    finally:
        launcher.close()
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                Identifier(dbname)))


if __name__ == "__main__":
    main()
