"""The positioning view: patient, tube, central ray, detector and field light from the front and the side.

Drawn from the same geometry the exposure uses (``xray._setup``), so what the trainee sees before
exposing is what the beam will do. Returns an RGB array; the web layer encodes it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from scanroom.scanner.base import PatientRequest
from scanroom.scanner.xray import EXAMS, XrayProtocol, _key, _phantom, _points, _setup

SCALE = 0.25  # pixels per mm
MARGIN_MM = 150.0


def _silhouette(labels: np.ndarray, axis: int) -> np.ndarray:
    return np.asarray((labels > 0).any(axis=axis))


def positioning_view(patient: PatientRequest, protocol: XrayProtocol) -> np.ndarray:
    """Two panels, frontal (x–z) and lateral (y–z): body silhouette, tube, central ray, field, detector."""
    exam = EXAMS[protocol.exam]
    rotation = exam.base_rotation_deg + protocol.rotation_deg
    phantom = _phantom(patient, exam, rotation, max(exam.voxel_mm, 2.0))
    phantom_key = _key(patient.model_dump(), exam.region, rotation, max(exam.voxel_mm, 2.0))
    points = _points(phantom_key, phantom, exam)
    setup = _setup(phantom, points, exam, protocol, protocol.pixel_mm or exam.pixel_mm)
    source = np.asarray(setup.field.source_mm)
    corners = _field_corners(setup)
    panels = []
    for horizontal, view_axis, title in ((0, 1, "front"), (1, 0, "side")):
        panels.append(_panel(phantom, points.anatomy, source, setup, corners, horizontal, view_axis, title))
    width = sum(p.width for p in panels) + 10
    height = max(p.height for p in panels)
    canvas = Image.new("RGB", (width, height), (20, 24, 30))
    x = 0
    for panel in panels:
        canvas.paste(panel, (x, 0))
        x += panel.width + 10
    return np.asarray(canvas)


def _field_corners(setup) -> np.ndarray:  # type: ignore[no-untyped-def]
    geometry = setup.field
    rows, cols = geometry.shape
    dv, du = geometry.pitch_mm
    c = np.asarray(geometry.detector_centre_mm)
    u, v = np.asarray(geometry.u), np.asarray(geometry.v)
    half_u, half_v = cols * du / 2, rows * dv / 2
    return np.array([c + su * half_u * u + sv * half_v * v for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def _panel(phantom, anatomy, source, setup, corners, horizontal: int, view_axis: int,  # type: ignore[no-untyped-def]
           title: str) -> Image.Image:
    """One orthographic panel: horizontal LPS axis ``horizontal`` (0 = x, 1 = y), vertical = z (head up)."""
    dz, dy, dx = phantom.voxel_mm
    ox, oy, oz = phantom.origin_mm
    spacing = (dx, dy)[horizontal]
    origin_h = (ox, oy)[horizontal]
    silhouette = _silhouette(phantom.labels, axis=1 + (1 - horizontal))  # (z, h)
    extra = [corners, np.asarray(setup.detector.detector_centre_mm)[None]]
    if title == "side":
        extra.append(source[None])
    pts = np.vstack(extra)
    h_min = min(origin_h, pts[:, horizontal].min()) - MARGIN_MM
    h_max = max(origin_h + silhouette.shape[1] * spacing, pts[:, horizontal].max()) + MARGIN_MM
    z_min = min(oz, pts[:, 2].min()) - MARGIN_MM
    z_max = max(oz + silhouette.shape[0] * dz, pts[:, 2].max()) + MARGIN_MM
    width = int((h_max - h_min) * SCALE)
    height = int((z_max - z_min) * SCALE)
    width, height = min(width, 700), min(height, 700)
    scale_h, scale_z = width / (h_max - h_min), height / (z_max - z_min)
    scale = min(scale_h, scale_z)
    img = Image.new("RGB", (int((h_max - h_min) * scale), int((z_max - z_min) * scale)), (20, 24, 30))
    draw = ImageDraw.Draw(img)

    def xy(p: np.ndarray) -> tuple[float, float]:
        return ((p[horizontal] - h_min) * scale, (z_max - p[2]) * scale)

    body = Image.fromarray((silhouette[::-1] * 150).astype(np.uint8))
    body = body.resize((max(1, int(silhouette.shape[1] * spacing * scale)),
                        max(1, int(silhouette.shape[0] * dz * scale))))
    top = int((z_max - (oz + silhouette.shape[0] * dz)) * scale)
    left = int((origin_h - h_min) * scale)
    tint = Image.new("RGB", body.size, (214, 180, 150))
    img.paste(tint, (left, top), body)
    if len(anatomy):
        for p in anatomy[:: max(1, len(anatomy) // 1500)]:
            x, y = xy(p)
            draw.point((x, y), fill=(120, 200, 255))
    # detector
    detector = np.asarray(setup.detector.detector_centre_mm)
    span_u = np.asarray(setup.detector.u) * setup.detector.shape[1] * setup.detector.pitch_mm[1] / 2
    span_v = np.asarray(setup.detector.v) * setup.detector.shape[0] * setup.detector.pitch_mm[0] / 2
    for a, b in ((detector - span_u - span_v, detector + span_u - span_v),
                 (detector + span_u - span_v, detector + span_u + span_v),
                 (detector + span_u + span_v, detector - span_u + span_v),
                 (detector - span_u + span_v, detector - span_u - span_v)):
        draw.line([xy(a), xy(b)], fill=(160, 160, 160), width=3)
    hit = np.asarray(setup.field.detector_centre_mm)
    if title == "side":
        # the beam: from the focal spot to the field edges, and the central ray
        for corner in corners:
            draw.line([xy(source), xy(corner)], fill=(255, 230, 120), width=1)
        draw.line([xy(source), xy(hit)], fill=(255, 90, 90), width=2)
        sx, sy = xy(source)
        draw.rectangle([sx - 8, sy - 8, sx + 8, sy + 8], fill=(200, 200, 220))
        draw.text((sx - 20, sy + 10), "tube", fill=(230, 230, 230))
    else:
        # the field light as the trainee sees it on the patient, with its cross-hair
        draw.polygon([xy(c) for c in corners], outline=(255, 230, 120), width=2)
        hx, hy = xy(hit)
        draw.line([(hx - 12, hy), (hx + 12, hy)], fill=(255, 90, 90), width=2)
        draw.line([(hx, hy - 12), (hx, hy + 12)], fill=(255, 90, 90), width=2)
    cx, cy = xy(setup.centring_point_mm)
    draw.ellipse([cx - 5, cy - 5, cx + 5, cy + 5], outline=(120, 255, 140), width=2)
    legend = "" if title == "front" else "  green: centring point · red: central ray · yellow: field"
    draw.text((6, 6), f"{title} view{legend}", fill=(230, 230, 230))
    return img
