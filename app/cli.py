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
    from redis.exceptions import RedisError

    from app.jobs.dispatch import Dispatcher, sweep_outbox

    dispatcher: Dispatcher = current_app.extensions["dispatcher"]
    if dispatcher.redis_url:
        try:
            dispatcher.connection.ping()
        except RedisError as error:
            # The periodic sweep shrugs this off and tries again; a person asking wants to know.
            raise click.ClickException(
                f"Redis does not answer ({type(error).__name__}); nothing was dispatched. "
                "The messages stay in the outbox: run this again once Redis is back."
            ) from error
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


@cnc.command("storage-check")
def storage_check_command() -> None:
    """Write, read back and delete a probe file in the file store, and say what happened."""
    from app.services.storage import probe

    result = probe(current_app.extensions["storage"])
    click.echo(f"File store: {result.store}")
    for step in result.steps:
        click.echo(f"  {step}")
    if not result.ok:
        raise click.ClickException("The file store does not work: see above.")
    click.echo("The file store works.")


@cnc.command("storage-migrate")
@click.option(
    "--to", "backend", required=True, type=click.Choice(["local", "s3"]), help="Copy into it."
)
def storage_migrate_command(backend: str) -> None:
    """Copy every stored file to the other backend, checking each; run it again to resume.

    The source is the backend STORAGE_BACKEND names; the target is set up from the same
    settings (STORAGE_DIR, or S3_*). Switch STORAGE_BACKEND once the copy reports no error.
    """
    from app.services.storage import migrate
    from app.storage import StorageSetupError, build_storage

    if backend == current_app.config["STORAGE_BACKEND"]:
        raise click.ClickException(f"The files are already in the {backend} store.")
    try:
        target = build_storage(current_app, backend)
    except StorageSetupError as error:
        raise click.ClickException(str(error)) from None
    source = current_app.extensions["storage"]
    click.echo(f"From {source.describe()}\n  to {target.describe()}")
    report = migrate(source, target, current_app.config["MAX_FILE_BYTES"])
    megabytes = report.copied_bytes / (1024 * 1024)
    click.echo(
        f"{report.copied} file(s) copied ({megabytes:.1f} MB), {report.skipped} already there, "
        f"{len(report.missing)} missing from the source, {len(report.failed)} failed."
    )
    for key in report.missing:
        click.echo(f"  missing: {key}")
    for line in report.failed:
        click.echo(f"  failed: {line}")
    if not report.ok:
        raise click.ClickException("Some files were not copied: run the command again.")
    click.echo(f"Every file is in the new store: set STORAGE_BACKEND={backend} and restart.")


@cnc.command("storage-sweep")
@click.option(
    "--older-than-hours",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    help="Only blobs written longer ago than this.",
)
@click.option("--force", is_flag=True, help="Delete even when most of the store would go.")
def storage_sweep_command(older_than_hours: int, force: bool) -> None:
    """Delete the stored blobs no file or preview names (left by a refused deletion)."""
    from datetime import timedelta

    from app.services.storage import SweepRefusedError, sweep

    storage = current_app.extensions["storage"]
    try:
        removed = sweep(storage, timedelta(hours=older_than_hours), force=force)
    except SweepRefusedError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        _fail(error)
    click.echo(f"{len(removed)} blob(s) no row names deleted.")
