"""Practical tasks in the simulator: a scenario, a request and a rubric, attempted in a scan room's "task mode".

A task (``content/tasks/*.yaml``) is a patient with a history and, for some, a complication (pregnancy
question, implant, child, wheelchair, trauma), the request the trainee receives, pre-exposure checks with
their answers (kept on the server until submission), what the rubric expects, and the framework
requirements it is evidence for. An attempt starts from the task page, the console opens with
``?task=<attempt id>``, every scan made is linked to the attempt (with the reason when it is a repeat), and
"Submit task" scores it (:mod:`scanroom.competency.rubric`) and records the result as ``practical`` evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem
from scanroom.competency.frameworks import LINE_KEY, SLUG, _LineLoader, _unknown_keys
from scanroom.store.models import MrScreeningDecision, ScanRecord, User, utcnow
from scanroom.store.models_competency import AttemptScan, TaskAttempt

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "tasks"
MODALITIES = ("xray", "ct", "mri")
COMPLICATIONS = ("none", "pregnancy-question", "implant", "child", "wheelchair", "trauma")
CONSOLES = {"xray": "/scanroom/xray", "ct": "/scanroom/ct", "mri": "/scanroom/mri"}
REPEAT_REASONS = ("positioning", "exposure", "motion", "artefact", "collimation", "marker", "equipment", "other")
"""Reject categories of digital-radiography reject analysis (AAPM TG-151, Jones et al., Med Phys 42:6658, 2015),
plus collimation and marker errors, which reject audits usually report separately."""
TASK_KEYS = {"id", "title", "modality", "requirements", "scenario", "request", "checks", "expected", "pass_mark",
             "rubric", "sources", LINE_KEY}
CRITERIA = {
    "xray": ("checks", "exam", "positioning", "centring", "collimation", "exposure", "dose", "marker", "repeats",
             "time"),
    "ct": ("checks", "protocol", "range", "ct-dose", "noise", "repeats", "time"),
    "mri": ("checks", "screening", "sequences", "labelling", "repeats", "time"),
}


@dataclass(frozen=True)
class Check:
    """A pre-exposure question (pregnancy, who holds, contrast …) answered on the task page."""

    id: str
    question: str
    answer: str
    options: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    modality: str
    requirements: dict[str, tuple[str, ...]]  # framework id -> requirement ids the task is evidence for
    scenario: dict[str, Any]
    request: str
    expected: dict[str, Any]
    rubric: tuple[dict[str, Any], ...]
    pass_mark: float
    sources: tuple[str, ...]
    checks: tuple[Check, ...] = field(default_factory=tuple)
    path: str = ""

    @property
    def max_score(self) -> float:
        return float(sum(float(c["points"]) for c in self.rubric))

    @property
    def complication(self) -> str:
        return str(self.scenario.get("complication", "none"))

    @property
    def patient_id(self) -> str:
        return str(self.scenario["patient_id"])

    @property
    def lesions(self) -> tuple[str, ...]:
        return tuple(self.scenario.get("lesions") or ())

    @property
    def staff_distance_m(self) -> float | None:
        staff = self.scenario.get("staff_in_room")
        return float(staff["distance_m"]) if isinstance(staff, dict) and "distance_m" in staff else None


class TaskError(ValueError):
    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}:{line}: {m}" for f, line, m in problems))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def parse(text: str, filename: str = "<task>") -> Task:
    """Parse and validate one task file; every problem names its line."""
    problems: list[tuple[str, int, str]] = []
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TaskError([(filename, (mark.line + 1) if mark else 1, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise TaskError([(filename, 1, "a task file is a mapping (id, title, modality, scenario, rubric …)")])
    top = int(data.get(LINE_KEY, 1))

    def problem(line: int, message: str) -> None:
        problems.append((filename, line, message))

    _unknown_keys(data, TASK_KEYS, "task", top, problem)
    for key in ("id", "title", "modality", "scenario", "request", "expected", "rubric", "sources", "requirements"):
        if key not in data:
            problems.append((filename, top, f"missing required key {key!r}"))
    if problems:
        raise TaskError(problems)
    if not SLUG.match(str(data["id"])):
        problems.append((filename, top, f"id {data['id']!r} must be lower-case letters, digits and hyphens"))
    modality = str(data["modality"])
    if modality not in MODALITIES:
        problems.append((filename, top, f"modality {modality!r} must be one of {', '.join(MODALITIES)}"))
    scenario = data["scenario"]
    sline = int(scenario.get(LINE_KEY, top)) if isinstance(scenario, dict) else top
    if not isinstance(scenario, dict) or not scenario.get("patient_id") or not scenario.get("history"):
        problems.append((filename, sline, "scenario needs patient_id and history"))
        scenario = {}
    if scenario.get("complication", "none") not in COMPLICATIONS:
        problems.append((filename, sline, f"complication must be one of {', '.join(COMPLICATIONS)}"))
    if modality == "mri" and not scenario.get("mr_case"):
        problems.append((filename, sline, "an MRI task names its MR screening case (scenario.mr_case)"))
    rubric = data["rubric"] if isinstance(data["rubric"], list) else []
    allowed = CRITERIA.get(modality, ())
    for item in rubric:
        line = int(item.get(LINE_KEY, top)) if isinstance(item, dict) else top
        if not isinstance(item, dict) or item.get("criterion") not in allowed:
            problems.append((filename, line, f"rubric criterion must be one of {', '.join(allowed)}"))
            continue
        _unknown_keys(item, {"criterion", "points", "per_repeat", LINE_KEY}, "rubric entry", line, problem)
        if not isinstance(item.get("points"), int | float) or item["points"] <= 0:
            problems.append((filename, line, f"criterion {item['criterion']!r} needs positive points"))
    if not rubric:
        problems.append((filename, top, "the rubric has no criteria"))
    checks = []
    for raw in data.get("checks") or []:
        line = int(raw.get(LINE_KEY, top)) if isinstance(raw, dict) else top
        if isinstance(raw, dict):
            _unknown_keys(raw, {"id", "question", "answer", "options", "why", LINE_KEY}, f"check {raw.get('id')!r}",
                          line, problem)
        if not isinstance(raw, dict) or not raw.get("id") or raw.get("answer") not in (raw.get("options") or []):
            problems.append((filename, line, "a check needs id, question, options and an answer among the options"))
            continue
        checks.append(Check(str(raw["id"]), str(raw.get("question", "")), str(raw["answer"]),
                            tuple(str(o) for o in raw["options"]), str(raw.get("why", ""))))
    if any(c.get("criterion") == "checks" for c in rubric if isinstance(c, dict)) and not checks:
        problems.append((filename, top, "the rubric scores checks but the task has none"))
    if not data.get("sources"):
        problems.append((filename, top, "a task lists its sources"))
    requirements = data["requirements"] if isinstance(data["requirements"], dict) else {}
    if not problems:
        _cross_check(data, modality, scenario, requirements, top, problem)
    if problems:
        raise TaskError(problems)
    return Task(str(data["id"]), str(data["title"]), modality,
                {str(k): tuple(str(r) for r in v) for k, v in requirements.items() if k != LINE_KEY},
                _strip(scenario), str(data["request"]), _strip(data["expected"]), tuple(_strip(rubric)),
                float(data.get("pass_mark", 80)), tuple(str(s) for s in data["sources"]), tuple(checks), filename)


def _cross_check(data: dict[str, Any], modality: str, scenario: dict[str, Any], requirements: dict[str, Any],
                 top: int, problem: Any) -> None:
    """What the task names must exist: frameworks and requirements, the patient and lesions, the exam or
    protocol, the MR screening case — a typo would otherwise only show when an attempt is scored."""
    from scanroom.competency import frameworks
    from scanroom.physics.patients import list_lesion_types, list_patients
    from scanroom.safety import mr_screening
    from scanroom.scanner.base import ProtocolError
    from scanroom.scanner.registry import get_scanner

    rline = int(requirements.get(LINE_KEY, top))
    for framework_id, ids in requirements.items():
        if framework_id == LINE_KEY:
            continue
        try:
            framework = frameworks.get(str(framework_id))
        except (KeyError, frameworks.FrameworkError):
            problem(rline, f"requirements: no framework {framework_id!r}")
            continue
        for rid in ids or []:
            if not framework.has(str(rid)):
                problem(rline, f"requirements: {framework_id} has no requirement {rid!r}")
    sline = int(scenario.get(LINE_KEY, top))
    if scenario.get("patient_id") not in {p.patient_id for p in list_patients()}:
        problem(sline, f"scenario: no digital patient {scenario.get('patient_id')!r}")
    known_lesions = {t.lesion_id for t in list_lesion_types()}
    for lesion in scenario.get("lesions") or []:
        if lesion not in known_lesions:
            problem(sline, f"scenario: no lesion type {lesion!r}")
    if modality == "mri":
        try:
            mr_screening.get_case(str(scenario.get("mr_case")))
        except KeyError:
            problem(sline, f"scenario: no MR screening case {scenario.get('mr_case')!r}")
    expected = data.get("expected") or {}
    eline = int(expected.get(LINE_KEY, top)) if isinstance(expected, dict) else top
    presets = [expected.get("exam")] if modality == "xray" else [expected.get("protocol")] if modality == "ct" \
        else list(expected.get("sequences") or [])
    for preset in presets:
        try:
            get_scanner(modality).preset(str(preset))
        except ProtocolError:
            problem(eline, f"expected: the {modality} room has no {preset!r}")


def task_files(directory: Path | None = None) -> list[Path]:
    folder = directory or CONTENT_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"Task content not found at {folder}; run Scanroom from its checkout.")
    return sorted(folder.glob("*.yaml"))


@lru_cache(maxsize=1)
def _all() -> dict[str, Task]:
    tasks = {}
    for path in task_files():
        task = parse(path.read_text(encoding="utf-8"), str(path))
        tasks[task.id] = task
    return tasks


def all_tasks() -> list[Task]:
    return sorted(_all().values(), key=lambda t: (t.modality, t.title))


def get_task(task_id: str) -> Task:
    tasks = _all()
    if task_id not in tasks:
        raise KeyError(f"No task {task_id!r}.")
    return tasks[task_id]


# ----------------------------------------------------------------------------- attempts

def start_attempt(db: Session, trainee: User, task_id: str, answers: dict[str, str] | None = None) -> TaskAttempt:
    """Open an attempt; the pre-exposure checks are answered now (before the console opens)."""
    try:
        task = get_task(task_id)
    except KeyError:
        raise ValidationProblem("task", f"No task {task_id!r}.") from None
    given = answers or {}
    for check in task.checks:
        if given.get(check.id, "") not in check.options:
            raise ValidationProblem(f"check-{check.id}", f"Answer: {check.question}")
    attempt = TaskAttempt(trainee_id=trainee.id, task_id=task.id, status="open",
                          breakdown=[{"answers": {c.id: given[c.id] for c in task.checks}}])
    db.add(attempt)
    db.flush()
    return attempt


def answers_of(attempt: TaskAttempt) -> dict[str, str]:
    first = attempt.breakdown[0] if attempt.breakdown and "answers" in attempt.breakdown[0] else {}
    return dict(first.get("answers", {}))


def own_attempt(db: Session, user: User, attempt_id: int) -> TaskAttempt:
    """The caller's own attempt; anything else is "not found" (ids do not leak)."""
    attempt = db.get(TaskAttempt, attempt_id)
    if attempt is None or attempt.trainee_id != user.id:
        raise LookupError("No such task attempt.")
    return attempt


