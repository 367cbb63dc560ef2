"""Settings from environment variables (prefix ``SCANROOM_``), with defaults that work on a laptop.

``SCANROOM_DATABASE_URL``  SQLAlchemy URL; default a SQLite file under ``var/``.
``SCANROOM_DATA_DIR``      images, exports and caches; default ``var/data``.
``SCANROOM_SECRET_KEY``    signs CSRF tokens; generated and stored in ``var/secret_key`` on first run.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCANROOM_", extra="ignore")

    var_dir: Path = Field(default=DEFAULT_VAR_DIR, description="Where local state lives by default.")
    database_url: str = Field(default="", description="SQLAlchemy database URL.")
    data_dir: Path | None = Field(default=None, description="Images, exports and caches.")
    secret_key: str = Field(default="", description="Secret for CSRF tokens; generated if empty.")
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a signed-in session.")
    login_max_failures: int = Field(default=5, ge=1, description="Wrong passwords allowed per window.")
    login_window_seconds: int = Field(default=60, ge=1, description="Throttling window for failures.")
    force_secure_cookies: bool = Field(default=False, description="Mark cookies Secure even over HTTP.")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'scanroom.db').resolve()}"

    def resolved_data_dir(self) -> Path:
        return (self.data_dir or self.var_dir / "data").resolve()

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept in ``var/secret_key`` (mode 600)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.var_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
