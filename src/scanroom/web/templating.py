"""Jinja2 templates with what every page needs: the user, the CSRF token and the education notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from scanroom import EDUCATION_NOTICE, __version__
from scanroom.web.deps import csrf_for

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    base = {
        "request": request,
        "user": getattr(request.state, "signed_in", None),
        "csrf_token": csrf_for(request),
        "education_notice": EDUCATION_NOTICE,
        "version": __version__,
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)
