"""Generated items: templates that draw parameters from a seed and compute the answer with Scanroom's physics.

An item id ``gen:<template>:<seed>`` always gives the same question and key, so a generated item can sit in
an exam, a response history and a review card like an authored one, and practice never runs out. Every
template is tested against an independent calculation of its answer (``tests/classroom/test_generated.py``:
closed forms, published tables).

Numbers shown in the stem are rounded; keys are computed from the numbers as shown, so a careful trainee
can reach them exactly (tolerances cover rounding of the final answer only).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from scanroom.learning.items import Item, ItemProblem, parse_item

__all__ = ["Template", "TEMPLATES", "generate", "item_for", "is_generated", "HALF_LIFE_MIN", "range_error_mm",
           "decay_fraction", "mri_image_png"]

GEN_ID = re.compile(r"^gen:([a-z0-9-]+):(\d{1,9})$")

#: Physical half-lives (min): Tc-99m 6.0067 h, F-18 109.77 min (NNDC NuDat 3 / ENSDF; DDEP recommended data).
HALF_LIFE_MIN = {"Tc-99m": 6.0067 * 60.0, "F-18": 109.77}
ASSUMED_SPEED_M_S = 1540.0  # scanners assume 1540 m/s in soft tissue (Bushberg 2020, ch. 14)


def decay_fraction(nuclide: str, minutes: float) -> float:
    """A/A0 = exp(−ln2·t/T½) (physical decay)."""
    return math.exp(-math.log(2.0) * minutes / HALF_LIFE_MIN[nuclide])


def range_error_mm(true_depth_mm: float, speed_m_s: float, assumed_m_s: float = ASSUMED_SPEED_M_S) -> float:
    """Displayed depth of a reflector: the echo returns after t = 2d/c; the scanner plots c0·t/2."""
    t_s = 2.0 * true_depth_mm / 1000.0 / speed_m_s
    return assumed_m_s * t_s / 2.0 * 1000.0


@dataclass(frozen=True)
class Template:
    template_id: str
    title: str
    objective: str
    modality: str
    topic: str
    level: str
    source: str
    make: Callable[[np.random.Generator], dict[str, Any]]


def _numeric(stem: str, value: float, unit: str, explanation: str, *, rel: float = 0.02, **params: Any) -> dict:
    return {"type": "numeric", "stem": stem, "explanation": explanation, "params": params,
            "answer": {"value": float(value), "tolerance": rel, "tolerance_kind": "relative", "unit": unit}}


def _g(x: float, sig: int = 3) -> float:
    return float(f"{x:.{sig}g}")


# ----------------------------------------------------------------------------------------------- X-ray


def _inverse_square(rng: np.random.Generator) -> dict:
    from scanroom.physics.xray.spectrum import air_kerma_ugy_per_mas, tube_spectrum

    d1 = float(rng.choice([100, 110, 115, 120, 150]))
    d2 = float(rng.choice([d for d in (90, 100, 120, 150, 180, 200) if d != d1]))
    kvp = float(rng.choice([60, 70, 81, 90, 102]))
    spectrum = tube_spectrum(kvp)
    ratio = air_kerma_ugy_per_mas(spectrum, d2 * 10.0) / air_kerma_ugy_per_mas(spectrum, d1 * 10.0)
    if rng.random() < 0.5:
        k1 = _g(float(rng.uniform(50, 400)))
        return _numeric(f"The air kerma at {d1:g} cm from the focus is {k1:g} µGy. With the same kVp and mAs, what "
                        f"is it at {d2:g} cm (µGy)?", k1 * ratio, "µGy",
                        f"Inverse-square law: K₂ = K₁ (d₁/d₂)² = {k1:g} × ({d1:g}/{d2:g})² = {k1 * ratio:.3g} µGy.",
                        d1=d1, d2=d2, k1=k1, kvp=kvp)
    mas1 = float(rng.choice([2, 4, 5, 8, 10, 16, 20]))
    return _numeric(f"A radiograph at {d1:g} cm SID used {mas1:g} mAs. What mAs keeps the receptor air kerma the "
                    f"same at {d2:g} cm SID (same kVp)?", mas1 / ratio, "mAs",
                    f"Density maintenance: mAs₂ = mAs₁ (d₂/d₁)² = {mas1:g} × ({d2:g}/{d1:g})² = "
                    f"{mas1 / ratio:.3g} mAs.",
                    d1=d1, d2=d2, mas1=mas1, kvp=kvp)


_MU_MATERIALS = {"water": "water", "aluminium": "aluminium", "soft tissue": "soft-tissue", "PMMA": "pmma"}


def _attenuation(rng: np.random.Generator) -> dict:
    from scanroom.physics.materials import mu_linear_cm

    name = str(rng.choice(list(_MU_MATERIALS)))
    energy = float(rng.choice([30, 40, 50, 60, 80, 100]))
    mu = _g(float(mu_linear_cm(_MU_MATERIALS[name], energy)), 3)
    if rng.random() < 0.5:
        hvl = math.log(2.0) / mu
        return _numeric(f"The linear attenuation coefficient of {name} for {energy:g} keV photons is {mu:g} cm⁻¹. "
                        "What is its half-value layer (cm)?", hvl, "cm",
                        f"HVL = ln 2 / μ = 0.693 / {mu:g} = {hvl:.3g} cm (narrow beam, monoenergetic).",
                        material=name, energy=energy, mu=mu)
    x = _g(float(rng.choice([0.5, 1, 2, 3, 5, 10])) * (0.2 if name == "aluminium" else 1.0))
    t = math.exp(-mu * x)
    return _numeric(f"Narrow beam of {energy:g} keV photons, μ({name}) = {mu:g} cm⁻¹. What percentage of the photons "
                    f"passes {x:g} cm of {name} without interacting (%)?", 100.0 * t, "%",
                    f"I/I₀ = e^(−μx) = e^(−{mu:g} × {x:g}) = {t:.3g}, i.e. {100 * t:.3g}%.",
                    material=name, energy=energy, mu=mu, x=x)


def _fifteen_percent(rng: np.random.Generator) -> dict:
    kvp1 = float(rng.choice([60, 66, 70, 75, 80]))
    steps = int(rng.choice([-1, 1, 2]))
    kvp2 = round(kvp1 * 1.15**steps)
    mas1 = float(rng.choice([8, 10, 16, 20, 32, 40]))
    mas2 = mas1 * 2.0 ** (-steps)
    way = "raised" if steps > 0 else "lowered"
    return _numeric(f"An exposure uses {kvp1:g} kVp and {mas1:g} mAs. The kVp is {way} by 15% "
                    f"{'twice ' if abs(steps) == 2 else ''}(to about {kvp2} kVp). By the 15% rule, what mAs keeps the "
                    "receptor exposure about the same?", mas2, "mAs",
                    "Each 15% rise in kVp roughly doubles the receptor exposure, so halve the mAs for each step "
                    f"(double it for each 15% fall): {mas1:g} × 2^({-steps}) = {mas2:g} mAs.",
                    rel=0.03, kvp1=kvp1, kvp2=kvp2, steps=steps, mas1=mas1)


# ----------------------------------------------------------------------------------------------------- CT

_CT_REGIONS = {"head": "head", "chest": "chest", "abdomen and pelvis": "abdomen-pelvis", "neck": "neck"}


def _ct_dose(rng: np.random.Generator) -> dict:
    from scanroom.physics.ct.dose import dlp_mgy_cm, effective_dose_msv

    kind = int(rng.integers(0, 3))
    if kind == 0:
        ctdi = _g(float(rng.uniform(3, 60)))
        length = float(rng.choice([12, 15, 20, 30, 35, 40, 45]))
        dlp = dlp_mgy_cm(ctdi, length)
        return _numeric(f"A helical scan has CTDIvol {ctdi:g} mGy over a scanned length of {length:g} cm. What is "
                        "the DLP (mGy·cm)?", dlp, "mGy·cm",
                        f"DLP = CTDIvol × scan length = {ctdi:g} × {length:g} = {dlp:.4g} mGy·cm.",
                        ctdi=ctdi, length=length)
    if kind == 1:
        region = str(rng.choice(list(_CT_REGIONS)))
        dlp = float(rng.choice([150, 250, 400, 520, 700, 900]))
        e = effective_dose_msv(dlp, _CT_REGIONS[region], 30.0)
        return _numeric(f"An adult {region} CT has DLP {dlp:g} mGy·cm. Using the AAPM Report 96 k-factor, what is "
                        "the effective dose estimate (mSv)?", e, "mSv",
                        f"E = k × DLP; for an adult {region}, k = {e / dlp:.4g} mSv/(mGy·cm), so "
                        f"E = {e:.3g} mSv.", rel=0.03, region=region, dlp=dlp)
    ctdiw = _g(float(rng.uniform(8, 60)))
    pitch = float(rng.choice([0.6, 0.8, 0.984, 1.0, 1.375, 1.5]))
    vol = ctdiw / pitch
    return _numeric(f"CTDIw is {ctdiw:g} mGy and the pitch is {pitch:g}. What is CTDIvol (mGy)?", vol, "mGy",
                    f"CTDIvol = CTDIw / pitch = {ctdiw:g} / {pitch:g} = {vol:.3g} mGy.", ctdiw=ctdiw, pitch=pitch)


# --------------------------------------------------------------------------------------------------- MRI

_SNR_CHANGES: dict[str, tuple[dict[str, Any], str]] = {
    "nex2": ({"nex": 2}, "the number of signal averages (NEX) from 1 to 2"),
    "nex4": ({"nex": 4}, "the number of signal averages (NEX) from 1 to 4"),
    "slice": ({"slice_mm": 2.5}, "the slice thickness from 5 mm to 2.5 mm"),
    "slice10": ({"slice_mm": 10.0}, "the slice thickness from 5 mm to 10 mm"),
    "bw": ({"bw_hz_px": 100.0}, "the receiver bandwidth from 200 to 100 Hz/pixel"),
    "matrix": ({"matrix": 512}, "the matrix from 256 × 256 to 512 × 512 (same FOV)"),
    "fov": ({"fov_mm": 180.0}, "the FOV from 240 mm to 180 mm (same matrix)"),
}


def mri_figures(changes: dict[str, Any]) -> dict[str, float]:
    """Scan time and SNR of Scanroom's MRI console (T1 SE, 1.5 T, TE 20 ms, 256², FOV 240, 5 mm, BW 200) with
    changes."""
    from scanroom.scanner.base import apply_settings
    from scanroom.scanner.mri import preset_for, timing_and_sar

    base = {"bw_hz_px": 200.0, "slices": 8, "matrix": 256, "fov_mm": 240.0, "slice_mm": 5.0, "nex": 1, "te_ms": 20.0}
    protocol = apply_settings(preset_for("t1-se"), {**base, **changes})
    return timing_and_sar(protocol)  # type: ignore[arg-type]


def _mri_snr(rng: np.random.Generator) -> dict:
    change = str(rng.choice(list(_SNR_CHANGES)))
    settings, words = _SNR_CHANGES[change]
    before, after = mri_figures({}), mri_figures(settings)
    protocol = "A spin-echo protocol (TR 500 ms, TE 20 ms, 256 × 256, FOV 240 mm, 5 mm slices, 200 Hz/pixel, NEX 1)"
    ask_time = change in ("nex2", "nex4", "matrix") and rng.random() < 0.5
    if ask_time:
        factor = after["scan_time_s"] / before["scan_time_s"]
        return _numeric(f"{protocol} is "
                        f"changed: {words}. By what factor does the scan time change?", factor, "",
                        "Scan time = TR × phase-encoding lines × NEX (÷ echo-train length): "
                        f"factor {factor:.3g}.", change=change, what="time")
    factor = after["snr"] / before["snr"]
    return _numeric(f"{protocol} is "
                    f"changed: {words}. By what factor does the SNR change?", factor, "",
                    "SNR ∝ voxel volume × √(phase lines × NEX / bandwidth per pixel): "
                    f"factor {factor:.3g}.", change=change, what="snr")


_ERNST_TISSUES = {"white matter": "white-matter", "grey matter": "grey-matter", "liver": "liver",
                  "fat": "adipose", "muscle": "muscle"}


def _ernst(rng: np.random.Generator) -> dict:
    from scanroom.physics.materials import get_material
    from scanroom.physics.mri.signal import ernst_angle

    tissue = str(rng.choice(list(_ERNST_TISSUES)))
    field = float(rng.choice([1.5, 3.0]))
    t1 = round(get_material(_ERNST_TISSUES[tissue]).t1_ms(field))
    tr = float(rng.choice([5, 8, 10, 20, 30, 50, 100]))
    angle = float(ernst_angle(tr, t1))
    return _numeric(f"Spoiled gradient echo, TR = {tr:g} ms. {tissue.capitalize()} has T1 = {t1} ms at {field:g} T. "
                    "What flip angle gives it the most signal (degrees)?", angle, "°",
                    f"Ernst angle: α = arccos(e^(−TR/T1)) = arccos(e^(−{tr:g}/{t1})) = {angle:.3g}°.",
                    rel=0.02, tissue=tissue, t1=t1, tr=tr, field=field)


def _chemical_shift(rng: np.random.Generator) -> dict:
    from scanroom.physics.mri.artifacts import chemical_shift_px

    field = float(rng.choice([0.5, 1.0, 1.5, 3.0]))
    bw = float(rng.choice([65, 100, 130, 200, 260, 400]))
    px = chemical_shift_px(3.5, field, bw)
    return _numeric(f"Fat and water differ by 3.5 ppm (γ = 42.58 MHz/T). At {field:g} T with a receiver bandwidth of "
                    f"{bw:g} Hz per pixel, how many pixels apart are fat and water along the frequency direction?",
                    abs(px), "px",
                    f"Δf = 3.5 × 10⁻⁶ × 42.58 MHz/T × {field:g} T = {abs(px) * bw:.0f} Hz; ÷ {bw:g} Hz/px = "
                    f"{abs(px):.3g} pixels.", rel=0.02, field=field, bw=bw)


def _mri_contrast(rng: np.random.Generator) -> dict:
    from scanroom.scanner.mri import SEQUENCE_NAMES

    pool = ["t1-se", "t2-tse", "flair", "pd-tse", "stir", "t2star-gre"]
    sequence = str(rng.choice(pool))
    others = [s for s in pool if s != sequence]
    distractors = list(rng.choice(others, size=3, replace=False))
    names = [SEQUENCE_NAMES[s] for s in [sequence, *distractors]]
    order = list(rng.permutation(4))
    options = [names[i] for i in order]
    return {"type": "single", "stem": "This axial brain image came from Scanroom's MRI simulator (1.5 T). Which "
                                      "sequence made this contrast?",
            "options": options, "answer": order.index(0), "params": {"sequence": sequence},
            "explanation": {"t1-se": "T1-weighted (short TR, short TE): CSF dark, white matter brighter than grey.",
                            "t2-tse": "T2-weighted (long TR, long TE): CSF bright, white matter darker than grey.",
                            "flair": "FLAIR: T2-weighted with the CSF signal nulled by the inversion time.",
                            "pd-tse": "PD-weighted (long TR, short TE): little T1 or T2 contrast, grey ≈ CSF bright.",
                            "stir": "STIR: inversion nulls fat (scalp fat dark); fluid bright.",
                            "t2star-gre": "T2*-weighted gradient echo: low flip angle, longer TE, fluid bright, "
                                          "susceptibility sensitive."}[sequence]}


@lru_cache(maxsize=16)
def mri_image(sequence: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, labels, label materials) of one axial brain slice from the MRI scanner with the preset."""
    from scanroom.scanner.base import PatientRequest, apply_settings
    from scanroom.scanner.registry import get_scanner

    scanner = get_scanner("mri")
    protocol = apply_settings(scanner.preset(sequence), {"slices": 1, "matrix": 128})
    acquisition = scanner.acquire(PatientRequest(patient_id="adult-male"), protocol)
    return acquisition.images[0], acquisition.extras["labels"][0], acquisition.extras["label_materials"]


