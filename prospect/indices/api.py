"""The public face of the index engine: compute indices on a dataset, list the catalogue."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from prospect.config.indices import SensorConfig
from prospect.errors import ConfigError, DataError, DataWarning
from prospect.indices.bands import load_sensor
from prospect.indices.blocks import (
    compute_arrays,
    compute_dask,
    mask_outside_ranges,
    resolve_backend,
)
from prospect.indices.catalogue import IndexEntry, is_wavelength_term, load_catalogue
from prospect.indices.constants import is_number
from prospect.indices.plan import IndexPlan, plan_indices
from prospect.indices.ranges import (
    cf_range_attrs,
    check_input_kinds,
    check_kernel_scale,
    check_reflectance_ranges,
    warn_empty_indices,
    warn_outside_ranges,
)
from prospect.provenance import is_synthetic, provenance_attr, synthetic_attr

__all__ = ["available_on", "compute_indices", "list_indices", "missing_bands"]


def compute_indices(
    ds: xr.Dataset,
    names: Sequence[str],
    *,
    sensor: str | SensorConfig = "sentinel2",
    custom: Mapping[str, str] | None = None,
    bands: Mapping[str, str] | None = None,
    constants: Mapping[str, float | str | Mapping[str, float | str]] | None = None,
    backend: str = "auto",
    nodata: float | None = None,
    allow_out_of_range: bool = False,
    sample_bands: bool = True,
) -> xr.Dataset:
    """Compute catalogue and custom indices from the band variables of ``ds``.

    Parameters
    ----------
    ds
        Dataset holding the sensor's band variables (e.g. ``B04``, ``B08`` for
        Sentinel-2), all with the same dims; numpy, dask or cupy backed.
    names
        Catalogue index names (``NDVI``, ``CLAY_HYDROXYL``, ...); one name alone may be
        given as a string.
    sensor
        Sensor whose band mapping names the variables (``sentinel2``, ``landsat8``,
        ``landsat7``, ``landsat5``, ``aster``, ``sentinel1``, an alias or a YAML path).
    custom
        Extra indices: name -> formula over common band names and constants.
    bands
        Overrides of the band mapping: common name -> variable of ``ds``.
    constants
        Overrides of constants (``L``, ``g``, ``sigma``, ``PAR``...), for every index or,
        under an index name, for that index only (``{"SAVI": {"L": 0.5}}``);
        ``{"kNDVI": {"sigma": "data"}}`` takes sigma = 0.5 (N + R) per pixel.
    backend
        ``auto`` (cupy for GPU arrays, else the fused numba kernel), ``numba``,
        ``cupy`` or ``reference`` (array-API evaluation).
    nodata
        A band value that means no data besides NaN (e.g. ``0`` or ``-9999`` in raw
        rasters), compared in each band's dtype; such pixels give NaN.
    allow_out_of_range
        Compute even when a reflective input band's median is outside -0.5..1.5; the
        reflective bands of one index must still share one scale (their strided samples'
        medians, read in one computation where the bands are dask-backed).
    sample_bands
        Read the reflective bands' strided sample to check their ranges (or, under
        ``allow_out_of_range``, their scales) and a kernel's ``sigma``; ``False`` only
        where the caller checks the same sample itself (the indices stage takes it from
        its chunk tasks, to read the bands once).

    Returns
    -------
    xarray.Dataset
        One float32 variable per index, named by the index, with the dims, coords and
        chunks of the inputs (dask in, dask out: nothing is computed until asked). A value
        that is not finite, or outside the index's valid range (NDVI of a negative
        reflectance), is NaN.
        Attributes: ``long_name``, ``units`` = ``"1"``, ``prospect_kind`` = ``"index"``,
        ``valid_range`` (a numeric pair, CF) or ``valid_min``/``valid_max`` when known, and
        a JSON ``provenance`` (formula, bands, constants,
        catalogue, catalogue_version, backend, sensor, reference).

    Raises
    ------
    ConfigError
        Unknown index, sensor or backend; a band the sensor does not map.
    FormulaError
        A custom formula outside the whitelist.
    DataError
        A band variable missing from ``ds``, with other dims than the rest or not of real
        numbers; a reflective band whose median is outside -0.5..1.5 (raw DN?) or a radar
        band in decibels, unless ``allow_out_of_range``; reflective bands of one index
        whose medians lie 1000 times apart (digital numbers beside reflectance), also
        under ``allow_out_of_range``, in memory or dask-backed; a kernel's ``sigma`` 100 times
        above or below its bands' median (checked with the medians); a reflective band
        holding an unmarked fill (0 over half of it, -9999) that hid digital numbers or
        that the indices would read as values; a band whose scene (its
        provenance) holds another band than the index reads it as.

    Warns
    -----
    DataWarning
        Among others: an index of in-memory bands that hold data together in no cell (a
        band all NaN or all ``nodata``, or bands that never overlap), NaN in every cell,
        NaN where its value lies beyond float32's 3.4e38 (``N / R * 1e38``), or 0 in
        every cell where its bands hold data (a value nearer 0 than float32 holds,
        ``N ** 2 ** 10``)
        (:func:`~prospect.indices.ranges.warn_empty_indices`; dask results are not
        computed here, and the indices stage says theirs). An index of in-memory bands
        whose value falls outside its valid range in some cells (set to NaN), counted
        with its bands' cells below 0 among them, or that holds a value beside a band
        below 0 in more than 1 % of its cells, in the indices stage's words
        (:func:`~prospect.indices.ranges.warn_outside_ranges`). A value infinite in
        float64 too (``N * 1e300 * 1e300``) is said as the overflow it is.
    """
    sensor_cfg = sensor if isinstance(sensor, SensorConfig) else load_sensor(sensor)
    plan = plan_indices(names, sensor=sensor_cfg, custom=custom, bands=bands,
                        constants=constants)
    _refuse_not_a_dataset(ds, plan)
    given: object = nodata  # as the caller gave it (typed float | None)
    if given is not None and not is_number(given):  # '0' ended in "must be real number"
        raise ConfigError(
            f"indices.nodata: {nodata!r} ({type(nodata).__name__}) is no number; give the "
            "band value that means no data as one number (nodata=0, nodata=-9999), or "
            "None when NaN alone marks it")
    for key, flag in (("allow_out_of_range", allow_out_of_range),
                      ("sample_bands", sample_bands)):  # as the caller gave them
        if not isinstance(flag, bool | np.bool_):  # "no" and "false" are true in Python
            raise ConfigError(
                f"{key}: {flag!r} ({type(flag).__name__}) is not True or False; a "
                "non-empty string such as 'no' is true in Python, so give "
                f"{key}=True or False")
    if not plan.indices:
        return xr.Dataset(coords=ds.coords)
    template = _check_inputs(ds, plan, sensor_cfg)
    _warn_nodata_unheld(ds, plan, nodata)
    check_input_kinds(ds, plan, allow_out_of_range=allow_out_of_range)
    if sample_bands:
        medians = check_reflectance_ranges(ds, plan, nodata=nodata,
                                           allow_out_of_range=allow_out_of_range)
        check_kernel_scale(plan, medians)
    arrays = [ds[v].data for v in plan.inputs]
    concrete = resolve_backend(backend, arrays)
    if any(hasattr(a, "dask") for a in arrays):
        import dask.array as da

        chunks = next(a.chunks for a in arrays if hasattr(a, "dask"))
        arrays = [a if hasattr(a, "dask") else da.from_array(a, chunks=chunks) for a in arrays]
        stacked = compute_dask(plan, arrays, concrete, nodata=nodata)
    else:
        stacked = compute_arrays(plan, arrays, concrete, nodata=nodata, mask_ranges=False)
        outside = warn_outside_ranges(plan, arrays, stacked, nodata)  # counted, then masked
        mask_outside_ranges(stacked, plan, outside=outside)  # by the same compare
        warn_empty_indices(plan, arrays, stacked, nodata)
    synthetic = _is_synthetic(ds, plan)
    dated = _date_sensors(ds, plan)
    # built once from a dict: adding variables one by one copies the Dataset each time
    # (1 000 custom indices took 11 s to plan, 3 000 over 8 minutes)
    layers: dict[str, xr.DataArray] = {}
    for k, item in enumerate(plan.indices):
        provenance = item.provenance(backend=concrete, sensor=sensor_cfg.name)
        if synthetic:
            provenance["synthetic"] = True
        if nodata is not None:
            provenance["nodata"] = nodata
        if dated:
            provenance["sensors"] = dated
        attrs: dict[str, Any] = {
            "long_name": item.long_name, "units": "1", "prospect_kind": "index",
            "provenance": provenance_attr(provenance),
        }
        attrs.update(cf_range_attrs(item.valid_range))
        if synthetic:
            attrs.update(synthetic_attr(True))
        layers[item.name] = xr.DataArray(stacked[k], dims=template.dims,
                                         coords=template.coords, name=item.name, attrs=attrs)
    return xr.Dataset(layers, coords=template.coords)


def _date_sensors(ds: xr.Dataset, plan: IndexPlan) -> dict[str, str]:
    """Date -> the sensor(s) of the scenes the stacked bands of ``plan`` hold on it
    (:func:`prospect.timeseries.bands_date_sensors`: ``{"1990-04-08": "Landsat 4-5 TM",
    "2014-04-19": "Landsat 8-9 OLI"}``), recorded as the provenance's ``sensors``; ``{}``
    for bands of no time axis, or whose scenes name no sensor.

    The provenance's ``sensor`` is the job's band mapping (``indices.sensor``): an index
    of Landsat 5 TM 1990 and Landsat 8 OLI 2014 recorded ``"sensor": "landsat8"`` alone,
    as if both dates were OLI's."""
    from prospect.timeseries import bands_date_sensors

    stacked = [v for v in plan.inputs if v in ds.data_vars and "time" in ds[v].dims]
    if not stacked:
        return {}
    found = bands_date_sensors(ds, stacked)
    return {day: " and ".join(sorted(found[day])) for day in sorted(found)}


