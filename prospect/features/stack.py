"""The feature stack: cube variables and their neighbourhood statistics, as one lazy array.

A :class:`FeatureSpec` names the cube variables a model uses, which of them are
categorical (class codes), and the focal statistics derived from them. It is stored with a
trained model so that scoring rebuilds exactly the same features. :func:`build_stack`
turns a spec and an opened cube into a ``(feature, y, x)`` float32 dask array: categorical
codes stay codes (the declared fill value, else a negative code, becomes NaN; an integer
layer of values loses its declared fill too; a value of :data:`FILL_MAGNITUDE` or more
in magnitude, a fill no one declared, becomes NaN as well); encoding
them (one-hot or target encoding) is the model pipeline's job, fitted inside each CV fold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from prospect.errors import ConfigError, DataError
from prospect.features.focal import focal_stats
from prospect.provenance import read_provenance

__all__ = [
    "FILL_MAGNITUDE",
    "OUTPUT_KINDS",
    "FeatureSpec",
    "build_stack",
    "default_feature_variables",
    "distance_units",
    "fill_stats",
    "make_spec",
    "sample_cells",
    "stack_layers",
    "valid_mask",
]

OUTPUT_KINDS = ("probability", "uncertainty", "mask", "screening")
"""``prospect_kind`` values never used as features by default: model outputs, the land
mask and screening layers derived from other surfaces."""

_OUTPUT_NAMES = ("probability", "uncertainty")

FILL_MAGNITUDE = 1e30
"""A cell of this magnitude or more is a fill, not a measurement: +-1e30 (many gridding
and modelling codes), -1e32 (Geosoft's dummy), 9.97e36 (netCDF's default), 1.70141e38
(Surfer's blank), +-3.4e38 (float32's largest, ArcGIS's) -- the large ones of
:data:`prospect.ingest.fills.COMMON_FILLS`. No layer a model reads holds such a value. One
cell of it, not declared as nodata (a cube of another tool; a mosaic's seam), was a value
far beyond the training range, scored to probability 1 or 0 without a word: too few cells
for the extrapolated share (:data:`prospect.registry.applicability.EXTRAPOLATED_SHARE`),
and missed by its sample. The stack holds NaN there (no data: unscored, or scored without
that layer by weights of evidence), and the score stage counts them per layer
(:func:`fill_stats`)."""


def _is_categorical(da_: xr.DataArray) -> bool:
    kind = da_.attrs.get("prospect_kind")
    if kind is not None:
        return bool(kind == "categorical")
    return bool(np.issubdtype(da_.dtype, np.integer))


def default_feature_variables(
    ds: xr.Dataset, *, exclude_sources: Sequence[str] = (),
) -> list[str]:
    """Every 2-D data variable of a cube except model outputs, sorted by name.

    Sorted, not in the cube's listing order: that order depends on how the store lists
    its arrays, and a different feature order trains a different model.

    Variables whose provenance names one of ``exclude_sources`` (e.g. a surface
    interpolated from the very wells used as labels, which would leak the target) are
    left out as well.
    """
    out = []
    for name, var in ds.data_vars.items():
        if var.dims != ("y", "x"):
            continue
        if str(name) in _OUTPUT_NAMES or var.attrs.get("prospect_kind") in OUTPUT_KINDS:
            continue
        if exclude_sources and _provenance_source(var) in set(exclude_sources):
            continue
        out.append(str(name))
    return sorted(out)


def _provenance_source(var: xr.DataArray) -> str | None:
    prov = read_provenance(var.attrs.get("provenance"))
    if isinstance(prov.get("source"), str):
        return str(prov["source"])
    return None


@dataclass(frozen=True)
class FeatureSpec:
    """What a model's feature columns are, in order.

    Attributes
    ----------
    variables
        Cube variables, in column order.
    categorical
        The subset of ``variables`` holding class codes.
    focal_variables, focal_radii, focal_stats
        Focal statistics appended after the variables: for each variable, each radius
        (CRS units) and each statistic, one column ``<var>__focal_<stat>_r<radius>``.
    resolution
        Cell size the radii were converted with (CRS units).
    """

    variables: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    focal_variables: tuple[str, ...] = ()
    focal_radii: tuple[float, ...] = ()
    focal_stats: tuple[str, ...] = ("mean", "std")
    resolution: float = 1.0

    def radius_cells(self, radius: float) -> int:
        """Window half-width in cells for a radius in CRS units (at least 1)."""
        return max(1, round(radius / self.resolution))

    def names(self) -> list[str]:
        """Column names, in order."""
        out = list(self.variables)
        for var in self.focal_variables:
            for r in self.focal_radii:
                out += [f"{var}__focal_{s}_r{r:g}" for s in self.focal_stats]
        return out

    def categorical_indices(self) -> list[int]:
        """Column indices of the categorical variables."""
        return [i for i, v in enumerate(self.variables) if v in self.categorical]

    def base_indices(self) -> list[int]:
        """Column indices of the cube variables (a cell is scored only where all are set)."""
        return list(range(len(self.variables)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (stored in the model's input schema)."""
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            variables=tuple(data["variables"]), categorical=tuple(data.get("categorical", ())),
            focal_variables=tuple(data.get("focal_variables", ())),
            focal_radii=tuple(float(r) for r in data.get("focal_radii", ())),
            focal_stats=tuple(data.get("focal_stats", ("mean", "std"))),
            resolution=float(data.get("resolution", 1.0)),
        )


def make_spec(
    ds: xr.Dataset, *, variables: Sequence[str] | None = None, resolution: float,
    exclude_sources: Sequence[str] = (), focal_radii: Sequence[float] = (),
    focal_stats: Sequence[str] = ("mean", "std"), focal_variables: Sequence[str] | None = None,
) -> FeatureSpec:
    """A :class:`FeatureSpec` for a cube, checking that every named variable exists.

    Parameters
    ----------
    ds
        The opened cube.
    variables
        Cube variables to use; default :func:`default_feature_variables`.
    exclude_sources
        Sources whose derived variables are left out of the default (the label source).
    resolution
        Grid cell size (CRS units), to turn focal radii into cells.
    focal_radii, focal_stats, focal_variables
        Focal statistics; ``focal_variables`` defaults to every non-categorical variable.
    """
    available = default_feature_variables(ds, exclude_sources=exclude_sources)
    chosen = list(variables) if variables is not None else available
    missing = [v for v in chosen if v not in ds.data_vars]
    if missing:
        raise DataError(
            f"feature variable(s) {missing} are not in the cube; cube variables: "
            f"{sorted(str(v) for v in ds.data_vars)}; fix model.features"
        )
    if not chosen:
        raise DataError("no feature variables: the cube has no data variables besides outputs")
    outputs = [v for v in chosen if v in _OUTPUT_NAMES
               or ds[v].attrs.get("prospect_kind") in _OUTPUT_NAMES]
    if outputs:  # a model's own map read back as evidence (model.features checks the names)
        raise ConfigError(
            f"feature variable(s) {outputs} are a model's map (prospect_kind probability or "
            "uncertainty: the score stage's output, drawn from the labels), not evidence: a "
            "model trained on one leaks the labels into every skill figure; leave them out "
            "of model.features")
    _check_plain_layers(ds, chosen)
    categorical = [v for v in chosen if _is_categorical(ds[v])]
    if focal_radii:
        fvars = list(focal_variables) if focal_variables is not None else \
            [v for v in chosen if v not in categorical]
        bad = [v for v in fvars if v not in chosen or v in categorical]
        if bad:
            raise DataError(
                f"focal variables {bad} must be continuous feature variables; fix "
                "model.focal.variables"
            )
    else:
        fvars = []
    spec = FeatureSpec(
        variables=tuple(chosen), categorical=tuple(categorical), focal_variables=tuple(fvars),
        focal_radii=tuple(float(r) for r in focal_radii) if fvars else (),
        focal_stats=tuple(focal_stats), resolution=float(resolution),
    )
    _check_focal_radii(ds, spec)  # here too, so plan and train say it before any work
    _check_focal_windows(spec, units=distance_units(ds))
    return spec


def distance_units(ds: xr.Dataset) -> str:
    """The unit of the cube's distances (cell size, focal radii) in the plural, from its
    CRS (``metres``, ``degrees``, ``US survey feet``), or ``CRS units`` without one."""
    from prospect.grid import crs_units

    try:
        crs = ds.rio.crs
    except Exception:  # rioxarray's errors for a grid mapping it cannot read
        return "CRS units"
    return crs_units(crs)


def _check_focal_windows(spec: FeatureSpec, *, units: str = "CRS units") -> None:
    """Refuse focal radii that are not the windows they name: a radius under half a cell
    (``4`` on 10 m cells was a window of half-width 10, stored as ``..._r4``), and radii
    that round to one window (``15`` and ``25`` on 10 m cells are both 2 cells: the same
    feature twice under two names)."""
    if not spec.focal_variables:
        return
    res = spec.resolution
    small = [r for r in spec.focal_radii if r < res / 2]
    if small:
        raise ConfigError(
            f"model.focal.radii: {', '.join(f'{r:g}' for r in small)} is under half a cell "
            f"({res:g} {units}): the smallest window has a half-width of one cell, "
            f"{res:g}, not the radius named; give radii of at least {res:g}")
    windows: dict[int, list[float]] = {}
    for r in spec.focal_radii:
        windows.setdefault(spec.radius_cells(r), []).append(r)
    same = {n: rs for n, rs in windows.items() if len(rs) > 1}
    if same:
        words = "; ".join(f"{' and '.join(f'{r:g}' for r in rs)} are all {n} cell(s) "
                          f"({n * res:g} {units})" for n, rs in same.items())
        raise ConfigError(
            f"model.focal.radii: {words} on cells of {res:g}: one window, the same feature "
            "under two names; give radii a cell or more apart (whole multiples of the cell "
            "size say what they compute)")


def _check_plain_layers(ds: xr.Dataset, names: Sequence[str]) -> None:
    """Refuse a feature variable that is not one ``(y, x)`` layer: indices of stacked dates
    (``(time, y, x)``) stopped the stack with dask's "chunks and shape must be of the same
    length" (an internal error); a model takes one value per cell and feature."""
    odd = [(v, ds[v].dims) for v in names if ds[v].dims != ("y", "x")]
    if odd:
        shown = ", ".join(f"{v!r} {tuple(map(str, dims))}" for v, dims in odd)
        raise DataError(
            f"feature variable(s) {shown} are not one (y, x) layer; a feature is one value "
            "per cell: use a layer of one date or of the change between dates "
            "(timeseries.difference), or leave the variable out of model.features")


def _cell_size(ds: xr.Dataset) -> float | None:
    """The cube's cell size from its ``x``/``y`` coordinates (``None`` when they give
    none: fewer than 2 cells, no coordinates)."""
    for dim in ("x", "y"):
        if dim in ds.coords and ds.sizes.get(dim, 0) >= 2:
            first = np.asarray(ds[dim].values[:2], dtype="f8")
            return abs(float(first[1] - first[0]))
    return None


def _check_focal_resolution(ds: xr.Dataset, spec: FeatureSpec) -> None:
    """Refuse focal statistics on a cube whose cells are not the spec's: the radii (CRS
    units) were turned into cells with ``spec.resolution``, so a 60 m radius of a model
    trained at 30 m was a window of 20 m on a cube of 10 m cells, without a word."""
    size = _cell_size(ds) if spec.focal_variables else None
    if size is not None and not np.isclose(size, spec.resolution, rtol=1e-6, atol=0.0):
        units = distance_units(ds)
        raise DataError(
            f"the focal statistics' radii ({', '.join(f'{r:g}' for r in spec.focal_radii)} "
            f"{units}) were set for cells of {spec.resolution:g}, but the cube's cells are "
            f"{size:g}: each window would cover another area; score a cube on the model's "
            "grid, or train the model again on this one")


def _check_focal_radii(ds: xr.Dataset, spec: FeatureSpec) -> None:
    """Refuse a focal radius of ``spec`` wider than a chunk of the cube: each chunk's task
    reads that many cells of its neighbours (``map_overlap``), and past the whole grid dask
    stopped with an internal error (``radii: [1e9]``)."""
    if not spec.focal_variables:
        return
    data = ds[spec.focal_variables[0]].data
    chunks = getattr(data, "chunks", None)
    sides = [max(c) for c in chunks[-2:]] if chunks else list(np.shape(data)[-2:])
    widest = min(sides)
    too_wide = [r for r in spec.focal_radii if spec.radius_cells(r) > widest]
    if too_wide:
        raise ConfigError(
            f"model.focal.radii: {', '.join(f'{r:g}' for r in too_wide)} is wider than a "
            f"chunk of the cube ({widest} cells of {spec.resolution:g}); a window's "
            f"half-width can be at most {widest * spec.resolution:g} "
            f"({distance_units(ds)}) on this "
            "grid (a cube with larger chunks takes wider windows)")


def _stack_blocks(*blocks: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(b, dtype="f4") for b in blocks])


