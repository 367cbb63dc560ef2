"""Lesion-marking (free-response) scoring of one reader's marks, and a reader's summary over many cases.

Scoring rules (Chakraborty, *Observer Performance Methods for Diagnostic Imaging*, CRC Press 2017, the FROC
paradigm chapters; the data conventions of RJafroc and the JAFROC Excel format, where each lesion carries
at most one lesion-localisation rating):

1. **Proximity criterion.** A mark *localises* a lesion when it lies within the lesion's acceptance region:
   in-plane distance from the lesion centre ≤ ``radius`` pixels, on a frame within ``frame ± frame_extent``.
2. A mark inside two (or more) acceptance regions goes to the **nearer** lesion (smallest in-plane distance;
   then smallest frame distance; then the lesion listed first).
3. Each lesion is credited **at most once**, by the **highest-rated** mark it received (ties: the nearer mark,
   then the first made). That mark is a lesion localisation (LL, a *hit*).
4. Every other mark — outside all regions, or a lower-rated second mark on a lesion already credited — is a
   **non-lesion localisation** (NL, a false positive). Lesions with no LL are *missed*.
5. The case's inferred ROC rating is the highest rating of any mark on it (Chakraborty 2017, "highest
   rating" inferred ROC data; RJafroc ``DfFroc2Roc``); an unmarked case rates below every mark.

A mark may also come from an outline: :func:`mark_from_outline` places it at the outline's centroid.

:func:`summarise` gives sensitivity/specificity at a threshold, the lesion-localisation fraction, the
empirical ROC (points, Wilcoxon AUC with a DeLong 95% CI), the FROC operating points (NLF, LLF), and the
AFROC and wAFROC figures of merit (RJafroc ``UtilFigureOfMerit``: highest NL rating on each normal case
against each lesion's LL rating, −∞ when unmarked).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanroom.reading.observer.fom import structural_components

__all__ = ["Lesion", "Mark", "CaseOutcome", "ReaderSummary", "localise", "summarise", "mark_from_outline",
           "lesion_weights", "wafroc_fom", "afroc_fom"]


@dataclass(frozen=True)
class Lesion:
    """Truth for one lesion, in the image coordinates of the displayed series (pixel column x, row y)."""

    lesion_id: str
    x: float
    y: float
    radius: float  # acceptance radius in pixels
    frame: int = 0  # 0-based frame (slice) of the centre
    frame_extent: int = 0  # marks on frames within ±frame_extent count too
    weight: float | None = None  # wAFROC weight; None → equal weights within the case

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x) and math.isfinite(self.y)):
            raise ValueError(f"lesion {self.lesion_id}: centre must be finite")
        if not (math.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"lesion {self.lesion_id}: acceptance radius must be a positive number of pixels")
        if self.frame < 0 or self.frame_extent < 0:
            raise ValueError(f"lesion {self.lesion_id}: frame and frame extent must not be negative")
        if self.weight is not None and not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"lesion {self.lesion_id}: weight must be a non-negative number")

    def distance(self, mark: Mark) -> tuple[float, int]:
        """In-plane distance (pixels) and frame distance from the lesion centre to a mark."""
        return math.hypot(mark.x - self.x, mark.y - self.y), abs(mark.frame - self.frame)

    def contains(self, mark: Mark) -> bool:
        """Whether the mark lies in this lesion's acceptance region (proximity criterion)."""
        d, df = self.distance(mark)
        return d <= self.radius and df <= self.frame_extent


@dataclass(frozen=True)
class Mark:
    """A reader's mark: position (pixel column x, row y) on frame ``frame``, with a confidence rating."""

    x: float
    y: float
    rating: float
    frame: int = 0
    mark_id: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x) and math.isfinite(self.y) and math.isfinite(self.rating)):
            raise ValueError("a mark needs a finite position and rating")
        if self.frame < 0:
            raise ValueError("a mark's frame must not be negative")


