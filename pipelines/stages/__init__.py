"""The pipeline stages, in order. Each module exposes ``run(ctx: RunContext) -> StageResult``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pipelines.context import RunContext, StageResult

__all__ = ["STAGE_ORDER", "get_stage"]

STAGE_ORDER: tuple[str, ...] = ("ingest", "indices", "screen", "train", "score", "tiles")


def get_stage(name: str) -> Callable[[RunContext], StageResult]:
    """The ``run`` function of stage ``name`` (imported on first use)."""
    if name not in STAGE_ORDER:
        raise KeyError(name)
    module = importlib.import_module(f"pipelines.stages.{name}")
    return module.run