def open_attempt(db: Session, user: User, attempt_id: int, modality: str) -> tuple[TaskAttempt, Task]:
    """The caller's open attempt for a console of ``modality`` (LookupError otherwise)."""
    attempt = own_attempt(db, user, attempt_id)
    task = get_task(attempt.task_id)
    if attempt.status != "open" or task.modality != modality:
        raise LookupError("This task attempt is not open in this scan room.")
    return attempt, task


def link_scan(db: Session, attempt: TaskAttempt, record: ScanRecord, repeat_reason: str = "") -> AttemptScan:
    """Attach a scan made in task mode; a scan after the first is a repeat and keeps its reason."""
    if attempt.status != "open":
        raise NotAllowed("This task attempt has been submitted.")
    reason = repeat_reason if repeat_reason in REPEAT_REASONS else ""
    link = AttemptScan(attempt_id=attempt.id, scan_record_id=record.id, repeat_reason=reason)
    db.add(link)
    db.flush()
    return link


def attempt_scans(db: Session, attempt: TaskAttempt) -> list[tuple[ScanRecord, str]]:
    rows = db.execute(select(ScanRecord, AttemptScan.repeat_reason).join(
        AttemptScan, AttemptScan.scan_record_id == ScanRecord.id).where(AttemptScan.attempt_id == attempt.id)
        .order_by(ScanRecord.id)).all()
    return [(record, reason) for record, reason in rows]


