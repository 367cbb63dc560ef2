"""`scanroom competency`: lint and count the frameworks and tasks, export a trainee's record (CSV or PDF).

lint   validate content/frameworks/*.yaml and content/tasks/*.yaml (or the files given); each problem is
       printed as FILE:LINE: message and the exit status is 1 when there is any
stats  requirements per framework, section and category, rules, items still marked verify
record export a trainee's competency record to a file (format from the extension: .csv or .pdf)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from scanroom.cli import CliError, _session

app = typer.Typer(help="Competency frameworks, practical tasks and records.", no_args_is_help=True)
record_app = typer.Typer(help="Trainee competency records.", no_args_is_help=True)
app.add_typer(record_app, name="record")


@app.command("lint")
def lint(paths: list[Path] = typer.Argument(None, help="Framework or task files (default: all in content/).")) -> None:
    """Validate frameworks and tasks like a content lint; print FILE:LINE: problem, exit 1 on any."""
    from scanroom.competency import frameworks, tasks

    framework_paths: list[Path] = []
    task_paths: list[Path] = []
    for path in paths or []:
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        (task_paths if "tasks" in path.parts or _looks_like_task(path) else framework_paths).append(path)
    if not paths:
        framework_paths, task_paths = frameworks.framework_files(), tasks.task_files()
    good, problems = frameworks.lint(framework_paths)
    task_count = 0
    for path in task_paths:
        try:
            tasks.parse(path.read_text(encoding="utf-8"), str(path))
            task_count += 1
        except tasks.TaskError as exc:
            problems.extend(exc.problems)
    for file, line, message in problems:
        typer.echo(f"{file}:{line}: {message}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"OK: {len(good)} frameworks, {task_count} tasks.")


def _looks_like_task(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return "\nrubric:" in head and "\nscenario:" in head


@app.command("stats")
def stats() -> None:
    """Count requirements per framework (by category and section), rules, tasks and unverified items."""
    from scanroom.competency import frameworks, tasks

    for framework in frameworks.all_frameworks():
        categories = Counter(r.category for r in framework.requirements)
        verify = sum(1 for r in framework.requirements if r.verify)
        typer.echo(f"{framework.id}: {len(framework.requirements)} requirements "
                   f"({', '.join(f'{n} {c}' for c, n in sorted(categories.items()))}), "
                   f"{len(framework.sections)} sections, {len(framework.rules)} rules, {verify} marked verify")
        for rule in framework.rules:
            selected = sum(1 for r in framework.requirements if rule.selects(r))
            need = selected if rule.type == "all" else rule.min
            typer.echo(f"  rule {rule.id}: {need} of {selected} — {rule.description}")
    by_modality = Counter(t.modality for t in tasks.all_tasks())
    typer.echo(f"tasks: {sum(by_modality.values())} ({', '.join(f'{n} {m}' for m, n in sorted(by_modality.items()))})")


@record_app.command("export")
def record_export(username: str = typer.Argument(..., help="The trainee's username."),
                  out: Path = typer.Option(..., "--out", help="File to write: .csv or .pdf.")) -> None:
    """Write a trainee's competency record (every requirement, evidence, status, date) as CSV or PDF."""
    from sqlalchemy import select

    from scanroom.competency import export, records
    from scanroom.store.models import Role, User

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".pdf"):
        raise CliError(f"--out {out}: use a .csv or .pdf file name")
    with _session() as db:
        trainee = db.scalar(select(User).where(User.username == username.strip().lower()))
        if trainee is None or trainee.role != Role.TRAINEE:
            raise CliError(f"No trainee named {username!r}.")
        record = records.competency_record(db, trainee)
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            out.write_text(export.to_csv(record), encoding="utf-8")
        else:
            out.write_bytes(export.to_pdf(record))
        counts = records.summary(record)
    typer.echo(f"Wrote {out}: {counts['met']} of {counts['total']} requirements met ({record.framework.id}).")
