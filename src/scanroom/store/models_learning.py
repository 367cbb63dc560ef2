"""Classroom: exams and attempts, item responses, spaced-review cards, calibrated item parameters.

Tables derive from scanroom.store.models.Base; the Alembic branch for this module starts at 0003 (revision
0005). Content (lessons, items) lives in ``content/`` as files, so items are referred to by their id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scanroom.store.models import Base, utcnow


class ClassroomExam(Base):
    """An exam for a cohort: a fixed form (items drawn by blueprint when built) or an adaptive test."""

    __tablename__ = "classroom_exams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fixed | adaptive
    blueprint: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # topic -> number of items
    item_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # fixed: the form; adaptive: the pool
    time_limit_s: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    cut_score: Mapped[float] = mapped_column(Float)  # fixed: percent correct; adaptive: theta
    target_se: Mapped[float] = mapped_column(Float, default=0.30)
    max_items: Mapped[int] = mapped_column(Integer, default=30)
    # competency requirements a scored attempt counts toward as exam evidence (migration 0010)
    requirement_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassroomAttempt(Base):
    """One sitting of an exam. The deadline is stored here, so a reload or a dropped connection resumes with
    the time still counting, and the server refuses answers after it."""

    __tablename__ = "classroom_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("classroom_exams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted | expired
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item id -> response as given
    administered: Mapped[list[str]] = mapped_column(JSON, default=list)  # adaptive: items in the order shown
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent correct
    theta: Mapped[float | None] = mapped_column(Float, nullable=True)
    se: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class ClassroomResponse(Base):
    """One scored response to an item (practice, exam or review): the raw material of item statistics."""

    __tablename__ = "classroom_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(120), index=True)
    context: Mapped[str] = mapped_column(String(16), default="practice")  # practice | exam | review
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("classroom_attempts.id", ondelete="CASCADE"),
                                                   nullable=True, index=True)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    correct: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ClassroomReviewCard(Base):
    """A spaced-review card (FSRS state as the ``fsrs`` package serialises it) for an item a trainee missed."""

    __tablename__ = "classroom_review_cards"
    __table_args__ = (UniqueConstraint("user_id", "item_id", name="uq_review_card_user_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(120))
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassroomItemParams(Base):
    """IRT parameters of an item, calibrated from responses (2PL/3PL)."""

    __tablename__ = "classroom_item_params"

    item_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    model: Mapped[str] = mapped_column(String(8), default="2PL")
    a: Mapped[float] = mapped_column(Float)
    b: Mapped[float] = mapped_column(Float)
    c: Mapped[float] = mapped_column(Float, default=0.0)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    calibrated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
