"""Synthetic interpretation cases: digital patients with known lesions, scanned by the real simulator.

Chest PA radiographs with pulmonary nodules (``modality="xray"``) and portal-venous liver CT with focal
lesions (``modality="ct"``).

A case is planned as a :class:`SyntheticCaseSpec` (patient, seed, lesion specs, exposure), acquired through
``scanner.registry.acquire`` exactly as the X-ray room would, and its truth is read back from the
acquisition's truth masks (the lesion voxels projected onto the detector), so every finding is where the
image shows it. Nothing here is random at run time: a spec always gives the same images and truth.

Truth for one lesion (:class:`Finding`)
    centre = centroid of the projected truth mask (column ``x``, row ``y``); equivalent radius
    ``r_eq = sqrt(area / pi)``; acceptance radius ``max(1.5 * r_eq, 10 mm)`` in pixels (a mark within it
    localises the lesion: the proximity criterion of FROC scoring, Chakraborty, *Observer Performance
    Methods for Diagnostic Imaging*, CRC Press 2017, ch. 12).

Conspicuity (``Finding.contrast``)
    every abnormal case is acquired a second time without its lesions (same patient, seed and exposure:
    its *twin*). The lesion signal is the mean of image − twin over the lesion core (within 0.6 r_eq);
    quantum noise is the spread of image − twin around it (over √2); *clutter* is the spread of the twin,
    band-passed at the lesion's scale, within 2.5 r_eq — the ribs, vessels and edges a reader must tell the
    lesion from. ``contrast`` = signal / clutter (anatomical-noise-limited conspicuity: Samei et al.,
    Radiology 1999;213:727-734; Burgess et al., Med Phys 2001;28:419-437); ``cnr`` = signal / quantum noise
    (Rose). Measuring the signal on the image alone (core minus a fitted ring) was tried and rejected: the
    ribs under and around a nodule bias it by more than the nodule's own contrast.

CT (``modality="ct"``)
    portal-venous abdomen CT, 10 slices from 10% to 90% of the liver's height (lesion-independent, so the
    stack does not point at the lesions), with 0-2 hypoattenuating liver metastases or simple cysts of
    14-40 mm. Each finding sits on the slice where its mask is largest, ``frame_extent`` covers every slice
    that shows it; conspicuity is a Rose CNR (|core HU − median HU of the surrounding soft tissue| / the
    scanner's noise figure): the liver around a lesion is uniform, so no twin is needed. Difficulty: ``hard``
    below CNR 2.5 or 16 mm, ``easy`` from CNR 4 and 24 mm. A CT case takes 30-45 s to simulate.

Difficulty (measured, per finding, then the case)
    ``easy`` when conspicuity >= 0.7 and size >= 10 mm, ``hard`` when conspicuity < 0.4 or size < 6 mm,
    otherwise ``moderate`` (thresholds from the spread measured on generated banks: ground-glass nodules
    fall at 0.1-0.3, solid 10-16 mm nodules at 0.4-0.8, calcified granulomas above 1); a case takes the
    difficulty of its most conspicuous lesion (what it takes to call the case abnormal). Normal cases keep
    the target difficulty of their slot in the plan.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from scanroom.physics.patients.lesions import LESION_TYPES, LesionSpec
from scanroom.scanner.base import Acquisition, PatientRequest, ProtocolError, apply_settings
from scanroom.scanner.registry import acquire, get_scanner

__all__ = ["SyntheticCaseSpec", "Finding", "SyntheticCase", "plan_set", "build_case", "generate_set",
           "lung_field", "DIFFICULTIES", "CHEST_NODULES", "REFERENCES"]

DIFFICULTIES = ("easy", "moderate", "hard")
MODALITIES = ("xray", "ct")
EXAMS = {"xray": "chest-pa", "ct": "abdomen-pelvis-pv"}
ACCEPT_FACTOR = 1.5  # acceptance radius = max(ACCEPT_FACTOR * r_eq, ACCEPT_MIN_MM)
ACCEPT_MIN_MM = 10.0
EASY_CONSPICUITY, HARD_CONSPICUITY = 0.7, 0.4  # measured-difficulty thresholds (module docstring)
EASY_SIZE_MM, HARD_SIZE_MM = 10.0, 6.0
BLOCK = 12  # plans are balanced within blocks of 12 cases (so a longer plan starts with the shorter one)

CHEST_NODULES = ("lung-nodule", "ggo-nodule", "calcified-nodule")

# Lesion kind and size (mm) drawn for each target difficulty. Calibrated on generated sets so that the
# measured difficulty mostly agrees with the target (the scanner decides in the end: a nodule behind the
# heart or a rib is harder than its size says).
TARGETS: dict[str, tuple[tuple[str, float, float, float], ...]] = {
    # (lesion type, weight, min size, max size)
    "easy": (("lung-nodule", 0.7, 16.0, 25.0), ("calcified-nodule", 0.3, 10.0, 15.0)),
    "moderate": (("lung-nodule", 0.6, 10.0, 16.0), ("ggo-nodule", 0.2, 22.0, 30.0),
                 ("calcified-nodule", 0.2, 6.0, 10.0)),
    "hard": (("lung-nodule", 0.5, 5.0, 10.0), ("ggo-nodule", 0.3, 12.0, 22.0), ("calcified-nodule", 0.2, 3.0, 6.0)),
}

# Patients and the spread of build and exposure (chest PA): size = water-equivalent diameter at L1 (AAPM
# Report 220), about ±8% around the ICRP 89 reference adults; kVp from the usual high-kV chest range with
# AEC on the lung (outer) chambers, so exposure lands on the target EI whatever the build.
PATIENTS = {"adult-male": (24.0, 28.5), "adult-female": (22.5, 26.5)}
KVP_CHOICES = (102.0, 110.0, 117.0, 125.0)

REFERENCES = [
    "MacMahon H, et al. Guidelines for management of incidental pulmonary nodules detected on CT images: "
    "from the Fleischner Society 2017. Radiology 2017;284:228-243.",
    "Hansell DM, et al. Fleischner Society: glossary of terms for thoracic imaging. Radiology 2008;246:697-722.",
    "Austin JH, Romney BM, Goldsmith LS. Missed bronchogenic carcinoma: radiographic findings in 27 patients "
    "with a potentially resectable lesion evident in retrospect. Radiology 1992;182:115-122.",
    "Berbaum KS, et al. Satisfaction of search in diagnostic radiology. Invest Radiol 1990;25:133-140.",
    "Samei E, et al. Subtle lung nodules: influence of local anatomic variations on detection. "
    "Radiology 1999;213:727-734.",
]


@dataclass(frozen=True)
class SyntheticCaseSpec:
    """Everything needed to make one case again, bit for bit."""

    case_key: str  # stable, e.g. "xr-chest-s0-0007"
    modality: str  # "xray"
    exam: str  # scanner preset, e.g. "chest-pa"
    patient_id: str
    seed: int
    lesions: tuple[str, ...]  # PatientRequest.lesions specs, e.g. "lung-nodule:size_mm=8,side=left"
    target_difficulty: str  # "easy" | "moderate" | "hard"
    size_cm: float | None = None  # patient build (water-equivalent diameter); None = reference adult
    settings: tuple[tuple[str, str], ...] = ()  # protocol overrides (apply_settings), e.g. (("kvp", "110"),)
    age: int = 55
    history_seed: int = 0  # draws the clinical history (independent of the lesions: it must not give them away)


@dataclass(frozen=True)
class Finding:
    """Truth for one lesion, in the image coordinates of the acquired series."""

    finding_id: str  # the truth-mask name, e.g. "lung-nodule-1"
    lesion_type: str
    description: str
    organ: str
    x: float  # centre column (pixels)
    y: float  # centre row (pixels)
    radius: float  # acceptance radius (pixels)
    frame: int  # 0-based
    frame_extent: int  # ± frames (0 for radiographs)
    size_mm: float  # lesion diameter in the patient
    contrast: float  # conspicuity: lesion signal over the anatomical clutter around it (module docstring)
    signal: float = 0.0  # mean lesion signal above the fitted background (stored grey levels)
    equivalent_radius: float = 0.0  # sqrt(mask area / pi), pixels
    zone: str = ""  # "right upper zone" …
    difficulty: str = "moderate"
    cnr: float = 0.0  # signal over quantum noise (Rose)
    clutter: float = 0.0  # anatomical background σ at the lesion's scale (stored grey levels)


@dataclass
class SyntheticCase:
    """A generated case: the acquisition plus the truth and the words around it."""

    spec: SyntheticCaseSpec
    acquisition: Acquisition
    findings: list[Finding]
    abnormal: bool
    history: str
    question: str
    diagnosis: str
    teaching_points: list[str]
    tags: list[str]
    difficulty: str  # measured (size and contrast), not just the target
    references: list[str] = field(default_factory=list)
    lung_field: np.ndarray | None = None  # bool (rows, cols): the projected lungs, for abnormal cases (truth)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (acquire, twin, …)


# ----------------------------------------------------------------------------------------------- planning

def _choose(rng: np.random.Generator, options: Sequence[tuple[str, float, float, float]]) -> tuple[str, float]:
    weights = np.array([o[1] for o in options], float)
    kind, _, lo, hi = options[int(rng.choice(len(options), p=weights / weights.sum()))]
    return kind, round(float(rng.uniform(lo, hi)) * 2) / 2  # 0.5 mm steps


def _block_layout(n_block: int, n_abnormal: int, difficulty: str, rng: np.random.Generator) -> list[tuple[bool, str]]:
    """Which slots of a block are abnormal and their target difficulties (evenly spread for "mixed")."""
    abnormal = np.zeros(n_block, bool)
    abnormal[rng.permutation(n_block)[:n_abnormal]] = True
    out: list[tuple[bool, str]] = []
    counters = {True: int(rng.integers(3)), False: int(rng.integers(3))}
    for flag in abnormal:
        if difficulty == "mixed":
            target = DIFFICULTIES[counters[bool(flag)] % 3]
            counters[bool(flag)] += 1
        else:
            target = difficulty
        out.append((bool(flag), target))
    return out


def plan_set(n_cases: int, *, modality: str = "xray", exam: str | None = None, abnormal_fraction: float = 0.5,
             difficulty: str = "mixed", seed: int = 0, max_lesions_per_case: int = 2,
             two_lesion_fraction: float = 0.35) -> list[SyntheticCaseSpec]:
    """Plan a balanced set: ``round(n * abnormal_fraction)`` abnormal cases, targets spread over difficulties.

    Slots are laid out in blocks of 12, each balanced on its own (so with the default fraction of 0.5 the
    first 24 cases of a 100-case plan are the 24-case plan with the same seed, and case keys name the same
    case across plan lengths; the last, partial block makes the totals exact); abnormal cases carry 1 lesion,
    or 2 with probability ``two_lesion_fraction`` (FROC needs cases with several lesions). Patients alternate
    at random between the adult male and female, with builds, kVp, small rotations and centring errors varied.
    """
    if modality not in MODALITIES:
        raise ValueError(f"Synthetic cases are available for {', '.join(MODALITIES)}, not {modality!r}.")
    exam = exam or EXAMS[modality]
    if exam != EXAMS[modality]:
        raise ValueError(f"Synthetic {modality} cases use the {EXAMS[modality]} exam; {exam!r} is not supported yet.")
    if not 1 <= n_cases <= 5000:
        raise ValueError("n_cases must be between 1 and 5000.")
    if not 0.0 <= abnormal_fraction <= 1.0:
        raise ValueError("abnormal_fraction must be between 0 and 1.")
    if difficulty not in (*DIFFICULTIES, "mixed"):
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)} or mixed, not {difficulty!r}.")
    if not 1 <= max_lesions_per_case <= 4:
        raise ValueError("max_lesions_per_case must be between 1 and 4.")
    total_abnormal = int(round(n_cases * abnormal_fraction))
    specs: list[SyntheticCaseSpec] = []
    placed_abnormal = 0
    for start in range(0, n_cases, BLOCK):
        size = min(BLOCK, n_cases - start)
        rng = np.random.default_rng([seed, start // BLOCK, 7])
        last = start + size == n_cases
        k = total_abnormal - placed_abnormal if last else int(round(BLOCK * abnormal_fraction))
        k = max(0, min(size, k, total_abnormal - placed_abnormal))
        placed_abnormal += k
        for offset, (is_abnormal, target) in enumerate(_block_layout(size, k, difficulty, rng)):
            i = start + offset
            make = _spec_ct if modality == "ct" else _spec
            specs.append(make(i, seed, exam, is_abnormal, target, max_lesions_per_case, two_lesion_fraction))
    return specs


def _spec(i: int, seed: int, exam: str, abnormal: bool, target: str, max_lesions: int,
          two_fraction: float) -> SyntheticCaseSpec:
    rng = np.random.default_rng([seed, i, 11])
    patient_id = "adult-male" if rng.random() < 0.5 else "adult-female"
    lo, hi = PATIENTS[patient_id]
    size_cm = round(float(rng.uniform(lo, hi)), 1)
    kvp = KVP_CHOICES[int(rng.integers(len(KVP_CHOICES)))]
    rotation = round(float(rng.uniform(-3.0, 3.0)), 1)
    offset = (round(float(rng.uniform(-1.0, 1.0)), 1), round(float(rng.uniform(-1.0, 1.0)), 1))
    settings = (("kvp", f"{kvp:g}"), ("aec", "true"), ("aec_chambers", "all"), ("rotation_deg", f"{rotation:g}"),
                ("centre_offset_cm", f"{offset[0]:g},{offset[1]:g}"))
    lesions: list[str] = []
    if abnormal:
        n = 1
        if max_lesions >= 2 and rng.random() < two_fraction:
            n = 2 if max_lesions == 2 else int(rng.integers(2, max_lesions + 1))
        sides = ["left", "right"]
        first_side = sides[int(rng.integers(2))]
        for j in range(n):
            kind, size = _choose(rng, TARGETS[target])
            side = first_side if j == 0 else sides[int(rng.integers(2))]
            lesions.append(f"{kind}:size_mm={size:g},side={side}")
    return SyntheticCaseSpec(case_key=f"xr-chest-s{seed}-{i:04d}", modality="xray", exam=exam, patient_id=patient_id,
                             seed=int(rng.integers(0, 2**31 - 1)), lesions=tuple(lesions), target_difficulty=target,
                             size_cm=size_cm, settings=settings, age=int(rng.integers(38, 82)),
                             history_seed=int(rng.integers(0, 2**31 - 1)))


# ----------------------------------------------------------------------------------------------- building

def build_case(spec: SyntheticCaseSpec, *, max_tries: int = 4, measure: bool = True) -> SyntheticCase:
    """Acquire the case and read its truth back from the image.

    ``measure=False`` skips the lesion-free twin (half the time of an abnormal case): findings keep their
    positions and acceptance radii but get no signal/contrast, and the case keeps its target difficulty.

    When two lesions of one case project onto each other (their acceptance circles overlap, so a single
    mark could claim both) the patient seed is moved on by one and the case acquired again — a fixed,
    deterministic retry; the seed used is the one in ``case.acquisition.patient``.
    """
    if spec.modality not in MODALITIES:
        raise ValueError(f"Synthetic cases are available for {', '.join(MODALITIES)}, not {spec.modality!r}.")
    for lesion in spec.lesions:
        LesionSpec.parse(lesion)  # a clear error before any scanning
    if spec.modality == "ct":
        return _build_ct(spec, max_tries + 2)
    scanner = get_scanner(spec.modality)
    protocol = apply_settings(scanner.preset(spec.exam), dict(spec.settings))
    timings: dict[str, float] = {"acquire": 0.0, "lung_field": 0.0, "twin": 0.0, "truth": 0.0, "text": 0.0}
    seed = spec.seed
    last_error: Exception | None = None
    for _ in range(max_tries):
        patient = PatientRequest(patient_id=spec.patient_id, size_cm=spec.size_cm, lesions=spec.lesions, seed=seed)
        t0 = time.perf_counter()
        try:
            acquisition = acquire(spec.modality, patient, protocol)
        except ProtocolError as exc:  # a lesion that does not fit this draw: next seed
            last_error = exc
            seed = (seed + 1) % (2**31 - 1)
            timings["acquire"] += time.perf_counter() - t0
            continue
        t1 = time.perf_counter()
        timings["acquire"] += t1 - t0
        field_mask = lung_field(acquisition) if spec.lesions else None  # zones of the findings
        t_field = time.perf_counter()
        timings["lung_field"] += t_field - t1
        twin = None
        if spec.lesions and measure:  # the same patient and exposure without the lesions: the lesion signal
            twin = acquire(spec.modality, patient.model_copy(update={"lesions": ()}), protocol).images[0]
        t_twin = time.perf_counter()
        timings["twin"] += t_twin - t_field
        findings = _findings(acquisition, field_mask, twin)
        timings["truth"] += time.perf_counter() - t_twin
        if _separated(findings):
            break
        last_error = ValueError("lesions overlap in projection")
        seed = (seed + 1) % (2**31 - 1)
    else:
        raise ValueError(f"Case {spec.case_key}: could not place its lesions apart in {max_tries} tries "
                         f"({last_error}).")
    t2 = time.perf_counter()
    if not measure:
        findings = [replace(f, difficulty=spec.target_difficulty) for f in findings]
    difficulty = _case_difficulty(findings, spec.target_difficulty)
    history, question, diagnosis, points, tags = _words(spec, findings)
    timings["text"] = time.perf_counter() - t2
    return SyntheticCase(spec=spec, acquisition=acquisition, findings=findings, abnormal=bool(findings),
                         history=history, question=question, diagnosis=diagnosis, teaching_points=points,
                         tags=tags, difficulty=difficulty, references=list(REFERENCES), lung_field=field_mask,
                         timings=timings)


def generate_set(specs: Iterable[SyntheticCaseSpec], *,
                 progress: Callable[[int, int, str], None] | None = None,
                 workers: int = 1) -> Iterator[SyntheticCase]:
    """Build cases in plan order (a generator: a long set never sits in memory); progress(i, n, key) after each.

    ``workers`` > 1 builds them in that many processes (spawned, each with its own caches), at most two per
    worker ahead of the consumer; every case is the same as a serial build (each spec is self-contained).
    """
    todo = list(specs)
    if workers <= 1 or len(todo) < 2:
        for index, spec in enumerate(todo, start=1):
            case = build_case(spec)
            if progress:
                progress(index, len(todo), spec.case_key)
            yield case
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[SyntheticCase]] = deque()
        upcoming = iter(todo)
        for spec in upcoming:
            pending.append(pool.submit(build_case, spec))
            if len(pending) >= 2 * workers:
                break
        done = 0
        while pending:
            case = pending.popleft().result()
            nxt = next(upcoming, None)
            if nxt is not None:
                pending.append(pool.submit(build_case, nxt))
            done += 1
            if progress:
                progress(done, len(todo), case.spec.case_key)
            yield case


def _separated(findings: list[Finding]) -> bool:
    for a in range(len(findings)):
        for b in range(a + 1, len(findings)):
            fa, fb = findings[a], findings[b]
            if abs(fa.frame - fb.frame) > fa.frame_extent + fb.frame_extent:
                continue  # on different slices
            if math.hypot(fa.x - fb.x, fa.y - fb.y) < fa.radius + fb.radius:
                return False
    return True


def lung_field(acquisition: Acquisition) -> np.ndarray:
    """The lungs projected onto the detector (bool rows × cols) for a chest radiograph.

    Uses the X-ray room's own placement and projection helpers (the same ones its feedback uses for "anatomy
    in the field"), so the field matches the image pixel for pixel; phantoms and points come from its caches.
    """
    from scanroom.scanner import xray
    from scanroom.scanner.phantoms import cache_key

    protocol = acquisition.protocol
    if not isinstance(protocol, xray.XrayProtocol):
        raise ValueError("The lung field is defined for chest radiographs.")
    exam = xray.EXAMS[protocol.exam]
    rotation = exam.base_rotation_deg + protocol.rotation_deg
    phantom = xray._phantom(acquisition.patient, exam, rotation, exam.voxel_mm)
    phantom_key = cache_key(acquisition.patient.model_dump(), exam.region, rotation, exam.voxel_mm)
    points = xray._points(phantom_key, phantom, exam)
    setup = xray._setup(phantom, points, exam, protocol, acquisition.pixel_spacing_mm[0])
    return xray._projected_mask(points.anatomy, points.voxel_mm, setup.detector)


def _lesion_truths(acquisition: Acquisition) -> dict[str, object]:
    from scanroom.scanner import xray

    protocol = acquisition.protocol
    assert isinstance(protocol, xray.XrayProtocol)
    exam = xray.EXAMS[protocol.exam]
    phantom = xray._phantom(acquisition.patient, exam, exam.base_rotation_deg + protocol.rotation_deg, exam.voxel_mm)
    return {f"{t.lesion_id}-{t.instance}": t for t in phantom.lesions}


def _findings(acquisition: Acquisition, field_mask: np.ndarray | None, twin: np.ndarray | None) -> list[Finding]:
    image = acquisition.images[0].astype(np.float64)
    background = image if twin is None else twin.astype(np.float64)
    pixel = float(acquisition.pixel_spacing_mm[0])
    truths = _lesion_truths(acquisition)
    masks = {name: m[0] for name, m in acquisition.truth_masks.items()}
    any_lesion = np.zeros(image.shape, bool)
    for m in masks.values():
        any_lesion |= m
    out: list[Finding] = []
    for name in sorted(masks, key=lambda n: int(n.rsplit("-", 1)[1])):
        mask = masks[name]
        if not mask.any():
            continue
        rows, cols = np.nonzero(mask)
        y, x = float(rows.mean()), float(cols.mean())
        r_eq = math.sqrt(mask.sum() / math.pi)
        radius = max(ACCEPT_FACTOR * r_eq, ACCEPT_MIN_MM / pixel)
        m = measure_lesion(image, background, x, y, r_eq) if twin is not None else LesionMeasure(0, 1, 1, 0, 0)
        truth = truths.get(name)
        lesion_type = getattr(truth, "lesion_id", name.rsplit("-", 1)[0])
        size_mm = float(getattr(truth, "size_mm", 2 * r_eq * pixel))
        organ = str(getattr(truth, "organ", ""))
        zone = _zone(field_mask, x, y, organ) if field_mask is not None else ""
        kind = LESION_TYPES[lesion_type].description if lesion_type in LESION_TYPES else lesion_type
        out.append(Finding(finding_id=name, lesion_type=lesion_type, description=f"{kind}, {size_mm:g} mm, {zone}",
                           organ=organ, x=round(x, 2), y=round(y, 2), radius=round(radius, 2), frame=0,
                           frame_extent=0, size_mm=size_mm, contrast=round(m.conspicuity, 3),
                           signal=round(m.signal, 2), equivalent_radius=round(r_eq, 2), zone=zone,
                           difficulty=finding_difficulty(size_mm, m.conspicuity), cnr=round(m.cnr, 2),
                           clutter=round(m.clutter, 2)))
    return out


@dataclass(frozen=True)
class LesionMeasure:
    """How visible one lesion is (grey levels of the stored image)."""

    signal: float  # mean lesion signal over its core (image minus lesion-free twin)
    noise: float  # quantum noise σ (from the difference image around the lesion)
    clutter: float  # anatomical background σ at the lesion's scale (band-passed twin around the lesion)
    cnr: float  # signal / noise (Rose)
    conspicuity: float  # signal / clutter


def measure_lesion(image: np.ndarray, background: np.ndarray, x: float, y: float, r_eq: float) -> LesionMeasure:
    """Signal, quantum noise and anatomical clutter of a lesion centred at (x, y) with equivalent radius r_eq.

    ``background`` is the same acquisition without the lesions (its twin). Signal: mean of image − twin within
    0.6 r_eq. Quantum noise: σ of image − twin in the ring 1.6–2.8 r_eq over √2 (two independent noise
    draws). Clutter: σ within 2.5 r_eq of the twin band-passed at the lesion's scale (minus a Gaussian blur of
    σ = 1.5 r_eq), i.e. the ribs, vessels and edges a reader must tell the lesion from (anatomical noise,
    Samei et al. 1999; Burgess et al. 2001).
    """
    from scipy import ndimage

    rows, cols = image.shape
    pad = 4.5 * r_eq + 4
    r0, r1 = max(int(y - pad), 0), min(int(y + pad) + 2, rows)
    c0, c1 = max(int(x - pad), 0), min(int(x + pad) + 2, cols)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    d = np.hypot(yy - y, xx - x)
    diff = image[r0:r1, c0:c1] - background[r0:r1, c0:c1]
    core = d <= max(0.6 * r_eq, 1.0)
    ring = (d >= 1.6 * r_eq) & (d <= 2.8 * r_eq + 2)
    signal = float(diff[core].mean()) if core.any() else 0.0
    noise = float(diff[ring].std() / math.sqrt(2.0)) if ring.sum() > 8 else 1.0
    patch = background[r0:r1, c0:c1]
    band = patch - ndimage.gaussian_filter(patch, 1.5 * r_eq, mode="nearest")
    near = d <= 2.5 * r_eq
    clutter = float(band[near].std()) if near.sum() > 8 else 1.0
    noise, clutter = max(noise, 1e-6), max(clutter, 1e-6)
    return LesionMeasure(signal, noise, clutter, max(signal, 0.0) / noise, max(signal, 0.0) / clutter)


def finding_difficulty(size_mm: float, conspicuity: float) -> str:
    """Measured difficulty of one lesion from its size and conspicuity (thresholds in the module docstring)."""
    if conspicuity < HARD_CONSPICUITY or size_mm < HARD_SIZE_MM:
        return "hard"
    if conspicuity >= EASY_CONSPICUITY and size_mm >= EASY_SIZE_MM:
        return "easy"
    return "moderate"


def _case_difficulty(findings: list[Finding], target: str) -> str:
    if not findings:
        return target
    return min((f.difficulty for f in findings), key=DIFFICULTIES.index)


def _zone(field_mask: np.ndarray, x: float, y: float, organ: str) -> str:
    """Upper / middle / lower zone of the lung on that side (thirds of the lung's height on the image)."""
    side = "right" if "right" in organ else "left" if "left" in organ else ""
    cols = field_mask.shape[1]
    half = {"right": field_mask[:, : cols // 2], "left": field_mask[:, cols // 2:]}.get(side, field_mask)
    rows = np.nonzero(half.any(axis=1))[0]
    if not rows.size:
        return f"{side} lung".strip()
    frac = (y - rows[0]) / max(rows[-1] - rows[0], 1)
    level = "upper" if frac < 1 / 3 else "middle" if frac < 2 / 3 else "lower"
    return f"{side} {level} zone".strip()


# ----------------------------------------------------------------------------------------------- words

_PRESENTATIONS = (
    "cough for {weeks} weeks",
    "cough for {weeks} weeks, no fever",
    "breathlessness on exertion",
    "pre-operative assessment before hip replacement",
    "weight loss over three months",
    "chest infection {weeks} weeks ago, follow-up film",
    "intermittent haemoptysis",
    "pre-employment medical",
)
_SMOKING = ("never smoker", "ex-smoker ({packs} pack-years)", "current smoker ({packs} pack-years)")


def _words(spec: SyntheticCaseSpec, findings: list[Finding]) -> tuple[str, str, str, list[str], list[str]]:
    """History, question, diagnosis, teaching points and tags, written from the truth.

    The history comes from its own seed and never depends on the lesions, so it cannot give the answer away.
    """
    rng = np.random.default_rng(spec.history_seed)
    person = "man" if spec.patient_id == "adult-male" else "woman"
    smoking = _SMOKING[int(rng.integers(len(_SMOKING)))].format(packs=int(rng.integers(5, 50)))
    presentation = _PRESENTATIONS[int(rng.integers(len(_PRESENTATIONS)))].format(weeks=int(rng.integers(2, 9)))
    history = f"{spec.age}-year-old {person}, {smoking}. {presentation[0].upper()}{presentation[1:]}."
    question = "Is there a pulmonary nodule? If so, mark each one."
    tags = ["chest", "xray", "chest-pa", "nodule-detection"]
    points: list[str] = []
    if not findings:
        diagnosis = "Normal chest radiograph: no pulmonary nodule."
        points += [
            "Calling a film normal is a positive decision: finish the search pattern, then look again at the review "
            "areas — apices, hila, behind the heart and below the domes of the diaphragm, where missed cancers "
            "typically lie (Austin et al., Radiology 1992).",
            "Rib crossings, costochondral calcification and end-on vessels mimic nodules; a true nodule is round "
            "in every direction and does not follow a rib or a vessel.",
        ]
        tags.append("normal")
        return history, question, diagnosis, points, tags
    parts = [f"a {_kind_text(f)} ({f.size_mm:g} mm) in the {f.zone}" for f in findings]
    diagnosis = "; ".join(parts) + "."
    diagnosis = diagnosis[0].upper() + diagnosis[1:]
    kinds = sorted({f.lesion_type for f in findings})
    for kind in kinds:
        points.append(_TEACHING[kind])
        tags.append(kind)
    sizes = [f.size_mm for f in findings if f.lesion_type == "lung-nodule"]
    if sizes:
        biggest = max(sizes)
        points.append(_fleischner_solid(biggest))
    if len(findings) > 1:
        points.append("More than one lesion: after the first finding keep searching — satisfaction of search makes "
                      "a second abnormality easy to miss (Berbaum et al., Invest Radiol 1990).")
        tags.append("multiple")
    hard = [f for f in findings if f.difficulty == "hard"]
    if hard:
        points.append("A subtle lesion: local contrast against the overlying ribs and vessels, not quantum noise, "
                      "limits nodule detection on radiographs (Samei et al., Radiology 1999); compare both sides "
                      "and look between the ribs.")
    return history, question, diagnosis, points, tags


_TEACHING = {
    "lung-nodule": "A solid nodule is a rounded opacity up to 3 cm (larger is a mass) that obscures the vessels "
                   "behind it (Fleischner glossary, Hansell et al., Radiology 2008).",
    "ggo-nodule": "A ground-glass nodule is a hazy opacity that does not obscure the vessels through it; it is faint "
                  "on a radiograph and CT characterises it (Fleischner glossary, Hansell et al., Radiology 2008).",
    "calcified-nodule": "A densely calcified small nodule is most often a healed granuloma; diffuse, central, "
                        "laminated or popcorn calcification is a benign pattern (Hansell et al., Radiology 2008).",
}


def _fleischner_solid(size_mm: float) -> str:
    """Fleischner 2017 for a single incidental solid nodule (MacMahon et al., Radiology 2017), as CT would size it."""
    if size_mm < 6:
        action = "no routine follow-up in a low-risk patient (optional CT at 12 months if high risk)"
    elif size_mm <= 8:
        action = "CT at 6-12 months"
    else:
        action = "CT at 3 months, PET/CT or tissue sampling"
    return (f"Management is decided on CT: for a solid nodule of about {size_mm:g} mm the Fleischner Society 2017 "
            f"guideline suggests {action} (MacMahon et al., Radiology 2017).")


def _kind_text(f: Finding) -> str:
    return {"lung-nodule": "solid pulmonary nodule", "ggo-nodule": "ground-glass nodule",
            "calcified-nodule": "calcified granuloma"}.get(f.lesion_type, f.lesion_type.replace("-", " "))


# ----------------------------------------------------------------------------------------------- CT (liver)

# Portal-venous abdomen CT: hypoattenuating liver metastases and simple cysts. In this simulator the
# enhanced liver is ~110 HU and both lesions ~15 HU, so size, slice position and dose make the difficulty.
CT_IMAGES = 10  # slices through the liver, ~13 mm apart (each ~3-5 s to simulate)
CT_TARGETS: dict[str, tuple[tuple[str, float, float, float], ...]] = {
    "easy": (("liver-metastasis", 0.6, 26.0, 40.0), ("liver-cyst", 0.4, 26.0, 40.0)),
    "moderate": (("liver-metastasis", 0.6, 18.0, 26.0), ("liver-cyst", 0.4, 18.0, 26.0)),
    "hard": (("liver-metastasis", 0.7, 14.0, 18.0), ("liver-cyst", 0.3, 14.0, 18.0)),
}
CT_EASY_CNR, CT_HARD_CNR = 4.0, 2.5
CT_EASY_SIZE_MM, CT_HARD_SIZE_MM = 24.0, 16.0
CT_REFERENCES = [
    "Sica GT, Ji H, Ros PR. CT and MR imaging of hepatic metastases. AJR 2000;174:691-698.",
    "Mortele KJ, Ros PR. Cystic focal liver lesions in the adult: differential CT and MR imaging features. "
    "RadioGraphics 2001;21:895-910.",
    "Berbaum KS, et al. Satisfaction of search in diagnostic radiology. Invest Radiol 1990;25:133-140.",
]


def _spec_ct(i: int, seed: int, exam: str, abnormal: bool, target: str, max_lesions: int,
             two_fraction: float) -> SyntheticCaseSpec:
    rng = np.random.default_rng([seed, i, 13])
    patient_id = "adult-male" if rng.random() < 0.5 else "adult-female"
    lo, hi = PATIENTS[patient_id]
    size_cm = round(float(rng.uniform(lo, hi)), 1)
    mas = int(rng.integers(60, 141))  # reference mAs with tube-current modulation: noise varies ~1.5×
    settings = (("mas", str(mas)), ("images", str(CT_IMAGES)))
    lesions: list[str] = []
    if abnormal:
        n = 2 if max_lesions >= 2 and rng.random() < two_fraction else 1
        for _ in range(n):
            kind, size = _choose(rng, CT_TARGETS[target])
            lesions.append(f"{kind}:size_mm={size:g}")
    return SyntheticCaseSpec(case_key=f"ct-liver-s{seed}-{i:04d}", modality="ct", exam=exam, patient_id=patient_id,
                             seed=int(rng.integers(0, 2**31 - 1)), lesions=tuple(lesions), target_difficulty=target,
                             size_cm=size_cm, settings=settings, age=int(rng.integers(38, 82)),
                             history_seed=int(rng.integers(0, 2**31 - 1)))


def _liver_range(patient: PatientRequest) -> tuple[float, float]:
    """Slices from 10% to 90% of the liver's height (lesion voxels count as liver): independent of where the
    lesions are, so the stack does not point at them."""
    from scanroom.scanner import ct as ct_room
    from scanroom.scanner.phantoms import phantom_for

    phantom = phantom_for(patient, "abdomen", ct_room.VOXEL_MM, what="scan")
    labels = [lab for lab, name in phantom.label_names.items() if name == "liver" or name.startswith("lesion-")]
    rows = np.nonzero(np.isin(phantom.labels, labels).any(axis=(1, 2)))[0]
    if not rows.size:
        raise ProtocolError(f"{patient.patient_id}: no liver in the abdomen region")
    dz, oz = phantom.voxel_mm[0], phantom.origin_mm[2]
    lo, hi = oz + dz * float(rows.min()), oz + dz * float(rows.max())
    return round(lo + 0.1 * (hi - lo), 1), round(hi - 0.1 * (hi - lo), 1)


def _build_ct(spec: SyntheticCaseSpec, max_tries: int) -> SyntheticCase:
    """A portal-venous CT slab through the liver; every lesion must show on at least one slice (else the next
    seed, deterministically)."""
    scanner = get_scanner("ct")
    base = apply_settings(scanner.preset(spec.exam), dict(spec.settings))
    timings: dict[str, float] = {"acquire": 0.0, "truth": 0.0, "text": 0.0}
    seed = spec.seed
    last_error: Exception | None = None
    for _ in range(max_tries):
        patient = PatientRequest(patient_id=spec.patient_id, size_cm=spec.size_cm, lesions=spec.lesions, seed=seed)
        t0 = time.perf_counter()
        try:
            start, end = _liver_range(patient)
            acquisition = acquire("ct", patient, apply_settings(base, {"start_mm": start, "end_mm": end}))
        except ProtocolError as exc:
            last_error = exc
            seed = (seed + 1) % (2**31 - 1)
            timings["acquire"] += time.perf_counter() - t0
            continue
        t1 = time.perf_counter()
        timings["acquire"] += t1 - t0
        findings = _ct_findings(acquisition)
        timings["truth"] += time.perf_counter() - t1
        if len(findings) == len(spec.lesions) and _separated(findings):
            break
        last_error = ValueError("a lesion falls between slices or two lesions overlap")
        seed = (seed + 1) % (2**31 - 1)
    else:
        raise ValueError(f"Case {spec.case_key}: could not show its lesions in {max_tries} tries ({last_error}).")
    t2 = time.perf_counter()
    difficulty = _case_difficulty(findings, spec.target_difficulty)
    history, question, diagnosis, points, tags = _ct_words(spec, findings)
    timings["text"] = time.perf_counter() - t2
    return SyntheticCase(spec=spec, acquisition=acquisition, findings=findings, abnormal=bool(findings),
                         history=history, question=question, diagnosis=diagnosis, teaching_points=points,
                         tags=tags, difficulty=difficulty, references=list(CT_REFERENCES), timings=timings)


def _ct_findings(acquisition: Acquisition) -> list[Finding]:
    """Truth per lesion from its per-slice masks: the slice where it is largest, ± the slices it reaches.

    Conspicuity = |lesion core HU − median HU of the surrounding soft tissue| / image noise (the scanner's
    noise figure, HU): a Rose-model CNR; no twin is needed because the liver around a lesion is uniform.
    """
    hu = acquisition.images.astype(np.float64)
    pixel = float(acquisition.pixel_spacing_mm[0])
    noise = max(float(acquisition.quality.get("noise_hu", 0.0)), 1.0)
    truths = _ct_truths(acquisition)
    masks = acquisition.truth_masks
    any_lesion = np.zeros(hu.shape, bool)
    for m in masks.values():
        any_lesion |= m
    out: list[Finding] = []
    for name in sorted(masks, key=lambda n: int(n.rsplit("-", 1)[1])):
        mask = masks[name]
        areas = mask.sum(axis=(1, 2))
        if not areas.any():
            continue
        frame = int(np.argmax(areas))
        shown = np.nonzero(areas)[0]
        extent = int(max(abs(int(shown.min()) - frame), abs(int(shown.max()) - frame)))
        rows, cols = np.nonzero(mask[frame])
        y, x = float(rows.mean()), float(cols.mean())
        r_eq = math.sqrt(float(areas[frame]) / math.pi)
        radius = max(ACCEPT_FACTOR * r_eq, ACCEPT_MIN_MM / pixel)
        yy, xx = np.mgrid[0:hu.shape[1], 0:hu.shape[2]]
        d = np.hypot(yy - y, xx - x)
        core = (d <= max(0.6 * r_eq, 1.0)) & mask[frame]
        slice_hu = hu[frame]
        ring = (d >= 1.6 * r_eq) & (d <= 2.8 * r_eq + 2) & ~any_lesion[frame] & (slice_hu > 0) & (slice_hu < 250)
        background = float(np.median(slice_hu[ring])) if ring.sum() > 8 else float(np.median(slice_hu))
        signal = float(slice_hu[core].mean()) - background if core.any() else 0.0
        cnr = abs(signal) / noise
        truth = truths.get(name)
        lesion_type = getattr(truth, "lesion_id", name.rsplit("-", 1)[0])
        size_mm = float(getattr(truth, "size_mm", 2 * r_eq * pixel))
        kind = LESION_TYPES[lesion_type].description if lesion_type in LESION_TYPES else lesion_type
        out.append(Finding(finding_id=name, lesion_type=lesion_type, description=f"{kind}, {size_mm:g} mm, liver",
                           organ=str(getattr(truth, "organ", "liver")), x=round(x, 2), y=round(y, 2),
                           radius=round(radius, 2), frame=frame, frame_extent=extent, size_mm=size_mm,
                           contrast=round(cnr, 3), signal=round(signal, 2), equivalent_radius=round(r_eq, 2),
                           zone="liver", difficulty=ct_finding_difficulty(size_mm, cnr), cnr=round(cnr, 2),
                           clutter=round(noise, 2)))
    return out


def _ct_truths(acquisition: Acquisition) -> dict[str, object]:
    from scanroom.scanner import ct as ct_room
    from scanroom.scanner.phantoms import phantom_for

    phantom = phantom_for(acquisition.patient, "abdomen", ct_room.VOXEL_MM, what="scan")
    return {f"{t.lesion_id}-{t.instance}": t for t in phantom.lesions}


def ct_finding_difficulty(size_mm: float, cnr: float) -> str:
    """CT liver lesion: ``hard`` below CNR 2.5 or 16 mm, ``easy`` from CNR 4 and 24 mm, else ``moderate``."""
    if cnr < CT_HARD_CNR or size_mm < CT_HARD_SIZE_MM:
        return "hard"
    if cnr >= CT_EASY_CNR and size_mm >= CT_EASY_SIZE_MM:
        return "easy"
    return "moderate"


_CT_PRESENTATIONS = (
    "staging CT for colorectal carcinoma",
    "abnormal liver function tests",
    "right upper quadrant pain for {weeks} weeks",
    "weight loss over three months",
    "follow-up of treated breast cancer",
    "incidental finding on ultrasound, characterise",
)


def _ct_words(spec: SyntheticCaseSpec, findings: list[Finding]) -> tuple[str, str, str, list[str], list[str]]:
    """History (own seed, lesion-independent), question, diagnosis, teaching points and tags for a liver CT."""
    rng = np.random.default_rng(spec.history_seed)
    person = "man" if spec.patient_id == "adult-male" else "woman"
    presentation = _CT_PRESENTATIONS[int(rng.integers(len(_CT_PRESENTATIONS)))].format(weeks=int(rng.integers(2, 9)))
    history = f"{spec.age}-year-old {person}. {presentation[0].upper()}{presentation[1:]}. Portal venous phase."
    question = "Are there focal liver lesions? Mark each one on the slice where it is largest."
    tags = ["abdomen", "ct", "abdomen-pelvis-pv", "liver-lesion-detection"]
    if not findings:
        points = ["A normal liver is a positive call: scroll through every slice from the dome to the tip of the "
                  "right lobe, in a liver window if the soft-tissue window hides subtle lesions."]
        return history, question, "Normal liver: no focal lesion.", points, [*tags, "normal"]
    names = {"liver-metastasis": "Hepatic metastasis", "liver-cyst": "Simple hepatic cyst"}
    diagnosis = "; ".join(f"{names.get(f.lesion_type, f.lesion_type)} ({f.size_mm:g} mm), hypoattenuating"
                          for f in findings) + "."
    points = []
    for kind in sorted({f.lesion_type for f in findings}):
        tags.append(kind)
        if kind == "liver-metastasis":
            points.append("Most liver metastases (colorectal, breast, lung) are hypovascular: darker than the "
                          "enhanced liver in the portal venous phase, often with ill-defined margins "
                          "(Sica, Ji & Ros, AJR 2000).")
        elif kind == "liver-cyst":
            points.append("A simple cyst has water attenuation (about 0-20 HU), sharp margins, no wall and no "
                          "enhancement (Mortele & Ros, RadioGraphics 2001).")
    if len(findings) > 1:
        points.append("More than one lesion: keep scrolling after the first — satisfaction of search "
                      "(Berbaum et al., Invest Radiol 1990).")
        tags.append("multiple")
    points.append("A lesion shows on several adjacent slices; mark it where it is largest.")
    return history, question, diagnosis, points, tags
