"""Survey rasters whose grid, no data, units or neighbours GDAL reads without a word:
a grid stated twice (a world file or an ``.aux.xml`` beside a GeoTIFF), float nodata
written as a rounded text, map sheets that disagree where they overlap, files much
coarser than the region, a file that only touches the region, units of another size,
values a scale takes past float32, the source files of a VRT read over a network, and
``ncatted`` advice for a variable in a netCDF-4 group.

Found by writing geophysics and geochemistry grids (GeoTIFF with world files and
``.aux.xml``, mosaics of sheets, VRTs served over HTTP, netCDF-4 with groups) with
rasterio, GDAL's tools and by hand into ``tmp_path`` and feeding them to the real
``prospect`` CLI or the planning functions (2026-12-03). Every file here is small and
SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error
from .test_imagery_round21 import served  # noqa: F401  (the HTTP folder fixture)
from .test_point_tables import X0, Y0, _ingest
from .test_rasters_round12 import _gdal
from .test_rasters_round15 import _cube, _source
from .test_rasters_round16 import _write
from .test_rasters_round17 import _notes
from .test_rasters_round21 import _grouped

VALUES = (np.random.default_rng(22).random((40, 40)) * 100).astype("f4")


def _said(box: Sandbox, needle: str) -> list[str]:
    return [n for n in _notes(box) if needle in n]


def _grid() -> Any:
    from prospect.grid import RegionGrid

    r = TINY_REGION
    return RegionGrid(name=r["name"], crs=r["crs"], resolution=r["resolution"],
                      bounds=tuple(r["bounds"]), chunks=tuple(r["chunks"]))


# --- a grid stated twice -------------------------------------------------------------------------

@pytest.mark.parametrize(("sidecar", "taken", "nan_columns"), [
    ("m.tfw", "GDAL takes the GeoTIFF's own tags", 0),
    ("m.tif.aux.xml", "GDAL takes m.tif.aux.xml", 10),
], ids=["world-file", "aux-xml"])
def test_a_grid_stated_twice_that_disagrees_says_which_gdal_takes(
        sandbox: Sandbox, cli, scheduler: str, sidecar: str, taken: str,
        nan_columns: int) -> None:
    """Before: a GeoTIFF with a world file 20 cells east of its own tags was placed by its
    tags, and one with an ``.aux.xml`` stating a GeoTransform 10 cells east was placed by
    the ``.aux.xml`` (GDAL ranks it first), exit 0, without a word either way. Now one
    warning names both grids, the one GDAL took and how to keep the other."""
    _write(sandbox.root / "m.tif", VALUES)
    if sidecar.endswith(".tfw"):
        (sandbox.root / sidecar).write_text(f"10\n0\n0\n-10\n{X0 + 205}\n{Y0 + 395}\n")
    else:
        (sandbox.root / sidecar).write_text(
            f"<PAMDataset><GeoTransform>{X0 + 100}, 10, 0, {Y0 + 400}, 0, -10"
            "</GeoTransform></PAMDataset>")
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert result.code == 0, result.err[-3000:]
    said = _said(sandbox, "its grid is stated twice")
    assert len(said) == 1, _notes(sandbox)
    assert taken in said[0] and sidecar in said[0] and "GDAL_GEOREF_SOURCES" in said[0]
    assert np.isnan(_cube(sandbox)).all(axis=0).sum() == nan_columns


def test_an_aux_xml_stating_another_crs_alone_is_said(tmp_path: Path) -> None:
    """Before: an ``.aux.xml`` stating ``<SRS>EPSG:32620</SRS>`` (no grid) beside a UTM 19N
    GeoTIFF made GDAL read the file as UTM 20N, 600 km west, without a word (the region
    then "overlapped none of its files", its hint to set the region's CRS to 20N). Now a
    warning names both CRSs and which one GDAL took."""
    from prospect.errors import DataWarning
    from prospect.io.raster import raster_info

    path = _write(tmp_path / "m.tif", VALUES)
    (tmp_path / "m.tif.aux.xml").write_text(
        '<PAMDataset><SRS dataAxisToSRSAxisMapping="1,2">EPSG:32620</SRS></PAMDataset>')
    with pytest.warns(DataWarning, match=r"m.tif.aux.xml states EPSG:32620, the GeoTIFF's "
                                         r"own tags EPSG:32619; GDAL takes m.tif.aux.xml's"):
        assert raster_info(path).crs == "EPSG:32620"


def test_control_a_world_file_that_agrees_is_not_said(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    """Control: a world file stating the GeoTIFF's own grid (cell centres) says nothing."""
    _write(sandbox.root / "m.tif", VALUES)
    (sandbox.root / "m.tfw").write_text(f"10\n0\n0\n-10\n{X0 + 5}\n{Y0 + 395}\n")
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "stated twice")
    np.testing.assert_array_equal(_cube(sandbox), VALUES)


