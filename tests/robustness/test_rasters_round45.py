"""Round 45: survey rasters and vectors (units and vertical datums).

A ground or water temperature grid whose band states its unit as a spreadsheet types the
degree where no ``°`` is at hand (``deg. C``, ``Deg.F``, ``oC``, ``o C``) was read as a
product of two units (``deg`` times coulombs, a unit ``oC`` of its own): under ``units:
degC`` it was warned of as another unit ("set 'units: deg. C'"), under ``units: K`` it
was told no offset, and a model trained on ``degC`` refused a cube in ``oC``.

A DEM stating its heights with the datum in dots and no space (``m.a.s.l.``,
``m.a.m.s.l.``, ``M.A.S.L.``) was read as a product (``m a s L``, ``M`` as mega) by ingest:
under ``units: ft`` it was told no factor. A LiDAR DTM's heights above the ellipsoid
(``m HAE``, ``m (ellipsoidal)``, ``m WGS84``) were warned of as other units than ``m``.

A DEM mosaic of a sheet stating ``m ODN`` beside one stating ``m EGM96`` (``ft NAVD88``
beside ``ft NGVD29``, ``m HAE`` beside ``m EGM96``; sheets whose compound CRSs are
NAVD88's and EGM96's) was taken as one layer, the datums
dropped with the units' words (round 44 made each the length alone): a place's heights
differ between datums, and the mosaic stepped at the seam, exit 0, without a word. It is
now refused with the ``gdalwarp`` that converts one sheet to the other's datum.

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

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round33 import _plan, _sheets  # plan_raster of two sheets' units

GRID = (np.arange(1600, dtype="float32").reshape(40, 40) / 40 + 10).astype("float32")
"""SYNTHETIC values, 10 to 50 (temperatures in degC, heights in metres)."""


def _grid(box: Sandbox, stated: str) -> str:
    """Write :data:`GRID` as ``grid.tif`` whose band states ``stated``; its name."""
    path = box.root / "grid.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(GRID, 1)
        dst.units = (stated,)
    return path.name


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, **source: Any) -> str:
    """Ingest a SYNTHETIC grid stating ``stated`` under the source's keys ``source``; what
    the run printed, on one line (the run must succeed, the values as read)."""
    box.write_job(sources=[{"kind": "raster", "name": "grid", "path": _grid(box, stated),
                            **source}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err
    np.testing.assert_allclose(xr.open_zarr(box.out / "cube.zarr")["grid"].values, GRID,
                               rtol=1e-6)
    assert box.untouched()
    return " ".join((result.out + result.err).split())


@pytest.mark.parametrize("stated", ["deg. C", "Deg.C", "oC", "o C"],
                         ids=["deg-dot-space", "Deg-dot", "small-o", "small-o-space"])
def test_a_temperature_with_a_typed_degree_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str) -> None:
    """Before: a ground temperature grid stating ``deg. C`` (or ``oC``) under ``units:
    degC`` was warned "states its units as 'deg. C', but source 'grid' says 'units:
    degC' ... set 'units: deg. C'" (read as ``deg`` times ``C``, or a unit ``oC``). Now
    the typed degree is the degree Celsius: no warning."""
    text = _ingest(sandbox, cli, scheduler, stated, units="degC")
    assert "states its units" not in text, text[-3000:]


def test_a_temperature_with_a_typed_degree_is_told_its_offset(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a grid stating ``oC`` under ``units: K`` was told "'scale:' and 'offset:'
    to convert them", no values (``oC`` was no temperature). Now it is told the offset."""
    text = _ingest(sandbox, cli, scheduler, "oC", units="K")
    assert "set 'units: oC' (or 'offset: 273.15' to convert them to K (K = oC + " \
        "273.15))" in text, text[-3000:]


@pytest.mark.parametrize("stated", ["m.a.s.l.", "M.A.S.L.", "m.a.m.s.l."],
                         ids=["dots", "capitals", "mean-sea-level"])
