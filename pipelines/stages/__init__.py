"""The pipeline stages, in order. Each module exposes ``run(ctx: RunContext) -> StageResult``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from pipelines.context import RunContext, StageResult

if TYPE_CHECKING:
    from prospect.config import JobConfig

__all__ = ["STAGE_ORDER", "get_stage", "located_inputs"]

STAGE_ORDER: tuple[str, ...] = ("ingest", "indices", "screen", "train", "score", "tiles")


def get_stage(name: str) -> Callable[[RunContext], StageResult]:
    """The ``run`` function of stage ``name`` (imported on first use)."""
    if name not in STAGE_ORDER:
        raise KeyError(name)
    module = importlib.import_module(f"pipelines.stages.{name}")
    return module.run


def located_inputs(name: str, job: JobConfig) -> dict[str, str]:
    """The input files of stage ``name`` that ``job`` names by no path, as the stage
    would find them now: what each is found as (``sensors/mysat``: the folder of
    :data:`prospect.config.job.CONFIG_FOLDERS` and the name the config gives) -> its
    path. ``{}`` for a stage that has none (a module without ``located_inputs``).

    Where such a file is depends on the environment (``$PROSPECT_CONFIG_DIR``, the
    installed package), not the config: the manifest records what each input was found
    as and compares the file found as that now with the one a stage was made from
    (:meth:`pipelines.manifest.Manifest.located_changed`).
    """
    if name not in STAGE_ORDER:
        return {}
    module = importlib.import_module(f"pipelines.stages.{name}")
    locate = getattr(module, "located_inputs", None)
    return dict(locate(job)) if callable(locate) else {}
