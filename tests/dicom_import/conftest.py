"""Fixtures for the teaching-file import tests: a clean-up of imported rows, and an Orthanc peer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scanroom.store.models import ImageInstance
from tests.dicom_import.orthanc_peer import Orthanc, dicomweb_plugin, orthanc_binary, running_orthanc


@pytest.fixture()
def import_db(db: Session) -> Iterator[Session]:
    """The test database; image rows added by the test are removed afterwards (the library table is kept
    between tests, see tests/conftest.py)."""
    before = db.scalar(select(func.max(ImageInstance.id))) or 0
    yield db
    db.rollback()
    db.execute(delete(ImageInstance).where(ImageInstance.id > before))
    db.commit()


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    if orthanc_binary() is None or dicomweb_plugin() is None:
        pytest.skip("Orthanc with the DICOMweb plugin is not installed (scripts/ensure-test-services.sh installs "
                    "Debian's orthanc and orthanc-dicomweb)")
    workdir: Path = tmp_path_factory.mktemp("orthanc")
    with running_orthanc(workdir) as server:
        yield server