# --- float nodata written as a rounded text ------------------------------------------------------

@pytest.mark.parametrize(("tag", "config"), [("-3.4e38", None), (None, -3.4e38)],
                         ids=["file", "config"])
def test_float32_lowest_stated_as_a_rounded_text_is_no_data(
        sandbox: Sandbox, cli, scheduler: str, tag: str | None,
        config: float | None) -> None:
    """Before: a float32 grid filled with float32's lowest (-3.4028235e38, ArcGIS's fill)
    stating nodata ``-3.4e38`` was warned of as "declared nodata -3.39999995e+38 never
    occurs while -3.4028234663852886e+38 fills 18 % ... so it is read as data" (the
    stated text compared as float32 is another number), while GDAL's warper dropped it
    and reads that compare exactly (masked blocks) kept it. Now the rounded text is the
    limit it rounds: no data in every read, nothing said."""
    data = VALUES.copy()
    data[:, :7] = np.finfo(np.float32).min
    _write(sandbox.root / "m.tif", data)
    if tag is not None:
        _gdal("gdal_edit.py", "-a_nodata", tag, sandbox.root / "m.tif")
    extra = {"nodata": config} if config is not None else {}
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif", **extra))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "read as data"), _notes(sandbox)
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :7]).all() and np.isfinite(cube[:, 7:]).all()


def test_a_float64_grids_1e20_fill_written_through_float32_is_no_data(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a float64 grid stating nodata 1e20 (NCL's and CESM's fill) whose fill
    cells were written through float32 (1.0000000200408773e20) was warned of as "declared
    nodata 1e+20 never occurs while 1.0000000200408773e+20 fills ... read as data" while
    GDAL's warper dropped them (a float64 sentinel's float32 rounding counted only from
    1e30). Now both are no data, nothing said."""
    data = VALUES.astype("f8")
    data[:, :7] = float(np.float32(1e20))
    _write(sandbox.root / "m.tif", data, nodata=1e20)
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "read as data"), _notes(sandbox)
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :7]).all() and np.isfinite(cube[:, 7:]).all()


def test_a_rounded_limit_is_held_beside_the_stated_value() -> None:
    """The stored values of a nodata text: the float32 rounding of ``-3.4e38`` and the
    limit it rounds; a value that rounds no limit (1e20, -9999.0001) is as before."""
    from prospect.io.raster import stored_values

    low = float(np.finfo(np.float32).min)
    assert low in stored_values(-3.4e38, "float32")
    assert low in stored_values(float(np.float32(-3.40282e38)), "float32")  # as GDAL reads it
    assert low in stored_values(-3.40282e38, "float64")
    assert stored_values(1e20, "float32") == (float(np.float32(1e20)),)
    assert stored_values(-9999.0001, "float32") == (-9999.0,)


# --- map sheets that disagree where they overlap -------------------------------------------------

def _sheets(box: Sandbox, east_value: float) -> list[dict[str, Any]]:
    """Two sheets of 30 columns, 10 of them in common; the west one's first 3 columns
    -9999 (its nodata), the east one's last 3 -32768 (its own)."""
    from rasterio.transform import from_origin

    west = np.full((40, 30), 1.0, "f4")
    west[:, :3] = -9999
    east = np.full((40, 30), east_value, "f4")
    east[:, :5] = 1.0  # under the west sheet's no data: the east sheet's values show
    east[:, -3:] = -32768
    _write(box.root / "west.tif", west, nodata=-9999)
    _write(box.root / "east.tif", east, nodata=-32768,
           transform=from_origin(X0 + 100, Y0 + 400, 10, 10))
    return [{"kind": "raster", "name": "heat", "units": "nT",
             "scenes": [{"path": "west.tif"}, {"path": "east.tif"}]}]


