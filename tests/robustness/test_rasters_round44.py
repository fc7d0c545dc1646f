"""Round 44: survey rasters and vectors.

Temperature grids (a land surface temperature in ``K``, a ground or air temperature in
``degF``, as US state surveys and NOAA grids state them) beside a config in another
temperature scale. Ingest knew no offset: a grid stating ``K`` under ``units: degC`` was
told "set 'units: K' (or 'scale:' and 'offset:' to convert them)", no values; a grid
stating ``K`` converted with ``offset: -273.15`` and no ``units:`` was recorded as ``1``
(no unit) with a warning asking for ``units:``; a conversion the wrong way round
(``offset: 273.15``, or ``scale: 1.8`` and ``offset: 32`` for a grid in ``degF``) made
every value wrong, exit 0, without a word; and a mosaic of a sheet in ``K`` beside one in
``degC`` was told to "convert one of them to the other's units", no command.
``layers.unit_shift`` gives the scale and offset between kelvin, degrees Celsius and
degrees Fahrenheit, and the raster units checks use it.

A band stating a unit followed by its name in brackets (``m (metres)``, ``nT
(nanotesla)``) was read as a product (square metres) and warned of under ``units: m``;
a DEM stating a height above a named datum (``m ODN``, ``mAOD``, ``ft NAVD88``, ``m
EGM96``) was warned of as another unit than ``m`` (only ``m a.s.l.``, ``m AHD`` and a
few more were metres, and for the model check only). Both are now their length.

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster of
SYNTHETIC one-band float32 GeoTIFFs written with rasterio (their band's units set), and
``plan_raster`` on two SYNTHETIC sheets (2026-12-06). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from .conftest import Sandbox
from .test_rasters_round33 import _plan, _sheets  # plan_raster of two sheets' units

GRID = (np.arange(1600, dtype="float32").reshape(40, 40) / 40 + 280).astype("float32")
"""SYNTHETIC temperatures, 280 to 320 in the band's own scale."""


def _grid(box: Sandbox, stated: str, dtype: str = "float32") -> str:
    """Write :data:`GRID` as ``temp.tif`` whose band states ``stated``; its name."""
    path = box.root / "temp.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype=dtype, crs="EPSG:32619",
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(GRID.astype(dtype), 1)
        dst.units = (stated,)
    return path.name


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, dtype: str = "float32",
            **source: Any) -> tuple[str, xr.DataArray]:
    """Ingest a SYNTHETIC grid stating ``stated`` under the source's keys ``source``;
    what the run printed (one line) and the layer (the run must succeed, the values as
    the scale and offset make them)."""
    box.write_job(sources=[{"kind": "raster", "name": "temp", "path": _grid(box, stated, dtype),
                            **source}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err
    layer = xr.open_zarr(box.out / "cube.zarr")["temp"]
    np.testing.assert_allclose(
        layer.values, GRID.astype(dtype) * source.get("scale", 1.0) + source.get("offset", 0.0),
        rtol=1e-6)
    assert box.untouched()
    return " ".join((result.out + result.err).split()), layer


@pytest.mark.parametrize(("stated", "units", "said"), [
    ("K", "degC", "'offset: -273.15' to convert them to degC (degC = K - 273.15)"),
    ("degF", "degC", "'scale: 0.555555555556' and 'offset: -17.7777777778' to convert them "
     "to degC (degC = degF x 0.555555555556 - 17.7777777778)"),
    ("°F", "K", "'scale: 0.555555555556' and 'offset: 255.372222222' to convert them to K "
     "(K = °F x 0.555555555556 + 255.372222222)"),
    ("\u2109", "degC", "'scale: 0.555555555556' and 'offset: -17.7777777778' to convert "
     "them to degC (degC = \u2109 x 0.555555555556 - 17.7777777778)"),   # one character
], ids=["K-degC", "degF-degC", "symbol-F-K", "one-character-F-degC"])
def test_a_temperature_in_another_scale_is_told_its_offset(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        said: str) -> None:
    """Before: a land surface temperature grid stating ``K`` under ``units: degC`` was
    told "set 'units: K' (or 'scale:' and 'offset:' to convert them)", no values (a
    temperature has an offset, and none was known). Now the warning gives them."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert f"set 'units: {stated}' (or {said})" in text, text[-3000:]


@pytest.mark.parametrize(("stated", "source", "recorded"), [
    ("K", {"offset": -273.15}, "degC"),
    ("degF", {"scale": 0.5556, "offset": -17.78}, "degC"),   # to a config's four digits
], ids=["K-offset", "degF-scale-offset"])
def test_a_temperature_converted_by_its_offset_records_the_scale(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, source: dict[str, float],
        recorded: str) -> None:
    """Before: a grid stating ``K`` ingested with ``offset: -273.15`` and no ``units:`` was
    recorded as ``1`` (no unit) with "gives no 'units:'; the cube records '1'". Now the
    temperature scale the offset converts into is recorded, without a word."""
    text, layer = _ingest(sandbox, cli, scheduler, stated, **source)
    assert "gives no 'units:'" not in text, text[-3000:]
    assert layer.attrs["units"] == recorded


@pytest.mark.parametrize(("stated", "source", "said"), [
    ("K", {"units": "degC", "offset": 273.15},
     "converts them to degC with 'offset: 273.15', but degC = K - 273.15: 293.15 K is "
     "read as 566.3 degC, not 20; set 'offset: -273.15'"),
    ("degF", {"units": "degC", "scale": 1.8, "offset": 32.0},
     "converts them to degC with 'scale: 1.8' and 'offset: 32', but degC = degF x "
     "0.555555555556 - 17.7777777778: 68 degF is read as 154.4 degC, not 20; set 'scale: "
     "0.555555555556' and 'offset: -17.7777777778'"),
], ids=["offset-sign", "celsius-to-fahrenheit"])
def test_a_temperature_converted_the_wrong_way_is_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, source: dict[str, Any],
        said: str) -> None:
    """Before: a grid stating ``K`` under ``units: degC`` with ``offset: 273.15`` (the sign
    the other way round) read 20 °C as 566.3, exit 0, without a word (the units check is
    silent where a scale or offset is given). Now the warning gives the right keys."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, **source)
    assert said in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units"), [
    ("\u00b0K", "K"),           # kelvin with a degree sign, as older grids write it
    ("\u2109", "degF"),         # the degree Fahrenheit as one character
], ids=["degree-K", "one-character-F"])
def test_a_temperature_in_another_spelling_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: a grid stating ``°K`` under ``units: K`` was told "band 1 states its units
    as '°K', but source 'temp' says 'units: K' ... set 'units: °K'": one unit warned of
    as another (``℉`` under ``degF`` too). Now nothing is said."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


