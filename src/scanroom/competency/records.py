"""Competency records: evidence per requirement, status and dates, per trainee and per cohort.

Evidence is generic (kind + reference + score + passed + date) so other parts of Scanroom attach results
without knowing this module's tables: the classroom records an exam with
``record_evidence(db, trainee, "chest-routine", "exam", "exam:42", 86.0, True, when)``, the reading room an
interpretation score the same way. A requirement is **met** when an instructor's sign-off stands (for
frameworks that require one), or — where the framework needs no sign-off — when passing evidence of a kind
the requirement accepts exists. Milestone frameworks record a level per sign-off; met means the target level.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts import audit
from scanroom.accounts.service import NotAllowed, ValidationProblem, cohorts_taught_by, trainees_visible_to
from scanroom.competency import frameworks, rules
from scanroom.competency.frameworks import EVIDENCE_KINDS, SLUG, Framework, Requirement
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, Modality, Programme, Role, User, utcnow
from scanroom.store.models_competency import Evidence, LocalRequirement, ProgrammeFramework, SignOff, TaskAttempt

DEFAULT_FRAMEWORK = {
    Modality.RADIOGRAPHY: "arrt-radiography-2022", Modality.CT: "arrt-ct-postprimary",
    Modality.MRI: "arrt-mri-postprimary", Modality.SONOGRAPHY: "ardms-sonography",
    Modality.NUCLEAR_MEDICINE: "nmtcb-nmt", Modality.RADIOLOGY: "acgme-diagnostic-radiology",
}
"""The framework suggested for a programme's modality until the programme chooses one."""


def _user_id(trainee: User | int) -> int:
    return trainee if isinstance(trainee, int) else trainee.id


def record_evidence(db: Session, trainee: User | int, requirement_id: str, kind: str, ref: str,
                    score: float | None, passed: bool, when: datetime | None = None, *,
                    recorded_by: User | None = None) -> Evidence:
    """Attach one piece of evidence (exam result, practical task, interpretation score, sign-off note).

    ``requirement_id`` is a requirement of the trainee's framework (or a programme's local requirement);
    ``kind`` is one of ``exam``, ``practical``, ``interpretation``, ``signoff``. Raises ValidationProblem.
    """
    user_id = _user_id(trainee)
    if kind not in EVIDENCE_KINDS:
        raise ValidationProblem("kind", f"Evidence kind must be one of {', '.join(EVIDENCE_KINDS)}.")
    if not requirement_id or not _known_requirement(db, requirement_id):
        raise ValidationProblem("requirement_id", f"No requirement {requirement_id!r} in any framework.")
    if score is not None and not 0.0 <= float(score) <= 100.0:
        raise ValidationProblem("score", "Score is a percentage between 0 and 100.")
    if db.get(User, user_id) is None:
        raise ValidationProblem("trainee", "No such trainee.")
    evidence = Evidence(trainee_id=user_id, requirement_id=requirement_id, kind=kind, ref=str(ref)[:200],
                        score=float(score) if score is not None else None, passed=bool(passed),
                        at=when or utcnow(), recorded_by_id=recorded_by.id if recorded_by else None)
    db.add(evidence)
    db.flush()
    return evidence


def _known_requirement(db: Session, requirement_id: str) -> bool:
    if any(f.has(requirement_id) for f in frameworks.all_frameworks()):
        return True
    return db.scalar(select(LocalRequirement.id).where(LocalRequirement.requirement_id == requirement_id)) is not None


# ----------------------------------------------------------------------------- programme and framework

def programme_of(db: Session, trainee: User | int) -> Programme | None:
    """The trainee's programme (through their first trainee enrolment)."""
    return db.scalar(select(Programme).join(Cohort, Cohort.programme_id == Programme.id)
                     .join(Enrolment, Enrolment.cohort_id == Cohort.id)
                     .where(Enrolment.user_id == _user_id(trainee), Enrolment.role == EnrolmentRole.TRAINEE)
                     .order_by(Enrolment.id).limit(1))


def chosen_framework_id(db: Session, programme: Programme) -> str | None:
    return db.scalar(select(ProgrammeFramework.framework_id).where(ProgrammeFramework.programme_id == programme.id))