def mri_image_png(item: Item) -> bytes:
    from PIL import Image

    image, _labels, _materials = mri_image(str(item.extra["params"]["sequence"]))
    hi = max(float(np.percentile(image, 99.5)), 1.0)
    grey = (255 * np.clip(image / hi, 0, 1)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).resize((256, 256), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- NM and US


def _decay(rng: np.random.Generator) -> dict:
    nuclide = str(rng.choice(list(HALF_LIFE_MIN)))
    if nuclide == "Tc-99m":
        hours = float(rng.choice([1, 2, 3, 4, 6, 8, 12, 24]))
        minutes, when = hours * 60.0, f"{hours:g} h"
    else:
        minutes = float(rng.choice([30, 60, 90, 120, 180]))
        when = f"{minutes:g} min"
    a0 = float(rng.choice([100, 200, 370, 400, 555, 740, 800]))
    a = a0 * decay_fraction(nuclide, minutes)
    half = "6.01 h" if nuclide == "Tc-99m" else "109.8 min"
    return _numeric(f"A {nuclide} dose measures {a0:g} MBq at calibration. What activity remains {when} later "
                    f"(MBq)? (T½ = {half})", a, "MBq",
                    f"A = A₀ e^(−ln2·t/T½) = {a0:g} × 2^(−{when.split()[0]}/{half.split()[0]}) = {a:.3g} MBq.",
                    nuclide=nuclide, minutes=minutes, a0=a0)


_US_TISSUES = {"fat": "adipose", "liver": "liver", "muscle": "muscle", "water": "water", "CSF": "csf"}


def _range_error(rng: np.random.Generator) -> dict:
    from scanroom.physics.materials import get_material

    tissue = str(rng.choice(list(_US_TISSUES)))
    speed = round(get_material(_US_TISSUES[tissue]).speed_m_s)
    depth = float(rng.choice([20, 30, 40, 50, 60, 80, 100]))
    shown = range_error_mm(depth, speed)
    return _numeric(f"A reflector lies {depth:g} mm deep in {tissue}, where sound travels at {speed} m/s. The scanner "
                    "assumes 1540 m/s. At what depth does it display the reflector (mm)?", shown, "mm",
                    f"The echo returns after t = 2d/c; the scanner plots 1540·t/2 = d × 1540/{speed} = {shown:.3g} mm "
                    f"({'deeper' if shown > depth else 'shallower'} than it is).", rel=0.01,
                    tissue=tissue, speed=speed, depth=depth)


TEMPLATES: dict[str, Template] = {t.template_id: t for t in (
    Template("inverse-square", "Inverse-square law and SID", "xray-inverse-square/1", "xray", "physics", "entry",
             "Bushberg JT et al. The Essential Physics of Medical Imaging, 4th ed., 2020, ch. 6", _inverse_square),
    Template("attenuation-hvl", "Attenuation and half-value layer", "xray-interactions-attenuation/1", "xray",
             "physics", "intermediate", "Hubbell JH, Seltzer SM. NIST X-ray mass attenuation coefficients (NISTIR "
             "5632), via xraydb; Bushberg 2020, ch. 3", _attenuation),
    Template("kvp-15-percent", "kVp and mAs: the 15% rule", "xray-kvp-mas-exposure-factors/1", "xray", "acquisition",
             "entry", "Carroll QB. Radiography in the Digital Age, 3rd ed., 2018, ch. 13 (15 percent rule)",
             _fifteen_percent),
    Template("ct-dose", "CTDIvol, DLP and effective dose", "ct-dose-ctdi-dlp/1", "ct", "radiation-safety",
             "intermediate", "AAPM Report 96 (2008), Table 3 k-factors; IEC 60601-2-44", _ct_dose),
    Template("mri-snr-time", "SNR and scan time", "mri-snr-resolution-time/1", "mri", "physics", "intermediate",
             "McRobbie DW et al. MRI from Picture to Proton, 3rd ed., 2017, ch. 6", _mri_snr),
    Template("ernst-angle", "Ernst angle", "mri-spin-physics-relaxation/1", "mri", "physics", "advanced",
             "Haacke EM et al. Magnetic Resonance Imaging: Physical Principles and Sequence Design, 1999, §18.2",
             _ernst),
    Template("chemical-shift", "Chemical shift in pixels", "mri-artifacts/1", "mri", "physics", "intermediate",
             "McRobbie DW et al. MRI from Picture to Proton, 3rd ed., 2017, ch. 7", _chemical_shift),
    Template("mri-contrast", "Which sequence made this contrast?", "mri-contrast-weighting-sequences/1", "mri",
             "acquisition", "entry", "Scanroom MRI simulator presets; McRobbie 2017, ch. 4", _mri_contrast),
    Template("radioactive-decay", "Decay of Tc-99m and F-18", "nm-radioactive-decay/1", "nm", "physics", "entry",
             "NNDC NuDat 3 half-lives (Tc-99m 6.0067 h, F-18 109.77 min); Cherry SR et al. Physics in Nuclear "
             "Medicine, 4th ed., 2012, ch. 4", _decay),
    Template("us-range-error", "Speed-of-sound range error", "us-sound-propagation-impedance/1", "us", "physics",
             "intermediate", "Bushberg 2020, ch. 14; tissue speeds from the IT'IS tissue database", _range_error),
)}


def is_generated(item_id: str) -> bool:
    return item_id.startswith("gen:")


@lru_cache(maxsize=2048)
def generate(template_id: str, seed: int) -> Item:
    """The item of ``template_id`` for ``seed`` (deterministic)."""
    if template_id not in TEMPLATES:
        raise ItemProblem("id", f"no generated-item template {template_id!r} (known: {', '.join(TEMPLATES)})")
    template = TEMPLATES[template_id]
    raw = template.make(np.random.default_rng([seed, sum(map(ord, template_id))]))
    params = raw.pop("params", {})
    raw.update({"id": f"gen:{template_id}:{seed}", "modality": template.modality, "topic": template.topic,
                "level": template.level, "objective": template.objective, "source": template.source})
    module = {"xray": "xray-physics", "ct": "ct-physics", "mri": "mri-physics", "nm": "nm-physics",
              "us": "ultrasound-physics"}[template.modality]
    item = parse_item(raw, path="src/scanroom/learning/generated.py", module=module)
    extra: dict[str, Any] = {"params": params, "template": template_id}
    if template_id == "mri-contrast":
        extra["image_url"] = f"/classroom/items/{item.item_id}/image.png"
    return replace(item, origin="generated", extra=extra)


def item_for(item_id: str) -> Item:
    match = GEN_ID.match(item_id)
    if not match:
        raise ItemProblem("id", f"not a generated item id: {item_id!r}")
    return generate(match.group(1), int(match.group(2)))