def test_map_sheets_that_disagree_where_they_overlap_are_said(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Before: two magnetic sheets overlapping over 20 columns, 1 nT apart there, were
    mosaicked with the first listed winning, exit 0, without a word of the seam. Now one
    warning names both files, the cells that differ and by how much, and which one the
    cube holds. Each sheet's own nodata is no data."""
    result = _ingest(sandbox, cli, scheduler, sources=_sheets(sandbox, 2.0))
    assert result.code == 0, result.err[-3000:]
    said = _said(sandbox, "overlap over")
    assert len(said) == 1, _notes(sandbox)
    assert "west.tif and" in said[0] and "by up to 1 " in said[0]
    assert "holds " in said[0] and "west.tif's value" in said[0]
    cube = _cube(sandbox)
    assert np.isnan(cube[:, :3]).all() and np.isnan(cube[:, -3:]).all()
    assert (cube[:, 3:30] == 1.0).all() and (cube[:, 30:37] == 2.0).all()


def test_control_map_sheets_that_agree_are_not_said(sandbox: Sandbox, cli,
                                                    scheduler: str) -> None:
    """Control: sheets of one value in their overlap, each with its own nodata."""
    result = _ingest(sandbox, cli, scheduler, sources=_sheets(sandbox, 1.0))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "overlap over")
    cube = _cube(sandbox)
    assert (cube[:, 3:37] == 1.0).all() and np.isnan(cube[:, :3]).all()


# --- files much coarser than the region; a file that only touches it -----------------------------

@pytest.mark.parametrize("crs", ["EPSG:32619", "EPSG:4326"], ids=["same-crs", "lon-lat"])
def test_a_file_much_coarser_than_the_region_is_said_to_be_interpolated(
        sandbox: Sandbox, cli, scheduler: str, crs: str) -> None:
    """Before: a 10 x 10 grid of about 40 m cells (UTM, or lon/lat: another CRS) in the
    10 m region had every cube value interpolated between its cells (bilinear), exit 0,
    without a word. Now one warning gives the file's cell, the ratio and the fix."""
    from rasterio.transform import from_origin
    from rasterio.warp import transform_bounds

    w, s, e, n = X0, Y0, X0 + 400, Y0 + 400
    if crs != "EPSG:32619":
        w, s, e, n = transform_bounds("EPSG:32619", crs, w, s, e, n)
    _write(sandbox.root / "m.tif", VALUES[:10, :10], crs=crs,
           transform=from_origin(w, n, (e - w) / 10, (n - s) / 10))
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert result.code == 0, result.err[-3000:]
    said = _said(sandbox, "times the cells of region 'tiny'")
    assert len(said) == 1 and "bilinear" in said[0] and "resampling: nearest" in said[0]


def test_control_class_codes_of_a_coarse_map_are_not_said(sandbox: Sandbox, cli,
                                                          scheduler: str) -> None:
    """Control: a coarse map of class codes is read by nearest (each code kept)."""
    from rasterio.transform import from_origin

    codes = (VALUES[:10, :10] // 20).astype("uint8") + 1
    _write(sandbox.root / "m.tif", codes, transform=from_origin(X0, Y0 + 400, 40, 40))
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("m.tif", values="categorical"))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "times the cells")


