"""Sign-offs: cannot be edited after the fact, revocation keeps the history, a trainee cannot sign off
themselves or see another trainee's record; every sign-off is in the audit log and the hash chain holds."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem
from scanroom.competency import records, signoff
from scanroom.store.models import AuditEvent
from scanroom.store.models_competency import AppendOnlyError, SignOff
from tests.conftest import World, csrf_of

ARRT = ["independently", "consistently", "effectively"]  # what the ARRT signer affirms for an imaging procedure


def test_a_signoff_cannot_be_edited_after_the_fact(db: Session, world: World) -> None:
    row = signoff.sign_off(db, trainee=world.trainee, requirement_id="chest-routine", signer=world.instructor,
                           comment="Observed, independent", attestations=ARRT)
    db.commit()
    row.comment = "Changed later"
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()
    with pytest.raises(Exception, match="append-only"):  # the database refuses too (trigger, migration 0006)
        db.execute(update(SignOff).where(SignOff.id == row.id).values(comment="Changed later"))
        db.commit()
    db.rollback()
    db.expire_all()
    assert db.get(SignOff, row.id).comment == "Observed, independent"  # type: ignore[union-attr]
    assert signoff.verify_chain(db, world.trainee).intact


def test_revocation_keeps_the_history(db: Session, world: World) -> None:
    first = signoff.sign_off(db, trainee=world.trainee, requirement_id="hand", signer=world.instructor,
                             attestations=ARRT)
    assert "hand" in records.competency_record(db, world.trainee).met_ids
    with pytest.raises(ValidationProblem):
        signoff.revoke(db, signoff_id=first.id, signer=world.instructor, reason="  ")
    revocation = signoff.revoke(db, signoff_id=first.id, signer=world.instructor, reason="Wrong patient")
    again = signoff.sign_off(db, trainee=world.trainee, requirement_id="hand", signer=world.instructor,
                             comment="Re-assessed", attestations=ARRT)
    db.commit()
    history = signoff.history(db, world.trainee, "hand")
    assert [(h.action, h.seq) for h in history] == [("signoff", 1), ("revoke", 2), ("signoff", 3)]
    assert revocation.revokes_id == first.id and revocation.comment == "Wrong patient"
    item = next(i for i in records.competency_record(db, world.trainee).items if i.requirement.id == "hand")
    assert item.status == "met" and [s.id for s in item.signoffs] == [again.id]
    assert [s.id for s in item.revoked] == [first.id]
    with pytest.raises(ValidationProblem):
        signoff.revoke(db, signoff_id=first.id, signer=world.instructor, reason="twice")
    actions = [a for a, in db.execute(select(AuditEvent.action).where(AuditEvent.action.like("competency.%"))
                                      .order_by(AuditEvent.id))]
    assert actions == ["competency.signoff", "competency.revoke", "competency.signoff"]
    assert signoff.verify_chain(db, world.trainee).intact


def test_tampering_with_the_chain_is_detected(db: Session, world: World) -> None:
    for requirement in ("hand", "wrist", "knee"):
        signoff.sign_off(db, trainee=world.trainee, requirement_id=requirement, signer=world.instructor,
                         attestations=ARRT)
    db.commit()
    db.execute(delete(SignOff).where(SignOff.requirement_id == "wrist"))  # a row quietly removed
    db.commit()
    check = signoff.verify_chain(db, world.trainee)
    assert not check.intact and any("missing" in p for p in check.problems)
    if db.get_bind().dialect.name == "sqlite":  # bypass the trigger to simulate an edit behind the app's back
        db.execute(text("DROP TRIGGER competency_signoffs_no_update"))
        db.execute(text("UPDATE competency_signoffs SET comment = 'forged' WHERE requirement_id = 'knee'"))
        db.commit()
        db.expire_all()
        assert any("edited after signing" in p for p in signoff.verify_chain(db, world.trainee).problems)
        db.execute(text("CREATE TRIGGER competency_signoffs_no_update BEFORE UPDATE ON competency_signoffs "
                        "BEGIN SELECT RAISE(ABORT, 'competency sign-offs are append-only'); END"))
        db.commit()


def test_a_trainee_cannot_sign_off_or_see_another_record(db: Session, world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        signoff.sign_off(db, trainee=world.trainee, requirement_id="hand", signer=world.trainee)
    with pytest.raises(NotAllowed):
        signoff.sign_off(db, trainee=world.trainee, requirement_id="hand", signer=world.trainee2)
    with pytest.raises(LookupError):  # an instructor of another cohort does not see this trainee
        signoff.sign_off(db, trainee=world.trainee, requirement_id="hand", signer=world.other_instructor)
    trainee = client_for("trainee")
    response = trainee.post(f"/competency/trainees/{world.trainee.id}/signoff",
                            data={"requirement_id": "hand", "csrf_token": csrf_of(trainee)})
    assert response.status_code == 403
    assert trainee.get(f"/competency/trainees/{world.trainee.id}").status_code == 200
    for path in ("", "/record.csv", "/record.pdf"):
        assert trainee.get(f"/competency/trainees/{world.trainee2.id}{path}").status_code == 404
    assert trainee.get(f"/api/v1/competency/trainees/{world.trainee2.id}/record").status_code == 404
    own = trainee.get(f"/api/v1/competency/trainees/{world.trainee.id}/record").json()
    assert (own["framework"], own["total"], own["met"]) == ("arrt-radiography-2022", 80, 0)
    assert {r["id"] for r in own["rules"]} >= {"electives-head", "electives-fluoroscopy"}
    assert client_for("instructor").get(f"/competency/trainees/{world.outsider.id}").status_code == 404
    assert db.scalar(select(SignOff.id)) is None


def test_instructor_signs_off_through_the_page_and_errors_show_beside_the_field(db: Session, world: World,  # type: ignore[no-untyped-def]
                                                                               client_for) -> None:
    instructor = client_for("instructor")
    token = csrf_of(instructor)
    page = instructor.get(f"/competency/trainees/{world.trainee.id}")
    assert page.status_code == 200 and 'aria-label="Sign off Chest routine"' in page.text
    unattested = instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                                 data={"requirement_id": "chest-routine", "attest": ["independently"],
                                       "csrf_token": token})
    assert unattested.status_code == 422 and "Performed it consistently" in unattested.text
    done = instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                           data={"requirement_id": "chest-routine", "comment": "Well done", "attest": ARRT,
                                 "csrf_token": token})
    assert done.status_code == 303
    twice = instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                            data={"requirement_id": "chest-routine", "attest": ARRT, "csrf_token": token})
    assert twice.status_code == 422 and "Already signed off" in twice.text and 'role="alert"' in twice.text
    row = db.scalar(select(SignOff).order_by(SignOff.id))
    assert row is not None and row.signed_by_name == "Instructor" and row.comment == "Well done"
    assert row.attestations == ARRT and signoff.verify_chain(db, world.trainee).intact
    # patient-care activities (no attestations asked) sign off without them
    assert instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                           data={"requirement_id": "gpc-cpr", "csrf_token": token}).status_code == 303
    empty = instructor.post(f"/competency/signoffs/{row.id}/revoke", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422 and "Say why" in empty.text
    assert instructor.post(f"/competency/signoffs/{row.id}/revoke",
                           data={"reason": "Repeat assessment", "csrf_token": token}).status_code == 303
    record = client_for("trainee").get(f"/competency/trainees/{world.trainee.id}")
    assert "Repeat assessment" in record.text and "revoke chest-routine" in record.text
