"""Survey rasters whose cube speaks of other cells than the file holds: class layers whose
zarr ``fill_value`` (0) disagreed with their CF ``_FillValue`` (the no-data code), and the
fill check's sample of a large band read from internal overviews the band's values no
longer match.

Found by writing class maps and geophysics grids into ``tmp_path`` with rasterio and
GDAL's tools, running the real ``prospect ingest`` and reading the cube as a raw zarr
reader and xarray read it, and the run's warnings (2026-12-04). Every file here is small
and SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round12 import _gdal, needs_gdal_cli
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round27 import SIDE, _fill_warned, _grid

# --- class layers: the zarr fill value is the no-data code ---------------------------------

CLASSES = (np.arange(1600).reshape(40, 40) // 10 % 4).astype("uint8")
"""A SYNTHETIC map of classes 0..3 (class 0 is a unit, e.g. 'water' or 'unmapped rock')."""


def _raw(box: Sandbox, name: str = "heat") -> tuple[np.ndarray, object, object]:
    """The cube variable as zarr-python reads it: values, zarr ``fill_value``, CF
    ``_FillValue``."""
    import zarr

    from prospect.io.cube import zarr_store

    arr = zarr.open_array(zarr_store(box.out / "cube.zarr" / name, read_only=True), mode="r")
    meta = json.loads((box.out / "cube.zarr" / name / "zarr.json").read_text())
    return np.asarray(arr[:]), meta["fill_value"], meta["attributes"].get("_FillValue")


@pytest.mark.parametrize("nodata", [None, 255], ids=["no-nodata", "nodata-255"])
def test_a_class_layer_states_its_no_data_code_as_its_zarr_fill_value(
    sandbox: Sandbox, cli, scheduler: str, nodata: int | None
) -> None:
    """Before: a class map of codes 0..3 was stored with the zarr ``fill_value`` 0 beside
    its CF ``_FillValue`` (-1): a zarr-aware reader that takes the zarr fill value as "no
    data" (zarr-python's users, xarray's ``use_zarr_fill_value_as_mask``, a zarr GIS)
    dropped every cell of class 0 and read the no-data cells as class -1, exit 0. Now the
    zarr fill value is the no-data code, the same number as ``_FillValue``."""
    import xarray as xr

    codes = CLASSES.copy()
    if nodata is not None:
        codes[:5, :5] = nodata
    _write(sandbox.root / "geo.tif", codes, **({"nodata": nodata} if nodata else {}))
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    values, fill, cf = _raw(sandbox)
    assert fill == cf, (fill, cf)
    missing = codes == nodata if nodata is not None else np.zeros(codes.shape, bool)
    np.testing.assert_array_equal(values == fill, missing)
    masked = xr.open_zarr(sandbox.out / "cube.zarr", use_zarr_fill_value_as_mask=True)["heat"]
    np.testing.assert_array_equal(np.isnan(masked.values), missing)
    np.testing.assert_array_equal(_cube(sandbox)[~missing], codes[~missing])


def test_a_land_mask_states_its_no_data_code_as_its_zarr_fill_value(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Before: the land mask (0 outside the outline, 1 on land, 255 no data) was stored
    with the zarr ``fill_value`` 0: a raw zarr reader took every cell outside the outline
    as no data. Now its zarr fill value is 255, as its ``_FillValue``."""
    half = {
        "type": "Polygon",
        "coordinates": [[[X0, Y0], [X0 + 200, Y0], [X0 + 200, Y0 + 400], [X0, Y0 + 400], [X0, Y0]]],
    }
    (sandbox.root / "land.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": half}],
                "crs": {"type": "name", "properties": {"name": "EPSG:32619"}},
            }
        )
    )
    result = _ingest(sandbox, cli, scheduler, mask={"path": "land.geojson"})
    assert result.code == 0, result.err[-3000:]
    values, fill, cf = _raw(sandbox, "land")
    assert fill == cf == 255, (fill, cf)
    assert (values == 0).any() and (values == 1).any() and not (values == 255).any()


