"""Authorisation rows for the reading room (merged into tests/test_authorization_matrix.py)."""

from __future__ import annotations

PAGE_ANON = 303

MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/reading"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/reading/sets/{set_id}/start"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/reading/sessions/{session_id}"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/reading/sessions/{session_id}/cases/{position}"): (PAGE_ANON, 404, 404, 404),
    ("POST", "/reading/sessions/{session_id}/cases/{position}"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/reading/sessions/{session_id}/results"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/reading/cases"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/reading/cases/generate"): (PAGE_ANON, 403, 400, 400),
    ("POST", "/reading/cases/import"): (PAGE_ANON, 403, 400, 400),
    ("GET", "/reading/cases/{case_id}"): (PAGE_ANON, 403, 404, 404),
    ("POST", "/reading/cases/{case_id}"): (PAGE_ANON, 403, 404, 404),
    ("POST", "/reading/cases/{case_id}/truth"): (PAGE_ANON, 403, 404, 404),
    ("POST", "/reading/cases/{case_id}/publish"): (PAGE_ANON, 403, 404, 404),
    ("GET", "/reading/sets"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/reading/sets"): (PAGE_ANON, 403, 400, 400),
    ("POST", "/reading/sets/{set_id}/assign"): (PAGE_ANON, 403, 404, 404),
    ("POST", "/reading/sets/{set_id}/evidence"): (PAGE_ANON, 403, 404, 404),
    ("GET", "/reading/cohorts/{cohort_id}"): (PAGE_ANON, 403, 200, 200),
    ("GET", "/reading/observer"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/reading/observer"): (PAGE_ANON, 403, 400, 400),
}


def path_values(db, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"set_id": "999999", "session_id": "999999", "position": "0", "case_id": "999999"}
