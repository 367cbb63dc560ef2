"""Fit and measure the AI second reader on synthetic case banks (reproduces ``data/ai_reader.json``).

Recipe (all of it recorded in the JSON):

1. Generate a training bank, a validation bank and a held-out test bank with :func:`synthetic.plan_set` /
   :func:`synthetic.generate_set` (different seeds, so different patients' builds, exposures and lesions).
   Design choices were compared on the validation bank; the test bank was used once, for the stated figures.
2. Lung-field atlas: the mean of the training cases' projected lung fields on a 48 × 48 grid in normalised
   image coordinates; the search region is where it is ≥ 0.02.
3. Candidates and features on every training image (:func:`ai_reader.propose`); a candidate is positive when
   it lies within a finding's acceptance radius (the lesion-localisation rule of ``reading.scoring``).
4. Logistic regression on the standardised features, by iteratively reweighted least squares with an L2
   penalty (Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*, 2nd ed., §4.4.1).
5. Operating point: the lowest confidence at which the training images get at most 0.5 false marks each.
6. Held-out figures with ``reading.scoring`` (``localise`` + ``summarise``): lesion sensitivity and false marks
   per image at the operating point, case-level ROC AUC (highest confidence per case), wAFROC, and the AUC
   for each measured difficulty (its abnormal cases against all normal cases).

``python -m scanroom.reading.ai_training`` runs it with the defaults: 288 cases to generate (about 15 minutes
on one core; it uses every core), then a few minutes of fitting and scoring.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scanroom.reading import ai_reader, synthetic
from scanroom.reading.scoring import Lesion, Mark, localise, summarise

__all__ = ["CaseRecord", "bank", "fit_atlas", "fit_logistic", "fit_model", "evaluate", "train"]

DEFAULTS = {"n_train": 144, "train_seed": 1000, "n_validation": 72, "validation_seed": 2000, "n_test": 72,
            "test_seed": 3000, "n_second_test": 144, "second_test_seed": 4000, "l2": 3.0,
            "atlas_grid": 48, "atlas_min": 0.02, "max_fp_per_image": 0.5}


@dataclass
class CaseRecord:
    """What training needs from a synthetic case (image, truth, lung field), small enough to keep many."""

    key: str
    image: np.ndarray  # 2-D stored values
    pixel_spacing_mm: tuple[float, float]
    findings: list[synthetic.Finding]
    lung_field: np.ndarray | None
    difficulty: str
    abnormal: bool
    extra: dict[str, Any] = field(default_factory=dict)


def record_of(case: synthetic.SyntheticCase) -> CaseRecord:
    row_mm, col_mm = case.acquisition.pixel_spacing_mm
    return CaseRecord(key=case.spec.case_key, image=case.acquisition.images[0],
                      pixel_spacing_mm=(float(row_mm), float(col_mm)), findings=list(case.findings),
                      lung_field=case.lung_field if case.lung_field is not None else synthetic.lung_field(
                          case.acquisition), difficulty=case.difficulty, abnormal=case.abnormal)


def bank(n_cases: int, seed: int, *, progress: Callable[[int, int, str], None] | None = None,
         workers: int = 1) -> list[CaseRecord]:
    """Generate a synthetic chest bank (balanced, mixed difficulty) as training records."""
    specs = synthetic.plan_set(n_cases, seed=seed)
    return [record_of(case) for case in synthetic.generate_set(specs, progress=progress, workers=workers)]


def fit_atlas(records: Iterable[CaseRecord], grid: int = 48) -> np.ndarray:
    """Mean projected lung field on a grid × grid lattice of normalised image coordinates."""
    total = np.zeros((grid, grid))
    n = 0
    for rec in records:
        if rec.lung_field is None:
            continue
        m = rec.lung_field.astype(np.float64)
        rows, cols = m.shape
        ri = (np.arange(rows) * grid // rows)
        ci = (np.arange(cols) * grid // cols)
        acc = np.zeros((grid, grid))
        np.add.at(acc, (ri[:, None], ci[None, :]), m)
        counts = np.zeros((grid, grid))
        np.add.at(counts, (ri[:, None], ci[None, :]), 1.0)
        total += acc / np.maximum(counts, 1)
        n += 1
    if not n:
        raise ValueError("no lung fields to build the atlas from")
    return total / n


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None,
                 iterations: int = 50) -> np.ndarray:
    """L2-penalised logistic regression by IRLS (Newton-Raphson); the intercept (column 0) is not penalised."""
    n, p = x.shape
    w = np.zeros(p)
    sw = np.ones(n) if sample_weight is None else sample_weight
    penalty = np.full(p, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        eta = np.clip(x @ w, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (sw * (y - mu)) - penalty * w
        hess = (x * (sw * mu * (1 - mu))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(p)
        step = np.linalg.solve(hess, grad)
        w += step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def _labels(rec: CaseRecord, proposals: Sequence[ai_reader.Proposal]) -> np.ndarray:
    lab = np.zeros(len(proposals))
    for i, p in enumerate(proposals):
        if any(math.hypot(p.x - f.x, p.y - f.y) <= f.radius for f in rec.findings):
            lab[i] = 1.0
    return lab


def fit_model(train_records: Sequence[CaseRecord], *, l2: float = DEFAULTS["l2"],
              atlas_grid: int = int(DEFAULTS["atlas_grid"]), atlas_min: float = DEFAULTS["atlas_min"],
              max_fp_per_image: float = DEFAULTS["max_fp_per_image"]) -> dict[str, Any]:
    """Atlas, classifier and operating point from training records (steps 2-5 of the module docstring)."""
    atlas = fit_atlas(train_records, atlas_grid)
    model: dict[str, Any] = {"atlas": {"grid": np.round(atlas * 1000).astype(int).tolist(), "scale": 1000,
                                       "min": atlas_min}}
    feats, labels, owner = [], [], []
    for index, rec in enumerate(train_records):
        props = ai_reader.propose(rec.image, rec.pixel_spacing_mm, model)
        if not props:
            continue
        feats.append(np.stack([p.features for p in props]))
        labels.append(_labels(rec, props))
        owner.append(np.full(len(props), index))
    f = np.concatenate(feats)
    y = np.concatenate(labels)
    mean, std = f.mean(axis=0), f.std(axis=0)
    std[std < 1e-9] = 1.0
    x = ai_reader.design(f, mean=mean, std=std)
    w = fit_logistic(x, y, l2=l2)
    model["classifier"] = {"features": list(ai_reader.FEATURES), "expansion": "intercept, standardised z",
                           "mean": mean.round(6).tolist(), "std": std.round(6).tolist(),
                           "weights": w.round(6).tolist(), "n_candidates": int(len(y)), "n_positive": int(y.sum())}
    model["operating_point"] = _operating_point(model, train_records, max_fp_per_image)
    return model


def _outcomes(model: dict[str, Any], records: Sequence[CaseRecord]) -> list[Any]:
    outcomes = []
    for rec in records:
        marks = ai_reader.detect(rec.image, rec.pixel_spacing_mm, model=model)
        lesions = [Lesion(f.finding_id, f.x, f.y, f.radius) for f in rec.findings]
        outcomes.append(localise(rec.key, lesions, [Mark(c.x, c.y, c.confidence) for c in marks]))
    return outcomes


def _operating_point(model: dict[str, Any], records: Sequence[CaseRecord], max_fp: float) -> float:
    outcomes = _outcomes(model, records)
    nl = np.sort([m.rating for o in outcomes for m in o.false_positives])[::-1]
    allowed = int(math.floor(max_fp * len(records)))
    if len(nl) <= allowed:
        return 0.05
    return float(round(min(max(nl[allowed] + 1e-4, 0.05), 0.99), 4))


def evaluate(model: dict[str, Any], records: Sequence[CaseRecord]) -> dict[str, Any]:
    """Held-out performance with the lesion-localisation rules of ``reading.scoring``."""
    t0 = time.perf_counter()
    outcomes = _outcomes(model, records)
    seconds = (time.perf_counter() - t0) / max(len(records), 1)
    op = float(model["operating_point"])
    summary = summarise(outcomes, threshold=op)
    result: dict[str, Any] = {
        "n_cases": summary.n_cases, "n_normal": summary.n_normal, "n_abnormal": summary.n_abnormal,
        "n_lesions": summary.n_lesions, "operating_point": op,
        "lesion_sensitivity": _r(summary.lesion_localisation_fraction), "fp_per_image": _r(summary.nl_per_case),
        "case_sensitivity": _r(summary.sensitivity), "case_specificity": _r(summary.specificity),
        "roc_auc": _r(summary.roc_auc), "roc_auc_ci95": [_r(v) for v in summary.roc_auc_ci or ()],
        "wafroc_fom": _r(summary.wafroc_fom), "seconds_per_image": round(seconds, 3), "by_difficulty": {},
    }
    normals = [o for o, rec in zip(outcomes, records, strict=True) if not rec.abnormal]
    for level in synthetic.DIFFICULTIES:
        chosen = [o for o, rec in zip(outcomes, records, strict=True) if rec.abnormal and rec.difficulty == level]
        if chosen and normals:
            s = summarise(normals + chosen, threshold=op)
            result["by_difficulty"][level] = {"n_abnormal": len(chosen), "roc_auc": _r(s.roc_auc),
                                              "lesion_sensitivity": _r(s.lesion_localisation_fraction),
                                              "wafroc_fom": _r(s.wafroc_fom)}
    return result


def _r(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 3)


def train(*, n_train: int = int(DEFAULTS["n_train"]), train_seed: int = int(DEFAULTS["train_seed"]),
          n_validation: int = int(DEFAULTS["n_validation"]), validation_seed: int = int(DEFAULTS["validation_seed"]),
          n_test: int = int(DEFAULTS["n_test"]), test_seed: int = int(DEFAULTS["test_seed"]),
          out: Path | str | None = ai_reader.MODEL_PATH,
          progress: Callable[[int, int, str], None] | None = None,
          train_records: Sequence[CaseRecord] | None = None,
          validation_records: Sequence[CaseRecord] | None = None,
          test_records: Sequence[CaseRecord] | None = None,
          n_second_test: int = int(DEFAULTS["n_second_test"]),
          second_test_seed: int = int(DEFAULTS["second_test_seed"]),
          second_test_records: Sequence[CaseRecord] | None = None, workers: int = 1) -> dict[str, Any]:
    """Generate the banks, fit, measure and write the model JSON (``out``; None = don't).

    Three banks with different seeds: training (fit), validation (where the design choices — features,
    candidates per image, penalty — were compared) and held-out test (untouched until the design was frozen;
    its figures are the ones the model card states), and a second, larger test bank generated after the model
    was frozen (``n_second_test`` = 0 skips it)."""
    t0 = time.perf_counter()
    if train_records is None:
        train_records = bank(n_train, train_seed, progress=progress, workers=workers)
    if validation_records is None:
        validation_records = bank(n_validation, validation_seed, progress=progress, workers=workers)
    if test_records is None:
        test_records = bank(n_test, test_seed, progress=progress, workers=workers)
    model = fit_model(train_records)
    model["performance"] = {"held_out": evaluate(model, test_records),
                            "validation": evaluate(model, validation_records),
                            "training": evaluate(model, train_records)}
    if second_test_records is None and n_second_test > 0:
        second_test_records = bank(n_second_test, second_test_seed, progress=progress, workers=workers)
    if second_test_records:
        model["performance"]["second_test"] = evaluate(model, second_test_records)
    model["recipe"] = {
        "generator": "scanroom.reading.synthetic.plan_set + generate_set (chest-pa, mixed difficulty, "
                     "abnormal_fraction 0.5, up to 2 lesions)",
        "train": {"n_cases": len(train_records), "seed": train_seed},
        "validation": {"n_cases": len(validation_records), "seed": validation_seed,
                       "use": "design choices were compared here (optimistic)"},
        "test": {"n_cases": len(test_records), "seed": test_seed, "use": "untouched until the design was frozen"},
        "second_test": {"n_cases": len(second_test_records or ()), "seed": second_test_seed,
                        "use": "generated after the model was frozen"},
        "classifier": f"logistic regression on standardised features, IRLS, L2 = {DEFAULTS['l2']:g}",
        "operating_point": f"lowest confidence with <= {DEFAULTS['max_fp_per_image']} false marks per training "
                           "image",
        "reproduce": "python -m scanroom.reading.ai_training",
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
        ai_reader._load.cache_clear()
    return model


if __name__ == "__main__":  # pragma: no cover - a command, exercised by hand
    def _show(i: int, n: int, key: str) -> None:
        print(f"{i}/{n} {key}", flush=True)

    import os

    result = train(progress=_show, workers=os.cpu_count() or 1)
    print(json.dumps(result["performance"]["held_out"], indent=2))
