"""Evidence from exams and reading: which requirements a reading set or an exam counts toward, and recording it.

Issue 9 joins the four ways competence is judged (written exams, practical demonstration, interpretation
exercises, safety compliance) into one record per trainee. Practical tasks record their own evidence
(``tasks.py``); this module is the narrow door the reading room and the classroom use:

* :func:`check_requirement_ids` validates the ids an instructor names when building a reading set or an exam:
  each must be a requirement of some framework (or a programme's local requirement) — of the cohort's
  framework when one is given — and must accept the kind of evidence (``interpretation`` for reading,
  ``exam`` for exams), so a result can never be filed against a requirement that would ignore it.
* :func:`record_result` files one result against each named requirement of the trainee's own framework
  (see ``records.record_evidence``); ids the trainee's framework does not have, or that no longer accept the
  kind (a local requirement deleted since), are skipped, and the same reference is never filed twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import ValidationProblem
from scanroom.competency import frameworks, records
from scanroom.competency.frameworks import EVIDENCE_KINDS, Framework
from scanroom.store.models import Programme, User
from scanroom.store.models_competency import Evidence, LocalRequirement

FIELD = "requirement_ids"
MAX_IDS = 20


@dataclass(frozen=True)
class Choice:
    """A requirement an instructor may pick in a form (value = id)."""

    id: str
    title: str
    group: str


def parse_ids(raw: str | Iterable[str] | None) -> list[str]:
    """Ids from a form: a list of values (a multiple select) or one text of ids separated by commas or spaces."""
    if raw is None:
        return []
    parts = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else [p for v in raw for p in re.split(r"[\s,;]+", v)]
    return list(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))


def _accepted_kinds(db: Session, requirement_id: str, framework: Framework | None) -> set[str] | None:
    """The evidence kinds ``requirement_id`` accepts (in ``framework`` if given, else anywhere); None: unknown."""
    if framework is not None:
        return set(framework.requirement(requirement_id).evidence) if framework.has(requirement_id) else None
    kinds: set[str] = set()
    found = False
    for candidate in frameworks.all_frameworks():
        if candidate.has(requirement_id):
            found = True
            kinds |= set(candidate.requirement(requirement_id).evidence)
    for local in db.scalars(select(LocalRequirement).where(LocalRequirement.requirement_id == requirement_id)):
        found = True
        kinds |= set(local.evidence or ["signoff"])
    return kinds if found else None


def check_requirement_ids(db: Session, ids: Iterable[str], kind: str, *,
                          programme: Programme | None = None) -> list[str]:
    """Validate requirement ids for a reading set (``interpretation``) or an exam (``exam``); returns them cleaned.

    With ``programme`` the ids must belong to that programme's framework (with its local requirements);
    without, to any framework or any programme's local requirements. Raises ValidationProblem on the field
    ``requirement_ids`` naming the first bad id and why.
    """
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"Unknown evidence kind {kind!r}.")
    cleaned = parse_ids(list(ids))
    if len(cleaned) > MAX_IDS:
        raise ValidationProblem(FIELD, f"Name at most {MAX_IDS} requirements.")
    framework = records.framework_for_programme(db, programme) if programme is not None else None
    for requirement_id in cleaned:
        kinds = _accepted_kinds(db, requirement_id, framework)
        if kinds is None:
            where = f"the {framework.title} framework of {programme.name}" if framework and programme \
                else "any framework or programme"
            raise ValidationProblem(FIELD, f"No requirement {requirement_id!r} in {where}.")
        if kind not in kinds:
            raise ValidationProblem(FIELD, f"Requirement {requirement_id!r} does not accept {kind} evidence "
                                           f"(it accepts {', '.join(sorted(kinds))}).")
    return cleaned


def choices(db: Session, kind: str, programmes: Iterable[Programme] | None = None) -> list[Choice]:
    """Requirements that accept ``kind`` evidence, for the select in the reading-set and exam forms.

    With ``programmes`` (an exam builder: the instructor's cohorts' programmes): each programme's framework
    with its local requirements, as :func:`check_requirement_ids` will check them. Without (reading sets,
    which belong to no programme): every framework, then every programme's local requirements.
    """
    if programmes is not None:
        found: list[Choice] = []
        for programme in dict.fromkeys(programmes):
            framework = records.framework_for_programme(db, programme)
            found += [Choice(r.id, r.title, f"{programme.name}: {framework.title}") for r in framework.requirements
                      if kind in r.evidence]
        return found
    found = [Choice(r.id, r.title, f.title) for f in frameworks.all_frameworks() for r in f.requirements
             if kind in r.evidence]
    for local, programme_name in db.execute(
            select(LocalRequirement, Programme.name).join(Programme, Programme.id == LocalRequirement.programme_id)
            .order_by(Programme.name, LocalRequirement.requirement_id)):
        if kind in (local.evidence or []):
            found.append(Choice(local.requirement_id, local.title, f"Local: {programme_name}"))
    return found


def record_result(db: Session, trainee: User | int, requirement_ids: Iterable[str], kind: str, ref: str,
                  score: float | None, passed: bool, when: datetime | None = None) -> list[Evidence]:
    """File one exam or reading result against each named requirement of the trainee's framework that accepts
    ``kind``; idempotent per (requirement, kind, ref). Returns the rows written."""
    framework = records.framework_for(db, trainee)
    user_id = trainee if isinstance(trainee, int) else trainee.id
    written = []
    for requirement_id in parse_ids(list(requirement_ids)):
        if not framework.has(requirement_id) or kind not in framework.requirement(requirement_id).evidence:
            continue
        if db.scalar(select(Evidence.id).where(Evidence.trainee_id == user_id, Evidence.requirement_id ==
                                               requirement_id, Evidence.kind == kind, Evidence.ref == ref)):
            continue
        written.append(records.record_evidence(db, trainee, requirement_id, kind, ref, score, passed, when))
    return written