def test_a_height_above_sea_level_in_dots_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str) -> None:
    """Before: a DEM stating ``m.a.s.l.`` (dots, no space) under ``units: ft`` was told
    "'scale:' and 'offset:' to convert them", no factor: ingest read it as ``m a s L``
    (``M.A.S.L.`` as mega). Now it is metres: the factor is given."""
    text = _ingest(sandbox, cli, scheduler, stated, units="ft")
    assert f"set 'units: {stated}' (or 'scale: 3.28083989501' to convert them to ft" \
        in text, text[-3000:]


@pytest.mark.parametrize("stated", ["m HAE", "m (ellipsoidal)", "m WGS84"],
                         ids=["HAE", "ellipsoidal", "WGS84"])
def test_a_height_above_the_ellipsoid_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str) -> None:
    """Before: a LiDAR DTM stating ``m HAE`` (height above the ellipsoid, as GNSS-based
    surveys write it) under ``units: m`` was warned "set 'units: m HAE'" (read as metres
    times a unit ``HAE``; ``m WGS84`` as ``WGS`` to the 84th power). Now it is metres."""
    text = _ingest(sandbox, cli, scheduler, stated, units="m")
    assert "states its units" not in text, text[-3000:]


def test_a_model_takes_a_typed_degree_as_degrees_celsius() -> None:
    """Before: a model trained on ``degC`` refused a cube of a grid in ``deg. C`` ("units
    'deg. C', model needs 'degC'"). One unit to ingest and the model."""
    from prospect.registry.schema import schema_differences

    from .test_rasters_round38 import _cube, _schema

    assert schema_differences(_cube("deg. C"), _schema("degC")) == []


@pytest.mark.parametrize(("west", "east", "said"), [
    ("m ODN", "m EGM96",
     "'m ODN' (ODN), {e} 'm EGM96' (EGM96); a place's height differs between datums and "
     "no value is converted, so the layer would step at the sheets' seams; gdalwarp "
     "-s_srs EPSG:32619+5773 -t_srs EPSG:32619+5701 e.tif e_ODN.tif, then gdal_edit.py "
     "-units 'm ODN' on it, or ingest them as sources of their own"),
    ("ft NAVD88", "ft NGVD29",
     "'ft NAVD88' (NAVD88), {e} 'ft NGVD29' (NGVD29); a place's height differs between "
     "datums and no value is converted, so the layer would step at the sheets' seams; "
     "transform e.tif's heights to NAVD88"),
    ("m HAE", "m EGM96",
     "'m HAE' (ellipsoid), {e} 'm EGM96' (EGM96); a place's height differs between datums "
     "and no value is converted, so the layer would step at the sheets' seams; transform "
     "e.tif's heights to the ellipsoid"),
], ids=["ODN-EGM96", "NAVD88-NGVD29", "ellipsoid-EGM96"])
def test_sheets_above_two_vertical_datums_are_refused(
        tmp_path: Path, west: str, east: str, said: str) -> None:
    """Before: a DEM mosaic of a sheet stating ``m ODN`` beside one stating ``m EGM96``
    was planned as one layer in ``m ODN`` without a word (both metres), its heights
    stepping at the seam. Now it is refused, naming both files and their datums."""
    from prospect.errors import DataError

    with pytest.raises(DataError, match="hold heights above other vertical datums") as caught:
        _plan(scenes=_sheets(tmp_path, west, east))
    assert said.format(e=tmp_path / "e.tif") in " ".join(str(caught.value).split()), \
        caught.value