def local_requirements(db: Session, programme: Programme | None) -> list[Requirement]:
    if programme is None:
        return []
    rows = db.scalars(select(LocalRequirement).where(LocalRequirement.programme_id == programme.id)
                      .order_by(LocalRequirement.id))
    return [Requirement(r.requirement_id, r.title, "local", "mandatory", tuple(r.evidence) or ("signoff",),
                        r.source or "Local programme requirement", local=True) for r in rows]


def framework_for_programme(db: Session, programme: Programme | None) -> Framework:
    """The programme's framework with its local requirements (the modality's default until one is chosen)."""
    if programme is None:
        return frameworks.get(DEFAULT_FRAMEWORK[Modality.RADIOGRAPHY])
    framework_id = chosen_framework_id(db, programme) or DEFAULT_FRAMEWORK[programme.modality]
    return frameworks.with_local(frameworks.get(framework_id), local_requirements(db, programme))


def framework_for(db: Session, trainee: User | int) -> Framework:
    return framework_for_programme(db, programme_of(db, trainee))


def may_manage_programme(db: Session, user: User, programme_id: int) -> bool:
    return user.role == Role.ADMIN or any(c.programme_id == programme_id for c in cohorts_taught_by(db, user))


def choose_framework(db: Session, programme: Programme, framework_id: str, actor: User) -> ProgrammeFramework:
    """A programme selects its framework (instructors of the programme's cohorts, or an admin)."""
    if not may_manage_programme(db, actor, programme.id):
        raise NotAllowed("Only instructors of this programme or an administrator can choose its framework.")
    try:
        frameworks.get(framework_id)
    except KeyError as problem:
        raise ValidationProblem("framework_id", str(problem).strip("'\"")) from None
    row = db.scalar(select(ProgrammeFramework).where(ProgrammeFramework.programme_id == programme.id))
    if row is None:
        row = ProgrammeFramework(programme_id=programme.id, framework_id=framework_id, chosen_by_id=actor.id)
        db.add(row)
    else:
        row.framework_id, row.chosen_by_id, row.chosen_at = framework_id, actor.id, utcnow()
    db.flush()
    audit.record(db, "competency.framework", actor_id=actor.id, target=f"programme:{programme.id}",
                 framework=framework_id)
    return row


def programme_task_ids(db: Session, programme: Programme | None) -> list[str]:
    """The practical tasks a programme sets (ids of ``content/tasks``), in the order chosen."""
    if programme is None:
        return []
    ids = db.scalar(select(ProgrammeFramework.task_ids).where(ProgrammeFramework.programme_id == programme.id))
    return list(ids or [])


def set_programme_tasks(db: Session, programme: Programme, task_ids: list[str], actor: User) -> ProgrammeFramework:
    """Instructors set which practical tasks their programme's trainees are asked to complete."""
    from scanroom.competency import tasks

    if not may_manage_programme(db, actor, programme.id):
        raise NotAllowed("Only instructors of this programme or an administrator can set its tasks.")
    known = {t.id for t in tasks.all_tasks()}
    unknown = [t for t in task_ids if t not in known]
    if unknown:
        raise ValidationProblem("task_ids", f"No task {', '.join(unknown)}.")
    row = db.scalar(select(ProgrammeFramework).where(ProgrammeFramework.programme_id == programme.id))
    if row is None:
        row = ProgrammeFramework(programme_id=programme.id, chosen_by_id=actor.id,
                                 framework_id=framework_for_programme(db, programme).id)
        db.add(row)
    row.task_ids = list(dict.fromkeys(task_ids))
    db.flush()
    audit.record(db, "competency.tasks", actor_id=actor.id, target=f"programme:{programme.id}", tasks=row.task_ids)
    return row


