"""Trainee activity and the progress summaries built from it (home pages, instructor dashboards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.dicom.library import gallery
from scanroom.store.models import Activity, Annotation, ScanRecord, User

OPEN_STUDY = "open-study"
SAVE_ANNOTATIONS = "save-annotations"


def record(db: Session, user: User, kind: str, ref: str = "") -> None:
    db.add(Activity(user_id=user.id, kind=kind, ref=ref[:200]))


@dataclass(frozen=True)
class Progress:
    user_id: int
    username: str
    full_name: str
    gallery_total: int
    gallery_opened: int
    annotation_sets: int
    last_active: datetime | None
    opened_refs: frozenset[str]
    exposures: int = 0
    exposures_on_target: int = 0

    @property
    def gallery_percent(self) -> int:
        return round(100 * self.gallery_opened / self.gallery_total) if self.gallery_total else 0


def progress_for(db: Session, user: User) -> Progress:
    items = gallery(db)
    gallery_refs = {f"{i.study_uid}/{i.series_uid}" for i in items}
    opened = set(db.scalars(select(Activity.ref).where(Activity.user_id == user.id,
                                                       Activity.kind == OPEN_STUDY)).all())
    annotations = db.scalar(select(func.count()).select_from(Annotation).where(Annotation.user_id == user.id)) or 0
    last_activity = db.scalar(select(func.max(Activity.at)).where(Activity.user_id == user.id))
    last_scan = db.scalar(select(func.max(ScanRecord.created_at)).where(ScanRecord.user_id == user.id))
    last = max((t for t in (last_activity, last_scan) if t is not None), default=None,
               key=lambda t: t.replace(tzinfo=None))
    doses = list(db.scalars(select(ScanRecord.dose).where(ScanRecord.user_id == user.id)))
    on_target = sum(1 for d in doses if "di" in d and abs(float(d["di"])) <= 1.0)
    return Progress(user_id=user.id, username=user.username, full_name=user.full_name,
                    gallery_total=len(gallery_refs), gallery_opened=len(gallery_refs & opened),
                    annotation_sets=int(annotations), last_active=last,
                    opened_refs=frozenset(gallery_refs & opened), exposures=len(doses),
                    exposures_on_target=on_target)
