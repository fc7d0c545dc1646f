"""Round 56: survey rasters (a VRT's Python pixel function run where the user's environment
enables it, a VRT derived band computing values from its sources' no-data cells, an element
symbol that is also a unit symbol after a concentration's quotient, and a share per
thousand written in words).

With ``GDAL_VRT_ENABLE_PYTHON=YES`` in the environment (or in a GDAL configuration file) a
VRT's ``<PixelFunctionLanguage>Python`` code ran while Prospect planned and read it: code
from an input file, run by ``prospect ingest``. A ``VRTDerivedRasterBand`` of GDAL's
``sum`` over files of nodata -9999 was ingested with -19998 and -9999 + x as values.
``mg/L K`` was milligrams per litre-kelvin (``W/m K`` kept as kelvin), and ``per mil`` the
reciprocal of a thousandth of an inch.

Found by ``plan_raster`` and reads of the planned layer on the tiny region, ``prospect
ingest`` and Pythons started with the setting in their environment, of SYNTHETIC GeoTIFFs
and VRTs written with rasterio and by hand (2026-12-06). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.errors import DataError, InputFileError

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round16 import X0, Y0, _write
from .test_rasters_round31 import _read
from .test_rasters_round48 import HEAT, _plan, _tif

_GRID = (
    f'<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
    f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
)
"""The head of a VRT on the tiny region's 10 m grid."""


def _band(function: str, sources: str, *, nodata: str = "") -> str:
    """A ``VRTDerivedRasterBand`` of ``function`` (the XML after its start) over
    ``sources``, stating ``<NoDataValue>nodata`` where given."""
    stated = f"<NoDataValue>{nodata}</NoDataValue>" if nodata else ""
    return (
        '<VRTRasterBand dataType="Float32" band="1" subClass="VRTDerivedRasterBand">'
        f"{stated}{function}{sources}</VRTRasterBand></VRTDataset>"
    )


def _source(name: str, *, kind: str = "SimpleSource", more: str = "") -> str:
    return (
        f'<{kind}><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
        f"<SourceBand>1</SourceBand>{more}</{kind}>"
    )


# --- a VRT's Python pixel function and GDAL_VRT_ENABLE_PYTHON ---------------------------------


def _python_vrt(folder: Path) -> tuple[Path, Path]:
    """``v.vrt``: a derived band of Python code doubling ``a.tif`` (SYNTHETIC heat flow)
    that writes the file ``ran`` when it runs; the VRT and that file's path."""
    _write(folder / "a.tif", HEAT)
    marker = folder / "ran"
    code = (
        "<PixelFunctionType>double</PixelFunctionType>"
        "<PixelFunctionLanguage>Python</PixelFunctionLanguage><PixelFunctionCode><![CDATA[\n"
        "def double(in_ar, out_ar, *args, **kwargs):\n"
        f"    open({str(marker)!r}, 'w').write('ran')\n"
        "    out_ar[:] = in_ar[0] * 2\n]]></PixelFunctionCode>"
    )
    path = folder / "v.vrt"
    path.write_text(_GRID + _band(code, _source("a.tif")))
    return path, marker


_NEVER_RUNS = (
    "its derived band is computed by Python code in the VRT (<PixelFunctionLanguage>Python), "
    "which Prospect never runs: it reads every file with GDAL_VRT_ENABLE_PYTHON=NO, whatever "
    "the environment says"
)


