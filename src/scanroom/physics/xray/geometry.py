"""Point source + flat-panel detector geometry in patient (LPS) millimetres.

Pixel ``(r, c)`` centre = ``detector_centre + (c − (cols−1)/2)·du·u + (r − (rows−1)/2)·dv·v``.
``u`` runs along columns, ``v`` along rows. :meth:`FlatPanelGeometry.facing` sets ``u = n × v`` with ``n``
the beam direction (source → detector centre): the image is then seen from behind the detector
looking back at the source (for a PA chest that is the usual "facing the patient" display; an AP
view needs a left–right flip for display, which is the viewer's business, not physics').

The tube's reference axis (filter normal, heel reference) is the central ray, source → detector
centre. ``anode_direction`` is the unit vector across the beam pointing towards the anode side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FlatPanelGeometry"]

Vec3 = tuple[float, float, float]


def _vec(a: np.ndarray) -> Vec3:
    return (float(a[0]), float(a[1]), float(a[2]))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if n == 0:
        raise ValueError("zero-length vector")
    return v / n


@dataclass(frozen=True)
class FlatPanelGeometry:
    """Cone-beam projection geometry: focal spot and a flat rectangular pixel grid."""

    source_mm: Vec3  # LPS (x, y, z) of the focal spot
    detector_centre_mm: Vec3  # LPS position of the detector centre (between pixels if even size)
    u: Vec3  # unit vector along increasing column index
    v: Vec3  # unit vector along increasing row index
    pitch_mm: tuple[float, float]  # (row pitch dv, column pitch du)
    shape: tuple[int, int]  # (rows, cols)
    anode_direction: Vec3 | None = None  # unit vector towards the anode side; default −v (anode "up")

    def __post_init__(self) -> None:
        u, v = np.asarray(self.u, float), np.asarray(self.v, float)
        if abs(np.linalg.norm(u) - 1) > 1e-6 or abs(np.linalg.norm(v) - 1) > 1e-6 or abs(u @ v) > 1e-6:
            raise ValueError("u and v must be orthonormal")
        if self.shape[0] < 1 or self.shape[1] < 1 or min(self.pitch_mm) <= 0:
            raise ValueError("shape and pitch must be positive")
        if abs(self.normal @ (np.asarray(self.detector_centre_mm) - np.asarray(self.source_mm))) < 1e-9:
            raise ValueError("source lies in the detector plane")

    # ------------------------------------------------------------------ construction
    @classmethod
    def facing(
        cls,
        source_mm: Vec3,
        detector_centre_mm: Vec3,
        up: Vec3,
        shape: tuple[int, int],
        pitch_mm: float | tuple[float, float],
        anode_direction: Vec3 | None = None,
    ) -> FlatPanelGeometry:
        """Detector perpendicular to the central ray; rows run against ``up`` (row 0 at the top)."""
        s = np.asarray(source_mm, float)
        d = np.asarray(detector_centre_mm, float)
        n = _unit(d - s)
        up_a = np.asarray(up, float)
        up_perp = up_a - (up_a @ n) * n
        v = -_unit(up_perp)
        u = np.cross(n, v)
        if isinstance(pitch_mm, tuple | list):
            pitch = (float(pitch_mm[0]), float(pitch_mm[1]))
        else:
            pitch = (float(pitch_mm), float(pitch_mm))
        return cls(_vec(s), _vec(d), _vec(u), _vec(v), pitch, (int(shape[0]), int(shape[1])),
                   None if anode_direction is None else _vec(_unit(np.asarray(anode_direction, float))))

    # ------------------------------------------------------------------ derived quantities
    @property
    def normal(self) -> np.ndarray:
        """Unit detector normal pointing away from the source."""
        n = np.cross(np.asarray(self.u, float), np.asarray(self.v, float))
        to_det = np.asarray(self.detector_centre_mm, float) - np.asarray(self.source_mm, float)
        return n if n @ to_det > 0 else -n

    @property
    def central_axis(self) -> np.ndarray:
        """Unit vector source → detector centre (tube reference axis)."""
        return _unit(np.asarray(self.detector_centre_mm, float) - np.asarray(self.source_mm, float))

    @property
    def sid_mm(self) -> float:
        """Perpendicular source-to-image-plane distance."""
        return float(self.normal @ (np.asarray(self.detector_centre_mm) - np.asarray(self.source_mm)))

    def anode_unit(self) -> np.ndarray:
        """Unit vector towards the anode, made perpendicular to the central axis."""
        a = -np.asarray(self.v, float) if self.anode_direction is None else np.asarray(self.anode_direction, float)
        c = self.central_axis
        return _unit(a - (a @ c) * c)

    def pixel_centres(self, dtype: type = np.float64) -> np.ndarray:
        """(rows, cols, 3) LPS pixel-centre positions (mm)."""
        rows, cols = self.shape
        dv, du = self.pitch_mm
        cu = (np.arange(cols) - (cols - 1) / 2.0) * du
        rv = (np.arange(rows) - (rows - 1) / 2.0) * dv
        p = (np.asarray(self.detector_centre_mm, float)[None, None, :]
             + cu[None, :, None] * np.asarray(self.u, float)[None, None, :]
             + rv[:, None, None] * np.asarray(self.v, float)[None, None, :])
        return p.astype(dtype)

    def ray_vectors(self) -> np.ndarray:
        """(rows, cols, 3) vectors source → pixel centre (mm)."""
        return self.pixel_centres() - np.asarray(self.source_mm, float)[None, None, :]

    def distance_mm(self) -> np.ndarray:
        """(rows, cols) focus-to-pixel distance."""
        return np.linalg.norm(self.ray_vectors(), axis=-1)

    def cos_incidence(self) -> np.ndarray:
        """(rows, cols) cosine of the angle between each ray and the detector normal (obliquity)."""
        r = self.ray_vectors()
        return (r @ self.normal) / np.linalg.norm(r, axis=-1)

    def tube_angles(self) -> tuple[np.ndarray, np.ndarray]:
        """Projected ray angles (rad) from the central axis: (along the anode axis, out of plane).

        The first is positive towards the cathode (larger take-off angle), as SpekPy's ``x``.
        """
        r = self.ray_vectors()
        c = self.central_axis
        a = self.anode_unit()
        b = np.cross(c, a)
        along = r @ c
        return np.arctan2(-(r @ a), along), np.arctan2(r @ b, along)

    def magnification(self, point_mm: Vec3) -> float:
        """SID / source-to-plane distance for the plane through ``point_mm`` parallel to the detector."""
        sod = float(self.normal @ (np.asarray(point_mm, float) - np.asarray(self.source_mm, float)))
        if sod <= 0:
            raise ValueError("point is behind the source")
        return self.sid_mm / sod
