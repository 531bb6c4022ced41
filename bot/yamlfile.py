"""YAML files with line numbers, so every validation problem can say where it is.

`load_yaml` returns the data and a map from each value's path (``("actors", 7, "country")``)
to its line; `validate` runs a pydantic model over the data and turns its errors into
`Problem`s that name the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import ConfigError, Problem

Path_ = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)


class YamlDoc:
    """A parsed YAML document with the line of every node (1-based)."""

    def __init__(self, file: str, data: Any, lines: dict[Path_, int]):
        self.file = file
        self.data = data
        self.lines = lines

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The line of the deepest node on `path` that exists (a missing key points at its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def problem(self, path: Iterable[str | int], message: str) -> Problem:
        path = tuple(path)
        return Problem(self.file, self.line_of(path), format_path(path), message)


def format_path(path: Iterable[str | int]) -> str:
    """``("actors", 7, "country")`` -> ``actors[7].country``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def load_yaml(file: str | Path) -> YamlDoc:
    """Read and parse a YAML file; a missing file or a syntax error is a ConfigError."""
    name = str(file)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, None, "", f"cannot read: {exc}")]) from None
    return parse_yaml(text, name)


# libyaml's parser, when PyYAML was built with it: the rules parse ten times faster, which is
# most of a one-shot command's start-up. A file it refuses is parsed again by the pure-Python
# one, whose messages are the ones users see.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def parse_yaml(text: str, name: str) -> YamlDoc:
    if _FAST_LOADER is not None:
        try:
            return _parse(_FAST_LOADER(text), name)
        except ConfigError:
            pass
    return _parse(yaml.SafeLoader(text), name)


def _parse(loader: Any, name: str) -> YamlDoc:
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(name, None, {})
        lines: dict[Path_, int] = {}
        problems: list[Problem] = []
        _index(node, (), lines, problems, name)
        if problems:
            raise ConfigError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([Problem(name, line, "", f"invalid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return YamlDoc(name, data, lines)


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem],
           name: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(Problem(name, key_node.start_mark.line + 1,
                                        format_path((*path, key)), "duplicate key"))
            seen.add(key)
            _index(value_node, (*path, key), lines, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _index(child, (*path, i), lines, problems, name)


def validate(doc: YamlDoc, model: type[Model]) -> Model:
    """Validate `doc.data` with `model`; every error becomes a located Problem."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            message = _describe(err)
            problems.append(doc.problem(loc, message))
        raise ConfigError(problems) from None


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    message = str(err.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if kind.startswith(("value_error", "assertion_error")) or isinstance(value, dict | list):
        return message
    return f"{value!r}: {message}"
