"""`scanroom ledger`: the dose ledger of simulated exposures.

show   totals per trainee (patient DAP/DLP/E, DRL exceedances, staff dose, repeats) and the flagged events
check  exit 1 when any flagged event is still unreviewed (above DRL, excessive DI, repeats, wrong MR screening,
       cumulative staff dose over the investigation level or the jurisdiction's annual limit)
"""

from __future__ import annotations

import typer

from scanroom.cli import CliError, _session

app = typer.Typer(help="Dose ledger: patient and staff dose of simulated exposures, checked against DRLs and limits.",
                  no_args_is_help=True)

JURISDICTION = typer.Option("icrp", help="Dose limits: icrp, eu, uk-irr17 or us-nrc.")
LEVEL = typer.Option(None, "--investigation-level", help="Annual staff dose (mSv) that triggers an investigation.")
TRAINEE = typer.Option(None, "--trainee", help="Only this trainee (username).")


def _ledger(db, jurisdiction: str, level: float | None, trainee: str | None):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from scanroom.safety import dose_ledger
    from scanroom.safety.limits import DEFAULT_INVESTIGATION_LEVEL_MSV
    from scanroom.store.models import Role, User

    query = select(User).where(User.role == Role.TRAINEE).order_by(User.username)
    if trainee:
        query = query.where(User.username == trainee.strip().lower())
    people = list(db.scalars(query))
    if trainee and not people:
        raise CliError(f"No trainee named {trainee!r}.")
    try:
        return dose_ledger.build_ledger(db, people, jurisdiction=jurisdiction,
                                        investigation_level_msv=level or DEFAULT_INVESTIGATION_LEVEL_MSV)
    except ValueError as problem:
        raise CliError(str(problem)) from None


@app.command("show")
def show(jurisdiction: str = JURISDICTION, investigation_level: float | None = LEVEL,
         trainee: str | None = TRAINEE) -> None:
    """Print totals per trainee and the flagged events."""
    from scanroom.safety import dose_ledger

    with _session() as db:
        ledger = _ledger(db, jurisdiction, investigation_level, trainee)
        typer.echo(f"{'trainee':<14}{'exposures':>10}{'DAP Gy·cm²':>12}{'DLP mGy·cm':>12}{'E mSv':>9}"
                   f"{'>DRL':>6}{'staff mSv':>11}{'repeats':>9}")
        for row in dose_ledger.totals_as_rows(ledger):
            typer.echo(f"{row['trainee']:<14}{row['exposures']:>10}{row['dap_gycm2']:>12.4f}{row['dlp_mgycm']:>12.0f}"
                       f"{row['effective_msv']:>9.4f}{row['above_drl']:>6}{row['staff_msv']:>11.5f}"
                       f"{row['repeats']:>5} ({100 * row['repeat_rate']:.0f}%)")
        typer.echo(f"limits: {ledger.limits.title}; investigation level {ledger.investigation_level_msv:g} mSv/year")
        reasons = ledger.repeat_reasons()
        typer.echo(f"repeat rate in task attempts: {100 * ledger.overall_repeat_rate():.0f}%"
                   + (f" (reasons: {', '.join(f'{r} {n}' for r, n in reasons.most_common())})" if reasons else ""))
        for event in ledger.events:
            state = "reviewed" if event.key in ledger.reviews else "OPEN"
            user = ledger.users.get(event.trainee_id)
            typer.echo(f"[{state}] {event.at:%Y-%m-%d %H:%M} {user.username if user else event.trainee_id}: "
                       f"{event.message}")


@app.command("check")
def check(jurisdiction: str = JURISDICTION, investigation_level: float | None = LEVEL,
          trainee: str | None = TRAINEE) -> None:
    """Exit 1 and list the open events when any flagged event awaits review; exit 0 otherwise."""
    with _session() as db:
        ledger = _ledger(db, jurisdiction, investigation_level, trainee)
        open_events = ledger.open_events()
        for event in open_events:
            user = ledger.users.get(event.trainee_id)
            typer.echo(f"{event.kind}: {user.username if user else event.trainee_id}: {event.message}")
        typer.echo(f"{len(ledger.entries)} exposures, {len(ledger.events)} flagged, "
                   f"{len(open_events)} awaiting review.")
    if open_events:
        raise typer.Exit(1)
