"""The dose ledger: every simulated exposure, its patient dose against the DRL, staff dose, repeats and flags.

Raw material: the scan records (``practice/scans.py``), the task attempts they belong to (repeat reasons and,
for scenarios with staff in the room such as mobile or trauma radiography, the staff distance) and the MR
screening decisions. Patient doses are checked against the DRLs the simulators already report (UK NDRLs:
``drl_dap_gycm2`` from ``scanner/xray_exams.py``; ``drl_ctdivol_mgy``/``drl_dlp_mgycm`` from
``physics/ct/dose.py``); cumulative staff dose per trainee and calendar year against a configured
investigation level and the selected jurisdiction's annual limit (``safety/limits.py``). Flagged events are
reviewed by an instructor (``SafetyReview``); reviewed events stay listed, marked as reviewed.

Staff dose is estimated only where a task's scenario has staff in the room (mobile or trauma radiography) and
is attributed to the trainee, who stands with them at the scenario's distance (a mobile unit's exposure cable
keeps the operator about 2 m from the patient); CT and MR staff are outside the room during the scan.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts import audit
from scanroom.accounts.service import NotAllowed, ValidationProblem
from scanroom.safety import staff_dose
from scanroom.safety.limits import DEFAULT_INVESTIGATION_LEVEL_MSV, Limits, get_limits
from scanroom.store.models import MrScreeningDecision, Role, ScanRecord, User, utcnow
from scanroom.store.models_competency import AttemptScan, SafetyReview, TaskAttempt


@dataclass(frozen=True)
class Exposure:
    """One ledger row's input: a stored scan with what the attempt it belongs to adds."""

    scan_id: int
    trainee_id: int
    at: datetime
    modality: str
    exam: str
    dose: dict[str, Any]
    attempt_id: int | None = None
    repeat_of_attempt: bool = False
    repeat_reason: str = ""
    staff_distance_m: float | None = None


@dataclass(frozen=True)
class Entry:
    exposure: Exposure
    dap_gycm2: float
    dlp_mgycm: float
    ctdivol_mgy: float
    effective_msv: float
    drl_label: str
    above_drl: bool
    staff_ugy: float
    flags: tuple[str, ...]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def entry_for(exposure: Exposure) -> Entry:
    """Patient dose, DRL check, staff dose and flags of one exposure."""
    dose = exposure.dose
    dap = float(dose.get("dap_gycm2", 0.0))
    dlp = float(dose.get("dlp_mgycm", 0.0))
    ctdi = float(dose.get("ctdivol_mgy", 0.0))
    flags = []
    above = False
    label = ""
    if dose.get("drl_dap_gycm2"):
        label = f"DAP {dap:.3f} / DRL {float(dose['drl_dap_gycm2']):g} Gy·cm²"
        above = dap > float(dose["drl_dap_gycm2"])
    elif dose.get("drl_ctdivol_mgy"):
        drl_c, drl_d = float(dose["drl_ctdivol_mgy"]), float(dose.get("drl_dlp_mgycm") or 0.0)
        label = f"CTDIvol {ctdi:.1f} / DRL {drl_c:g} mGy; DLP {dlp:.0f} / DRL {drl_d:g} mGy·cm"
        above = ctdi > drl_c or (drl_d > 0 and dlp > drl_d)
    if above:
        flags.append("above-drl")
    di = dose.get("di")
    if di is not None and float(di) > 3:
        flags.append("di-excessive")
    elif di is not None and float(di) < -3:
        flags.append("di-repeat")
    if exposure.repeat_of_attempt:
        flags.append("repeat")
    staff = 0.0
    if exposure.staff_distance_m:
        staff = staff_dose.for_scan(exposure.modality, dose, exposure.staff_distance_m) or 0.0
    return Entry(exposure, dap, dlp, ctdi, float(dose.get("effective_dose_msv", 0.0)), label, above, staff,
                 tuple(flags))


@dataclass
class TraineeTotals:
    trainee_id: int
    exposures: int = 0
    dap_gycm2: float = 0.0
    dlp_mgycm: float = 0.0
    effective_msv: float = 0.0
    above_drl: int = 0
    staff_ugy_by_year: dict[int, float] = field(default_factory=dict)
    attempt_exposures: int = 0
    repeats: int = 0
    repeat_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def repeat_rate(self) -> float:
        return self.repeats / self.attempt_exposures if self.attempt_exposures else 0.0