def add_local_requirement(db: Session, programme: Programme, *, requirement_id: str, title: str,
                          evidence: list[str], actor: User, source: str = "") -> LocalRequirement:
    """Instructors add programme-specific requirements (ids are prefixed ``local-``)."""
    if not may_manage_programme(db, actor, programme.id):
        raise NotAllowed("Only instructors of this programme or an administrator can add requirements.")
    slug = requirement_id.strip().lower()
    slug = slug if slug.startswith("local-") else f"local-{slug}"
    if not SLUG.match(slug):
        raise ValidationProblem("requirement_id", "Id: lower-case letters, digits and hyphens.")
    if not title.strip():
        raise ValidationProblem("title", "Give the requirement a title.")
    kinds = [k for k in evidence if k in EVIDENCE_KINDS] or ["signoff"]
    if db.scalar(select(LocalRequirement.id).where(LocalRequirement.programme_id == programme.id,
                                                   LocalRequirement.requirement_id == slug)) is not None:
        raise ValidationProblem("requirement_id", f"{slug} already exists in this programme.")
    row = LocalRequirement(programme_id=programme.id, requirement_id=slug, title=title.strip()[:300], evidence=kinds,
                           source=(source.strip() or f"Local requirement of {programme.name}")[:300],
                           created_by_id=actor.id)
    db.add(row)
    db.flush()
    audit.record(db, "competency.local_requirement", actor_id=actor.id, target=f"programme:{programme.id}",
                 requirement=slug)
    return row


# ----------------------------------------------------------------------------- who may see what

def can_view(db: Session, viewer: User, trainee: User) -> bool:
    """A trainee sees only their own record; instructors those of their cohorts' trainees; admins all."""
    if viewer.id == trainee.id:
        return trainee.role == Role.TRAINEE
    if viewer.role == Role.ADMIN:
        return trainee.role == Role.TRAINEE
    if viewer.role == Role.INSTRUCTOR:
        return any(t.id == trainee.id for t in trainees_visible_to(db, viewer))
    return False


# ----------------------------------------------------------------------------- the record

@dataclass
class RequirementStatus:
    requirement: Requirement
    status: str  # met | in-progress | not-started
    evidence: list[Evidence] = field(default_factory=list)
    signoffs: list[SignOff] = field(default_factory=list)  # standing (not revoked) sign-offs
    revoked: list[SignOff] = field(default_factory=list)
    level: int | None = None
    date: datetime | None = None

    @property
    def best_score(self) -> float | None:
        scores = [e.score for e in self.evidence if e.score is not None]
        return max(scores) if scores else None


@dataclass
class CompetencyRecord:
    trainee: User
    framework: Framework
    programme: Programme | None
    items: list[RequirementStatus]
    rule_results: list[rules.RuleResult]

    @property
    def met_ids(self) -> set[str]:
        return {i.requirement.id for i in self.items if i.status == "met"}

    @property
    def complete(self) -> bool:
        return all(r.satisfied for r in self.rule_results)

    @property
    def shortfall(self) -> int:
        return rules.shortfall(self.framework, self.met_ids)

    def by_section(self) -> list[tuple[str, list[RequirementStatus]]]:
        groups: dict[str, list[RequirementStatus]] = defaultdict(list)
        for item in self.items:
            groups[item.requirement.section].append(item)
        return [(self.framework.section_title(s.id), groups[s.id]) for s in self.framework.sections if groups[s.id]]


def standing_signoffs(rows: list[SignOff]) -> tuple[list[SignOff], list[SignOff]]:
    """Split sign-off rows into (standing sign-offs, revoked sign-offs); revocation rows themselves are dropped."""
    revoked_ids = {r.revokes_id for r in rows if r.action == "revoke"}
    signoffs = [r for r in rows if r.action == "signoff"]
    return ([r for r in signoffs if r.id not in revoked_ids], [r for r in signoffs if r.id in revoked_ids])


def status_of(framework: Framework, requirement: Requirement, evidence: list[Evidence],
              signoff_rows: list[SignOff]) -> RequirementStatus:
    standing, revoked = standing_signoffs(signoff_rows)
    level = max((s.level or 0 for s in standing), default=0) or None
    if framework.kind == "milestones" and not requirement.local:
        met = level is not None and level >= (framework.target_level or framework.levels or 1)
    elif standing:
        met = True
    elif framework.signoff_required and not requirement.local:
        met = False
    else:
        met = any(e.passed and e.kind in requirement.evidence for e in evidence)
    if requirement.local and "signoff" in requirement.evidence:
        met = bool(standing)
    dates = [s.signed_at for s in standing] + [e.at for e in evidence]
    status = "met" if met else ("in-progress" if evidence or standing or revoked else "not-started")
    return RequirementStatus(requirement, status, sorted(evidence, key=lambda e: e.at), standing, revoked, level,
                             max(dates) if dates else None)