def screening_decisions(db: Session, attempt: TaskAttempt, case_id: str) -> list[MrScreeningDecision]:
    """The MR screening decisions the trainee made for the task's case during the attempt, first first."""
    started = _aware(attempt.started_at)
    rows = db.scalars(select(MrScreeningDecision).where(MrScreeningDecision.user_id == attempt.trainee_id,
                                                       MrScreeningDecision.case_id == case_id)
                      .order_by(MrScreeningDecision.id))
    return [d for d in rows if _aware(d.created_at) >= started]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def submit(db: Session, user: User, attempt_id: int) -> TaskAttempt:
    """Score the attempt, freeze it and record the result as practical evidence for the task's requirements."""
    from scanroom.competency import records, rubric

    attempt = own_attempt(db, user, attempt_id)
    if attempt.status != "open":
        raise NotAllowed("This task attempt has already been submitted.")
    task = get_task(attempt.task_id)
    now = utcnow()
    scans = attempt_scans(db, attempt)
    decisions = screening_decisions(db, attempt, str(task.scenario.get("mr_case", ""))) if task.modality == "mri" \
        else []
    result = rubric.score(task, scans, started_at=_aware(attempt.started_at), answers=answers_of(attempt),
                          screening=[d.decision for d in decisions])
    attempt.status = "submitted"
    attempt.submitted_at = now
    attempt.score = result.score
    attempt.max_score = result.max_score
    attempt.screening_decision = decisions[0].decision if decisions else ""
    attempt.breakdown = [{"answers": answers_of(attempt)}, *[item.as_dict() for item in result.items]]
    framework = records.framework_for(db, user)
    for requirement_id in task.requirements.get(framework.id, ()):
        records.record_evidence(db, user, requirement_id, "practical", f"task:{task.id}:attempt:{attempt.id}",
                                result.percent, result.percent >= task.pass_mark, now)
    db.flush()
    return attempt


def attempts_of(db: Session, user: User, task_id: str | None = None) -> list[TaskAttempt]:
    query = select(TaskAttempt).where(TaskAttempt.trainee_id == user.id)
    if task_id:
        query = query.where(TaskAttempt.task_id == task_id)
    return list(db.scalars(query.order_by(TaskAttempt.id.desc())))
