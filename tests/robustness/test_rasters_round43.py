"""Round 43: survey rasters and vectors.

Gold and silver grades in troy ounces per short ton (``opt``, ``oz/ton``, as North
American assays and grade grids state them), areas in acres or hectares and US water
volumes in acre-feet (``acre-ft``, ``AF/yr``, ``KAF``) were not known: a grade grid stating
``opt`` under ``units: g/t`` was told "set 'units: opt' (or 'scale:' and 'offset:' to
convert them)", no factor; ``opt`` under ``oz/ton`` or ``AF`` under ``acre-ft`` (one unit)
were warned of as other units, and a scale from ``opt`` with no ``units:`` recorded ``1``.
``layers.unit_key`` now reads the troy ounce (``oz``, ``ozt``), the short ton (``ton``),
``opt``, the acre, the hectare and the acre-foot (``AF``, ``acre-ft``, ``ac-ft``,
``acre feet``, ``KAF``/``TAF``, ``MAF``); ``rasters._SCALED_TO`` holds ``m2``, ``ha``,
``m3`` and ``ML``.

A monthly precipitation grid stating ``mm/month`` under ``units: mm/yr``, an age grid in
``Ma`` under ``yr`` and an exhumation rate in ``m/Ma`` under ``mm/yr`` were told to convert
with no factor, and ``Ma`` under ``Myr`` (one unit) was warned of: the month, the week and
geological time (``Ma``, ``ka``, ``Myr``, ``kyr``, ``Gyr``) were units of their own.
A radiometric grid stating ``nGy/h`` under ``uGy/h`` or ``kBq/m2`` under ``Bq/m2`` was
told to convert with no factor: the gray, the sievert and the becquerel took no prefix.

A NetCDF written by xarray from a plain array (evenly spaced ``x``/``y`` without CF
``axis`` or ``standard_name``) was refused as "not evenly spaced ... resample it onto a
regular grid first"; it is now told GDAL needs the attribute, and how to add it. One whose
eastings carry ``axis: X`` without units (GDAL reads them as longitudes moved by 360) was
refused the same way, though GDAL places it rightly; it is now read.

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster of
SYNTHETIC one-band GeoTIFFs written with rasterio (their band's units set) and
classic NetCDFs written with xarray, and by the
model's schema check (``schema_differences``) on SYNTHETIC in-memory cubes (2026-12-06).
Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import pytest
import rioxarray  # noqa: F401  (the cube's .rio accessor, as the model check reads it)
import xarray as xr

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round38 import _cube, _schema  # one layer's cube and schema
from .test_rasters_round42 import _ingest  # a SYNTHETIC grid stating its units, ingested

# --- gold grades in troy ounces per ton; areas and acre-feet ------------------------------


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("opt", "g/t", "34.2857142857"),          # a gold grade grid in troy ounces per ton
    ("oz/ton", "ppm", "34.2857142857"),
    ("acre-ft/yr", "m3/yr", "1233.48183755"),  # a recharge or water-right grid
    ("AF/yr", "ML/yr", "1.23348183755"),
    ("acres", "ha", "0.40468564224"),         # a claim or parcel area
])
def test_a_grade_area_or_volume_in_us_units_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a gold grade grid stating ``opt`` under ``units: g/t`` was told "set
    'units: opt' (or 'scale:' and 'offset:' to convert them)", no factor (the troy ounce,
    the short ton, the acre, the hectare and the acre-foot were not known). Now the
    warning gives the factor."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units"), [
    ("opt", "oz/ton"),           # one grade in an assay's and a grid's spellings
    ("ozt/ton", "opt"),
    ("AF", "acre-ft"),           # one volume in a water agency's spellings
    ("acre feet per year", "ac-ft/yr"),
    ("hectares", "ha"),
    ("gpt", "g/t"),              # grams per tonne as one word, as mining grids write it
    ("g/mt", "ppm"),             # the metric ton as US exports write it
])
def test_a_us_grade_or_volume_in_another_spelling_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: "band 1 states its units as 'opt', but source 'layer' says 'units:
    oz/ton' ... set 'units: opt'": one unit warned of as another. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


@pytest.mark.parametrize(("stated", "scale", "recorded"), [
    ("opt", 34.2857142857, "ppm"),          # a gold grade in troy ounces per ton, to g/t
    ("acre-ft", 1233.48183755, "m3"),       # a storage grid in acre-feet
    ("acres", 0.40468564224, "ha"),
])
def test_a_scale_from_a_grade_or_volume_records_the_converted_unit(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, scale: float,
        recorded: str) -> None:
    """Before: a gold grade grid stating ``opt`` ingested with ``scale: 34.2857142857``
    and no ``units:`` was recorded as ``1`` (no unit) with "gives no 'units:'; the cube
    records '1'". Now the unit the scale converts into is recorded, without a word."""
    text = _ingest(sandbox, cli, scheduler, stated, scale=scale)
    assert "gives no 'units:'" not in text, text[-3000:]
    assert xr.open_zarr(sandbox.out / "cube.zarr")["layer"].attrs["units"] == recorded


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("opt", "oz/ton"),
    ("AF/yr", "acre-ft/yr"),
    ("KAF", "TAF"),              # thousand acre-feet, as western US basins write them
])
def test_a_grade_or_volume_in_another_spelling_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a model trained on ``oz/ton`` refused a cube in ``opt`` ("units 'opt',
    model needs 'oz/ton'"). One unit to ingest and the model alike."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


def test_a_model_tells_the_factor_from_troy_ounces_per_ton() -> None:
    """Before: a model trained on ``g/t`` refused a cube in ``opt`` with the units alone.
    Now its refusal gives the factor ingest knows."""
    from prospect.registry.schema import schema_differences

    found = schema_differences(_cube("opt"), _schema("g/t"))
    assert len(found) == 1, found
    assert "scaled by a factor of 34.2857:" in found[0], found


# --- geological time and a climate grid's month ------------------------------------------


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("mm/month", "mm/yr", "12"),              # a monthly precipitation or recharge grid
    ("m/Ma", "mm/yr", "0.001"),               # an exhumation or uplift rate grid
    ("Ma", "yr", "1000000"),                  # an age grid (geochronology, crustal age)
])
def test_a_month_or_geological_time_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a precipitation grid stating ``mm/month`` under ``units: mm/yr`` was told
    "set 'units: mm/month' (or 'scale:' and 'offset:' to convert them)", no factor (the
    month, ``Ma`` and ``Myr`` were units of their own). Now the warning gives the
    factor."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units"), [
    ("Ma", "Myr"),               # an age grid: mega-annum, as geochronology writes it
    ("m/Ma", "m/Myr"),
    ("ka", "kiloyears"),
])
def test_geological_time_in_another_spelling_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: "band 1 states its units as 'Ma', but source 'layer' says 'units: Myr' ...
    set 'units: Ma'": one unit warned of as another. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


