"""The reading room's part of the demo programme: the starter library and a synthetic chest set, assigned."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.reading import cases, sessions, teaching
from scanroom.store.models import Cohort, User
from scanroom.store.models_reading import ReadingMode, ReadingSet

DEMO_SYNTHETIC_CASES = 8
DEMO_SEED = 2026


def seed_reading_demo(db: Session, data_dir: Path, *, cohort: Cohort, instructor: User,
                      progress: Callable[[str], None] | None = None) -> int:
    """Idempotent: starter cases, eight synthetic chest radiographs, two sets; returns the number of sets."""
    say = progress or (lambda _message: None)
    say("reading room: starter library")
    starter = teaching.seed_starter_library(db, data_dir, created_by=instructor)
    say(f"reading room: {DEMO_SYNTHETIC_CASES} synthetic chest radiographs (about a minute)")
    cases.generate_cases(db, data_dir, DEMO_SYNTHETIC_CASES, seed=DEMO_SEED, created_by=instructor)
    synthetic = [c for c in cases.find_cases(db) if c.key.startswith(f"xr-chest-s{DEMO_SEED}-")]
    wanted = (("Starter library: real radiographs", starter, ReadingMode.PRACTICE, True),
              ("Chest radiographs: pulmonary nodules", synthetic, ReadingMode.PRACTICE, True))
    for title, members, mode, open_to_all in wanted:
        if not members or db.scalar(select(ReadingSet.id).where(ReadingSet.title == title)) is not None:
            continue
        reading_set = sessions.create_set(db, title=title, case_ids=[c.id for c in members], mode=mode,
                                          open_to_all=open_to_all, created_by=instructor,
                                          description="Demo set: read it in any mode.")
        for assigned_mode in (ReadingMode.TEST, ReadingMode.AI_ASSISTED):
            sessions.assign_set(db, reading_set=reading_set, cohort_id=cohort.id, mode=assigned_mode,
                                actor=instructor)
    db.flush()
    return len(list(db.scalars(select(ReadingSet.id))))
