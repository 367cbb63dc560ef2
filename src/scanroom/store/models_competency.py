"""Competency and safety: frameworks chosen by programmes, practical task attempts, sign-offs, dose ledger reviews.

Tables derive from scanroom.store.models.Base; the Alembic branch for this module starts at 0003 (revision 0006).
Sign-offs are append-only: a revocation is a new row pointing at the one it revokes, each row carries the hash
of its content and of the trainee's previous row (a hash chain), and the database refuses UPDATE on the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from scanroom.store.models import Base, utcnow


class ProgrammeFramework(Base):
    """Which competency framework a programme follows (one per programme), and the practical tasks it sets."""

    __tablename__ = "competency_programme_frameworks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), unique=True)
    framework_id: Mapped[str] = mapped_column(String(80))
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    task_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # practical tasks set for the programme


class LocalRequirement(Base):
    """A requirement an instructor adds for their programme on top of the national framework."""

    __tablename__ = "competency_local_requirements"
    __table_args__ = (UniqueConstraint("programme_id", "requirement_id", name="uq_local_requirement"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Evidence(Base):
    """One piece of evidence towards a requirement: kind + reference + score + date (exam, task, reading …)."""

    __tablename__ = "competency_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class TaskAttempt(Base):
    """A trainee's attempt at a practical task: opened from the task page, scans linked, scored on submit."""

    __tablename__ = "competency_task_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    screening_decision: Mapped[str] = mapped_column(String(32), default="")


class AttemptScan(Base):
    """A scan made during a task attempt, with the reason given when it repeats an earlier exposure."""

    __tablename__ = "competency_attempt_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("competency_task_attempts.id", ondelete="CASCADE"), index=True)
    scan_record_id: Mapped[int] = mapped_column(ForeignKey("scan_records.id", ondelete="CASCADE"), unique=True)
    repeat_reason: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignOff(Base):
    """An instructor's sign-off of a requirement (or its revocation): append-only and hash-chained per trainee."""

    __tablename__ = "competency_signoffs"
    __table_args__ = (UniqueConstraint("trainee_id", "seq", name="uq_signoff_trainee_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    framework_id: Mapped[str] = mapped_column(String(80))
    requirement_id: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(16))  # signoff | revoke
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)  # milestone level, if any
    comment: Mapped[str] = mapped_column(Text, default="")
    revokes_id: Mapped[int | None] = mapped_column(ForeignKey("competency_signoffs.id"),
                                                   nullable=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    signed_by_name: Mapped[str] = mapped_column(String(200))
    attestations: Mapped[list[str]] = mapped_column(JSON, default=list)  # what the signer affirmed
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AppendOnlyError(PermissionError):
    """Raised when code tries to change a stored sign-off: revoke it with a new row instead."""


@event.listens_for(SignOff, "before_update")
def _refuse_signoff_update(_mapper: object, _connection: object, target: SignOff) -> None:
    raise AppendOnlyError(f"Sign-off {target.id} cannot be edited: sign-offs are append-only (revoke instead).")


class SafetyReview(Base):
    """An instructor's review of a flagged safety event (above DRL, repeat, wrong MR screening, staff dose)."""

    __tablename__ = "safety_event_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120), unique=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
