"""Where an API request's time goes: the same server with one cost taken away at a time.

    .venv/bin/python bench/api_breakdown.py [--backend sqlite|postgres] [--customers 100000]
                                            [--concurrency 16] [--duration 10] [--rounds 2]

A companion of bench/api_bench.py (same fill, server, load generator and CPU
accounting). It fills one store, then starts bench/api_server.py once per variant
(see VARIANTS there) and measures, at one concurrency, requests/s, p50/p99 and the
server's CPU time per request:

- probes: the bare route; the bare route as a sync handler in a worker thread (what
  every Daicho handler is); the bare route behind the bearer-token authentication
  (a session lookup in a worker thread); GET customer; search;
- the same with the session lookup on the event loop (inline-auth), with the customer
  read and search handlers on the event loop (inline-handlers), with both, with each
  read query sent as one autocommit statement instead of BEGIN, SELECT, COMMIT
  (autocommit-reads), and without the request log line (no-log).

The variants are experiments, not proposals: running handlers on the event loop blocks
it for as long as a query takes. It also times, in-process, the pieces of a request
that run in the handler: the session lookup, get_customer, search_customers, turning
a search page into response structs and encoding it as JSON.

Each measurement is repeated `rounds` times, the servers in rotating order; the median
is shown. Like api_bench.py it retries a run during which other processes used CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import api_bench as ab  # noqa: E402

# (variant of api_server.py, workloads measured on it); "path:<route>" GETs that route.
PLAN: list[tuple[str, list[str]]] = [
    (
        "probes",
        [
            "constant",
            "path:/bench/constant-thread",
            "path:/bench/constant-auth",
            "get",
            "search",
        ],
    ),
    ("probes,inline-auth", ["path:/bench/constant-auth", "get", "search"]),
    ("inline-handlers", ["get", "search"]),
    ("inline-auth,inline-handlers", ["get", "search"]),
    ("autocommit-reads", ["get", "search"]),
    ("autocommit-reads,inline-auth,inline-handlers", ["get", "search"]),
    ("no-log", ["constant", "get"]),
    ("inline-auth,inline-handlers,no-log", ["constant", "get", "search"]),
]


def in_process(
    store: ab.Store, filled: ab.Filled, prefixes: list[str], rng: random.Random
) -> dict[str, Any]:
    """Per-call times of what a GET or a search does besides the framework."""
    import msgspec

    from infra.ledger import Ledger
    from projections import queries
    from projections.database import open_database
    from services import sessions
    from services.agencies import agency_by_code
    from services.api.rendering import customer_page

    ledger = Ledger(store.settings)
    agency = agency_by_code(ledger, ab.AGENCY_CODE)
    user = ledger.repository.get(agency.derive_id("user", ab.USERNAME))
    ledger.close()
    db = open_database(store.settings)
    ids = [uuid.UUID(i) for i in rng.sample(filled.ids, 1000)]
    token, _ = sessions.open_session(db, user)

    def timed(fn: Any, args: list[Any]) -> dict[str, float]:
        for arg in args[:50]:
            fn(arg)
        samples = []
        for arg in args:
            started = time.perf_counter()
            fn(arg)
            samples.append(time.perf_counter() - started)
        return ab._percentiles(samples)

    # The session lookup is a coroutine (the API's, on its event loop); run here one
    # at a time, it includes a turn of this loop.
    loop = asyncio.new_event_loop()
    loop.run_until_complete(db.open_reads())
    try:
        pages = [queries.search_customers(db, filled.agency_id, q=p) for p in prefixes[:200]]
        rendered = [customer_page(page, "agent") for page in pages]
        return {
            "sessions.resolve (a token not yet live)": timed(
                lambda _: loop.run_until_complete(
                    sessions.resolve(db, sessions.LiveSessions(), token)
                ),
                list(range(1000)),
            ),
            "get_customer": timed(lambda i: queries.get_customer(db, filled.agency_id, i), ids),
            "search_customers": timed(
                lambda p: queries.search_customers(db, filled.agency_id, q=p), prefixes
            ),
            "customer_page (50 rows to structs)": timed(
                lambda page: customer_page(page, "agent"), pages
            ),
            "JSON encoding of a page": timed(msgspec.json.encode, rendered),
        }
    finally:
        loop.run_until_complete(db.close_reads())
        loop.close()
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--pg-url", default=ab.DEFAULT_PG_URL)
    parser.add_argument("--json")
    parser.add_argument(
        "--snapshot",
        nargs="?",
        const="HEAD",
        metavar="REVISION",
        help="measure a clean copy of a commit (default HEAD)",
    )
    args = parser.parse_args()
    if args.snapshot:
        return ab.run_from_snapshot(
            "api_breakdown.py", args.snapshot, ab._without_option(sys.argv[1:], "--snapshot")
        )
    rng = random.Random(ab.SEED)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="daicho-api-breakdown-") as tmp:
        workdir = Path(tmp)
        with ab.fresh_store(args.backend, workdir, args.pg_url) as store:
            ab.say(f"[{args.backend}] filling {args.customers:,} customers …")
            filled = ab.fill(store, args.customers)
            prefixes = ab.kana_prefixes(filled.families, ab.SEARCH_SAMPLES, rng)
            data = {"get": workdir / "get_ids.txt", "search": workdir / "search_q.txt"}
            items = {
                "get": filled.ids,
                "search": [
                    urllib.parse.quote(p) for p in ab.kana_prefixes(filled.families, 5000, rng)
                ],
                "patch": filled.ids[len(filled.ids) // 2 :],
            }
            for mode, path in data.items():
                path.write_text("\n".join(items[mode]) + "\n", encoding="utf-8")
            for round_ in range(args.rounds):
                plan = PLAN[round_ % len(PLAN) :] + PLAN[: round_ % len(PLAN)]
                for variant, workloads in plan:
                    ab.say(f"[{args.backend}] round {round_ + 1}: server variant {variant}")
                    server = ab.Server(store, workdir, variant)
                    try:
                        token = ab.login(server.port, filled.password)
                        load = ab.LoadGenerator(
                            "wrk" if ab.shutil.which("wrk") else "python",
                            server.port,
                            token,
                            data,
                            items,
                            1,
                            workdir,
                        )
                        for workload in workloads:
                            mode = workload
                            if workload.startswith("path:"):
                                mode = "path"
                                data["path"] = workdir / "path.txt"
                                data["path"].write_text(workload[5:] + "\n")
                                load.data["path"] = data["path"]
                                load.items["path"] = [workload[5:]]
                            load.run(mode, args.concurrency, args.warmup)
                            run = ab.measure_clean(
                                load, server, mode, args.concurrency, args.duration, args.attempts
                            )
                            ab.say(
                                f"    {workload:<30} {run['rps']:>7,.0f} req/s  p99 "
                                f"{run['p99_ms']:6.1f} ms  server "
                                f"{run['server_cpu_us_per_request']:>6,.0f} us/req  "
                                f"{run['context_switches_per_request']:>5.1f} cs/req  "
                                f"pg {run['postgres_cores']:.2f}  errors {run['errors']}"
                                f"{'  (disturbed)' if run['disturbed'] else ''}"
                            )
                            results.setdefault(variant, {}).setdefault(workload, []).append(run)
                    finally:
                        server.stop()
            ab.say(f"[{args.backend}] timing the pieces in-process …")
            pieces = in_process(store, filled, prefixes, rng)

    print(
        f"\n{args.backend}, {args.customers:,} customers, {args.concurrency} connections, "
        f"median of {args.rounds} rounds of {args.duration} s"
    )
    print(
        f"{'server variant':<46} {'workload':<28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'us CPU/req':>10} {'cs/req':>6} {'pg cores':>8}"
    )
    summary = []
    for variant, _ in PLAN:
        for workload, runs in results[variant].items():
            row = {
                "variant": variant,
                "workload": workload,
                "rps": statistics.median(r["rps"] for r in runs),
                "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                "us_per_request": statistics.median(r["server_cpu_us_per_request"] for r in runs),
                "switches_per_request": statistics.median(
                    r["context_switches_per_request"] for r in runs
                ),
                "postgres_cores": statistics.median(r["postgres_cores"] for r in runs),
                "errors": sum(r["errors"] for r in runs),
                "disturbed": sum(1 for r in runs if r["disturbed"]),
            }
            summary.append(row)
            print(
                f"{variant:<46} {workload:<28} {row['rps']:>7,.0f} {row['p50_ms']:>7.2f} "
                f"{row['p99_ms']:>7.2f} {row['us_per_request']:>10,.0f} "
                f"{row['switches_per_request']:>6.1f} {row['postgres_cores']:>8.2f}"
                f"{'  errors ' + str(row['errors']) if row['errors'] else ''}"
                f"{'  disturbed ' + str(row['disturbed']) if row['disturbed'] else ''}"
            )
    print("\nin-process (this process, no server running):")
    for name, stats in pieces.items():
        print(f"  {name:<36} p50 {stats['p50_ms']:.3f} ms  p99 {stats['p99_ms']:.3f} ms")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"summary": summary, "in_process": pieces, "runs": results}, indent=1, default=str
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
