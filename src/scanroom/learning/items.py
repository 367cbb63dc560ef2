"""Assessment items: the six types, their answer keys, scoring, and what the browser may see.

Types (content/SCHEMA.md): single (one option), multiple (the exact set), numeric (value within an absolute
or relative tolerance, in a stated unit), hotspot (a click inside a digital patient's organ mask on a
rendered view), labelling (a structure name for each marker the engine places), ordering (the options in
the keyed order). Scoring is dichotomous (correct or not) so the responses feed classical item analysis and
IRT; labelling also reports the fraction of markers named right. The key never leaves this module through
:func:`public_view`: answers stay on the server until the response is submitted.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ITEM_TYPES", "MODALITIES", "TOPICS", "LEVELS", "Item", "ImageSpec", "NumericKey", "ItemProblem", "Result",
    "parse_item", "score", "public_view", "response_from_form", "display_order",
]

ITEM_TYPES = ("single", "multiple", "numeric", "hotspot", "labelling", "ordering")
MODALITIES = ("xray", "ct", "mri", "us", "nm", "general")
TOPICS = ("physics", "anatomy", "acquisition", "qa", "radiation-safety", "mr-safety", "patient-care", "contrast",
          "image-processing", "ai")
LEVELS = ("entry", "intermediate", "advanced")
VIEWS = ("axial", "coronal", "sagittal")
ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9._:-]{1,119}$")
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


class ItemProblem(ValueError):
    """An item or a response that cannot be used; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NumericKey:
    value: float
    tolerance: float
    kind: str = "absolute"  # absolute | relative
    unit: str = ""

    def accepts(self, x: float) -> bool:
        allowed = self.tolerance * abs(self.value) if self.kind == "relative" else self.tolerance
        return abs(x - self.value) <= allowed * (1 + 1e-9) + 1e-12

    def describe(self) -> str:
        tol = f"± {self.tolerance * 100:g}%" if self.kind == "relative" else f"± {self.tolerance:g}"
        return f"{_fmt(self.value)} {self.unit}".strip() + f" ({tol})"


@dataclass(frozen=True)
class ImageSpec:
    """What picture the item shows: a digital patient's view (hotspot, labelling) or a stored render."""

    kind: str = "patient"  # patient | mri | png
    patient: str = "adult-male"
    view: str = "coronal"
    region: str = "chest"
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Item:
    item_id: str
    type: str
    stem: str
    key: Any
    modality: str
    topic: str
    level: str
    objective: str
    source: str
    explanation: str = ""
    options: tuple[str, ...] = ()
    image: ImageSpec | None = None
    origin: str = "authored"  # authored | generated
    path: str = ""
    line: int = 0
    module: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def structures(self) -> tuple[str, ...]:
        if self.type == "hotspot":
            return (str(self.key),)
        if self.type == "labelling":
            return tuple(self.key)
        return ()


@dataclass(frozen=True)
class Result:
    correct: bool
    score: float  # 0..1 (labelling: fraction of markers named right; others 0 or 1)
    expected: str  # the key, in words, shown after submission


