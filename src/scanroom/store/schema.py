"""Every table of the platform: importing this module registers all model modules on ``Base.metadata``.

Each area keeps its tables in its own module (``models.py`` for people, images and scans;
``models_reading.py``, ``models_learning.py``, ``models_competency.py``) and its own Alembic branch off
revision 0003, so areas can grow their schema without editing one shared file. Migrations run to "heads".
"""

from __future__ import annotations

from scanroom.store import models, models_competency, models_learning, models_reading
from scanroom.store.models import Base

metadata = Base.metadata

__all__ = ["Base", "metadata", "models", "models_competency", "models_learning", "models_reading"]
