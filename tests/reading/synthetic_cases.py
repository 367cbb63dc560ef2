"""Synthetic cases shared by the reading tests, each built once per session (building one takes ~1-3 s)."""

from __future__ import annotations

from functools import cache

from scanroom.reading.synthetic import SyntheticCase, SyntheticCaseSpec, build_case

_SETTINGS = (("kvp", "110"), ("aec", "true"), ("aec_chambers", "all"))


def spec(key: str, patient_id: str, seed: int, lesions: tuple[str, ...], target: str = "moderate") -> SyntheticCaseSpec:
    return SyntheticCaseSpec(case_key=key, modality="xray", exam="chest-pa", patient_id=patient_id, seed=seed,
                             lesions=lesions, target_difficulty=target, settings=_SETTINGS)


@cache
def obvious() -> SyntheticCase:
    """A large calcified granuloma and a large solid nodule: the easiest things to see on a chest film."""
    return build_case(spec("t-obvious", "adult-male", 11, ("calcified-nodule:size_mm=15,side=right",
                                                            "lung-nodule:size_mm=28,side=left"), "easy"))


@cache
def subtle() -> SyntheticCase:
    """A small ground-glass nodule: faint against the ribs."""
    return build_case(spec("t-subtle", "adult-female", 12, ("ggo-nodule:size_mm=12,side=left",), "hard"))


@cache
def normal() -> SyntheticCase:
    return build_case(spec("t-normal", "adult-female", 13, ()))
