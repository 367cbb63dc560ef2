"""Practice mode (immediate feedback with the explanation) and a trainee's progress per objective.

A practice answer is scored at once, kept as a response (item statistics) and, when missed, queued for
spaced review. Progress per objective = share of the objective's most recent answers that were right
(the last five), a simple mastery signal instructors can read next to the objective text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.learning import exams, generated, review
from scanroom.learning.content import Content
from scanroom.learning.items import Item, ItemProblem, Result, score
from scanroom.store.models import User
from scanroom.store.models_learning import ClassroomResponse

__all__ = ["next_item", "answer", "ObjectiveProgress", "progress_by_objective"]

RECENT = 5


def next_item(content: Content, *, objective: str = "", topic: str = "", template: str = "",
              rng: np.random.Generator | None = None) -> Item | None:
    """An item to practise: a fresh generated item for a template, else an authored item of the objective or
    topic (or any), else a generated item for the objective."""
    rng = rng or np.random.default_rng()
    if template:
        return generated.generate(template, int(rng.integers(1, 10**9)))
    pool = [i for i in content.items.values()
            if (not objective or i.objective == objective) and (not topic or i.topic == topic)]
    templates = [t for t in generated.TEMPLATES.values()
                 if (not objective or t.objective == objective) and (not topic or t.topic == topic)]
    if pool and (not templates or rng.random() < 0.7):
        return pool[int(rng.integers(len(pool)))]
    if templates:
        chosen = templates[int(rng.integers(len(templates)))]
        return generated.generate(chosen.template_id, int(rng.integers(1, 10**9)))
    return None


def answer(db: Session, user: User, item_id: str, response: Any, now: datetime,
           content: Content | None = None) -> tuple[Item, Result]:
    """Score a practice response, keep it, and queue the item for review if it was missed.

    Refused for an item of an exam the person is sitting: practice shows the key, and keys must not reach
    the browser before the exam is submitted."""
    if item_id in exams.open_exam_items(db, user):
        raise ItemProblem("item", "This question is part of an exam you are sitting; answer it there.")
    it = exams.item(item_id, content)
    result = score(it, response)
    db.add(ClassroomResponse(user_id=user.id, item_id=item_id, context="practice", response=response,
                             correct=result.correct, score=result.score, created_at=now))
    if not result.correct:
        review.add_missed(db, user, item_id, now)
    return it, result


@dataclass(frozen=True)
class ObjectiveProgress:
    objective_id: str
    text: str
    lesson_id: str
    answered: int
    recent_correct: float | None  # share right among the last RECENT answers

    @property
    def percent(self) -> int:
        return 0 if self.recent_correct is None else round(100 * self.recent_correct)


def progress_by_objective(db: Session, user: User, content: Content) -> list[ObjectiveProgress]:
    objective_of = {i.item_id: i.objective for i in content.items.values()}
    objective_of.update({t.template_id: t.objective for t in generated.TEMPLATES.values()})
    history: dict[str, list[bool]] = defaultdict(list)
    for item_id, correct in db.execute(select(ClassroomResponse.item_id, ClassroomResponse.correct)
                                       .where(ClassroomResponse.user_id == user.id)
                                       .order_by(ClassroomResponse.id)):
        key = item_id.split(":")[1] if generated.is_generated(item_id) else item_id
        if key in objective_of:
            history[objective_of[key]].append(bool(correct))
    out = []
    for objective in content.objectives.values():
        answers = history.get(objective.objective_id, [])
        recent = answers[-RECENT:]
        out.append(ObjectiveProgress(objective.objective_id, objective.text, objective.lesson_id, len(answers),
                                     sum(recent) / len(recent) if recent else None))
    return out
