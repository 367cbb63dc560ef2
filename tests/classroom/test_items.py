"""Item types: parsing, scoring, what the browser may see, and image items on the digital patients."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanroom.learning import images
from scanroom.learning.content import load
from scanroom.learning.items import ItemProblem, display_order, marker_order, parse_item, public_view, score

FIXTURES = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture(scope="module")
def items():  # type: ignore[no-untyped-def]
    return load(FIXTURES, generated=False).items


def test_scoring_of_each_type(items) -> None:  # type: ignore[no-untyped-def]
    assert score(items["fx-single"], 3).correct and not score(items["fx-single"], "1").correct
    assert score(items["fx-multiple"], [3, 1, 0]).correct
    assert not score(items["fx-multiple"], [0, 1]).correct  # the exact set, not a subset
    numeric = items["fx-numeric"]
    assert score(numeric, "33.9").correct and not score(numeric, "34.1").correct  # 5% of 32.4 = 1.62
    assert score(numeric, "32,4 mAs").correct
    with pytest.raises(ItemProblem):
        score(numeric, "32.4 mGy")  # a different unit is refused, not silently accepted
    assert score(items["fx-ordering"], [1, 3, 0, 2]).correct and not score(items["fx-ordering"], [3, 1, 0, 2]).correct
    with pytest.raises(ItemProblem):
        score(items["fx-ordering"], [1, 1, 0, 2])
    with pytest.raises(ItemProblem):
        score(items["fx-single"], "")


def test_public_view_never_carries_the_key(items) -> None:  # type: ignore[no-untyped-def]
    for item in items.values():
        view = json.dumps(public_view(item))
        assert "answer" not in view and "explanation" not in view
        if item.type == "numeric":
            assert "32.4" not in view
        if item.type in ("hotspot", "labelling"):
            assert "liver" not in view.replace(item.stem, "") or item.type == "labelling"
    ordering = items["fx-ordering"]
    assert tuple(display_order(ordering)) != tuple(ordering.key)


def test_bad_keys_are_item_problems() -> None:
    base = {"id": "x-1", "stem": "?", "modality": "xray", "topic": "physics", "level": "entry",
            "objective": "l/1", "source": "s"}
    cases = [({"type": "single", "options": ["a", "b"], "answer": 2}, "out of range"),
             ({"type": "multiple", "options": ["a", "b"], "answer": [0, 0]}, "repeated"),
             ({"type": "numeric", "answer": {"value": 1, "tolerance": 2, "tolerance_kind": "relative"}}, "fraction"),
             ({"type": "labelling", "options": ["liver", "spleen"], "answer": {"labels": ["liver", "heart"]},
               "image": {"view": "coronal"}}, "not among the options"),
             ({"type": "hotspot", "answer": {"structure": "liver"}, "image": {"view": "oblique"}}, "view must be")]
    for extra, message in cases:
        with pytest.raises(ItemProblem) as problem:
            parse_item({**base, **extra})
        assert message in problem.value.message


def test_hotspot_scored_against_the_organ_mask(items) -> None:  # type: ignore[no-untyped-def]
    item = items["fx-hotspot"]
    view = images.render("adult-male", "abdomen", "coronal", ("liver",))
    liver = np.isin(view.labels, images.structure_names(view.label_names, "liver"))
    r, c = np.argwhere(liver)[len(np.argwhere(liver)) // 2]
    assert score(item, {"x": (c + 0.5) * view.scale, "y": (r + 0.5) * view.scale}).correct
    outside = np.argwhere(view.labels == 0)[0]
    assert not score(item, {"x": (outside[1] + 0.5) * view.scale, "y": (outside[0] + 0.5) * view.scale}).correct
    picture = Image.open(io.BytesIO(images.png(item)))
    assert picture.size == images.size(item)


def test_labelling_markers_sit_on_their_structures(items) -> None:  # type: ignore[no-untyped-def]
    item = items["fx-labelling"]
    view = images.render("adult-male", "abdomen", "coronal", tuple(item.key))
    order = marker_order(item)
    for (x, y), k in zip(images.markers(item), order, strict=True):
        label = view.labels[int(y // view.scale), int(x // view.scale)]
        assert view.label_names[int(label)].startswith(item.key[k])
    right = [item.key[k] for k in order]
    assert score(item, right).correct
    half = score(item, [right[0], "heart"])
    assert not half.correct and half.score == pytest.approx(0.5)
