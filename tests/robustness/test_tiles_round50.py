"""Tiles stage and delivered files, round 50: a categorical raster source whose files name
no classes (``values: categorical``, an Int16 unit map without a raster attribute table or
colour table) tiled, served and legended as a ramp of values.

Its cube variable says ``prospect_kind: categorical`` (and its code range), but holds no
``categories`` table, so the layer's reader found no classes: the tiles were read
bilinear (codes of two units averaged into codes of no unit at every contact), coloured
over the codes' 2-98 %, the legend a ramp, the viewer's click a value. Now the codes the
variable holds are its classes, unnamed, as a COG's coded band's are
(``tiles.source._cube_coded_classes``).

Cubes are SYNTHETIC zarr v3 stores written here; the stage case runs ``prospect ingest``
and ``prospect tiles`` of the tiny SYNTHETIC job through the real CLI in this process.
Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

from .conftest import Sandbox, write_tiny_raster


def _blocks(codes: tuple[float, ...], shape: tuple[int, int] = (40, 40)) -> np.ndarray:
    """A SYNTHETIC unit map: vertical bands of ``codes`` across ``shape``."""
    cols = np.array_split(np.arange(shape[1]), len(codes))
    data = np.empty(shape, "f4")
    for code, idx in zip(codes, cols, strict=True):
        data[:, idx] = code
    return data


def _cube(path: Path, data: np.ndarray, **attrs: Any) -> Path:
    """A SYNTHETIC cube over 5-6 E, 52-53 N holding ``geo`` (``data``, with ``attrs``)."""
    ny, nx = data.shape
    y = 53.0 - (np.arange(ny) + 0.5) / ny
    x = 5.0 + (np.arange(nx) + 0.5) / nx
    geo = xr.DataArray(data, dims=("y", "x"), coords={"y": y, "x": x}, attrs=attrs)
    ds = xr.Dataset({"geo": geo}).rio.write_crs("EPSG:4326")
    ds.attrs["synthetic"] = "true"
    with warnings.catch_warnings():  # zarr's note on consolidated metadata in v3
        warnings.simplefilter("ignore")
        ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w")
    return path


def _classes(path: Path) -> dict[int, str] | None:
    from tiles.metadata import layer_classes
    from tiles.source import cube_source

    return layer_classes(cube_source(path, "geo").tags)


# -- the layer's reader (the tiles stage and ``prospect serve`` alike) -------------------


@pytest.mark.parametrize("missing", [np.nan, None], ids=["with-no-data", "full"])
def test_a_categorical_cube_variable_without_a_code_table_is_a_class_map(
    tmp_path: Path, missing: float | None
) -> None:
    """A cube variable of ``prospect_kind: categorical`` holding codes 1, 2 and 7 and no
    ``categories`` table had no classes (``None``: a layer of values, read bilinear and
    coloured as a ramp). Now its classes are the codes it holds, unnamed; no data is no
    class."""
    data = _blocks((1.0, 2.0, 7.0))
    if missing is not None:
        data[:5] = missing
    cube = _cube(
        tmp_path / "cube.zarr", data, prospect_kind="categorical", valid_range=[1, 7], units="1"
    )
    assert _classes(cube) == {1: "", 2: "", 7: ""}


def test_control_a_code_table_in_the_cube_keeps_its_names(tmp_path: Path) -> None:
    """control: a categorical variable with its ``categories`` table (a geology layer's,
    or a raster's with a raster attribute table) keeps the table's names and codes."""
    cube = _cube(
        tmp_path / "cube.zarr",
        _blocks((1.0, 2.0, 7.0)),
        prospect_kind="categorical",
        categories=json.dumps({"1": "granite", "2": "basalt", "7": "till", "9": "marl"}),
    )
    assert _classes(cube) == {1: "granite", 2: "basalt", 7: "till", 9: "marl"}


@pytest.mark.parametrize(
    ("kind", "codes"),
    [("continuous", (1.0, 2.0, 7.0)), (None, (1.0, 2.0, 7.0)), ("categorical", (0.25, 1.0, 2.5))],
    ids=["continuous", "no-kind", "fractions"],
)
def test_control_a_layer_of_values_has_no_classes(
    tmp_path: Path, kind: str | None, codes: tuple[float, ...]
) -> None:
    """control: a continuous variable (or one of no kind) of whole numbers stays a layer
    of values, and so does a "categorical" one holding fractions (no codes)."""
    attrs = {} if kind is None else {"prospect_kind": kind}
    cube = _cube(tmp_path / "cube.zarr", _blocks(codes), **attrs)
    assert _classes(cube) is None


# -- the tiles stage -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiled(
    tmp_path_factory: pytest.TempPathFactory, scheduler: str
) -> tuple[Sandbox, Any, list[str]]:
    """The tiny SYNTHETIC job (``heat``, units ``1``) with a unit map of codes 1, 2 and 7
    (Int16, nodata -1, no attribute or colour table) as ``values: categorical``, ingested
    and tiled once: the unit map, ``heat`` given ``units: W/m2`` (``heat_w``) and ``heat``
    given ``units: " 1 "`` (``heat_one``, a spelling of its own units), and a unit map of
    300 codes (``many``, the same kind); the box, the tiles run's outcome and the "+N
    more" lines its class legends ended in."""
    import tiles.legend

    from .conftest import run_in_process

    box = Sandbox(tmp_path_factory.mktemp("round50tiles") / "box")
    codes = _blocks((1.0, 2.0, 7.0)).astype("int16")
    codes[:4, :4] = -1
    write_tiny_raster(box.root / "units.tif", values=codes, nodata=-1)
    many = (np.arange(1600).reshape(40, 40) % 300).astype("int16")
    write_tiny_raster(box.root / "many.tif", values=many, nodata=-1)
    sources = [
        *box.job()["sources"],
        {"kind": "raster", "name": "units", "path": "units.tif", "values": "categorical"},
        {"kind": "raster", "name": "many", "path": "many.tif", "values": "categorical"},
    ]
    layers = [
        {"variable": "units"},
        {"variable": "heat", "name": "heat_w", "units": "W/m2"},
        {"variable": "heat", "name": "heat_one", "units": " 1 "},
        {"variable": "many"},
    ]
    box.write_job(
        sources=sources, tiles={"min_zoom": 14, "max_zoom": 14, "archive": False, "layers": layers}
    )
    result = run_in_process("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.out + result.err
    lines: list[str] = []
    drawn = tiles.legend._more_classes

    def more(*args: Any, **kwargs: Any) -> str:
        lines.append(drawn(*args, **kwargs))
        return lines[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles.legend, "_more_classes", more)
        tiled = run_in_process("tiles", box.job_path, "-o", box.out, "--scheduler", scheduler)
    return box, tiled, lines


def _viewer_layer(box: Sandbox, name: str) -> dict[str, Any]:
    html = (box.out / "viewer" / "index.html").read_text()
    found = re.search(r'id="prospect-config">(.*?)</script>', html, re.DOTALL)
    assert found is not None
    config = json.loads(found.group(1))
    return next(lay for lay in config["layers"] if lay["name"] == name)


def test_the_stage_tiles_a_categorical_raster_without_a_code_table_as_classes(
    tiled: tuple[Sandbox, Any, list[str]],
) -> None:
    """``prospect tiles`` of the unit map said "colour range 1 to 7, the 2-98 % of its
    data", drew a viridis ramp read bilinear (blended colours at each contact: codes of no
    unit), a ramp legend and a viewer without classes. Now its tiles hold its three
    classes' colours alone, and the viewer lists the codes as its classes."""
    from PIL import Image

    box, result, _ = tiled
    text = result.out + result.err
    assert result.code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    assert "layer 'units': colour range" not in " ".join(text.split())
    assert _viewer_layer(box, "units")["classes"] == {"1": "", "2": "", "7": ""}
    tiles = sorted((box.out / "tiles" / "units" / "14").rglob("*.png"))
    assert tiles
    colours: set[tuple[int, ...]] = set()
    for tile in tiles:
        with Image.open(io.BytesIO(tile.read_bytes())) as img:
            rgba = np.asarray(img.convert("RGBA")).reshape(-1, 4)
        colours |= {tuple(int(v) for v in c) for c in np.unique(rgba[rgba[:, 3] > 0], axis=0)}
    assert 1 < len(colours) <= 3, sorted(colours)


def test_the_stage_says_a_layers_units_are_not_its_datas(
    tiled: tuple[Sandbox, Any, list[str]],
) -> None:
    """``units: W/m2`` in ``tiles.layers`` for a layer whose data state ``1`` labelled
    its legend, TileJSON and click values in W/m2 without a word (nothing is converted).
    Now a warning names the layer, both units and the fix; the stage still ends 0."""
    _, result, _ = tiled
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text
    assert (
        "layer 'heat_w': units 'W/m2' in tiles.layers are not the units its data "
        "state ('1')" in text
    )
    assert "remove units from tiles.layers" in text and "give units: 1" in text
    assert "layer 'heat_one': units" not in text  # control: a spelling of its own units


def test_the_stages_legend_file_of_many_classes_says_where_the_rest_are_read(
    tiled: tuple[Sandbox, Any, list[str]],
) -> None:
    """The stage's ``legend.png`` of a unit map of 300 classes ended "+79 more
    (WIDTH=2048, HEIGHT=436)": a GetLegendGraphic request's parameters, which a partner
    holding the file (or the archive beside it) cannot ask of a PNG. Now it ends saying
    where each cell's class is read (the viewer's click)."""
    box, result, lines = tiled
    assert result.code == 0, result.out + result.err
    assert (box.out / "tiles" / "many" / "legend.png").is_file()
    assert lines, "no class legend of 'many' left classes out"
    for line in lines:
        assert "WIDTH=" not in line and "HEIGHT=" not in line, line
        assert "click a cell in the viewer for its class" in line, line


def test_control_a_served_legend_of_many_classes_names_the_size_that_holds_them() -> None:
    """control: the server's legend (``/legend``, GetLegendGraphic: a size a client may
    ask) still names the WIDTH and HEIGHT that hold every class."""
    import tiles.legend
    from prospect.config.tiles import TileLayerConfig

    lines: list[str] = []
    drawn = tiles.legend._more_classes

    def more(*args: Any, **kwargs: Any) -> str:
        lines.append(drawn(*args, **kwargs))
        return lines[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles.legend, "_more_classes", more)
        tiles.legend.legend_png(
            TileLayerConfig(variable="many", resampling="nearest"),
            classes={code: "" for code in range(300)},
        )
    assert lines and all("WIDTH=2048" in line for line in lines), lines


@pytest.mark.parametrize(
    ("given", "data"),
    [
        ("mW m-2", "mW/m2"),
        ("mW/m²", "mW/m2"),
        ("mg/kg", "ppm"),
        ("ppm", ""),
        ("", "mW/m2"),
        ("probability", "1"),
        ("Heat flow units", "mW/m2"),
    ],
    ids=[
        "udunits",
        "superscript",
        "one-scale",
        "data-of-no-units",
        "no-units-given",
        "not-a-unit",
        "words",
    ],
)
def test_control_units_of_the_same_unit_or_unread_say_nothing(given: str, data: str) -> None:
    """control: spellings of one unit, data of no units, and words no unit grammar reads
    are not called another unit."""
    from tiles.metadata import units_warning

    assert units_warning("heat", given, {"units": data}) is None


@pytest.mark.parametrize(
    ("given", "data", "why"),
    [
        ("W/m2", "mW/m2", "scaled by a factor of 0.001"),
        ("%", "1", "factor of 100"),
        ("degC", "K", "one temperature"),
        ("ppm", "mW/m2", ""),
    ],
    ids=["prefix", "percent", "temperature", "other-quantity"],
)
def test_a_layer_given_another_unit_than_its_datas_is_told(given: str, data: str, why: str) -> None:
    """Heat flow in mW/m2 labelled W/m2 (1000 times off), a probability labelled %,
    kelvins labelled degC: each is said, with why where it is known."""
    from tiles.metadata import units_warning

    said = units_warning("heat", given, {"units": data})
    assert said is not None and f"({data!r})" in said and why in said


def test_serve_check_says_a_layers_units_are_not_its_datas(tmp_path: Path, cli: Any) -> None:
    """``prospect serve --check`` of a cube variable in mW/m2 given ``units: W/m2`` was
    "config and layers OK", its legends and clicks then read in W/m2. Now it warns, as the
    stage does; the check still passes."""
    _cube(tmp_path / "cube.zarr", _blocks((60.0, 80.0, 95.0)), units="mW/m2")
    (tmp_path / "serve.yaml").write_text(
        "layers:\n  - {name: heat, cube: cube.zarr, variable: geo, public: true, "
        "units: W/m2}\n  - {name: same, cube: cube.zarr, variable: geo, public: true, "
        "units: mW m-2}\n"
    )
    result = cli("serve", tmp_path / "serve.yaml", "--check")
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text
    assert "config and layers OK" in text and "Traceback" not in text
    assert (
        "layer 'heat': units 'W/m2' in the serve config's layer are not the units "
        "its data state ('mW/m2')" in text
    )
    assert "layer 'same': units" not in text  # control: a spelling of mW/m2
