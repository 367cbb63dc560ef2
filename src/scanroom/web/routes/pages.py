"""Sign-in, home pages, the sample gallery and the viewer page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from scanroom.accounts import audit, sessions, throttle
from scanroom.accounts.passwords import verify_password
from scanroom.accounts.service import normalise_username
from scanroom.config import Settings
from scanroom.dicom import library
from scanroom.learning import progress
from scanroom.store.models import Enrolment, Role, User
from scanroom.web.deps import (
    DB,
    client_ip,
    current_user,
    get_settings,
    is_secure,
    optional_user,
    require_trainee,
)
from scanroom.web.templating import render

router = APIRouter()

HOME_FOR_ROLE = {Role.TRAINEE: "/trainee", Role.INSTRUCTOR: "/instructor", Role.ADMIN: "/admin"}


def safe_next(target: str | None, fallback: str) -> str:
    """Only follow same-site relative redirects after sign-in (no open redirect)."""
    if not target:
        return fallback
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@router.get("/healthz", include_in_schema=False)
def healthz(db: Session = DB) -> JSONResponse:
    db.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


@router.get("/", include_in_schema=False)
def root(user: User | None = Depends(optional_user)) -> RedirectResponse:
    return RedirectResponse(HOME_FOR_ROLE[user.role] if user else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str | None = None, user: User | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next, HOME_FOR_ROLE[user.role]), status_code=303)
    return render(request, "login.html", {"next": next or "", "errors": {}, "username": ""})


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    db: Session = DB,
    settings: Settings = Depends(get_settings),
) -> Response:
    name = normalise_username(username)
    ip = client_ip(request)
    context = {"next": next, "username": name, "errors": {}}
    if not name or not password:
        context["errors"] = {"form": "Enter your username and password."}
        return render(request, "login.html", context, status_code=400)
    if throttle.is_throttled(db, name, max_failures=settings.login_max_failures,
                             window_seconds=settings.login_window_seconds):
        audit.record(db, "login.throttled", target=f"username:{name}", ip_address=ip)
        context["errors"] = {"form": "Too many failed sign-ins for this account. Wait a minute and try again."}
        return render(request, "login.html", context, status_code=429)
    user = db.scalar(select(User).where(User.username == name))
    ok = verify_password(password, user.password_hash if user else None) and user is not None and user.is_active
    throttle.record_attempt(db, name, succeeded=ok, ip_address=ip)
    if not ok or user is None:
        audit.record(db, "login.failure", target=f"username:{name}", ip_address=ip)
        context["errors"] = {"form": "Username or password is not correct."}
        return render(request, "login.html", context, status_code=401)
    sessions.end_session(db, request.cookies.get(sessions.SESSION_COOKIE))
    token = sessions.start_session(db, user, hours=settings.session_hours, ip_address=ip,
                                   user_agent=request.headers.get("user-agent", ""))
    audit.record(db, "login.success", actor_id=user.id, target=f"user:{user.id}", ip_address=ip)
    request.state.fresh_session_token = token
    response = RedirectResponse(safe_next(next, HOME_FOR_ROLE[user.role]), status_code=303)
    response.set_cookie(sessions.SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=is_secure(request), max_age=int(settings.session_hours * 3600), path="/")
    response.delete_cookie(sessions.ANON_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: Session = DB, user: User | None = Depends(optional_user)) -> Response:
    sessions.end_session(db, request.cookies.get(sessions.SESSION_COOKIE))
    if user is not None:
        audit.record(db, "logout", actor_id=user.id, target=f"user:{user.id}", ip_address=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    return response


@router.get("/trainee", response_class=HTMLResponse, include_in_schema=False)
def trainee_home(request: Request, user: User = Depends(require_trainee), db: Session = DB) -> Response:
    summary = progress.progress_for(db, user)
    enrolments = list(db.scalars(select(Enrolment).where(Enrolment.user_id == user.id)))
    items = library.gallery(db)
    next_items = [i for i in items if f"{i.study_uid}/{i.series_uid}" not in summary.opened_refs][:3]
    return render(request, "trainee_home.html", {"progress": summary, "enrolments": enrolments,
                                                 "next_items": next_items})


@router.get("/gallery", response_class=HTMLResponse, include_in_schema=False)
def gallery_page(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    summary = progress.progress_for(db, user)
    return render(request, "gallery.html", {"items": library.gallery(db), "opened": summary.opened_refs})


@router.get("/viewer/{study_uid}/{series_uid}", response_class=HTMLResponse, include_in_schema=False)
def viewer_page(request: Request, study_uid: str, series_uid: str, user: User = Depends(current_user),
                db: Session = DB) -> Response:
    instances = library.visible_series(db, user, study_uid, series_uid)
    if not instances:
        raise HTTPException(404, "No such series, or it is not yours to see.")
    progress.record(db, user, progress.OPEN_STUDY, f"{study_uid}/{series_uid}")
    first = instances[0]
    return render(request, "viewer.html", {"instance": first, "count": len(instances),
                                           "study_uid": study_uid, "series_uid": series_uid})
