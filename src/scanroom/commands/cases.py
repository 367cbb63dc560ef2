"""`scanroom cases …`: the reading room's case library from the command line.

generate  synthetic cases in bulk (balanced normal/abnormal, difficulty spread), with a progress bar
import    real teaching files from a folder, zip or files, or from a PACS over DICOMweb, de-identified
starter   the starter library from pydicom-data's real images
list      the library, filterable
publish   make draft cases readable
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from scanroom.accounts.service import ValidationProblem
from scanroom.cli import CliError, _session, _upgrade
from scanroom.config import get_settings

app = typer.Typer(help="Interpretation cases: generate, import, list, publish.", no_args_is_help=True)


def _data_dir() -> Path:
    return get_settings().resolved_data_dir()


@app.command("generate")
def generate(count: int = typer.Option(20, "--count", "-n", help="How many cases (1–2000)."),
             modality: str = typer.Option("xray", help="xray (chest PA, nodules) or ct (portal-venous liver)."),
             difficulty: str = typer.Option("mixed", help="mixed, easy, moderate or hard."),
             abnormal_fraction: float = typer.Option(0.5, help="Fraction of cases with lesions."),
             seed: int = typer.Option(0, help="Seed: the same seed gives the same cases (re-runs add none)."),
             as_json: bool = typer.Option(False, "--json", help="Print the created case keys as JSON.")) -> None:
    """Generate synthetic cases with known truth (chest radiographs or liver CT) and publish them."""
    from scanroom.reading.cases import generate_cases

    _upgrade()
    with _session() as db:
        with typer.progressbar(length=count, label="Generating cases", file=sys.stderr) as bar:
            def progress(done: int, total: int, key: str) -> None:
                db.commit()  # each case lands as soon as it is made: an interrupted run keeps what it made
                bar.length = total
                bar.update(1)

            try:
                if modality not in ("xray", "ct"):
                    raise ValidationProblem("modality", "Modality is xray or ct.")
                created = generate_cases(db, _data_dir(), count, modality=modality, difficulty=difficulty,
                                         abnormal_fraction=abnormal_fraction, seed=seed, progress=progress)
            except ValidationProblem as exc:
                raise CliError(exc.message) from exc
        keys = [c.key for c in created]
        abnormal = sum(1 for c in created if c.abnormal)
    if as_json:
        typer.echo(json.dumps({"created": keys, "abnormal": abnormal}))
    else:
        typer.echo(f"{len(keys)} new cases ({abnormal} abnormal, {len(keys) - abnormal} normal); "
                   f"{count - len(keys)} already existed.")


@app.command("import")
def import_cases(paths: list[Path] = typer.Argument(None, help="DICOM files, folders or zip archives."),
                 dicomweb: str = typer.Option("", help="Pull from a DICOMweb server (base URL) instead."),
                 study: list[str] = typer.Option(None, help="Study Instance UID to pull (repeatable)."),
                 query: list[str] = typer.Option(None, help="QIDO-RS filter key=value (repeatable).")) -> None:
    """Import real teaching files, de-identified (PS3.15 basic profile), as draft cases."""
    from scanroom.dicom.teaching_import import DicomWebError
    from scanroom.reading import teaching

    if not paths and not dicomweb:
        raise CliError("give files/folders/zips to import, or --dicomweb URL with --study or --query")
    for path in paths or []:
        if not path.exists():
            raise CliError(f"{path}: no such file or folder")
    filters = {}
    for item in query or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise CliError(f"--query {item!r}: expected key=value")
        filters[key] = value
    _upgrade()
    with _session() as db:
        with typer.progressbar(length=1, label="Importing", file=sys.stderr) as bar:
            def progress(done: int, total: int, name: str) -> None:
                bar.length = max(total, 1)
                bar.update(1)

            try:
                if dicomweb:
                    report = teaching.pull_as_draft_cases(db, _data_dir(), dicomweb, study_uids=study or None,
                                                          query=filters or None, progress=progress)
                else:
                    report = teaching.import_as_draft_cases(db, _data_dir(), list(paths), progress=progress)
            except (DicomWebError, ValidationProblem) as exc:
                raise CliError(str(exc)) from exc
        for name, reason in report.skipped:
            typer.echo(f"skipped {name}: {reason}", err=True)
        typer.echo(f"{len(report.cases)} draft cases from the import; {len(report.skipped)} files skipped. "
                   "Add the question and truth on the case pages, then publish.")


@app.command("starter")
def starter() -> None:
    """Install the starter library (real radiographs from pydicom-data with marked truth)."""
    from scanroom.reading.teaching import seed_starter_library

    _upgrade()
    with _session() as db:
        created = seed_starter_library(db, _data_dir())
        typer.echo(f"{len(created)} starter cases: " + ", ".join(c.key for c in created))


@app.command("list")
def list_cases(modality: str = typer.Option("", help="Only this modality (xray, ct, cr, mr…)."),
               tag: list[str] = typer.Option(None, help="Only cases with this tag (repeatable)."),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """List the case library."""
    from scanroom.reading.cases import find_cases

    _upgrade()
    with _session() as db:
        rows = [{"id": c.id, "key": c.key, "modality": c.modality, "source": c.source.value,
                 "status": c.status.value, "abnormal": c.abnormal, "findings": len(c.findings),
                 "difficulty": c.difficulty, "title": c.title}
                for c in find_cases(db, modality=modality or None, tags=tag or [])]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        typer.echo(f"{r['id']:>5}  {r['key']:<24} {r['modality']:<5} {r['source']:<9} {r['status']:<9} "
                   f"{'abnormal' if r['abnormal'] else 'normal':<8} {r['findings']} finding(s)  {r['title']}")
    typer.echo(f"{len(rows)} cases")


@app.command("publish")
def publish_cases(keys: list[str] = typer.Argument(..., help="Case keys to publish.")) -> None:
    """Publish draft cases (they need a question)."""
    from sqlalchemy import select

    from scanroom.reading.cases import publish
    from scanroom.store.models_reading import Case

    _upgrade()
    with _session() as db:
        for key in keys:
            case = db.scalar(select(Case).where(Case.key == key))
            if case is None:
                raise CliError(f"no case with key {key!r}")
            try:
                publish(case)
            except ValidationProblem as exc:
                raise CliError(f"{key}: {exc.message}") from exc
        typer.echo(f"published {len(keys)} case(s)")