def test_control_a_coarse_file_whose_resampling_is_stated_is_not_said(
        sandbox: Sandbox, cli, scheduler: str) -> None:
    """Control: a source that states ``resampling: bilinear`` chose the blend (a survey's
    regional grid on a fine region, every run): no warning."""
    from rasterio.transform import from_origin

    _write(sandbox.root / "m.tif", VALUES[:10, :10], transform=from_origin(X0, Y0 + 400, 40, 40))
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif", resampling="bilinear"))
    assert result.code == 0, result.err[-3000:]
    assert not _said(sandbox, "times the cells")


@pytest.mark.parametrize(("left", "top", "edge"), [
    (X0 + 400, Y0 + 400, "east (x = 500400)"),
    (X0 - 400, Y0, "west (x = 500000) and south (y = 1350000)"),
], ids=["edge", "corner"])
def test_a_file_that_only_touches_the_region_says_so(sandbox: Sandbox, cli, scheduler: str,
                                                     left: float, top: float,
                                                     edge: str) -> None:
    """Before: a sheet sharing only an edge (or a corner) with the region was "none of
    its files overlap ... check the files, their CRS or the region". Now the file, the
    edge it touches and its span are named."""
    from rasterio.transform import from_origin

    _write(sandbox.root / "m.tif", VALUES, transform=from_origin(left, top, 10, 10))
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif"))
    assert_clean_error(result, 1, "m.tif only touches the region's", edge,
                       "no cell of the file lies inside")


# --- units of another size; values a scale takes past float32 -----------------------------------

def test_units_of_another_size_name_the_factor(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: a magnetic grid stating ``pT`` read as ``units: nT`` was warned of with
    "convert with 'scale:' and 'offset:'", leaving the factor (and its direction) to the
    user. Now the factor that converts the file's units to the config's is named."""
    import rasterio

    with rasterio.open(_write(sandbox.root / "m.tif", VALUES), "r+") as dst:
        dst.units = ("pT",)
    result = _ingest(sandbox, cli, scheduler, sources=_source("m.tif", units="nT"))
    assert result.code == 0, result.err[-3000:]
    said = _said(sandbox, "states its units as 'pT'")
    assert len(said) == 1 and "'scale: 0.001' to convert them to nT" in said[0], said


@pytest.mark.parametrize(("stated", "wanted", "factor"), [
    ("pT", "nT", 0.001), ("nT", "pT", 1000.0), ("mGal", "um/s2", 10.0),
    ("mGal", "\u00b5m/s\u00b2", 10.0), ("ppb", "ppm", 0.001), ("%", "ppm", 10000.0),
    ("ppm", "wt%", 0.0001), ("mW/m2", "W/m2", 0.001),
    ("K", "degC", None), ("nT", "mGal", None), ("mg/kg", "ppm", None),
])
def test_unit_factor_converts_one_quantity_in_another_size(stated: str, wanted: str,
                                                           factor: float | None) -> None:
    """The factor from a file's units to the config's: survey units of one quantity in
    other sizes (magnetics, gravity, concentrations, heat flow); ``None`` for other
    quantities, one unit spelt two ways, or a scale with an offset (temperatures)."""
    from prospect.ingest.layers import unit_factor

    assert unit_factor(stated, wanted) == factor


def test_values_a_scale_takes_past_float32_are_refused_without_numpys_warning(
        tmp_path: Path) -> None:
    """Before: int16 values at the type's limit with a band scale of 1e36 printed numpy's
    "RuntimeWarning: overflow encountered in multiply" with a library path before the
    refusal of the infinite cell. Now only the refusal, naming the cell and the scale."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.ingest.rasters import plan_raster

    data = np.full((40, 40), 32767, "int16")
    data[:, :3] = -32768
    path = _write(tmp_path / "m.tif", data)
    _gdal("gdal_edit.py", "-scale", "1e36", "-offset", "0", path)
    grid = _grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fill check's DataWarning
        layer, = plan_raster(RasterSource(name="heat", path=str(path), units="1"), grid)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError, match=r"infinite value .* x scale 1e\+36"):
            layer.compute(grid, next(iter(grid.chunk_windows())))