def aggregate(entries: Sequence[Entry]) -> dict[int, TraineeTotals]:
    """Sum the ledger per trainee (patient dose, DRL exceedances, staff dose per calendar year, repeats).

    One pass with numpy group sums (``np.bincount`` over trainee indices) for the dose columns.
    """
    if not entries:
        return {}
    trainee_ids = np.fromiter((e.exposure.trainee_id for e in entries), dtype=np.int64, count=len(entries))
    keys, index = np.unique(trainee_ids, return_inverse=True)
    columns = {name: np.fromiter((getattr(e, name) for e in entries), dtype=np.float64, count=len(entries))
               for name in ("dap_gycm2", "dlp_mgycm", "effective_msv", "staff_ugy")}
    sums = {name: np.bincount(index, weights=values, minlength=len(keys)) for name, values in columns.items()}
    counts = np.bincount(index, minlength=len(keys))
    above = np.bincount(index, weights=np.fromiter((e.above_drl for e in entries), dtype=np.float64,
                                                   count=len(entries)), minlength=len(keys))
    totals = {int(k): TraineeTotals(int(k), int(counts[i]), float(sums["dap_gycm2"][i]), float(sums["dlp_mgycm"][i]),
                                    float(sums["effective_msv"][i]), int(above[i])) for i, k in enumerate(keys)}
    for entry in entries:
        if entry.exposure.attempt_id is None and not entry.staff_ugy:
            continue
        t = totals[entry.exposure.trainee_id]
        if entry.staff_ugy:
            year = _aware(entry.exposure.at).year
            t.staff_ugy_by_year[year] = t.staff_ugy_by_year.get(year, 0.0) + entry.staff_ugy
        if entry.exposure.attempt_id is not None:
            t.attempt_exposures += 1
            if entry.exposure.repeat_of_attempt:
                t.repeats += 1
                t.repeat_reasons[entry.exposure.repeat_reason or "not recorded"] += 1
    return totals


@dataclass(frozen=True)
class Event:
    """A flagged event for instructor review."""

    key: str
    trainee_id: int
    at: datetime
    kind: str  # above-drl | di-excessive | di-repeat | repeat | mr-screening | staff-investigation | staff-limit
    message: str
    scan_id: int | None = None


def staff_events(totals: dict[int, TraineeTotals], limits: Limits, investigation_level_msv: float) -> list[Event]:
    """Cumulative staff dose per trainee and year above the investigation level (and above the annual limit)."""
    events = []
    for t in totals.values():
        for year, ugy in sorted(t.staff_ugy_by_year.items()):
            msv = ugy / 1000.0
            if msv > limits.effective_msv:
                events.append(Event(f"staff-limit:{t.trainee_id}:{year}", t.trainee_id,
                                    datetime(year, 12, 31, tzinfo=UTC), "staff-limit",
                                    f"Cumulative staff dose {msv:.3f} mSv in {year} exceeds the annual limit of "
                                    f"{limits.effective_msv:g} mSv ({limits.title})."))
            if msv > investigation_level_msv:
                events.append(Event(f"staff-investigation:{t.trainee_id}:{year}", t.trainee_id,
                                    datetime(year, 12, 31, tzinfo=UTC), "staff-investigation",
                                    f"Cumulative staff dose {msv:.3f} mSv in {year} is above the investigation level "
                                    f"of {investigation_level_msv:g} mSv: review the scenario's distances and "
                                    "shielding."))
    return events


MESSAGES = {
    "above-drl": "Patient dose above the national DRL ({drl}).",
    "di-excessive": "DI {di:+.1f}: excessive exposure (TG-116: DI > +3).",
    "di-repeat": "DI {di:+.1f}: under-exposed beyond −3; the image would be repeated.",
    "repeat": "Repeated exposure in a task attempt (reason: {reason}).",
}


def scan_events(entries: Iterable[Entry]) -> list[Event]:
    events = []
    for entry in entries:
        e = entry.exposure
        for flag in entry.flags:
            message = MESSAGES[flag].format(drl=entry.drl_label, di=float(e.dose.get("di", 0.0)),
                                            reason=e.repeat_reason or "not recorded")
            events.append(Event(f"scan:{e.scan_id}:{flag}", e.trainee_id, _aware(e.at), flag,
                                f"{e.modality} {e.exam}: {message}", e.scan_id))
    return events


@dataclass
class Ledger:
    entries: list[Entry]
    totals: dict[int, TraineeTotals]
    events: list[Event]
    reviews: dict[str, SafetyReview]
    limits: Limits
    investigation_level_msv: float
    users: dict[int, User]
    screening: list[MrScreeningDecision]

    def open_events(self) -> list[Event]:
        return [e for e in self.events if e.key not in self.reviews]

    def overall_repeat_rate(self) -> float:
        exposures = sum(t.attempt_exposures for t in self.totals.values())
        return sum(t.repeats for t in self.totals.values()) / exposures if exposures else 0.0

    def repeat_reasons(self) -> Counter[str]:
        """Reasons for repeats across every trainee in the ledger (reject analysis)."""
        total: Counter[str] = Counter()
        for t in self.totals.values():
            total.update(t.repeat_reasons)
        return total


