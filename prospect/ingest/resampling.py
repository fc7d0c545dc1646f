"""Which GDAL resampling a layer gets, from its kind and the ratio of cell sizes."""

from __future__ import annotations

from typing import Literal

from rasterio.enums import Resampling

from prospect.errors import ConfigError

__all__ = ["COARSENING_RATIO", "ValueKind", "choose_resampling", "resampling_enum"]

ValueKind = Literal["continuous", "categorical"]

COARSENING_RATIO = 1.5
"""Grid cell / source cell size above which a warp counts as coarsening."""


def choose_resampling(
    kind: ValueKind, *, source_res: float, target_res: float, override: str | None = None
) -> str:
    """Name of the resampling for a layer of ``kind`` going from ``source_res`` to ``target_res``.

    Continuous values: ``bilinear``, or ``average`` when the target cells are more than
    :data:`COARSENING_RATIO` times larger than the source cells. Categorical values:
    ``nearest``, or ``mode`` when coarsening. ``override`` (a config choice) wins.

    Parameters
    ----------
    kind
        ``"continuous"`` or ``"categorical"``.
    source_res, target_res
        Cell sizes, both in the target grid's units.
    override
        A resampling name chosen explicitly in the config.
    """
    if override:
        resampling_enum(override)
        return override
    coarsening = target_res > COARSENING_RATIO * source_res
    if kind == "categorical":
        return "mode" if coarsening else "nearest"
    return "average" if coarsening else "bilinear"


def resampling_enum(name: str) -> Resampling:
    """The :class:`rasterio.enums.Resampling` member called ``name``."""
    try:
        return Resampling[name]
    except KeyError:
        allowed = ", ".join(m.name for m in Resampling)
        raise ConfigError(f"unknown resampling {name!r}; use one of {allowed}") from None
