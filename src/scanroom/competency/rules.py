"""Completion rules of a framework applied to a trainee's met requirements.

ARRT radiography (2022): every mandatory general patient care activity and imaging procedure, and 15
electives of which at least one from the head section and two from the fluoroscopy section. A rule of type
``all`` needs every requirement it selects; ``min`` needs at least ``min`` of them. Local requirements a
programme adds are outside the national rules (they show in the record but never make a rule pass or fail).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from scanroom.competency.frameworks import Framework, Rule


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    required: int
    achieved: int
    missing: tuple[str, ...]  # ids still needed (all: every unmet one; min: the unmet candidates)

    @property
    def satisfied(self) -> bool:
        return self.achieved >= self.required

    @property
    def short_by(self) -> int:
        return max(self.required - self.achieved, 0)


def evaluate(framework: Framework, met: Collection[str]) -> list[RuleResult]:
    """Each rule of ``framework`` against the set of requirement ids the trainee has met."""
    results = []
    for rule in framework.rules:
        selected = [r.id for r in framework.requirements if rule.selects(r)]
        done = [rid for rid in selected if rid in met]
        required = len(selected) if rule.type == "all" else rule.min
        missing = tuple(rid for rid in selected if rid not in met)
        results.append(RuleResult(rule, required, len(done), missing))
    return results


def complete(framework: Framework, met: Collection[str]) -> bool:
    """True when every rule of the framework is satisfied."""
    return all(result.satisfied for result in evaluate(framework, met))


def shortfall(framework: Framework, met: Collection[str]) -> int:
    """How many more requirements the trainee needs, at least, to satisfy every rule (0 when complete).

    Group minimums (head, fluoroscopy) count inside the overall elective total, so the shortfall is the
    larger of the total's and the sum of the groups', not their sum.
    """
    results = evaluate(framework, met)
    alls = sum(r.short_by for r in results if r.rule.type == "all")
    mins = [r for r in results if r.rule.type == "min"]
    group_need = sum(r.short_by for r in mins if r.rule.section)
    total_need = max((r.short_by for r in mins if not r.rule.section), default=0)
    return alls + max(group_need, total_need)
