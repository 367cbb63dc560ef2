"""Login throttling: after N wrong passwords for a username within the window, refuse further tries.

Counting per username (not per IP) stops password guessing against one account from many addresses
(OWASP Authentication cheat sheet); the window is short so a locked-out owner waits a minute, not a day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.store.models import LoginAttempt


def recent_failures(db: Session, username: str, *, window_seconds: int) -> int:
    since = datetime.now(UTC) - timedelta(seconds=window_seconds)
    return int(db.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username.lower(), LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since)
    ) or 0)


def is_throttled(db: Session, username: str, *, max_failures: int, window_seconds: int) -> bool:
    return recent_failures(db, username, window_seconds=window_seconds) >= max_failures


def record_attempt(db: Session, username: str, *, succeeded: bool, ip_address: str = "") -> None:
    db.add(LoginAttempt(username=username.lower()[:64], succeeded=succeeded, ip_address=ip_address[:64]))
