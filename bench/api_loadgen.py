"""The Python load generator of bench/api_bench.py, used when wrk is not installed.

The same workloads as bench/api_load.lua (constant, get, search, post, patch), from
`concurrency` keep-alive HTTP/1.1 connections, each sending its next request as soon
as the previous answer is read (a closed loop, like wrk). It speaks just enough
HTTP/1.1 for this server (Content-Length bodies; the server sends no chunked bodies to
these requests) on asyncio streams, with uvloop when it is installed.

It costs far more CPU per request than wrk (a few tens of microseconds of Python
each), and on a 2-core machine it takes that CPU from the server it measures, so its
requests/s are a lower bound; the bench says which generator it used.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

_ID = re.compile(rb'"id":"([0-9a-f-]{36})"')
_CURRENT = re.compile(rb'"current_version":(\d+)')


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    bad: int = 0
    accepted: int = 0
    lost: int = 0
    socket_errors: int = 0


class Workload:
    """Makes the next request of one connection and reads its answer."""

    def __init__(
        self, mode: str, items: list[str], token: str, connection: int, connections: int, seed: int
    ) -> None:
        self.mode = mode
        self.rng = random.Random(seed)
        self.items = items
        self.auth = f"Authorization: Bearer {token}\r\n"
        self.serial = 0
        self.connection = connection
        # PATCH: this connection's own customers with their current ETag (version 1).
        self.queue = (
            [[items[i], '"1"'] for i in range(connection, len(items), connections)]
            if mode == "patch"
            else []
        )
        self.current: list[str] | None = None

    def request(self) -> bytes:
        mode = self.mode
        if mode == "constant":
            return b"GET /bench/constant HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        if mode == "get":
            path = "/api/v1/customers/" + self.rng.choice(self.items)
            return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}\r\n".encode()
        if mode == "path":
            path = self.rng.choice(self.items)
            return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}\r\n".encode()
        if mode == "search":
            path = "/api/v1/customers?q=" + self.rng.choice(self.items)
            return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}\r\n".encode()
        self.serial += 1
        if mode == "post":
            body = self.items[self.serial % len(self.items)].encode()
            return (
                f"POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
        if not self.queue:
            raise RuntimeError("every PATCH customer of a connection was lost")
        self.current = entry = self.queue.pop(0)
        body = (
            f'{{"address":"東京都新宿区西新宿{self.serial % 9 + 1}丁目{self.serial}-'
            f'{self.connection}","reason":"bench"}}'
        ).encode()
        return (
            f"PATCH /api/v1/customers/{entry[0]} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"{self.auth}If-Match: {entry[1]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def answered(self, status: int, headers: dict[bytes, bytes], body: bytes, tally: Tally) -> None:
        if not 200 <= status <= 299:
            tally.bad += 1
        if status == 202:
            tally.accepted += 1
        if self.mode == "patch" and self.current is not None:
            etag = headers.get(b"etag")
            if etag is None:
                current = _CURRENT.search(body)
                etag = b'"' + current.group(1) + b'"' if current else b'"0"'
            self.current[1] = etag.decode()
            self.queue.append(self.current)
            self.current = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


async def _connection(
    workload: Workload, port: int, start: float, warm_until: float, stop: float, tally: Tally
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            sent = time.perf_counter()
            if sent >= stop:
                return
            writer.write(workload.request())
            try:
                status, headers, body = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                tally.socket_errors += 1
                if workload.current is not None:
                    tally.lost += 1
                    workload.current = None
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            done = time.perf_counter()
            if sent >= warm_until:  # only requests sent after the warm-up count
                tally.latencies.append(done - sent)
                workload.answered(status, headers, body, tally)
            else:
                workload.answered(status, headers, body, Tally())
    finally:
        writer.close()


async def _run(
    mode: str,
    items: list[str],
    token: str,
    port: int,
    concurrency: int,
    duration: float,
    warmup: float,
) -> dict[str, Any]:
    tally = Tally()
    start = time.perf_counter()
    warm_until = start + warmup
    stop = warm_until + duration
    workloads = [
        Workload(mode, items, token, n, concurrency, seed=n * 7919 + 1) for n in range(concurrency)
    ]
    await asyncio.gather(*(_connection(w, port, start, warm_until, stop, tally) for w in workloads))
    elapsed = time.perf_counter() - warm_until
    latencies = sorted(tally.latencies)

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[max(0, math.ceil(p / 100 * len(latencies)) - 1)]  # nearest rank

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "bad_status": tally.bad,
        "accepted": tally.accepted,
        "lost": tally.lost,
        "connect": 0,
        "read": tally.socket_errors,
        "write": 0,
        "timeout": 0,
        "p50_us": int(pct(50) * 1e6),
        "p90_us": int(pct(90) * 1e6),
        "p99_us": int(pct(99) * 1e6),
        "max_us": int((latencies[-1] if latencies else 0) * 1e6),
        "mean_us": (sum(latencies) / len(latencies) * 1e6) if latencies else 0.0,
    }


def run(
    mode: str,
    items: list[str],
    token: str,
    port: int,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
) -> dict[str, Any]:
    """One measured run: the same result keys as api_load.lua's WRK_RESULT line."""
    try:
        import uvloop

        return uvloop.run(_run(mode, items, token, port, concurrency, duration, warmup))
    except ImportError:
        return asyncio.run(_run(mode, items, token, port, concurrency, duration, warmup))
