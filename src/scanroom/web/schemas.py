"""JSON shapes of the API (pydantic), bounded so bad input is refused with a readable 422."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scanroom.store.models import EnrolmentRole, Modality, Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    email: str
    role: Role
    is_active: bool


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]+$")
    password: str = Field(min_length=10, max_length=256)
    role: Role = Role.TRAINEE
    full_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    modality: Modality
    level: str
    description: str


class ProgrammeCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    modality: Modality
    level: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)


class CohortOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    programme_id: int
    start_year: int | None


class CohortCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    programme_id: int
    start_year: int | None = Field(default=None, ge=1990, le=2100)


class EnrolmentCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    role: EnrolmentRole = EnrolmentRole.TRAINEE


class EnrolmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cohort_id: int
    user_id: int
    role: EnrolmentRole


class ProgressOut(BaseModel):
    user_id: int
    username: str
    gallery_total: int
    gallery_opened: int
    annotation_sets: int
    last_active: datetime | None


class ImageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    modality: str
    rows: int
    columns: int
    number_of_frames: int
    title: str
    description: str
    collection: str


class AnnotationItem(BaseModel):
    """One viewer annotation (length, angle, ROI, arrow, ellipse) as the viewer serialises it."""

    model_config = ConfigDict(extra="allow")

    tool: str = Field(min_length=1, max_length=64)
    sopInstanceUID: str | None = Field(default=None, max_length=64)
    imageIndex: int | None = Field(default=None, ge=0)
    points_image: list[list[float]] = Field(default_factory=list, max_length=1000)


class AnnotationSet(BaseModel):
    annotations: list[AnnotationItem] = Field(default_factory=list, max_length=500)


class AnnotationSetOut(BaseModel):
    study_uid: str
    series_uid: str
    annotations: list[dict[str, Any]]
    updated_at: datetime | None


class ScanRequest(BaseModel):
    """Run a scan: which patient, which preset (exam or protocol id) and overrides of its settings."""

    patient_id: str = Field(min_length=1, max_length=64)
    preset: str = Field(min_length=1, max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0, le=2**31)


class ScanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    modality: str
    preset: str
    patient: dict[str, Any]
    protocol: dict[str, Any]
    dose: dict[str, Any]
    quality: dict[str, Any]
    feedback: list[dict[str, Any]]
    study_uid: str
    series_uid: str
    created_at: datetime
