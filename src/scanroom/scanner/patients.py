"""Digital patients as the scan room and the Patients page see them: catalogue and three-view previews.

Previews are rendered at a coarse voxel size (anatomy is recognisable at 3 mm; QA phantoms at 2 mm) and
kept in a small in-process cache, so the page stays quick after the first view.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from scanroom.physics.patients import build_patient, list_lesion_types, list_patients
from scanroom.physics.preview import three_view

PREVIEW_VOXEL_MM = {"anatomical": 3.0, "qa": 2.0}


@dataclass(frozen=True)
class LesionRow:
    """What the Patients page shows about an inserted lesion (its truth)."""

    lesion_id: str
    organ: str
    material: str
    center_mm: tuple[float, float, float]
    size_mm: float


@dataclass(frozen=True)
class Preview:
    png: bytes
    lesions: tuple[LesionRow, ...]
    shape: tuple[int, int, int]
    voxel_mm: float


def catalogue() -> list[dict[str, object]]:
    return [{"id": p.patient_id, "kind": p.kind, "description": p.description, "regions": list(p.regions)}
            for p in list_patients()]


def lesion_catalogue() -> list[dict[str, object]]:
    return [{"id": t.lesion_id, "description": t.description, "regions": list(t.regions),
             "organs": list(t.organs), "size_mm": t.size_mm} for t in list_lesion_types()]


@lru_cache(maxsize=48)
def preview(patient_id: str, region: str | None = None, lesions: tuple[str, ...] = (), seed: int = 0) -> Preview:
    """Build the patient and render axial/coronal/sagittal mid-slices with lesions outlined.

    Raises ValueError with a readable message for unknown ids or lesions that do not fit the region.
    """
    kinds = {p.patient_id: p.kind for p in list_patients()}
    if patient_id not in kinds:
        raise ValueError(f"Unknown patient {patient_id!r}; choose one of {', '.join(kinds)}.")
    voxel = PREVIEW_VOXEL_MM[kinds[patient_id]]
    phantom = build_patient(patient_id, region=region, voxel_mm=voxel, lesions=list(lesions), seed=seed)
    rgb = three_view(phantom)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=True)
    rows = tuple(LesionRow(t.lesion_id, t.organ, t.material,
                           tuple(round(c, 1) for c in t.center_mm), round(t.size_mm, 1))  # type: ignore[arg-type]
                 for t in phantom.lesions)
    return Preview(buffer.getvalue(), rows, phantom.shape, voxel)
