"""The signed-in person's own account: password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from scanroom.accounts import sessions
from scanroom.accounts.service import Actor, ValidationProblem, change_password
from scanroom.store.models import User
from scanroom.web.deps import DB, client_ip, current_user
from scanroom.web.templating import render

router = APIRouter()


@router.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def password_page(request: Request, user: User = Depends(current_user)) -> Response:
    return render(request, "password.html", {"errors": {}, "done": False})


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
def password_submit(
    request: Request,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
    user: User = Depends(current_user),
    db: Session = DB,
) -> Response:
    if new_password != confirm_password:
        return render(request, "password.html",
                      {"errors": {"confirm_password": "The two new passwords differ."}, "done": False},
                      status_code=400)
    try:
        change_password(db, user, current=current_password, new=new_password,
                        actor=Actor(user.id, client_ip(request)))
    except ValidationProblem as problem:
        return render(request, "password.html", {"errors": {problem.field: problem.message}, "done": False},
                      status_code=400)
    # Other sessions of this person end: a changed password must lock out whoever knew the old one.
    sessions.end_all_sessions(db, user.id, keep_token=request.cookies.get(sessions.SESSION_COOKIE))
    return render(request, "password.html", {"errors": {}, "done": True})
