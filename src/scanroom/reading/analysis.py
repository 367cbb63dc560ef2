"""What readers and instructors see after reading: per-case feedback, session tables, curve data, cohort reports
and the reader study (MRMC) comparing reading conditions — e.g. unaided (test) vs AI-assisted on the same set.

Curves: the FROC curve plots the lesion localisation fraction against non-lesion localisations per case
(Chakraborty 2017, ch. 13); the ROC curve uses the highest rating on each case as the case's rating (the
"inferred ROC" of FROC data). The MRMC comparison is Obuchowski–Rockette with Hillis degrees of freedom on
Wilcoxon AUCs (``reading.observer``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.reading import sessions as reading_sessions
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, User
from scanroom.store.models_reading import Case, CaseReading, ReadingMode, ReadingSession


def case_feedback(case: Case, reading: CaseReading) -> dict[str, Any]:
    """Truth and the scored marks of one submitted case: regions to draw and the teaching text."""
    outcome = reading.outcome or {}
    hit_lesions = {str(h["lesion"]) for h in outcome.get("hits", [])}
    hit_marks = {int(h["mark"]) for h in outcome.get("hits", [])}
    regions: list[dict[str, Any]] = []
    findings = []
    for finding in case.findings:
        hit = str(finding.id) in hit_lesions
        label = finding.label[:60] or finding.lesion_type or "lesion"
        regions.append({"x": finding.x, "y": finding.y, "radius": finding.radius, "frame": finding.frame,
                        "frameExtent": finding.frame_extent, "kind": "hit" if hit else "missed",
                        "label": ("Found: " if hit else "Missed: ") + label})
        findings.append({"label": label, "hit": hit, "size_mm": finding.size_mm, "frame": finding.frame + 1})
    false_positives = []
    for n, mark in enumerate(reading.marks):
        if n not in hit_marks:
            regions.append({"x": mark["x"], "y": mark["y"], "radius": 12, "frame": mark.get("frame", 0),
                            "kind": "false-positive", "label": f"False positive (confidence {mark['rating']:.0f})"})
            false_positives.append(mark)
    return {
        "abnormal": case.abnormal, "diagnosis": case.diagnosis, "teaching_points": case.teaching_points,
        "references": case.references, "findings": findings, "false_positives": len(false_positives),
        "hits": len(hit_lesions), "missed": len(case.findings) - len(hit_lesions), "regions": regions,
        "diagnosis_choice": reading.diagnosis_choice,
        "diagnosis_correct": outcome.get("diagnosis_correct"),
        "correct_choice": reading_sessions.correct_choice(case), "reading_seconds": reading.reading_seconds,
        "marks": len(reading.marks),
    }


def case_rows(session: ReadingSession) -> list[dict[str, Any]]:
    """One row per submitted case of a session, for the results table."""
    rows = []
    by_case = {r.case_id: r for r in session.readings}
    for position, item in enumerate(session.reading_set.items):
        reading = by_case.get(item.case_id)
        if reading is None or reading.submitted_at is None:
            continue
        outcome = reading.outcome or {}
        rows.append({"position": position, "title": item.case.title, "abnormal": item.case.abnormal,
                     "lesions": len(item.case.findings), "hits": len(outcome.get("hits", [])),
                     "false_positives": len(outcome.get("false_positives", [])),
                     "rating": reading.case_rating, "seconds": reading.reading_seconds,
                     "diagnosis_correct": outcome.get("diagnosis_correct")})
    return rows


def session_label(session: ReadingSession) -> str:
    return f"{session.reading_set.title[:16]} · {session.mode.value} · {session.started_at:%d %b}"


def froc_series(finished: Sequence[ReadingSession]) -> list[tuple[str, list[tuple[float, float]]]]:
    """(label, [(NLF, LLF), …]) per session, starting at the origin."""
    out = []
    for session in finished:
        points = [(0.0, 0.0)] + [(float(x), float(y)) for x, y in session.summary.get("froc_points", [])]
        out.append((session_label(session), points))
    return out


def roc_series(finished: Sequence[ReadingSession]) -> list[tuple[str, list[tuple[float, float]]]]:
    out = []
    for session in finished:
        points = [(float(x), float(y)) for x, y in session.summary.get("roc_points", [])]
        out.append((session_label(session), points))
    return out


def learning_points(finished: Sequence[ReadingSession]) -> list[tuple[float, float]]:
    """(session number, wAFROC figure of merit) in the order the sessions were finished."""
    ordered = sorted(finished, key=lambda s: s.finished_at or s.started_at)
    return [(float(n), float(s.summary.get("wafroc_fom", 0.0))) for n, s in enumerate(ordered, start=1)]


def _trainees(db: Session, cohort: Cohort) -> list[User]:
    return list(db.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                           .where(Enrolment.cohort_id == cohort.id, Enrolment.role == EnrolmentRole.TRAINEE)
                           .order_by(User.username)))


def cohort_report(db: Session, cohort: Cohort) -> dict[str, Any]:
    """Per-trainee results on finished sessions, and a reader study wherever the same set was read unaided and
    AI-assisted by at least two trainees."""
    trainees = _trainees(db, cohort)
    rows = []
    finished_by_user: dict[int, list[ReadingSession]] = {}
    for trainee in trainees:
        finished = [s for s in reading_sessions.sessions_of(db, trainee) if s.finished_at is not None and s.summary]
        finished_by_user[trainee.id] = finished
        latest = finished[-1].summary if finished else {}
        rows.append({"trainee": trainee, "sessions": len(finished), "latest": latest,
                     "latest_session": finished[-1] if finished else None})
    studies = reader_studies(db, [s for sessions in finished_by_user.values() for s in sessions])
    froc = [(t.username, froc_series(finished_by_user[t.id][-1:])[0][1]) for t in trainees if finished_by_user[t.id]]
    pooled = pooled_summary([sessions[-1] for sessions in finished_by_user.values() if sessions])
    if pooled is not None:
        froc.append(("cohort (pooled)", [(0.0, 0.0)] + [(float(x), float(y)) for x, y in pooled["froc_points"]]))
    return {"rows": rows, "studies": studies, "froc": froc, "pooled": pooled}


def pooled_summary(latest: Sequence[ReadingSession]) -> dict[str, Any] | None:
    """The cohort as one reader: every trainee's latest session's cases scored together (a pooled FROC curve)."""
    from scanroom.reading.scoring import summarise

    outcomes = [outcome for session in latest for outcome in reading_sessions.session_outcomes(session)]
    return summarise(outcomes).to_dict() if outcomes else None


def reader_studies(db: Session, finished: Sequence[ReadingSession]) -> list[dict[str, Any]]:
    """MRMC comparisons, one per reading set read in both an unaided mode and AI-assisted mode."""
    from scanroom.reading.observer import RatingData, analyze

    by_set: dict[int, dict[ReadingMode, dict[int, ReadingSession]]] = defaultdict(lambda: defaultdict(dict))
    for session in finished:
        by_set[session.set_id][session.mode][session.user_id] = session
    studies = []
    for modes in by_set.values():
        unaided = modes.get(ReadingMode.TEST) or modes.get(ReadingMode.PRACTICE) or {}
        aided = modes.get(ReadingMode.AI_ASSISTED) or {}
        readers = sorted(set(unaided) & set(aided))
        if len(readers) < 2:
            continue
        rows = []
        for treatment, group in (("unaided", unaided), ("ai-assisted", aided)):
            for reader in readers:
                for reading in group[reader].readings:
                    if reading.submitted_at is None:
                        continue
                    rows.append((str(reader), treatment, str(reading.case_id), int(reading.case.abnormal),
                                 float(reading.case_rating or 0.0)))
        try:
            result = analyze(RatingData.from_rows(rows), method="or")
        except ValueError as exc:
            studies.append({"set": group[readers[0]].reading_set, "readers": len(readers), "error": str(exc)})
            continue
        studies.append({"set": unaided[readers[0]].reading_set, "readers": len(readers), "result": result.to_dict(),
                        "report": result.report()})
    return studies
