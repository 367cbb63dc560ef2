"""Score a practical task from what the trainee did in the scan room.

Every criterion reads the stored scans (``ScanRecord``: protocol, dose, quality, feedback) — never the
simulator's internals — so an attempt can be rescored later and the score is explained line by line. Image
criteria judge the final (last) exposure, the one that would be sent for reporting; repeats are counted over
the attempt. Each lost point comes with what to do differently.

Thresholds and their sources:

- positioning: rotation within ±5° (the simulator's own rotation feedback; clavicles equidistant from the
  spinous processes, Bontrager & Lampignano 2021); centring within 2 cm of the centring point;
- collimation: no anatomy clipped and the field at most ``collimation_max_ratio`` × the area the anatomy needs
  with a 2 cm margin (``quality.field_to_anatomy_area`` from ``scanner/xray.py``);
- exposure: deviation index bands of AAPM TG-116 (2009): |DI| ≤ 1 full marks, 1 < |DI| ≤ 3 half, beyond 0;
- dose: DAP (radiography) or CTDIvol and DLP (CT) at or below the national DRL the simulator reports
  (UKHSA 2022 NDRLs, ``scanner/xray_exams.py`` and ``physics/ct/dose.py``);
- repeats: ``per_repeat`` points per repeat — a scan of the same exam, protocol or sequence made again in the
  attempt (another view or sequence is not a repeat) — with reasons from the reject categories of AAPM TG-151
  (2015).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from scanroom.competency.tasks import Task

TITLES = {
    "checks": "Pre-exposure checks", "exam": "Correct exam and projection", "positioning": "Positioning (rotation)",
    "centring": "Centring", "collimation": "Collimation", "exposure": "Exposure (DI)", "dose": "Dose against the DRL",
    "marker": "Side marker", "repeats": "Repeats", "time": "Time", "protocol": "Correct protocol",
    "range": "Scan range", "ct-dose": "Dose against the DRL", "noise": "Image noise",
    "screening": "MR safety screening", "sequences": "Requested sequences",
    "labelling": "Implant labelling (field, SAR)",
}


class ScanLike(Protocol):
    """What the rubric reads from a stored scan (``ScanRecord`` has all of it)."""

    preset: str
    protocol: dict[str, Any]
    dose: dict[str, Any]
    quality: dict[str, Any]
    feedback: list[dict[str, Any]]
    created_at: datetime


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    title: str
    points: float
    max_points: float
    message: str
    advice: str = ""

    @property
    def lost(self) -> float:
        return self.max_points - self.points

    def as_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "title": self.title, "points": self.points, "max_points": self.max_points,
                "message": self.message, "advice": self.advice}


@dataclass(frozen=True)
class RubricResult:
    items: tuple[CriterionResult, ...]

    @property
    def score(self) -> float:
        return float(sum(i.points for i in self.items))

    @property
    def max_score(self) -> float:
        return float(sum(i.max_points for i in self.items))

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def lost(self) -> dict[str, float]:
        return {i.criterion: i.lost for i in self.items if i.lost > 0}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _codes(scan: ScanLike) -> set[str]:
    return {str(f.get("code")) for f in scan.feedback}


def score(task: Task, scans: Sequence[tuple[ScanLike, str]], *, started_at: datetime,
          answers: dict[str, str] | None = None, screening: Sequence[str] = ()) -> RubricResult:
    """Score ``scans`` (in the order made, each with its repeat reason) against ``task``'s rubric."""
    answers = answers or {}
    items = []
    final = scans[-1][0] if scans else None
    for entry in task.rubric:
        criterion = str(entry["criterion"])
        max_points = float(entry["points"])
        title = TITLES.get(criterion, criterion)
        if criterion == "checks":
            items.append(_checks(task, answers, max_points))
        elif criterion == "repeats":
            items.append(_repeats(scans, max_points, float(entry.get("per_repeat", 5))))
        elif criterion == "time":
            items.append(_time(task, scans, started_at, max_points))
        elif criterion == "screening":
            items.append(_screening(task, screening, max_points))
        elif criterion == "sequences":
            items.append(_sequences(task, [s for s, _ in scans], max_points))
        elif final is None:
            items.append(CriterionResult(criterion, title, 0.0, max_points, "No scan was made in this attempt.",
                                         "Make the exposure from the console opened by the task."))
        else:
            items.append(_JUDGES[criterion](task, final, max_points, [s for s, _ in scans]))
    return RubricResult(tuple(items))