def test_sheets_above_two_vertical_datums_are_refused_under_units(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: the same mosaic under ``units: m`` was ingested, exit 0, as one layer of
    metres (each sheet's ``m ODN`` and ``m EGM96`` is metres). Now the run exits 1 with one
    ``error:`` line naming the files and datums, and writes no cube."""
    for name, unit, left in (("w.tif", "m ODN", 500000), ("e.tif", "m EGM96", 500200)):
        with rasterio.open(sandbox.root / name, "w", driver="GTiff", width=20, height=40,
                           count=1, dtype="float32", crs="EPSG:32619",
                           transform=from_origin(left, 1350400, 10, 10)) as dst:
            dst.write(np.full((40, 20), 120.0, "float32"), 1)
            dst.units = (unit,)
    sandbox.write_job(sources=[{"kind": "raster", "name": "dem", "units": "m",
                                "scenes": [{"path": "w.tif"}, {"path": "e.tif"}]}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "w.tif 'm ODN' (ODN)", "e.tif 'm EGM96' (EGM96)",
                       "gdalwarp -s_srs EPSG:32619+5773 -t_srs EPSG:32619+5701")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


def test_sheets_in_compound_crss_of_two_vertical_datums_are_refused(tmp_path: Path) -> None:
    """Before: a DEM mosaic of a sheet whose compound CRS is NAVD88's (``EPSG:32619+5703``)
    beside one of EGM96's (``+5773``), their bands stating no unit, was planned as one
    layer without a word. Now it is refused with the ``gdalwarp`` between the two."""
    from prospect.errors import DataError

    scenes = _compound_sheets(tmp_path, 5703, 5773)
    with pytest.raises(DataError, match="hold heights above other vertical datums") as caught:
        _plan(scenes=scenes)
    text = " ".join(str(caught.value).split())
    assert "w.tif vertical CRS 'NAVD88 height' (NAVD88)" in text, text
    assert "e.tif vertical CRS 'EGM96 height' (EGM96)" in text, text
    assert "gdalwarp -s_srs EPSG:32619+5773 -t_srs EPSG:32619+5703 e.tif e_NAVD88.tif, " \
        "or ingest them as sources of their own" in text, text


def _compound_sheets(tmp_path: Path, west: int, east: int) -> list[dict[str, str]]:
    """Two SYNTHETIC 120 m DEM sheets side by side, ``w.tif`` and ``e.tif``, in the
    compound CRSs UTM 19N + EPSG ``west`` and ``east`` (vertical CRS codes)."""
    from rasterio.crs import CRS

    scenes = []
    for name, code, left in (("w.tif", west, 500000), ("e.tif", east, 500200)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=20, height=40,
                           count=1, dtype="float32",
                           crs=CRS.from_user_input(f"EPSG:32619+{code}"),
                           transform=from_origin(left, 1350400, 10, 10)) as dst:
            dst.write(np.full((40, 20), 120.0, "float32"), 1)
        scenes.append({"path": str(tmp_path / name)})
    return scenes


@pytest.mark.parametrize(("west", "east"), [
    ("m ODN", "mAOD"), ("m a.s.l.", "m EGM96"), ("m NAVD88", "m"),
], ids=["one-datum-two-spellings", "sea-level-and-a-geoid", "a-datum-and-none"])
def test_control_sheets_of_one_datum_or_none_named_are_one_layer(
        tmp_path: Path, west: str, east: str) -> None:
    """Control: sheets of one datum spelt two ways (``m ODN``, ``mAOD``), of a datum
    named only as sea level beside a named one, or of a datum beside plain metres are one
    layer, without a word, as before."""
    layers, said = _plan(scenes=_sheets(tmp_path, west, east))
    assert len(layers) == 1
    assert not said, said


def test_control_sheets_of_one_datum_in_feet_and_metres_are_told_their_units(
        tmp_path: Path) -> None:
    """Control: sheets of one datum whose compound CRSs measure heights in metres and in
    US survey feet (NAVD88, ``+5703`` and ``+6360``) are refused for their units, as
    before (round 33), not for their datums."""
    from prospect.errors import DataError

    scenes = _compound_sheets(tmp_path, 5703, 6360)
    with pytest.raises(DataError, match="state other units") as caught:
        _plan(scenes=scenes)
    assert "vertical datums" not in str(caught.value)


def test_control_a_letter_o_in_a_unit_is_not_a_degree(sandbox: Sandbox, cli: Any,
                                                        scheduler: str) -> None:
    """Control: a grid stating ``mol/m3`` under ``units: mol m-3`` is one unit, as before
    (the ``o`` of ``mol`` is no degree)."""
    text = _ingest(sandbox, cli, scheduler, "mol/m3", units="mol m-3")
    assert "states its units" not in text, text[-3000:]
