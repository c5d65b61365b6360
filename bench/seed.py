"""Seed a PostgreSQL database with a realistic year-and-more of CNC Pulse, in set-based SQL.

The default volume: 200 organisations, one of them with 5,000 projects; 100,000 projects over
about two years; 1,000,000 comments (some internal notes); 300,000 file records; one payment and
its invoice per paid project (about 60,000), a refund of one payment in fifty; the history of
every project; payment links for the projects awaiting payment; three members per organisation
and a small team. Everything is written by ``INSERT … SELECT generate_series`` in one
transaction, with a fixed random seed, so two runs give the same data. ``Volume.at_scale`` keeps
that shape for another number of projects (a million: ``make bench BENCH_PROJECTS=1000000``).

The seed is idempotent: an already seeded database is left alone (the bench organisations are
found by name). To start again, pass ``--reset``: the database is dropped and recreated.
"""

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

ORGANISATION_PREFIX = "Banc "
BIG_ORGANISATION = "Banc 001 Usinage Rhône"
PASSWORD = "bench-mot-de-passe"  # noqa: S105 - local benchmark accounts
TEAM_EMAIL = "equipe@banc.test"
ADMIN_EMAIL = "admin@banc.test"
BIG_ORG_ADMIN_EMAIL = "admin.001@banc.test"


@dataclass(frozen=True)
class Volume:
    """How much to write; the defaults are the issue's figures."""

    organisations: int = 200
    projects: int = 100_000
    big_organisation_projects: int = 5_000
    comments: int = 1_000_000
    files: int = 300_000
    members_per_organisation: int = 3
    team_members: int = 5

    @classmethod
    def at_scale(cls, projects: int) -> "Volume":
        """The same shape for ``projects`` projects: per project as many comments and files.

        The largest organisation keeps its 5,000 projects, as the portal's figures need; the
        organisations grow with the projects up to 999, the most their three-digit names hold.
        """
        default = cls()
        ratio = projects / default.projects
        return cls(
            organisations=min(
                999, max(default.organisations, round(default.organisations * ratio))
            ),
            projects=projects,
            comments=round(default.comments * ratio),
            files=round(default.files * ratio),
        )

    @classmethod
    def tiny(cls) -> "Volume":
        """A volume a smoke test seeds in a second or two."""
        return cls(
            organisations=6,
            projects=400,
            big_organisation_projects=100,
            comments=2_000,
            files=900,
            members_per_organisation=2,
            team_members=2,
        )


def is_seeded(connection: Connection) -> bool:
    found = connection.scalar(
        text("SELECT count(*) FROM organisation WHERE name = :name"), {"name": BIG_ORGANISATION}
    )
    return bool(found)


def seed(connection: Connection, volume: Volume, password_hash: str) -> dict[str, int]:
    """Write the whole data set in the caller's transaction; return the rows written per table.

    The project table must hold no project yet (the bench database is its own).
    """
    if connection.scalar(text("SELECT count(*) FROM project")):
        raise SystemExit("The database already has projects: seed an empty, migrated database.")
    started = time.monotonic()
    parameters = {
        "organisations": volume.organisations,
        "projects": volume.projects,
        "big": volume.big_organisation_projects,
        "comments": volume.comments,
        "files": volume.files,
        "members": volume.members_per_organisation,
        "team": volume.team_members,
        "password": password_hash,
        "prefix": ORGANISATION_PREFIX,
        "big_name": BIG_ORGANISATION,
    }
    for step, statement in STEPS:
        began = time.monotonic()
        connection.execute(text(statement), parameters)
        print(f"  {step}: {time.monotonic() - began:.1f} s", flush=True)
    counts = {
        table: connection.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
        for table in (
            "organisation",
            "ab_user",
            "project",
            "project_service",
            "project_event",
            "comment",
            "project_file",
            "payment_link",
            "payment",
            "invoice",
            "refund",
        )
    }
    print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
    return counts


