"""A bounded load generator on the standard library: fixed concurrency, fixed request count.

Each worker thread keeps one HTTP/1.1 connection to the server (keep-alive) and the cookies of
the session it was given; every response is read to its end. Besides the client's time, each
sample keeps what the bench app reports in its headers (see ``bench.bench_app``).
"""

import http.client
import math
import re
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    status: int
    client_ms: float
    server_ms: float | None
    statements: int | None
    counts: int | None
    size: int


@dataclass
class Client:
    """One login's cookies and headers; each thread gets its own connection."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _opened: list[http.client.HTTPConnection] = field(default_factory=list, repr=False)

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
            self._local.connection = connection
            self._opened.append(connection)
        return connection

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> tuple[Sample, http.client.HTTPResponse, bytes]:
        """Send one request and read the whole response; return the sample, response and body.

        With ``on_chunk`` the body is handed over in pieces as it arrives and not kept.
        """
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        size = 0
        kept = b""
        if on_chunk is None:
            kept = response.read()
            size = len(kept)
        else:
            while chunk := response.read(65536):
                size += len(chunk)
                on_chunk(chunk)
        elapsed = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        sample = Sample(
            status=response.status,
            client_ms=elapsed,
            server_ms=_number(response.headers.get("X-Bench-Server-Ms"), float),
            statements=_number(response.headers.get("X-Bench-Statements"), int),
            counts=_number(response.headers.get("X-Bench-Counts"), int),
            size=size,
        )
        return sample, response, kept

    def close(self) -> None:
        """Close the connections of every thread that used this client."""
        for connection in self._opened:
            connection.close()
        self._opened.clear()
        self._local = threading.local()


def _number(raw: str | None, kind: type) -> float | int | None:
    return kind(raw) if raw is not None else None


def form_login(client: Client, email: str, password: str) -> None:
    """Log in through the sign-in form, as a browser does (its CSRF token included).

    :raise RuntimeError: when the server does not accept the login.
    """
    _, _, page = client.request("GET", "/login/")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    form = urllib.parse.urlencode(
        {"username": email, "password": password, "csrf_token": token[1].decode()}
    ).encode()
    sample, response, _ = client.request(
        "POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    location = response.headers.get("Location", "")
    if sample.status != 302 or "/login" in location:
        raise RuntimeError(f"the login of {email} was refused ({sample.status} {location})")


def run_load(
    client: Client,
    method: str,
    path: str,
    *,
    requests: int,
    concurrency: int,
    body: Callable[[int], bytes] | None = None,
    headers: Callable[[int], dict[str, str]] | None = None,
    expect: int = 200,
) -> list[Sample]:
    """Send ``requests`` requests, ``concurrency`` at a time; return the samples in order.

    :raise RuntimeError: at the first response whose status is not ``expect``.
    """

    def one(index: int) -> Sample:
        sample, _, content = client.request(
            method,
            path,
            body(index) if body else None,
            headers(index) if headers else None,
        )
        if sample.status != expect:
            raise RuntimeError(f"{method} {path} answered {sample.status}: {content[:300]!r}")
        return sample

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, range(requests)))


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the value below which ``fraction`` of the values fall."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(samples: list[Sample]) -> dict[str, object]:
    """Median, p95 and p99 of the client's and the server's times; the statements seen."""
    client = [s.client_ms for s in samples]
    server = [s.server_ms for s in samples if s.server_ms is not None]
    statements = sorted({s.statements for s in samples if s.statements is not None})
    counts = sorted({s.counts for s in samples if s.counts is not None})
    result: dict[str, object] = {
        "requests": len(samples),
        "client_median_ms": round(statistics.median(client), 1),
        "client_p95_ms": round(percentile(client, 0.95), 1),
        "client_p99_ms": round(percentile(client, 0.99), 1),
        "statements": statements,
        "count_queries": counts,
        "bytes": samples[-1].size,
    }
    if server:
        result |= {
            "server_median_ms": round(statistics.median(server), 1),
            "server_p95_ms": round(percentile(server, 0.95), 1),
            "server_p99_ms": round(percentile(server, 0.99), 1),
        }
    return result


class RssSampler:
    """Sample the resident memory of a process's children (gunicorn's workers) from /proc."""

    def __init__(self, parent_pid: int, interval: float = 0.01) -> None:
        self.parent_pid = parent_pid
        self.interval = interval
        self.baseline: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.parent_pid:
                found.append(int(entry.name))
        return found

    @staticmethod
    def rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def __enter__(self) -> "RssSampler":
        pids = self.children()
        self.baseline = {pid: self.rss_kib(pid) for pid in pids}
        self.peak = dict(self.baseline)
        self._thread = threading.Thread(target=self._run, args=(pids,), daemon=True)
        self._thread.start()
        return self

    def _run(self, pids: list[int]) -> None:
        while not self._stop.is_set():
            for pid in pids:
                self.peak[pid] = max(self.peak[pid], self.rss_kib(pid))
            time.sleep(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mib(self) -> float:
        return round(max(self.peak.values(), default=0) / 1024, 1)

    @property
    def growth_mib(self) -> float:
        """The largest growth of one worker above its resident memory at the start."""
        return round(
            max((self.peak[pid] - self.baseline[pid] for pid in self.peak), default=0) / 1024, 1
        )