@pytest.mark.parametrize("code", [0, 255], ids=["all-class-0", "all-no-data"])
def test_control_a_class_layer_of_one_code_is_said_empty_only_without_data(
    sandbox: Sandbox, cli, scheduler: str, code: int
) -> None:
    """Control: with the zarr fill value the no-data code, a chunk of no data is not
    stored and a chunk of class 0 is: a map all of class 0 holds data (no warning), one
    all of its nodata 255 is warned of as holding none, as before."""
    _write(sandbox.root / "geo.tif", np.full((40, 40), code, "uint8"), nodata=255)
    result = _ingest(sandbox, cli, scheduler, sources=_source("geo.tif", values="categorical"))
    said = " ".join((result.out + result.err).split())
    if code == 255:
        assert "'heat' has no data" in said, said[-3000:]
        return
    assert result.code == 0, result.err[-3000:]
    assert "has no data" not in said
    np.testing.assert_array_equal(_cube(sandbox), np.zeros((40, 40)))


def test_control_a_float_layer_keeps_nan_as_both_fill_values(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Control: a continuous layer's zarr fill value stays NaN (the benchmarks hash its
    bytes), and its cells read as written."""
    result = _ingest(sandbox, cli, scheduler)
    assert result.code == 0, result.err[-3000:]
    meta = json.loads((sandbox.out / "cube.zarr" / "heat" / "zarr.json").read_text())
    assert meta["fill_value"] == "NaN"
    assert meta["data_type"] == "float32"


# --- the fill check's sample read from internal overviews the band no longer matches ------


def _internal_overviews(path: Path) -> None:
    """Internal overviews (``gdaladdo`` without ``-ro``) of ``path``'s current values."""
    _gdal("gdaladdo", "-q", "-r", "nearest", path, "2", "4", "8")


def _edit_in_place(path: Path, values: np.ndarray) -> None:
    """The band rewritten in place (``r+``, as a script or QGIS's raster calculator
    does), its overviews left as they were."""
    import rasterio

    with rasterio.open(path, "r+") as dst:
        dst.write(values, 1)


def _large(path: Path, values: np.ndarray, **profile: object) -> Path:
    from rasterio.transform import from_origin

    return _write(
        path,
        values,
        transform=from_origin(X0 - 5000, Y0 + 5400, 10, 10),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        **profile,
    )


@needs_gdal_cli
@pytest.mark.parametrize("masked", [False, True], ids=["plain", "internal-mask"])
def test_a_fill_written_under_internal_overviews_is_warned_of(
    sandbox: Sandbox, cli, scheduler: str, masked: bool
) -> None:
    """Before: a large grid whose internal overviews were built before a -9999 collar was
    written into it in place (no nodata declared) was ingested without the fill warning:
    the fill check sampled the band from its overviews (GDAL picks them for a decimated
    read; an internal overview has no date to compare), which hold no -9999, and the
    cube held -9999 as values, exit 0. Now the check samples the band's own blocks."""
    import rasterio

    tif = _large(sandbox.root / "mag.tif", _grid(False))
    if masked:
        with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(tif, "r+") as dst:
            keep = np.full((SIDE, SIDE), 255, "uint8")
            keep[:40] = 0  # a strip the survey did not fly
            dst.write_mask(keep)
    _internal_overviews(tif)
    _edit_in_place(tif, _grid(True))
    result = _ingest(sandbox, cli, scheduler, sources=_source("mag.tif"))
    assert result.code == 0, result.err[-3000:]
    assert _fill_warned(result), result.err[-3000:]
    assert "nodata: -9999" in " ".join(result.err.split())


@needs_gdal_cli
@pytest.mark.parametrize("fill", [True, False], ids=["fill", "no-fill"])
def test_control_fresh_internal_overviews_warn_as_the_band_holds(
    sandbox: Sandbox, cli, scheduler: str, fill: bool
) -> None:
    """Control: internal overviews of the band's own values: a collar is warned of, a
    grid without one is not, and the cube holds the file's values."""
    tif = _large(sandbox.root / "mag.tif", _grid(fill))
    _internal_overviews(tif)
    result = _ingest(sandbox, cli, scheduler, sources=_source("mag.tif"))
    assert result.code == 0, result.err[-3000:]
    assert _fill_warned(result) is fill
    np.testing.assert_array_equal(_cube(sandbox), _grid(fill)[500:540, 500:540])