def test_a_scale_from_a_monthly_grid_records_the_yearly_unit(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a grid stating ``mm/month`` ingested with ``scale: 12`` and no ``units:``
    was recorded as ``1`` (no unit). Now it is recorded as ``mm/yr``."""
    text = _ingest(sandbox, cli, scheduler, "mm/month", scale=12.0)
    assert "gives no 'units:'" not in text, text[-3000:]
    assert xr.open_zarr(sandbox.out / "cube.zarr")["layer"].attrs["units"] == "mm/yr"


def test_an_age_in_ka_is_one_unit_with_kyr_to_a_model() -> None:
    """Before: a model trained on ``kyr`` refused a cube in ``ka`` ("units 'ka', model
    needs 'kyr'")."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube("ka"), _schema("kyr")) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("mA", "Ma"),                # the milliampere is no mega-annum
    ("ppm Ga", "ppm Gyr"),       # gallium, a grade's element, is no giga-annum
    ("ppm Mo", "ppm month"),     # molybdenum is no month
    ("g/ton", "g/t"),            # grams per short ton are no grams per tonne
    ("mha", "ha"),               # the hectare takes no prefix
    ("t", "ton"),                # the tonne is no short ton
    ("ha", "h"),                 # the hectare is no hour
    ("Mt", "t"),                 # the megatonne is no metric ton
])
def test_units_that_are_not_one_stay_apart(cube_units: str, model_units: str) -> None:
    """Control: the short ton and the tonne, the hectare and the hour stay apart, no
    prefix makes a hectare of another unit, and the milliampere and the elements gallium
    and molybdenum are no geological time or month."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []


# --- radiometric dose rates and activities in another prefix -------------------------------


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("nGy/h", "uGy/h", "0.001"),              # an airborne gamma-ray survey's dose rate
    ("kBq/m2", "Bq/m2", "1000"),              # a fallout (Cs-137) deposition map
    ("uSv/h", "nSv/h", "1000"),               # a ground survey's ambient dose rate
])
def test_a_dose_rate_or_activity_in_another_prefix_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a radiometric grid stating ``nGy/h`` under ``units: uGy/h`` was told "set
    'units: nGy/h' (or 'scale:' and 'offset:' to convert them)", no factor: the gray, the
    sievert and the becquerel were units no prefix was taken off. Now the warning gives
    the factor."""
    text = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("Bq", "Hz"),                # an activity is no frequency
    ("nGy/h", "nSv/h"),          # an absorbed dose is no equivalent dose
    ("Gyr", "Gy"),               # a billion years are no gray
])
def test_radiometric_units_that_are_not_one_stay_apart(
        cube_units: str, model_units: str) -> None:
    """Control: the becquerel and the hertz, the gray and the sievert, the giga-year and
    the gray stay apart (no factor between them)."""
    from prospect.ingest.layers import unit_factor
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []
    assert unit_factor(cube_units, model_units) is None


