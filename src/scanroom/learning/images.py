"""Pictures for hotspot and labelling items, rendered from Scanroom's digital patients, and click scoring.

A view is one slice of the patient's label volume (3 mm voxels, shown 3 px per voxel: 1 px ≈ 1 mm) with
each label's grey level from its CT number (the Patients page's window, ``physics.preview``). The slice is
the one where the asked structure is largest (labelling: where the smallest of the structures is largest),
so the item needs no coordinates. A click is scored against the organ mask on that slice, dilated by one
voxel (a click on the boundary counts). Display conventions as the Patients page: axial seen from the feet,
coronal from the front, sagittal with anterior on the left, head up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from scanroom.learning.items import Item, ItemProblem, marker_order

__all__ = ["RenderedView", "STRUCTURE_ALIASES", "structure_names", "render", "png", "hit", "known_structures"]

VOXEL_MM = 3.0
SCALE = 3
# Plural or everyday names mapped to the label-name prefix of the digital patients (physics/patients).
STRUCTURE_ALIASES = {"lungs": "lung", "kidneys": "kidney", "left-kidney": "kidney-left",
                     "right-kidney": "kidney-right", "left-lung": "lung-left", "right-lung": "lung-right",
                     "stomach": "stomach", "brain": "brain", "ventricle": "ventricles", "spine": "vertebra"}
_BRAIN = ("grey-matter", "white-matter")


@dataclass(frozen=True)
class RenderedView:
    grey: np.ndarray  # (H, W) uint8 at SCALE px per voxel
    labels: np.ndarray  # (h, w) int label slice (voxel resolution)
    label_names: dict[int, str]
    scale: int


@lru_cache(maxsize=8)
def _phantom(patient: str, region: str):  # type: ignore[no-untyped-def]
    from scanroom.physics.patients import build_patient

    try:
        return build_patient(patient, region=region, voxel_mm=VOXEL_MM)
    except ValueError as exc:
        raise ItemProblem("image", f"cannot build patient {patient!r} region {region!r}: {exc}") from None


def _matches(name: str, structure: str) -> bool:
    target = STRUCTURE_ALIASES.get(structure, structure)
    if target == "brain":
        return name in _BRAIN
    return name == target or name.startswith(target + "-")


def structure_names(label_names: dict[int, str], structure: str) -> list[int]:
    """Label values that make up ``structure`` (``kidney-left`` = its cortex and medulla, ``lungs`` = both)."""
    return [lab for lab, name in label_names.items() if _matches(name, structure)]


@lru_cache(maxsize=16)
def known_structures(patient: str, region: str) -> frozenset[str]:
    """Label names present in the patient's region (the lint checks items against them)."""
    ph = _phantom(patient, region)
    present = {int(v) for v in np.unique(ph.labels)}
    return frozenset(ph.label_names[v] for v in present if v in ph.label_names)


def _oriented(labels: np.ndarray, view: str) -> np.ndarray:
    """(slices, rows, cols) in display orientation for the view."""
    if view == "axial":
        return labels[::-1]  # slices from head to feet; rows y (anterior up), cols x (patient right on left)
    if view == "coronal":
        return np.transpose(labels[::-1], (1, 0, 2))  # slices y (anterior first); rows z head up; cols x
    return np.transpose(labels[::-1], (2, 0, 1))  # sagittal: slices x; rows z; cols y (anterior left)


@lru_cache(maxsize=64)
def render(patient: str, region: str, view: str, structures: tuple[str, ...]) -> RenderedView:
    from scanroom.physics.preview import _grey_lut

    ph = _phantom(patient, region)
    vol = _oriented(ph.labels, view)
    masks = []
    for s in structures:
        labs = structure_names(ph.label_names, s)
        if not labs:
            raise ItemProblem("answer", f"{s!r} is not a structure of {patient} ({region})")
        masks.append(np.isin(vol, labs))
    areas = np.stack([m.sum(axis=(1, 2)) for m in masks]) if masks else np.ones((1, vol.shape[0]))
    best = int(np.argmax(areas.min(axis=0)))
    if areas.min(axis=0)[best] == 0:
        raise ItemProblem("answer", f"{', '.join(structures)} never appear together on one {view} slice")
    sl = vol[best]
    grey = _grey_lut(ph)[sl]
    grey = np.kron(grey, np.ones((SCALE, SCALE), dtype=np.uint8))
    return RenderedView(grey=grey, labels=sl.copy(), label_names=dict(ph.label_names), scale=SCALE)


def _view_for(item: Item) -> RenderedView:
    if item.image is None:
        raise ItemProblem("image", "this item has no image")
    spec = item.image
    return render(spec.patient, spec.region, spec.view, item.structures)


def markers(item: Item) -> list[tuple[float, float]]:
    """Marker positions (display px) in marker order: each at the most interior point of its structure."""
    view = _view_for(item)
    order = marker_order(item)
    out = []
    for k in order:
        mask = np.isin(view.labels, structure_names(view.label_names, item.key[k]))
        depth = ndimage.distance_transform_edt(mask)
        r, c = np.unravel_index(int(np.argmax(depth)), mask.shape)
        out.append((float((c + 0.5) * view.scale), float((r + 0.5) * view.scale)))
    return out


def png(item: Item) -> bytes:
    """The item's picture; labelling items get numbered markers (never names)."""
    view = _view_for(item)
    image = Image.fromarray(view.grey).convert("RGB")
    if item.type == "labelling":
        draw = ImageDraw.Draw(image)
        for number, (x, y) in enumerate(markers(item), start=1):
            draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill=(255, 200, 0), outline=(0, 0, 0))
            draw.text((x - 4, y - 6), str(number), fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def hit(item: Item, x: float, y: float) -> bool:
    """Is the click (display px, origin top-left) on the keyed structure (mask dilated by one voxel)?"""
    view = _view_for(item)
    r, c = int(y // view.scale), int(x // view.scale)
    h, w = view.labels.shape
    if not (0 <= r < h and 0 <= c < w):
        return False
    mask = np.isin(view.labels, structure_names(view.label_names, str(item.key)))
    mask = ndimage.binary_dilation(mask, iterations=1)
    return bool(mask[r, c])


def size(item: Item) -> tuple[int, int]:
    view = _view_for(item)
    return int(view.grey.shape[1]), int(view.grey.shape[0])