# --- packing a GeoTIFF's tags state and GDAL does not apply --------------------------------

PACKED = (np.arange(1600, dtype="int16").reshape(40, 40) % 50) * 10 + 2000
"""SYNTHETIC packed int16 gravity, 0.1 mGal a step."""


def _tagged(box: Sandbox, tag: str, dtype: str = "int16") -> Path:
    """``grid.tif`` whose metadata states ``tag`` (``dataset:key=value`` or
    ``band:key=value``) and no GDAL scale."""
    import rasterio

    path = _write(box.root / "grid.tif", PACKED.astype(dtype))
    where, _, item = tag.partition(":")
    key, _, value = item.partition("=")
    with rasterio.open(path, "r+") as dst:
        if where == "band":
            dst.update_tags(1, **{key: value})
        else:
            dst.update_tags(**{key: value})
    return path


@pytest.mark.parametrize(
    "tag",
    [
        "dataset:scale_factor=0.1",
        "band:scale_factor=0.1",
        "dataset:gravity#scale_factor=0.1",
        "dataset:add_offset=-1000",
    ],
    ids=["dataset-tag", "band-tag", "netcdf-variable-tag", "offset-tag"],
)
def test_packing_tags_gdal_does_not_apply_are_refused(
    sandbox: Sandbox, cli, scheduler: str, tag: str
) -> None:
    """Before: an int16 grid whose tags state ``scale_factor=0.1`` (or an ``add_offset``;
    a hand edit with ``gdal_edit.py -mo``, a writer that tags its CF attributes, a NetCDF
    copied to GeoTIFF whose GDAL scale was later dropped) while GDAL reads it with scale
    1 was ingested as its stored integers (2000 for 200.0 mGal), exit 0, without a word.
    Now refused naming the file, the band, the tag and both fixes."""
    _tagged(sandbox, tag)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.tif"))
    key = tag.partition(":")[2].partition("=")[0]
    line = assert_clean_error(
        result, 1, "grid.tif", "band 1", key, "GDAL does not apply", "gdal_edit.py -scale"
    )
    assert "'scale:" in line or "'offset:" in line


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("gdal-scale", PACKED * 0.1),
        ("config-scale", PACKED * 0.1),
        ("float", PACKED * 1.0),
        ("categorical", PACKED * 1.0),
    ],
    ids=["tag-and-gdal-scale", "config-scale", "float-band", "categorical"],
)
def test_control_packing_tags_that_are_applied_or_told(
    sandbox: Sandbox, cli, scheduler: str, how: str, expected: np.ndarray
) -> None:
    """Control: a tag beside the same GDAL scale (``gdal_translate`` of a NetCDF), a
    config ``scale:``, a float band's tag (what ``gdal_translate -unscale -ot Float32``
    leaves beside unpacked values) and a categorical source read as before."""
    import rasterio

    path = _tagged(sandbox, "dataset:scale_factor=0.1", "float32" if how == "float" else "int16")
    source = _source("grid.tif")
    if how == "gdal-scale":
        with rasterio.open(path, "r+") as dst:
            dst.scales = (0.1,)
    elif how == "config-scale":
        source[0]["scale"] = 0.1
    elif how == "categorical":
        source[0]["values"] = "categorical"
    result = _ingest(sandbox, cli, scheduler, sources=source)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_allclose(_cube(sandbox), expected, rtol=1e-6)


# --- survey units written in other words ---------------------------------------------------