# --- a VRT read over a network: every source's codec ---------------------------------------------

def _served_mosaic(root: Path, jpeg: int) -> None:
    """80 byte tiles of 5 x 4 cells (8 across, 10 down) covering the tiny region, tile
    ``jpeg`` stored as JPEG, and a hand-written VRT over them."""
    from rasterio.transform import from_origin

    parts = []
    for i in range(80):
        col, row = i % 8, i // 8
        opts = {"compress": "JPEG"} if i == jpeg else {}
        _write(root / f"t{i}.tif", (VALUES[row * 4:row * 4 + 4, col * 5:col * 5 + 5]
                                    ).astype("uint8"),
               transform=from_origin(X0 + 50 * col, Y0 + 400 - 40 * row, 10, 10), **opts)
        parts.append(
            f'<SimpleSource><SourceFilename relativeToVRT="1">t{i}.tif</SourceFilename>'
            '<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="5" ySize="4"/>'
            f'<DstRect xOff="{5 * col}" yOff="{4 * row}" xSize="5" ySize="4"/>'
            "</SimpleSource>")
    (root / "map.vrt").write_text(
        '<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:32619</SRS>'
        f"<GeoTransform>{X0}, 10, 0, {Y0 + 400}, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1">' + "".join(parts)
        + "</VRTRasterBand></VRTDataset>")


@pytest.fixture()
def no_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL asks for no folder listing beside a remote file (this test server's listing
    keeps GDAL waiting for its timeout; real servers answer it)."""
    monkeypatch.setenv("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")


@pytest.mark.usefixtures("no_listing")
def test_a_lossy_source_past_the_64th_of_a_remote_vrt_is_told(served) -> None:  # noqa: F811
    """Before: of a mosaic VRT read over HTTP only the first 64 source files' headers
    were opened, so a JPEG 70th tile was read without a word (a local VRT's JPEG tile
    is named). Now every source is opened (16 requests at a time) and the JPEG tile
    named in the header read's ``lossy``."""
    from prospect.io.raster import raster_info

    root, url = served
    _served_mosaic(root, jpeg=70)
    info = raster_info(f"/vsicurl/{url}/map.vrt")
    assert "JPEG compression" in info.lossy and "t70.tif" in info.lossy, info.lossy