def mark_from_outline(points: Sequence[tuple[float, float]], rating: float, frame: int = 0,
                      mark_id: str | None = None) -> Mark:
    """A mark at the centroid of an outline (polygon vertices in order; shoelace centroid, the vertex mean when
    the outline encloses no area — a line or a single point)."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError("an outline needs at least one (x, y) point")
    if not np.all(np.isfinite(pts)):
        raise ValueError("outline points must be finite")
    x, y = pts[:, 0], pts[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    area = cross.sum() / 2
    if pts.shape[0] < 3 or abs(area) < 1e-9 * max(1.0, float(np.ptp(x) * np.ptp(y))):
        cx, cy = float(x.mean()), float(y.mean())
    else:
        cx = float(((x + xn) * cross).sum() / (6 * area))
        cy = float(((y + yn) * cross).sum() / (6 * area))
    return Mark(x=cx, y=cy, rating=rating, frame=frame, mark_id=mark_id)


@dataclass
class CaseOutcome:
    """One reader's scored case: hits (mark, lesion), false positives (NL marks), missed lesions."""

    case_id: str
    abnormal: bool
    hits: list[tuple[Mark, Lesion]]
    false_positives: list[Mark]
    missed: list[Lesion]
    case_rating: float  # highest rating of any mark, 0 when unmarked (inferred ROC rating)
    reading_seconds: float | None = None
    marked: bool = True  # False when the reader left no mark (then the ROC rating is −∞, below every mark)

    @property
    def lesions(self) -> list[Lesion]:
        return [les for _, les in self.hits] + list(self.missed)

    @property
    def roc_rating(self) -> float:
        """Inferred ROC rating for ranking: the highest mark, −∞ when unmarked (so it ranks below any mark)."""
        return self.case_rating if self.marked else -math.inf

    def nl_max(self) -> float:
        """Highest non-lesion-localisation rating, −∞ without one."""
        return max((m.rating for m in self.false_positives), default=-math.inf)


def localise(case_id: str, lesions: Sequence[Lesion], marks: Sequence[Mark]) -> CaseOutcome:
    """Score one reader's marks on one case against its lesions (rules 1–5 in the module docstring)."""
    ids = [les.lesion_id for les in lesions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"case {case_id}: lesion ids must be unique")
    # Rule 2: each mark inside at least one region goes to the nearest lesion.
    claims: dict[int, list[tuple[int, float, int]]] = {}  # lesion index -> [(mark index, distance, frame dist)]
    unclaimed: list[int] = []
    for m_idx, mark in enumerate(marks):
        inside = [(les.distance(mark), l_idx) for l_idx, les in enumerate(lesions) if les.contains(mark)]
        if not inside:
            unclaimed.append(m_idx)
            continue
        (d, df), l_idx = min(inside)
        claims.setdefault(l_idx, []).append((m_idx, d, df))
    # Rule 3: the highest-rated claimant credits the lesion; the rest are NLs (rule 4).
    hits: list[tuple[Mark, Lesion]] = []
    missed: list[Lesion] = []
    nl_idx = set(unclaimed)
    for l_idx, les in enumerate(lesions):
        got = claims.get(l_idx)
        if not got:
            missed.append(les)
            continue
        best = min(got, key=lambda c: (-marks[c[0]].rating, c[1], c[2], c[0]))
        hits.append((marks[best[0]], les))
        nl_idx.update(c[0] for c in got if c[0] != best[0])
    false_positives = [marks[i] for i in sorted(nl_idx)]
    rating = max((m.rating for m in marks), default=0.0)
    return CaseOutcome(case_id=case_id, abnormal=bool(lesions), hits=hits, false_positives=false_positives,
                       missed=missed, case_rating=float(rating), marked=bool(marks))


# ----- figures of merit over many cases ------------------------------------------------------------------


