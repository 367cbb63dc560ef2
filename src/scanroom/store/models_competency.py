"""Competency and safety: frameworks chosen by programmes, practical task attempts, sign-offs, dose ledger reviews.

Tables derive from scanroom.store.models.Base; the Alembic branch for this module starts at 0003.
"""

from __future__ import annotations

from scanroom.store.models import Base  # noqa: F401