def missing_bands(plan: IndexPlan, sensor: str, present: Sequence[str], *,
                  absent: str = "not in the dataset",
                  present_as: str = "variables present",
                  fix: str = "run ingest with those bands or map the common names with "
                             "indices.bands") -> str:
    """Why ``plan`` cannot be computed from the variables ``present``: the band variables
    its indices read that are not there, the common names they stand for, the indices
    that read each, the variables there are and how to map them; ``""`` when every band
    is there.

    One text for the indices stage (a band missing from the cube) and for the job's
    planning (``absent`` and ``present_as`` then say that no source of the job makes it,
    and what ingest makes): planning said nothing of such a band (the stand-in cube
    holds zeros for it), and the run found it after the whole ingest stage.

    Parameters
    ----------
    plan : IndexPlan
        The planned indices.
    sensor : str
        The sensor's name, as the text says it.
    present : sequence of str
        The variables there are (the dataset's, or those the job's ingest makes).
    absent, present_as, fix : str
        How the text says a band is missing, what ``present`` are, and the fix.

    Returns
    -------
    str
        The text, or ``""``.
    """
    missing = [v for v in plan.inputs if v not in present]
    if not missing:
        return ""
    needs = {v: [p.name for p in plan.indices if v in dict(p.bands).values()]
             for v in missing}
    hints = _variants(missing, list(present), plan)
    commons = ", ".join(
        f"{v} = {'/'.join(sorted({c for p in plan.indices for c, w in p.bands if w == v}))}"
        for v in missing)
    return (f"band variable(s) {missing} (common names {commons}) {absent} "
            f"(needed by {needs}, sensor {sensor!r}); {present_as}: {sorted(present)}; "
            + (f"{hints}; " if hints else "") + fix)


