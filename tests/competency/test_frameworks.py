"""Frameworks load and validate; the lint names file and line; the ARRT 2022 rules hold on sample records."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanroom.competency import frameworks, rules, tasks
from tests.test_cli import run_cli

ARRT = "arrt-radiography-2022"


def test_every_framework_and_task_loads_with_sources() -> None:
    loaded = frameworks.all_frameworks()
    assert {f.id for f in loaded} >= {ARRT, "acgme-diagnostic-radiology", "esr-etc-radiology", "ardms-sonography",
                                      "nmtcb-nmt", "arrt-ct-postprimary", "arrt-mri-postprimary"}
    for framework in loaded:
        assert framework.sources and all(s["title"] for s in framework.sources)
        assert all(r.source and r.evidence for r in framework.requirements), framework.id
    assert {t.modality for t in tasks.all_tasks()} == {"xray", "ct", "mri"}  # every room the scan room has
    assert all(t.sources and t.max_score == 100 for t in tasks.all_tasks())


def test_arrt_counts_match_the_2022_requirements() -> None:
    arrt = frameworks.get(ARRT)
    gpc = [r for r in arrt.requirements if r.section == "general-patient-care"]
    mandatory = [r for r in arrt.requirements if r.category == "mandatory" and r.section != "general-patient-care"]
    electives = [r for r in arrt.requirements if r.category == "elective"]
    assert (len(gpc), len(mandatory), len(electives)) == (10, 36, 34)
    assert all(r.category == "mandatory" for r in gpc)
    assert {r.section for r in electives} >= {"head", "fluoroscopy"}
    acgme = frameworks.get("acgme-diagnostic-radiology")
    assert acgme.levels == 5 and acgme.target_level == 4


def _ids(framework: frameworks.Framework, *, category: str, section: str | None = None,
         exclude: str | None = None) -> list[str]:
    return [r.id for r in framework.requirements if r.category == category and (section is None or r.section == section)
            and r.section != exclude]


def _complete_sample() -> set[str]:
    """All mandatory items plus 15 electives: one from the head section, two fluoroscopy studies, 12 others."""
    arrt = frameworks.get(ARRT)
    others = [r for r in _ids(arrt, category="elective") if r not in _ids(arrt, category="elective", section="head")
              and r not in _ids(arrt, category="elective", section="fluoroscopy")]
    return (set(_ids(arrt, category="mandatory")) | {"skull", "upper-gi", "contrast-enema"} | set(others[:12]))


def test_a_complete_record_satisfies_every_arrt_rule() -> None:
    arrt = frameworks.get(ARRT)
    met = _complete_sample()
    assert len(met) == 10 + 36 + 15
    assert rules.complete(arrt, met) and rules.shortfall(arrt, met) == 0


@pytest.mark.parametrize(("change", "broken_rule", "short_by"), [
    ("drop-mandatory-procedure", "imaging-mandatory-all", 1),
    ("drop-patient-care", "gpc-all", 1),
    ("head-elective-swapped", "electives-head", 1),
    ("one-fluoroscopy-only", "electives-fluoroscopy", 1),
    ("fourteen-electives", "electives-15", 1),
])
def test_each_arrt_rule_is_enforced(change: str, broken_rule: str, short_by: int) -> None:
    arrt = frameworks.get(ARRT)
    met = _complete_sample()
    spare = [r for r in _ids(arrt, category="elective") if r not in met]
    if change == "drop-mandatory-procedure":
        met.discard("chest-routine")
    elif change == "drop-patient-care":
        met.discard("gpc-venipuncture")
    elif change == "head-elective-swapped":  # still 15 electives, but none from the head section
        met.discard("skull")
        met.add(next(r for r in spare if arrt.requirement(r).section not in ("head", "fluoroscopy")))
    elif change == "one-fluoroscopy-only":  # 15 electives, only one fluoroscopy study
        met.discard("contrast-enema")
        met.add(next(r for r in spare if arrt.requirement(r).section not in ("head", "fluoroscopy")))
    elif change == "fourteen-electives":
        met.discard(next(r for r in met if arrt.requirement(r).category == "elective"
                         and arrt.requirement(r).section not in ("head", "fluoroscopy")))
    results = {r.rule.id: r for r in rules.evaluate(arrt, met)}
    assert [rid for rid, r in results.items() if not r.satisfied] == [broken_rule]
    assert results[broken_rule].short_by == short_by
    assert not rules.complete(arrt, met) and rules.shortfall(arrt, met) == short_by


def test_group_minimums_count_inside_the_fifteen() -> None:
    """Fifteen electives from the head and fluoroscopy sections alone satisfy everything elective."""
    arrt = frameworks.get(ARRT)
    electives = _ids(arrt, category="elective", section="head") + _ids(arrt, category="elective", section="fluoroscopy")
    met = set(_ids(arrt, category="mandatory")) | set(electives[:15])
    assert rules.complete(arrt, met)
    nothing = rules.shortfall(arrt, set())
    assert nothing == 10 + 36 + 15


BAD = """id: broken-framework
title: Broken
kind: checklist
modality: radiography
sources:
  - {title: Somewhere}