def lesion_weights(lesions: Sequence[Lesion]) -> list[float]:
    """wAFROC weights of one case's lesions, summing to 1: equal (1/n) when none is given, else the given
    weights normalised (RJafroc convention: weights are relative clinical importances within a case)."""
    if not lesions:
        return []
    given = [les.weight for les in lesions]
    if all(w is None for w in given):
        return [1.0 / len(lesions)] * len(lesions)
    if any(w is None for w in given):
        raise ValueError("give a weight to every lesion of a case or to none")
    total = float(sum(w for w in given if w is not None))
    if total <= 0:
        return [1.0 / len(lesions)] * len(lesions)
    return [float(w) / total for w in given if w is not None]


def _afroc_inputs(outcomes: Sequence[CaseOutcome], weighted: bool
                  ) -> tuple[list[float], list[float], list[float], list[int], int]:
    normal_nl = [o.nl_max() for o in outcomes if not o.abnormal]
    ll: list[float] = []
    w: list[float] = []
    case_of: list[int] = []
    abnormal = [o for o in outcomes if o.abnormal]
    for j, o in enumerate(abnormal):
        rating_of = {les.lesion_id: m.rating for m, les in o.hits}
        lesions = sorted(o.lesions, key=lambda les: les.lesion_id)
        weights = lesion_weights(lesions) if weighted else [1.0] * len(lesions)
        for les, wt in zip(lesions, weights, strict=True):
            ll.append(rating_of.get(les.lesion_id, -math.inf))
            w.append(wt)
            case_of.append(j)
    return normal_nl, ll, w, case_of, len(abnormal)


def wafroc_fom(outcomes: Sequence[CaseOutcome]) -> float | None:
    """wAFROC figure of merit (RJafroc): (1/(K1·K2)) Σ_normal Σ_abnormal Σ_lesions W·ψ(max NL on the normal
    case, LL rating), ψ(x, y) = 1 if y > x, ½ if equal; unmarked = −∞. None without normal or abnormal cases."""
    nl, ll, w, case_of, n1 = _afroc_inputs(outcomes, weighted=True)
    if not nl or not n1:
        return None
    return structural_components(nl, ll, weights=w, y_case=case_of, n_abnormal=n1).theta


def afroc_fom(outcomes: Sequence[CaseOutcome]) -> float | None:
    """AFROC figure of merit (RJafroc): (1/(K1·L)) Σ_normal Σ_all lesions ψ(max NL on the normal case, LL),
    every lesion counting equally (L = total lesions). None without normal or abnormal cases."""
    nl, ll, _, _, n1 = _afroc_inputs(outcomes, weighted=False)
    if not nl or not n1:
        return None
    return structural_components(nl, ll, y_case=list(range(len(ll))), n_abnormal=len(ll)).theta


