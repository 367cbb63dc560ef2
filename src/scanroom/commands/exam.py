"""`scanroom exam`: the adaptive-test simulation (1,000 examinees on the calibrated bank) and exam listing."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Exams: adaptive-test simulation, list.", no_args_is_help=True)


@app.command("simulate")
def simulate_cmd(
    examinees: Annotated[int, typer.Option(min=50, max=20000, help="Simulated examinees.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    target_se: Annotated[float, typer.Option(min=0.15, max=1.0, help="Stop at this posterior SD.")] = 0.30,
    exposure_max: Annotated[float, typer.Option(min=0.05, max=1.0, help="Item exposure ceiling.")] = 0.25,
    calibration: Annotated[str, typer.Option(
        help="em (Scanroom's MML-EM, seconds) or girth (girth's 2PL MML, minutes for 500 items).")] = "em",
) -> None:
    """Calibrate the bank from simulated responses, then run the CAT and print its figures."""
    from scanroom.learning import cat
    from scanroom.learning.simulation import classroom_bank

    if calibration not in ("girth", "em"):
        raise typer.BadParameter("calibration must be girth or em")
    typer.echo(f"calibrating the bank from 2,000 simulated examinees with {calibration} (cached after the first "
               "run) …")
    ids, levels, true, used = classroom_bank(use_girth=calibration == "girth")
    config = cat.CatConfig(target_se=target_se, exposure_max=exposure_max)
    with typer.progressbar(length=examinees, label="simulating examinees") as bar:
        done = [0]

        def step(k: int, _total: int) -> None:
            bar.update(k - done[0])
            done[0] = k

        report = cat.simulate(true, used, examinees=examinees, seed=seed, config=config, strata=levels, progress=step)
    typer.echo(f"bank: {len(ids)} items (authored + generated), 2PL generating parameters assigned by level, "
               f"calibrated with {calibration}")
    for line in report.lines():
        typer.echo(line)


@app.command("list")
def list_cmd() -> None:
    """Exams in the database."""
    from sqlalchemy import select

    from scanroom.cli import _session
    from scanroom.store.models_learning import ClassroomExam

    with _session() as db:
        for exam in db.scalars(select(ClassroomExam).order_by(ClassroomExam.id)):
            typer.echo(f"{exam.id:>4}  {exam.kind:<8} {len(exam.item_ids):>4} items  {exam.title}")