sections:
  - {id: a, title: A, category: mandatory, evidence: [signoff], source: here}
requirements:
  - {id: one, title: One, section: a}
  - {id: two, title: Two, section: nowhere}
  - {id: three, title: Three, section: a, evidence: [telepathy]}
  - {id: four, title: Transfer (slider board, gait belt), section: a}
rules:
  - {id: r, description: all, type: all, category: mandatory, expect_count: 5}
"""


def test_lint_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BAD)
    _good, problems = frameworks.lint([path])
    located = {(line, message.split(":")[0]) for _f, line, message in problems}
    assert (11, "requirement 'two'") in located
    assert any(line == 12 and "telepathy" in m for _f, line, m in problems)
    assert any(line == 13 and "unknown key(s) 'gait belt)'" in m for _f, line, m in problems)  # unquoted commas
    assert any(line == 15 and "expects 5" in m for _f, line, m in problems)
    assert all(f == str(path) for f, _l, _m in problems)


def test_cli_lint_fails_with_file_and_line_and_stats_prints_counts(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BAD)
    bad = run_cli("competency", "lint", str(path), cwd=tmp_path)
    assert bad.returncode == 1
    assert f"{path}:11: requirement 'two': unknown section 'nowhere'" in bad.stderr
    good = run_cli("competency", "lint")
    assert good.returncode == 0 and good.stdout.startswith("OK: 7 frameworks, 7 tasks"), good.stderr
    counts = run_cli("competency", "stats")
    assert counts.returncode == 0
    assert "arrt-radiography-2022: 80 requirements (34 elective, 46 mandatory)" in counts.stdout
    assert "rule electives-15: 15 of 34" in counts.stdout and "rule electives-fluoroscopy: 2 of 9" in counts.stdout
    task = tmp_path / "tasks" / "bad-task.yaml"
    task.parent.mkdir()
    task.write_text("id: bad-task\ntitle: T\nmodality: xray\nrequest: r\nexpected: {}\nsources: [x]\n"
                    "requirements: {}\nscenario: {patient_id: adult-male, history: h}\n"
                    "rubric:\n  - {criterion: flair, points: 5}\n")
    bad_task = run_cli("competency", "lint", str(task), cwd=tmp_path)
    assert bad_task.returncode == 1 and f"{task}:10: rubric criterion must be one of" in bad_task.stderr


def test_task_lint_checks_what_the_task_names(tmp_path: Path) -> None:
    text = (Path(tasks.CONTENT_DIR) / "chest-pa-outpatient.yaml").read_text()
    broken = (text.replace("[chest-routine]", "[chest-rotine]").replace("patient_id: adult-male", "patient_id: robot")
              .replace("exam: chest-pa", "exam: chest-ap"))
    with pytest.raises(tasks.TaskError) as caught:
        tasks.parse(broken, "t.yaml")
    messages = [m for _f, _l, m in caught.value.problems]
    assert "requirements: arrt-radiography-2022 has no requirement 'chest-rotine'" in messages
    assert "scenario: no digital patient 'robot'" in messages
    assert "expected: the xray room has no 'chest-ap'" in messages