def _result(criterion: str, ok: bool, max_points: float, good: str, bad: str, advice: str,
            points: float | None = None) -> CriterionResult:
    got = max_points if ok else (points if points is not None else 0.0)
    return CriterionResult(criterion, TITLES[criterion], got, max_points, good if ok else bad,
                           "" if ok else advice)


# ----------------------------------------------------------------------------- radiography

def _exam(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    wanted = str(task.expected["exam"])
    done = str(scan.protocol.get("exam", scan.preset))
    return _result("exam", done == wanted, max_points, f"{wanted} as requested.",
                   f"Correct exam and projection: you made a {done}; the request was {wanted}.",
                   "Read the request again and choose the exam and projection it asks for.")


def _positioning(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    limit = float(task.expected.get("rotation_max_deg", 5))
    rotation = float(scan.protocol.get("rotation_deg", 0.0))
    return _result("positioning", abs(rotation) <= limit, max_points, f"Rotation {rotation:+.0f}°, within ±{limit:g}°.",
                   f"Positioning (rotation): the patient was rotated {rotation:+.0f}° (limit ±{limit:g}°).",
                   "Keep the mid-sagittal plane perpendicular to the detector: shoulders and hips square to it; "
                   "check the clavicles are equidistant from the spinous processes.")


def _centring(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    limit = float(task.expected.get("centring_max_cm", 2))
    offset = scan.protocol.get("centre_offset_cm") or (0.0, 0.0)
    error = float((float(offset[0]) ** 2 + float(offset[1]) ** 2) ** 0.5)
    return _result("centring", error <= limit, max_points, f"Centring within {error:.1f} cm of the centring point.",
                   f"Centring: the central ray was {error:.1f} cm off the centring point (limit {limit:g} cm).",
                   "Centre on the exam's centring point (chest PA: T7, the inferior angles of the scapulae).")


def _collimation(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    limit = float(task.expected.get("collimation_max_ratio", 1.5))
    clipped = float(scan.quality.get("anatomy_clipped_fraction", 0.0))
    ratio = float(scan.quality.get("field_to_anatomy_area", 0.0))
    field = scan.protocol.get("field_cm") or ("?", "?")
    if clipped > 0.01 or "clipped-anatomy" in _codes(scan):
        return CriterionResult("collimation", TITLES["collimation"], 0.0, max_points,
                               f"Collimation: {100 * clipped:.0f}% of the anatomy lies outside the field (clipped).",
                               "Open the field (or re-centre) until all the anatomy is inside it, with a margin.")
    return _result("collimation", ratio <= limit, max_points,
                   f"Field {field[0]}×{field[1]} cm is {ratio:.2f}× the area the anatomy needs.",
                   f"Collimation too wide: the {field[0]}×{field[1]} cm field is {ratio:.2f}× the area the anatomy "
                   f"needs (limit {limit:g}×).",
                   "Collimate to the anatomy with about 2 cm margin: less scatter, less dose, better contrast.")


def _exposure(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    low, high = (float(v) for v in task.expected.get("di_band", (-1, 1)))
    limit = float(task.expected.get("di_limit", 3))
    di = float(scan.dose.get("di", 0.0))
    if low <= di <= high:
        return CriterionResult("exposure", TITLES["exposure"], max_points, max_points, f"DI {di:+.1f}: on target.")
    half = abs(di) <= limit
    direction = "over" if di > 0 else "under"
    advice = ("Lower the mAs (each −1 DI is about −21% mAs); the processing hides over-exposure, the patient's dose "
              "does not." if di > 0 else "Raise the mAs (each +1 DI is about +26% mAs) or check the AEC chamber.")
    return CriterionResult("exposure", TITLES["exposure"], max_points / 2 if half else 0.0, max_points,
                           f"Exposure (DI): DI {di:+.1f} is {direction}-exposed "
                           f"({'outside ±1' if half else f'beyond ±{limit:g}'}, AAPM TG-116).", advice)


def _dose(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    drl = scan.dose.get("drl_dap_gycm2")
    dap = float(scan.dose.get("dap_gycm2", 0.0))
    if not drl:
        return CriterionResult("dose", TITLES["dose"], max_points, max_points,
                               f"DAP {dap:.3f} Gy·cm² (no national DRL for this exam).")
    return _result("dose", dap <= float(drl), max_points, f"DAP {dap:.3f} Gy·cm², within the DRL of {drl:g}.",
                   f"Dose against the DRL: DAP {dap:.3f} Gy·cm² is above the national DRL of {drl:g} Gy·cm².",
                   "Collimate tighter and check the exposure factors; a DRL is a level typical practice stays under.")


def _marker(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    marker = str(scan.protocol.get("side_marker", "none"))
    return _result("marker", marker != "none", max_points, f"Side marker {marker} in the field.",
                   "Side marker: no anatomical side marker on the image.",
                   "Place an L or R marker in the collimated field before exposing; an unmarked image must not "
                   "be reported.")


# ----------------------------------------------------------------------------- CT

def _protocol(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    wanted = str(task.expected["protocol"])
    done = str(scan.protocol.get("protocol", scan.preset))
    return _result("protocol", done == wanted, max_points, f"{wanted} as requested.",
                   f"Correct protocol: you scanned {done}; the request needs {wanted}.",
                   "Match the protocol to the clinical question (region, contrast phase, kernel).")


def _range(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    low, high = (float(v) for v in task.expected.get("scan_length_mm", (0, 1e9)))
    length = float(scan.dose.get("scan_length_mm", 0.0))
    return _result("range", low <= length <= high, max_points, f"Scan length {length:.0f} mm.",
                   f"Scan range: {length:.0f} mm scanned; the anatomy needs {low:.0f}–{high:.0f} mm.",
                   "Plan the range on the scout from the first to the last slice the question needs (head: skull "
                   "base to vertex); every extra centimetre adds DLP.")


def _ct_dose(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    ctdi = float(scan.dose.get("ctdivol_mgy", 0.0))
    dlp = float(scan.dose.get("dlp_mgycm", 0.0))
    drl_c, drl_d = scan.dose.get("drl_ctdivol_mgy"), scan.dose.get("drl_dlp_mgycm")
    if not drl_c:
        return CriterionResult("ct-dose", TITLES["ct-dose"], max_points, max_points,
                               f"CTDIvol {ctdi:.1f} mGy, DLP {dlp:.0f} mGy·cm (no national DRL).")
    ok = ctdi <= float(drl_c) and (not drl_d or dlp <= float(drl_d))
    return _result("ct-dose", ok, max_points, f"CTDIvol {ctdi:.1f} mGy, DLP {dlp:.0f} mGy·cm, within the DRL.",
                   f"Dose against the DRL: CTDIvol {ctdi:.1f} mGy / DLP {dlp:.0f} mGy·cm exceed the national DRL "
                   f"({drl_c:g} mGy / {drl_d:g} mGy·cm).",
                   "Lower the mAs or kVp, use tube-current modulation, and keep the range to the anatomy.")


def _noise(task: Task, scan: ScanLike, max_points: float, _all: list[ScanLike]) -> CriterionResult:
    limit = float(task.expected.get("noise_max_hu", 10))
    noise = float(scan.quality.get("noise_hu", 0.0))
    return _result("noise", noise <= limit and "noisy" not in _codes(scan), max_points,
                   f"Noise {noise:.1f} HU.", f"Image noise: {noise:.1f} HU (limit {limit:g} HU).",
                   "Noise falls as 1/√mAs: raise the mAs a little, or use thicker slices for reading.")


# ----------------------------------------------------------------------------- MRI

def _screening(task: Task, decisions: Sequence[str], max_points: float) -> CriterionResult:
    from scanroom.safety import mr_screening

    case = mr_screening.get_case(str(task.scenario["mr_case"]))
    if not decisions:
        return CriterionResult("screening", TITLES["screening"], 0.0, max_points,
                               "MR safety screening: no screening decision was made in this attempt.",
                               "Screen the patient before anything else: read the questionnaire and decide.")
    first = decisions[0]
    return _result("screening", first == case.correct, max_points, f"Screening decision {first!r}: correct.",
                   f"MR safety screening: your first decision was {first!r}; the safe decision is {case.correct!r}.",
                   case.teaching)


def _sequences(task: Task, scans: list[ScanLike], max_points: float) -> CriterionResult:
    wanted = [str(s) for s in task.expected.get("sequences", [])]
    done = {str(s.protocol.get("sequence", s.preset)) for s in scans}
    missing = [s for s in wanted if s not in done]
    share = (len(wanted) - len(missing)) / len(wanted) if wanted else 1.0
    if not missing:
        return CriterionResult("sequences", TITLES["sequences"], max_points, max_points,
                               f"All requested sequences acquired ({', '.join(wanted)}).")
    return CriterionResult("sequences", TITLES["sequences"], round(max_points * share, 2), max_points,
                           f"Requested sequences: {', '.join(missing)} not acquired.",
                           "Acquire every sequence the request lists.")


def _labelling(task: Task, scan: ScanLike, max_points: float, scans: list[ScanLike]) -> CriterionResult:
    from scanroom.safety import mr_screening

    case = mr_screening.get_case(str(task.scenario["mr_case"]))
    problems: list[str] = []
    for made in scans:
        mode = "first-level" if "sar-first-level" in _codes(made) else "normal"  # the simulator's SAR mode
        problems += mr_screening.protocol_violations(case, float(made.protocol.get("b0_t", 1.5)), mode)
    return _result("labelling", not problems, max_points, "Every scan within the implant's MR Conditional labelling.",
                   "Implant labelling: " + " ".join(sorted(set(problems))),
                   "Check field strength and SAR mode against the labelling before every sequence.")


# ----------------------------------------------------------------------------- common

def _checks(task: Task, answers: dict[str, str], max_points: float) -> CriterionResult:
    if not task.checks:
        return CriterionResult("checks", TITLES["checks"], max_points, max_points, "No pre-exposure checks.")
    wrong = [c for c in task.checks if answers.get(c.id) != c.answer]
    got = max_points * (len(task.checks) - len(wrong)) / len(task.checks)
    if not wrong:
        return CriterionResult("checks", TITLES["checks"], got, max_points, "Pre-exposure checks answered correctly.")
    return CriterionResult("checks", TITLES["checks"], round(got, 2), max_points,
                           "Pre-exposure checks: " + "; ".join(f"{c.question} — you answered "
                                                               f"{answers.get(c.id, 'nothing')!r}" for c in wrong),
                           " ".join(f"{c.question} {c.answer}: {c.why}" for c in wrong))


def _repeats(scans: Sequence[tuple[ScanLike, str]], max_points: float, per_repeat: float) -> CriterionResult:
    if not scans:
        return CriterionResult("repeats", TITLES["repeats"], 0.0, max_points, "No scan was made.")
    repeated = repeat_flags([scan.preset for scan, _ in scans])
    repeats = sum(repeated)
    if repeats == 0:
        return CriterionResult("repeats", TITLES["repeats"], max_points, max_points, "No repeats.")
    reasons = [reason or "no reason recorded" for (_, reason), again in zip(scans, repeated, strict=True) if again]
    return CriterionResult("repeats", TITLES["repeats"], max(max_points - per_repeat * repeats, 0.0), max_points,
                           f"Repeats: {repeats} repeat{'s' if repeats > 1 else ''} ({', '.join(reasons)}); each "
                           "repeat doubles the patient's dose for that image.",
                           "Check positioning, centring, collimation, marker and exposure on the positioning view "
                           "before exposing; record the reason for every repeat.")


def repeat_flags(presets: Sequence[str]) -> list[bool]:
    """Which scans repeat an earlier one of the same exam, protocol or sequence (a second view is not a repeat)."""
    seen: set[str] = set()
    flags = []
    for preset in presets:
        flags.append(preset in seen)
        seen.add(preset)
    return flags


def _time(task: Task, scans: Sequence[tuple[ScanLike, str]], started_at: datetime,
          max_points: float) -> CriterionResult:
    limit = float(task.expected.get("time_limit_s", 900))
    if not scans:
        return CriterionResult("time", TITLES["time"], 0.0, max_points, "No scan was made.")
    elapsed = (_aware(scans[-1][0].created_at) - _aware(started_at)).total_seconds()
    return _result("time", elapsed <= limit, max_points, f"Done in {elapsed / 60:.1f} min.",
                   f"Time: {elapsed / 60:.1f} min (limit {limit / 60:.0f} min).",
                   "Prepare the room and the protocol before bringing the patient in.")


_JUDGES = {"exam": _exam, "positioning": _positioning, "centring": _centring, "collimation": _collimation,
           "exposure": _exposure, "dose": _dose, "marker": _marker, "protocol": _protocol, "range": _range,
           "ct-dose": _ct_dose, "noise": _noise, "labelling": _labelling}
