"""The command line: clear one-line errors, non-zero exits, and the commands the README documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scanroom import __version__


def run_cli(*args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCANROOM_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "scanroom.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, input=input_text, timeout=120)


def test_version() -> None:
    result = run_cli("version")
    assert result.returncode == 0 and result.stdout.strip() == __version__


@pytest.mark.parametrize("args", [("bogus",), ("serve", "--port", "abc"), ("serve", "--port", "70000"),
                                  ("user", "add")])
def test_bad_arguments_give_one_line_and_nonzero_exit(args: tuple[str, ...], tmp_path: Path) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("scanroom: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", cwd=tmp_path,
                     env_extra={"SCANROOM_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("scanroom: error: Cannot connect to the database")
    assert len(result.stderr.strip().splitlines()) == 1
    garbage = run_cli("db", "upgrade", cwd=tmp_path, env_extra={"SCANROOM_DATABASE_URL": "not a url"})
    assert garbage.returncode == 1 and "not a valid database URL" in garbage.stderr


def test_user_and_cohort_commands(tmp_path: Path) -> None:
    env = {"SCANROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SCANROOM_VAR_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env_extra=env, cwd=tmp_path).returncode == 0
    made = run_cli("user", "add", "ada", "--role", "instructor", "--password", "a-long-password",
                   env_extra=env, cwd=tmp_path)
    assert made.returncode == 0 and "Created instructor ada" in made.stdout
    again = run_cli("user", "add", "ada", "--password", "a-long-password", env_extra=env, cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    seeded = run_cli("seed", "demo", "--no-images", env_extra=env, cwd=tmp_path)
    assert seeded.returncode == 0 and "trainee-demo-pass" in seeded.stdout
    cohort = run_cli("cohort", "add", "MRI 2027", "--programme", "MRI — entry", "--start-year", "2027",
                     env_extra=env, cwd=tmp_path)
    assert cohort.returncode == 0, cohort.stderr
    unknown = run_cli("cohort", "add", "X", "--programme", "Nope", env_extra=env, cwd=tmp_path)
    assert unknown.returncode == 1 and "No programme named 'Nope'" in unknown.stderr