def _told_units(tmp_path: Path, stated: str, config: str) -> list[str]:
    """The units warnings of planning a grid stating ``stated`` under ``units: config``."""
    import warnings

    import rasterio

    from prospect.config.sources import RasterSource
    from prospect.errors import DataWarning
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid as _region

    path = _write(tmp_path / "grid.tif", PACKED.astype("float32"))
    with rasterio.open(path, "r+") as dst:
        dst.units = (stated,)
    source = RasterSource(name="heat", path=str(path), units=config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_raster(source, _region())
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, DataWarning) and "states its units" in str(w.message)
    ]


@pytest.mark.parametrize(
    ("stated", "config"),
    [
        ("NT", "nT"),
        ("gammas", "nT"),
        ("mgal", "mGal"),
        ("MGAL", "mGal"),
        ("milligals", "mGal"),
        ("feet", "ft"),
        ("wt %", "%"),
    ],
)
def test_one_unit_in_other_words_is_no_other_unit(tmp_path: Path, stated: str, config: str) -> None:
    """Before: a magnetic grid stating ``NT`` (an upper-case export) or ``gammas`` under
    ``units: nT``, a gravity grid stating ``mgal`` under ``units: mGal`` were warned of
    as stating other units, "no value is converted", with "'scale:' and 'offset:' to
    convert them": a false alarm that sent the user to convert a grid already right. Now
    one unit in other words says nothing."""
    assert _told_units(tmp_path, stated, config) == []


@pytest.mark.parametrize(
    ("stated", "config", "said"),
    [
        ("ft", "m", "'scale: 0.3048'"),
        ("US survey foot", "m", "'scale: 0.3048006"),
        ("mgal", "um/s2", "'scale: 10'"),
        ("microgal", "mGal", "'scale: 0.001'"),
    ],
    ids=["feet", "us-survey-feet", "mgal-to-um-s2", "microgal"],
)
def test_units_of_another_size_in_other_words_name_their_scale(
    tmp_path: Path, stated: str, config: str, said: str
) -> None:
    """Before: a DEM stating ``ft`` under ``units: m`` (or a gravity grid stating ``mgal``
    under ``units: um/s2``) was warned of with "'scale:' and 'offset:' to convert them",
    no factor (an offset would make every height wrong). Now the warning names the scale
    (0.3048 for the international foot, 1200/3937 for the US survey foot, 10 from mGal to
    um/s2)."""
    told = _told_units(tmp_path, stated, config)
    assert len(told) == 1 and said in told[0], told
    assert "offset:" not in told[0]


def test_control_other_units_are_still_warned_of(tmp_path: Path) -> None:
    """Control: a grid stating ``nT`` under ``units: mGal`` is still another quantity."""
    told = _told_units(tmp_path, "nT", "mGal")
    assert len(told) == 1 and "'scale:' and 'offset:'" in told[0], told


# --- distances to points measured in a region's own unit -----------------------------------


@pytest.mark.parametrize(
    ("crs", "resolution", "bounds", "points", "units"),
    [
        (
            "EPSG:4326",
            0.001,
            [-68.40, 12.10, -68.36, 12.14],
            [(-68.39, 12.11), (-68.37, 12.13)],
            "degree",
        ),
        (
            "EPSG:2230",
            30.0,
            [6280000, 1840000, 6281200, 1841200],
            [(6280100, 1840100), (6281000, 1841000)],
            "ftUS",
        ),
        (
            "EPSG:32619",
            10.0,
            [X0, Y0, X0 + 400, Y0 + 400],
            [(X0 + 55, Y0 + 65), (X0 + 305, Y0 + 215)],
            "m",
        ),
    ],
    ids=["lonlat-region", "us-survey-feet-region", "control-utm-region"],
)
def test_distances_to_points_carry_the_units_they_are_measured_in(
    sandbox: Sandbox,
    cli,
    scheduler: str,
    crs: str,
    resolution: float,
    bounds: list[float],
    points: list[tuple[float, float]],
    units: str,
) -> None:
    """Before: ``distance: true`` of a points source in a region of EPSG:4326 measured
    its distances in degrees (0.031 at most) and in EPSG:2230 in US survey feet (1002),
    and recorded both as ``units: m``, exit 0, without a word: a reader (the report, a
    model card, a partner's GIS) took 1002 feet as 1002 metres. Now the layer records
    the unit it is measured in, and a region in degrees is warned of (degrees are no
    distance on the ground). Control: a UTM region's distances stay metres."""
    import xarray as xr

    (sandbox.root / "wells.csv").write_text(
        "x,y,li\n" + "\n".join(f"{x},{y},{i}" for i, (x, y) in enumerate(points)) + "\n"
    )
    region = {
        "name": "t",
        "crs": crs,
        "resolution": resolution,
        "bounds": bounds,
        "chunks": [20, 20],
    }
    result = _ingest(
        sandbox,
        cli,
        scheduler,
        region=region,
        sources=[
            {
                "kind": "points",
                "name": "wells",
                "path": "wells.csv",
                "x": "x",
                "y": "y",
                "crs": crs,
                "distance": True,
            }
        ],
    )
    assert result.code == 0, result.err[-3000:]
    dist = xr.open_zarr(sandbox.out / "cube.zarr")["wells_dist"]
    assert dist.attrs["units"] == units
    warned = "holds distances in degrees" in " ".join(result.err.split())
    assert warned is (units == "degree")


