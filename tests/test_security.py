"""Security properties: argon2id hashes, cookie flags, CSRF, login throttling, no stack traces."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts import sessions
from scanroom.store.models import AuditEvent, User
from tests.conftest import CSRF_PATTERN, World, csrf_of, login, password_for


def test_passwords_are_stored_as_argon2id(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    response = admin.post("/api/v1/users", json={"username": "newbie", "password": "a-long-password-1",
                                                 "role": "trainee"}, headers={"X-CSRF-Token": csrf_of(admin)})
    assert response.status_code == 201, response.text
    stored = db.scalar(select(User.password_hash).where(User.username == "newbie"))
    assert stored is not None and stored.startswith("$argon2id$")
    assert "a-long-password-1" not in stored


def _session_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(sessions.SESSION_COOKIE + "=")]
    assert headers, "sign-in sets the session cookie"
    return headers[0].lower()


def _sign_in_response(client: TestClient, username: str):  # type: ignore[no-untyped-def]
    token = CSRF_PATTERN.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password_for(username),
                                       "csrf_token": token})


def test_session_cookie_flags_over_http(app, world: World) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        cookie = _session_cookie_header(_sign_in_response(client, "trainee"))
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_session_cookie_is_secure_over_https(app, world: World) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False, base_url="https://testserver") as client:
        cookie = _session_cookie_header(_sign_in_response(client, "trainee"))
    assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" in cookie


def test_post_without_csrf_token_is_refused(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    anonymous = client_for(None)
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": "trainee", "password": password_for("trainee")})
    assert response.status_code == 403
    assert sessions.SESSION_COOKIE not in anonymous.cookies

    admin = client_for("admin")
    response = admin.post("/admin/users", data={"username": "sneaky", "password": "a-long-password-1",
                                                "role": "admin"})
    assert response.status_code == 403
    response = admin.post("/api/v1/users", json={"username": "sneaky", "password": "a-long-password-1"},
                          headers={"X-CSRF-Token": "0" * 64})
    assert response.status_code == 403
    assert db.scalar(select(User).where(User.username == "sneaky")) is None


def test_csrf_token_of_another_session_is_refused(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, other = client_for("admin"), client_for("instructor")
    response = admin.post("/api/v1/programmes", json={"name": "X", "modality": "ct", "level": "entry"},
                          headers={"X-CSRF-Token": csrf_of(other)})
    assert response.status_code == 403


def test_sixth_wrong_password_in_a_minute_is_throttled(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    client = client_for(None)
    statuses = []
    for _ in range(5):
        token = CSRF_PATTERN.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        statuses.append(client.post("/login", data={"username": "trainee", "password": "wrong-password!",
                                                    "csrf_token": token}).status_code)
    assert statuses == [401] * 5
    token = CSRF_PATTERN.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    sixth = client.post("/login", data={"username": "trainee", "password": password_for("trainee"),
                                        "csrf_token": token})
    assert sixth.status_code == 429
    assert "Too many failed sign-ins" in sixth.text
    assert sessions.SESSION_COOKIE not in client.cookies
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("login.failure") == 5 and "login.throttled" in actions
    # Another account is not affected.
    login(client_for(None), "trainee2")


def test_error_pages_show_no_stack_trace(app, world: World) -> None:  # type: ignore[no-untyped-def]
    @app.get("/__boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        for accept in ("text/html", "application/json"):
            response = client.get("/__boom", headers={"Accept": accept})
            assert response.status_code == 500
            assert "Traceback" not in response.text and "secret internal detail" not in response.text
            assert "RuntimeError" not in response.text
        missing = client.get("/no/such/page", headers={"Accept": "text/html"})
        assert missing.status_code == 404 and "Traceback" not in missing.text
        assert "Not found" in missing.text


def test_logout_ends_the_server_side_session(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for("trainee")
    token = client.cookies.get(sessions.SESSION_COOKIE)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout", headers={"X-CSRF-Token": csrf_of(client)}).status_code == 303
    replay = client_for(None)
    replay.cookies.set(sessions.SESSION_COOKIE, token)
    assert replay.get("/api/v1/me").status_code == 401


def test_password_change_signs_out_other_sessions(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    laptop, tablet = client_for("trainee"), client_for("trainee")
    response = laptop.post("/account/password", data={
        "current_password": password_for("trainee"), "new_password": "a-brand-new-password",
        "confirm_password": "a-brand-new-password", "csrf_token": csrf_of(laptop)})
    assert response.status_code == 200 and "password was changed" in response.text
    assert laptop.get("/api/v1/me").status_code == 200
    assert tablet.get("/api/v1/me").status_code == 401
    login(client_for(None), "trainee", "a-brand-new-password")


def test_open_redirect_after_login_is_ignored(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for(None)
    token = CSRF_PATTERN.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": "trainee", "password": password_for("trainee"),
                                           "csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["location"] == "/trainee"