def _refuse_not_a_dataset(ds: Any, plan: IndexPlan) -> None:
    """Refuse ``ds`` that is no :class:`xarray.Dataset`, saying how to make one: a
    DataArray of bands along ``band`` (as ``rioxarray.open_rasterio`` opens a multi-band
    GeoTIFF) was ``AttributeError: 'DataArray' object has no attribute 'data_vars'``, and a
    numpy array or a dict of them likewise (round 56).

    Raises
    ------
    DataError
        Naming the type given, the variables the indices read and the conversion.
    """
    if isinstance(ds, xr.Dataset):
        numbered = [v for v in ds.data_vars if not isinstance(v, str)]
        if numbered and any(v not in ds.data_vars for v in plan.inputs):
            raise DataError(
                f"the dataset's variables {numbered[:8]} are named by "
                f"{type(numbered[0]).__name__}, not text (as da.to_dataset(dim='band') "
                "names a multi-band file's bands by their numbers), and the indices read "
                f"{', '.join(repr(v) for v in plan.inputs)}: rename them to the band names "
                f"first, ds.rename({{{numbered[0]!r}: 'B02', ...}}) in the file's band order")
        return
    needed = ", ".join(f"{v!r}" for v in plan.inputs) or "the sensor's band names"
    if isinstance(ds, xr.DataArray):
        if "band" in ds.dims:
            how = (f"a DataArray of {ds.sizes['band']} bands along 'band' (as "
                   "rioxarray.open_rasterio opens a multi-band file) becomes one with "
                   "da.to_dataset(dim='band'), its variables then renamed to the band "
                   "names (.rename({1: 'B02', ...}), in the file's band order)")
        else:
            how = ("a DataArray of one band becomes one with da.to_dataset(name=...), the "
                   "name its band's (and the other bands beside it: xr.Dataset({name: da, "
                   "...}))")
    else:
        how = ("put each band in an xarray.DataArray with its dims and coords, and the "
               "bands in one xr.Dataset({name: band, ...})")
    raise DataError(
        f"compute_indices takes an xarray.Dataset of band variables, not a "
        f"{type(ds).__module__.split('.')[0]}.{type(ds).__name__}; the indices read "
        f"{needed}: {how}")


