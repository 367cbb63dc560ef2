"""FSRS scheduling (must-show 4): intervals grow with successful reviews and reset on a lapse, as the
fsrs package specifies (compared with the package's own Scheduler run side by side)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fsrs import Card, Scheduler
from sqlalchemy.orm import Session

from scanroom.learning import review
from tests.conftest import World


def test_intervals_grow_then_reset_on_lapse(db: Session, world: World) -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    card = review.add_missed(db, world.trainee, "gen:inverse-square:3", now)
    reference, scheduler = Card(due=now), Scheduler(desired_retention=0.9, enable_fuzzing=False)
    intervals = []
    for rating in ["good"] * 5 + ["again", "good", "good"]:
        due_before = card.due_at if card.due_at.tzinfo else card.due_at.replace(tzinfo=UTC)
        review.review(db, card, rating, due_before)
        db.flush()
        reference, _log = scheduler.review_card(reference, review.RATINGS[rating], review_datetime=due_before)
        due_after = card.due_at if card.due_at.tzinfo else card.due_at.replace(tzinfo=UTC)
        assert due_after == reference.due  # exactly what fsrs specifies
        intervals.append(due_after - due_before)
    learning, *reviews, lapse, relearn, after = intervals
    assert learning <= timedelta(minutes=10)
    assert all(b > a for a, b in zip(reviews, reviews[1:], strict=False)), reviews  # grow with each success
    assert reviews[-1] > timedelta(days=30)
    assert lapse <= timedelta(minutes=10)  # a lapse sends the card back to relearning
    assert relearn < reviews[-1] and after > relearn
    assert card.lapses == 1 and card.reviews == 8
    db.commit()
    assert review.due_cards(db, world.trainee, now) == []
    assert review.due_cards(db, world.trainee, now + timedelta(days=3650))[0].id == card.id


def test_missed_item_is_queued_once(db: Session, world: World) -> None:
    now = datetime(2026, 2, 1, tzinfo=UTC)
    first = review.add_missed(db, world.trainee, "fx-1", now)
    again = review.add_missed(db, world.trainee, "fx-1", now + timedelta(hours=1))
    assert first.id == again.id
    db.commit()
    assert [c.item_id for c in review.due_cards(db, world.trainee, now + timedelta(hours=1))] == ["fx-1"]
    assert review.due_cards(db, world.trainee2, now + timedelta(hours=1)) == []
