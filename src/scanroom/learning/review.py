"""Spaced review of missed items with FSRS (the ``fsrs`` package, v6: Scheduler/Card/Rating).

A missed item (practice or exam) becomes a card due now; each review is rated Again/Hard/Good/Easy and
FSRS schedules the next one: intervals grow with successful reviews and fall back to the relearning step
after a lapse (Ye et al. 2022, "A Stochastic Shortest Path Algorithm for Optimizing Spaced Repetition
Scheduling"; https://github.com/open-spaced-repetition/py-fsrs). Desired retention 0.9, fuzzing off so
schedules are reproducible. The card's back is the item's explanation: the key fact behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.store.models import User
from scanroom.store.models_learning import ClassroomReviewCard

__all__ = ["SCHEDULER", "RATINGS", "add_missed", "review", "due_cards", "next_due"]

SCHEDULER = Scheduler(desired_retention=0.9, enable_fuzzing=False)
RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_missed(db: Session, user: User, item_id: str, now: datetime) -> ClassroomReviewCard:
    """Queue a missed item for review now (a card already queued is brought forward)."""
    card = db.scalar(select(ClassroomReviewCard).where(ClassroomReviewCard.user_id == user.id,
                                                       ClassroomReviewCard.item_id == item_id))
    if card is None:
        fresh = Card(due=now)
        card = ClassroomReviewCard(user_id=user.id, item_id=item_id, card=dict(fresh.to_dict()), due_at=now,
                                   updated_at=now)
        db.add(card)
        db.flush()
    elif _aware(card.due_at) > now:
        card.due_at = now
    return card


def review(db: Session, card_row: ClassroomReviewCard, rating: str, now: datetime) -> ClassroomReviewCard:
    """Apply one review; returns the row with its next due time."""
    if rating not in RATINGS:
        from scanroom.accounts.service import ValidationProblem

        raise ValidationProblem("rating", f"Rating must be one of {', '.join(RATINGS)}.")
    card = Card.from_dict(card_row.card)  # type: ignore[arg-type]
    updated, _log = SCHEDULER.review_card(card, RATINGS[rating], review_datetime=now)
    card_row.card = dict(updated.to_dict())
    card_row.due_at = updated.due
    card_row.reviews += 1
    card_row.lapses += int(rating == "again")
    card_row.updated_at = now
    return card_row


def due_cards(db: Session, user: User, now: datetime) -> list[ClassroomReviewCard]:
    return list(db.scalars(select(ClassroomReviewCard).where(ClassroomReviewCard.user_id == user.id,
                                                             ClassroomReviewCard.due_at <= now)
                           .order_by(ClassroomReviewCard.due_at)))


def next_due(db: Session, user: User) -> datetime | None:
    return db.scalar(select(ClassroomReviewCard.due_at).where(ClassroomReviewCard.user_id == user.id)
                     .order_by(ClassroomReviewCard.due_at).limit(1))