def _check_inputs(ds: xr.Dataset, plan: IndexPlan, sensor: SensorConfig) -> xr.DataArray:
    why = missing_bands(plan, sensor.name, [str(v) for v in ds.data_vars])
    if why:
        raise DataError(why)
    for v in plan.inputs:
        if ds[v].dtype.kind not in "biuf":  # complex, dates, text: no reflectance
            raise DataError(
                f"band variable {v!r} (needed by "
                f"{[p.name for p in plan.indices if v in dict(p.bands).values()]}) holds "
                f"{ds[v].dtype} values, not real numbers; indices read reflectance or "
                "brightness temperature: map the index's bands to numeric variables "
                "(indices.bands)")
    template = ds[plan.inputs[0]]
    for v in plan.inputs[1:]:
        if ds[v].dims != template.dims or ds[v].shape != template.shape:
            raise DataError(
                f"band variable {v!r} has dims {ds[v].dims} {ds[v].shape}, but "
                f"{plan.inputs[0]!r} has {template.dims} {template.shape}; put the bands on "
                f"one grid first"
            )
    _refuse_coordinate_names(ds, plan, template)
    _refuse_band_names(ds, plan, sensor)
    return template


def _refuse_band_names(ds: xr.Dataset, plan: IndexPlan, sensor: SensorConfig) -> None:
    """Refuse a custom index named like a band variable of ``ds`` (one the indices read,
    or one the sensor maps): ``custom={"B08": "N * 2"}`` was computed, and merging the
    result into the bands (``ds.update(out)``, ``ds.assign(**out)``) replaced the band
    B08 with the index without a word. A job's config refuses an index named like a cube
    variable when it loads (round 25); the library did not (round 51). A catalogue index
    named like a variable (``NDVI`` computed again on a cube holding it) is kept."""
    from prospect.indices.bands import band_variables

    bands = {*plan.inputs, *(v for v in band_variables(sensor).values() if v in ds.data_vars)}
    clash = [item.name for item in plan.indices
             if item.source == "custom" and item.name in bands]
    if clash:
        raise ConfigError(
            f"custom index name(s) {clash} are names of band variables of the dataset "
            f"(the bands of sensor {sensor.name!r} it holds: "
            f"{', '.join(sorted(map(str, bands)))}): merged into the bands, the index "
            "would replace the band; give the custom index another name (e.g. "
            f"{clash[0]}_index)")


