"""The ``scanroom`` command line. Errors print one line (``scanroom: error: …``) and exit non-zero."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from scanroom import __version__
from scanroom.config import get_settings
from scanroom.scanner.base import ProtocolError
from scanroom.store.db import DatabaseUnavailable, check_connection, make_engine, make_session_factory

try:  # Typer >= 0.29 vendors its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

app = typer.Typer(name="scanroom", help="Scanroom: medical imaging training platform (education only).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
cohort_app = typer.Typer(help="Cohorts.", no_args_is_help=True)
seed_app = typer.Typer(help="Demo content and sample images.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(cohort_app, name="cohort")
app.add_typer(seed_app, name="seed")


class CliError(Exception):
    """A problem to report in one line, with exit status 1 (2 for usage errors)."""


def _database_url() -> str:
    return get_settings().resolved_database_url()


def _ready_engine():  # type: ignore[no-untyped-def]
    engine = make_engine(_database_url())
    check_connection(engine)
    return engine


@contextmanager
def _session() -> Iterator[Session]:
    engine = _ready_engine()
    factory = make_session_factory(engine)
    db = factory()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()
        engine.dispose()


def _upgrade() -> None:
    from scanroom.store.migrate import upgrade

    _ready_engine().dispose()
    upgrade(_database_url())


@app.command()
def version() -> None:
    """Print the Scanroom version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest schema."""
    _upgrade()
    typer.echo("Database schema is up to date.")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
          migrate: bool = typer.Option(True, help="Apply migrations before starting.")) -> None:
    """Start the web app (migrating the database first)."""
    import uvicorn

    from scanroom.web.app import create_app

    if migrate:
        _upgrade()
    else:
        _ready_engine().dispose()
    typer.echo(f"Scanroom {__version__} on http://{host}:{port}/ — for education only, not for clinical use.")
    uvicorn.run(create_app(), host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                log_level="info")


@user_app.command("add")
def user_add(username: str, role: str = typer.Option("trainee", help="trainee, instructor or admin."),
             full_name: str = typer.Option("", help="Display name."),
             email: str = typer.Option("", help="Email address."),
             password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="Initial password (prompted if omitted).")) -> None:
    """Create a user account."""
    from scanroom.accounts.service import ValidationProblem, create_user

    with _session() as db:
        try:
            user = create_user(db, username=username, password=password, role=role, full_name=full_name,
                               email=email)
        except ValidationProblem as problem:
            raise CliError(problem.message) from None
        typer.echo(f"Created {user.role.value} {user.username} (id {user.id}).")


@cohort_app.command("add")
def cohort_add(name: str, programme: str = typer.Option(..., help="Programme name (see the admin page)."),
               start_year: int | None = typer.Option(None, help="Year the cohort starts.")) -> None:
    """Create a cohort in a programme."""
    from sqlalchemy import select

    from scanroom.accounts.service import ValidationProblem, create_cohort
    from scanroom.store.models import Programme

    with _session() as db:
        programme_id = db.scalar(select(Programme.id).where(Programme.name == programme))
        if programme_id is None:
            names = ", ".join(db.scalars(select(Programme.name))) or "none yet"
            raise CliError(f"No programme named {programme!r} (existing: {names}).")
        try:
            cohort = create_cohort(db, name=name, programme_id=programme_id, start_year=start_year)
        except ValidationProblem as problem:
            raise CliError(problem.message) from None
        typer.echo(f"Created cohort {cohort.name} (id {cohort.id}).")


@seed_app.command("demo")
def seed_demo_command(images: bool = typer.Option(True, help="Also install the sample images.")) -> None:
    """Seed the demo programme, cohort, demo accounts and sample images (idempotent)."""
    from scanroom.demo import DEMO_ACCOUNTS, seed_demo

    _upgrade()
    with _session() as db:
        counts = seed_demo(db, get_settings().resolved_data_dir(), with_images=images,
                           progress=lambda message: typer.echo(f"  {message}"))
    typer.echo(f"Demo ready: {counts['programmes']} programmes, {counts['images']} sample images.")
    for account in DEMO_ACCOUNTS:
        typer.echo(f"  {account.role.value:<10} {account.username:<11} password: {account.password}")


@seed_app.command("samples")
def seed_samples_command() -> None:
    """Install only the sample gallery images (no demo accounts)."""
    from scanroom.dicom.library import seed_gallery

    _upgrade()
    with _session() as db:
        count = seed_gallery(db, get_settings().resolved_data_dir(),
                             progress=lambda message: typer.echo(f"  {message}"))
    typer.echo(f"{count} sample images installed.")


OPTIONAL_GROUPS = ("patient", "acquire", "cases", "observer", "reading", "content", "exam", "competency", "ledger")


def _register_optional_groups() -> None:
    """Sub-command groups that live in their own modules (``commands/<group>.py``)."""
    from scanroom.optional import import_optional

    for group in OPTIONAL_GROUPS:
        module = import_optional(f"scanroom.commands.{group}")
        if module is not None:
            app.add_typer(module.app, name=group)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning expected failures into one line on stderr."""
    _register_optional_groups()
    try:
        result = app(args=argv, prog_name="scanroom", standalone_mode=False)
    except (CliError, DatabaseUnavailable, ProtocolError) as exc:
        typer.echo(f"scanroom: error: {exc}", err=True)
        return 1
    except click_exceptions.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            typer.echo(exc.ctx.get_help())
        return 0
    except click_exceptions.UsageError as exc:
        typer.echo(f"scanroom: error: {exc.format_message()}", err=True)
        return 2
    except click_exceptions.ClickException as exc:
        typer.echo(f"scanroom: error: {exc.format_message()}", err=True)
        return exc.exit_code or 1
    except typer.Abort:
        typer.echo("scanroom: aborted", err=True)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    # Run the imported module's main, so `python -m scanroom.cli` and the command modules share one CliError class.
    from scanroom import cli as _cli

    sys.exit(_cli.main())
