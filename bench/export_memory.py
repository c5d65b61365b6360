"""Measure the memory a 200,000-line journal export takes: it must stay flat, whatever the rows.

Usage (the database is created if missing, migrated, and seeded once):

    .venv/bin/python bench/export_memory.py postgresql://postgres@127.0.0.1:5432/cnc_bench
    .venv/bin/python bench/export_memory.py URL --rows 200000 --dialect excel-fr

The seeding runs in this process; the measurement runs in a fresh child process, which builds the
app, exports an empty period to warm up, takes its resident memory as the baseline, resets the
kernel's peak (``/proc/self/clear_refs``), downloads the whole journal through the API (JWT, the
WSGI stack, the streamed response read chunk by chunk) and reads the peak (``VmHWM``). Linux only.
"""

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEAM_EMAIL = "bench-equipe@cnc-pulse.test"
TEAM_PASSWORD = "bench-mot-de-passe"  # noqa: S105 - a local benchmark account
START = datetime(2026, 1, 1, 8, tzinfo=UTC)
BATCH = 10_000


def make_app(url: str):
    from app import create_app
    from config import database_url

    storage = tempfile.mkdtemp(prefix="cnc-bench-")
    return create_app(
        "development",
        {"SQLALCHEMY_DATABASE_URI": database_url(url), "STORAGE_DIR": storage, "REDIS_URL": None},
    )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it does not exist."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import database_url

    target = make_url(database_url(url))
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def seed(url: str, rows: int) -> None:
    """Write ``rows`` journal lines once: payments with their invoices, and a refund of every
    ninth payment (nine tenths payments, one tenth refunds)."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import AppUser, Invoice, Organisation, Payment, Project, Refund
    from app.services.account import sync_roles

    app = make_app(url)
    with app.app_context():
        upgrade()
        sync_roles()
        refunds = rows // 10
        payments = rows - refunds
        have = db.session.scalar(select(func.count(Payment.id)))
        if have >= payments:
            print(f"already seeded: {have} payments")
            return
        if have:
            raise SystemExit(f"{have} payments found, fewer than {payments}: use an empty database")
        team = app.appbuilder.sm.find_role("Team")
        organisation = Organisation(name="Atelier Banc d'essai")
        user = AppUser(
            first_name="Banc",
            last_name="Essai",
            email=TEAM_EMAIL,
            username=TEAM_EMAIL,
            password=generate_password_hash(TEAM_PASSWORD),
            active=True,
            roles=[team],
        )
        db.session.add_all([organisation, user])
        db.session.flush()
        project = Project(
            organisation_id=organisation.id,
            reference="CNC-2026-99999",
            client_name="Client du banc",
            client_email="banc@example.test",
            title="Banc d'essai",
            description="",
            status="PAID",
            priority="MEDIUM",
            currency="EUR",
        )
        db.session.add(project)
        db.session.commit()
        started = time.monotonic()
        for first in range(0, payments, BATCH):
            numbers = range(first, min(first + BATCH, payments))
            moments = {n: START + timedelta(minutes=2 * n) for n in numbers}
            ids = db.session.scalars(
                insert(Payment).returning(Payment.id),
                [
                    {
                        "organisation_id": organisation.id,
                        "project_id": project.id,
                        "project_reference": project.reference,
                        "project_title": project.title,
                        "organisation_name": organisation.name,
                        "client_name": f"Client {n}",
                        "client_email": "banc@example.test",
                        "amount_cents": 1000 + n % 100_000,
                        "currency": "EUR",
                        "method": "STRIPE",
                        "status": "SUCCEEDED",
                        "stripe_checkout_session_id": f"cs_bench_{n}",
                        "stripe_payment_intent_id": f"pi_bench_{n}",
                        "paid_at": moments[n],
                    }
                    for n in numbers
                ],
            ).all()
            db.session.execute(
                insert(Invoice),
                [
                    {
                        "organisation_id": organisation.id,
                        "number": f"F-2026-{n + 1:06d}",
                        "year": 2026,
                        "sequence": n + 1,
                        "payment_id": payment_id,
                        "project_id": project.id,
                        "project_reference": project.reference,
                        "project_title": project.title,
                        "organisation_name": organisation.name,
                        "client_name": f"Client {n}",
                        "client_email": "banc@example.test",
                        "seller_name": "CNC Pulse",
                        "seller_address": "Lyon",
                        "vat_rate_basis_points": 2000,
                        "amount_excl_cents": (1000 + n % 100_000) * 5 // 6,
                        "vat_cents": (1000 + n % 100_000) - (1000 + n % 100_000) * 5 // 6,
                        "amount_incl_cents": 1000 + n % 100_000,
                        "currency": "EUR",
                        "issued_at": moments[n],
                    }
                    for n, payment_id in zip(numbers, ids, strict=True)
                ],
            )
            refunded = [(n, pid) for n, pid in zip(numbers, ids, strict=True) if n % 9 == 0]
            if refunded:
                db.session.execute(
                    insert(Refund),
                    [
                        {
                            "organisation_id": organisation.id,
                            "payment_id": payment_id,
                            "amount_cents": 500,
                            "stripe_refund_id": f"re_bench_{n}",
                            "created_at": moments[n] + timedelta(minutes=1),
                        }
                        for n, payment_id in refunded
                    ],
                )
            db.session.commit()
        print(f"seeded {payments} payments and their refunds in {time.monotonic() - started:.0f} s")


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def measure(url: str, dialect: str) -> dict[str, object]:
    """Download the whole journal through the API in this process; report memory and lines."""
    app = make_app(url)
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login",
        json={"username": TEAM_EMAIL, "password": TEAM_PASSWORD, "provider": "db"},
    )
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    def download(start: str, end: str) -> tuple[int, int]:
        url = f"/api/v1/export/journal?start={start}&end={end}&dialect={dialect}"
        size = lines = 0
        with client.get(url, headers=headers, buffered=False) as response:
            assert response.status_code == 200, response.get_data(as_text=True)
            for chunk in response.response:
                size += len(chunk)
                lines += chunk.count(b"\r\n")
        return size, lines

    download("2025-01-01", "2025-01-02")  # warm up: every module, query and template loaded
    gc.collect()
    baseline = _memory_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    started = time.monotonic()
    size, lines = download("2026-01-01", "2026-12-31")
    seconds = time.monotonic() - started
    peak = _memory_kib("VmHWM")
    return {
        "lines": lines - 1,
        "bytes": size,
        "seconds": round(seconds, 1),
        "baseline_mib": round(baseline / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "above_baseline_mib": round((peak - baseline) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="a PostgreSQL URL; the database is created if missing")
    parser.add_argument("--rows", type=int, default=200_000, help="journal lines to seed")
    parser.add_argument("--dialect", default="standard", choices=["standard", "excel-fr"])
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.database_url, args.dialect)))
        return
    ensure_database(args.database_url)
    seed(args.database_url, args.rows)
    child = subprocess.run(  # noqa: S603 - this same script, in a fresh process
        [sys.executable, __file__, args.database_url, "--dialect", args.dialect, "--measure-only"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))
    if result["lines"] < args.rows:
        raise SystemExit(f"only {result['lines']} lines exported, {args.rows} expected")


if __name__ == "__main__":
    main()
