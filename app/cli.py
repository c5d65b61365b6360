"""The `flask cnc …` commands: set-up, accounts, demo data, outbox upkeep, the schedule."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.domain.errors import DomainError

cnc = AppGroup("cnc", help="CNC Pulse administration.")


def _fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


@cnc.command("sync-roles")
def sync_roles_command() -> None:
    """Write the permissions of every view and create the roles Admin, Team, OrgAdmin, OrgMember."""
    from app.services.account import sync_roles

    sync_roles()
    click.echo("Roles and permissions are up to date.")


@cnc.command("create-organisation")
@click.argument("name")
@click.option(
    "--project-limit", type=click.IntRange(min=0), default=None, help="Projects allowed at once."
)
def create_organisation_command(name: str, project_limit: int | None) -> None:
    """Create an organisation."""
    from app.services.account import create_organisation

    try:
        organisation = create_organisation(name, project_limit)
    except DomainError as error:
        _fail(error)
    limit = "no limit" if project_limit is None else f"limit {project_limit}"
    click.echo(f"Organisation {organisation.name!r} created (id {organisation.id}, {limit}).")


@cnc.command("create-user")
@click.option("--email", required=True, help="The login.")
@click.option("--password", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["Admin", "Team", "OrgAdmin", "OrgMember"])
)
@click.option(
    "--organisation", "organisation_name", default=None, help="Required for OrgAdmin and OrgMember."
)
@click.option("--name", default=None, help='"First Last"')
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr")
def create_user_command(
    email: str,
    password: str,
    role: str,
    organisation_name: str | None,
    name: str | None,
    language: str,
) -> None:
    """Create a user; the email is the login."""
    from app.services.account import create_user

    try:
        user = create_user(email, password, role, organisation_name, name, language)
    except DomainError as error:
        _fail(error)
    click.echo(f"User {user.email} created with role {role}.")


@cnc.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo data (organisations, users of every role, projects in every status) once."""
    from app.services.demo import DEMO_LOGINS, seed_demo

    try:
        loaded = seed_demo()
    except DomainError as error:
        _fail(error)
    if not loaded:
        click.echo("Demo data is already there.")
        return
    click.echo("Demo data loaded. Logins:")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<10} {email:<38} {password}")
    mailbox = current_app.config.get("MAIL_MAILBOX_DIR")
    if mailbox and not current_app.config.get("MAIL_SERVER"):
        click.echo(f"Its emails are in the development mailbox {mailbox} and the email log.")


@cnc.command("sweep-outbox")
@click.option(
    "--older-than", default=60, show_default=True, help="Seconds a message may wait first."
)
def sweep_outbox_command(older_than: int) -> None:
    """Dispatch outbox messages that never reached a queue (Redis was down, a worker died)."""
    from app.jobs.dispatch import sweep_outbox

    count = sweep_outbox(older_than_seconds=older_than)
    click.echo(f"{count} message(s) dispatched again.")


@cnc.command("scheduler")
def scheduler_command() -> None:
    """Start the periodic jobs: outbox sweep, payment-link notices, clean-up. Runs until stopped."""
    from flask import current_app

    from app.jobs.schedule import SCHEDULE, build_scheduler

    dispatcher = current_app.extensions["dispatcher"]
    if not dispatcher.redis_url:
        raise click.ClickException(
            "The scheduler needs REDIS_URL. Without Redis, run `flask cnc run-periodic NAME` "
            "from cron instead."
        )
    for entry in SCHEDULE:
        click.echo(f"{entry.name}: every {entry.interval} s on queue {entry.queue}")
    # One line each time a job is put on its queue.
    logging.getLogger("rq.cron").setLevel(logging.INFO)
    build_scheduler(dispatcher.connection).start()


@cnc.command("run-periodic")
@click.argument("name")
def run_periodic_command(name: str) -> None:
    """Run one periodic job of the schedule now, in this process."""
    from app.jobs.schedule import SCHEDULE, run_periodic

    names = [entry.name for entry in SCHEDULE]
    if name not in names:
        known = ", ".join(names)
        raise click.ClickException(f"No periodic job is called {name!r}. Known: {known}.")
    result = run_periodic(name)
    click.echo(f"{name} done: {result}.")


@cnc.command("reconcile-payments")
def reconcile_payments_command() -> None:
    """Ask Stripe about unsettled card payments and mark paid what its events did not."""
    from app.services.checkout import reconcile_payments

    result = reconcile_payments()
    click.echo(
        f"{result.checked} session(s) checked, {result.paid} project(s) marked paid, "
        f"{result.unreachable} not reachable."
    )


@cnc.command("regenerate-previews")
@click.option("--project", "reference", help="Only this project's files (its reference).")
@click.option(
    "--all", "everything", is_flag=True, help="Read every file again, even those up to date."
)
def regenerate_previews_command(reference: str | None, everything: bool) -> None:
    """Queue a new reading of the files whose preview an older reader made, or is missing."""
    from app.services.preview import project_by_reference, regenerate_previews

    project_id = None
    if reference:
        try:
            project_id = project_by_reference(reference)
        except DomainError as error:
            _fail(error)
    count = regenerate_previews(project_id, everything=everything)
    click.echo(f"{count} reading(s) queued on the previews queue.")
    dispatcher = current_app.extensions["dispatcher"]
    if not dispatcher.redis_url and count:
        dispatcher.wait_for_background()
        click.echo("Read.")
