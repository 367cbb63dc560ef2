"""The Classroom's content: curriculum, lessons (Markdown + YAML front matter) and authored items (YAML),
loaded with line numbers and linted.

Layout and fields: ``content/SCHEMA.md``. ``load`` never raises for bad content: every file that does not
parse or breaks a rule becomes a :class:`Problem` naming file and line, and only what is valid is used
(half-written files from the content writers do not take the Classroom down). ``scanroom content lint``
prints the problems and fails on errors.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from scanroom.learning import yamlines
from scanroom.learning.items import LEVELS, MODALITIES, TOPICS, Item, ItemProblem, parse_item

__all__ = ["Problem", "Objective", "Lesson", "Module", "ProgrammePlan", "Content", "load", "get_content",
           "content_root", "MODULES", "lint"]

MODULES = ("xray-physics", "ct-physics", "mri-physics", "ultrasound-physics", "nm-physics", "anatomy-for-imaging",
           "radiation-protection", "mr-safety", "contrast-safety", "quality-assurance", "image-processing",
           "ai-in-imaging", "patient-care")
ROOMS = ("xray", "ct", "mri")
LESSON_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_LINK = re.compile(r"\]\(lesson:([^)\s]*)\)")
FIGURE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def content_root() -> Path:
    """``SCANROOM_CONTENT_DIR`` or the checkout's ``content/`` folder."""
    env = os.environ.get("SCANROOM_CONTENT_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "content"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Objective:
    objective_id: str
    text: str
    lesson_id: str
    competencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lesson:
    lesson_id: str
    title: str
    module: str
    modality: str
    topic: str
    level: str
    minutes: int
    objectives: tuple[Objective, ...]
    sources: tuple[str, ...]
    body: str
    path: str
    body_line: int = 1
    try_it: dict[str, Any] | None = None
    read_it: dict[str, Any] | None = None
    key_facts: tuple[tuple[str, str], ...] = ()  # (front, back) cards for spaced review

    def fact(self, number: int) -> tuple[str, str] | None:
        """Key fact ``number`` (1-based), the card ``fact:<lesson-id>:<number>``."""
        return self.key_facts[number - 1] if 1 <= number <= len(self.key_facts) else None

    @property
    def try_it_url(self) -> str | None:
        """The scan-room console with the lesson's preset and settings in the query string."""
        if not self.try_it:
            return None
        room = self.try_it["room"]
        key = {"xray": "exam", "ct": "protocol", "mri": "sequence"}[room]
        query = {key: self.try_it["preset"], **{k: str(v) for k, v in (self.try_it.get("settings") or {}).items()}}
        return f"/scanroom/{room}?{urlencode(query)}"

    @property
    def read_it_url(self) -> str | None:
        if not self.read_it or not self.read_it.get("tags"):
            return None
        return "/reading?" + urlencode({"tags": ",".join(self.read_it["tags"])})


@dataclass(frozen=True)
class Module:
    module_id: str
    title: str
    lessons: tuple[str, ...]


@dataclass(frozen=True)
class ProgrammePlan:
    """Which modules a programme (modality × level, ``store.models.Programme``) covers."""

    modality: str
    level: str
    modules: tuple[str, ...]


@dataclass
class Content:
    root: Path
    lessons: dict[str, Lesson] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    modules: dict[str, Module] = field(default_factory=dict)
    programmes: list[ProgrammePlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def objectives(self) -> dict[str, Objective]:
        return {o.objective_id: o for lesson in self.lessons.values() for o in lesson.objectives}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def modules_for(self, modality: str, level: str) -> list[Module]:
        """Modules of the programme with this modality and level (all modules if it has no plan)."""
        for plan in self.programmes:
            if plan.modality == modality and plan.level == level:
                return [self.modules[m] for m in plan.modules if m in self.modules]
        return list(self.modules.values())

    def items_for_objective(self, objective_id: str) -> list[Item]:
        return [i for i in self.items.values() if i.objective == objective_id]


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, body's first line) of a Markdown file opening with a ``---`` block."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:n]), "".join(lines[n + 1:]), n + 2
    return None


def _check_try_it(spec: Any, add: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        add("try_it", "try_it must be a mapping {room, preset, settings, prompt}")
        return None
    room, preset = spec.get("room"), spec.get("preset")
    if room not in ROOMS:
        add("try_it", f"try_it.room must be one of {', '.join(ROOMS)}, got {room!r}", yamlines.line_of(spec, "room"))
        return None
    from scanroom.scanner.base import ProtocolError, apply_settings
    from scanroom.scanner.registry import get_scanner

    scanner = get_scanner(str(room))
    presets = scanner.presets()
    if preset not in presets:
        add("try_it", f"try_it.preset {preset!r} is not a {room} preset (known: {', '.join(presets)})",
            yamlines.line_of(spec, "preset"))
        return None
    settings = spec.get("settings") or {}
    if not isinstance(settings, Mapping):
        add("try_it", "try_it.settings must be a mapping of console fields")
        return None
    try:
        apply_settings(presets[str(preset)], {str(k): v for k, v in settings.items()})
    except ProtocolError as problem:
        add("try_it", f"try_it.settings: {problem}", yamlines.line_of(spec, "settings"))
        return None
    return {"room": str(room), "preset": str(preset), "settings": dict(settings), "prompt": str(spec.get("prompt", ""))}


def _load_lesson(root: Path, path: Path, problems: list[Problem]) -> Lesson | None:
    rel = _rel(root, path)
    text = path.read_text(encoding="utf-8")
    split = _split_front_matter(text)
    if split is None:
        problems.append(Problem(rel, 1, "a lesson starts with YAML front matter between two '---' lines"))
        return None
    front, body, body_line = split
    try:
        meta, duplicates = yamlines.load(front, line_offset=1)
    except yamlines.YamlProblem as problem:
        problems.append(Problem(rel, problem.line, problem.message))
        return None
    problems.extend(Problem(rel, line, message) for line, message in duplicates)
    if not isinstance(meta, Mapping):
        problems.append(Problem(rel, 2, "front matter must be a mapping (id, title, module, ...)"))
        return None
    bad = False

    def add(key: str, message: str, line: int | None = None) -> None:
        nonlocal bad
        bad = True
        problems.append(Problem(rel, line or yamlines.line_of(meta, key, 2), message))

    lesson_id = meta.get("id")
    if not isinstance(lesson_id, str) or not LESSON_ID.match(lesson_id):
        add("id", f"id must be kebab-case, got {lesson_id!r}")
        return None
    if lesson_id != path.stem:
        add("id", f"id {lesson_id!r} differs from the file name {path.stem!r}")
    if meta.get("module") != path.parent.name:
        add("module", f"module {meta.get('module')!r} differs from the folder {path.parent.name!r}")
    if path.parent.name not in MODULES:
        add("module", f"folder {path.parent.name!r} is not a module ({', '.join(MODULES)})")
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        add("title", "title is missing")
    for name, allowed in (("modality", MODALITIES), ("topic", TOPICS), ("level", LEVELS)):
        if meta.get(name) not in allowed:
            add(name, f"{name} must be one of {', '.join(allowed)}, got {meta.get(name)!r}")
    sources = meta.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        add("sources", "sources: a non-empty list of citations is required")
        sources = []
    objectives: list[Objective] = []
    raw_objectives = meta.get("objectives")
    if not isinstance(raw_objectives, list) or not raw_objectives:
        add("objectives", "objectives: at least one {id, text} is required")
        raw_objectives = []
    for n, raw in enumerate(raw_objectives):
        line = yamlines.line_of(raw_objectives, n, yamlines.line_of(meta, "objectives"))
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("text"), str):
            add("objectives", "each objective needs an id and a text", line)
            continue
        if not re.fullmatch(re.escape(lesson_id) + r"/\d+", raw["id"]):
            add("objectives", f"objective id {raw['id']!r} must be '{lesson_id}/<n>'", line)
            continue
        comps = raw.get("competencies") or []
        objectives.append(Objective(raw["id"], raw["text"].strip(), lesson_id,
                                    tuple(str(c) for c in comps) if isinstance(comps, list) else ()))
    if len({o.objective_id for o in objectives}) != len(objectives):
        add("objectives", "two objectives share an id")
    try_it = _check_try_it(meta.get("try_it"), add)
    read_it = meta.get("read_it")
    if read_it is not None and (not isinstance(read_it, Mapping) or not isinstance(read_it.get("tags"), list)
                                or not read_it["tags"]):
        add("read_it", "read_it must be {tags: [tag, ...]}")
        read_it = None
    facts: list[tuple[str, str]] = []
    raw_facts = meta.get("key_facts") or []
    if not isinstance(raw_facts, list):
        add("key_facts", "key_facts must be a list of {front, back}")
        raw_facts = []
    for n, raw in enumerate(raw_facts):
        if not isinstance(raw, Mapping) or not all(isinstance(raw.get(k), str) and raw[k].strip()
                                                   for k in ("front", "back")):
            add("key_facts", "each key fact needs a front and a back",
                yamlines.line_of(raw_facts, n, yamlines.line_of(meta, "key_facts")))
            continue
        facts.append((raw["front"].strip(), raw["back"].strip()))
    minutes = meta.get("minutes", 10)
    if not isinstance(minutes, int) or not 1 <= minutes <= 240:
        add("minutes", f"minutes must be a whole number 1–240, got {minutes!r}")
        minutes = 10
    for offset, body_text in enumerate(body.splitlines()):
        for match in FIGURE_LINK.finditer(body_text):
            target = match.group(1)
            if not target.startswith(("http://", "https://")) and not (path.parent / target).is_file():
                add("body", f"figure {target!r} not found next to the lesson", body_line + offset)
    if bad:
        return None
    return Lesson(lesson_id=lesson_id, title=meta["title"].strip(), module=path.parent.name,
                  modality=str(meta["modality"]), topic=str(meta["topic"]), level=str(meta["level"]),
                  minutes=int(minutes), objectives=tuple(objectives), sources=tuple(str(s) for s in sources),
                  body=body, path=rel, body_line=body_line, try_it=try_it,
                  read_it={"tags": [str(t) for t in read_it["tags"]]} if read_it else None,
                  key_facts=tuple(facts))


def _check_links(content: Content, raw_bodies: dict[str, tuple[str, str, int]]) -> None:
    """Lesson links ``[text](lesson:id)`` must name an existing lesson (checked after all are loaded)."""
    for rel, body, first in raw_bodies.values():
        for offset, line in enumerate(body.splitlines()):
            for match in LESSON_LINK.finditer(line):
                if match.group(1) not in content.lessons:
                    content.problems.append(Problem(rel, first + offset,
                                                    f"broken lesson link 'lesson:{match.group(1)}'"))


def _load_items(root: Path, path: Path, content: Content, seen: dict[str, str], check_images: bool) -> None:
    rel = _rel(root, path)
    try:
        data, duplicates = yamlines.load(path.read_text(encoding="utf-8"))
    except yamlines.YamlProblem as problem:
        content.problems.append(Problem(rel, problem.line, problem.message))
        return
    content.problems.extend(Problem(rel, line, message) for line, message in duplicates)
    if data is None:
        return
    if not isinstance(data, list):
        content.problems.append(Problem(rel, 1, "an items file is a YAML list of items"))
        return
    module = path.stem
    if module not in MODULES:
        content.problems.append(Problem(rel, 1, f"items file {path.name!r} is not named after a module"))
    for n, raw in enumerate(data):
        line = yamlines.line_of(data, n, 1)
        try:
            item = parse_item(raw, path=rel, line=line, module=module)
        except ItemProblem as problem:
            where = yamlines.line_of(raw, problem.field, line) if isinstance(raw, Mapping) else line
            label = raw.get("id") if isinstance(raw, Mapping) else None
            content.problems.append(Problem(rel, where, f"item {label or '#' + str(n + 1)}: {problem.message}"))
            continue
        if item.item_id in seen:
            content.problems.append(Problem(rel, line, f"item {item.item_id}: id already used in {seen[item.item_id]}"))
            continue
        if content.lessons and item.objective not in content.objectives:
            content.problems.append(Problem(rel, yamlines.line_of(raw, "objective", line),
                                            f"item {item.item_id}: objective {item.objective!r} is in no lesson"))
            continue
        if check_images and item.image is not None:
            from scanroom.learning import images

            try:
                known = images.known_structures(item.image.patient, item.image.region)
                for s in item.structures:
                    if not any(images._matches(name, s) for name in known):
                        raise ItemProblem("answer", f"{s!r} is not a structure of {item.image.patient} in "
                                                    f"{item.image.region}")
                images.render(item.image.patient, item.image.region, item.image.view, item.structures)
            except ItemProblem as problem:
                content.problems.append(Problem(rel, yamlines.line_of(raw, problem.field, line),
                                                f"item {item.item_id}: {problem.message}"))
                continue
        seen[item.item_id] = rel
        content.items[item.item_id] = item


def _load_curriculum(root: Path, content: Content) -> None:
    path = root / "curriculum.yaml"
    titles: dict[str, str] = {}
    if path.is_file():
        rel = _rel(root, path)
        try:
            data, _dups = yamlines.load(path.read_text(encoding="utf-8"))
        except yamlines.YamlProblem as problem:
            content.problems.append(Problem(rel, problem.line, problem.message))
            data = {}
        data = data if isinstance(data, Mapping) else {}
        titles = {str(k): str(v) for k, v in (data.get("modules") or {}).items()}
        for n, plan in enumerate(data.get("programmes") or []):
            if not isinstance(plan, Mapping) or not isinstance(plan.get("modules"), list):
                content.problems.append(Problem(rel, yamlines.line_of(data["programmes"], n, 1),
                                                "programme needs modality, level and modules"))
                continue
            unknown = [m for m in plan["modules"] if m not in MODULES]
            if unknown:
                content.problems.append(Problem(rel, yamlines.line_of(plan, "modules", 1),
                                                f"unknown modules {', '.join(map(str, unknown))}"))
            content.programmes.append(ProgrammePlan(str(plan.get("modality")), str(plan.get("level")),
                                                    tuple(str(m) for m in plan["modules"] if m in MODULES)))
    for module in MODULES:
        lessons = sorted((lesson for lesson in content.lessons.values() if lesson.module == module),
                         key=lambda lesson: (LEVELS.index(lesson.level), lesson.lesson_id))
        content.modules[module] = Module(module, titles.get(module, module.replace("-", " ").capitalize()),
                                         tuple(lesson.lesson_id for lesson in lessons))


def load(root: Path | None = None, *, check_images: bool = False, generated: bool = True) -> Content:
    """Load curriculum, lessons and items under ``root``; problems are collected, never raised."""
    root = Path(root or content_root())
    content = Content(root=root)
    lesson_dir, item_dir = root / "lessons", root / "items"
    bodies: dict[str, tuple[str, str, int]] = {}
    for path in sorted(lesson_dir.glob("*/*.md")) if lesson_dir.is_dir() else []:
        lesson = _load_lesson(root, path, content.problems)
        if lesson is None:
            continue
        if lesson.lesson_id in content.lessons:
            content.problems.append(Problem(lesson.path, 2, f"lesson id {lesson.lesson_id!r} is used twice"))
            continue
        content.lessons[lesson.lesson_id] = lesson
        bodies[lesson.lesson_id] = (lesson.path, lesson.body, lesson.body_line)
    _check_links(content, bodies)
    seen: dict[str, str] = {}
    for path in sorted(item_dir.glob("*.yaml")) if item_dir.is_dir() else []:
        _load_items(root, path, content, seen, check_images)
    _load_curriculum(root, content)
    if generated:
        from scanroom.learning import generated as gen

        for template in gen.TEMPLATES.values():
            if content.lessons and template.objective not in content.objectives:
                content.problems.append(Problem("src/scanroom/learning/generated.py", 1,
                                                f"template {template.template_id}: objective "
                                                f"{template.objective!r} is in no lesson yet", "warning"))
    return content


def _signature(root: Path) -> tuple[Any, ...]:
    files = [p for p in root.rglob("*") if p.suffix in (".md", ".yaml")] if root.is_dir() else []
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=4)
def _cached(root: str, signature: tuple[Any, ...]) -> Content:
    return load(Path(root))


def find_fact(content: Content, card_id: str) -> tuple[Lesson, int, str, str] | None:
    """The lesson and (front, back) of a key-fact card id ``fact:<lesson-id>:<n>``."""
    parts = card_id.split(":")
    if len(parts) != 3 or parts[0] != "fact" or not parts[2].isdigit():
        return None
    lesson = content.lessons.get(parts[1])
    fact = lesson.fact(int(parts[2])) if lesson else None
    if lesson is None or fact is None:
        return None
    return lesson, int(parts[2]), fact[0], fact[1]


def get_content(root: Path | None = None) -> Content:
    """The loaded content, reloaded when a file under ``root`` changes (the web app and CLI use this)."""
    path = Path(root or content_root())
    return _cached(str(path), _signature(path))


def lint(root: Path | None = None, *, check_images: bool = True) -> list[Problem]:
    return load(root, check_images=check_images).problems


def stats(content: Content) -> dict[str, Any]:
    """Counts per item type, topic, modality and module, lessons and objectives (for ``content stats``)."""
    from scanroom.learning import generated as gen

    items = list(content.items.values())
    return {
        "lessons": len(content.lessons),
        "objectives": len(content.objectives),
        "items": len(items),
        "by_type": dict(sorted(Counter(i.type for i in items).items())),
        "by_topic": dict(sorted(Counter(i.topic for i in items).items())),
        "by_modality": dict(sorted(Counter(i.modality for i in items).items())),
        "by_module": dict(sorted(Counter(i.module for i in items).items())),
        "lessons_by_module": {m.module_id: len(m.lessons) for m in content.modules.values()},
        "templates": len(gen.TEMPLATES),
        "objectives_without_items": sorted(set(content.objectives) - {i.objective for i in items}),
        "problems": len(content.errors),
    }
