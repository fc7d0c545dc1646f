"""A bounded HTTP load generator: N concurrent clients for T seconds, latency percentiles.

Used by the server tests and ``benchmarks/bench_tiles.py``. Each client holds one
keep-alive HTTP/1.1 connection (plain asyncio streams: a light client, so that on a small
machine the figures measure the server, not the client) and loops over the URL list
(offset by its index) until the time is up. Any status other than 200 (with a body) or
304, and any connection error, counts as an error; the client then reconnects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

__all__ = ["LoadResult", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    """Outcome of one load run (latencies in milliseconds)."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status, length


async def _load(
    urls: Sequence[str], concurrency: int, seconds: float, headers: dict[str, str]
) -> LoadResult:
    parts = [urlsplit(u) for u in urls]
    host, port = parts[0].hostname or "127.0.0.1", parts[0].port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        (f"GET {p.path}{'?' + p.query if p.query else ''} HTTP/1.1\r\nHost: {p.netloc}\r\n"
         f"{extra}\r\n").encode()
        for p in parts
    ]
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    stop = start + seconds

    async def worker(i: int) -> None:
        nonlocal errors
        k = i
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < stop:
            req = requests[k % len(requests)]
            k += concurrency
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                status, length = await asyncio.wait_for(_get(*conn, req), timeout=30)
                ok = status == 304 or (status == 200 and length > 0)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError, ValueError, IndexError):
                ok = False
                if conn is not None:
                    conn[1].close()
                conn = None
            latencies.append((time.perf_counter() - t0) * 1000.0)
            if not ok:
                errors += 1
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    lat = np.asarray(latencies) if latencies else np.zeros(1)
    return LoadResult(
        requests=len(latencies), errors=errors, seconds=elapsed,
        p50_ms=float(np.percentile(lat, 50)), p99_ms=float(np.percentile(lat, 99)),
        max_ms=float(lat.max()),
    )


def run_load(
    urls: Sequence[str], *, concurrency: int = 64, seconds: float = 30.0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Run ``concurrency`` clients against ``urls`` (one host) for ``seconds``."""
    if not urls:
        raise ValueError("run_load needs at least one URL")
    hosts = {urlsplit(u).netloc for u in urls}
    if len(hosts) != 1:
        raise ValueError(f"run_load drives one server at a time, got {sorted(hosts)}")
    return asyncio.run(_load(list(urls), concurrency, seconds, dict(headers or {})))