def _refuse_coordinate_names(ds: xr.Dataset, plan: IndexPlan, template: xr.DataArray) -> None:
    """Refuse an index named like a dimension or coordinate of the bands (``x``, ``y``,
    ``time``, ``spatial_ref``, a ``band`` coordinate): the index was dropped from the
    result without a word (a custom ``x`` on bands without coordinates), or xarray's
    "found in both data_vars and coords" came out as an internal error. A job's config
    refuses the cube's own coordinate names when it loads
    (:func:`prospect.config._base.check_not_reserved`); a dataset may hold others."""
    taken = {str(n) for n in (*template.dims, *template.coords, *ds.coords)}
    clash = [item.name for item in plan.indices if item.name in taken]
    if clash:
        raise ConfigError(
            f"index name(s) {clash} are names of the dataset's dimensions or coordinates "
            f"({', '.join(sorted(taken))}): an index of that name would replace or lose "
            "them or be lost from the result; give the custom index another name "
            f"(e.g. {clash[0]}_index)")


def _warn_nodata_unheld(ds: xr.Dataset, plan: IndexPlan, nodata: float | None) -> None:
    """A :class:`~prospect.errors.DataWarning` naming each integer input band that cannot
    hold ``nodata`` (``-1`` or ``70000`` for uint16, ``0.5`` for any integer): compared in
    the band's dtype it matches no cell, so the no-data cells (65535, 0...) were computed
    as values, without a word (GDAL warns of such a nodata value too)."""
    import warnings

    import numpy as np

    if nodata is None or math.isnan(nodata):
        return
    unheld = []
    for v in plan.inputs:
        dtype = ds[v].dtype
        if dtype.kind not in "iu":
            continue
        info = np.iinfo(dtype)
        if not (nodata == int(nodata) and info.min <= nodata <= info.max) \
                if math.isfinite(nodata) else True:
            unheld.append(f"{v!r} ({dtype}, {info.min}..{info.max})")
    if unheld:
        warnings.warn(DataWarning(
            f"indices.nodata {nodata:g} is no value of band(s) {', '.join(unheld)}, so no "
            "cell of theirs is taken as no data; give the value the bands' files use for "
            "no data (their GDAL nodata, e.g. 0 or 65535 for uint16)"), stacklevel=3)


_VARIANTS = {
    "B6": ("B6_VCID_1", "B6_VCID_2",
           "Landsat 7's thermal band comes as two gains: B6_VCID_1 (low gain, the whole "
           "range, never saturated over hot ground) and B6_VCID_2 (high gain, finer steps, "
           "saturated above about 320 K)"),
}
"""Cube variables that hold a sensor's band under a product's own name, and what each is."""


def _variants(missing: Sequence[str], present: Sequence[str], plan: IndexPlan) -> str:
    """Words naming the variables of ``present`` that hold a ``missing`` band under a
    product's name (Landsat 7's ``B6_VCID_1``/``B6_VCID_2`` for ``B6``), with the mapping
    that reads one: '' when there is none."""
    out = []
    folded = {p.lower(): p for p in present}
    for variable in missing:
        *names, words = _VARIANTS.get(variable, ("",))
        found = [n for n in names if n in present]
        if not found and variable.lower() in folded:  # 'b04' for B04: names are cased
            held = folded[variable.lower()]
            commons = sorted({c for p in plan.indices for c, v in p.bands if v == variable})
            out.append(f"the cube holds {variable!r} as {held!r} (variable names are "
                       "case-sensitive): read it with indices.bands "
                       f"({', '.join(f'{c}: {held}' for c in commons)})")
            continue
        if found:
            commons = sorted({c for p in plan.indices for c, v in p.bands if v == variable})
            out.append(f"{words}: the cube holds {', '.join(map(repr, found))}; choose one "
                       f"with indices.bands ({', '.join(f'{c}: {found[0]}' for c in commons)})")
    return "; ".join(out)