def _fmt(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1e5 else f"{x:.4e}"


def _index(value: Any, n: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ItemProblem(field, f"answer must be a 0-based option index (0–{n - 1}), got {value!r}")
    if not 0 <= value < n:
        raise ItemProblem(field, f"answer index {value} is out of range: there are {n} options (0–{n - 1})")
    return value


def _options(raw: Mapping[str, Any], minimum: int) -> tuple[str, ...]:
    options = raw.get("options")
    if not isinstance(options, list) or len(options) < minimum:
        raise ItemProblem("options", f"needs a list of at least {minimum} options")
    texts = tuple(str(o).strip() for o in options)
    if any(not t for t in texts):
        raise ItemProblem("options", "an option is empty")
    if len(set(texts)) != len(texts):
        raise ItemProblem("options", "two options have the same text")
    return texts


def _image(raw: Mapping[str, Any]) -> ImageSpec:
    spec = raw.get("image")
    if not isinstance(spec, Mapping):
        raise ItemProblem("image", "needs image: {kind: patient, patient: ..., view: ..., region: ...}")
    kind = str(spec.get("kind", "patient"))
    if kind != "patient":
        raise ItemProblem("image", f"image kind must be 'patient', got {kind!r}")
    view = str(spec.get("view", "coronal"))
    if view not in VIEWS:
        raise ItemProblem("image", f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    return ImageSpec(kind=kind, patient=str(spec.get("patient", "adult-male")), view=view,
                     region=str(spec.get("region", "chest")))


def _numeric_key(answer: Any) -> NumericKey:
    if not isinstance(answer, Mapping):
        raise ItemProblem("answer", "numeric answer must be {value, tolerance, tolerance_kind, unit}")
    try:
        value = float(answer["value"])
        tolerance = float(answer.get("tolerance", 0.0))
    except (KeyError, TypeError, ValueError):
        raise ItemProblem("answer", f"numeric answer needs a number 'value' and 'tolerance', got {dict(answer)!r}") \
            from None
    kind = str(answer.get("tolerance_kind", "absolute"))
    if kind not in ("absolute", "relative"):
        raise ItemProblem("answer", f"tolerance_kind must be absolute or relative, got {kind!r}")
    if not math.isfinite(value) or not math.isfinite(tolerance) or tolerance < 0:
        raise ItemProblem("answer", "value must be finite and tolerance a non-negative number")
    if kind == "relative" and tolerance >= 1:
        raise ItemProblem("answer", "a relative tolerance is a fraction (0.05 = 5%), below 1")
    return NumericKey(value, tolerance, kind, str(answer.get("unit", "") or ""))


def parse_key(item_type: str, raw: Mapping[str, Any]) -> tuple[Any, tuple[str, ...], ImageSpec | None]:
    """The typed answer key, the options and the image of a raw item (raises ItemProblem)."""
    answer = raw.get("answer")
    if answer is None:
        raise ItemProblem("answer", "the answer key is missing")
    if item_type == "single":
        options = _options(raw, 2)
        return _index(answer, len(options), "answer"), options, None
    if item_type == "multiple":
        options = _options(raw, 2)
        if not isinstance(answer, list) or not answer:
            raise ItemProblem("answer", "multiple: answer must be a non-empty list of option indices")
        keys = frozenset(_index(a, len(options), "answer") for a in answer)
        if len(keys) != len(answer):
            raise ItemProblem("answer", "multiple: an index is repeated")
        return keys, options, None
    if item_type == "ordering":
        options = _options(raw, 2)
        if not isinstance(answer, list) or sorted(a for a in answer if isinstance(a, int)) != list(range(len(options))):
            raise ItemProblem("answer", f"ordering: answer must list every option index 0–{len(options) - 1} "
                                        f"once, in the correct order; got {answer!r}")
        return tuple(answer), options, None
    if item_type == "numeric":
        return _numeric_key(answer), (), None
    if item_type == "hotspot":
        structure = answer.get("structure") if isinstance(answer, Mapping) else None
        if not isinstance(structure, str) or not structure.strip():
            raise ItemProblem("answer", "hotspot: answer must be {structure: <label name>}")
        return structure.strip(), (), _image(raw)
    if item_type == "labelling":
        labels = answer.get("labels") if isinstance(answer, Mapping) else None
        options = _options(raw, 2)
        if not isinstance(labels, list) or len(labels) < 2:
            raise ItemProblem("answer", "labelling: answer must be {labels: [structure, structure, ...]}")
        labels_t = tuple(str(s).strip() for s in labels)
        missing = [s for s in labels_t if s not in options]
        if missing:
            raise ItemProblem("answer", f"labelling: {', '.join(missing)} not among the options")
        if len(set(labels_t)) != len(labels_t):
            raise ItemProblem("answer", "labelling: a structure is listed twice")
        return labels_t, options, _image(raw)
    raise ItemProblem("type", f"type must be one of {', '.join(ITEM_TYPES)}, got {item_type!r}")


def parse_item(raw: Mapping[str, Any], *, path: str = "", line: int = 0, module: str = "") -> Item:
    """Validate one raw item mapping (YAML) into an :class:`Item`; raises ItemProblem naming the field."""
    if not isinstance(raw, Mapping):
        raise ItemProblem("item", "each item must be a mapping (id, type, stem, ...)")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
        raise ItemProblem("id", f"id must be kebab-case text, got {item_id!r}")
    item_type = raw.get("type")
    if item_type not in ITEM_TYPES:
        raise ItemProblem("type", f"type must be one of {', '.join(ITEM_TYPES)}, got {item_type!r}")
    stem = raw.get("stem")
    if not isinstance(stem, str) or not stem.strip():
        raise ItemProblem("stem", "stem (the question) is missing")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ItemProblem("source", "source is missing: every item cites where its answer comes from")
    for name, allowed in (("modality", MODALITIES), ("topic", TOPICS), ("level", LEVELS)):
        if raw.get(name) not in allowed:
            raise ItemProblem(name, f"{name} must be one of {', '.join(allowed)}, got {raw.get(name)!r}")
    objective = raw.get("objective")
    if not isinstance(objective, str) or "/" not in objective:
        raise ItemProblem("objective", f"objective must be '<lesson-id>/<n>', got {objective!r}")
    key, options, image = parse_key(str(item_type), raw)
    return Item(item_id=item_id, type=str(item_type), stem=stem.strip(), key=key, modality=str(raw["modality"]),
                topic=str(raw["topic"]), level=str(raw["level"]), objective=objective, source=source.strip(),
                explanation=str(raw.get("explanation") or "").strip(), options=options, image=image, path=path,
                line=line, module=module)


def display_order(item: Item) -> list[int]:
    """Option order shown to the examinee: shuffled for ordering items (else the keyed order would show),
    stable per item so a reloaded page looks the same."""
    n = len(item.options)
    if item.type != "ordering":
        return list(range(n))
    seed = int(hashlib.sha256(item.item_id.encode()).hexdigest()[:8], 16)
    order = sorted(range(n), key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    if tuple(order) == tuple(item.key):
        order = order[1:] + order[:1]
    return order


def marker_order(item: Item) -> list[int]:
    """Labelling: marker m (numbered m+1 on the image) sits on structure ``key[marker_order[m]]``."""
    n = len(item.key) if item.type == "labelling" else 0
    return sorted(range(n), key=lambda i: hashlib.sha256(f"{item.item_id}:m{i}".encode()).hexdigest())


def public_view(item: Item) -> dict[str, Any]:
    """What the browser may see before submission: never the key, the explanation or the structure names."""
    view: dict[str, Any] = {"id": item.item_id, "type": item.type, "stem": item.stem, "modality": item.modality,
                            "topic": item.topic, "level": item.level}
    if item.type in ("single", "multiple", "ordering", "labelling"):
        order = display_order(item)
        view["options"] = [{"index": i, "text": item.options[i]} for i in order]
    if item.type == "numeric":
        view["unit"] = item.key.unit
    if item.type in ("hotspot", "labelling") or item.extra.get("image_url"):
        view["image_url"] = item.extra.get("image_url") or f"/classroom/items/{item.item_id}/image.png"
    if item.type == "labelling":
        view["markers"] = len(item.key)
    return view


def parse_number(text: Any, unit: str = "") -> float:
    """A typed number (comma or point decimal, optional trailing unit equal to the key's)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    match = _NUMBER.match(str(text or ""))
    if not match:
        raise ItemProblem("response", "Type a number, e.g. 4.2")
    rest = match.group(2)
    if rest and unit and rest.replace(" ", "").lower() != unit.replace(" ", "").lower():
        raise ItemProblem("response", f"Give the number in {unit} (without other units)")
    if rest and not unit:
        raise ItemProblem("response", "Type only a number")
    return float(match.group(1).replace(",", "."))


def _int_list(value: Any, n: int) -> list[int]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value.strip()) if v]
    if not isinstance(value, list | tuple):
        raise ItemProblem("response", "Choose the options")
    try:
        out = [int(v) for v in value]
    except (TypeError, ValueError):
        raise ItemProblem("response", "Options are given by their numbers") from None
    if any(not 0 <= v < n for v in out):
        raise ItemProblem("response", "An option number is out of range")
    return out


def score(item: Item, response: Any) -> Result:
    """Score a response (raises ItemProblem for a response that cannot be read, e.g. empty)."""
    if response is None or response == "" or response == []:
        raise ItemProblem("response", "No answer given")
    if item.type == "single":
        chosen = _int_list([response] if not isinstance(response, list) else response, len(item.options))
        if len(chosen) != 1:
            raise ItemProblem("response", "Choose one option")
        return Result(chosen[0] == item.key, float(chosen[0] == item.key), item.options[item.key])
    if item.type == "multiple":
        chosen_set = set(_int_list(response, len(item.options)))
        ok = chosen_set == set(item.key)
        return Result(ok, float(ok), "; ".join(item.options[i] for i in sorted(item.key)))
    if item.type == "ordering":
        order = _int_list(response, len(item.options))
        if sorted(order) != list(range(len(item.options))):
            raise ItemProblem("response", "Put every option in the order once")
        ok = tuple(order) == tuple(item.key)
        return Result(ok, float(ok), " → ".join(item.options[i] for i in item.key))
    if item.type == "numeric":
        x = parse_number(response, item.key.unit)
        ok = item.key.accepts(x)
        return Result(ok, float(ok), item.key.describe())
    if item.type == "hotspot":
        from scanroom.learning import images

        if not isinstance(response, Mapping) or "x" not in response or "y" not in response:
            raise ItemProblem("response", "Click on the image")
        try:
            x, y = float(response["x"]), float(response["y"])
        except (TypeError, ValueError):
            raise ItemProblem("response", "Click on the image") from None
        ok = images.hit(item, x, y)
        return Result(ok, float(ok), f"the {item.key}")
    if item.type == "labelling":
        names = list(response) if isinstance(response, list | tuple) else []
        order = marker_order(item)
        if len(names) != len(order):
            raise ItemProblem("response", f"Name all {len(order)} markers")
        right = sum(1 for m, k in enumerate(order) if str(names[m]) == item.key[k])
        expected = "; ".join(f"{m + 1}: {item.key[k]}" for m, k in enumerate(order))
        return Result(right == len(order), right / len(order), expected)
    raise ItemProblem("type", f"unknown item type {item.type!r}")


def response_from_form(item: Item, form: Mapping[str, Any], prefix: str = "") -> Any:
    """Turn page form fields (``answer``, ``answer_x``/``answer_y``, ``marker_<m>``) into a response."""
    name = f"{prefix}answer"
    getlist = getattr(form, "getlist", None)
    if item.type == "multiple":
        values = getlist(name) if getlist else form.get(name, [])
        return [int(v) for v in (values if isinstance(values, list) else [values]) if str(v).isdigit()]
    if item.type == "ordering":
        raw = form.get(name, "")
        if isinstance(raw, str) and raw.strip():
            return [int(v) for v in re.split(r"[,\s]+", raw.strip()) if v.isdigit()]
        positions = {i: form.get(f"{prefix}position_{i}") for i in range(len(item.options))}
        if any(not str(p or "").isdigit() for p in positions.values()):
            return None
        return [i for i, _p in sorted(positions.items(), key=lambda kv: int(str(kv[1])))]
    if item.type == "hotspot":
        x, y = form.get(f"{name}_x"), form.get(f"{name}_y")
        return {"x": x, "y": y} if x not in (None, "") and y not in (None, "") else None
    if item.type == "labelling":
        names = [str(form.get(f"{prefix}marker_{m}", "") or "") for m in range(len(item.key))]
        return names if any(names) else None
    value = form.get(name)
    if item.type == "single":
        return int(str(value)) if str(value or "").isdigit() else None
    return value


def describe_response(item: Item, response: Any) -> str:
    """A response in words, for results pages."""
    if response is None:
        return "(no answer)"
    try:
        if item.type == "single":
            return item.options[int(response if not isinstance(response, list) else response[0])]
        if item.type == "multiple":
            return "; ".join(item.options[int(i)] for i in response)
        if item.type == "ordering":
            return " → ".join(item.options[int(i)] for i in response)
        if item.type == "hotspot":
            return f"click at ({float(response['x']):.0f}, {float(response['y']):.0f})"
        if item.type == "labelling":
            return "; ".join(f"{m + 1}: {n or '—'}" for m, n in enumerate(response))
    except (TypeError, ValueError, IndexError, KeyError):
        return str(response)
    return str(response)


def chosen_options(item: Item, response: Any) -> Sequence[int]:
    """Option indices a response chose (distractor analysis of single/multiple items)."""
    try:
        if item.type == "single":
            return [int(response[0] if isinstance(response, list) else response)]
        if item.type == "multiple":
            return [int(i) for i in response]
    except (TypeError, ValueError, IndexError):
        return []
    return []
