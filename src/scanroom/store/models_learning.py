"""Classroom: lessons progress, items, responses, exams and attempts, spaced review cards.

Tables derive from scanroom.store.models.Base; the Alembic branch for this module starts at 0003.
"""

from __future__ import annotations

from scanroom.store.models import Base  # noqa: F401
