"""Shared fixtures. Every database test runs twice: on SQLite and on PostgreSQL.

PostgreSQL: a throw-away database is created on the server at SCANROOM_TEST_POSTGRES_URL (default the
local server with trust auth) and dropped at the end. Rows are cleared between tests; the sample images
are stored once per backend and kept.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from scanroom.accounts import sessions
from scanroom.accounts.passwords import hash_password
from scanroom.config import Settings
from scanroom.dicom.library import seed_gallery
from scanroom.store.db import make_engine, make_session_factory
from scanroom.store.migrate import upgrade
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, Modality, Programme, Role, User
from scanroom.store.schema import Base
from scanroom.web.app import create_app

pytest_plugins = ["tests.browser_support"]

POSTGRES_ADMIN_URL = os.environ.get("SCANROOM_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
KEEP_TABLES = {"image_instances", "alembic_version"}
TEST_SECRET = "test-secret-key"


@pytest.fixture(scope="session")
def gallery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 gallery_dir: Path) -> Iterator[str]:
    """A migrated database with the sample gallery, one per backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        admin_engine = None
        name = ""
    else:
        name = f"scanroom_test_{uuid.uuid4().hex[:10]}"
        admin_engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        seed_gallery(db, gallery_dir)
        db.commit()
    engine.dispose()
    yield url
    if admin_engine is not None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture()
def settings(database_url: str, gallery_dir: Path, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=gallery_dir, var_dir=tmp_path / "var",
                    secret_key=TEST_SECRET)


@pytest.fixture()
def app(settings: Settings):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    _clear(application.state.engine)
    yield application
    application.state.engine.dispose()


def _clear(engine) -> None:  # type: ignore[no-untyped-def]
    """Empty every table between tests, except the sample gallery (seeded once per database)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())
            elif table.name == "image_instances":
                conn.execute(table.delete().where(table.c.collection != "gallery"))


@pytest.fixture()
def db(app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    factory = make_session_factory(app.state.engine)
    session = factory()
    yield session
    session.close()


@lru_cache(maxsize=32)
def cached_hash(password: str) -> str:
    """Argon2 costs ~0.15 s; hash each test password once per run."""
    return hash_password(password)


def password_for(username: str) -> str:
    return f"{username}-test-password"


def add_user(db: Session, username: str, role: Role) -> User:
    user = User(username=username, role=role, full_name=username.title(),
                password_hash=cached_hash(password_for(username)))
    db.add(user)
    db.flush()
    return user


@dataclass
class World:
    """A small programme: one cohort with an instructor and two trainees, an outsider, and an admin."""

    admin: User
    instructor: User
    other_instructor: User
    trainee: User
    trainee2: User
    outsider: User
    cohort: Cohort
    programme: Programme


@pytest.fixture()
def world(db: Session) -> World:
    programme = Programme(name="Radiography — entry", modality=Modality.RADIOGRAPHY, level="entry")
    db.add(programme)
    db.flush()
    cohort = Cohort(name="Radiography 2026", programme_id=programme.id, start_year=2026)
    other = Cohort(name="CT 2026", programme_id=programme.id)
    db.add_all([cohort, other])
    db.flush()
    users = {name: add_user(db, name, role) for name, role in [
        ("admin", Role.ADMIN), ("instructor", Role.INSTRUCTOR), ("other-instructor", Role.INSTRUCTOR),
        ("trainee", Role.TRAINEE), ("trainee2", Role.TRAINEE), ("outsider", Role.TRAINEE)]}
    db.add_all([
        Enrolment(cohort_id=cohort.id, user_id=users["instructor"].id, role=EnrolmentRole.INSTRUCTOR),
        Enrolment(cohort_id=cohort.id, user_id=users["trainee"].id, role=EnrolmentRole.TRAINEE),
        Enrolment(cohort_id=cohort.id, user_id=users["trainee2"].id, role=EnrolmentRole.TRAINEE),
        Enrolment(cohort_id=other.id, user_id=users["other-instructor"].id, role=EnrolmentRole.INSTRUCTOR),
        Enrolment(cohort_id=other.id, user_id=users["outsider"].id, role=EnrolmentRole.TRAINEE),
    ])
    db.commit()
    return World(admin=users["admin"], instructor=users["instructor"],
                 other_instructor=users["other-instructor"], trainee=users["trainee"],
                 trainee2=users["trainee2"], outsider=users["outsider"], cohort=cohort, programme=programme)


CSRF_PATTERN = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')


def csrf_of(client: TestClient) -> str:
    """The CSRF token the server would put in this client's pages."""
    token = client.cookies.get(sessions.SESSION_COOKIE) or client.cookies.get(sessions.ANON_COOKIE)
    if not token:
        client.get("/login")
        token = client.cookies.get(sessions.ANON_COOKIE)
    return sessions.csrf_token(TEST_SECRET, token or "")


def login(client: TestClient, username: str, password: str | None = None) -> None:
    page = client.get("/login")
    match = CSRF_PATTERN.search(page.text)
    assert match, "login page carries a CSRF token"
    response = client.post("/login", data={"username": username, "password": password or password_for(username),
                                           "csrf_token": match.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture()
def client_for(app):  # type: ignore[no-untyped-def]
    """Factory: a signed-in TestClient for a username (None for anonymous)."""
    clients: list[TestClient] = []

    def make(username: str | None, *, base_url: str = "http://testserver") -> TestClient:
        test_client = TestClient(app, follow_redirects=False, base_url=base_url)
        clients.append(test_client)
        if username:
            login(test_client, username)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()
