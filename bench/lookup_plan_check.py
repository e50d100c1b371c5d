"""Does the chained PostgreSQL recorder's aggregate-hash lookup scan the whole chain table?

    .venv/bin/python bench/lookup_plan_check.py [--analyze-every N] [--max-rows 100000]

1. The plan: prepares the recorder's own `select_aggregate_hashes` text (SQL PREPARE,
   plan_cache_mode as configured, normally auto), executes it 8 times while event_chain
   is small, grows the table through the recorder, and shows EXPLAIN ANALYZE of the
   same prepared statement, then again after an ANALYZE.
2. The cost: grows a fresh chained store with 100-event batches and, at several sizes,
   times 100 single appends and 10 batch appends, with the seq/index scan counters of
   event_chain (pg_stat_user_tables) for each. --analyze-every N runs ANALYZE on
   event_chain every N events, as autovacuum would (it is off on some servers).

Everything happens in a throwaway database, dropped at the end. infra/ is not touched.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from psycopg.sql import SQL, Identifier  # noqa: E402

from ledger_bench import (  # noqa: E402
    DEFAULT_PG_URL,
    EventSource,
    RecorderContender,
    ensure_schema,
    postgres_env,
    sample_state,
)


def show_plan(url: str) -> None:
    ensure_schema(url, "plan")
    contender = RecorderContender("chained", postgres_env(url, "plan", chained=True))
    recorder = contender.recorder
    source = EventSource(*sample_state())
    with psycopg.connect(url, autocommit=True) as conn:
        setting = conn.execute("SHOW plan_cache_mode").fetchone()[0]  # type: ignore[index]
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]  # type: ignore[index]
        print(f"plan_cache_mode = {setting}, autovacuum = {autovacuum}")
        text = recorder.select_aggregate_hashes.as_string(conn)  # type: ignore[attr-defined]
        text = text.replace("%s::uuid[]", "$1::uuid[]").replace("%s::bigint[]", "$2::bigint[]")
        print(f"lookup: {text}\n")
        conn.execute(f"PREPARE lookup(uuid[], bigint[]) AS {text}")
        contender.append_batches([source.take(100) for _ in range(2)])
        ids = [str(row[0]) for row in conn.execute(
            "SELECT DISTINCT originator_id FROM plan.event_chain LIMIT 10")]
        call = ("EXECUTE lookup(ARRAY[" + ",".join(f"'{i}'::uuid" for i in ids)
                + "]::uuid[], ARRAY[" + ",".join("1" for _ in ids) + "]::bigint[])")

        def explain(title: str) -> None:
            print(f"== {title}")
            for (line,) in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + call):
                print("   " + line)

        for _ in range(8):
            conn.execute(call)
        explain("200 rows, after 8 executions (the plan the session now keeps)")
        contender.append_batches([source.take(100) for _ in range(500)])
        explain("the same prepared statement at 50,200 rows")
        conn.execute("ANALYZE plan.event_chain")
        explain("after ANALYZE plan.event_chain (invalidates the cached plan)")
    contender.close()


def growth(url: str, analyze_every: int, max_rows: int) -> None:
    schema = f"growth_{analyze_every}"
    ensure_schema(url, schema)
    contender = RecorderContender("chained", postgres_env(url, schema, chained=True))
    source = EventSource(*sample_state())
    monitor = psycopg.connect(url, autocommit=True)

    def counters() -> tuple[int, int, int]:
        time.sleep(1.2)  # let the pool's backends report their table counters
        # (an idle backend may hold them back for up to 10 s; these are lower bounds)
        row = monitor.execute(
            "SELECT seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname = 'event_chain'", (schema,)).fetchone()
        assert row is not None
        return row

    label = f"ANALYZE every {analyze_every:,} events" if analyze_every else "no ANALYZE"
    print(f"\nGrowth, {label}: per step, 100 single appends then 10 appends of 100 events")
    print(f"  {'rows':>8} {'ms/single':>10} {'seq scans':>10} {'rows scanned':>13} "
          f"{'ms/batch':>9} {'seq scans':>10} {'rows scanned':>13}")
    total = 0
    for target in [t for t in (1_000, 5_000, 20_000, 50_000, 100_000, 200_000, 500_000)
                   if t <= max_rows]:
        while total < target:
            contender.append_batches([source.take(100)])
            total += 100
            if analyze_every and total % analyze_every == 0:
                monitor.execute(SQL("ANALYZE {}.event_chain").format(Identifier(schema)))
        c0 = counters()
        started = time.perf_counter()
        contender.append_one(source.take(100))
        single = (time.perf_counter() - started) / 100
        c1 = counters()
        started = time.perf_counter()
        contender.append_batches([source.take(100) for _ in range(10)])
        batch = (time.perf_counter() - started) / 10
        c2 = counters()
        total += 1100
        print(f"  {total:>8,} {single * 1e3:>10.2f} {c1[0] - c0[0]:>10} {c1[1] - c0[1]:>13,} "
              f"{batch * 1e3:>9.2f} {c2[0] - c1[0]:>10} {c2[1] - c1[1]:>13,}", flush=True)
    monitor.close()
    contender.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyze-every", type=int, default=0)
    parser.add_argument("--max-rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    dbname = f"daicho_plancheck_{uuid.uuid4().hex[:8]}"
    url = f"{args.pg_url.rsplit('/', 1)[0]}/{dbname}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    try:
        show_plan(url)
        growth(url, 0, args.max_rows)
        if args.analyze_every:
            growth(url, args.analyze_every, args.max_rows)
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                Identifier(dbname)))


if __name__ == "__main__":
    main()