# Each step is one statement; they share the parameters above. The clock is the seed's now(),
# so "two years" and "overdue" mean the same whenever the database is seeded.
STEPS: tuple[tuple[str, str], ...] = (
    ("random seed", "SELECT setseed(0.42)"),
    (
        "services",
        """
        INSERT INTO requested_service (name, name_en, active, position)
        VALUES ('Programmation G-code', 'G-code programming', true, 1),
               ('Modélisation CAO', 'CAD modelling', true, 2),
               ('Plans techniques', 'Technical drawings', true, 3),
               ('Rétro-ingénierie', 'Reverse engineering', true, 4)
        ON CONFLICT (name) DO NOTHING
        """,
    ),
    (
        "organisations",
        """
        INSERT INTO organisation (name, contact_email, address, active, created_at)
        SELECT CASE WHEN g = 1 THEN :big_name
                    ELSE :prefix || lpad(g::text, 3, '0') || ' ' ||
                         (ARRAY['Atelier', 'Mécanique', 'Usinage', 'Agence',
                                'Outillage'])[1 + g % 5]
                         || ' ' || (ARRAY['Dupont', 'Lefèvre', 'Martin', 'Bernard', 'Moreau',
                                          'Girard', 'Roux', 'Fournier'])[1 + g % 8]
               END,
               'contact.' || lpad(g::text, 3, '0') || '@banc.test',
               g || ' rue de l''Industrie, 69000 Lyon',
               g % 40 <> 0,
               now() AT TIME ZONE 'UTC' - interval '800 days' + g * interval '1 hour'
        FROM generate_series(1, :organisations) AS g
        """,
    ),
    (
        "bench organisations",
        """
        CREATE TEMPORARY TABLE bench_org ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY id))::int AS n, id, name FROM organisation
        WHERE name = :big_name OR name LIKE :prefix || '%'
        """,
    ),
    (
        "users",
        """
        INSERT INTO ab_user (first_name, last_name, username, email, password, active, created_on,
                             changed_on, login_count, fail_login_count, organisation_id, language,
                             status)
        SELECT (ARRAY['Claire', 'Lucas', 'Sophie', 'Hugo', 'Léa', 'Théo', 'Emma', 'Nina'])
                   [1 + (o.n + m) % 8],
               (ARRAY['Dupont', 'Martin', 'Lefèvre', 'Bernard', 'Petit', 'Durand'])[1 + m % 6],
               u.email, u.email, :password, true, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC', 0, 0, o.id, CASE WHEN m % 4 = 3 THEN 'en' ELSE 'fr' END,
               'active'
        FROM bench_org o
        CROSS JOIN generate_series(1, :members) AS m
        CROSS JOIN LATERAL (
            SELECT CASE WHEN m = 1 THEN 'admin.' ELSE 'membre' || m || '.' END
                   || lpad(o.n::text, 3, '0') || '@banc.test' AS email
        ) AS u
        UNION ALL
        SELECT (ARRAY['Julien', 'Camille', 'Antoine', 'Manon', 'Louis'])[1 + t % 5], 'Équipe',
               CASE WHEN t = 1 THEN 'equipe@banc.test' ELSE 'equipe' || t || '@banc.test' END,
               CASE WHEN t = 1 THEN 'equipe@banc.test' ELSE 'equipe' || t || '@banc.test' END,
               :password, true, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 0, 0, NULL,
               'fr', 'active'
        FROM generate_series(1, :team) AS t
        UNION ALL
        SELECT 'Alice', 'Admin', 'admin@banc.test', 'admin@banc.test', :password, true,
               now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 0, 0, NULL, 'fr', 'active'
        """,
    ),
    (
        "roles",
        """
        INSERT INTO ab_user_role (user_id, role_id)
        SELECT u.id, r.id FROM ab_user u JOIN ab_role r ON r.name = CASE
            WHEN u.email = 'admin@banc.test' THEN 'Admin'
            WHEN u.organisation_id IS NULL THEN 'Team'
            WHEN u.email LIKE 'admin.%' THEN 'OrgAdmin'
            ELSE 'OrgMember' END
        WHERE u.email LIKE '%@banc.test'
        """,
    ),
    (
        "projects",
        # n = 1 is the oldest. The oldest nine tenths are mostly paid, cancelled or rejected;
        # the newest tenth is the live work. Organisation 1 has :big projects, the others share
        # the rest evenly (a multiplicative hash spreads them).
        """
        CREATE TEMPORARY TABLE bench_project ON COMMIT DROP AS
        SELECT n,
               CASE WHEN n % (:projects / :big) = 0 THEN 1
                    ELSE 2 + (n::bigint * 7919) % (:organisations - 1) END AS org_n,
               now() AT TIME ZONE 'UTC' - interval '730 days'
                   + (n::float / :projects) * interval '729 days'
                   + random() * interval '8 hours' AS created_at,
               random() AS r_status, random() AS r_priority, random() AS r_other
        FROM generate_series(1, :projects) AS n
        """,
    ),
    (
        "project rows",
        """
        INSERT INTO project (reference, client_name, client_email, client_phone, client_language,
                             title, description, deadline, status, priority, queue_band,
                             estimated_price_cents, final_price_cents, currency, created_at,
                             created_by_id, updated_at, completed_at, paid_at, organisation_id)
        -- Five digits, more past 99999, as app.domain.reference writes them.
        SELECT 'CNC-' || extract(year FROM b.created_at)::int || '-'
                   || lpad(b.number, greatest(5, length(b.number)), '0'),
               (ARRAY['Jean', 'Marie', 'Pierre', 'Anne', 'Paul', 'Julie', 'Marc', 'Alice'])
                   [1 + b.n % 8] || ' ' ||
               (ARRAY['Client', 'Garnier', 'Faure', 'André', 'Mercier', 'Blanc', 'Guérin'])
                   [1 + b.n % 7],
               'client' || b.n || '@example.test',
               CASE WHEN b.n % 3 = 0 THEN '+33 4 72 ' || lpad((b.n % 1000000)::text, 6, '0') END,
               CASE WHEN b.n % 10 = 0 THEN 'en' ELSE 'fr' END,
               (ARRAY['Bride', 'Support moteur', 'Carter', 'Platine', 'Gabarit', 'Arbre',
                      'Flasque', 'Moule', 'Entretoise', 'Pignon'])[1 + b.n % 10] || ' ' ||
               (ARRAY['aluminium', 'inox 316L', 'acier C45', 'laiton', 'POM', 'titane'])
                   [1 + b.n % 6] || ' n°' || b.n,
               left(repeat('Usinage 3 axes, tolérances ±0,02 mm, état de surface Ra 1,6. ',
                           1 + (b.r_other * 30)::int), 40 + (b.r_other * 1800)::int),
               CASE WHEN b.r_other < 0.8 THEN (b.created_at + (7 + (b.r_other * 60)::int)
                    * interval '1 day')::date END,
               s.status,
               p.priority,
               -- The work-queue band, as Project.queue_band keeps it (app.models.project).
               CASE p.priority WHEN 'URGENT' THEN 0 WHEN 'HIGH' THEN 1 ELSE 2 END,
               20000 + (b.r_other * 480000)::int,
               CASE WHEN s.status IN ('COMPLETED', 'AWAITING_PAYMENT', 'PAID')
                    THEN 25000 + ((1 - b.r_other) * 475000)::int END,
               'EUR', b.created_at, u.id, b.created_at + interval '3 days',
               CASE WHEN s.status IN ('COMPLETED', 'AWAITING_PAYMENT', 'PAID')
                    THEN b.created_at + interval '12 days' END,
               CASE WHEN s.status = 'PAID' THEN b.created_at + interval '15 days' END,
               o.id
        FROM (SELECT *, (row_number() OVER (PARTITION BY extract(year FROM created_at)
                                            ORDER BY n))::text AS number
              FROM bench_project) b
        JOIN bench_org o ON o.n = b.org_n
        LEFT JOIN ab_user u ON u.email = CASE WHEN b.n % 2 = 0 THEN 'admin.' ELSE 'membre2.' END
                                      || lpad(b.org_n::text, 3, '0') || '@banc.test'
        CROSS JOIN LATERAL (SELECT CASE
            WHEN b.n <= :projects * 0.9 THEN CASE
                WHEN b.r_status < 0.667 THEN 'PAID' WHEN b.r_status < 0.75 THEN 'CANCELLED'
                WHEN b.r_status < 0.80 THEN 'REJECTED'
                WHEN b.r_status < 0.85 THEN 'AWAITING_PAYMENT'
                WHEN b.r_status < 0.88 THEN 'COMPLETED' WHEN b.r_status < 0.94 THEN 'IN_PROGRESS'
                WHEN b.r_status < 0.97 THEN 'IN_REVIEW' ELSE 'PENDING' END
            ELSE CASE
                WHEN b.r_status < 0.30 THEN 'PENDING' WHEN b.r_status < 0.50 THEN 'IN_REVIEW'
                WHEN b.r_status < 0.85 THEN 'IN_PROGRESS' WHEN b.r_status < 0.90 THEN 'COMPLETED'
                WHEN b.r_status < 0.95 THEN 'AWAITING_PAYMENT'
                WHEN b.r_status < 0.98 THEN 'REJECTED'
                ELSE 'CANCELLED' END
            END AS status) AS s
        CROSS JOIN LATERAL (SELECT CASE
            WHEN b.r_priority < 0.2 THEN 'LOW' WHEN b.r_priority < 0.7 THEN 'MEDIUM'
            WHEN b.r_priority < 0.92 THEN 'HIGH' ELSE 'URGENT' END AS priority) AS p
        ORDER BY b.n
        """,
    ),
    (
        "reference counters",
        """
        INSERT INTO counter (series, year, last_number)
        SELECT 'project', split_part(reference, '-', 2)::int,
               max(split_part(reference, '-', 3)::int)
        FROM project GROUP BY 2
        ON CONFLICT (series, year) DO UPDATE SET last_number = excluded.last_number
        """,
    ),
    (
        "project services",
        """
        INSERT INTO project_service (project_id, service_id)
        SELECT p.id, s.id FROM project p
        JOIN requested_service s ON s.position = 1 + p.id % 4 OR (p.id % 3 = 0 AND s.position = 1)
        ON CONFLICT DO NOTHING
        """,
    ),
    (
        "history",
        """
        INSERT INTO project_event (project_id, kind, from_status, to_status, note, details,
                                   actor_id, actor_name, created_at, organisation_id)
        SELECT p.id, 'CREATED', NULL, 'PENDING', NULL, NULL, p.created_by_id, 'Claire Dupont',
               p.created_at, p.organisation_id
        FROM project p
        UNION ALL
        SELECT p.id, 'STATUS', 'PENDING', p.status, 'Dossier repris par l''équipe', NULL, NULL,
               'Julien Équipe', p.updated_at, p.organisation_id
        FROM project p WHERE p.status <> 'PENDING'
        UNION ALL
        SELECT p.id, 'PRICES', NULL, NULL, NULL,
               '{"estimated_price_cents": ' || p.estimated_price_cents || '}', NULL,
               'Julien Équipe', p.created_at + interval '1 day', p.organisation_id
        FROM project p WHERE p.id % 2 = 0
        """,
    ),
    (
        "comments",
        # Each comment goes to a project drawn at random: about ten each, some many more.
        """
        INSERT INTO comment (project_id, author_id, author_name, is_internal, body, created_at,
                             organisation_id)
        SELECT p.id, CASE WHEN internal THEN NULL ELSE p.created_by_id END,
               CASE WHEN internal OR g % 2 = 0 THEN 'Julien Équipe' ELSE 'Claire Dupont' END,
               internal,
               left(repeat('Merci pour le plan, la cote de l''alésage est à confirmer. ',
                           1 + g % 10), 20 + (g * 37) % 600),
               p.created_at + ((g * 13) % 720) * interval '1 hour', p.organisation_id
        FROM generate_series(1, :comments) AS g
        CROSS JOIN LATERAL (SELECT g % 7 = 0 AS internal,
                                   floor(random() * :projects)::int AS k) AS i
        JOIN project p ON p.id = (SELECT min(id) FROM project) + i.k
        """,
    ),
    (
        "files",
        """
        INSERT INTO project_file (project_id, kind, storage_key, original_name, size_bytes,
                                  content_type, sha256, uploaded_by_id, uploaded_at,
                                  organisation_id)
        SELECT p.id, CASE WHEN g % 3 = 0 THEN 'DELIVERABLE' ELSE 'PROJECT' END,
               'banc/' || g, (ARRAY['plan', 'piece', 'programme', 'modele'])[1 + g % 4] || '-'
               || g || (ARRAY['.pdf', '.step', '.nc', '.dxf'])[1 + g % 4],
               1000 + (g::bigint * 7919) % 20000000,
               (ARRAY['application/pdf', 'application/step', 'text/plain', 'image/vnd.dxf'])
                   [1 + g % 4],
               md5(g::text) || md5((g + 1)::text), p.created_by_id,
               p.created_at + (g % 5) * interval '1 day', p.organisation_id
        FROM generate_series(1, :files) AS g
        JOIN project p ON p.id = (SELECT min(id) FROM project) + (g::bigint * 16807) % :projects
        """,
    ),
    (
        "payment links",
        """
        INSERT INTO payment_link (project_id, token_hash, created_at, expires_at, sent_at,
                                  organisation_id)
        SELECT p.id, md5('lien' || p.id) || md5('banc' || p.id),
               now() AT TIME ZONE 'UTC' - (p.id % 6) * interval '1 day',
               now() AT TIME ZONE 'UTC' + (7 - p.id % 6) * interval '1 day' - interval '1 hour',
               now() AT TIME ZONE 'UTC' - (p.id % 6) * interval '1 day', p.organisation_id
        FROM project p WHERE p.status = 'AWAITING_PAYMENT'
        """,
    ),
    (
        "payments",
        """
        INSERT INTO payment (organisation_id, project_id, project_reference, project_title,
                             organisation_name, client_name, client_email, amount_cents,
                             refunded_cents, currency, method, status,
                             stripe_checkout_session_id, stripe_payment_intent_id,
                             external_reference, paid_at, created_at)
        SELECT p.organisation_id, p.id, p.reference, p.title, o.name, p.client_name,
               p.client_email, p.final_price_cents,
               CASE WHEN p.id % 50 = 0 THEN 5000 ELSE 0 END, 'EUR',
               CASE WHEN p.id % 10 < 7 THEN 'STRIPE' WHEN p.id % 10 < 9 THEN 'TRANSFER'
                    ELSE 'CHEQUE' END,
               CASE WHEN p.id % 50 = 0 THEN 'PARTIALLY_REFUNDED' ELSE 'SUCCEEDED' END,
               CASE WHEN p.id % 10 < 7 THEN 'cs_banc_' || p.id END,
               CASE WHEN p.id % 10 < 7 THEN 'pi_banc_' || p.id END,
               CASE WHEN p.id % 10 >= 7 THEN 'VIR-' || p.id END,
               p.paid_at, p.paid_at
        FROM project p JOIN organisation o ON o.id = p.organisation_id
        WHERE p.status = 'PAID'
        ORDER BY p.paid_at
        """,
    ),
    (
        "invoices",
        """
        INSERT INTO invoice (organisation_id, number, year, sequence, payment_id, project_id,
                             project_reference, project_title, organisation_name, client_name,
                             client_email, seller_name, seller_address, vat_rate_basis_points,
                             amount_excl_cents, vat_cents, amount_incl_cents, currency, issued_at)
        SELECT organisation_id,
               'F-' || year || '-'
                   || lpad(sequence::text, greatest(5, length(sequence::text)), '0'),
               year,
               sequence, id, project_id, project_reference, project_title, organisation_name,
               client_name, client_email, 'CNC Pulse', '12 quai Rambaud, 69002 Lyon', 2000,
               amount_cents * 5 / 6, amount_cents - amount_cents * 5 / 6, amount_cents, currency,
               paid_at
        FROM (SELECT p.*, extract(year FROM paid_at)::int AS year,
                     row_number() OVER (PARTITION BY extract(year FROM paid_at)
                                        ORDER BY paid_at, id) AS sequence
              FROM payment p) AS numbered
        """,
    ),
    (
        "invoice counters",
        """
        INSERT INTO counter (series, year, last_number)
        SELECT 'invoice', year, max(sequence) FROM invoice GROUP BY year
        ON CONFLICT (series, year) DO UPDATE SET last_number = excluded.last_number
        """,
    ),
    (
        "refunds",
        """
        INSERT INTO refund (organisation_id, payment_id, amount_cents, stripe_refund_id, reason,
                            created_at)
        SELECT organisation_id, id, refunded_cents,
               CASE WHEN method = 'STRIPE' THEN 're_banc_' || id END, 'Geste commercial',
               paid_at + interval '3 days'
        FROM payment WHERE refunded_cents > 0
        """,
    ),
)