def exposures_from_db(db: Session, trainee_ids: Sequence[int], since: datetime | None = None,
                      until: datetime | None = None) -> list[Exposure]:
    """The ledger's raw rows: every scan of the trainees, with its attempt, repeat reason and staff distance."""
    from scanroom.competency.tasks import get_task

    if not trainee_ids:
        return []
    query = (select(ScanRecord, AttemptScan, TaskAttempt)
             .outerjoin(AttemptScan, AttemptScan.scan_record_id == ScanRecord.id)
             .outerjoin(TaskAttempt, TaskAttempt.id == AttemptScan.attempt_id)
             .where(ScanRecord.user_id.in_(trainee_ids)).order_by(ScanRecord.id))
    if since is not None:
        query = query.where(ScanRecord.created_at >= since)
    if until is not None:
        query = query.where(ScanRecord.created_at < until)
    seen: set[tuple[int, str]] = set()  # (attempt, exam/protocol/sequence): the same again is a repeat
    exposures = []
    for record, link, attempt in db.execute(query).all():
        distance = None
        repeat = False
        if attempt is not None:
            repeat = (attempt.id, record.preset) in seen
            seen.add((attempt.id, record.preset))
            try:
                distance = get_task(attempt.task_id).staff_distance_m
            except KeyError:
                distance = None
        exposures.append(Exposure(record.id, record.user_id, record.created_at, record.modality, record.preset,
                                  dict(record.dose or {}), attempt.id if attempt else None, repeat,
                                  link.repeat_reason if link else "", distance))
    return exposures


def build_ledger(db: Session, trainees: Sequence[User], *, jurisdiction: str = "icrp",
                 investigation_level_msv: float = DEFAULT_INVESTIGATION_LEVEL_MSV,
                 since: datetime | None = None, until: datetime | None = None) -> Ledger:
    """The ledger of ``trainees``' simulated exposures (all sessions), with totals, flags and reviews."""
    limits = get_limits(jurisdiction)
    if not investigation_level_msv > 0:
        raise ValueError("The investigation level must be a positive dose in mSv.")
    ids = [t.id for t in trainees]
    entries = [entry_for(e) for e in exposures_from_db(db, ids, since, until)]
    totals = aggregate(entries)
    screening = list(db.scalars(select(MrScreeningDecision).where(MrScreeningDecision.user_id.in_(ids))
                                .order_by(MrScreeningDecision.id))) if ids else []
    events = scan_events(entries) + staff_events(totals, limits, investigation_level_msv)
    events += [Event(f"mr:{d.id}", d.user_id, _aware(d.created_at), "mr-screening",
                     f"MR screening case {d.case_id}: decision {d.decision!r} was not the safe one.")
               for d in screening if not d.correct]
    events.sort(key=lambda e: e.at, reverse=True)
    keys = [e.key for e in events]
    reviews = {r.event_key: r for r in db.scalars(select(SafetyReview).where(SafetyReview.event_key.in_(keys)))} \
        if keys else {}
    return Ledger(entries, totals, events, reviews, limits, investigation_level_msv, {t.id: t for t in trainees},
                  screening)


def review_event(db: Session, ledger: Ledger, event_key: str, reviewer: User, note: str) -> SafetyReview:
    """An instructor marks a flagged event as reviewed, with a note (audited)."""
    if reviewer.role not in (Role.INSTRUCTOR, Role.ADMIN):
        raise NotAllowed("Only instructors review safety events.")
    if not event_key.strip():
        raise ValidationProblem("event_key", "Choose the event to mark as reviewed.")
    event = next((e for e in ledger.events if e.key == event_key), None)
    if event is None:
        raise LookupError("No such event.")
    if event_key in ledger.reviews:
        raise ValidationProblem("event_key", "This event has already been reviewed.")
    if not note.strip():
        raise ValidationProblem("note", "Write what was found and what was agreed.")
    review = SafetyReview(event_key=event_key, trainee_id=event.trainee_id, reviewed_by_id=reviewer.id,
                          reviewed_at=utcnow(), note=note.strip()[:2000])
    db.add(review)
    db.flush()
    audit.record(db, "safety.review", actor_id=reviewer.id, target=f"user:{event.trainee_id}", event=event_key)
    return review


def totals_as_rows(ledger: Ledger) -> list[dict[str, Any]]:
    """Per-trainee summary rows for pages, the CLI and CSV."""
    rows = []
    for trainee_id, t in sorted(ledger.totals.items()):
        user = ledger.users.get(trainee_id)
        staff = defaultdict(float, t.staff_ugy_by_year)
        rows.append({"trainee": user.username if user else str(trainee_id), "exposures": t.exposures,
                     "dap_gycm2": t.dap_gycm2, "dlp_mgycm": t.dlp_mgycm, "effective_msv": t.effective_msv,
                     "above_drl": t.above_drl, "staff_msv": sum(staff.values()) / 1000.0,
                     "repeats": t.repeats, "repeat_rate": t.repeat_rate,
                     "repeat_reasons": ", ".join(f"{reason} {n}" for reason, n in t.repeat_reasons.most_common())})
    return rows
