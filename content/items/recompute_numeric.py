"""Recompute every numeric item's answer from its stated inputs and compare with content/items/*.yaml.

Each entry restates the arithmetic shown in the item's explanation, so a typo in a value or tolerance is caught.
Run: ``.venv/bin/python content/items/recompute_numeric.py`` (exit 1 on a mismatch or a numeric item without a
formula here). Not imported by Scanroom; ``scanroom content lint`` checks the schema, this checks the arithmetic.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from math import acos, cos, degrees, exp, log, log10, radians, sqrt
from pathlib import Path
from statistics import mean, stdev

import yaml

FORMULAS: dict[str, Callable[[], float]] = {
    "xray-production-and-spectrum-007": lambda: 82 * 10 * (1 / 1.5) ** 2,
    "xray-interactions-attenuation-004": lambda: 100 * exp(-0.206 * 10),
    "xray-interactions-attenuation-005": lambda: 100 * 0.5**3,
    "xray-interactions-attenuation-006": lambda: log(2) / 0.231,
    "xray-inverse-square-002": lambda: 4 * (180 / 100) ** 2,
    "xray-inverse-square-003": lambda: 40 / 2.5**2,
    "xray-inverse-square-005": lambda: 500 * (100 / 165) ** 2,
    "xray-kvp-mas-exposure-factors-001": lambda: 40 / 2,
    "xray-kvp-mas-exposure-factors-003": lambda: 1 / sqrt((400 * 0.1) / (200 * 0.05)),
    "xray-scatter-and-grids-002": lambda: 5 * 3.5,
    "xray-scatter-and-grids-007": lambda: 4 * 100 / 80,
    "xray-scatter-and-grids-008": lambda: 1.2 * 20 / 80,
    "xray-image-receptors-exposure-index-001": lambda: 100 * 2.5,
    "xray-image-receptors-exposure-index-002": lambda: 10 * log10(600 / 300),
    "xray-image-receptors-exposure-index-007": lambda: 1 / (2 * 0.143),
    "xray-production-and-spectrum-008": lambda: 120,
    "xray-production-and-spectrum-009": lambda: 100 * (1 - 9e-10 * 74 * 100000),
    "ct-principles-reconstruction-003": lambda: 55 / (64 * 0.625),
    "ct-principles-reconstruction-004": lambda: 400 / (1.0 * 40 / 0.5),
    "ct-principles-reconstruction-005": lambda: 350 / 512,
    "ct-principles-reconstruction-006": lambda: 12 * sqrt(200 / 100),
    "ct-numbers-windowing-001": lambda: 1000 * (0.1995 - 0.190) / 0.190,
    "ct-numbers-windowing-002": lambda: 40 - 80 / 2,
    "ct-numbers-windowing-003": lambda: 50 + 400 / 2,
    "ct-dose-ctdi-dlp-001": lambda: 10 / 3 + 2 * 16 / 3,
    "ct-dose-ctdi-dlp-002": lambda: 14 / 1.4,
    "ct-dose-ctdi-dlp-003": lambda: 0.014 * 10 * 35,
    "ct-dose-ctdi-dlp-004": lambda: 0.0021 * 850,
    "ct-dose-ctdi-dlp-005": lambda: 3.704369 * exp(-0.03671937 * 25) * 10,
    "ct-dose-ctdi-dlp-006": lambda: sqrt(22 * 30),
    "mri-spin-physics-relaxation-001": lambda: 42.58 * 3,
    "mri-spin-physics-relaxation-003": lambda: 100 * exp(-2),
    "mri-contrast-weighting-sequences-002": lambda: 250 * log(2),
    "mri-contrast-weighting-sequences-007": lambda: degrees(acos(exp(-10 / 1000))),
    "mri-spatial-encoding-kspace-002": lambda: 0.5 * 256 * 2,
    "mri-spatial-encoding-kspace-003": lambda: 4 * 320 * 1 / (16 * 2),
    "mri-snr-resolution-time-001": lambda: sqrt(4),
    "mri-snr-resolution-time-002": lambda: 0.5,
    "mri-snr-resolution-time-005": lambda: 1 / (1.2 * sqrt(2)),
    "mri-artifacts-001": lambda: 220 / 110,
    "us-sound-propagation-impedance-001": lambda: 1540 * 65e-6 / 2 * 100,
    "us-sound-propagation-impedance-002": lambda: 100 * ((1.65 - 1.38) / (1.65 + 1.38)) ** 2,
    "us-sound-propagation-impedance-004": lambda: 0.5 * 5 * 12,
    "us-transducers-resolution-001": lambda: 3 * 1540 / 5e6 * 1000 / 2,
    "us-doppler-001": lambda: 2 * 5e6 * 0.5 * cos(radians(60)) / 1540,
    "us-doppler-005": lambda: 5000 / 2,
    "us-artifacts-003": lambda: 6.0 * 1540 / 1450,
    "nm-radioactive-decay-001": lambda: 800 * exp(-log(2) * 3 / 6.01),
    "nm-radioactive-decay-002": lambda: 370 * 2 ** (60 / 109.77),
    "nm-radioactive-decay-003": lambda: 1 / (1 / 6 + 1 / 3),
    "nm-radiopharmaceuticals-005": lambda: 250 * 0.019,
    "nm-gamma-camera-spect-004": lambda: 100 * (10600 - 9400) / (10600 + 9400),
    "nm-gamma-camera-spect-006": lambda: 100 * exp(-0.154 * 5),
    "nm-pet-002": lambda: 15 / (350e3 / 70000),
    "radprot-icrp-limits-alara-004": lambda: 0.12 * 20 + 0.12 * 15 + 0.04 * 5,
    "radprot-shielding-staff-002": lambda: 2 * (1 / 2) ** 2 * 0.25,
    "radprot-shielding-staff-003": lambda: 100 * 0.5**5,
    "radprot-pregnancy-006": lambda: 0.05 * 7,
    "mr-safety-implants-sar-pns-002": lambda: 1.2 * (3 / 1.5) ** 2,
    "mr-safety-implants-sar-pns-003": lambda: (120 / 180) ** 2,
    "contrast-iodinated-gadolinium-008": lambda: 0.1 * 80 / 1.0,
    "contrast-iodinated-gadolinium-009": lambda: 90 * 350 / 1000,
    "contrast-iodinated-gadolinium-010": lambda: min(0.01 * 20, 0.3) / 1.0,
    "qa-xray-ct-001": lambda: 100 * stdev([2.00, 2.10, 1.90, 2.05, 1.95]) / mean([2.00, 2.10, 1.90, 2.05, 1.95]),
    "qa-xray-ct-002": lambda: abs(8.0 - 7.2) / (8.0 + 7.2),
    "image-processing-display-001": lambda: 400 * 512 * 512 * 2 / 2**20,
    "image-processing-display-011": lambda: 2**14,
    "ai-in-imaging-limits-001": lambda: 100 * (0.9 * 0.02) / (0.9 * 0.02 + 0.05 * 0.98),
    "ai-in-imaging-limits-002": lambda: 2 * 40 / (60 + 50),
    "ai-in-imaging-limits-011": lambda: 100 * (900 - 90) / 900,
    "mri-spatial-encoding-kspace-007": lambda: 1000 / (42.58e6 * 0.010) * 1000,
    "nm-pet-007": lambda: 3.0e8 * 400e-12 / 2 * 100,
}


def main() -> int:
    here = Path(__file__).resolve().parent
    bad = 0
    checked = 0
    for path in sorted(here.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if item.get("type") != "numeric":
                continue
            key = item["answer"]
            formula = FORMULAS.get(item["id"])
            if formula is None:
                print(f"{path.name}: {item['id']}: no formula to recompute")
                bad += 1
                continue
            value = float(formula())
            tol = key["tolerance"] * abs(key["value"]) if key["tolerance_kind"] == "relative" else key["tolerance"]
            checked += 1
            # the stored value must sit well inside its own tolerance band around the recomputed answer
            if abs(value - key["value"]) > tol / 2:
                print(f"{path.name}: {item['id']}: recomputed {value:.6g}, item says {key['value']} ± {tol:g}")
                bad += 1
    print(f"{checked} numeric answers recomputed, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