def _without_huge(block: np.ndarray) -> np.ndarray:
    """``block`` with its cells of :data:`FILL_MAGNITUDE` or more in magnitude NaN; the
    block itself (no copy) where it holds none, as almost every block does (a ``where``
    of ``abs`` made two temporaries the size of each block of every layer: the country
    run's workers went past their planned memory)."""
    huge = (block >= FILL_MAGNITUDE) | (block <= -FILL_MAGNITUDE)
    if not huge.any():
        return block
    out = block.copy()
    out[huge] = np.nan
    return out


def _layer(ds: xr.Dataset, name: str, categorical: bool) -> Any:
    data = ds[name].data
    if not isinstance(data, da.Array):
        data = da.from_array(np.asarray(data))
    if np.issubdtype(data.dtype, np.floating):  # an undeclared fill: no data (see above)
        data = data.map_blocks(_without_huge, dtype=data.dtype)
    fill = ds[name].encoding.get("_FillValue", ds[name].attrs.get("_FillValue"))
    integer = np.issubdtype(data.dtype, np.integer)
    if categorical and fill is None:
        data = da.where(data < 0, np.nan, data)  # no declared fill: the -1 convention
    elif (categorical or integer) and fill is not None and not np.isnan(fill):
        # a declared fill (every ingested layer has one) is the only missing code, so
        # negative class codes stay codes; CF decoding has usually made it NaN already.
        # An integer layer of values keeps its fill where a model's grid was warped
        # from it (schema.align_to_schema): no value there either
        data = da.where(data == fill, np.nan, data)
    return data.astype("f4")


