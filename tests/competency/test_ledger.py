"""The dose ledger sums across sessions, flags exposures above the DRL and a cumulative staff dose over the
configured investigation level; staff dose follows the inverse square law; reviews close events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from scanroom.accounts.service import ValidationProblem
from scanroom.competency import tasks
from scanroom.safety import dose_ledger, staff_dose
from scanroom.safety.limits import JURISDICTIONS, Limits, get_limits
from scanroom.store.models import MrScreeningDecision, ScanRecord, User
from tests.conftest import World
from tests.test_cli import run_cli

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # a later session


def scan(db: Session, user: User, at: datetime, *, modality: str = "xray", preset: str = "chest-pa",
         **dose: float) -> ScanRecord:
    record = ScanRecord(user_id=user.id, modality=modality, preset=preset, patient={"patient_id": "adult-male"},
                        protocol={}, dose=dose, quality={}, feedback=[], study_uid=f"2.25.{at.timestamp():.0f}",
                        series_uid=f"2.25.{id(dose)}", created_at=at)
    db.add(record)
    db.flush()
    return record


def test_ledger_sums_across_sessions_and_flags_above_drl(db: Session, world: World) -> None:
    t = world.trainee
    chest = [0.08, 0.09, 0.15]  # Gy·cm²; DRL 0.10: the third is above
    for i, dap in enumerate(chest):
        scan(db, t, DAY1 + timedelta(minutes=i), dap_gycm2=dap, drl_dap_gycm2=0.10, effective_dose_msv=0.15 * dap,
             di=0.2)
    scan(db, t, DAY2, dap_gycm2=2.0, drl_dap_gycm2=2.5, effective_dose_msv=0.36, di=3.4, preset="abdomen-ap")
    scan(db, t, DAY2 + timedelta(minutes=5), modality="ct", preset="head-routine", ctdivol_mgy=52.0, dlp_mgycm=800.0,
         drl_ctdivol_mgy=47.0, drl_dlp_mgycm=790.0, effective_dose_msv=1.68)
    scan(db, world.trainee2, DAY2, dap_gycm2=0.05, drl_dap_gycm2=0.10, effective_dose_msv=0.0075)
    db.commit()
    ledger = dose_ledger.build_ledger(db, [t, world.trainee2])
    mine = ledger.totals[t.id]
    assert mine.exposures == 5
    assert mine.dap_gycm2 == pytest.approx(sum(chest) + 2.0)
    assert mine.dlp_mgycm == pytest.approx(800.0)
    assert mine.effective_msv == pytest.approx(0.15 * sum(chest) + 0.36 + 1.68)
    assert mine.above_drl == 2  # the 0.15 Gy·cm² chest and the CT head over 47 mGy / 790 mGy·cm
    assert ledger.totals[world.trainee2.id].dap_gycm2 == pytest.approx(0.05)
    kinds = sorted(e.kind for e in ledger.events if e.trainee_id == t.id)
    assert kinds == ["above-drl", "above-drl", "di-excessive"]
    only_day2 = dose_ledger.build_ledger(db, [t], since=DAY2 - timedelta(hours=1))
    assert only_day2.totals[t.id].exposures == 2


def test_staff_dose_accumulates_and_crosses_the_investigation_level(db: Session, world: World) -> None:
    t = world.trainee
    task = tasks.get_task("pelvis-trauma-resus")
    assert task.staff_distance_m == 2.0
    answers = {c.id: c.answer for c in task.checks}
    per_exposure_ugy = staff_dose.SCATTER_FRACTION_PER_CM2 * 2.0 / 2.0**2 * 1e6  # DAP 2 Gy·cm² at 2 m
    for day in (DAY1, DAY2):  # two sessions, one attempt each, the second with a repeat
        attempt = tasks.start_attempt(db, t, task.id, answers)
        attempt.started_at = day
        for k in range(1 if day == DAY1 else 2):
            record = scan(db, t, day + timedelta(minutes=k), preset="pelvis-ap", dap_gycm2=2.0, drl_dap_gycm2=2.2,
                          effective_dose_msv=0.3, di=0.1)
            tasks.link_scan(db, attempt, record, "positioning" if k else "")
    db.commit()
    total_ugy = 3 * per_exposure_ugy
    below = dose_ledger.build_ledger(db, [t], investigation_level_msv=total_ugy / 1000 * 1.01)
    assert below.totals[t.id].staff_ugy_by_year == {2026: pytest.approx(total_ugy)}
    assert not [e for e in below.events if e.kind.startswith("staff")]
    over = dose_ledger.build_ledger(db, [t], investigation_level_msv=total_ugy / 1000 * 0.99)
    staff = [e for e in over.events if e.kind == "staff-investigation"]
    assert len(staff) == 1 and staff[0].key == f"staff-investigation:{t.id}:2026"
    totals = over.totals[t.id]
    assert (totals.attempt_exposures, totals.repeats, dict(totals.repeat_reasons)) == (3, 1, {"positioning": 1})
    assert totals.repeat_rate == pytest.approx(1 / 3)
    assert [e.kind for e in over.events].count("repeat") == 1
    assert over.repeat_reasons() == {"positioning": 1}
    assert dose_ledger.totals_as_rows(over)[0]["repeat_reasons"] == "positioning 1"


def test_staff_limit_and_jurisdictions() -> None:
    totals = {7: dose_ledger.TraineeTotals(7, staff_ugy_by_year={2026: 30_000.0})}  # 30 mSv in a year
    icrp, nrc = get_limits("icrp"), get_limits("us-nrc")
    assert (icrp.effective_msv, icrp.lens_msv, nrc.effective_msv, nrc.lens_msv) == (20.0, 20.0, 50.0, 150.0)
    assert {e.kind for e in dose_ledger.staff_events(totals, icrp, 1.0)} == {"staff-limit", "staff-investigation"}
    assert {e.kind for e in dose_ledger.staff_events(totals, nrc, 1.0)} == {"staff-investigation"}
    assert set(JURISDICTIONS) == {"icrp", "eu", "uk-irr17", "us-nrc"}
    with pytest.raises(ValueError, match="Unknown jurisdiction"):
        get_limits("mars")
    tiny = Limits("t", "test", 0.001, 1, 1, 1, 1, 1, "test")
    assert dose_ledger.staff_events(totals, tiny, 1e9)[0].kind == "staff-limit"


def test_staff_dose_model() -> None:
    one_m = staff_dose.scatter_air_kerma_ugy(1.0, 1.0)
    assert one_m == pytest.approx(2.5)  # 2.5e-6 /cm² × 1 Gy·cm² = 2.5 µGy at 1 m
    assert staff_dose.scatter_air_kerma_ugy(1.0, 2.0) == pytest.approx(one_m / 4)  # inverse square
    assert staff_dose.scatter_air_kerma_ugy(3.0, 1.0, apron_transmission=0.05) == pytest.approx(3 * one_m * 0.05)
    assert staff_dose.fluoroscopy_staff_dose_ugy(0.01, 60, 1.0) == pytest.approx(0.6 * one_m)  # hook: rate × time
    assert staff_dose.nm_staff_dose_ugy(740, 0.02, 1.0, 1800) == pytest.approx(740 * 0.02 * 0.5)
    assert staff_dose.for_scan("ct", {"dap_gycm2": 1.0}, 1.0) is None  # CT/MR staff are outside the room
    with pytest.raises(ValueError):
        staff_dose.scatter_air_kerma_ugy(1.0, 0.0)


def test_review_closes_an_event_and_ledger_check_exits_accordingly(db: Session, world: World,  # type: ignore[no-untyped-def]
                                                                   database_url: str, tmp_path) -> None:
    scan(db, world.trainee, DAY1, dap_gycm2=0.2, drl_dap_gycm2=0.1, effective_dose_msv=0.03, di=0.0)
    db.add(MrScreeningDecision(user_id=world.trainee.id, case_id="conditional-pacemaker", decision="proceed",
                               correct=False))
    db.commit()
    ledger = dose_ledger.build_ledger(db, [world.trainee])
    assert sorted(e.kind for e in ledger.open_events()) == ["above-drl", "mr-screening"]
    if database_url.startswith("sqlite"):
        env = {"SCANROOM_DATABASE_URL": database_url, "SCANROOM_VAR_DIR": str(tmp_path)}
        failing = run_cli("ledger", "check", env_extra=env, cwd=tmp_path)
        assert failing.returncode == 1 and "above-drl: trainee" in failing.stdout, failing.stderr
        shown = run_cli("ledger", "show", "--jurisdiction", "uk-irr17", env_extra=env, cwd=tmp_path)
        assert shown.returncode == 0 and "Ionising Radiations Regulations 2017" in shown.stdout
        bad = run_cli("ledger", "show", "--jurisdiction", "mars", env_extra=env, cwd=tmp_path)
        assert bad.returncode == 1 and bad.stderr.startswith("scanroom: error: Unknown jurisdiction")
    with pytest.raises(ValidationProblem):
        dose_ledger.review_event(db, ledger, ledger.open_events()[0].key, world.instructor, " ")
    for event in ledger.open_events():
        dose_ledger.review_event(db, ledger, event.key, world.instructor, "Discussed with the trainee")
    db.commit()
    assert dose_ledger.build_ledger(db, [world.trainee]).open_events() == []
    if database_url.startswith("sqlite"):
        assert run_cli("ledger", "check", env_extra=env, cwd=tmp_path).returncode == 0
