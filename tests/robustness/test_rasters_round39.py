"""Round 39: units whose case or spelling ingest read as another unit.

A grid stating its values in megalitres (``ML``, ``Ml/d``: water allocations, the UK
water industry's daily flows) was read by ``layers.unit_key`` as millilitres (``mL``,
lower-casing the whole word): ingested under ``units: mL`` without a word, and under
``units: L`` told to convert with ``scale: 0.001`` (a factor of 10^9 wrong). An older
electromagnetic survey's conductivity in ``mmho/m`` (one unit with ``mS/m``) and a
heat-flow grid in ``mW/m**2`` (a power written as Python and Fortran do) were warned of at
ingest as other units, with no factor, and refused by a model trained on ``mS/m`` or
``mW/m2``.

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster and by
the model's schema check, on SYNTHETIC grids written with rasterio into ``tmp_path``
(2026-12-05). Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round38 import _cube, _schema  # one layer's cube and schema

GRID = np.arange(1600, dtype="float32").reshape(40, 40)
"""A SYNTHETIC 40 x 40 grid on the sandbox's region (10 m cells)."""


def _write(path: Path, data: np.ndarray, units: str) -> Path:
    """``data`` as a one-band GeoTIFF on the tiny region whose band states ``units``."""
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1],
                       height=data.shape[0], count=1, dtype=str(data.dtype),
                       crs="EPSG:32619",
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(data, 1)
        dst.units = (units,)
    return path


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> str:
    """Ingest a grid stating ``stated`` as ``units: units``; what the run printed (it
    must succeed, with the grid's values as they are)."""
    path = _write(box.root / "grid.tif", GRID, stated)
    box.write_job(sources=[{"kind": "raster", "name": "layer", "path": path.name,
                            "units": units}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(box.out / "cube.zarr")["layer"].values,
                                  GRID)
    return " ".join((result.out + result.err).split())


# --- megalitres read as millilitres ----------------------------------------------------


def test_a_grid_in_megalitres_ingested_as_litres_is_told_the_factor_of_a_million(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a grid stating ``ML`` (megalitres) ingested with ``units: L`` was warned
    of with "'scale: 0.001' to convert them to L (1 ML = 0.001 L)": ``ML`` read as
    millilitres, a factor 10^9 wrong. Now 1 ML = 1 000 000 L."""
    text = _ingest(sandbox, cli, scheduler, "ML", "L")
    assert "'scale: 1000000' to convert them to L (1 ML = 1000000 L)" in text, text[-3000:]
    assert "0.001" not in text, text[-3000:]


@pytest.mark.parametrize("stated", ["ML", "Ml"])
def test_a_grid_in_megalitres_ingested_as_millilitres_is_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str) -> None:
    """Before: a grid stating ``ML`` or ``Ml`` (megalitres, as the UK water industry's
    ``Ml/d`` writes them) ingested with ``units: mL`` was taken as one unit, without a
    word: the cube said millilitres of values in megalitres. Now it is warned of, with
    the factor."""
    text = _ingest(sandbox, cli, scheduler, stated, "mL")
    assert f"band 1 states its units as {stated!r}" in text, text[-3000:]
    assert f"'scale: 1000000000' to convert them to mL (1 {stated} = 1000000000 mL)" \
        in text, text[-3000:]


def test_a_grid_in_millilitres_spelt_in_lower_case_is_one_unit(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: ``ml`` and ``mL`` are one unit (nothing said)."""
    text = _ingest(sandbox, cli, scheduler, "ml", "mL")
    assert "states its units" not in text, text[-3000:]


def test_a_grid_in_feet_in_capitals_is_still_feet(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a DEM stating ``FT`` (older exports' feet) ingested as ``units: m`` is
    still told the foot's factor, 0.3048 (the case-kept words now come first inside a
    compound unit too)."""
    text = _ingest(sandbox, cli, scheduler, "FT", "m")
    assert "'scale: 0.3048' to convert them to m (1 FT = 0.3048 m)" in text, text[-3000:]


# --- one unit as older surveys spell it ------------------------------------------------


@pytest.mark.parametrize(("stated", "units"), [
    ("mmho/m", "mS/m"),      # an EM31 survey's conductivity before the siemens
    ("mmhos/m", "mS/m"),
    ("%K", "% K"),           # a radiometric survey's potassium, as exports write it
    ("Eo", "E"),             # a gravity gradiometry survey's Eotvos
])
def test_one_unit_as_older_surveys_spell_it_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: a conductivity grid stating ``mmho/m`` ingested with ``units: mS/m`` (or a
    potassium grid stating ``%K`` with ``units: % K``, a gravity gradient grid stating
    ``Eo`` with ``units: E``) was warned of as "states its units
    as 'mmho/m' ... set 'units: mmho/m' (or 'scale:' and 'offset:' to convert them)": one
    unit (the mho is the siemens), and no factor known. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert "states its units" not in text, text[-3000:]


def test_a_power_written_with_two_stars_is_one_unit(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a heat-flow grid stating ``mW/m**2`` ingested with ``units: mW/m2`` is one
    unit (the model check's reading already took it so)."""
    text = _ingest(sandbox, cli, scheduler, "mW/m**2", "mW/m2")
    assert "states its units" not in text, text[-3000:]


def test_a_power_written_with_two_stars_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a heat-flow grid stating ``W/m**2`` (a power as Python and Fortran write
    it) ingested with ``units: mW/m2`` was told "'scale:' and 'offset:' to convert
    them": ``unit_key`` split the ``**`` as two products and could not read the unit.
    Now the factor: 1 W/m**2 = 1000 mW/m2."""
    text = _ingest(sandbox, cli, scheduler, "W/m**2", "mW/m2")
    assert "'scale: 1000' to convert them to mW/m2 (1 W/m**2 = 1000 mW/m2)" in text, \
        text[-3000:]


def test_a_gravity_gradient_in_eotvos_is_told_its_factor_to_mgal_per_km(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a gradiometry grid stating ``Eotvos`` ingested with ``units: mGal/km`` was
    told "'scale:' and 'offset:' to convert them", no factor. Now 1 Eotvos = 0.1
    mGal/km (1e-9 s-2 against 1e-8 s-2)."""
    text = _ingest(sandbox, cli, scheduler, "Eotvos", "mGal/km")
    assert "'scale: 0.1' to convert them to mGal/km (1 Eotvos = 0.1 mGal/km)" in text, \
        text[-3000:]


def test_a_conductivity_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: ``mmho/m`` ingested as ``units: S/m`` was told "'scale:' and 'offset:' to
    convert them", no factor. Now the factor: 1 mmho/m = 0.001 S/m."""
    text = _ingest(sandbox, cli, scheduler, "mmho/m", "S/m")
    assert "'scale: 0.001' to convert them to S/m (1 mmho/m = 0.001 S/m)" in text, \
        text[-3000:]


@pytest.mark.parametrize(("stated", "units"), [
    ("x10^-3 SI", "1e-3 SI"),   # a susceptibility grid's scale, as exports write it
    ("SI x 10-3", "10^-3 SI"),
])
def test_a_susceptibility_in_one_scale_spelt_otherwise_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: a magnetic susceptibility grid stating ``x10^-3 SI`` ingested with
    ``units: 1e-3 SI`` was warned of as other units, no factor known: the power of ten
    was read as text. One scale; now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert "states its units" not in text, text[-3000:]


def test_a_susceptibility_in_thousandths_ingested_as_si_is_told_the_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a grid stating ``10^-3 SI`` ingested with ``units: SI`` was told "'scale:'
    and 'offset:' to convert them", no factor. Now 1 10^-3 SI = 0.001 SI."""
    text = _ingest(sandbox, cli, scheduler, "10^-3 SI", "SI")
    assert "'scale: 0.001' to convert them to SI (1 10^-3 SI = 0.001 SI)" in text, \
        text[-3000:]




@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("mmho/m", "mS/m"),
    ("mho/m", "S/m"),
    ("megalitres", "ML"),
    ("x10^-3 SI", "10^-3 SI"),
    ("SI x 10^-3", "1e-3 SI"),
    ("\u00d710\u207b\u2075 SI", "10^-5 SI"),
    ("%K", "% K"),
    ("K%", "%K"),
    ("Eotvos", "E"),
    ("E\u00f6tv\u00f6s", "Eo"),
])
def test_one_unit_as_older_surveys_spell_it_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a cube in ``mmho/m`` (or ``megalitres``, ``x10^-3 SI``, ``%K``) was refused
    by a model trained on ``mS/m`` (``ML``, ``10^-3 SI``, ``% K``): "units ... model needs
    ...". One unit, now read as one by ingest and the model check alike."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("ML", "mL"),          # megalitres are not millilitres
    ("Ml/d", "ml/d"),
    ("mmho/m", "S/m"),     # a factor of 1000
    ("10^-5 SI", "10^-3 SI"),
    ("10^-3 SI", "SI"),
    ("SI", "1"),           # a unit not known here is not dimensionless
    ("mE", "E"),
])
def test_units_that_differ_in_size_stay_refused_by_a_model(
        cube_units: str, model_units: str) -> None:
    """Control: a cube in megalitres is refused by a model trained on millilitres,
    ``mmho/m`` by one on ``S/m``, and a susceptibility in one scale by one in another."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []


# --- a KML geology map of one folder per unit ------------------------------------------


def _square(x0: float, x1: float) -> str:
    """KML coordinates (lon,lat) of the tiny region's cells from ``x0`` to ``x1`` (UTM
    19N easting), over its whole height."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(32619, 4326, always_xy=True)
    corners = [(x0, 1349990), (x1, 1349990), (x1, 1350410), (x0, 1350410), (x0, 1349990)]
    return " ".join("{:.9f},{:.9f}".format(*to_lonlat.transform(x, y)) for x, y in corners)


