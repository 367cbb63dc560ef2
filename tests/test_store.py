"""Schema and configuration: migrations match the models; the secret key is generated once."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scanroom.config import Settings
from scanroom.store.db import make_engine
from scanroom.store.schema import Base


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, secret_key="")
    first = settings.resolved_secret_key()
    assert len(first) >= 40
    assert Settings(var_dir=tmp_path, secret_key="").resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_live_under_var(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    url = settings.resolved_database_url()
    assert url.startswith("sqlite:///") and str(tmp_path) in url
    assert settings.resolved_data_dir() == (tmp_path / "data").resolve()