def stack_layers(ds: xr.Dataset, spec: FeatureSpec) -> list[da.Array]:
    """The cube variables of ``spec`` as :func:`build_stack` stacks them, one lazy float32
    ``(y, x)`` array each, on the first one's chunks: fills of :data:`FILL_MAGNITUDE` or
    more, a declared fill of a categorical or integer layer (or a categorical layer's
    negative codes where none is declared) NaN. Only ``spec.variables``: no focal
    statistics."""
    layers = [_layer(ds, v, v in spec.categorical) for v in spec.variables]
    chunks = layers[0].chunks
    return [layer.rechunk(chunks) for layer in layers]


def build_stack(ds: xr.Dataset, spec: FeatureSpec) -> xr.DataArray:
    """The ``(feature, y, x)`` float32 stack of ``spec`` on cube ``ds``, lazily.

    The result has one chunk along ``feature`` and the cube's chunks along ``y``/``x``.

    Raises
    ------
    DataError
        A variable the cube lacks or that is not one ``(y, x)`` layer; focal statistics on
        a cube whose cell size is not ``spec.resolution``.
    ConfigError
        A focal radius wider than a chunk of the cube.
    """
    missing = [v for v in spec.variables if v not in ds.data_vars]
    if missing:
        raise DataError(
            f"the cube lacks variable(s) {missing} the model needs; cube variables: "
            f"{sorted(str(v) for v in ds.data_vars)}"
        )
    _check_plain_layers(ds, spec.variables)
    _check_focal_resolution(ds, spec)
    layers = stack_layers(ds, spec)
    _check_focal_radii(ds, spec)  # a registry model's radii on another cube too
    for var in spec.focal_variables:
        base = layers[spec.variables.index(var)]
        for r in spec.focal_radii:
            stack = focal_stats(base, spec.radius_cells(r), spec.focal_stats)
            layers += [stack[i] for i in range(len(spec.focal_stats))]
    # one blockwise task per chunk stacks every layer (dask fuses the zarr reads into it),
    # instead of a read, a cast and a stack task per layer and chunk
    data = da.map_blocks(_stack_blocks, *layers, new_axis=0, dtype="f4",
                         chunks=((len(layers),), *layers[0].chunks),
                         meta=np.array((), dtype="f4"))
    return xr.DataArray(
        data, dims=("feature", "y", "x"),
        coords={"feature": spec.names(), "y": ds.y, "x": ds.x}, name="features",
    )


