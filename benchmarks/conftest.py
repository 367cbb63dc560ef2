"""Shared benchmark plumbing: a summary printed once at the end of the run, after pytest-benchmark's table.

A benchmark module registers a section with the ``bench_summary`` fixture and a function that renders it
from whatever the module's tests measured (called at the end, so it sees every result of the run):

    bench_summary.section("X-ray chest PA", render)   # render() -> list[str]
"""

from __future__ import annotations

from collections.abc import Callable

import pytest


class BenchSummary:
    """Sections of summary lines, rendered at the end of the session in registration order."""

    def __init__(self) -> None:
        self._sections: dict[str, Callable[[], list[str]]] = {}

    def section(self, title: str, render: Callable[[], list[str]]) -> None:
        self._sections.setdefault(title, render)

    def rendered(self) -> list[tuple[str, list[str]]]:
        out = []
        for title, render in self._sections.items():
            try:
                lines = render()
            except Exception as exc:  # a broken summary must not hide the benchmark results
                lines = [f"(summary failed: {type(exc).__name__}: {exc})"]
            if lines:
                out.append((title, lines))
        return out


_SUMMARY = pytest.StashKey[BenchSummary]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SUMMARY] = BenchSummary()


@pytest.fixture(scope="session")
def bench_summary(request: pytest.FixtureRequest) -> BenchSummary:
    return request.config.stash[_SUMMARY]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:  # noqa: ANN001
    summary = config.stash.get(_SUMMARY, None)
    if summary is None:
        return
    for title, lines in summary.rendered():
        terminalreporter.write_sep("=", title)
        for line in lines:
            terminalreporter.write_line(line)
