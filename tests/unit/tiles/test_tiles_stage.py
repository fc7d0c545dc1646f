"""The tiles stage: pyramids, legends, TileJSON, archives and the static viewer."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipelines.context import RunContext
from pipelines.stages.tiles import run
from prospect.config.job import JobConfig
from prospect.errors import StageError


def _job(**tiles) -> JobConfig:
    return JobConfig.model_validate({
        "name": "tiles-test", "synthetic": True, "region": "bonaire",
        "tiles": {"min_zoom": 13, "max_zoom": 14, **tiles},
    })


def test_stage_writes_pyramids_archives_and_viewer(tile_fixture, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(tile_fixture.probability, out / "score" / "probability.tif")
    shutil.copy(tile_fixture.uncertainty, out / "score" / "uncertainty.tif")
    result = run(RunContext(job=_job(), out_dir=out, grid=tile_fixture.grid))
    for layer in ("probability", "uncertainty"):
        d = out / "tiles" / layer
        doc = json.loads((d / "tilejson.json").read_text())
        # a 2 km layer at 10 m fits one zoom-14 tile: the job's 13 is narrowed away
        assert (doc["minzoom"], doc["maxzoom"]) == (14, 14)
        assert sorted(p.name for p in d.iterdir() if p.is_dir()) == ["14"]
        assert (d / "legend.png").stat().st_size > 0
        assert doc["tiles"] == ["{z}/{x}/{y}.png"] and doc["prospect"]["synthetic"] is True
        assert (out / "tiles" / f"{layer}.pmtiles").stat().st_size > 0
        assert result.metrics[f"{layer}_tiles"] == len(list(d.glob("*/*/*.png")))
    html = (out / "viewer" / "index.html").read_text()
    config = json.loads(re.search(r'id="prospect-config">(.*?)</script>', html, re.S).group(1))
    assert [(lyr["name"], lyr["role"]) for lyr in config["layers"]] == [
        ("probability", "value"), ("uncertainty", "uncertainty")]
    # relative URLs resolve from the page to files that exist
    first = next((out / "tiles" / "probability" / "14").glob("*/*.png"))
    url = config["layers"][0]["tiles"].format(z=14, x=first.parent.name, y=first.stem)
    assert (out / "viewer" / url).resolve() == first.resolve()
    assert (out / "viewer" / config["layers"][0]["legend"]).is_file()
    assert (out / "viewer" / "static" / "leaflet" / "leaflet.js").is_file()
    values = (out / "viewer" / "values.js").read_text()
    assert values.startswith("window.PROSPECT_VALUES = ")
    grid = json.loads(values[len("window.PROSPECT_VALUES = "):].rstrip().rstrip(";"))
    assert 0 < max(v for v in grid["probability"]["data"] if v is not None) <= 1
    assert "viewer" in result.outputs and "Synthetic" in html


def test_stage_falls_back_to_the_cube(tile_fixture, tile_cube, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(tile_cube, out / "cube.zarr")
    job = _job(min_zoom=14, archive=False, format="webp",
               layers=[{"variable": "probability", "colormap": "cividis"}])
    result = run(RunContext(job=job, out_dir=out, grid=tile_fixture.grid))
    assert result.inputs["probability"].endswith("cube.zarr:probability")
    assert list((out / "tiles" / "probability" / "14").glob("*/*.webp"))
    assert not (out / "tiles" / "probability.pmtiles").exists()


def test_stage_without_scores_names_what_is_missing(tile_fixture, tmp_path: Path) -> None:
    with pytest.raises(StageError, match=r"probability\.tif.*score stage"):
        run(RunContext(job=_job(), out_dir=tmp_path, grid=tile_fixture.grid))


def test_a_tiles_section_naming_no_layer_is_refused_when_the_job_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``tiles: {layers: []}`` ran the stage, wrote an empty viewer, reported the stage done
    and exited 0: a job asking for nothing looked like a delivery."""
    import yaml

    from pipelines.cli import main

    job = {"name": "t", "synthetic": True, "region": {
        "name": "t", "crs": "EPSG:32619", "resolution": 10.0,
        "bounds": [500000.0, 1350000.0, 500400.0, 1350400.0], "chunks": [20, 20]},
        "sources": [{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"}],
        "tiles": {"layers": []}}
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "key 'tiles': 'layers' names no layer" in " ".join(err.split()), err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match=r"'layers' names no layer.*leave 'layers' out"):
        _job(layers=[])


def test_stage_national_grid_public_url_and_metadata(tile_fixture, tmp_path: Path) -> None:
    """A UTM 19N pyramid beside the XYZ one, in place against the COG in its own CRS;
    absolute TileJSON URLs with a public URL; the synthetic label reaches PMTiles."""
    import io

    import numpy as np
    import rasterio
    from PIL import Image
    from pmtiles.reader import MmapSource, Reader

    from tiles.grids import tile_matrix_set
    from tiles.testing import values_from_rgba

    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(tile_fixture.probability, out / "score" / "probability.tif")
    job = _job(min_zoom=14, tile_matrix_sets=["UTM19WGS84Quad"],
               public_url="https://maps.example.org/tiles",
               layers=[{"variable": "probability", "licence": "CC-BY-4.0"}])
    run(RunContext(job=job, out_dir=out, grid=tile_fixture.grid))
    d = out / "tiles" / "probability"
    doc = json.loads((d / "tilejson.json").read_text())
    assert doc["tiles"] == ["https://maps.example.org/tiles/probability/{z}/{x}/{y}.png"]
    assert "synthetic" in doc["description"] and doc["prospect"]["licence"] == "CC-BY-4.0"
    utm = json.loads((d / "tilejson-UTM19WGS84Quad.json").read_text())
    assert utm["crs"] == "EPSG:32619" and utm["tileMatrixSet"] == "UTM19WGS84Quad"
    z = utm["maxzoom"]
    tiles = sorted((d / "UTM19WGS84Quad" / str(z)).glob("*/*.png"))
    assert tiles
    tms = tile_matrix_set("UTM19WGS84Quad")
    checked = 0
    with rasterio.open(tile_fixture.probability) as src:
        data = src.read(1)
        for path in tiles:
            x, y = int(path.parent.name), int(path.stem)
            b = tms.xy_bounds(x, y, z)
            with Image.open(io.BytesIO(path.read_bytes())) as img:
                values = values_from_rgba(np.asarray(img.convert("RGBA")), colormap="viridis",
                                          vmin=0.0, vmax=1.0)
            cx, cy = b.left + 128.5 * (b.right - b.left) / 256, b.top - 128.5 * (
                b.top - b.bottom) / 256
            r, c = src.index(cx, cy)
            if 0 <= r < data.shape[0] and 0 <= c < data.shape[1] and np.isfinite(
                    data[r, c]) and np.isfinite(values[128, 128]):
                assert abs(values[128, 128] - data[r, c]) < 0.02
                checked += 1
    assert checked >= 1
    with open(out / "tiles" / "probability.pmtiles", "rb") as fh:
        meta = Reader(MmapSource(fh)).metadata()
    assert meta["prospect"]["synthetic"] is True and "synthetic" in meta["description"]


def test_zooms_and_centre_follow_the_data_everywhere(tmp_path: Path) -> None:
    """A 6 km island at 10 m with a job range of 0-18: the static TileJSON, the PMTiles
    header and metadata, the static viewer, the served TileJSON and the WMTS limits all
    state the same data-derived zooms and centre (not 0-18), and the pyramid holds exactly
    those zooms; with a public URL the static TileJSON's URLs are absolute."""
    import xml.etree.ElementTree as ET

    from pmtiles.reader import MmapSource, Reader

    from tiles.grids import tile_matrix_set
    from tiles.source import cog_source
    from tiles.testing import BONAIRE_BOUNDS, live_server, make_tile_fixture

    fx = make_tile_fixture(tmp_path / "fx", bounds=BONAIRE_BOUNDS)  # 6 km x 6 km, 10 m
    native = cog_source(fx.probability).zoom_range(tile_matrix_set("WebMercatorQuad"))
    assert native == (12, 14)  # 6 km fits one z12 tile; z14 (9.6 m/px) is nearest to 10 m
    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    shutil.copy(fx.probability, out / "score" / "probability.tif")
    job = JobConfig.model_validate({
        "name": "island", "synthetic": True, "region": "bonaire",
        "tiles": {"min_zoom": 0, "max_zoom": 18, "public_url": "https://maps.example.org/t",
                  "layers": [{"variable": "probability"}]},
    })
    result = run(RunContext(job=job, out_dir=out, grid=fx.grid))
    d = out / "tiles" / "probability"
    doc = json.loads((d / "tilejson.json").read_text())
    assert (doc["minzoom"], doc["maxzoom"]) == native and doc["center"][2] == 13
    assert sorted(int(p.name) for p in d.iterdir() if p.name.isdigit()) == [12, 13, 14]
    assert doc["tiles"] == ["https://maps.example.org/t/probability/{z}/{x}/{y}.png"]
    assert doc["prospect"]["legend"] == "https://maps.example.org/t/probability/legend.png"
    assert result.metrics["zooms"] == "12-14"
    with open(out / "tiles" / "probability.pmtiles", "rb") as fh:
        reader = Reader(MmapSource(fh))
        header, meta = reader.header(), reader.metadata()
    assert (header["min_zoom"], header["max_zoom"], header["center_zoom"]) == (12, 14, 13)
    assert (meta["minzoom"], meta["maxzoom"], meta["center"]) == (12, 14, doc["center"])
    assert header["center_lon_e7"] == int(doc["center"][0] * 1e7)
    html = (out / "viewer" / "index.html").read_text()
    config = json.loads(re.search(r'id="prospect-config">(.*?)</script>', html, re.S).group(1))
    assert (config["layers"][0]["minzoom"], config["layers"][0]["maxzoom"]) == (12, 14)
    # the server (configured 0-18) says the same through the same rule
    with live_server(fx.config) as server, server.client() as c:
        served = c.get("/tilejson/probability.json").json()
        caps = ET.fromstring(c.get("/wmts/1.0.0/WMTSCapabilities.xml").content)
    assert (served["minzoom"], served["maxzoom"], served["center"]) == (
        12, 14, doc["center"])
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    for layer in caps.findall("w:Contents/w:Layer", ns):
        if layer.find("ows:Identifier", ns).text != "probability":
            continue
        for link in layer.findall("w:TileMatrixSetLink", ns):
            if link.find("w:TileMatrixSet", ns).text == "WebMercatorQuad":
                zooms = [int(m.text) for m in link.findall(
                    "w:TileMatrixSetLimits/w:TileMatrixLimits/w:TileMatrix", ns)]
                assert zooms == [12, 13, 14]
                break
        else:
            raise AssertionError("no WebMercatorQuad link for the layer")


def test_a_colour_range_that_misses_the_data_is_a_warning() -> None:
    """The shipped heat-flow job rendered 59-100 mW/m2 with the default 0-1 range: every
    tile one colour, without a word."""
    import numpy as np

    from tiles.metadata import range_warning

    data = np.linspace(59.0, 100.0, 1000)
    text = range_warning("heat", data, 0.0, 1.0, "mW/m2")
    assert text is not None
    assert "100 % of its values lie outside its colour range 0 to 1" in text
    assert "59 to 100 mW/m2" in text and "set vmin and vmax in tiles.layers" in text
    assert range_warning("heat", data, 55.0, 100.0, "mW/m2") is None
    with_gaps = np.where(np.arange(1000) % 2 == 0, np.nan, 0.5)  # no data is not counted
    assert range_warning("p", with_gaps, 0.0, 1.0) is None
    assert range_warning("p", np.full(10, np.nan), 0.0, 1.0) is None


def test_a_layer_without_a_range_takes_its_datas_when_0_to_1_would_miss_it(
        tile_fixture, tmp_path: Path) -> None:
    """Heat flow (55-100 mW/m2) with vmin and vmax left out rendered every tile one colour;
    the stage now colours it by its data's 2-98 % range and says so. A range the config
    sets is kept, and a layer the default shows is unchanged."""
    import numpy as np
    import rasterio

    from tiles.metadata import data_range

    out = tmp_path / "out"
    (out / "score").mkdir(parents=True)
    with rasterio.open(tile_fixture.probability) as src:
        profile, p = src.profile, src.read(1)
    with rasterio.open(out / "score" / "heat.tif", "w", **profile) as dst:
        dst.write(np.where(np.isfinite(p), 55.0 + 45.0 * p, p).astype(p.dtype), 1)
    shutil.copy(tile_fixture.probability, out / "score" / "probability.tif")
    job = _job(layers=[{"variable": "heat"}, {"variable": "probability"},
                       {"variable": "heat", "name": "heat_set", "vmax": 200.0}])
    result = run(RunContext(job=job, out_dir=out, grid=tile_fixture.grid))
    heat = p[np.isfinite(p)] * 45.0 + 55.0
    lo, hi = (float(f"{v:.3g}") for v in np.percentile(heat, [2, 98]))
    viewer = (out / "viewer" / "index.html").read_text()
    config = json.loads(re.search(r'id="prospect-config">(.*?)</script>', viewer,
                                  re.S).group(1))
    ranges = {la["name"]: (la["vmin"], la["vmax"]) for la in config["layers"]}
    # read from the viewer's value grid (the data resampled to lon/lat): about the file's
    assert ranges.pop("heat") == pytest.approx((lo, hi), rel=0.01)
    assert ranges == {"probability": (0.0, 1.0), "heat_set": (0.0, 200.0)}
    assert 55 < lo < hi < 100
    notes = [n for n in result.notes if "colour range" in n]
    assert len(notes) == 1 and "layer 'heat': colour range" in notes[0], notes
    assert "2-98 %" in notes[0] and not any(n.startswith("warning") for n in notes)
    # the pure rule: no stretch for data the default shows; data of one value outside it
    # take that value +- 10 % (round 27: they were left at 0-1, every tile one end colour)
    assert data_range(np.linspace(0.1, 0.9, 50), 0.0, 1.0) is None
    assert data_range(np.full(50, 7.0), 0.0, 1.0) == (6.3, 7.7)
    assert data_range(np.linspace(59.0, 100.0, 1000), 0.0, 1.0) == (59.8, 99.2)
