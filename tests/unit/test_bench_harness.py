"""The bench's own machinery at toy scale: the bounded load generator, its statistics, the docs.

The bench itself (``make bench``) takes minutes and is not part of the suite; these checks make
sure its measuring parts count and report what they should.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.http_load import Client, percentile, run_load, summarise
from bench.run import END_MARK, START_MARK, markers, verdicts, write_docs
from bench.seed import Volume


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802
        with self.lock:
            self.seen.append(self.path)
        body = b"ok" if self.path != "/missing" else b"no"
        self.send_response(200 if self.path != "/missing" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Bench-Server-Ms", "1.50")
        self.send_header("X-Bench-Statements", "7")
        self.send_header("X-Bench-Counts", "1")
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_the_load_is_bounded_and_read_from_the_headers(server):
    client = Client("127.0.0.1", server.server_address[1])
    samples = run_load(client, "GET", "/page", requests=12, concurrency=3)
    client.close()
    assert len(samples) == 12 and len(_Handler.seen) == 12
    summary = summarise(samples)
    assert summary["requests"] == 12
    assert summary["statements"] == [7] and summary["count_queries"] == [1]
    assert summary["server_median_ms"] == 1.5
    assert client.cookies == {"session": "abc"}


def test_an_unexpected_status_stops_the_load(server):
    client = Client("127.0.0.1", server.server_address[1])
    with pytest.raises(RuntimeError, match="answered 404"):
        run_load(client, "GET", "/missing", requests=3, concurrency=1)
    client.close()


def test_percentiles_take_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.95) == 3.0


def _figures(server_ms: float) -> dict[str, object]:
    return {
        "server_median_ms": server_ms,
        "server_p95_ms": server_ms,
        "client_p95_ms": server_ms,
        "client_p99_ms": server_ms,
        "server_p99_ms": server_ms,
        "statements": [9],
        "count_queries": [1],
        "peak_rss_mib": 120.0,
    }


def _results() -> dict[str, object]:
    names = [
        "team list, first page",
        "team list, deep page (2001)",
        "team list, 100 a page",
        "team search: a reference",
        "team search: a word found nowhere",
        "portal list (5,000-project organisation)",
        "portal list, deep page",
        "team dashboard",
    ]
    results = {
        "date": "2026-11-25 08:00 UTC",
        "machine": {"cpu": "CPU", "cores": 2, "ram_gib": 23.5},
        "versions": {
            key: "1"
            for key in ("python", "postgresql", "flask-appbuilder", "sqlalchemy", "psycopg")
        }
        | {"gunicorn": "23", "rq": "2"},
        "rows": {
            "organisation": 200,
            "project": 100_000,
            "big_organisation_projects": 5_000,
            "comment": 1_000_000,
            "project_file": 300_000,
            "payment": 60_000,
            "invoice": 60_000,
        },
        "settings": {"requests": 60, "concurrency": 2, "gunicorn": "2 workers × 4 threads"},
        "pages": {name: _figures(40.0) for name in names},
        "export": {
            "periods": ["a", "b"],
            "lines": 61_000,
            "bytes": 9_000_000,
            "seconds": 1.0,
            "rows_per_second": 61_000,
            "peak_rss_mib": 130.0,
            "above_baseline_mib": 3.0,
        },
        "webhook": {**_figures(8.0), "requests": 400, "concurrency": 20},
        "email": {
            "jobs": 200,
            "emails": 600,
            "emails_per_second": 150.0,
            "emails_per_second_with_startup": 120.0,
            "worker_wall_seconds": 5.0,
        },
    }
    results["verdicts"] = verdicts(results)
    return results


def test_every_target_gets_a_verdict():
    results = _results()
    assert all(met for _, _, met in results["verdicts"]), results["verdicts"]
    results["pages"]["team list, deep page (2001)"] = _figures(100.0)
    results["pages"]["team search: a word found nowhere"] = _figures(151.0)
    slow = {target: (figure, met) for target, figure, met in verdicts(results)}
    assert slow["deep pages not slower than 2× the first page (p95)"][1] is False
    searches = slow["searches at 100,000 projects: p95 server time < 150 ms"]
    assert searches == ("worst: team search: a word found nowhere, 151.0 ms", False)
    lists = slow["lists, project pages, dashboards at 100,000 projects: p95 server time < 150 ms"]
    assert lists[1] is True


def test_at_another_scale_only_the_pages_are_judged():
    results = _results()
    results["rows"]["project"] = 1_000_000
    for measured in ("export", "webhook", "email"):
        del results[measured]
    targets = [target for target, _, _ in verdicts(results)]
    assert targets[0] == "searches at 1,000,000 projects: p95 server time < 150 ms"
    assert not any("export" in target or "email" in target for target in targets)


def test_the_docs_section_is_replaced_and_the_rest_kept(tmp_path: Path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nExport memory: kept.\n", encoding="utf-8")
    write_docs(_results(), docs)
    write_docs(_results(), docs)
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nExport memory: kept.\n")
    assert text.count(START_MARK) == 1 and text.count(END_MARK) == 1
    assert "| team list, first page | 40.0 ms |" in text
    assert "**61,000 rows/s**" in text


def test_each_scale_has_its_own_section(tmp_path: Path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n", encoding="utf-8")
    write_docs(_results(), docs)
    million = _results()
    million["rows"]["project"] = 1_000_000
    million["pages"]["team list, first page"] = _figures(55.0)
    for measured in ("export", "webhook", "email"):
        del million[measured]
    million["verdicts"] = verdicts(million)
    write_docs(million, docs)
    write_docs(million, docs)
    text = docs.read_text(encoding="utf-8")
    start, end = markers(1_000_000)
    assert text.count(START_MARK) == 1 and text.count(start) == 1 and text.count(end) == 1
    assert "| team list, first page | 40.0 ms |" in text.split(start)[0]
    assert "| team list, first page | 55.0 ms |" in text.split(start)[1]


def test_a_scale_keeps_the_shape_per_project():
    million = Volume.at_scale(1_000_000)
    assert (million.projects, million.comments, million.files) == (1_000_000, 10**7, 3 * 10**6)
    assert million.big_organisation_projects == 5_000
    assert million.organisations == 999  # their names hold three digits
    assert Volume.at_scale(Volume().projects) == Volume()


def test_only_the_searches_have_a_target_at_another_scale():
    million = _results()
    million["rows"]["project"] = 1_000_000
    for measured in ("export", "webhook", "email"):
        del million[measured]
    targets = [target for target, _, _ in verdicts(million)]
    assert targets == [
        "searches at 1,000,000 projects: p95 server time < 150 ms",
        "statements per page independent of page size",
    ]
