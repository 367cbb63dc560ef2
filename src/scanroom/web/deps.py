"""Request dependencies: database session, signed-in user, role checks and CSRF.

Routes declare who may call them through these dependencies, so a route reads as the rule it enforces
and the authorisation matrix test can walk every route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from scanroom.accounts import sessions
from scanroom.config import Settings
from scanroom.store.models import Role, User

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised for anonymous requests: pages redirect to the login page, the API answers 401."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; committed when the route returns normally, rolled back otherwise.

    Routes depend on it with ``scope="function"`` so the commit happens before the response is sent: a
    browser following a POST-redirect must find what the POST saved.
    """
    db: Session = request.app.state.session_factory()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


def is_secure(request: Request) -> bool:
    """Cookies get the Secure flag when served over HTTPS.

    Behind a TLS-terminating proxy, ``scanroom serve`` runs uvicorn with proxy headers trusted from
    127.0.0.1 only, so the scheme comes from X-Forwarded-Proto; SCANROOM_FORCE_SECURE_COOKIES forces it.
    """
    return bool(request.app.state.settings.force_secure_cookies) or request.url.scheme == "https"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def cookie_token(request: Request) -> str | None:
    """The token CSRF tokens are bound to: the session cookie when signed in, else the anonymous cookie."""
    return (request.cookies.get(sessions.SESSION_COOKIE) or request.cookies.get(sessions.ANON_COOKIE)
            or getattr(request.state, "anon_token", None))


def csrf_for(request: Request) -> str:
    token = getattr(request.state, "fresh_session_token", None) or cookie_token(request)
    return sessions.csrf_token(request.app.state.secret_key, token or "")


async def csrf_guard(request: Request) -> None:
    """Refuse any state-changing request without a valid CSRF token (form field or header)."""
    if request.method not in UNSAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if not presented:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            presented = value if isinstance(value, str) else None
    if not sessions.csrf_valid(request.app.state.secret_key, cookie_token(request), presented):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "The form has expired or did not come from this site (CSRF check failed). "
                            "Reload the page and try again.")


@dataclass(frozen=True)
class SignedIn:
    """A detached snapshot of the signed-in user for templates (error pages render after the session closes)."""

    id: int
    username: str
    full_name: str
    role: Role


DB = Depends(get_db, scope="function")
"""The request's database session, committed before the response is sent (see :func:`get_db`)."""


def optional_user(request: Request, db: Session = DB) -> User | None:
    user = sessions.user_for_token(db, request.cookies.get(sessions.SESSION_COOKIE))
    request.state.signed_in = (SignedIn(user.id, user.username, user.full_name, user.role)
                               if user is not None else None)
    return user


def current_user(user: User | None = Depends(optional_user)) -> User:
    if user is None:
        raise LoginRequired()
    return user


@dataclass(frozen=True)
class RoleRequirement:
    roles: frozenset[Role]

    def __call__(self, user: User = Depends(current_user)) -> User:
        if user.role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not give access to this page.")
        return user


def require_role(*roles: Role) -> Callable[..., User]:
    return RoleRequirement(frozenset(roles))


require_trainee = require_role(Role.TRAINEE)
require_instructor = require_role(Role.INSTRUCTOR, Role.ADMIN)
require_admin = require_role(Role.ADMIN)