def competency_record(db: Session, trainee: User) -> CompetencyRecord:
    """Every requirement of the trainee's framework with its evidence, sign-offs, status and date."""
    programme = programme_of(db, trainee)
    framework = framework_for_programme(db, programme)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for row in db.scalars(select(Evidence).where(Evidence.trainee_id == trainee.id).order_by(Evidence.at)):
        evidence[row.requirement_id].append(row)
    signoffs: dict[str, list[SignOff]] = defaultdict(list)
    for signed in db.scalars(select(SignOff).where(SignOff.trainee_id == trainee.id,
                                                   SignOff.framework_id == framework.id).order_by(SignOff.seq)):
        signoffs[signed.requirement_id].append(signed)
    items = [status_of(framework, r, evidence[r.id], signoffs[r.id]) for r in framework.requirements]
    met = {i.requirement.id for i in items if i.status == "met"}
    return CompetencyRecord(trainee, framework, programme, items, rules.evaluate(framework, met))


@dataclass
class CohortRow:
    trainee: User
    record: CompetencyRecord

    @property
    def met(self) -> int:
        return len(self.record.met_ids)

    @property
    def total(self) -> int:
        return len(self.record.items)


@dataclass
class CohortDashboard:
    cohort: Cohort
    framework: Framework
    rows: list[CohortRow]
    missing: list[tuple[Requirement, int]]  # requirement, trainees not yet met (most-missed first)
    task_scores: dict[int, list[float]] = field(default_factory=dict)  # trainee id -> submitted attempt scores (%)

    def section_progress(self) -> list[tuple[str, list[tuple[str, int, int]]]]:
        """Per section: (trainee name, met, total), for the heat map."""
        out = []
        for section in self.framework.sections:
            cells = []
            for row in self.rows:
                items = [i for i in row.record.items if i.requirement.section == section.id]
                if items:
                    cells.append((row.trainee.full_name or row.trainee.username,
                                  sum(1 for i in items if i.status == "met"), len(items)))
            if cells:
                out.append((section.title, cells))
        return out


def cohort_dashboard(db: Session, viewer: User, cohort_id: int) -> CohortDashboard:
    """Who is behind on what in a cohort the viewer teaches (LookupError for cohorts they do not)."""
    cohort = next((c for c in cohorts_taught_by(db, viewer) if c.id == cohort_id), None)
    if cohort is None:
        raise LookupError("No such cohort.")
    framework = framework_for_programme(db, cohort.programme)
    trainees = list(db.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                               .where(Enrolment.cohort_id == cohort.id, Enrolment.role == EnrolmentRole.TRAINEE)
                               .order_by(User.username)))
    rows = [CohortRow(t, competency_record(db, t)) for t in trainees]
    rows.sort(key=lambda r: (-r.record.shortfall, r.trainee.username))
    counts = {r.id: sum(1 for row in rows if r.id not in row.record.met_ids) for r in framework.requirements}
    missing = sorted(((r, counts[r.id]) for r in framework.requirements if counts[r.id]),
                     key=lambda pair: -pair[1])
    scores: dict[int, list[float]] = defaultdict(list)
    if trainees:
        for attempt in db.scalars(select(TaskAttempt).where(TaskAttempt.trainee_id.in_([t.id for t in trainees]),
                                                            TaskAttempt.status == "submitted")
                                  .order_by(TaskAttempt.submitted_at, TaskAttempt.id)):
            if attempt.score is not None and attempt.max_score:
                scores[attempt.trainee_id].append(100.0 * attempt.score / attempt.max_score)
    return CohortDashboard(cohort, framework, rows, missing, dict(scores))


def summary(record: CompetencyRecord) -> dict[str, Any]:
    """Counts for pages and the CLI."""
    counts = {"met": 0, "in-progress": 0, "not-started": 0}
    for item in record.items:
        counts[item.status] += 1
    return {**counts, "total": len(record.items), "complete": record.complete, "shortfall": record.shortfall}