@pytest.mark.usefixtures("no_listing")
def test_sources_past_the_cap_of_a_remote_vrt_are_said(served,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``PROSPECT_REMOTE_VRT_SOURCES`` source files (1 024 by default) the others are
    not opened, and one warning says how many, what is unchecked and the fix."""
    from prospect.errors import DataWarning
    from prospect.io.raster import raster_info

    root, url = served
    _served_mosaic(root, jpeg=70)
    monkeypatch.setenv("PROSPECT_REMOTE_VRT_SOURCES", "32")
    with pytest.warns(DataWarning, match=r"it has 80 source files, and the headers of the "
                                         r"first 32 were opened: the other 48 were not"):
        raster_info(f"/vsicurl/{url}/map.vrt")


# --- ncatted advice for a variable in a netCDF-4 group -------------------------------------------

@pytest.mark.parametrize(("attrs", "fix"), [
    ({"scale_factor": np.float32(0.2), "valid_range": np.array([0, 100], "f4")},
     "ncatted -O -a valid_range,/geophysics/heat,o,s,0,500 in.nc"),
    ({"scale_factor": "0.01"}, "ncatted -O -a scale_factor,/geophysics/heat,o,f,0.01 in.nc"),
], ids=["unpacked-valid-range", "text-scale-factor"])
def test_ncatted_advice_names_a_grouped_variable_by_its_path(sandbox: Sandbox, cli,
                                                             scheduler: str, attrs: dict,
                                                             fix: str) -> None:
    """Before: the fix for a grouped variable's attribute named it ``heat``
    (``ncatted -a valid_range,heat,...``), which ``ncatted`` looks up in the root group
    and does not find. Now it is named by its path from the root."""
    _grouped(sandbox.root / "g.nc", (VALUES * 5).astype("i2"), attrs)
    result = _ingest(sandbox, cli, scheduler,
                     sources=_source("g.nc", variable="/geophysics/heat"))
    assert_clean_error(result, 1, "g.nc", fix)


# --- an ESRI binary grid given as its folder; a multi-band file given as one layer -------------

def test_an_esri_binary_grid_folder_names_its_header(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Before: the folder of an ESRI binary grid (``mag/hdr.adf``, ``mag/w001001.adf``...:
    how ArcGIS writes a grid, and how users name it) was "a folder, not a raster file;
    give the path of the file inside it", without saying which of its files. Now the
    header GDAL reads it by is named. (No GDAL writer makes this format: the folder
    holds the file names ArcGIS writes, not a grid.)"""
    grid = sandbox.root / "mag"
    grid.mkdir()
    for name in ("hdr.adf", "w001001.adf", "w001001x.adf", "dblbnd.adf", "sta.adf"):
        (grid / name).write_bytes(b"")
    result = _ingest(sandbox, cli, scheduler, sources=_source("mag"))
    assert_clean_error(result, 1, "ESRI binary grid", "give 'path:", "mag/hdr.adf'")


@pytest.mark.parametrize("layout", ["bands", "path"])
def test_a_multi_band_file_as_one_layer_says_how_to_take_one_band(
        tmp_path: Path, layout: str) -> None:
    """A 3-band file given as one layer is refused (GDAL would read its first band): the
    refusal now also says how to take the one band meant out of it."""
    from prospect.config.sources import RasterSource
    from prospect.errors import DataError
    from prospect.ingest.rasters import plan_raster

    path = _write(tmp_path / "survey.tif", np.stack([VALUES] * 3))
    spec = {"bands": {"heat": str(path)}} if layout == "bands" else {"path": str(path)}
    with pytest.raises(DataError, match=r"has 3 bands.*gdal_translate -b <n> survey\.tif "
                                        r"survey_b<n>\.tif"):
        plan_raster(RasterSource(name="heat", units="1", **spec), _grid())


@pytest.mark.realdata
@pytest.mark.parametrize("levelled", [25.0, 0.0], ids=["levelled-apart", "control-same"])
def test_real_magnetic_sheets_levelled_apart_are_said(sandbox: Sandbox, cli, scheduler: str,
                                                     shared_data: Path,
                                                     levelled: float) -> None:
    """Two sheets cut from the real USGS 1 km magnetic grid (Wisconsin, EPSG:5070), 20
    columns in common; the east one levelled 25 nT up, as a survey flown and levelled
    apart is. Before: mosaicked without a word of the seam. Control: the sheets as cut
    agree where they overlap, and nothing is said."""
    import rasterio

    mag = shared_data / "usgs_aem_magnetics_gspy" / "mag_aligned.tif"
    for name, col in (("west.tif", 90), ("east.tif", 130)):
        _gdal("gdal_translate", "-q", "-srcwin", str(col), "300", "60", "60", mag,
              sandbox.root / name)
    with rasterio.open(sandbox.root / "east.tif", "r+") as dst:
        data = dst.read(1)
        dst.write(np.where(data != dst.nodata, data + levelled, data), 1)
    region = {"name": "wi", "crs": "EPSG:5070", "resolution": 1000.0,
              "bounds": [380955.0, 1288285.0, 480955.0, 1348285.0], "chunks": [20, 20]}
    result = _ingest(sandbox, cli, scheduler, region=region, sources=[
        {"kind": "raster", "name": "heat", "units": "nT",
         "scenes": [{"path": "west.tif"}, {"path": "east.tif"}]}])
    assert result.code == 0, result.err[-3000:]
    said = _said(sandbox, "overlap over 60 x 20 of their cells")
    if levelled:
        assert len(said) == 1 and "1200 of 1200 cells compared differ" in said[0], said
        assert "by up to 25 " in said[0]
    else:
        assert not said
