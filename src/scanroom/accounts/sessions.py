"""Server-side sessions and CSRF tokens.

The browser holds a random token in an HttpOnly cookie; the database holds its SHA-256, so a leaked
database does not hand out live sessions. CSRF tokens are HMAC(secret, session-or-anonymous token):
stateless, bound to the cookie, and checked on every state-changing request (OWASP CSRF cheat sheet,
"signed double-submit cookie").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scanroom.store.models import User, WebSession

SESSION_COOKIE = "scanroom_session"
ANON_COOKIE = "scanroom_anon"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(db: Session, user: User, *, hours: float, ip_address: str = "", user_agent: str = "") -> str:
    """Create a session for ``user`` and return the cookie token."""
    token = new_token()
    db.add(WebSession(token_hash=_digest(token), user_id=user.id,
                      expires_at=datetime.now(UTC) + timedelta(hours=hours),
                      ip_address=ip_address[:64], user_agent=user_agent[:300]))
    return token


def user_for_token(db: Session, token: str | None) -> User | None:
    """The active user behind a session token, or None if absent, unknown or expired."""
    if not token:
        return None
    record = db.get(WebSession, _digest(token))
    if record is None:
        return None
    expires = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC) or not record.user.is_active:
        db.delete(record)
        return None
    return record.user


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def end_all_sessions(db: Session, user_id: int, *, keep_token: str | None = None) -> None:
    """Sign a user out everywhere (after a password change), optionally keeping the current session."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_token:
        query = query.where(WebSession.token_hash != _digest(keep_token))
    db.execute(query)


def csrf_token(secret_key: str, cookie_token: str) -> str:
    return hmac.new(secret_key.encode(), b"csrf:" + cookie_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, cookie_token: str | None, presented: str | None) -> bool:
    if not cookie_token or not presented:
        return False
    return hmac.compare_digest(csrf_token(secret_key, cookie_token), presented)


def count_sessions(db: Session, user_id: int) -> int:
    return len(db.scalars(select(WebSession.token_hash).where(WebSession.user_id == user_id)).all())