def test_a_vrts_python_code_does_not_run_where_the_environment_enables_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: with ``GDAL_VRT_ENABLE_PYTHON=YES`` in the environment, the SYNTHETIC VRT's
    Python pixel function ran while the layer was planned and read (its file ``ran``
    written, twice the heat flow read). Now the code does not run and the VRT is refused,
    saying why."""
    path, marker = _python_vrt(tmp_path)
    monkeypatch.setenv("GDAL_VRT_ENABLE_PYTHON", "YES")
    with pytest.raises(InputFileError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(f"{path}: {_NEVER_RUNS}"), text
    assert text.endswith(
        "(GDAL_VRT_ENABLE_PYTHON=YES gdal_translate v.vrt out.tif) and give that file"
    )
    assert not marker.exists()


def test_a_vrts_python_code_does_not_run_in_ingest_where_the_environment_enables_it(
    sandbox: Sandbox, cli: Any, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC VRT with ``GDAL_VRT_ENABLE_PYTHON=YES``
    in the environment ran its Python code and wrote a cube of its values, exit 0. Now
    one line refuses it, the code does not run and no cube is written."""
    _, marker = _python_vrt(sandbox.root)
    monkeypatch.setenv("GDAL_VRT_ENABLE_PYTHON", "YES")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "v.vrt", "which Prospect never runs")
    assert not marker.exists()
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize("where", ["environment", "gdal-config-file"])
def test_a_process_reading_through_prospect_runs_no_code_from_a_vrt(
    tmp_path: Path, where: str
) -> None:
    """Before: a Python that had imported Prospect's raster reader (as every process that
    reads for Prospect does: the CLI, a cluster's workers) ran the SYNTHETIC VRT's code
    when it read the VRT, where ``GDAL_VRT_ENABLE_PYTHON=YES`` was in its environment or
    in a GDAL configuration file (``GDAL_CONFIG_FILE``, whose setting outranks the
    environment). Now GDAL refuses the code in that process, whatever either says."""
    import prospect

    path, marker = _python_vrt(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(prospect.__file__).parents[1])}
    env.pop("GDAL_VRT_ENABLE_PYTHON", None)
    if where == "environment":
        env["GDAL_VRT_ENABLE_PYTHON"] = "YES"
    else:
        config = tmp_path / "gdalrc"
        config.write_text("[configoptions]\nGDAL_VRT_ENABLE_PYTHON=YES\n")
        env["GDAL_CONFIG_FILE"] = str(config)
    code = (
        "import prospect.io.raster, rasterio, sys\n"
        "try:\n"
        f"    with rasterio.open({str(path)!r}) as src:\n"
        "        src.read(1)\n"
        "except Exception as exc:\n"
        "    print('refused:', exc.__cause__ or exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), done.stdout
    assert "refused:" in done.stdout and "explicitly disabled" in done.stdout, done.stdout


def test_control_a_derived_band_of_a_builtin_function_is_read_where_python_is_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: with ``GDAL_VRT_ENABLE_PYTHON=YES`` in the environment, a derived band of
    GDAL's own ``sum`` of two sources (no code in the file) is read as before."""
    _write(tmp_path / "a.tif", HEAT)
    path = tmp_path / "v.vrt"
    path.write_text(
        _GRID + _band("<PixelFunctionType>sum</PixelFunctionType>", _source("a.tif") * 2)
    )
    monkeypatch.setenv("GDAL_VRT_ENABLE_PYTHON", "YES")
    _, out = _read(path, units="mW/m2")
    np.testing.assert_allclose(out, HEAT * 2)


# --- a derived band computed from its sources' no-data cells ----------------------------------


def _filled(folder: Path) -> None:
    """``a.tif``: SYNTHETIC heat flow whose first three rows (120 cells) are its stated
    nodata -9999; ``b.tif``: 5 everywhere, its first two columns (80 cells) -9999, its
    stated nodata."""
    a = HEAT.copy()
    a[:3] = -9999
    b = np.full((40, 40), 5, "float32")
    b[:, :2] = -9999
    _write(folder / "a.tif", a, nodata=-9999)
    _write(folder / "b.tif", b, nodata=-9999)


_SUM = "<PixelFunctionType>sum</PixelFunctionType>"


@pytest.mark.parametrize(
    ("function", "kind", "more", "nodata"),
    [
        (_SUM, "SimpleSource", "", ""),
        (_SUM, "SimpleSource", "", "-9999"),
        (
            _SUM + '<PixelFunctionArguments propagateNoData="true"/>',
            "ComplexSource",
            "<NODATA>-9999</NODATA>",
            "-9999",
        ),
        ("<PixelFunctionType>mul</PixelFunctionType>", "SimpleSource", "", "-9999"),
    ],
    ids=["sum", "sum-band-nodata", "sum-complex-nodata-propagated", "mul"],
)
def test_a_vrt_derived_band_computing_from_its_sources_no_data_is_refused(
    tmp_path: Path, function: str, kind: str, more: str, nodata: str
) -> None:
    """Before: the SYNTHETIC VRT's derived band (``sum`` or ``mul`` of ``a.tif`` and
    ``b.tif``, both of nodata -9999) was read with GDAL's -19998, -9994 and -9939 (or
    their products) as heat flow, exit 0, without a word: GDAL 3.10 hands the function
    the fill (or, for a ComplexSource's skipped cells, the band's nodata) as a number,
    ``propagateNoData`` or not. Now it is refused, naming the function, the source, its
    fill and the fix."""
    _filled(tmp_path)
    path = tmp_path / "v.vrt"
    sources = _source("a.tif", kind=kind, more=more) + _source("b.tif", kind=kind, more=more)
    path.write_text(_GRID + _band(function, sources, nodata=nodata))
    name = function.split("</")[0].split(">")[1]
    with pytest.raises(DataError) as caught:
        _read(path, units="mW/m2")
    text = " ".join(str(caught.value).split())
    assert text.startswith(
        f"{path}: band 1 is derived by the pixel function '{name}' from its source a.tif, "
        "whose no-data cells (120 or more of -9999) GDAL hands the function as numbers"
    ), text
    assert "gdal_calc.py" in text and "--NoDataValue=-9999" in text, text
    assert text.endswith("and give that file, not v.vrt"), text


def test_a_vrt_derived_band_computing_from_no_data_is_refused_by_ingest(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """Before: ``prospect ingest`` of the SYNTHETIC ``sum`` VRT wrote a cube holding
    -19998 and -9994, exit 0. Now one line refuses it and no cube is written."""
    _filled(sandbox.root)
    (sandbox.root / "v.vrt").write_text(
        _GRID + _band(_SUM, _source("a.tif") + _source("b.tif"), nodata="-9999")
    )
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "v.vrt", "units": "mW/m2"}]
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "v.vrt", "derived by the pixel function 'sum'")
    assert not (sandbox.out / "cube.zarr").exists()


