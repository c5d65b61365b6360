"""The `flask cnc …` commands, as an operator types them."""

from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, Organisation


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["cnc", *args])


def test_create_organisation_then_users(app):
    result = run(app, "create-organisation", "Atelier Dupont", "--project-limit", "12")
    assert result.exit_code == 0, result.output
    assert "Organisation 'Atelier Dupont' created" in result.output
    assert db.session.scalars(select(Organisation)).one().project_limit == 12

    result = run(
        app,
        "create-user",
        "--email",
        "claire@atelier-dupont.fr",
        "--password",
        "un-mot-de-passe",
        "--role",
        "OrgAdmin",
        "--organisation",
        "Atelier Dupont",
        "--name",
        "Claire Dupont",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(AppUser)).one()
    assert (user.username, user.first_name, user.last_name) == (
        "claire@atelier-dupont.fr",
        "Claire",
        "Dupont",
    )


def test_refusals_are_plain_messages_and_a_failing_exit_code(app):
    result = run(
        app,
        "create-user",
        "--email",
        "x@y.fr",
        "--password",
        "un-mot-de-passe",
        "--role",
        "OrgMember",
    )
    assert result.exit_code == 1
    assert "Error: An organisation user needs an organisation." in result.output
    assert db.session.scalars(select(AppUser)).all() == []

    run(app, "create-organisation", "Atelier")
    result = run(app, "create-organisation", "atelier")
    assert result.exit_code == 1 and "already exists" in result.output


def test_sync_roles_is_repeatable(app):
    assert run(app, "sync-roles").exit_code == 0
    result = run(app, "sync-roles")
    assert result.exit_code == 0 and "up to date" in result.output
    roles = {role.name for role in app.appbuilder.sm.get_all_roles()}
    assert {"Admin", "Team", "OrgAdmin", "OrgMember", "Public"} <= roles


def test_seed_demo_prints_the_logins_once(app):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert "admin@cnc-pulse.fr" in first.output and "cncpulse-admin" in first.output
    second = run(app, "seed-demo")
    assert second.exit_code == 0 and "already there" in second.output
