"""Daicho API benchmark: requests/s and latency of the customer routes beside a bare route.

    .venv/bin/python bench/api_bench.py                        # SQLite, 100,000 customers
    .venv/bin/python bench/api_bench.py --backend postgres     # PostgreSQL (throwaway schema)
    .venv/bin/python bench/api_bench.py --backend both --json /tmp/api.json
    .venv/bin/python bench/api_bench.py --quick                # smoke run: 3 s phases
    .venv/bin/python bench/api_bench.py --profile              # + a py-spy profile per route
    .venv/bin/python bench/api_bench.py --snapshot             # measure a clean copy of HEAD

Load generator: wrk (a C program) when it is on PATH, else the Python one in
bench/api_loadgen.py (--loadgen python forces it). Install wrk on Debian/Ubuntu with

    apt-get update && apt-get install -y wrk

On a 2-core machine the generator shares the CPU with the server, and the Python
generator needs several times more CPU per request than wrk, so with it the figures
are lower bounds; every result says which generator made it.

One run per backend:

1. fills a fresh store — a temp DAICHO_HOME for SQLite; for PostgreSQL a throwaway
   schema (DAICHO_BENCH_PG_URL names the server and database, default
   postgresql://postgres@127.0.0.1:5432/daicho_api_bench, created if missing; the
   schema is dropped at the end) — with one agency, one agent user
   (services.users.add_user) and N customers (Customer.register with Faker ja_JP
   names whose kana match them, saved through the Ledger in batches of 1,000), then
   brings the read models up to date (projections.runner.Projections.catch_up)
   before any server starts;
2. times `projections.queries.search_customers` in-process for 1,000 random kana
   prefixes (the first 2 or 3 kana of existing customers' family names, every other
   one in hiragana), with no server running: the server-side cost of a search;
3. starts ONE server process (bench/api_server.py: `create_app` as `daicho serve`
   builds it, uvicorn, 1 worker, plus the bare route GET /bench/constant), logs in
   through POST /api/v1/auth/login, checks one request of each kind, and warms up;
4. finds the concurrency where the bare route saturates: 1, 4, 16 and 64 connections
   (two passes in opposite orders, averaged), the smallest reaching 95% of the best
   requests/s; GET customer is also measured at each of these levels;
5. at that concurrency, for each workload an unmeasured warm-up and then a measured
   run of fixed duration: the bare route; GET /api/v1/customers/{id} (random filled
   ids); GET /api/v1/customers?q= (random prefixes as above); POST
   /api/v1/customers (valid bodies); PATCH /api/v1/customers/{id} (each connection
   changes its own customers, with If-Match from the ETag of its previous answer);
   then the bare route again, to show drift. Any status outside 2xx is an error;
6. measures the bare route and GET customer in interleaved pairs (--pairs, each run
   as long as above, the order alternating): the GET/bare ratio of the target is the
   median of the pairs' ratios. Each pair's two runs lie seconds apart, so a change in
   what the machine's host gives it (seen here: the bare route 30 % slower from one
   minute to the next, with no process of ours busy) moves both alike.

During every measured run the CPU time of the server process, of the PostgreSQL
processes serving it, of the load generator and of the rest of the machine is
recorded. The machine may be shared: a run during which other processes used more
than REST_LIMIT cores is run again (up to --attempts times; the quietest is kept and
flagged "!" if it still was disturbed).

Targets (the issue's): GET customer >= 0.5 x the bare route's requests/s (the median
ratio of step 6, the step-5 ratio beside it); GET p99 <
20 ms at that concurrency; search over 100,000 customers < 50 ms p99 (in-process, and
the HTTP p99 is shown beside it).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/daicho_api_bench"
AGENCY_CODE = "bench"
USERNAME = "bench-agent"
FILL_BATCH = 1000
POST_BODIES = 5000
SEARCH_SAMPLES = 1000
SEED = 20261203

FULL = {
    "duration": 10,
    "warmup": 2,
    "scan_duration": 3,
    "scan_passes": 2,
    "levels": (1, 4, 16, 64),
    "pairs": 5,
}
QUICK = {
    "duration": 3,
    "warmup": 1,
    "scan_duration": 2,
    "scan_passes": 1,
    "levels": (1, 4, 16, 64),
    "pairs": 3,
}
SATURATION_SHARE = 0.95
# Cores that other processes may use during a measured run before it is run again.
REST_LIMIT = 0.2

TARGET_GET_RATIO = 0.5
TARGET_GET_P99_MS = 20.0
TARGET_SEARCH_P99_MS = 50.0

WORKLOADS = ("constant", "get", "search", "post", "patch")
LABELS = {
    "constant": "bare GET /bench/constant",
    "get": "GET /api/v1/customers/{id}",
    "search": "GET /api/v1/customers?q=<kana>",
    "post": "POST /api/v1/customers",
    "patch": "PATCH /api/v1/customers/{id}",
    "constant_again": "bare route again (drift)",
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def _command_output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_facts(pg_url: str | None, loadgen: str) -> dict[str, Any]:
    import uvicorn

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), ""
        )
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "litestar": _pkg_version("litestar"),
        "uvicorn": uvicorn.__version__,
        "loadgen": loadgen,
        "wrk": _command_output(["wrk", "--version"]).splitlines()[0] if loadgen == "wrk" else None,
        "loadavg_at_start": os.getloadavg(),
        "code": os.environ.get("DAICHO_BENCH_CODE") or _working_tree(),
    }
    if pg_url:
        with contextlib.suppress(Exception):
            import psycopg

            with psycopg.connect(pg_url, connect_timeout=3) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                facts["postgresql"] = row[0] if row else None
    return facts


def _working_tree() -> str:
    head = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changed = [
        line
        for line in _command_output(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]
        ).splitlines()
    ]
    return f"working tree at {head}" + (f" with {len(changed)} changed files" if changed else "")


BENCH_FILES = (
    "api_bench.py",
    "api_server.py",
    "api_load.lua",
    "api_loadgen.py",
    "api_breakdown.py",
)


def run_from_snapshot(script: str, revision: str, argv: list[str]) -> int:
    """Runs `script` with `argv` on a copy of the committed tree at `revision` (git
    archive, plus these bench files as they are here), so that edits made meanwhile in
    the working tree cannot change the code under test halfway through a run."""
    sha = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", revision])
    if not sha:
        raise SystemExit(f"no such revision: {revision}")
    with tempfile.TemporaryDirectory(prefix="daicho-api-bench-code-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        (Path(tmp) / "bench").mkdir(exist_ok=True)
        for name in BENCH_FILES:
            shutil.copy2(BENCH / name, Path(tmp) / "bench" / name)
        env = {
            **os.environ,
            "DAICHO_BENCH_CODE": f"commit {sha} (a clean copy of it)",
            "DAICHO_BENCH_COMMAND": " ".join(
                [".venv/bin/python", f"bench/{script}", *sys.argv[1:]]
            ),
        }
        say(f"measuring commit {sha}, copied to {tmp}")
        return subprocess.run(
            [sys.executable, str(Path(tmp) / "bench" / script), *argv], env=env
        ).returncode


def _without_option(argv: list[str], option: str) -> list[str]:
    out, skip = [], False
    for n, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == option:
            skip = n + 1 < len(argv) and not argv[n + 1].startswith("--")
        elif not arg.startswith(option + "="):
            out.append(arg)
    return out


def _pkg_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _busy_processes() -> list[str]:
    """Other processes using CPU right now (a benchmark on a shared 2-core machine
    should say so)."""
    out = _command_output(["ps", "-eo", "pid,pcpu,comm,args", "--sort=-pcpu", "--no-headers"])
    mine = {os.getpid()}
    busy = []
    for line in out.splitlines()[:8]:
        parts = line.split(None, 3)
        if len(parts) >= 3 and int(parts[0]) not in mine and float(parts[1]) >= 20.0:
            busy.append(f"{parts[1]}% {parts[3][:90] if len(parts) > 3 else parts[2]}")
    return busy


# --------------------------------------------------------------------------- store


@dataclass
class Store:
    backend: str
    settings: Any
    env: dict[str, str]
    home: Path


def _ensure_database(url: str) -> None:
    import psycopg
    from psycopg.sql import SQL, Identifier

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))


@contextlib.contextmanager
def fresh_store(backend: str, workdir: Path, pg_url: str) -> Iterator[Store]:
    from infra.settings import Settings

    home = workdir / "home"
    if backend == "sqlite":
        yield Store(backend, Settings(home=home), {"DAICHO_HOME": str(home)}, home)
        return
    import psycopg
    from psycopg.sql import SQL, Identifier

    _ensure_database(pg_url)
    schema = f"bench_api_{uuid.uuid4().hex[:10]}"
    try:
        yield Store(
            backend,
            Settings(home=home, database_url=pg_url, database_schema=schema),
            {
                "DAICHO_HOME": str(home),
                "DAICHO_DATABASE_URL": pg_url,
                "DAICHO_DATABASE_SCHEMA": schema,
            },
            home,
        )
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


# --------------------------------------------------------------------------- fill


@dataclass
class Filled:
    agency_id: uuid.UUID
    password: str
    ids: list[str]
    families: list[str]  # each customer's family-name kana (katakana), same order
    fill_seconds: float
    catch_up_seconds: float
    events: int


def _person(fake: Any, rng: random.Random, today: date, index: int) -> dict[str, Any]:
    from services.demo import AGENTS, PLACES

    last, last_kana, _ = fake.last_name_pair()
    first, first_kana, _ = rng.choice([fake.first_name_male_pair, fake.first_name_female_pair])()
    postal_code, town = rng.choice(PLACES)
    phones = [
        f"0{rng.choice([3, 6, 52, 92, 11])}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
    ][: rng.randint(1, 2)]
    return {
        "kind": "person",
        "name": f"{last} {first}",
        "kana": f"{last_kana} {first_kana}",
        "birth_date": today - timedelta(days=rng.randint(20 * 365, 85 * 365)),
        "postal_code": postal_code,
        "address": f"{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}",
        "phones": phones,
        "email": f"c{index:07d}@example.jp" if rng.random() < 0.6 else None,
        "agent_id": rng.choice(AGENTS),
    }


def fill(store: Store, customers: int) -> Filled:
    from faker import Faker

    from domain.customer import Customer
    from infra.clock import today_in_japan
    from infra.ledger import Ledger
    from projections.runner import Projections
    from services.agencies import register_agency
    from services.requests import cli_meta
    from services.users import add_user

    started = time.perf_counter()
    ledger = Ledger(store.settings)
    agency = register_agency(ledger, cli_meta("bench"), code=AGENCY_CODE, name="ベンチ保険サービス")
    password = secrets.token_urlsafe(18)
    add_user(
        ledger,
        cli_meta("bench", agency.id),
        agency,
        username=USERNAME,
        role="agent",
        password=password,
    )
    context = cli_meta("bench", agency.id).context("bench fill")
    fake = Faker("ja_JP")
    Faker.seed(SEED)
    rng = random.Random(SEED)
    today = today_in_japan()
    ids: list[str] = []
    families: list[str] = []
    batch = []
    for index in range(customers):
        fields = _person(fake, rng, today, index)
        customer = Customer.register(context, today=today, **fields)
        batch.append(customer)
        ids.append(str(customer.id))
        families.append(fields["kana"].split(" ")[0])
        if len(batch) >= FILL_BATCH:
            ledger.save(*batch)
            batch.clear()
            if len(ids) % 20_000 == 0:
                say(f"  filled {len(ids):,} customers")
    if batch:
        ledger.save(*batch)
    fill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    projections = Projections(ledger)
    events = projections.catch_up()
    projections.close()
    ledger.close()
    return Filled(
        agency.id, password, ids, families, fill_seconds, time.perf_counter() - started, events
    )


def post_bodies(count: int) -> list[str]:
    from faker import Faker

    from infra.clock import today_in_japan

    fake = Faker("ja_JP")
    fake.seed_instance(SEED + 1)
    rng = random.Random(SEED + 1)
    today = today_in_japan()
    bodies = []
    for index in range(count):
        fields = _person(fake, rng, today, 9_000_000 + index)
        fields["birth_date"] = fields["birth_date"].isoformat()
        bodies.append(json.dumps(fields, ensure_ascii=False, separators=(",", ":")))
    return bodies


def kana_prefixes(families: list[str], count: int, rng: random.Random) -> list[str]:
    """The first 2 or 3 kana of random customers' family names (so common names come
    up as often as they are common), every other one in hiragana."""
    import jaconv

    prefixes = []
    for index in range(count):
        family = rng.choice(families)
        prefix = family[: rng.choice((2, 3))]
        prefixes.append(jaconv.kata2hira(prefix) if index % 2 else prefix)
    return prefixes


# --------------------------------------------------------------------------- in-process


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank

    return {
        "n": len(ordered),
        "p50_ms": rank(50) * 1000,
        "p99_ms": rank(99) * 1000,
        "max_ms": ordered[-1] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def time_queries(
    store: Store, agency_id: uuid.UUID, prefixes: list[str], ids: list[str], rng: random.Random
) -> dict[str, Any]:
    """search_customers and get_customer in this process, on the server's database,
    with no server running."""
    from projections import queries
    from projections.database import open_database

    db = open_database(store.settings)
    try:
        for prefix in prefixes[:50]:  # warm the connection and the page cache
            queries.search_customers(db, agency_id, q=prefix)
        search, matched = [], []
        for prefix in prefixes:
            started = time.perf_counter()
            page = queries.search_customers(db, agency_id, q=prefix)
            search.append(time.perf_counter() - started)
            matched.append(len(page.items))
        gets = []
        for customer_id in rng.sample(ids, min(1000, len(ids))):
            started = time.perf_counter()
            row = queries.get_customer(db, agency_id, uuid.UUID(customer_id))
            gets.append(time.perf_counter() - started)
            assert row is not None
    finally:
        db.close()
    return {
        "search": _percentiles(search),
        "get": _percentiles(gets),
        "search_empty_pages": sum(1 for n in matched if n == 0),
    }


def prefix_selectivity(families: list[str], prefixes: list[str]) -> dict[str, Any]:
    """How many customers the prefixes match (Faker ja_JP has few family names)."""
    import jaconv

    counts = Counter(families)
    matches = sorted(
        sum(n for family, n in counts.items() if family.startswith(jaconv.hira2kata(p)))
        for p in prefixes
    )
    return {
        "family_names": len(counts),
        "median_match": matches[len(matches) // 2],
        "max_match": matches[-1],
    }


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: list[int]) -> dict[int, float]:
    cpu = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            cpu[pid] = _cpu_seconds(pid)
    return cpu


def _context_switches(pid: int) -> int:
    """Voluntary + involuntary context switches of all the threads of a process so far
    (threads that ended meanwhile are not counted)."""
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
    return total


def _machine_busy_seconds() -> float:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, store: Store, workdir: Path, variant: str = "") -> None:
        self.store = store
        self.port = _free_port()
        self.log_path = workdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAICHO_")}
        env.update(store.env)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(BENCH / "api_server.py"),
                "--port",
                str(self.port),
                *(["--variant", variant] if variant else []),
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited ({self.proc.returncode}); see {self.log_path}:\n"
                    + self.log_path.read_text()[-3000:]
                )
            with contextlib.suppress(OSError):
                if request(self.port, "GET", "/health")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer /health within 120 s")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def postgres_pids(self) -> list[int]:
        """The PostgreSQL processes working for this server: the backends connected to
        its database, and the server-wide background processes (WAL writer,
        checkpointer, autovacuum …) that its writes keep busy."""
        if self.store.backend != "postgres":
            return []
        import psycopg

        with psycopg.connect(self.store.settings.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                "(datname = current_database() OR backend_type <> 'client backend')"
            ).fetchall()
        return [row[0] for row in rows]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log_levels(self) -> Counter[str]:
        levels: Counter[str] = Counter()
        with open(self.log_path, "rb") as f:
            for line in f:
                try:
                    levels[json.loads(line).get("level", "?")] += 1
                except ValueError:
                    levels["non-json"] += 1
        return levels


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        sent = dict(headers or {})
        if data is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        answer = (
            json.loads(raw)
            if raw and response.getheader("content-type", "").endswith("json")
            else raw
        )
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    finally:
        conn.close()


def login(port: int, password: str) -> str:
    status, _, body = request(
        port,
        "POST",
        "/api/v1/auth/login",
        {"agency": AGENCY_CODE, "username": USERNAME, "password": password},
    )
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body!r}")
    return str(body["access_token"])


def smoke(port: int, token: str, customer_id: str, prefix: str, body: str) -> None:
    """One request of each kind, checked, before any load."""
    auth = {"Authorization": f"Bearer {token}"}
    checks = [
        request(port, "GET", "/bench/constant"),
        request(port, "GET", f"/api/v1/customers/{customer_id}", headers=auth),
        request(port, "GET", "/api/v1/customers?q=" + urllib.parse.quote(prefix), headers=auth),
        request(port, "POST", "/api/v1/customers", json.loads(body), headers=auth),
    ]
    for (status, _, answer), expected in zip(checks, (200, 200, 200, 201), strict=True):
        if status != expected:
            raise RuntimeError(f"smoke check: {status} instead of {expected}: {answer!r}")
    if not checks[2][2]["items"]:
        raise RuntimeError(f"smoke check: searching {prefix!r} found nobody")
    created = checks[3][2]
    status, headers, answer = request(
        port,
        "PATCH",
        f"/api/v1/customers/{created['id']}",
        {"address": "東京都新宿区西新宿2丁目"},
        headers={**auth, "If-Match": '"1"'},
    )
    if status != 200 or headers.get("etag") != '"2"':
        raise RuntimeError(f"smoke check: PATCH gave {status} {headers.get('etag')} {answer!r}")


# --------------------------------------------------------------------------- load


class LoadGenerator:
    def __init__(
        self,
        kind: str,
        port: int,
        token: str,
        data: dict[str, Path],
        items: dict[str, list[str]],
        wrk_threads: int,
        workdir: Path,
    ) -> None:
        self.kind = kind
        self.port = port
        self.token = token
        self.data = dict(data)
        self.items = dict(items)
        self.wrk_threads = wrk_threads
        self.workdir = workdir
        self._patch_pool = items["patch"]
        self._patch_used = 0

    def _fresh_patch_customers(self, concurrency: int) -> None:
        """Every PATCH run starts from customers no run has changed yet, so that their
        ETag is "1" (a run's generator knows the versions only of what it changed)."""
        size = max(256, 16 * concurrency)
        chunk = self._patch_pool[self._patch_used : self._patch_used + size]
        if len(chunk) < size:
            raise RuntimeError("out of unchanged customers for PATCH runs: fill more")
        self._patch_used += size
        self.items["patch"] = chunk
        self.data["patch"] = self.workdir / f"patch_ids_{self._patch_used}.txt"
        self.data["patch"].write_text("\n".join(chunk) + "\n")

    def run(self, mode: str, concurrency: int, duration: int) -> dict[str, Any]:
        if mode == "patch":
            self._fresh_patch_customers(concurrency)
        if self.kind == "wrk":
            threads = max(1, min(self.wrk_threads, concurrency))
            argv = [
                "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "-s",
                str(BENCH / "api_load.lua"),
                f"http://127.0.0.1:{self.port}",
                "--",
                mode,
                str(self.data.get(mode, "")),
                self.token,
                str(threads),
            ]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
            line = next(
                (line for line in proc.stdout.splitlines() if line.startswith("WRK_RESULT ")), None
            )
            if proc.returncode != 0 or line is None:
                raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
            return json.loads(line.removeprefix("WRK_RESULT "))
        import api_loadgen  # beside this script

        return api_loadgen.run(
            mode, self.items.get(mode, []), self.token, self.port, concurrency, float(duration)
        )

    def measure(self, server: Server, mode: str, concurrency: int, duration: int) -> dict[str, Any]:
        """One run with the CPU use during it of the server, of PostgreSQL (for the
        server), of the load generator and of everything else on the machine."""
        pg_before = _cpu_of(server.postgres_pids())
        server_cpu, machine, own = (
            server.cpu_seconds(),
            _machine_busy_seconds(),
            time.process_time(),
        )
        children = os.times().children_user + os.times().children_system
        switches = _context_switches(server.pid)
        started = time.perf_counter()
        result = self.run(mode, concurrency, duration)
        wall = time.perf_counter() - started
        loadgen_cpu = (
            os.times().children_user + os.times().children_system - children
            if self.kind == "wrk"
            else time.process_time() - own
        )
        server_cpu = server.cpu_seconds() - server_cpu
        switches = _context_switches(server.pid) - switches
        machine = _machine_busy_seconds() - machine
        pg_after = _cpu_of(server.postgres_pids())
        # A backend that started during the run spent all its CPU time in it.
        pg_cpu = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
        seconds = result["duration_us"] / 1e6
        errors = (
            result["bad_status"]
            + result["connect"]
            + result["read"]
            + result["write"]
            + result["timeout"]
            + result["lost"]
        )
        return {
            "mode": mode,
            "concurrency": concurrency,
            "seconds": round(seconds, 2),
            "requests": result["requests"],
            "rps": result["requests"] / seconds,
            "p50_ms": result["p50_us"] / 1000,
            "p90_ms": result["p90_us"] / 1000,
            "p99_ms": result["p99_us"] / 1000,
            "max_ms": result["max_us"] / 1000,
            "errors": errors,
            "accepted_202": result["accepted"],
            "server_cores": server_cpu / wall,
            "server_cpu_us_per_request": server_cpu / max(1, result["requests"]) * 1e6,
            # Thread hand-offs in the server (its threads waking each other, the GIL).
            "context_switches_per_request": max(0, switches) / max(1, result["requests"]),
            "postgres_cores": pg_cpu / wall,
            "loadgen_cores": loadgen_cpu / wall,
            "machine_cores": machine / wall,
            # Any other process on the machine: more than a little makes the run unfair.
            "rest_cores": (machine - server_cpu - pg_cpu - loadgen_cpu) / wall,
            "raw": result,
        }


def measure_clean(
    load: LoadGenerator, server: Server, mode: str, concurrency: int, duration: int, attempts: int
) -> dict[str, Any]:
    """A measured run during which other processes used at most REST_LIMIT cores:
    up to `attempts` tries (after waiting up to a minute for quiet before each);
    otherwise the quietest try, flagged."""
    tries = []
    for _ in range(max(1, attempts)):
        wait_for_quiet(server, 60, quiet=True)
        run = load.measure(server, mode, concurrency, duration)
        tries.append(run)
        if run["rest_cores"] <= REST_LIMIT:
            break
        say(f"  other processes used {run['rest_cores']:.2f} cores during the run: again")
    best = min(tries, key=lambda run: run["rest_cores"])
    best["attempts"] = len(tries)
    best["disturbed"] = best["rest_cores"] > REST_LIMIT
    return best


def wait_for_quiet(server: Server, limit: float, quiet: bool = False) -> float:
    """Waits (up to `limit` seconds) until the rest of the machine (everything but
    the idle server) uses under REST_LIMIT cores over 3 s; returns the last figure."""
    deadline = time.monotonic() + limit
    while True:
        machine, server_cpu = _machine_busy_seconds(), server.cpu_seconds()
        time.sleep(3)
        rest = (_machine_busy_seconds() - machine - (server.cpu_seconds() - server_cpu)) / 3
        if rest < REST_LIMIT or time.monotonic() >= deadline:
            return rest
        if not quiet:
            say(f"  the machine is busy ({rest:.2f} cores used by other processes); waiting …")


def scan_bare_route(
    load: LoadGenerator, server: Server, config: dict[str, Any], backend: str
) -> list[dict[str, Any]]:
    """The bare route at each level, in `scan_passes` passes of alternating order;
    a level's figure is the mean of its passes (one noisy run must not pick it)."""
    levels = list(config["levels"])
    runs: dict[int, list[dict[str, Any]]] = {level: [] for level in levels}
    for n in range(config["scan_passes"]):
        for level in levels if n % 2 == 0 else reversed(levels):
            run = measure_clean(
                load, server, "constant", level, config["scan_duration"], config["attempts"]
            )
            runs[level].append(run)
            say(
                f"[{backend}]   bare route at {level:>3} connections: "
                f"{run['rps']:,.0f} req/s, p99 {run['p99_ms']:.2f} ms"
            )
    return [
        {
            "concurrency": level,
            "rps": statistics.fmean(r["rps"] for r in runs[level]),
            "p99_ms": statistics.fmean(r["p99_ms"] for r in runs[level]),
            "passes": [round(r["rps"]) for r in runs[level]],
        }
        for level in levels
    ]


def choose_concurrency(scan: list[dict[str, Any]]) -> int:
    best = max(run["rps"] for run in scan)
    return min(run["concurrency"] for run in scan if run["rps"] >= SATURATION_SHARE * best)


# --------------------------------------------------------------------------- profile


def profile_phase(
    server: Server, load: LoadGenerator, mode: str, concurrency: int, duration: int, out: Path
) -> dict[str, Any]:
    """py-spy on the server while the workload runs (after the measured runs, so that
    sampling never slows a measured one)."""
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    spy = subprocess.Popen(
        [
            pyspy,
            "record",
            "-p",
            str(server.pid),
            "-r",
            "200",
            "-d",
            str(duration),
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)
    result = load.measure(server, mode, concurrency, duration)
    spy.wait(timeout=duration + 60)
    return {
        "profile": str(out),
        "rps_while_profiled": result["rps"],
        "summary": summarize_profile(out),
    }


# Buckets, first match wins, on the (file, function) frames of a stack, leaf first.
BUCKETS = [
    ("auth: session lookup", ("services/sessions.py",)),
    ("request log (structlog)", ("structlog/",)),
    ("projection catch-up (read-your-writes)", ("projections/runner.py", "projections/batches.py")),
    ("ledger load/save (events, chain)", ("infra/", "eventsourcing/", "services/records.py")),
    (
        "query: search/get SQL",
        ("projections/queries.py", "projections/pages.py", "projections/search.py"),
    ),
    ("rendering (msgspec convert)", ("services/api/rendering.py",)),
    ("litestar routing/DI/params/serialisation", ("litestar/",)),
    ("uvicorn/httptools protocol", ("uvicorn/",)),
    ("thread hop (anyio/asyncio/threading)", ("anyio/", "asyncio/", "threading.py", "concurrent/")),
]


def summarize_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Share of samples per bucket (by the innermost project/library frame of each
    sample) and the top functions by inclusive share."""
    total = 0
    buckets: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")[1:]  # the first is the thread
        total += count
        seen = set()
        for frame in frames:
            name = frame.split(" (", 1)[0] + " " + _short_path(frame)
            if name not in seen:
                seen.add(name)
                inclusive[name] += count
        if frames:
            leaf[frames[-1].split(" (", 1)[0] + " " + _short_path(frames[-1])] += count
        bucket = "other"
        for label, needles in BUCKETS:
            if any(needle in frame for frame in frames for needle in needles):
                bucket = label
                break
        buckets[bucket] += count
    share = {k: round(100 * v / total, 1) for k, v in buckets.most_common()} if total else {}
    return {
        "samples": total,
        "buckets_pct": share,
        "inclusive_pct": [(k, round(100 * v / total, 1)) for k, v in inclusive.most_common(top)],
        "self_pct": [(k, round(100 * v / total, 1)) for k, v in leaf.most_common(top)],
    }


def _short_path(frame: str) -> str:
    inside = frame.split(" (", 1)[1].rstrip(")") if " (" in frame else ""
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in inside:
            return inside.split(marker, 1)[1]
    return inside


# --------------------------------------------------------------------------- one backend


def bench_backend(
    backend: str, args: argparse.Namespace, config: dict[str, Any], loadgen: str
) -> dict[str, Any]:
    rng = random.Random(SEED)
    result: dict[str, Any] = {"backend": backend, "customers": args.customers}
    with tempfile.TemporaryDirectory(prefix="daicho-api-bench-") as tmp:
        workdir = Path(tmp)
        with fresh_store(backend, workdir, args.pg_url) as store:
            say(f"[{backend}] filling {args.customers:,} customers …")
            filled = fill(store, args.customers)
            result["fill"] = {
                "seconds": round(filled.fill_seconds, 1),
                "catch_up_seconds": round(filled.catch_up_seconds, 1),
                "applied": filled.events,
            }
            say(
                f"[{backend}] filled in {filled.fill_seconds:.1f} s, read models caught up in "
                f"{filled.catch_up_seconds:.1f} s"
            )
            prefixes = kana_prefixes(filled.families, SEARCH_SAMPLES, rng)
            result["prefixes"] = prefix_selectivity(filled.families, prefixes)
            say(f"[{backend}] timing search_customers in-process ({len(prefixes)} prefixes) …")
            result["in_process"] = time_queries(store, filled.agency_id, prefixes, filled.ids, rng)

            data = {
                "get": workdir / "get_ids.txt",
                "search": workdir / "search_q.txt",
                "post": workdir / "post_bodies.jsonl",
            }
            bodies = post_bodies(POST_BODIES)
            items = {
                "get": filled.ids,
                "search": [
                    urllib.parse.quote(p) for p in kana_prefixes(filled.families, 5000, rng)
                ],
                "post": bodies,
                # Customers that GET and search may read but nothing else changes.
                "patch": filled.ids[len(filled.ids) // 2 :],
            }
            for mode, path in data.items():
                path.write_text("\n".join(items[mode]) + "\n", encoding="utf-8")

            say(f"[{backend}] starting the server …")
            server = Server(store, workdir)
            try:
                token = login(server.port, filled.password)
                smoke(server.port, token, filled.ids[0], prefixes[0], bodies[-1])
                load = LoadGenerator(
                    loadgen, server.port, token, data, items, args.wrk_threads, workdir
                )
                if args.wait_quiet:
                    result["rest_cores_before"] = round(wait_for_quiet(server, args.wait_quiet), 2)
                result["busy_before"] = _busy_processes()
                result["loadavg_before"] = os.getloadavg()
                # Warm the server up once across every workload.
                for mode in WORKLOADS:
                    load.run(mode, 4, config["warmup"])
                scan: list[dict[str, Any]] = []
                if args.concurrency:
                    concurrency = args.concurrency
                else:
                    scan = scan_bare_route(load, server, config, backend)
                    concurrency = choose_concurrency(scan)
                result["scan"] = scan
                result["concurrency"] = concurrency
                # GET customer at every level too: its p99 depends on the level chosen.
                result["get_by_concurrency"] = []
                for level in config["levels"]:
                    run = measure_clean(
                        load, server, "get", level, config["scan_duration"], config["attempts"]
                    )
                    result["get_by_concurrency"].append(run)
                    say(
                        f"[{backend}]   GET customer at {level:>3} connections: "
                        f"{run['rps']:,.0f} req/s, p50 {run['p50_ms']:.2f} ms, "
                        f"p99 {run['p99_ms']:.2f} ms"
                    )
                say(
                    f"[{backend}] measuring at {concurrency} connections, "
                    f"{config['duration']} s each …"
                )
                runs: dict[str, Any] = {}
                for mode in (*WORKLOADS, "constant_again"):
                    workload = "constant" if mode == "constant_again" else mode
                    load.run(workload, concurrency, config["warmup"])
                    run = measure_clean(
                        load, server, workload, concurrency, config["duration"], config["attempts"]
                    )
                    runs[mode] = run
                    say(
                        f"[{backend}]   {LABELS[mode]:<34} {run['rps']:>8,.0f} req/s  "
                        f"p50 {run['p50_ms']:7.2f} ms  p99 {run['p99_ms']:7.2f} ms  "
                        f"errors {run['errors']}  server {run['server_cores']:.2f} cores "
                        f"({run['server_cpu_us_per_request']:,.0f} us/req)  "
                        f"pg {run['postgres_cores']:.2f}  rest {run['rest_cores']:.2f}"
                    )
                result["runs"] = runs
                result["pairs"] = measure_pairs(load, server, concurrency, config)
                for pair in result["pairs"]:
                    say(
                        f"[{backend}]   pair: bare {pair['constant']['rps']:,.0f}, "
                        f"GET {pair['get']['rps']:,.0f} req/s: {pair['ratio']:.2f} x"
                    )
                if args.profile:
                    out_dir = Path(args.profile_dir)
                    out_dir.mkdir(parents=True, exist_ok=True)
                    profiles = {}
                    for mode in WORKLOADS:
                        say(f"[{backend}] profiling {mode} …")
                        profiles[mode] = profile_phase(
                            server,
                            load,
                            mode,
                            concurrency,
                            config["duration"],
                            out_dir / f"{backend}-{mode}.txt",
                        )
                    result["profiles"] = profiles
            finally:
                server.stop()
            result["server_log_levels"] = dict(server.log_levels())
    result["targets"] = targets(result)
    return result


def measure_pairs(
    load: LoadGenerator, server: Server, concurrency: int, config: dict[str, Any]
) -> list[dict[str, Any]]:
    """The bare route and GET customer run back to back, `pairs` times, in alternating
    order; each pair's ratio compares two runs made under the same conditions."""
    pairs = []
    for index in range(config["pairs"]):
        order = ("constant", "get") if index % 2 == 0 else ("get", "constant")
        pair: dict[str, Any] = {}
        for mode in order:
            load.run(mode, concurrency, config["warmup"])
            pair[mode] = measure_clean(
                load, server, mode, concurrency, config["duration"], config["attempts"]
            )
        pair["ratio"] = pair["get"]["rps"] / pair["constant"]["rps"]
        pairs.append(pair)
    return pairs


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    runs = result["runs"]
    ratios = sorted(pair["ratio"] for pair in result["pairs"])
    ratio = statistics.median(ratios)
    single = runs["get"]["rps"] / runs["constant"]["rps"]
    search_p99 = result["in_process"]["search"]["p99_ms"]
    return [
        {
            "target": f"GET customer req/s >= {TARGET_GET_RATIO} x bare",
            "value": f"{ratio:.2f} x, median of {len(ratios)} pairs "
            f"({ratios[0]:.2f}-{ratios[-1]:.2f}; step 5: {single:.2f} x)",
            "pass": ratio >= TARGET_GET_RATIO,
        },
        {
            "target": f"GET customer p99 < {TARGET_GET_P99_MS:g} ms "
            f"at {result['concurrency']} conn.",
            "value": f"{runs['get']['p99_ms']:.1f} ms",
            "pass": runs["get"]["p99_ms"] < TARGET_GET_P99_MS,
        },
        {
            "target": f"search p99 < {TARGET_SEARCH_P99_MS:g} ms over {result['customers']:,}",
            "value": f"{search_p99:.1f} ms in-process (HTTP p99 {runs['search']['p99_ms']:.1f} ms)",
            "pass": search_p99 < TARGET_SEARCH_P99_MS,
        },
        {
            "target": "errors (non-2xx, socket) = 0",
            "value": str(sum(run["errors"] for run in runs.values())),
            "pass": all(run["errors"] == 0 for run in runs.values()),
        },
    ]


# --------------------------------------------------------------------------- report


def print_report(results: list[dict[str, Any]], facts: dict[str, Any]) -> None:
    print(
        f"\nmachine: {facts['nproc']} cores ({facts['cpu']}), Python {facts['python']}, "
        f"PostgreSQL {facts.get('postgresql', '-')}, load generator {facts['loadgen']}"
        f"{' (' + facts['wrk'] + ')' if facts.get('wrk') else ''}"
    )
    print(f"code: {facts['code']}; command: {facts['command']}")
    for result in results:
        print(
            f"\n== {result['backend']}: {result['customers']:,} customers, "
            f"{result['concurrency']} connections =="
        )
        if result.get("scan"):
            print(
                "bare route scan (mean of passes): "
                + ", ".join(
                    f"{run['concurrency']} conn. {run['rps']:,.0f} req/s" for run in result["scan"]
                )
            )
        print(
            "GET customer by concurrency: "
            + ", ".join(
                f"{run['concurrency']} conn. {run['rps']:,.0f} req/s p99 {run['p99_ms']:.1f} ms"
                for run in result["get_by_concurrency"]
            )
        )
        print(
            "(server/pg/gen/rest: cores used during the run by the server process, by "
            "PostgreSQL for it, by the load generator and by anything else; us/req: the "
            "server's CPU time per request; cs/req: its threads' context switches per request)"
        )
        print(
            f"{'route':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
            f"{'202s':>5} {'server':>6} {'us/req':>7} {'cs/req':>6} {'pg':>5} {'gen':>5} "
            f"{'rest':>5}"
        )
        for mode, run in result["runs"].items():
            print(
                f"{LABELS[mode]:<34} {run['rps']:>8,.0f} {run['p50_ms']:>8.2f} "
                f"{run['p99_ms']:>8.2f} {run['errors']:>6} {run['accepted_202']:>5} "
                f"{run['server_cores']:>6.2f} {run['server_cpu_us_per_request']:>7,.0f} "
                f"{run['context_switches_per_request']:>6.1f} {run['postgres_cores']:>5.2f} "
                f"{run['loadgen_cores']:>5.2f} "
                f"{run['rest_cores']:>5.2f}{' !' if run.get('disturbed') else ''}"
            )
        print(
            "bare route and GET customer in pairs (req/s): "
            + ", ".join(
                f"{pair['constant']['rps']:,.0f} / {pair['get']['rps']:,.0f} "
                f"= {pair['ratio']:.2f} x"
                for pair in result["pairs"]
            )
        )
        search, get = result["in_process"]["search"], result["in_process"]["get"]
        print(
            f"in-process search_customers ({search['n']} prefixes): p50 {search['p50_ms']:.2f} ms, "
            f"p99 {search['p99_ms']:.2f} ms, max {search['max_ms']:.2f} ms; "
            f"get_customer p50 {get['p50_ms']:.3f} ms, p99 {get['p99_ms']:.3f} ms"
        )
        sel = result["prefixes"]
        print(
            f"prefixes match a median {sel['median_match']:,} and at most {sel['max_match']:,} "
            f"customers ({sel['family_names']} distinct family names)"
        )
        for target in result["targets"]:
            verdict = "PASS" if target["pass"] else "FAIL"
            print(f"  {verdict}  {target['target']:<48} {target['value']}")
        for mode, profile in result.get("profiles", {}).items():
            print(
                f"\nprofile {mode} ({profile['summary']['samples']} samples, "
                f"{profile['rps_while_profiled']:,.0f} req/s while sampled): "
                + ", ".join(f"{k} {v}%" for k, v in profile["summary"]["buckets_pct"].items())
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="3 s phases instead of 10 s")
    parser.add_argument("--duration", type=int, help="seconds per measured run")
    parser.add_argument(
        "--concurrency", type=int, help="skip the saturation scan and use this many connections"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (default 1: on 2 cores the rest is the server's)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("DAICHO_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile the server with py-spy per workload",
    )
    parser.add_argument(
        "--profile-dir",
        default="var/api-bench-profiles",
        help="where the py-spy profiles go (default var/api-bench-profiles)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=600,
        metavar="SECONDS",
        help="before measuring, wait up to this long for other processes "
        "to leave the CPU idle (default 600; 0: don't wait)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="tries per measured run while other processes use more than "
        f"{REST_LIMIT} cores during it (default 3)",
    )
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument(
        "--snapshot",
        nargs="?",
        const="HEAD",
        metavar="REVISION",
        help="measure a clean copy of a commit (default HEAD) instead of the "
        "working tree, which others may be editing meanwhile",
    )
    args = parser.parse_args()
    if args.snapshot:
        return run_from_snapshot(
            "api_bench.py", args.snapshot, _without_option(sys.argv[1:], "--snapshot")
        )
    config = dict(QUICK if args.quick else FULL)
    if args.duration:
        config["duration"] = args.duration
    config["attempts"] = args.attempts
    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
        if loadgen == "python":
            say(
                "wrk not found (apt-get install -y wrk): using the Python load generator, "
                "whose figures are lower bounds"
            )
    elif loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get update && apt-get install -y wrk")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    facts = machine_facts(args.pg_url if "postgres" in backends else None, loadgen)
    facts["command"] = os.environ.get("DAICHO_BENCH_COMMAND") or " ".join(
        [".venv/bin/python", "bench/api_bench.py", *sys.argv[1:]]
    )
    results = [bench_backend(backend, args, config, loadgen) for backend in backends]
    print_report(results, facts)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": facts, "results": results}, ensure_ascii=False, indent=1, default=str
            )
        )
    return 0 if all(t["pass"] for r in results for t in r["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