# --- a NetCDF whose evenly spaced x/y carry no CF axis attributes --------------------------


def _netcdf(box: Sandbox, x_attrs: dict[str, str], y_attrs: dict[str, str],
            steps: tuple[float, float] = (10.0, 10.0)) -> list[dict[str, Any]]:
    """A SYNTHETIC NetCDF (classic) of a projected grid on the region, as xarray writes a
    plain array: 1-D ``x``/``y`` coordinates with ``x_attrs``/``y_attrs`` (rows north
    first), ``steps`` apart at their start; its source."""
    import numpy as np

    x = 500005.0 + np.concatenate([[0.0], np.cumsum(np.full(39, steps[0]))])
    y = 1350395.0 - np.concatenate([[0.0], np.cumsum(np.full(39, steps[1]))])
    if steps[0] != 10.0:  # a stretched axis: 5 m steps, then 15 m
        x = 500005.0 + np.concatenate([np.arange(20) * 5.0, 100 + np.arange(20) * 15.0])
    xr.Dataset({"grav": (("y", "x"), np.ones((40, 40), "float32"), {"units": "mGal"})},
               coords={"x": ("x", x, x_attrs), "y": ("y", y, y_attrs)}
               ).to_netcdf(box.root / "grav.nc", engine="scipy")
    return [{"kind": "raster", "name": "grav", "path": "grav.nc", "units": "mGal",
             "crs": "EPSG:32619"}]


@pytest.mark.parametrize(("x_attrs", "y_attrs"), [
    ({}, {}),                                   # bare, as xarray writes a plain array
    ({"units": "m"}, {"units": "m"}),           # with units only
    ({"long_name": "easting", "units": "m"}, {"long_name": "northing", "units": "m"}),
], ids=["bare", "units-only", "long-names"])
def test_an_even_netcdf_grid_without_cf_axes_is_told_what_gdal_needs(
        sandbox: Sandbox, cli: Any, scheduler: str, x_attrs: dict[str, str],
        y_attrs: dict[str, str]) -> None:
    """Before: a NetCDF of evenly spaced 10 m ``x``/``y`` coordinates without CF
    ``axis``/``standard_name`` attributes (as xarray writes a plain array) was refused with
    "its x/y coordinate variables are not evenly spaced ... (a stretched or Gaussian grid,
    or a coordinate with a gap or a repeat); resample it onto a regular grid first": they
    are evenly spaced, and resampling cannot help. Now the error says GDAL needs the
    coordinates' CF attributes, and how to add them."""
    sandbox.write_job(sources=_netcdf(sandbox, x_attrs, y_attrs))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "grav.nc", "'x' and 'y' are evenly spaced",
                              "ncatted -a standard_name,x,o,c,projection_x_coordinate -a "
                              "standard_name,y,o,c,projection_y_coordinate grav.nc")
    assert "not evenly spaced" not in line, line
    assert sandbox.untouched()


@pytest.mark.parametrize("attrs", [
    {"axis": "X"},                                     # the CF axis alone, as ncatted adds it
    {"axis": "X", "long_name": "easting"},
], ids=["axis", "axis-long-name"])
def test_an_even_netcdf_grid_marked_by_its_axis_alone_is_read(
        sandbox: Sandbox, cli: Any, scheduler: str, attrs: dict[str, str]) -> None:
    """Before: a NetCDF whose evenly spaced eastings carry the CF ``axis: X`` without
    ``units`` (GDAL places its grid rightly) was refused with "its x coordinates are not
    evenly spaced ... resample it onto a regular grid first": GDAL reads such a coordinate
    as longitudes, moved by 360 (500005 read as 499645). Now it is read, every value in
    its cell."""
    sources = _netcdf(sandbox, attrs, {k: v.replace("X", "Y").replace("easting", "northing")
                                       for k, v in attrs.items()})
    import numpy as np

    values = np.arange(1600, dtype="float32").reshape(40, 40)
    with xr.open_dataset(sandbox.root / "grav.nc", engine="scipy") as ds:
        ds = ds.load()
    ds["grav"].values[:] = values
    ds.to_netcdf(sandbox.root / "grav.nc", engine="scipy")
    sandbox.write_job(sources=sources)
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(sandbox.out / "cube.zarr")["grav"].values,
                                  values)
    assert sandbox.untouched()


def test_a_stretched_netcdf_grid_is_still_told_it_is_not_evenly_spaced(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a NetCDF whose ``x`` steps 5 m, then 15 m (a stretched grid) is still told
    its coordinates are not evenly spaced."""
    sandbox.write_job(sources=_netcdf(sandbox, {}, {}, steps=(5.0, 10.0)))
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "grav.nc", "not evenly spaced")
    assert sandbox.untouched()