@dataclass
class ReaderSummary:
    """One reader's performance over a set of scored cases."""

    n_cases: int
    n_normal: int
    n_abnormal: int
    n_lesions: int
    threshold: float | None  # None: a case is positive when it has any mark
    sensitivity: float | None
    specificity: float | None
    lesion_localisation_fraction: float | None  # LL (at the threshold) / lesions
    nl_per_case: float | None  # NL marks (at the threshold) per case
    roc_auc: float | None
    roc_auc_se: float | None
    roc_auc_ci: tuple[float, float] | None  # 95%, DeLong variance, clipped to [0, 1]
    roc_points: list[tuple[float, float]]  # (FPF, TPF) from (0, 0) to (1, 1)
    froc_points: list[tuple[float, float]]  # (NLF, LLF), strictest threshold first
    froc_thresholds: list[float]  # the rating threshold of each FROC point
    afroc_fom: float | None
    wafroc_fom: float | None
    mean_reading_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (lists instead of tuples; no NaN or infinity)."""
        def clean(v: Any) -> Any:
            if isinstance(v, float):
                return v if math.isfinite(v) else None
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            return v

        return {k: clean(v) for k, v in self.__dict__.items()}


def _roc_points(normal: np.ndarray, abnormal: np.ndarray) -> list[tuple[float, float]]:
    thresholds = np.unique(np.concatenate((normal, abnormal)))[::-1]
    points = [(0.0, 0.0)]
    for th in thresholds:
        points.append((float(np.mean(normal >= th)) if normal.size else 0.0,
                       float(np.mean(abnormal >= th)) if abnormal.size else 0.0))
    if points[-1] != (1.0, 1.0):
        points.append((1.0, 1.0))
    return points


def summarise(outcomes: Sequence[CaseOutcome], threshold: float | None = None) -> ReaderSummary:
    """Summarise one reader's scored cases (see the module docstring for the definitions and sources).

    A case is *positive* when it has a mark rated ≥ ``threshold`` (default: any mark). Sensitivity is the
    fraction of abnormal cases that are positive, specificity the fraction of normal cases that are not;
    LLF = lesions localised by a mark rated ≥ threshold / all lesions; NLF = NL marks rated ≥ threshold per
    case. The FROC points sweep the threshold down through every distinct mark rating.
    """
    if not outcomes:
        raise ValueError("no scored cases to summarise")
    normal = [o for o in outcomes if not o.abnormal]
    abnormal = [o for o in outcomes if o.abnormal]
    n_lesions = sum(len(o.hits) + len(o.missed) for o in outcomes)

    def positive(o: CaseOutcome) -> bool:
        if not o.marked:
            return False
        return threshold is None or o.case_rating >= threshold

    sens = sum(positive(o) for o in abnormal) / len(abnormal) if abnormal else None
    spec = sum(not positive(o) for o in normal) / len(normal) if normal else None
    ll_ratings = np.asarray([m.rating for o in outcomes for m, _ in o.hits], dtype=np.float64)
    nl_ratings = np.asarray([m.rating for o in outcomes for m in o.false_positives], dtype=np.float64)
    at = -np.inf if threshold is None else threshold
    llf = float(np.sum(ll_ratings >= at)) / n_lesions if n_lesions else None
    nlf = float(np.sum(nl_ratings >= at)) / len(outcomes)
    # ROC from the inferred case ratings (unmarked = −∞).
    x = np.asarray([o.roc_rating for o in normal], dtype=np.float64)
    y = np.asarray([o.roc_rating for o in abnormal], dtype=np.float64)
    auc = se = None
    ci: tuple[float, float] | None = None
    if x.size and y.size:
        s = structural_components(x, y)
        auc = s.theta
        var = s.variance
        if math.isfinite(var):
            se = math.sqrt(max(var, 0.0))
            ci = (max(0.0, auc - 1.959963984540054 * se), min(1.0, auc + 1.959963984540054 * se))
    roc = _roc_points(x, y) if x.size and y.size else []
    # FROC: one point per distinct mark rating, strictest first.
    levels = np.unique(np.concatenate((ll_ratings, nl_ratings)))[::-1]
    froc = [(float(np.sum(nl_ratings >= th)) / len(outcomes),
             float(np.sum(ll_ratings >= th)) / n_lesions if n_lesions else 0.0) for th in levels]
    times = [o.reading_seconds for o in outcomes if o.reading_seconds is not None]
    return ReaderSummary(
        n_cases=len(outcomes), n_normal=len(normal), n_abnormal=len(abnormal), n_lesions=n_lesions,
        threshold=threshold, sensitivity=sens, specificity=spec, lesion_localisation_fraction=llf,
        nl_per_case=nlf, roc_auc=auc, roc_auc_se=se, roc_auc_ci=ci, roc_points=roc, froc_points=froc,
        froc_thresholds=[float(v) for v in levels], afroc_fom=afroc_fom(outcomes), wafroc_fom=wafroc_fom(outcomes),
        mean_reading_seconds=float(np.mean(times)) if times else None)
