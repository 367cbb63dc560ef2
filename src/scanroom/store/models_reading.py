"""Reading room: cases, their series and truth, reading sets, assignments, reading sessions and readings.

Tables derive from ``scanroom.store.models.Base``; the Alembic branch for this module starts at 0003 (revision 0004).
Truth (``case_findings`` and the case's diagnosis and teaching points) is only ever sent to a browser after the
reader has submitted that case; ``reading.views`` builds what pages may show.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scanroom.store.models import Base, _enum, utcnow


class CaseSource(enum.StrEnum):
    SYNTHETIC = "synthetic"  # generated from the digital patients and the simulators
    TEACHING = "teaching"  # imported real DICOM, de-identified
    SAMPLE = "sample"  # the starter library from pydicom-data


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ReadingMode(enum.StrEnum):
    PRACTICE = "practice"  # feedback after each case
    TEST = "test"  # feedback when the set is finished
    AI_ASSISTED = "ai"  # the AI second reader's marks are shown; feedback after each case


class Case(Base):
    """One interpretation case: series, history, the question, truth, diagnosis and teaching points."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    modality: Mapped[str] = mapped_column(String(16), index=True)
    body_region: Mapped[str] = mapped_column(String(40), default="")
    pathology: Mapped[str] = mapped_column(String(80), default="")
    difficulty: Mapped[str] = mapped_column(String(16), default="moderate")
    level: Mapped[str] = mapped_column(String(16), default="entry")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    history: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    abnormal: Mapped[bool] = mapped_column(Boolean, default=False)
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    diagnosis_choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    teaching_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[CaseSource] = mapped_column(_enum(CaseSource, "case_source"), default=CaseSource.SYNTHETIC)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"), default=CaseStatus.DRAFT)
    ai_marks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the AI reader's candidates
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    series: Mapped[list[CaseSeries]] = relationship(back_populates="case", order_by="CaseSeries.position",
                                                    cascade="all, delete-orphan")
    findings: Mapped[list[CaseFinding]] = relationship(back_populates="case", order_by="CaseFinding.id",
                                                       cascade="all, delete-orphan")


class CaseSeries(Base):
    """A DICOM series shown for a case (images live in the library under collection "case")."""

    __tablename__ = "case_series"
    __table_args__ = (UniqueConstraint("case_id", "series_uid", name="uq_case_series"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    study_uid: Mapped[str] = mapped_column(String(64))
    series_uid: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case] = relationship(back_populates="series")


class CaseFinding(Base):
    """Truth for one lesion: its acceptance region in the image coordinates of one series."""

    __tablename__ = "case_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    series_uid: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    lesion_type: Mapped[str] = mapped_column(String(80), default="")
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    radius: Mapped[float] = mapped_column(Float)
    frame: Mapped[int] = mapped_column(Integer, default=0)
    frame_extent: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    contrast: Mapped[float | None] = mapped_column(Float, nullable=True)

    case: Mapped[Case] = relationship(back_populates="findings")


class ReadingSet(Base):
    """A playlist of cases; assigned to cohorts in a mode."""

    __tablename__ = "reading_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[ReadingMode] = mapped_column(_enum(ReadingMode, "reading_mode"), default=ReadingMode.PRACTICE)
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=False)  # a practice set any trainee may read
    # competency requirements a finished test-mode session counts toward (interpretation evidence), and the
    # wAFROC figure of merit at or above which it passes (scanroom.competency.evidence; migration 0009)
    requirement_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    pass_fom: Mapped[float] = mapped_column(Float, default=0.70)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[ReadingSetCase]] = relationship(back_populates="reading_set",
                                                       order_by="ReadingSetCase.position",
                                                       cascade="all, delete-orphan")


class ReadingSetCase(Base):
    __tablename__ = "reading_set_cases"
    __table_args__ = (UniqueConstraint("set_id", "case_id", name="uq_reading_set_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("reading_sets.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    reading_set: Mapped[ReadingSet] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()


class ReadingAssignment(Base):
    """A reading set assigned to a cohort, in a mode, optionally by a date."""

    __tablename__ = "reading_assignments"
    __table_args__ = (UniqueConstraint("set_id", "cohort_id", "mode", name="uq_reading_assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("reading_sets.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    mode: Mapped[ReadingMode] = mapped_column(_enum(ReadingMode, "reading_mode"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    reading_set: Mapped[ReadingSet] = relationship()


class ReadingSession(Base):
    """One reader's pass through a reading set in one mode."""

    __tablename__ = "reading_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("reading_sets.id", ondelete="CASCADE"), index=True)
    mode: Mapped[ReadingMode] = mapped_column(_enum(ReadingMode, "reading_mode"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # scored when finished

    reading_set: Mapped[ReadingSet] = relationship()
    readings: Mapped[list[CaseReading]] = relationship(back_populates="session", order_by="CaseReading.id",
                                                       cascade="all, delete-orphan")


class CaseReading(Base):
    """A reader's marks on one case, with confidence ratings, diagnosis choice and timing; scored on submission."""

    __tablename__ = "case_readings"
    __table_args__ = (UniqueConstraint("session_id", "case_id", name="uq_case_reading"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reading_sessions.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reading_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    marks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    diagnosis_choice: Mapped[str] = mapped_column(String(200), default="")
    case_rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    session: Mapped[ReadingSession] = relationship(back_populates="readings")
    case: Mapped[Case] = relationship()
