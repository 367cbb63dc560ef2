"""A scan-room console in practical-task mode (``?task=<attempt id>``): the attempt, its task and its scans.

Shared by the X-ray, CT and MRI consoles: the attempt must be the caller's own, open, and for this room
(otherwise 404); scans made in task mode are linked to it by ``competency.tasks.link_scan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from sqlalchemy.orm import Session

from scanroom.competency import tasks
from scanroom.store.models import User
from scanroom.store.models_competency import TaskAttempt


@dataclass
class TaskMode:
    attempt: TaskAttempt
    task: tasks.Task

    def context(self, db: Session) -> dict[str, Any]:
        """What the consoles' templates need for the banner, the hidden field and the repeat reason."""
        return {"attempt": self.attempt, "task": self.task, "task_scans": tasks.attempt_scans(db, self.attempt),
                "repeat_reasons": tasks.REPEAT_REASONS}


def task_mode(db: Session, user: User, attempt_id: str | int | None, modality: str) -> TaskMode | None:
    """The caller's open attempt for this room, None without ``task``, 404 for anything else."""
    if attempt_id in (None, ""):
        return None
    try:
        attempt, task = tasks.open_attempt(db, user, int(attempt_id), modality)  # type: ignore[arg-type]
    except (LookupError, ValueError):
        raise HTTPException(404, f"No such open task attempt in the {modality.upper()} room.") from None
    return TaskMode(attempt, task)


def no_task(_db: Session | None = None) -> dict[str, Any]:
    return {"attempt": None, "task": None, "task_scans": [], "repeat_reasons": tasks.REPEAT_REASONS}
