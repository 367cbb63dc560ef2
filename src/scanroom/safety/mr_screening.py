"""MR safety screening as a training workflow (ACR Manual on MR Safety, 2024; ASTM F2503).

The trainee reads a case's questionnaire and decides: proceed, proceed within the implant's MR
Conditional labelling, or do not scan. The decision is scored, and an accepted decision gates the scan:
the console refuses a protocol that breaks the implant's conditions (field strength, SAR mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT = Path(__file__).resolve().parents[3] / "content" / "safety" / "mr_screening.yaml"
DECISIONS = ("proceed", "proceed-with-conditions", "do-not-scan")


@dataclass(frozen=True)
class Implant:
    name: str
    status: str  # safe, conditional, unsafe
    conditions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreeningCase:
    case_id: str
    patient_id: str
    title: str
    history: str
    answers: dict[str, str]
    implant: Implant | None
    correct: str
    teaching: str


@dataclass(frozen=True)
class Questionnaire:
    questions: list[dict[str, str]]
    decisions: dict[str, str]
    cases: dict[str, ScreeningCase]


def content_path() -> Path:
    """The screening content lives in the repository's content/ folder (data, each fact with its source)."""
    if not CONTENT.exists():
        raise FileNotFoundError(f"MR screening content not found at {CONTENT}; run Scanroom from its checkout.")
    return CONTENT


@lru_cache(maxsize=1)
def questionnaire() -> Questionnaire:
    data = yaml.safe_load(content_path().read_text())
    cases = {}
    for raw in data["cases"]:
        implant = Implant(**raw["implant"]) if raw.get("implant") else None
        cases[raw["id"]] = ScreeningCase(raw["id"], raw["patient_id"], raw["title"], raw["history"],
                                         {k: str(v) for k, v in raw["answers"].items()}, implant, raw["correct"],
                                         str(raw.get("teaching", "")).strip())
    return Questionnaire(list(data["questions"]), dict(data["decisions"]), cases)


def get_case(case_id: str) -> ScreeningCase:
    cases = questionnaire().cases
    if case_id not in cases:
        raise KeyError(f"No screening case {case_id!r}; choose one of {', '.join(cases)}.")
    return cases[case_id]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    may_scan: bool
    message: str


def judge(case: ScreeningCase, decision: str) -> Verdict:
    """Score a screening decision; scanning is allowed only after a correct 'proceed…' decision."""
    if decision not in DECISIONS:
        raise ValueError(f"Decision must be one of {', '.join(DECISIONS)}.")
    correct = decision == case.correct
    may_scan = correct and decision != "do-not-scan"
    if correct:
        message = f"Correct. {case.teaching}"
    else:
        expected = questionnaire().decisions[case.correct]
        message = f"Not the safe decision. Expected: {expected} {case.teaching}"
    return Verdict(correct, may_scan, message)


def protocol_violations(case: ScreeningCase, b0_t: float, sar_mode: str) -> list[str]:
    """Why a protocol breaks the implant's MR Conditional labelling (empty when it complies)."""
    if case.implant is None or case.implant.status == "safe":
        return []
    if case.implant.status == "unsafe":
        return [f"{case.implant.name} is MR Unsafe: no scan."]
    problems = []
    max_b0 = case.implant.conditions.get("max_b0_t")
    if max_b0 is not None and b0_t > float(max_b0) + 1e-9:
        problems.append(f"{case.implant.name}: labelled for ≤ {max_b0} T, the protocol is at {b0_t:g} T.")
    required_mode = case.implant.conditions.get("sar_mode")
    if required_mode == "normal" and sar_mode != "normal":
        problems.append(f"{case.implant.name}: Normal operating mode only, the protocol needs {sar_mode} mode.")
    return problems
