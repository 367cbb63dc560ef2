"""The simulation bank: the Classroom's items with IRT parameters for the adaptive-test simulation.

Honest statement of where the numbers come from: no real responses exist yet, so each item gets assigned
(generating) 2PL parameters by its level (``cat.generating_parameters``); 2,000 simulated examinees answer
the whole bank; girth's 2PL marginal ML (or Scanroom's EM) re-estimates the parameters, and the adaptive
test runs on those *calibrated* estimates while simulated examinees respond according to the generating
ones. Calibration takes minutes on a small machine, so the result is cached under the data directory,
keyed by the item ids and levels.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from scanroom.learning import cat, exams
from scanroom.learning.content import Content, get_content
from scanroom.learning.irt import ItemParams

__all__ = ["classroom_bank", "SEED"]

SEED = 7


def _cache_dir() -> Path:
    from scanroom.config import get_settings

    return get_settings().resolved_data_dir() / "cache" / "classroom"


def classroom_bank(content: Content | None = None, *, use_girth: bool = True, cache: bool = True
                   ) -> tuple[list[str], list[str], ItemParams, ItemParams]:
    """(ids, levels, generating parameters, calibrated parameters) for every item exams may draw."""
    items = exams.bank(content or get_content())
    ids, levels = [i.item_id for i in items], [i.level for i in items]
    key = hashlib.sha256(json.dumps([ids, levels, use_girth, SEED]).encode()).hexdigest()[:16]
    path = _cache_dir() / f"bank-{key}.npz"
    true = cat.generating_parameters(levels, SEED)
    if cache and path.is_file():
        data = np.load(path)
        return ids, levels, true, ItemParams(data["a"], data["b"], data["c"])
    used = cat.calibrated_bank(true, seed=SEED + 1, use_girth=use_girth)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, a=used.a, b=used.b, c=used.c)
    return ids, levels, true, used