# --- a config scale that converts a band's stated units the wrong way round ----------------


def _told_scale(tmp_path: Path, stated: str, config: str, scale: float, dtype: str) -> list[str]:
    """The scale warnings of planning a grid stating ``stated`` under ``units: config``
    and ``scale``."""
    import warnings

    import rasterio

    from prospect.config.sources import RasterSource
    from prospect.errors import DataWarning
    from prospect.ingest.rasters import plan_raster

    from .test_rasters_round22 import _grid as _region

    path = _write(tmp_path / "grid.tif", PACKED.astype(dtype))
    with rasterio.open(path, "r+") as dst:
        dst.units = (stated,)
    source = RasterSource(name="heat", path=str(path), units=config, scale=scale)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_raster(source, _region())
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, DataWarning) and "the scale is the inverse" in str(w.message)
    ]


@pytest.mark.parametrize(
    ("stated", "config", "scale", "said"),
    [
        ("mGal", "um/s2", 0.1, "'scale: 10'"),
        ("nT", "pT", 0.001, "'scale: 1000'"),
        ("ft", "m", 1 / 0.3048, "'scale: 0.3048'"),
    ],
    ids=["mgal-to-um-s2", "nt-to-pt", "feet-to-metres"],
)
def test_a_scale_that_converts_stated_units_the_wrong_way_is_warned_of(
    tmp_path: Path, stated: str, config: str, scale: float, said: str
) -> None:
    """Before: a float gravity grid stating ``mGal`` given ``units: um/s2`` with ``scale:
    0.1`` (the inverse of 1 mGal = 10 um/s2) was ingested a hundred times too small,
    exit 0, without a word: the units check says nothing where a scale is given. Now a
    scale that is the inverse of the stated units' factor is warned of with the right
    one."""
    told = _told_scale(tmp_path, stated, config, scale, "float32")
    assert len(told) == 1 and said in told[0], told


@pytest.mark.parametrize(
    ("scale", "dtype"), [(10.0, "float32"), (0.1, "int16")], ids=["right-scale", "packed-int"]
)
def test_control_a_right_scale_or_a_packed_band_is_not_warned_of(
    tmp_path: Path, scale: float, dtype: str
) -> None:
    """Control: ``scale: 10`` from mGal to um/s2 says nothing, and so does ``scale: 0.1``
    on an int16 band stating ``mGal`` (packed 0.01 mGal to um/s2 is 0.1: right)."""
    assert _told_scale(tmp_path, "mGal", "um/s2", scale, dtype) == []


# --- a nodata given as the scaled value of a fill ------------------------------------------


