"""Daicho ledger benchmark: append throughput and verification speed and memory.

    .venv/bin/python bench/ledger_bench.py            # the full run (fills 1M events per backend)
    .venv/bin/python bench/ledger_bench.py --quick    # a smoke run with small sizes

One run measures, on the same PostgreSQL server and on SQLite (files in a temp dir):

1. single-event appends per second: our chained recorder vs the eventsourcing library's
   plain recorder (built by the library's factory from the same store settings that
   `infra.settings.Settings.store_env()` gives the chained one; separate schema or
   file) vs a bare driver loop (psycopg or sqlite3: INSERT + COMMIT) into an
   equivalent table;
2. 100-event batch appends per second (events/s and batches/s), same three;
3. `verify` events per second (services.audit.verify_ledger on a Ledger) and the
   verifier's peak memory at N_SMALL vs N_LARGE events. Every verify runs in a fresh
   subprocess, started by a small launcher process so that ru_maxrss (which a child
   inherits from whoever exec'd it) starts low.

PostgreSQL: everything goes into a throwaway database (DAICHO_BENCH_PG_URL names the
server, default postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end.

Fairness: contenders are run in rounds whose order rotates (each contender runs first,
second and third equally often), after an unmeasured warm-up; the median round is
reported, with the spread. All contenders get identical events. Timings use
time.perf_counter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EVENTS_PER_AGGREGATE = 10  # event i is version i % 10 + 1 of aggregate i // 10

FULL = {
    "rounds": 6,
    "single": 500,
    "batches": 100,
    "batch_size": 100,
    "warmup": 50,
    "verify_small": 100_000,
    "verify_large": 1_000_000,
    "verify_runs": 3,
    "fill_small_batch": 500,
    "fill_large_batch": 1000,
}
QUICK = {
    "rounds": 3,
    "single": 100,
    "batches": 20,
    "batch_size": 100,
    "warmup": 20,
    # Not 10k/50k: below ~2 x PostgresChainSnapshot.FETCH (20,000 rows) the PostgreSQL
    # verifier's peak still grows with N, so a smaller pair would not test flatness.
    "verify_small": 50_000,
    "verify_large": 150_000,
    "verify_runs": 1,
    "fill_small_batch": 500,
    "fill_large_batch": 1000,
}

TARGET_APPEND_RATIO = 0.9
TARGET_VERIFY_EPS = 100_000
TARGET_MEMORY_RATIO = 1.2
QUIET_CORES = 0.15  # other processes' average CPU use above which a phase is flagged


# --------------------------------------------------------------------------- memory


def _proc_status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0); ru_maxrss is not reset."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- foreign load


class ForeignLoad:
    """CPU used by processes that are not this benchmark's (nor the PostgreSQL processes
    that serve it), from /proc: on a 2-core machine another job skews every figure, so
    each phase reports how busy the rest of the machine was."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, own_database: str) -> None:
        self.own_database = own_database
        self._mark = self._snapshot()
        self._mark_time = time.monotonic()

    def _foreign(self, pid: int, cmdline: str, ancestors: set[int]) -> bool:
        if pid in ancestors:
            return False
        if cmdline.startswith("postgres:"):
            # "postgres: 15/main: user db host(port) state" for a backend; background
            # processes (checkpointer, walwriter...) are shared and counted as ours.
            parts = cmdline.split()
            return len(parts) >= 5 and parts[3] != self.own_database
        # The postmaster is shared too: exited backends, ours included, add to its cutime.
        return "bin/postgres " not in cmdline + " "

    def _snapshot(self) -> dict[tuple[int, int], tuple[str, int]]:
        stats: dict[int, tuple[int, int, str, int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    data = f.read()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            close = data.rfind(b")")
            fields = data[close + 2 :].split()
            if not cmdline:
                continue  # kernel threads: mostly writeback, much of it for our own writes
            # ppid; utime + stime + cutime + cstime (so that short-lived children show up
            # in their parent once waited for); cmdline; start time (pids get reused)
            ticks = sum(int(x) for x in fields[11:15])
            stats[int(entry)] = (int(fields[1]), ticks, cmdline, int(fields[19]))
        ours = {os.getpid()}
        changed = True
        while changed:  # our descendants: the launcher and its workers
            changed = False
            for pid, (ppid, *_) in stats.items():
                if ppid in ours and pid not in ours:
                    ours.add(pid)
                    changed = True
        return {
            (pid, start): (cmd, ticks)
            for pid, (_, ticks, cmd, start) in stats.items()
            if self._foreign(pid, cmd, ours)
        }

    def take(self) -> dict[str, Any]:
        """Foreign CPU since the last take: cores used on average, and the top users."""
        now, now_time = self._snapshot(), time.monotonic()
        wall = now_time - self._mark_time
        used = {}
        for key, (cmd, ticks) in now.items():
            before = self._mark.get(key)
            delta = ticks - (before[1] if before else 0)
            if delta > 0:
                used[cmd] = used.get(cmd, 0) + delta / self.TICK
        self._mark, self._mark_time = now, now_time
        top = sorted(used.items(), key=lambda kv: -kv[1])[:3]
        return {
            "wall_s": wall,
            "cores": sum(used.values()) / wall if wall else 0.0,
            "top": [(cmd[:70], round(cpu, 1)) for cmd, cpu in top],
        }

    def wait_quiet(self, threshold: float, max_wait: float) -> None:
        deadline = time.monotonic() + max_wait
        self.take()
        while True:
            time.sleep(10)
            load = self.take()
            if load["cores"] < threshold:
                return
            if time.monotonic() > deadline:
                print(
                    f"  machine still busy after {max_wait:.0f} s; running anyway", file=sys.stderr
                )
                return
            print(
                f"  waiting for a quiet machine: other processes use "
                f"{load['cores']:.2f} cores ({load['top'][:1]})",
                file=sys.stderr,
                flush=True,
            )


# --------------------------------------------------------------------------- launcher


def launcher_main() -> None:
    """Runs the commands it is sent, one JSON line each; stays small so its children's
    inherited ru_maxrss stays small."""
    for line in sys.stdin:
        argv = json.loads(line)
        proc = subprocess.run(argv, capture_output=True, text=True)
        sys.stdout.write(
            json.dumps({"rc": proc.returncode, "out": proc.stdout, "err": proc.stderr}) + "\n"
        )
        sys.stdout.flush()


class Launcher:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, argv: list[str]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(argv) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if answer["rc"] != 0:
            raise RuntimeError(f"worker failed ({answer['rc']}):\n{answer['err']}")
        return json.loads(answer["out"].strip().splitlines()[-1])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --------------------------------------------------------------------------- verify worker


def worker_main(spec: dict[str, Any]) -> None:
    """One verify in a fresh process: time, ru_maxrss, VmHWM, optionally tracemalloc."""
    import gc
    import resource
    import tracemalloc

    from infra.ledger import Ledger
    from infra.settings import Settings
    from services.audit import verify_ledger

    maxrss_at_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if "fetch" in spec or "binary" in spec:
        _patch_snapshot(spec.get("fetch"), spec.get("binary", False))  # experiments only
    ledger = Ledger(
        Settings(
            home=Path(spec["home"]),
            database_url=spec.get("url"),
            database_schema=spec.get("schema") or "public",
        )
    )
    gc.collect()
    rss_before = _proc_status_kb("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_reset = _reset_peak_rss()
    traced = spec["mode"] == "tracemalloc"
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    report = verify_ledger(ledger)
    wall = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_after = _proc_status_kb("VmHWM")
    ledger.close()
    if not report.ok:
        raise SystemExit(f"verify found problems: {report.as_dict()['first_problem']}")
    print(
        json.dumps(
            {
                "events": report.events_checked,
                "wall_s": wall,
                "report_s": report.elapsed_seconds,
                "eps": report.events_checked / wall,
                "maxrss_at_start_kb": maxrss_at_start,
                "maxrss_before_kb": maxrss_before,
                "rss_before_kb": rss_before,
                "maxrss_after_kb": maxrss_after,
                "maxrss_delta_kb": maxrss_after - rss_before,
                "hwm_delta_kb": (hwm_after - rss_before) if hwm_reset else None,
                "tracemalloc_peak_b": traced_peak,
            }
        )
    )


def _patch_snapshot(fetch: int | None, binary: bool) -> None:
    """For bench/verify_variants.py: the PostgreSQL snapshot with another page size and/or
    binary-format cursors, patched in this worker process only (infra/ is unchanged)."""
    from psycopg.rows import tuple_row

    from infra.postgres_store import PostgresChainSnapshot

    if fetch:
        PostgresChainSnapshot.FETCH = fetch

    def _stream(self: Any, query: Any, **extra: Any) -> Any:
        name = f"verify_{next(self._cursor_numbers)}"
        with self._connection.cursor(name=name, row_factory=tuple_row, binary=binary) as cur:
            cur.itersize = self.FETCH
            cur.execute(query.format(**self._names, **extra))
            yield from cur

    PostgresChainSnapshot._stream = _stream  # type: ignore[method-assign]


# --------------------------------------------------------------------------- events


def sample_state() -> tuple[str, bytes]:
    """A real Customer.Changed event (one field changed) as the Ledger's mapper stores it."""
    from datetime import date

    from eventsourcing.persistence import JSONTranscoder, Mapper

    from domain.context import EventContext
    from domain.customer import Customer
    from infra.ledger import Ledger

    transcoder = JSONTranscoder()
    Ledger.register_transcodings(Ledger.__new__(Ledger), transcoder)
    mapper: Mapper[Any] = Mapper(transcoder=transcoder)
    context = EventContext(
        actor="u_3f9c2a71d4e8",
        agency_id=uuid.UUID(int=7),
        request_id=uuid.uuid4().hex,
        source="203.0.113.42",
        reason="顧客からの電話で住所変更",
    )
    customer = Customer.register(
        context,
        today=date(2025, 4, 1),
        kind="person",
        name="山田 太郎",
        kana="ヤマダ タロウ",
        birth_date=date(1980, 5, 17),
        postal_code="150-0002",
        address="東京都渋谷区渋谷2丁目21-1",
        phones=["03-1234-5678"],
        email="taro.yamada@example.co.jp",
        agent_id="agent-0042",
    )
    customer.collect_events()
    customer.change(context, today=date(2025, 4, 1), address="東京都新宿区西新宿2-8-1")
    stored = mapper.to_stored_event(customer.collect_events()[0])
    return stored.topic, stored.state


class EventSource:
    """Aggregates of EVENTS_PER_AGGREGATE events each, in order; every contender gets
    the same list."""

    def __init__(self, topic: str, state: bytes) -> None:
        self.topic, self.state = topic, state
        self.count = 0
        self._aggregate = uuid.uuid4()

    def take(self, n: int) -> list[Any]:
        from eventsourcing.persistence import StoredEvent

        events = []
        for _ in range(n):
            version = self.count % EVENTS_PER_AGGREGATE + 1
            if version == 1:
                self._aggregate = uuid.uuid4()
            events.append(StoredEvent(self._aggregate, version, self.topic, self.state))
            self.count += 1
        return events


# --------------------------------------------------------------------------- contenders


class Contender:
    name = ""

    def append_one(self, events: list[Any]) -> None:
        raise NotImplementedError

    def append_batches(self, batches: list[list[Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class RecorderContender(Contender):
    def __init__(self, name: str, env: dict[str, str]) -> None:
        from eventsourcing.persistence import InfrastructureFactory
        from eventsourcing.utils import Environment

        self.name = name
        self.factory = InfrastructureFactory.construct(Environment("daicho", env))
        self.recorder = self.factory.application_recorder()

    def append_one(self, events: list[Any]) -> None:
        insert = self.recorder.insert_events
        for event in events:
            insert([event])

    def append_batches(self, batches: list[list[Any]]) -> None:
        insert = self.recorder.insert_events
        for batch in batches:
            insert(batch)

    def close(self) -> None:
        self.factory.close()


class BarePostgres(Contender):
    name = "bare psycopg"

    def __init__(self, url: str, schema: str) -> None:
        import psycopg
        from psycopg.sql import SQL, Identifier

        self.conn = psycopg.connect(url)  # not autocommit: INSERT ...; COMMIT
        names = {"s": Identifier(schema)}
        with self.conn.transaction():
            self.conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {s}").format(**names))
            self.conn.execute(
                SQL(
                    "CREATE TABLE {s}.stored_events (originator_id uuid NOT NULL, "
                    "originator_version bigint NOT NULL, topic text, state bytea, "
                    "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
                ).format(**names)
            )
            self.conn.execute(
                SQL("CREATE UNIQUE INDEX ON {s}.stored_events (notification_id)").format(**names)
            )
        self.insert = SQL(
            "INSERT INTO {s}.stored_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id"
        ).format(**names)

    def append_one(self, events: list[Any]) -> None:
        conn, insert = self.conn, self.insert
        cur = conn.cursor()
        for e in events:
            cur.execute(
                insert, (e.originator_id, e.originator_version, e.topic, e.state), prepare=True
            )
            cur.fetchone()
            conn.commit()

    def append_batches(self, batches: list[list[Any]]) -> None:
        conn, insert = self.conn, self.insert
        cur = conn.cursor()
        for batch in batches:
            cur.executemany(
                insert,
                [(e.originator_id, e.originator_version, e.topic, e.state) for e in batch],
                returning=True,
            )
            conn.commit()

    def close(self) -> None:
        self.conn.close()


class BareSQLite(Contender):
    name = "bare sqlite3"

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")  # as the library's datastore does
        self.conn.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        self.sql = "INSERT INTO stored_events VALUES (?,?,?,?)"

    def append_one(self, events: list[Any]) -> None:
        conn, sql = self.conn, self.sql
        cur = conn.cursor()
        for e in events:
            cur.execute("BEGIN")
            cur.execute(sql, (e.originator_id.hex, e.originator_version, e.topic, e.state))
            cur.lastrowid  # noqa: B018 - what the recorder returns
            cur.execute("COMMIT")

    def append_batches(self, batches: list[list[Any]]) -> None:
        conn, sql = self.conn, self.sql
        cur = conn.cursor()
        for batch in batches:
            cur.execute("BEGIN")
            for e in batch:
                cur.execute(sql, (e.originator_id.hex, e.originator_version, e.topic, e.state))
                cur.lastrowid  # noqa: B018
            cur.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def postgres_env(url: str, schema: str, *, chained: bool) -> dict[str, str]:
    from infra.settings import Settings

    env = Settings(home=Path("/nonexistent"), database_url=url, database_schema=schema).store_env()
    if not chained:
        del env["APPLICATION_RECORDER_TOPIC"]
    return env


def sqlite_env(home: Path, *, chained: bool) -> dict[str, str]:
    from infra.settings import Settings

    home.mkdir(parents=True, exist_ok=True)
    env = Settings(home=home).store_env()
    if not chained:
        # The library as it comes: its own factory and recorder.
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        del env["APPLICATION_RECORDER_TOPIC"]
    return env


def ensure_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg.sql import SQL, Identifier

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


# --------------------------------------------------------------------------- append benchmark


def guarded(
    guard: ForeignLoad | None, attempt: Any, label: str, max_redo: int = 5
) -> tuple[Any, int]:
    """Runs attempt(); if other processes were busy meanwhile, waits for quiet and runs a
    fresh attempt instead (at most max_redo times). Returns the result and the redo count."""
    for redo in range(max_redo + 1):
        if guard is None:
            return attempt(), 0
        guard.take()
        result = attempt()
        load = guard.take()
        if load["cores"] < QUIET_CORES or redo == max_redo:
            return result, redo
        print(
            f"  [{label}] other processes used {load['cores']:.2f} cores "
            f"({load['top'][:1]}): discarded, waiting for quiet to redo",
            file=sys.stderr,
            flush=True,
        )
        guard.wait_quiet(QUIET_CORES, 600)
    raise AssertionError("unreachable")


def run_appends(
    contenders: list[Contender],
    source: EventSource,
    sizes: dict[str, int],
    label: str,
    guard: ForeignLoad | None = None,
) -> dict[str, Any]:
    import gc

    # Unmeasured warm-up: pools open, statements prepared, tables touched.
    warm = source.take(sizes["warmup"])
    warm_batches = [source.take(sizes["batch_size"]) for _ in range(3)]
    for c in contenders:
        c.append_one(warm)
        c.append_batches(warm_batches)

    results: dict[str, Any] = {c.name: {"single": [], "batch": []} for c in contenders}
    results["redone"] = {"single": 0, "batch": 0}
    n = len(contenders)
    for kind in ("single", "batch"):
        for r in range(sizes["rounds"]):
            order = contenders[r % n :] + contenders[: r % n]

            def attempt(kind: str = kind, order: list[Any] = order) -> dict[str, float]:
                # Fresh events on every attempt: a discarded attempt's rows stay stored.
                if kind == "single":
                    events = source.take(sizes["single"])
                else:
                    batches = [source.take(sizes["batch_size"]) for _ in range(sizes["batches"])]
                    events = [e for b in batches for e in b]
                figures = {}
                for c in order:
                    gc.collect()
                    started = time.perf_counter()
                    if kind == "single":
                        c.append_one(events)
                    else:
                        c.append_batches(batches)
                    figures[c.name] = len(events) / (time.perf_counter() - started)
                return figures

            figures, redone = guarded(guard, attempt, f"{label} {kind} round {r + 1}")
            results["redone"][kind] += redone
            for name, eps in figures.items():
                results[name][kind].append(eps)
            print(
                f"  [{label}] {kind} round {r + 1}/{sizes['rounds']}: "
                + ", ".join(f"{c.name} {figures[c.name]:,.0f} ev/s" for c in contenders),
                file=sys.stderr,
                flush=True,
            )
    return results


# --------------------------------------------------------------------------- verify benchmark


def fill(recorder: Any, source: EventSource, count: int, batch: int) -> float:
    started = time.perf_counter()
    remaining = count
    while remaining > 0:
        n = min(batch, remaining)
        recorder.insert_events(source.take(n))
        remaining -= n
    return time.perf_counter() - started


def chain_scans(url: str, schema: str) -> dict[str, int]:
    """How the chained recorder's lookups reached its events table (pg_stat_user_tables)."""
    import psycopg

    time.sleep(1.5)  # give the exiting backends time to report their table counters
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT seq_scan, seq_tup_read, idx_scan, n_live_tup FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname = 'stored_events'",
            (schema,),
        ).fetchone()
    assert row is not None
    return dict(zip(("seq_scan", "seq_tup_read", "idx_scan", "rows"), row, strict=True))


def settle_postgres(url: str, schema: str) -> None:
    """VACUUM ANALYZE after the bulk fill: hint bits set and statistics current, as on a
    ledger that autovacuum has visited (otherwise the first reader pays for both)."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("VACUUM (ANALYZE) {}.stored_events").format(Identifier(schema)))


def settle_sqlite(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def verify_runs(
    launcher: Launcher,
    specs: dict[str, dict[str, Any]],
    runs: int,
    guard: ForeignLoad | None = None,
) -> dict[str, dict[str, Any]]:
    """Timed runs interleaved across backends, then one tracemalloc run each."""
    out: dict[str, dict[str, Any]] = {b: {"timed": [], "traced": None, "redone": 0} for b in specs}
    argv = [sys.executable, __file__, "--worker"]
    backends = list(specs)
    for r in range(runs):
        for b in backends[r % len(backends) :] + backends[: r % len(backends)]:
            result, redone = guarded(
                guard,
                lambda b=b: launcher.run(argv + [json.dumps({**specs[b], "mode": "timed"})]),
                f"verify {b}",
            )
            out[b]["timed"].append(result)
            out[b]["redone"] += redone
            print(
                f"  [verify {b}] {result['events']:,} events: {result['eps']:,.0f} ev/s, "
                f"ru_maxrss delta {result['maxrss_delta_kb'] / 1024:.1f} MiB",
                file=sys.stderr,
                flush=True,
            )
    for b in backends:  # memory only: contention does not change it
        result = launcher.run(argv + [json.dumps({**specs[b], "mode": "tracemalloc"})])
        out[b]["traced"] = result
        print(
            f"  [verify {b}] tracemalloc peak {result['tracemalloc_peak_b'] / 2**20:.1f} MiB",
            file=sys.stderr,
            flush=True,
        )
    return out


# --------------------------------------------------------------------------- report


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(
    meta: dict[str, Any],
    appends: dict[str, Any],
    verify: dict[str, Any],
    sizes: dict[str, int],
    loads: dict[str, Any],
) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"Daicho ledger benchmark ({meta['mode']})")
    add(
        f"  machine: nproc={meta['nproc']}, {meta['cpu']}, {meta['mem_gib']:.1f} GiB RAM, "
        f"kernel {meta['kernel']}"
    )
    add(f"  {meta['postgres']}")
    add(f"  code: {meta['code']}")
    add(
        f"  SQLite {meta['sqlite']}, Python {meta['python']}, eventsourcing "
        f"{meta['eventsourcing']}, psycopg {meta['psycopg']}"
    )
    start, end = meta["loadavg_start"], os.getloadavg()
    add(
        "  load average (1/5/15 min) at start "
        + "/".join(f"{x:.2f}" for x in start)
        + ", at end "
        + "/".join(f"{x:.2f}" for x in end)
    )
    add(
        f"  event state: {meta['state_bytes']} bytes JSON ({meta['topic']}), "
        f"{EVENTS_PER_AGGREGATE} events per aggregate"
    )
    add("")
    backends = [("postgres", "PostgreSQL"), ("sqlite", "SQLite")]
    roles = [
        ("chained", "chained recorder"),
        ("plain", "plain library recorder"),
        ("bare", "bare driver loop"),
    ]

    def fig(xs: list[float]) -> str:
        return f"{_med(xs):>9,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"

    add(
        f"1. Single-event appends, events/s: median of {sizes['rounds']} rounds x "
        f"{sizes['single']} appends (min-max)"
    )
    add(f"   {'':<24}" + "".join(f"{title:>28}" for _, title in backends))
    for role, title in roles:
        add(
            f"   {title:<24}"
            + "".join(f"{fig(appends[b][role]['single']):>28}" for b, _ in backends)
        )
    ratio_line = f"   {'chained / plain':<24}"
    for b, _ in backends:
        ratio = _med(appends[b]["chained"]["single"]) / _med(appends[b]["plain"]["single"])
        appends[b]["single_ratio"] = ratio
        ratio_line += f"{f'{ratio:.2f} {_verdict(ratio >= TARGET_APPEND_RATIO)}':>28}"
    add(ratio_line + f"   (target >= {TARGET_APPEND_RATIO})")
    add("")
    bs = sizes["batch_size"]
    add(
        f"2. {bs}-event batch appends: median of {sizes['rounds']} rounds x "
        f"{sizes['batches']} batches; events/s (min-max) and batches/s"
    )
    add(f"   {'':<24}" + "".join(f"{title:>28}{'batches/s':>11}" for _, title in backends))
    for role, title in roles:
        row = f"   {title:<24}"
        for b, _ in backends:
            xs = appends[b][role]["batch"]
            row += f"{fig(xs):>28}{_med(xs) / bs:>11,.1f}"
        add(row)
    ratio_line = f"   {'chained / plain':<24}"
    for b, _ in backends:
        ratio = _med(appends[b]["chained"]["batch"]) / _med(appends[b]["plain"]["batch"])
        appends[b]["batch_ratio"] = ratio
        ratio_line += f"{f'{ratio:.2f} {_verdict(ratio >= TARGET_APPEND_RATIO)}':>28}{'':>11}"
    add(ratio_line + f"   (target >= {TARGET_APPEND_RATIO})")
    scans = appends["postgres"]["chain_scans"]
    add(
        f"   PostgreSQL stored_events of the chained contender after sections 1-2: "
        f"{scans['rows']:,} rows, {scans['seq_scan']:,} sequential scans reading "
        f"{scans['seq_tup_read']:,} rows, {scans['idx_scan']:,} index scans"
    )
    add("")
    small, large = sizes["verify_small"], sizes["verify_large"]
    add(
        f"3. verify (services.audit.verify_ledger), each run in a fresh process; "
        f"median of {sizes['verify_runs']} run(s)"
    )
    add(f"   {'':<40}" + "".join(f"{title:>16}" for _, title in backends))
    for n in (small, large):
        add(
            f"   {f'events/s at {n:,} events':<40}"
            + "".join(
                f"{_med([r['eps'] for r in verify[b][n]['timed']]):>16,.0f}" for b, _ in backends
            )
        )
    for n in (small, large):
        add(
            f"   {f'seconds at {n:,} events':<40}"
            + "".join(
                f"{_med([r['wall_s'] for r in verify[b][n]['timed']]):>16.2f}" for b, _ in backends
            )
        )
    for n in (small, large):
        add(
            f"   {f'fill time at {n:,} (not measured)':<40}"
            + "".join(f"{verify[b][n]['fill_s']:>15.1f}s" for b, _ in backends)
        )
    eps_pg = _med([r["eps"] for r in verify["postgres"][small]["timed"]])
    add(
        f"   verify >= {TARGET_VERIFY_EPS:,} events/s on PostgreSQL at {small:,}: "
        f"{eps_pg:,.0f}  {_verdict(eps_pg >= TARGET_VERIFY_EPS)}"
    )
    add("")
    add(f"   peak memory of the verifier, {small:,} vs {large:,} events (MiB)")
    add(f"   {'':<40}" + "".join(f"{title:>16}" for _, title in backends))
    measures = [
        ("ru_maxrss - RSS before verify", lambda r: r["maxrss_delta_kb"] / 1024, "timed"),
        ("VmHWM (reset) - RSS before", lambda r: (r["hwm_delta_kb"] or 0) / 1024, "timed"),
        ("tracemalloc peak (separate run)", lambda r: r["tracemalloc_peak_b"] / 2**20, "traced"),
    ]
    memory_ok = True
    for title, get, kind in measures:
        values = {}
        for b, _ in backends:
            for n in (small, large):
                data = verify[b][n][kind]
                values[b, n] = _med([get(r) for r in data]) if kind == "timed" else get(data)
        for n in (small, large):
            add(
                f"   {f'{title} @ {n:,}':<40}"
                + "".join(f"{values[b, n]:>16.2f}" for b, _ in backends)
            )
        row = f"   {f'  ratio {large:,} / {small:,}':<40}"
        for b, _ in backends:
            ratio = values[b, large] / values[b, small] if values[b, small] else float("inf")
            ok = ratio <= TARGET_MEMORY_RATIO
            if kind != "timed" or title.startswith("ru_maxrss"):
                memory_ok &= ok
            row += f"{f'{ratio:.2f} {_verdict(ok)}':>16}"
        add(row + f"   (target <= {TARGET_MEMORY_RATIO})")
    from infra.postgres_store import PostgresChainSnapshot

    add(
        f"   (PostgreSQL snapshots stream {PostgresChainSnapshot.FETCH:,} rows per FETCH; "
        "the peak is flat only once N is above ~2 pages)"
    )
    add(
        "   (RSS before verify, ru_maxrss at worker start: "
        + ", ".join(
            f"{title} {_med([r['rss_before_kb'] for r in verify[b][small]['timed']]) / 1024:.0f}/"
            f"{_med([r['maxrss_at_start_kb'] for r in verify[b][small]['timed']]) / 1024:.0f} MiB"
            for b, title in backends
        )
        + ")"
    )
    add("")
    add(
        "Other processes' CPU per phase, including discarded rounds and waits "
        "(0 = machine to ourselves)"
    )
    for phase, load in loads.items():
        top = f"; top: {load['top'][0][0]} {load['top'][0][1]} s" if load["top"] else ""
        add(f"   {phase:<28} {load['cores']:.2f} cores over {load['wall_s']:.0f} s{top}")
    add(
        f"   rounds discarded and redone because other processes used >= {QUIET_CORES} cores: "
        + ", ".join(
            f"{title} appends single {appends[b]['redone']['single']} batch "
            f"{appends[b]['redone']['batch']}"
            for b, title in backends
        )
        + ", verify "
        + ", ".join(
            f"{title} {sum(verify[b][n]['redone'] for n in verify[b])}" for b, title in backends
        )
    )
    add("")
    add("Targets")
    for b, title in backends:
        for kind, label in (("single", "single append"), ("batch", "batch append ")):
            ratio = appends[b][f"{kind}_ratio"]
            add(
                f"   chained {label} >= {TARGET_APPEND_RATIO} x plain ({title}): "
                f"{ratio:.2f}  {_verdict(ratio >= TARGET_APPEND_RATIO)}"
            )
    add(
        f"   verify >= {TARGET_VERIFY_EPS:,} events/s on PostgreSQL: {eps_pg:,.0f}  "
        f"{_verdict(eps_pg >= TARGET_VERIFY_EPS)}"
    )
    add(
        f"   verify peak memory at {large:,} within {TARGET_MEMORY_RATIO} x {small:,} "
        f"(ru_maxrss and tracemalloc, both backends): {_verdict(memory_ok)}"
    )
    return "\n".join(lines)


def machine_meta(url: str, mode: str, state: bytes, topic: str) -> dict[str, Any]:
    import sqlite3
    from importlib.metadata import version

    import psycopg

    with psycopg.connect(url) as conn:
        pg = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method')"
            ).fetchall()
        )
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "mode": mode,
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "cpu": cpu,
        "mem_gib": mem,
        "kernel": platform.release(),
        "postgres": pg.split(" on ")[0]
        + " (shared_buffers "
        + str(int(settings.get("shared_buffers", "0")) * 8 // 1024)
        + " MiB, fsync "
        + settings.get("fsync", "?")
        + ", synchronous_commit "
        + settings.get("synchronous_commit", "?")
        + ")",
        "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(),
        "eventsourcing": version("eventsourcing"),
        "psycopg": version("psycopg"),
        "state_bytes": len(state),
        "topic": topic,
        "loadavg_start": os.getloadavg(),
        "code": _code_version(),
    }


def _code_version() -> str:
    """The commit measured, and whether the measured code differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True
        ).stdout.strip()

    changed = git("status", "--porcelain", "--", "infra", "services", "domain")
    return f"commit {git('rev-parse', '--short', 'HEAD')}" + (
        " + uncommitted changes in "
        + ", ".join(sorted({line[3:].split("/")[0] for line in changed.splitlines()}))
        if changed
        else " (infra/, services/, domain/ unmodified)"
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--pg-url", default=os.environ.get("DAICHO_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start at once, even if other processes keep the CPUs busy",
    )
    parser.add_argument(
        "--no-redo", action="store_true", help="keep rounds during which other processes were busy"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=1800.0,
        help="longest wait for a quiet machine, in seconds",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    launcher = Launcher()  # first, while this process is still small

    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.sql import SQL, Identifier

    dbname = f"daicho_bench_{uuid.uuid4().hex[:8]}"
    foreign = ForeignLoad(dbname)  # per phase, for the report
    guard = None if args.no_redo else ForeignLoad(dbname)  # per round, to redo contended ones
    if not args.no_wait:
        foreign.wait_quiet(QUIET_CORES, args.max_wait)
    loads: dict[str, Any] = {}
    params = conninfo_to_dict(args.pg_url)
    user = params.get("user", "postgres")
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    password = params.get("password") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    url = f"postgresql://{auth}{host}:{port}/{dbname}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    contenders: list[Contender] = []
    try:
        with tempfile.TemporaryDirectory(prefix="daicho-bench-") as tmp:
            tmp_path = Path(tmp)
            topic, state = sample_state()
            meta = machine_meta(url, "quick" if args.quick else "full", state, topic)
            print(f"PostgreSQL database {dbname}, SQLite files in {tmp}", file=sys.stderr)

            appends: dict[str, Any] = {}
            # ---- PostgreSQL appends
            for schema in ("chained", "plain"):
                ensure_schema(url, schema)
            pg = [
                RecorderContender("chained", postgres_env(url, "chained", chained=True)),
                RecorderContender("plain", postgres_env(url, "plain", chained=False)),
                BarePostgres(url, "bare"),
            ]
            pg[2].name = "bare"
            contenders += pg
            source = EventSource(topic, state)
            foreign.take()
            appends["postgres"] = run_appends(pg, source, sizes, "postgres", guard)
            loads["PostgreSQL appends"] = foreign.take()
            for c in pg:
                c.close()  # backends report their table counters when they exit
            appends["postgres"]["chain_scans"] = chain_scans(url, "chained")
            # ---- SQLite appends
            lite = [
                RecorderContender("chained", sqlite_env(tmp_path / "chained", chained=True)),
                RecorderContender("plain", sqlite_env(tmp_path / "plain", chained=False)),
                BareSQLite(tmp_path / "bare.sqlite3"),
            ]
            lite[2].name = "bare"
            contenders += lite
            source = EventSource(topic, state)
            foreign.take()
            appends["sqlite"] = run_appends(lite, source, sizes, "sqlite", guard)
            loads["SQLite appends"] = foreign.take()
            for c in lite:
                c.close()

            # ---- verify
            from infra.ledger import Ledger
            from infra.settings import Settings

            pg_settings = Settings(
                home=tmp_path / "verify-pg", database_url=url, database_schema="verify"
            )
            lite_settings = Settings(home=tmp_path / "verify-sqlite")
            specs = {
                "postgres": {"home": str(pg_settings.home), "url": url, "schema": "verify"},
                "sqlite": {"home": str(lite_settings.home)},
            }
            ledgers = {"postgres": Ledger(pg_settings), "sqlite": Ledger(lite_settings)}
            sources = {b: EventSource(topic, state) for b in ledgers}
            verify: dict[str, Any] = {"postgres": {}, "sqlite": {}}
            filled = 0
            for n, batch in (
                (sizes["verify_small"], sizes["fill_small_batch"]),
                (sizes["verify_large"], sizes["fill_large_batch"]),
            ):
                fills = {}
                for b, ledger in ledgers.items():
                    print(
                        f"  [verify {b}] filling to {n:,} events in batches of {batch}",
                        file=sys.stderr,
                        flush=True,
                    )
                    fills[b] = fill(ledger.recorder, sources[b], n - filled, batch)
                    print(
                        f"  [verify {b}] filled in {fills[b]:.1f} s "
                        f"({(n - filled) / fills[b]:,.0f} ev/s)",
                        file=sys.stderr,
                        flush=True,
                    )
                settle_postgres(url, "verify")
                settle_sqlite(lite_settings.sqlite_path)
                filled = n
                foreign.take()
                results = verify_runs(launcher, specs, sizes["verify_runs"], guard)
                loads[f"verify runs at {n:,}"] = foreign.take()
                for b in ledgers:
                    verify[b][n] = {**results[b], "fill_s": fills[b]}
            for ledger in ledgers.values():
                ledger.close()

            text = render(meta, appends, verify, sizes, loads)
            print(text)
            if args.json:
                args.json.write_text(
                    json.dumps(
                        {
                            "meta": meta,
                            "sizes": sizes,
                            "appends": appends,
                            "loads": loads,
                            "verify": {
                                b: {str(n): v for n, v in d.items()} for b, d in verify.items()
                            },
                        },
                        indent=1,
                        default=str,
                    )
                )
    finally:
        for c in contenders:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - best effort
                pass
        launcher.close()
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(Identifier(dbname)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--launcher":
        launcher_main()
    elif len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker_main(json.loads(sys.argv[2]))
    else:
        main()