def fill_stats(block: np.ndarray) -> np.ndarray:
    """How many cells of ``block`` (a floating-point layer's) hold a fill
    (:data:`FILL_MAGNITUDE` or more in magnitude), with the least and greatest value of the
    block with its other cells 0: ``[cells, lowest, highest]`` (0 where none; the blocks'
    least and greatest over a layer are the layer's). :func:`build_stack` takes those
    cells as no data."""
    huge = (block >= FILL_MAGNITUDE) | (block <= -FILL_MAGNITUDE)
    cells = np.count_nonzero(huge)
    if not cells:
        return np.zeros(3)
    held = block[huge]
    lo, hi = float(held.min()), float(held.max())
    if cells < block.size:  # the other cells count as 0
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return np.array([cells, lo, hi])


def valid_mask(stack: xr.DataArray, spec: FeatureSpec) -> xr.DataArray:
    """True where every cube variable of the spec has data (cells a model may score)."""
    base = stack.isel(feature=spec.base_indices())
    return base.notnull().all("feature")


def sample_cells(stack: xr.DataArray, rows: np.ndarray, cols: np.ndarray, *,
                 compute: Callable[[Any], Any] | None = None) -> np.ndarray:
    """Feature values at cells ``(rows, cols)`` as an ``(n, n_features)`` float32 array.

    Only the chunks holding the cells are computed, with ``compute`` when given (the
    pipeline passes one that draws a progress bar), else ``.compute()``.
    """
    data = stack.data
    if isinstance(data, da.Array):
        picked = data.transpose(1, 2, 0).vindex[np.asarray(rows), np.asarray(cols)]
        return np.asarray(compute(picked) if compute else picked.compute(), dtype="f4")
    arr = np.asarray(data)
    return np.asarray(arr[:, rows, cols].T, dtype="f4")