@pytest.mark.parametrize("whose", ["file", "config"])
def test_a_nodata_given_scaled_names_the_stored_fill(
    sandbox: Sandbox, cli, scheduler: str, whose: str
) -> None:
    """Before: ``nodata: -999.9`` for an int16 grid of fill -9999 under the file's (or
    the config's) scale 0.1, the fill as a viewer shows it scaled, was refused as "cannot
    occur" in an int16 band with "give the value the file uses", no word of the scale,
    exit 2. Now the message says nodata is the stored number and names -9999."""
    import rasterio

    grid = PACKED.copy()
    grid[:6] = -9999
    path = _write(sandbox.root / "grid.tif", grid)
    source = _source("grid.tif", nodata=-999.9)
    if whose == "file":
        with rasterio.open(path, "r+") as dst:
            dst.scales = (0.1,)
    else:
        source[0]["scale"] = 0.1
    result = _ingest(sandbox, cli, scheduler, sources=source)
    assert_clean_error(result, 2, "nodata -999.9", "scale 0.1", "'nodata: -9999'")


def test_control_a_nodata_as_stored_under_a_scale_is_no_data(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """Control: ``nodata: -9999`` under the file's scale 0.1 marks the fill rows."""
    import rasterio

    grid = PACKED.copy()
    grid[:6] = -9999
    path = _write(sandbox.root / "grid.tif", grid)
    with rasterio.open(path, "r+") as dst:
        dst.scales = (0.1,)
    result = _ingest(sandbox, cli, scheduler, sources=_source("grid.tif", nodata=-9999))
    assert result.code == 0, result.err[-3000:]
    cube = _cube(sandbox)
    assert np.isnan(cube[:6]).all()
    np.testing.assert_allclose(cube[6:], PACKED[6:] * 0.1, rtol=1e-6)


# --- map sheets compared by their overviews ------------------------------------------------


def _sheets_told(tmp_path: Path, edit: bool) -> list[str]:
    """The seam warnings of planning two SYNTHETIC sheets of 600 x 400 cells overlapping
    over 200 columns, both with internal overviews of one value there; with ``edit``,
    the east sheet's overlap raised by 5 in place after its overviews were built."""
    import warnings

    import rasterio
    from rasterio.transform import from_origin

    from prospect.config.sources import RasterSource
    from prospect.errors import DataWarning
    from prospect.grid import RegionGrid
    from prospect.ingest.rasters import plan_raster

    values = np.full((600, 400), 7.0, "f4")
    for name, x in (("west.tif", X0), ("east.tif", X0 + 2000)):
        _write(
            tmp_path / name,
            values,
            transform=from_origin(x, Y0 + 6000, 10, 10),
            tiled=True,
            blockxsize=256,
            blockysize=256,
        )
        _internal_overviews(tmp_path / name)
    if edit:
        with rasterio.open(tmp_path / "east.tif", "r+") as dst:
            dst.write(values + 5, 1)
    grid = RegionGrid(
        name="sheets",
        crs="EPSG:32619",
        resolution=10.0,
        bounds=(X0, Y0, X0 + 6000, Y0 + 6000),
        chunks=(200, 200),
    )
    source = RasterSource(
        name="mag",
        units="nT",
        scenes=[{"path": str(tmp_path / "west.tif")}, {"path": str(tmp_path / "east.tif")}],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_raster(source, grid)
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, DataWarning) and "overlap over" in str(w.message)
    ]


@needs_gdal_cli
@pytest.mark.parametrize("edit", [True, False], ids=["edited-in-place", "control-agree"])
def test_map_sheets_are_compared_by_their_cells_not_their_overviews(
    tmp_path: Path, edit: bool
) -> None:
    """Before: two magnetic sheets overlapping over 600 x 200 cells, the east one raised
    by 5 nT in place (``r+``) after its internal overviews were built, were mosaicked
    without the seam warning: the comparison's decimated read (every third cell) was
    served from the overviews, which still agreed. Now the sheets are read without
    their overviews and the seam is warned of. Control: sheets that agree say nothing."""
    told = _sheets_told(tmp_path, edit)
    if edit:
        assert len(told) == 1 and "by up to 5" in told[0], told
    else:
        assert told == []
