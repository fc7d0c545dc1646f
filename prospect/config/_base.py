"""Shared pieces of the typed configs: a strict base model and YAML loading with clear errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from prospect.errors import ConfigError

__all__ = [
    "ConfigPath",
    "StrictModel",
    "format_validation_error",
    "load_yaml",
    "repeated",
    "validate_mapping",
]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted (for "must be unique" errors)."""
    return sorted(n for n, k in Counter(names).items() if k > 1)


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Relative paths in a config file are relative to that file's folder."""
    base = (info.context or {}).get("base_dir")
    value = Path(value).expanduser()
    if base is not None and not value.is_absolute():
        return Path(base) / value
    return value


ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A path in a config: resolved against the config file's folder when relative."""


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping from ``path``; any problem becomes a :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys to values, got "
            f"{type(data).__name__}"
        )
    return data


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line per problem: ``source: key.path = value: message``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
        value = err.get("input")
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key '{loc}' (remove it or check its spelling)")
        elif err["type"] == "missing":
            lines.append(f"{source}: missing required key '{loc}'")
        else:
            lines.append(f"{source}: key '{loc}' has bad value {shown}: {msg}")
    return "\n".join(lines)


def validate_mapping(
    model: type[M], data: dict[str, Any], *, source: str, base_dir: Path | None = None
) -> M:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` naming every problem.

    Relative :data:`ConfigPath` values are resolved against ``base_dir``.
    """
    try:
        return model.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
