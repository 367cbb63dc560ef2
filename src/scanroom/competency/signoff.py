"""Instructor sign-off of competencies: tamper-evident, append-only, revocable with a reason.

Each row stores who signed, when, what (framework, requirement, level, comment) and the SHA-256 of that
content together with the previous row's hash for the same trainee (a hash chain, as in an append-only
ledger: altering or deleting any past row breaks every later link). Rows are never updated — the ORM refuses
(``store/models_competency.py``) and so does the database (trigger in migration 0006); a revocation is a new
row that names the sign-off it revokes and why. Every sign-off and revocation is also written to the audit log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scanroom.accounts import audit
from scanroom.accounts.service import NotAllowed, ValidationProblem
from scanroom.competency import records
from scanroom.store.models import Role, User, utcnow
from scanroom.store.models_competency import SignOff

GENESIS = "0" * 64


def _utc_text(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_hash(row: SignOff) -> str:
    """SHA-256 over the row's content and its predecessor's hash (canonical JSON, sorted keys)."""
    payload = {"trainee_id": row.trainee_id, "seq": row.seq, "framework_id": row.framework_id,
               "requirement_id": row.requirement_id, "action": row.action, "level": row.level,
               "comment": row.comment, "revokes_id": row.revokes_id, "signed_by_id": row.signed_by_id,
               "signed_by_name": row.signed_by_name, "signed_at": _utc_text(row.signed_at),
               "prev_hash": row.prev_hash}
    if row.attestations:  # rows signed before attestations existed hash exactly as they did then
        payload["attestations"] = list(row.attestations)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _may_sign(db: Session, signer: User, trainee: User) -> None:
    if signer.role not in (Role.INSTRUCTOR, Role.ADMIN):
        raise NotAllowed("Only instructors sign off competencies.")
    if signer.id == trainee.id:
        raise NotAllowed("Nobody signs off their own competencies.")
    if trainee.role != Role.TRAINEE or not records.can_view(db, signer, trainee):
        raise LookupError("No such trainee.")


def _append(db: Session, trainee: User, **fields: object) -> SignOff:
    """Add the next row of the trainee's chain; a concurrent writer taking the same seq makes one retry."""
    for _ in range(3):
        last = db.scalar(select(SignOff).where(SignOff.trainee_id == trainee.id).order_by(SignOff.seq.desc()).limit(1))
        row = SignOff(trainee_id=trainee.id, seq=(last.seq + 1) if last else 1,
                      prev_hash=last.content_hash if last else GENESIS, signed_at=utcnow(), **fields)
        row.content_hash = content_hash(row)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            continue
        return row
    raise ValidationProblem("requirement_id", "Another sign-off was being saved at the same moment; try again.")


def sign_off(db: Session, *, trainee: User, requirement_id: str, signer: User, comment: str = "",
             level: int | None = None, attestations: list[str] | None = None, ip_address: str = "") -> SignOff:
    """Record an instructor's observed performance of ``requirement_id`` as competent.

    Milestone frameworks need the level reached; requirements marked ``attest`` need every attestation of the
    framework (ARRT: performed independently, consistently and effectively).
    """
    _may_sign(db, signer, trainee)
    framework = records.framework_for(db, trainee)
    if not framework.has(requirement_id):
        raise ValidationProblem("requirement_id", f"{requirement_id!r} is not a requirement of {framework.title}.")
    affirmed = [a for a, _text in framework.attestations if a in (attestations or [])]
    if framework.requirement(requirement_id).attest and len(affirmed) != len(framework.attestations):
        missing = [text for a, text in framework.attestations if a not in affirmed]
        raise ValidationProblem("attestations", "To sign off, confirm each of: " + "; ".join(missing) + ".")
    if framework.kind == "milestones" and not framework.requirement(requirement_id).local:
        top = framework.levels or 5
        if level is None or not 1 <= int(level) <= top:
            raise ValidationProblem("level", f"Choose the milestone level reached (1–{top}).")
    else:
        level = None
        standing, _ = records.standing_signoffs(list(db.scalars(select(SignOff).where(
            SignOff.trainee_id == trainee.id, SignOff.requirement_id == requirement_id,
            SignOff.framework_id == framework.id))))
        if standing:
            raise ValidationProblem("requirement_id", "Already signed off; revoke it first to sign again.")
    row = _append(db, trainee, framework_id=framework.id, requirement_id=requirement_id, action="signoff",
                  level=int(level) if level is not None else None, comment=comment.strip()[:2000],
                  revokes_id=None, signed_by_id=signer.id, signed_by_name=signer.full_name or signer.username,
                  attestations=affirmed if framework.requirement(requirement_id).attest else [])
    audit.record(db, "competency.signoff", actor_id=signer.id, target=f"user:{trainee.id}", ip_address=ip_address,
                 framework=framework.id, requirement=requirement_id, level=row.level, signoff_id=row.id,
                 hash=row.content_hash)
    return row


def revoke(db: Session, *, signoff_id: int, signer: User, reason: str, ip_address: str = "") -> SignOff:
    """Revoke a standing sign-off: a new row with the reason; the original stays in the history."""
    original = db.get(SignOff, signoff_id)
    trainee = db.get(User, original.trainee_id) if original is not None else None
    if original is None or trainee is None:
        raise LookupError("No such sign-off.")
    _may_sign(db, signer, trainee)
    if original.action != "signoff":
        raise ValidationProblem("signoff_id", "Only a sign-off can be revoked.")
    if db.scalar(select(func.count()).select_from(SignOff).where(SignOff.revokes_id == original.id)):
        raise ValidationProblem("signoff_id", "This sign-off has already been revoked.")
    if not reason.strip():
        raise ValidationProblem("reason", "Say why the sign-off is revoked.")
    row = _append(db, trainee, framework_id=original.framework_id, requirement_id=original.requirement_id,
                  action="revoke", level=original.level, comment=reason.strip()[:2000], revokes_id=original.id,
                  signed_by_id=signer.id, signed_by_name=signer.full_name or signer.username, attestations=[])
    audit.record(db, "competency.revoke", actor_id=signer.id, target=f"user:{trainee.id}", ip_address=ip_address,
                 requirement=original.requirement_id, signoff_id=original.id, revocation_id=row.id,
                 reason=reason.strip()[:500], hash=row.content_hash)
    return row


def history(db: Session, trainee: User, requirement_id: str | None = None) -> list[SignOff]:
    query = select(SignOff).where(SignOff.trainee_id == trainee.id)
    if requirement_id:
        query = query.where(SignOff.requirement_id == requirement_id)
    return list(db.scalars(query.order_by(SignOff.seq)))


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(db: Session, trainee: User | int) -> ChainCheck:
    """Recompute every hash of the trainee's chain: an edited, inserted or deleted row shows as a problem."""
    trainee_id = trainee if isinstance(trainee, int) else trainee.id
    rows = list(db.scalars(select(SignOff).where(SignOff.trainee_id == trainee_id).order_by(SignOff.seq)))
    problems = []
    previous = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            problems.append(f"row {row.id}: sequence {row.seq} where {expected_seq} was expected (a row is missing)")
        if row.prev_hash != previous:
            problems.append(f"row {row.id}: does not follow the previous row's hash")
        if content_hash(row) != row.content_hash:
            problems.append(f"row {row.id}: content does not match its hash (edited after signing)")
        previous = row.content_hash
    return ChainCheck(len(rows), tuple(problems))
