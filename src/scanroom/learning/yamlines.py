"""YAML that remembers where each value came from, so the content lint can name file *and line*.

A ``yaml.SafeLoader`` subclass whose mappings and sequences are ``dict``/``list`` subclasses carrying the
1-based line of the node and of each key or element (PyYAML node ``start_mark``, see
https://pyyaml.org/wiki/PyYAMLDocumentation, "Constructors, representers, resolvers"). Duplicate keys,
which PyYAML silently accepts (last wins), are recorded as problems.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["LineDict", "LineList", "YamlProblem", "load", "line_of"]


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping with ``line`` (where it starts) and ``key_lines`` (where each key's value starts)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line) if hasattr(self, "key_lines") else self.line


class LineList(list):  # type: ignore[type-arg]
    """A sequence with ``line`` and ``item_lines`` (the line of each element)."""

    line: int = 0
    item_lines: list[int]


class YamlProblem(ValueError):
    """A YAML file that does not parse; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []
        self.line_offset = 0


def _construct_map(loader: _Loader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = LineDict()
    data.line = node.start_mark.line + 1 + loader.line_offset
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
            ) from None
        if key in data:
            loader.duplicates.append((key_node.start_mark.line + 1 + loader.line_offset, f"duplicate key {key!r}"))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = value_node.start_mark.line + 1 + loader.line_offset


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):  # type: ignore[no-untyped-def]
    data = LineList()
    data.line = node.start_mark.line + 1 + loader.line_offset
    data.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load(text: str, *, line_offset: int = 0) -> tuple[Any, list[tuple[int, str]]]:
    """Parse one YAML document; returns the data and the (line, message) of duplicate keys.

    Raises :class:`YamlProblem` with the line of the syntax error. ``line_offset`` shifts every line
    (front matter starts below the opening ``---`` of a Markdown file).
    """
    loader = _Loader(text)
    loader.line_offset = line_offset
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        raise YamlProblem(line, f"YAML does not parse: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1 + line_offset, f"YAML does not parse: {exc}") from None
    finally:
        loader.dispose()
    return data, loader.duplicates


def line_of(container: Any, key: Any = None, default: int = 0) -> int:
    """Line of ``container[key]`` (or of the container itself), ``default`` if unknown."""
    if isinstance(container, LineDict):
        return container.line_of(key) if key is not None else container.line
    if isinstance(container, LineList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return default
