"""`scanroom content`: counts of the Classroom's content, and the lint that gates it (file:line problems)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Classroom content: lessons and items (stats, lint).", no_args_is_help=True)

def _root(root: Path | None) -> Path:
    from scanroom.cli import CliError
    from scanroom.learning.content import content_root

    path = root or content_root()
    if not (path / "lessons").is_dir() and not (path / "items").is_dir():
        raise CliError(f"No Classroom content at {path} (expected lessons/ and items/ folders).")
    return path


RootOption = Annotated[Path | None, typer.Option("--root", help="Content folder (default: the checkout's content/).")]


@app.command("stats")
def stats_cmd(root: RootOption = None) -> None:
    """Counts per item type, topic, modality and module; lessons and objectives."""
    from scanroom.learning.content import load, stats

    figures = stats(load(_root(root)))
    typer.echo(f"lessons {figures['lessons']}, objectives {figures['objectives']}, authored items {figures['items']}, "
               f"generated-item templates {figures['templates']}")
    for title, key in (("by type", "by_type"), ("by topic", "by_topic"), ("by modality", "by_modality"),
                       ("by module", "by_module"), ("lessons by module", "lessons_by_module")):
        typer.echo(f"{title}:")
        for name, count in figures[key].items():
            typer.echo(f"  {name:<26} {count}")
    if figures["objectives_without_items"]:
        typer.echo(f"objectives without authored items: {len(figures['objectives_without_items'])}")
    if figures["problems"]:
        typer.echo(f"{figures['problems']} content problem(s): run `scanroom content lint`")


@app.command("lint")
def lint_cmd(root: RootOption = None,
             images: Annotated[bool, typer.Option(help="Check hotspot/labelling structures on the patients.")] = True
             ) -> None:
    """Check every lesson and item; print FILE:LINE: problem; exit 1 on any error."""
    from scanroom.learning.content import load

    content = load(_root(root), check_images=images)
    for problem in content.problems:
        typer.echo(str(problem))
    errors = len(content.errors)
    typer.echo(f"{len(content.lessons)} lessons, {len(content.items)} items checked: {errors} error(s), "
               f"{len(content.problems) - errors} warning(s).")
    if errors:
        raise typer.Exit(code=1)
