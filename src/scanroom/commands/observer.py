"""`scanroom observer`: observer-performance (MRMC) analysis of reader-study files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(help="Observer-performance statistics: MRMC analysis of reader studies (OR, DBM).",
                  no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    """One ``scanroom: error:`` line and exit status 1. (Printed here rather than raising ``scanroom.cli.CliError``,
    which ``python -m scanroom.cli`` would not catch: there the running CLI module is ``__main__``, a second copy.)"""
    typer.echo(f"scanroom: error: {message}", err=True)
    raise typer.Exit(code=1)


@app.command("analyze")
def analyze_cmd(
    file: Annotated[Path, typer.Argument(help="Long-form CSV (reader,treatment,case,truth,rating) or JAFROC .xlsx.")],
    method: Annotated[str, typer.Option("--method", help="or (Obuchowski-Rockette) or dbm (Dorfman-Berbaum-Metz).")]
    = "or",
    fom: Annotated[str, typer.Option("--fom", help="auc (ROC, Wilcoxon) or wafroc (needs a JAFROC .xlsx).")] = "auc",
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level for tests and intervals.")] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Compare treatments in a multi-reader multi-case study (RRRC, FRRC and RRFC; Hillis ddf)."""
    from scanroom.reading.observer import ObserverDataError, analyze, load

    method, fom = method.strip().lower(), fom.strip().lower()
    if method not in ("or", "dbm"):
        _fail(f"--method must be or or dbm, not {method!r}")
    if fom not in ("auc", "wafroc"):
        _fail(f"--fom must be auc or wafroc, not {fom!r}")
    try:
        result = analyze(load(file), method=method, fom=fom, alpha=alpha)  # type: ignore[arg-type]
    except ObserverDataError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(result.report())
