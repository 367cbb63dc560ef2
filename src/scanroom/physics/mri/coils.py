"""Receive-coil sensitivities (Biot–Savart of circular loops) and the SENSE g-factor.

A loop's receive sensitivity is its transverse field per unit current, B1⁻ ∝ (Bx − iBy), by reciprocity
(Hoult, Concepts Magn Reson 2000;12:173). The field is the Biot–Savart sum over straight segments of the
loop. Channels are combined optimally (Roemer et al., MRM 1990;16:192): the combined image carries the
root-sum-of-squares sensitivity and uniform noise. SENSE noise amplification (Pruessmann et al., MRM
1999;42:952): g_ρ = sqrt([(SᴴS)⁻¹]_ρρ [SᴴS]_ρρ) for identity noise covariance.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = ["CoilName", "COILS", "loop_field", "coil_sensitivities", "combined_sensitivity", "sense_g_factor",
           "sensitivities_on_grid"]

CoilName = Literal["body", "head-8", "surface"]
COILS: dict[str, str] = {
    "body": "Body coil: uniform sensitivity, single channel",
    "head-8": "8-channel head array: 50 mm loops on a 120 mm radius cylinder about the isocentre",
    "surface": "Single 60 mm-radius posterior surface loop (spine-coil element)",
}


def loop_field(points_mm: np.ndarray, center_mm: np.ndarray, normal: np.ndarray, radius_mm: float,
               n_seg: int = 48) -> np.ndarray:
    """Magnetic field (arbitrary units, per unit current) of a circular loop at ``points_mm (..., 3)``."""
    n = normal / np.linalg.norm(normal)
    a = np.cross(n, [0.0, 0.0, 1.0] if abs(n[2]) < 0.9 else [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(n, a)
    phi = np.linspace(0, 2 * np.pi, n_seg + 1)
    ring = center_mm + radius_mm * (np.cos(phi)[:, None] * a + np.sin(phi)[:, None] * b)
    mid = 0.5 * (ring[1:] + ring[:-1])
    dl = ring[1:] - ring[:-1]
    p = points_mm.reshape(-1, 3)
    B = np.zeros_like(p)
    for k in range(n_seg):
        r = p - mid[k]
        d3 = np.maximum(np.einsum("ij,ij->i", r, r), 1e-6) ** 1.5
        B += np.cross(dl[k], r) / d3[:, None]
    return B.reshape(points_mm.shape)


def _loops(coil: str, center_mm: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
    if coil == "head-8":
        out = []
        for k in range(8):
            t = 2 * np.pi * k / 8
            d = np.array([np.cos(t), np.sin(t), 0.0])
            out.append((center_mm + 120.0 * d, d, 50.0))
        return out
    if coil == "surface":
        d = np.array([0.0, 1.0, 0.0])  # posterior (+y in LPS)
        return [(center_mm + 110.0 * d, d, 60.0)]
    raise ValueError(f"unknown coil {coil!r}; known: {', '.join(COILS)}")


def coil_sensitivities(coil: str, points_mm: np.ndarray, center_mm: np.ndarray) -> np.ndarray:
    """Complex receive sensitivities ``(n_coils, ...)`` of coil set ``coil`` placed about ``center_mm``.

    Normalised so that the combined (root-sum-of-squares) sensitivity is 1 at the reference point: the
    array centre for ``head-8``, 60 mm deep on the loop axis for ``surface``. ``body`` is uniform (1).
    """
    if coil == "body":
        return np.ones((1,) + points_mm.shape[:-1], np.complex128)
    loops = _loops(coil, center_mm)
    ref = center_mm if coil == "head-8" else loops[0][0] - 60.0 * loops[0][1]
    rows = []
    for c, n, r in loops:
        B = loop_field(np.concatenate([points_mm.reshape(-1, 3), ref[None]]), c, n, r)
        rows.append(B[:, 0] - 1j * B[:, 1])
    S = np.asarray(rows)
    norm = np.sqrt(np.sum(np.abs(S[:, -1]) ** 2))
    return (S[:, :-1] / norm).reshape((len(loops),) + points_mm.shape[:-1])


def combined_sensitivity(S: np.ndarray) -> np.ndarray:
    """Root-sum-of-squares sensitivity of optimally combined channels."""
    return np.sqrt(np.sum(np.abs(S) ** 2, axis=0))


def sense_g_factor(S: np.ndarray, R: int) -> np.ndarray:
    """SENSE g-factor map ``(Np, Nr)`` for sensitivities ``S (n_coils, Np, Nr)`` undersampled R× along axis 1.

    Pixels that fold onto each other are ``Np/R`` apart along the phase axis. Background (where all coils
    are ~0) returns 1.
    """
    nc, Np, Nr = S.shape
    if R == 1:
        return np.ones((Np, Nr))
    if Np % R:
        raise ValueError(f"phase lines {Np} are not divisible by the acceleration {R}")
    if nc < R:
        raise ValueError(f"parallel imaging with R = {R} needs at least {R} receive channels; coil has {nc}")
    M = Np // R
    A = S.reshape(nc, R, M, Nr).transpose(2, 3, 0, 1)  # (M, Nr, nc, R)
    AhA = np.einsum("mnci,mncj->mnij", A.conj(), A)
    eps = 1e-9 * np.trace(AhA, axis1=-2, axis2=-1).real.max()
    inv = np.linalg.inv(AhA + eps * np.eye(R))
    g = np.sqrt(np.clip(np.real(np.diagonal(inv, axis1=-2, axis2=-1) * np.diagonal(AhA, axis1=-2, axis2=-1)),
                        1.0, None))  # (M, Nr, R)
    return g.transpose(2, 0, 1).reshape(Np, Nr)


@lru_cache(maxsize=32)
def _cached(coil: str, offset: tuple, e_p: tuple, e_r: tuple, p_mm: tuple, r_mm: tuple
            ) -> tuple[np.ndarray, np.ndarray]:
    P = (np.array(offset) + np.array(p_mm)[:, None, None] * np.array(e_p)
         + np.array(r_mm)[None, :, None] * np.array(e_r))
    S = coil_sensitivities(coil, P, np.zeros(3))
    return S, combined_sensitivity(S)


def sensitivities_on_grid(coil: str, array_center_mm: np.ndarray, plane_center_mm: np.ndarray,
                          e_phase: np.ndarray, e_read: np.ndarray, phase_mm: np.ndarray,
                          read_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, rss) on a ``(phase, read)`` slice grid, the array centred at ``array_center_mm``; cached."""
    r6 = lambda a: tuple(float(x) for x in np.round(np.asarray(a, float), 6))  # noqa: E731
    return _cached(coil, r6(np.asarray(plane_center_mm) - np.asarray(array_center_mm)), r6(e_phase), r6(e_read),
                   r6(phase_mm), r6(read_mm))