def test_temperature_sheets_in_kelvin_and_celsius_are_told_the_command(
        tmp_path: Path) -> None:
    """Before: a mosaic of a sheet stating ``degC`` beside one stating ``K`` was refused
    with "convert one of them to the other's units", no command (a scale alone could
    not convert them). Now the refusal gives the ``gdal_calc.py`` with the offset."""
    from prospect.errors import DataError

    with pytest.raises(DataError, match="state other units") as caught:
        _plan(scenes=_sheets(tmp_path, "degC", "K"))
    assert 'gdal_calc.py -A e.tif --calc "A-273.15" --outfile e_degC.tif, then ' \
        "gdal_edit.py -units degC on it" in str(caught.value), caught.value


def test_control_a_temperature_converted_rightly_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a grid stating ``K`` under ``units: degC`` with ``offset: -273.15`` (right)
    is read without a word, as before."""
    text, layer = _ingest(sandbox, cli, scheduler, "K", units="degC", offset=-273.15)
    assert "states its units" not in text, text[-3000:]
    assert layer.attrs["units"] == "degC"


def test_control_packed_temperatures_are_not_checked_by_their_offset(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: an integer band stating ``K`` (its packed values' unit, as a product's
    DNs state it) under ``units: degC`` with ``scale: 0.02`` and ``offset: -273.15``
    (packed 0.02 K) is not warned of: its values read are not in the stated unit."""
    text, _ = _ingest(sandbox, cli, scheduler, "K", dtype="uint16", units="degC",
                      scale=0.02, offset=-273.15)
    assert "states its units" not in text, text[-3000:]


def test_control_a_temperature_gradient_is_still_told_its_scale_alone(
        tmp_path: Path) -> None:
    """Control: a gradient stating ``degF/km`` under ``units: degC/km`` (a difference of
    temperatures: no offset) is told its scale alone, as before."""
    from .test_rasters_round33 import _write

    path = _write(tmp_path / "w.tif", np.full((40, 40), 30.0, "f4"),
                  transform=from_origin(500000, 1350400, 10, 10))
    with rasterio.open(path, "r+") as dst:
        dst.units = ("degF/km",)
    _, said = _plan(path=str(path), units="degC/km")
    assert len(said) == 1 and "'scale: 0.555555555556' to convert them" in said[0], said
    assert "offset:" not in said[0].split("(or ")[1]


# --- a unit followed by its name in brackets ----------------------------------------------