@pytest.mark.parametrize(
    ("function", "two", "expected"),
    [
        ("<PixelFunctionType>scale</PixelFunctionType>", False, "a"),
        ("<PixelFunctionType>max</PixelFunctionType>", True, "max"),
        ("<PixelFunctionType>min</PixelFunctionType>", True, "min"),
    ],
    ids=["scale-keeps-the-fill", "max", "min"],
)
def test_control_a_derived_band_whose_sources_no_data_stays_no_data_is_read(
    tmp_path: Path, function: str, two: bool, expected: str
) -> None:
    """Control: a derived band that keeps its sources' fill as its own no data (``scale``
    of one source, -9999 kept, the band's nodata -9999), or a function that leaves out
    the band's no data (``max``, ``min``: GDAL's, with the band's nodata the sources'
    fill) is read as before: the fills no data, the other cells the function's."""
    _filled(tmp_path)
    path = tmp_path / "v.vrt"
    sources = _source("a.tif") + (_source("b.tif") if two else "")
    path.write_text(_GRID + _band(function, sources, nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    a = np.where(np.arange(40)[:, None] < 3, np.nan, HEAT)
    b = np.where(np.arange(40)[None, :] < 2, np.nan, np.full((40, 40), 5.0))
    want = {"a": a, "max": np.fmax(a, b), "min": np.fmin(a, b)}[expected]
    np.testing.assert_allclose(out, want)


def test_control_a_derived_band_of_sources_stating_a_fill_they_do_not_hold_is_read(
    tmp_path: Path,
) -> None:
    """Control: a ``sum`` of two files stating nodata -9999 that hold no cell of it is
    read as before: twice the heat flow."""
    _write(tmp_path / "a.tif", HEAT, nodata=-9999)
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band(_SUM, _source("a.tif") * 2, nodata="-9999"))
    _, out = _read(path, units="mW/m2")
    np.testing.assert_allclose(out, HEAT * 2)


def test_control_a_derived_band_keeping_a_nan_fill_nan_is_read(tmp_path: Path) -> None:
    """Control: a ``sum`` of a file whose fill is NaN (its first three rows) keeps those
    cells NaN, no data to ingest: read as before, twice the heat flow elsewhere."""
    a = HEAT.copy()
    a[:3] = np.nan
    _write(tmp_path / "a.tif", a, nodata=float("nan"))
    path = tmp_path / "v.vrt"
    path.write_text(_GRID + _band(_SUM, _source("a.tif") * 2))
    _, out = _read(path, units="mW/m2")
    np.testing.assert_allclose(out, a * 2)


# --- an element symbol that is a unit symbol after a concentration's quotient ----------------


@pytest.mark.parametrize(
    ("stated", "configured", "fix"),
    [
        ("mg/L K", "ug K/L", "'scale: 1000' to convert them to ug K/L"),
        ("ug/L N", "mg N/L", "'scale: 0.001' to convert them to mg N/L"),
    ],
    ids=["potassium", "nitrogen"],
)
def test_an_element_that_is_a_unit_symbol_after_a_concentrations_quotient_is_its_species(
    tmp_path: Path, stated: str, configured: str, fix: str
) -> None:
    """Before: a SYNTHETIC band stating ``mg/L K`` (a brine's potassium) under ``units: ug
    K/L`` was told "'scale:' and 'offset:'" with no factor: ``unit_key`` kept K below the
    quotient as kelvin (milligrams per litre-kelvin), as it does for ``W/m K``. Now the
    factor is given."""
    layers, said = _plan(_tif(tmp_path / "c.tif", stated), units=configured)
    assert layers[0].units == configured
    assert len(said) == 1 and fix in said[0], said


@pytest.mark.parametrize(
    ("stated", "configured"),
    [("mg/kg S", "ppm S"), ("g/t C", "ppm C")],
    ids=["sulphur", "carbon"],
)
def test_an_element_after_a_concentrations_quotient_is_its_own_unit(
    tmp_path: Path, stated: str, configured: str
) -> None:
    """Before: a SYNTHETIC band stating ``mg/kg S`` under ``units: ppm S`` (one unit) was
    warned that it states another unit (``S`` read as siemens below the quotient), and
    ``g/t C`` under ``ppm C`` (as coulombs). Now nothing is said."""
    layers, said = _plan(_tif(tmp_path / "c.tif", stated), units=configured)
    assert layers[0].units == configured and said == [], said


def test_control_an_element_that_is_no_unit_symbol_after_the_quotient_is_read_as_before(
    tmp_path: Path,
) -> None:
    """Control: ``meq/L Na`` (sodium, no unit's symbol) under ``units: meq Na/L`` says
    nothing, as since round 55."""
    layers, said = _plan(_tif(tmp_path / "c.tif", "meq/L Na"), units="meq Na/L")
    assert layers[0].units == "meq Na/L" and said == [], said


def test_control_a_unit_symbol_after_another_quotient_stays_below() -> None:
    """Control: a denominator's last symbol after a quotient that is no concentration
    (``J/kg K``, a specific heat; ``W/m K``) or after a second slash (``mg/L/K``) stays
    in the denominator."""
    from prospect.ingest.layers import unit_key

    assert unit_key("J/kg K") == (("J", 1), ("K", -1), ("kg", -1))
    assert unit_key("W/m K") == unit_key("W m-1 K-1")
    assert unit_key("mg/L/K") == (("K", -1), ("L", -1), ("mg", 1))


# --- a share per thousand in words ------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["per mil", "Per mille", "\u2030", "per thousand"])
def test_a_share_per_thousand_in_words_is_permil(spelling: str) -> None:
    """Before: ``canonical_units('per mil')`` read the reciprocal of ``mil`` (a thousandth
    of an inch), so ``same_units('per mil', '1/mil')`` held and ``\u2030`` was not read.
    Now each spelling is the per mil, the unit ingest's ``unit_key`` takes it for."""
    from prospect.ingest.layers import unit_key
    from prospect.registry.units import canonical_units, same_units

    assert canonical_units(spelling) == canonical_units("permil") == (1.0, (("permil", 1),))
    assert not same_units(spelling, "1/mil")
    assert same_units(spelling, "permil") and unit_key(spelling) == unit_key("permil")


def test_control_other_per_phrases_keep_their_reading() -> None:
    """Control: ``per cent`` is the percent; ``mg per litre`` and ``counts per second``
    are quotients as before; ``mil`` alone stays the thousandth of an inch."""
    from prospect.registry.units import canonical_units, same_units

    assert same_units("per cent", "%")
    assert canonical_units("mg per litre") == (1.0, (("L", -1), ("mg", 1)))
    assert canonical_units("counts per second") == (1.0, (("counts", 1), ("s", -1)))
    assert canonical_units("mil") == (1.0, (("mil", 1),))


# --- a file of oblong cells coarse along one side ----------------------------------------------


@pytest.mark.parametrize(
    ("shape", "sizes", "said"),
    [
        (
            (80, 2),
            (200, 5),
            "its cells are 200 x 5 m (east-west x north-south), 20 times the cells of "
            "region 'tiny' (10 m) east-west, so each file cell spans about 10 cube cells",
        ),
        (
            (40, 1),
            (400, 10),
            "its cells are 400 x 10 m (east-west x north-south), 40 times the cells of "
            "region 'tiny' (10 m) east-west, so each file cell spans about 40 cube cells",
        ),
        (
            (1, 40),
            (10, 400),
            "its cells are 10 x 400 m (east-west x north-south), 40 times the cells of "
            "region 'tiny' (10 m) north-south",
        ),
    ],
    ids=["200-by-5", "one-column", "one-row"],
)
def test_a_file_of_oblong_cells_coarse_along_one_side_is_said_by_that_side(
    tmp_path: Path, shape: tuple[int, int], sizes: tuple[int, int], said: str
) -> None:
    """Before: a SYNTHETIC grid of 200 x 5 m cells on the 10 m region was interpolated
    across 20 cube cells east-west by the default bilinear without a word (the cells'
    side of equal area, 31.6 m, is under 4 region cells); a one-column file of 400 x 10
    m cells was said to have cells "about 63.25 m" with "detail finer than 63.25 m" the
    interpolation's. Now the cells' two sides are said, and the coarse one."""
    from rasterio.transform import from_origin

    data = (np.arange(shape[0] * shape[1], dtype="float32").reshape(shape) + 50).astype("float32")
    path = _write(tmp_path / "o.tif", data, transform=from_origin(X0, Y0 + 400, *sizes))
    layers, warned = _plan(path, units="mW/m2")
    assert layers[0].units == "mW/m2"
    assert len(warned) == 1 and warned[0].startswith(f"{path}: {said}"), warned
    side = max(sizes)
    assert f"detail finer than {side} m " in warned[0], warned


def test_control_a_file_of_square_coarse_cells_is_said_as_before(tmp_path: Path) -> None:
    """Control: square cells 4 times the region's keep their words; oblong cells fine on
    both sides (10 x 20 m) say nothing."""
    from rasterio.transform import from_origin

    square = _write(
        tmp_path / "s.tif",
        np.arange(100, dtype="float32").reshape(10, 10),
        transform=from_origin(X0, Y0 + 400, 40, 40),
    )
    _, warned = _plan(square, units="mW/m2")
    assert warned == [
        f"{square}: its cells are about 40 m, 4 times the cells of region 'tiny' (10 m), so "
        "each file cell spans about 16 cube cells whose values are interpolated between the "
        "file's cells (bilinear): detail finer than 40 m in layer 'heat' is the "
        "interpolation's, not the file's. To read the file's own numbers, set 'resampling: "
        "nearest' in source 'heat', or give the region cells nearer the file's"
    ]
    oblong = _write(
        tmp_path / "o.tif",
        np.arange(800, dtype="float32").reshape(20, 40),
        transform=from_origin(X0, Y0 + 400, 10, 20),
    )
    assert _plan(oblong, units="mW/m2")[1] == []
