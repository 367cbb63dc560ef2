"""Content loader and lint: valid fixtures load; malformed files fail with file *and line* (must-show 1, 6)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanroom.cli import main
from scanroom.learning.content import load

FIXTURES = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURES, root)
    return root


def test_fixture_content_is_clean_and_linked(content_copy: Path) -> None:
    content = load(content_copy, generated=False)
    assert content.errors == [], content.errors
    assert set(content.lessons) == {"xray-inverse-square", "xray-kvp-mas"}
    assert len(content.items) == 6
    lesson = content.lessons["xray-inverse-square"]
    assert lesson.try_it_url == "/scanroom/xray?exam=chest-pa&sid_cm=180"
    assert lesson.read_it_url == "/reading?tags=chest"
    assert content.objectives["xray-inverse-square/1"].competencies == ("arrt-radiography/radiation-protection",)


def _lint_lines(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["content", "lint", "--root", str(root), "--no-images"])
    return code, capsys.readouterr().out.splitlines()


def test_item_without_source_names_file_and_line(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = content_copy / "items" / "xray-physics.yaml"
    text = path.read_text().replace('  source: "Carroll 2018"\n', "")
    path.write_text(text)
    code, lines = _lint_lines(content_copy, capsys)
    assert code == 1
    # the fx-multiple mapping starts on line 12 (the "- id:" line); the problem points into it
    assert any(line.startswith("content/items/xray-physics.yaml:12:") and "fx-multiple" in line and "source" in line
               for line in lines), lines


def test_answer_key_that_does_not_parse(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = content_copy / "items" / "xray-physics.yaml"
    text = path.read_text()
    text = text.replace("  answer: 3\n", "  answer: seven\n")
    text = text.replace("answer: {value: 32.4, tolerance: 0.05", "answer: {value: lots, tolerance: 0.05")
    text = text.replace("answer: [1, 3, 0, 2]", "answer: [1, 3, 3, 2]")
    path.write_text(text)
    code, lines = _lint_lines(content_copy, capsys)
    assert code == 1
    text_lines = path.read_text().splitlines()
    expected = {n + 1 for n, line in enumerate(text_lines) if line.strip().startswith("answer:")}
    reported = {int(line.split(":")[1]) for line in lines if line.startswith("content/items/xray-physics.yaml:")}
    single, numeric, ordering = sorted(expected)[0], sorted(expected)[2], sorted(expected)[3]
    assert {single, numeric, ordering} <= reported, (lines, expected)
    assert any("fx-single" in line and "option index" in line for line in lines)
    assert any("fx-numeric" in line and "number 'value'" in line for line in lines)
    assert any("fx-ordering" in line and "every option index" in line for line in lines)


def test_broken_lesson_link_and_bad_yaml(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lesson = content_copy / "lessons" / "xray-physics" / "xray-kvp-mas.md"
    lesson.write_text(lesson.read_text().replace("lesson:xray-inverse-square", "lesson:no-such-lesson"))
    other = content_copy / "lessons" / "xray-physics" / "xray-inverse-square.md"
    other.write_text(other.read_text().replace("minutes: 10", "minutes: [10"))
    code, lines = _lint_lines(content_copy, capsys)
    assert code == 1
    link_line = next(n + 1 for n, line in enumerate(lesson.read_text().splitlines()) if "no-such-lesson" in line)
    assert f"content/lessons/xray-physics/xray-kvp-mas.md:{link_line}: error: broken lesson link " \
           "'lesson:no-such-lesson'" in lines
    assert any(line.startswith("content/lessons/xray-physics/xray-inverse-square.md:") and "YAML does not parse"
               in line for line in lines), lines


def test_bad_try_it_and_duplicate_key(content_copy: Path) -> None:
    lesson = content_copy / "lessons" / "xray-physics" / "xray-inverse-square.md"
    lesson.write_text(lesson.read_text().replace("preset: chest-pa", "preset: chest-sideways")
                      .replace("minutes: 10", "minutes: 10\nminutes: 12"))
    problems = load(content_copy, generated=False).problems
    messages = [str(p) for p in problems]
    lines = lesson.read_text().splitlines()
    preset_line = lines.index("  preset: chest-sideways") + 1
    duplicate_line = lines.index("minutes: 12") + 1
    assert any(f":{preset_line}: error: try_it.preset 'chest-sideways'" in m for m in messages), messages
    assert any(f":{duplicate_line}: error: duplicate key 'minutes'" in m for m in messages), messages


def test_unknown_structure_is_reported(content_copy: Path) -> None:
    path = content_copy / "items" / "xray-physics.yaml"
    path.write_text(path.read_text().replace("answer: {structure: liver}", "answer: {structure: appendix}"))
    problems = [p for p in load(content_copy, check_images=True, generated=False).problems if "appendix" in p.message]
    assert problems and problems[0].line > 1, problems


def test_content_stats_command(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "stats", "--root", str(content_copy)]) == 0
    out = capsys.readouterr().out
    assert "authored items 6" in out
    for line in ("  hotspot                    1", "  physics                    3", "  anatomy                    2"):
        assert line in out, out


def test_repository_content_loads() -> None:
    """The writers' content loads without crashing (problems, if any, are reported by the lint)."""
    content = load()
    assert content.lessons and content.items


def test_missing_content_folder_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "lint", "--root", str(tmp_path / "nowhere")]) == 1
    assert "No Classroom content at" in capsys.readouterr().err