@pytest.mark.parametrize(("stated", "units"), [
    ("m (metres)", "m"),              # a DEM's band, as a survey's export labels it
    ("nT (nanotesla)", "nT"),         # a magnetic grid's
    ("K (kelvin)", "kelvin"),
    ("metres [m]", "m"),
], ids=["m-metres", "nT-nanotesla", "K-kelvin", "metres-m"])
def test_a_unit_with_its_name_in_brackets_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: a DEM stating ``m (metres)`` under ``units: m`` was told "band 1 states its
    units as 'm (metres)', but source 'temp' says 'units: m' ... set 'units: m
    (metres)'": the brackets were taken as a product, ``m (metres)`` as square metres.
    Now a unit followed by its own name is that unit: nothing is said."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


def test_a_unit_with_its_name_in_brackets_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a DEM stating ``ft (feet)`` under ``units: m`` was told "'scale:' and
    'offset:' to convert them", no factor (square feet are no length). Now the warning
    gives 0.3048."""
    text, _ = _ingest(sandbox, cli, scheduler, "ft (feet)", units="m")
    assert "'scale: 0.3048' to convert them to m (1 ft (feet) = 0.3048 m)" in text, \
        text[-3000:]


def test_sheets_of_a_unit_with_and_without_its_name_are_one_layer(tmp_path: Path) -> None:
    """Before: a mosaic of a DEM sheet stating ``m (metres)`` beside one stating ``m`` was
    refused, exit 1, as files that "state other units". Now they are one layer."""
    layers, said = _plan(scenes=_sheets(tmp_path, "m (metres)", "m"))
    assert layers[0].units in ("m", "m (metres)") and not said, said


def test_a_model_takes_a_unit_with_its_name_in_brackets_as_that_unit() -> None:
    """Before: a model trained on ``nT`` refused a cube in ``nT (nanotesla)`` ("units 'nT
    (nanotesla)', model needs 'nT'"). One unit to ingest and the model alike."""
    from prospect.registry.schema import schema_differences

    from .test_rasters_round38 import _cube, _schema

    assert schema_differences(_cube("nT (nanotesla)"), _schema("nT")) == []


@pytest.mark.parametrize(("stated", "units"), [
    ("m (m2)", "m"),                  # brackets holding another unit: not a name
    ("m NAVD88", "ft"),               # a height above a datum in another length
], ids=["m-m2", "m-NAVD88-ft"])
def test_control_brackets_holding_no_name_of_the_unit_are_still_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Control: a band stating ``m (m2)`` under ``units: m`` is warned of, as before (the
    brackets hold no name of the unit before them), and so is a DEM stating ``m NAVD88``
    under ``units: ft``."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" in text, text[-3000:]


def test_control_a_denominator_in_brackets_is_still_a_denominator() -> None:
    """Control: ``W/(m K)`` (a thermal conductivity) is ``W/m/K``, as before."""
    from prospect.ingest.layers import unit_key

    assert unit_key("W/(m K)") == unit_key("W/m/K") == unit_key("W m-1 K-1")


# --- a height above a named vertical datum ------------------------------------------------


@pytest.mark.parametrize(("stated", "units"), [
    ("m ODN", "m"),           # a British LiDAR DTM (Ordnance Datum Newlyn)
    ("mAOD", "m"),            # "above Ordnance Datum", as one word
    ("m \u00fc. NHN", "m"),   # a German DGM (über Normalhöhennull)
    ("ft NAVD88", "ft"),      # a US DEM
    ("m EGM96", "m"),         # heights above a geoid model
    ("m (MSL)", "m"),
], ids=["m-ODN", "mAOD", "m-NHN", "ft-NAVD88", "m-EGM96", "m-bracketed-MSL"])
def test_a_height_above_a_named_datum_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: a DEM stating ``m ODN`` under ``units: m`` was told "band 1 states its
    units as 'm ODN', but source 'temp' says 'units: m' ... set 'units: m ODN'": the
    datum was read as a unit of its own (``m a.s.l.``, ``m AHD`` and ``m NAP`` were
    metres, other datums not). Now a height above a named datum is its length."""
    text, _ = _ingest(sandbox, cli, scheduler, stated, units=units)
    assert "states its units" not in text, text[-3000:]


def test_a_height_in_feet_above_a_datum_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a DEM stating ``ft NAVD88`` under ``units: m`` was told "'scale:' and
    'offset:' to convert them", no factor. Now the warning gives 0.3048."""
    text, _ = _ingest(sandbox, cli, scheduler, "ft NAVD88", units="m")
    assert "'scale: 0.3048' to convert them to m (1 ft NAVD88 = 0.3048 m)" in text, \
        text[-3000:]


def test_a_model_takes_a_height_above_a_named_datum_as_its_length() -> None:
    """Before: a model trained on ``m`` refused a cube of a DEM in ``m ODN`` ("units 'm
    ODN', model needs 'm'"), as it took ``m AHD``. One unit to ingest and the model."""
    from prospect.registry.schema import schema_differences

    from .test_rasters_round38 import _cube, _schema

    assert schema_differences(_cube("m ODN"), _schema("m")) == []
