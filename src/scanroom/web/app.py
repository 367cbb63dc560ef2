"""Application factory: wires settings, database, middleware, error pages and routers."""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from scanroom import __version__
from scanroom.accounts import sessions
from scanroom.config import Settings, get_settings
from scanroom.optional import import_optional
from scanroom.store.db import make_engine, make_session_factory
from scanroom.web.deps import LoginRequired, csrf_guard, is_secure
from scanroom.web.templating import render

log = logging.getLogger("scanroom.web")

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIXES = ("/api/", "/dicomweb/", "/healthz")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES) or "text/html" not in request.headers.get("accept", "")


def readable_validation_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    items = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        items.append({"field": location, "message": error.get("msg", "invalid value"), "type": error.get("type")})
    return items


AREA_ROUTERS = ("reading", "classroom", "competency", "safety")


def _area_routers() -> list[ModuleType]:
    """Routers of the reading room, classroom and competency areas (each in ``web/routes/<area>.py``)."""
    found = (import_optional(f"scanroom.web.routes.{area}") for area in AREA_ROUTERS)
    return [module for module in found if module is not None]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Scanroom",
        version=__version__,
        description="Medical imaging training platform. For education only, not for clinical use.",
        docs_url="/api/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    engine = make_engine(settings.resolved_database_url())
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.secret_key = settings.resolved_secret_key()
    app.state.data_dir = settings.resolved_data_dir()

    app.add_middleware(GZipMiddleware, minimum_size=2048)

    @app.middleware("http")
    async def security_headers_and_anon_cookie(request: Request, call_next):  # type: ignore[no-untyped-def]
        """Give anonymous visitors a cookie to bind CSRF tokens to, and set protective headers."""
        anon_needed = not (request.cookies.get(sessions.SESSION_COOKIE) or request.cookies.get(sessions.ANON_COOKIE))
        if anon_needed:
            request.state.anon_token = sessions.new_token()
        response: Response = await call_next(request)
        if anon_needed and not getattr(request.state, "fresh_session_token", None):
            response.set_cookie(sessions.ANON_COOKIE, request.state.anon_token, httponly=True, samesite="lax",
                                secure=is_secure(request), path="/")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = readable_validation_errors(exc)
        summary = "; ".join(f"{p['field'] or 'request'}: {p['message']}" for p in problems)
        if wants_json(request):
            return JSONResponse({"detail": problems, "message": f"Invalid request — {summary}"}, status_code=422)
        return render(request, "error.html", {"status": 422, "message": f"Invalid input — {summary}"},
                      status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        message = "Something went wrong on our side. The error has been logged; nothing you saved was lost."
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return render(request, "error.html", {"status": 500, "message": message}, status_code=500)

    from scanroom.web.routes import account, admin, api, ct, dicomweb, instructor, mri, pages, patients, xray

    for module in (pages, account, instructor, admin, patients, xray, ct, mri, api, dicomweb, *_area_routers()):
        app.include_router(module.router, dependencies=[Depends(csrf_guard)])

    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