def _is_synthetic(ds: xr.Dataset, plan: IndexPlan) -> bool:
    return is_synthetic(ds.attrs) or any(is_synthetic(ds[v].attrs) for v in plan.inputs)


def available_on(entry: IndexEntry, sensor: str | SensorConfig) -> bool:
    """True when every band of ``entry`` is in ``sensor``'s band mapping, and the mapping
    gives the central wavelength of each band whose wavelength the formula reads
    (``lambdaN``: FAI, DVIplus): ``prospect indices --list --sensor mine.yaml`` of a
    sensor file without ``wavelength_nm`` listed them, and a job naming one was refused
    ("needs constant 'lambdaN'")."""
    from prospect.indices.bands import wavelengths

    cfg = sensor if isinstance(sensor, SensorConfig) else load_sensor(sensor)
    given = wavelengths(cfg)
    return all(b in cfg.bands for b in entry.bands) and all(
        c in given for c in entry.constants if is_wavelength_term(c))


def list_indices(*, sensor: str | None = None, domain: str | None = None,
                 source: str | None = None) -> list[IndexEntry]:
    """Catalogue entries, optionally only those a sensor can compute or of one domain.

    Parameters
    ----------
    sensor
        Keep indices whose bands the sensor maps (``sentinel2``, ``aster``...).
    domain
        Keep indices of this domain or tag (``vegetation``, ``mineral``, ``alteration``,
        ``geothermal``...); case-insensitive.
    source
        ``awesome-spectral-indices`` or ``prospect-minerals``.

    Raises
    ------
    ConfigError
        An unknown sensor, a domain or tag that no index has, or an unknown source (a
        typo would otherwise list nothing, as if the catalogue had no such index).
    """
    catalogue = list(load_catalogue().values())
    entries = catalogue
    if sensor is not None:
        cfg = load_sensor(sensor)
        entries = [e for e in entries if available_on(e, cfg)]
    if domain is not None:
        d = domain.lower()
        known = sorted({e.domain.lower() for e in catalogue} | {t for e in catalogue
                                                                for t in e.tags})
        if d not in known:
            raise ConfigError(f"no index has the domain or tag {domain!r}; "
                              f"{_domain_meant(d, known)}known: {', '.join(known)}")
        entries = [e for e in entries if e.domain.lower() == d or d in e.tags]
    if source is not None:
        sources = sorted({e.source for e in catalogue})
        if source not in sources:
            raise ConfigError(f"unknown index source {source!r}; known: {', '.join(sources)}")
        entries = [e for e in entries if e.source == source]
    return entries


def _domain_meant(domain: str, known: Sequence[str]) -> str:
    """``"did you mean 'mineral'? "`` for a domain or tag written in the plural, misspelt
    or several at once (``minerals``, ``clays``, ``alteration,vegetation``); ``""`` where
    none is meant. ``--domain minerals`` listed the 31 domains without the one meant."""
    import difflib
    import re

    parts = [p for p in re.split(r"[\s,;+/|]+", domain) if p]
    if len(parts) > 1 and all(p in known for p in parts):
        return (f"one domain or tag at a time: did you mean {parts[0]!r}? (then "
                f"{', '.join(repr(p) for p in parts[1:])} in another listing); ")
    singular = [w for w in (domain[:-1], domain[:-2]) if domain.endswith("s") and w in known]
    near = singular or difflib.get_close_matches(domain, known, n=1, cutoff=0.75)
    return f"did you mean {near[0]!r}? " if near else ""
