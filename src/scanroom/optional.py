"""Import a module that may not exist: how area routers, CLI groups and per-area test tables plug in by name."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(name: str) -> ModuleType | None:
    """The module ``name``, or None when it is absent; an import error *inside* it still raises."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None