def _folder(name: str, unit: str, x0: float, x1: float) -> str:
    return (f"<Folder><name>{name}</name><Placemark><name>{unit}</name><ExtendedData>"
            f"<Data name='unit'><value>{unit}</value></Data></ExtendedData><Polygon>"
            f"<outerBoundaryIs><LinearRing><coordinates>{_square(x0, x1)}</coordinates>"
            "</LinearRing></outerBoundaryIs></Polygon></Placemark></Folder>")


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr")
def test_a_kml_of_a_folder_per_unit_is_told_how_to_read_every_folder(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Before: a SYNTHETIC geology map drawn in Google Earth, one folder per rock unit
    (``Granite``, ``Basalt``), was refused as "holds 2 layers ... name the one to read
    with 'layer:' (e.g. layer: 'Granite')": the only fix given read one unit of the map
    (a KML of point folders was already given the command that joins them). Now the line
    gives the ogr2ogr command joining every folder's polygons; the test runs it, as
    written, and ingests the file it makes: both units, each on its half."""
    (sandbox.root / "geology.kml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><name>SYNTHETIC geology</name>"
        + _folder("Granite", "granite", 499990, 500200)
        + _folder("Basalt", "basalt", 500200, 500410) + "</Document></kml>")
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "attribute": "unit",
                                "path": "geology.kml"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "geology.kml", "'Granite' (1 polygon)",
                              "to read the polygons of every folder as one layer")
    assert sandbox.untouched()
    command = re.search(r"first \((ogr2ogr .*? -append)\)", line)
    assert command, line
    subprocess.run(shlex.split(command.group(1)), cwd=sandbox.root, check=True,
                   capture_output=True, timeout=60)
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "attribute": "unit",
                                "path": "units.gpkg"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    geology = xr.open_zarr(sandbox.out / "cube.zarr")["geology"]
    codes = json.loads(geology.attrs["categories"])
    names = np.vectorize(lambda c: codes[str(int(c))])(geology.values)
    assert (names[:, :20] == "granite").all() and (names[:, 20:] == "basalt").all(), names


def test_a_kml_of_one_polygon_folder_and_one_of_points_asks_only_for_the_layer(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: a KML of one folder of polygons and one of sample points is two maps:
    the line asks for ``layer:`` and gives no command joining them."""
    (sandbox.root / "geology.kml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document>" + _folder("Units", "granite", 499990, 500410)
        + "<Folder><name>Samples</name><Placemark><name>s1</name><Point><coordinates>"
        + _square(500100, 500100).split()[0] + "</coordinates></Point></Placemark>"
        "</Folder></Document></kml>")
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "attribute": "unit",
                                "path": "geology.kml"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "geology.kml", "name the one to read with 'layer:'")
    assert "ogr2ogr" not in line, line
