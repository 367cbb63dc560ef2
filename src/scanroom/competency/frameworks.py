"""Competency frameworks as data: load, validate and look up the YAML files in ``content/frameworks/``.

A framework is a list of requirements (each with its section, category, the kinds of evidence that count and
its source) plus rules over them (ARRT: all mandatory, 15 electives with group minimums; ACGME: every
subcompetency at the target level). Programmes choose one; instructors may add local requirements, which are
merged in with ``local:`` ids (see :func:`with_local`).

Validation works like a content lint: every problem names the file and the line it is on, so
``scanroom competency lint`` can point an author at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "frameworks"
EVIDENCE_KINDS = ("exam", "practical", "interpretation", "signoff")
"""What counts as evidence: a classroom exam result, a simulated practical task, an interpretation (reading
room) score, a supervised sign-off observed by an instructor."""
CATEGORIES = ("mandatory", "elective", "milestone", "domain")
KINDS = ("checklist", "milestones", "levels", "domains")
RULE_TYPES = ("all", "min")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LINE_KEY = "__line__"
SECTION_KEYS = {"id", "title", "category", "evidence", "source", "verify", "attest", LINE_KEY}
REQUIREMENT_KEYS = {"id", "title", "section", "category", "evidence", "source", "verify", "weight_percent", "attest",
                    LINE_KEY}
RULE_KEYS = {"id", "description", "type", "category", "section", "exclude_section", "min", "expect_count", LINE_KEY}


class FrameworkError(ValueError):
    """One or more problems in framework files; ``problems`` are ``(file, line, message)``."""

    def __init__(self, problems: Sequence[tuple[str, int, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{f}:{line}: {m}" for f, line, m in self.problems))


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    section: str
    category: str
    evidence: tuple[str, ...]
    source: str
    verify: bool = False
    weight_percent: float | None = None
    local: bool = False
    attest: bool = False  # a sign-off needs the framework's attestations (ARRT: independently, consistently …)


@dataclass(frozen=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    type: str  # all | min
    category: str | None = None
    section: str | None = None
    exclude_section: str | None = None
    min: int = 0
    expect_count: int | None = None

    def selects(self, requirement: Requirement) -> bool:
        """Whether ``requirement`` is one of those this rule counts."""
        if requirement.local:
            return False  # local additions never change the national rule
        if self.category and requirement.category != self.category:
            return False
        if self.section and requirement.section != self.section:
            return False
        return not (self.exclude_section and requirement.section == self.exclude_section)


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    kind: str
    modality: str
    version: str
    sources: tuple[dict[str, str], ...]
    sections: tuple[Section, ...]
    requirements: tuple[Requirement, ...]
    rules: tuple[Rule, ...]
    signoff_required: bool = True
    levels: int | None = None
    target_level: int | None = None
    path: str = ""
    attestations: tuple[tuple[str, str], ...] = ()  # (id, text) the signer affirms for requirements with attest
    _index: dict[str, Requirement] = field(default_factory=dict, compare=False, repr=False)

    def requirement(self, requirement_id: str) -> Requirement:
        if not self._index:
            self._index.update({r.id: r for r in self.requirements})
        if requirement_id not in self._index:
            raise KeyError(requirement_id)
        return self._index[requirement_id]

    def has(self, requirement_id: str) -> bool:
        try:
            self.requirement(requirement_id)
        except KeyError:
            return False
        return True

    def section_title(self, section_id: str) -> str:
        return next((s.title for s in self.sections if s.id == section_id), section_id)


# ----------------------------------------------------------------------------- YAML with line numbers

class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line (1-based) of every mapping under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]


def _line(item: Any, default: int = 1) -> int:
    return int(item.get(LINE_KEY, default)) if isinstance(item, dict) else default


# ----------------------------------------------------------------------------- validation

def parse(text: str, filename: str = "<framework>") -> Framework:
    """Parse and validate one framework file's text. Raises FrameworkError listing every problem with its line."""
    problems: list[tuple[str, int, str]] = []

    def problem(line: int, message: str) -> None:
        problems.append((filename, line, message))

    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FrameworkError([(filename, (mark.line + 1) if mark else 1,
                               f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, dict):
        raise FrameworkError([(filename, 1, "a framework file is a mapping with id, title, sections, requirements")])
    top = _line(data)
    for key in ("id", "title", "kind", "modality", "sources", "sections", "requirements"):
        if key not in data:
            problem(top, f"missing required key {key!r}")
    fid = str(data.get("id", ""))
    if fid and not SLUG.match(fid):
        problem(top, f"id {fid!r} must be lower-case letters, digits and hyphens")
    kind = str(data.get("kind", "checklist"))
    if kind not in KINDS:
        problem(top, f"kind {kind!r} must be one of {', '.join(KINDS)}")
    sources = data.get("sources") or []
    if not isinstance(sources, list) or not sources:
        problem(top, "sources: at least one source (title, url) is required")
        sources = []
    for src in sources:
        if not isinstance(src, dict) or not str(src.get("title", "")).strip():
            problem(_line(src, top), "each source needs a title")
    levels = data.get("levels")
    if kind == "milestones" and not isinstance(levels, int):
        problem(top, "a milestones framework needs levels (e.g. 5)")
    target = data.get("target_level")
    if target is not None and (not isinstance(levels, int) or not 1 <= int(target) <= levels):
        problem(top, f"target_level {target!r} must lie within 1..levels")

    sections: dict[str, dict[str, Any]] = {}
    for sec in data.get("sections") or []:
        line = _line(sec, top)
        if not isinstance(sec, dict) or not sec.get("id") or not sec.get("title"):
            problem(line, "each section needs an id and a title")
            continue
        if sec["id"] in sections:
            problem(line, f"section {sec['id']!r} appears twice")
        sections[str(sec["id"])] = sec
        _check_defaults(sec, line, problem)

    requirements: list[Requirement] = []
    seen: dict[str, int] = {}
    for raw in data.get("requirements") or []:
        line = _line(raw, top)
        if not isinstance(raw, dict):
            problem(line, "each requirement is a mapping (id, title, section …)")
            continue
        rid = str(raw.get("id", ""))
        _unknown_keys(raw, REQUIREMENT_KEYS, f"requirement {rid!r}", line, problem)
        if not SLUG.match(rid):
            problem(line, f"requirement id {rid!r} must be lower-case letters, digits and hyphens")
        if rid in seen:
            problem(line, f"requirement {rid!r} already defined on line {seen[rid]}")
        seen[rid] = line
        if not str(raw.get("title", "")).strip():
            problem(line, f"requirement {rid!r} has no title")
        section_id = str(raw.get("section") or (next(iter(sections)) if len(sections) == 1 else ""))
        if not section_id and sections:
            section_id = _default_section(raw, sections, requirements)
        sec = sections.get(section_id)
        if sec is None:
            problem(line, f"requirement {rid!r}: unknown section {section_id!r}")
            sec = {}
        merged = {**{k: v for k, v in sec.items() if k in ("category", "evidence", "source", "verify", "attest")},
                  **raw}
        category = str(merged.get("category", ""))
        if category not in CATEGORIES:
            problem(line, f"requirement {rid!r}: category {category!r} must be one of {', '.join(CATEGORIES)}")
        evidence = merged.get("evidence") or []
        if not isinstance(evidence, list) or not evidence:
            problem(line, f"requirement {rid!r}: say which evidence counts ({', '.join(EVIDENCE_KINDS)})")
            evidence = []
        bad = [e for e in evidence if e not in EVIDENCE_KINDS]
        if bad:
            problem(line, f"requirement {rid!r}: unknown evidence kind {', '.join(map(str, bad))} "
                          f"(use {', '.join(EVIDENCE_KINDS)})")
        source = str(merged.get("source", "")).strip()
        if not source:
            problem(line, f"requirement {rid!r} has no source (set it on the requirement or its section)")
        weight = merged.get("weight_percent")
        requirements.append(Requirement(rid, str(raw.get("title", "")).strip(), section_id, category,
                                        tuple(str(e) for e in evidence), source, bool(merged.get("verify", False)),
                                        float(weight) if weight is not None else None,
                                        attest=bool(merged.get("attest", False))))
    if not requirements and "requirements" in data:
        problem(top, "the framework has no requirements")

    rules: list[Rule] = []
    for raw in data.get("rules") or []:
        line = _line(raw, top)
        if not isinstance(raw, dict):
            problem(line, "each rule is a mapping (id, type, …)")
            continue
        rtype = str(raw.get("type", ""))
        _unknown_keys(raw, RULE_KEYS, f"rule {raw.get('id')!r}", line, problem)
        if rtype not in RULE_TYPES:
            problem(line, f"rule {raw.get('id')!r}: type must be one of {', '.join(RULE_TYPES)}")
        for key in ("section", "exclude_section"):
            if raw.get(key) and raw[key] not in sections:
                problem(line, f"rule {raw.get('id')!r}: unknown {key} {raw[key]!r}")
        if raw.get("category") and raw["category"] not in CATEGORIES:
            problem(line, f"rule {raw.get('id')!r}: unknown category {raw['category']!r}")
        rule = Rule(str(raw.get("id", "")), str(raw.get("description", "")), rtype, raw.get("category"),
                    raw.get("section"), raw.get("exclude_section"), int(raw.get("min", 0) or 0),
                    raw.get("expect_count"))
        selected = [r for r in requirements if rule.selects(r)]
        if rule.expect_count is not None and len(selected) != int(rule.expect_count):
            problem(line, f"rule {rule.id!r} expects {rule.expect_count} requirements, the file has {len(selected)}")
        if rtype == "min" and not 0 < rule.min <= len(selected):
            problem(line, f"rule {rule.id!r}: min {rule.min} must be between 1 and the {len(selected)} it selects")
        rules.append(rule)
    attestations = []
    for item in data.get("signoff_attestations") or []:
        if not isinstance(item, dict) or not SLUG.match(str(item.get("id", ""))) or not item.get("text"):
            problem(_line(item, top), "each sign-off attestation needs an id and a text")
            continue
        attestations.append((str(item["id"]), str(item["text"])))
    if any(r.attest for r in requirements) and not attestations:
        problem(top, "requirements ask for attestations (attest: true) but signoff_attestations is empty")
    if problems:
        raise FrameworkError(problems)
    return Framework(fid, str(data["title"]), kind, str(data["modality"]), str(data.get("version", "")),
                     tuple({k: str(v) for k, v in s.items() if k != LINE_KEY} for s in sources),
                     tuple(Section(str(s["id"]), str(s["title"])) for s in sections.values()), tuple(requirements),
                     tuple(rules), bool(data.get("signoff_required", True)),
                     int(levels) if isinstance(levels, int) else None, int(target) if target is not None else None,
                     filename, attestations=tuple(attestations))


def _unknown_keys(item: dict[str, Any], allowed: set[str], what: str, line: int, problem: Any) -> None:
    """Unknown keys are errors: in YAML flow style an unquoted comma in a title silently makes new keys."""
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        problem(line, f"{what}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
                      "(quote titles that contain commas)")


def _check_defaults(sec: dict[str, Any], line: int, problem: Any) -> None:
    _unknown_keys(sec, SECTION_KEYS, f"section {sec.get('id')!r}", line, problem)
    if sec.get("category") and sec["category"] not in CATEGORIES:
        problem(line, f"section {sec['id']!r}: category {sec['category']!r} must be one of {', '.join(CATEGORIES)}")


def _default_section(raw: dict[str, Any], sections: dict[str, Any], so_far: list[Requirement]) -> str:
    """A requirement without ``section`` belongs to the section of the one before it (or the first section)."""
    return so_far[-1].section if so_far else next(iter(sections))


def load_file(path: Path) -> Framework:
    return parse(path.read_text(encoding="utf-8"), str(path))


def lint(paths: Iterable[Path]) -> tuple[list[Framework], list[tuple[str, int, str]]]:
    """Validate files; returns the good frameworks and every problem (file, line, message). Ids must be unique."""
    good: list[Framework] = []
    problems: list[tuple[str, int, str]] = []
    for path in paths:
        try:
            framework = load_file(path)
        except FrameworkError as exc:
            problems.extend(exc.problems)
            continue
        if any(f.id == framework.id for f in good):
            problems.append((str(path), 1, f"framework id {framework.id!r} is used by another file"))
            continue
        good.append(framework)
    return good, problems


def framework_files(directory: Path | None = None) -> list[Path]:
    folder = directory or CONTENT_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"Framework content not found at {folder}; run Scanroom from its checkout.")
    return sorted(folder.glob("*.yaml"))


@lru_cache(maxsize=1)
def _all() -> dict[str, Framework]:
    frameworks, problems = lint(framework_files())
    if problems:
        raise FrameworkError(problems)
    return {f.id: f for f in frameworks}


def all_frameworks() -> list[Framework]:
    return sorted(_all().values(), key=lambda f: f.title)


def get(framework_id: str) -> Framework:
    frameworks = _all()
    if framework_id not in frameworks:
        raise KeyError(f"No framework {framework_id!r}; choose one of {', '.join(sorted(frameworks))}.")
    return frameworks[framework_id]


def with_local(framework: Framework, local: Iterable[Requirement]) -> Framework:
    """The framework plus a programme's local requirements (ids prefixed ``local-``, outside the national rules)."""
    extra = tuple(local)
    if not extra:
        return framework
    sections = framework.sections
    if any(r.section == "local" for r in extra) and all(s.id != "local" for s in sections):
        sections = (*sections, Section("local", "Local requirements"))
    return replace(framework, sections=sections, requirements=(*framework.requirements, *extra), _index={})
