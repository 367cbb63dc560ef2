"""Item statistics from responses: difficulty, corrected point-biserial, distractors, IRT calibration.

Classical test theory (Crocker & Algina 1986, ch. 14): difficulty p = proportion correct; discrimination =
the point-biserial correlation of the item score with the total score on the *other* items of the same
sitting (corrected, so the item does not correlate with itself); distractor analysis = how often each
option was chosen overall and by the upper and lower 27% of examinees by rest score (Kelley 1939).
IRT: once an item has ``MIN_IRT_RESPONSES`` exam responses, :func:`calibrate_bank` fits 2PL by MML-EM
(``irt.calibrate``) on the sparse exam response matrix and stores the parameters adaptive tests use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.learning.irt import calibrate
from scanroom.learning.items import Item, ItemProblem, chosen_options
from scanroom.store.models_learning import ClassroomItemParams, ClassroomResponse

__all__ = ["ItemStats", "item_analysis", "calibrate_bank", "MIN_IRT_RESPONSES", "point_biserial"]

MIN_IRT_RESPONSES = 200


@dataclass
class ItemStats:
    item_id: str
    n: int = 0
    p: float | None = None
    discrimination: float | None = None  # corrected point-biserial (exam sittings only)
    options: list[dict[str, object]] = field(default_factory=list)  # text, chosen, upper, lower, keyed
    irt: dict[str, float] | None = None

    @property
    def flag(self) -> str:
        """What an item reviewer should look at (Ebel & Frisbie 1991 guide: r < 0.2 revise)."""
        if self.n < 10:
            return "too few responses"
        if self.discrimination is not None and self.discrimination < 0.2:
            return "low discrimination: review the key and wording"
        if self.p is not None and (self.p < 0.2 or self.p > 0.95):
            return "very hard" if self.p < 0.2 else "very easy"
        return ""


def stat_key(item_id: str) -> str:
    """Generated items are analysed per template (``gen:<template>``): each seed is seen once or twice."""
    return ":".join(item_id.split(":")[:2]) if item_id.startswith("gen:") else item_id


def point_biserial(item_scores: np.ndarray, rest_scores: np.ndarray) -> float | None:
    """Pearson correlation of a 0/1 item score with the rest score (None when either has no variance)."""
    if item_scores.size < 3 or item_scores.std() == 0 or rest_scores.std() == 0:
        return None
    return float(np.corrcoef(item_scores, rest_scores)[0, 1])


def item_analysis(db: Session, items: dict[str, Item]) -> list[ItemStats]:
    """Statistics of every item that has responses (practice, exam and review for p; exams for the rest).
    Generated items are pooled per template."""
    responses = list(db.scalars(select(ClassroomResponse).order_by(ClassroomResponse.id)))
    by_item: dict[str, list[ClassroomResponse]] = defaultdict(list)
    sittings: dict[int, dict[str, float]] = defaultdict(dict)
    for r in responses:
        by_item[stat_key(r.item_id)].append(r)
        if r.context == "exam" and r.attempt_id is not None:
            sittings[r.attempt_id][r.item_id] = float(r.correct)
    totals = {a: sum(s.values()) for a, s in sittings.items()}
    params = {p.item_id: p for p in db.scalars(select(ClassroomItemParams))}
    out = []
    for item_id, rows in sorted(by_item.items()):
        stats = ItemStats(item_id, n=len(rows), p=float(np.mean([r.correct for r in rows])))
        exam_rows = [r for r in rows if r.context == "exam" and r.attempt_id is not None]
        if exam_rows:
            scores = np.array([float(r.correct) for r in exam_rows])
            rest = np.array([totals[r.attempt_id] - float(r.correct) for r in exam_rows])  # type: ignore[index]
            stats.discrimination = point_biserial(scores, rest)
            it = items.get(item_id)
            if it is not None and it.type in ("single", "multiple"):
                order = np.argsort(rest, kind="stable")
                k = max(1, int(round(0.27 * len(exam_rows))))
                lower, upper = set(order[:k].tolist()), set(order[-k:].tolist())
                keyed = {it.key} if it.type == "single" else set(it.key)
                for option_index, text in enumerate(it.options):
                    chose = [n for n, r in enumerate(exam_rows) if option_index in chosen_options(it, r.response)]
                    stats.options.append({"text": text, "keyed": option_index in keyed, "chosen": len(chose),
                                          "upper": sum(1 for n in chose if n in upper) / k,
                                          "lower": sum(1 for n in chose if n in lower) / k})
        if item_id in params:
            p = params[item_id]
            stats.irt = {"a": p.a, "b": p.b, "c": p.c, "responses": p.responses}
        out.append(stats)
    return out


def calibrate_bank(db: Session, *, min_responses: int = MIN_IRT_RESPONSES, model: str = "2PL") -> int:
    """Fit IRT parameters for items with enough exam responses; returns how many items were calibrated."""
    rows = db.execute(select(ClassroomResponse.attempt_id, ClassroomResponse.item_id, ClassroomResponse.correct)
                      .where(ClassroomResponse.context == "exam", ClassroomResponse.attempt_id.is_not(None))).all()
    counts: dict[str, int] = defaultdict(int)
    for _a, item_id, _c in rows:
        counts[item_id] += 1
    keep = sorted(i for i, n in counts.items() if n >= min_responses)
    if not keep:
        return 0
    persons = sorted({int(a) for a, i, _c in rows if a is not None and counts[i] >= min_responses})
    row_of = {a: n for n, a in enumerate(persons)}
    col_of = {i: n for n, i in enumerate(keep)}
    x = np.full((len(persons), len(keep)), np.nan)
    for a, i, c in rows:
        if i in col_of and a is not None:
            x[row_of[a], col_of[i]] = float(c)
    try:
        fitted = calibrate(x, model)
    except ValueError as exc:
        raise ItemProblem("responses", str(exc)) from None
    for i, n in col_of.items():
        row = db.get(ClassroomItemParams, i) or ClassroomItemParams(item_id=i)
        row.model, row.a, row.b, row.c, row.responses = model, float(fitted.a[n]), float(fitted.b[n]), \
            float(fitted.c[n]), counts[i]
        db.add(row)
    return len(keep)
