"""STAC API search, per-pixel cloud masks and temporal composites, against a real STAC API.

A stac-fastapi-geoparquet server on loopback serves SYNTHETIC Sentinel-2 L2A and Landsat
Collection 2 Level-2 items; their COGs are read over HTTP range requests through GDAL's
/vsicurl/, as against a public catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml

pytest.importorskip("stac_fastapi.geoparquet")
pytest.importorskip("geomad")

from pipelines.context import RunContext
from pipelines.stages import ingest
from prospect.config import load_job, resolve_grid
from prospect.errors import DataError
from prospect.io.cube import open_cube
from prospect.testing.stac import make_series, serve_series

pytestmark = [pytest.mark.integration]

ORIGIN = (565_000.0, 1_345_000.0)
SIZE = 1920.0


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    info = make_series(tmp_path_factory.mktemp("series"), n_scenes=6, size_m=SIZE,
                       origin=ORIGIN, seed=1)
    with serve_series(info) as server:
        yield info, server


def job(path: Path, server, *, resolution: float = 20, **source) -> Path:
    x0, y1 = ORIGIN
    base = {
        "kind": "raster", "name": "s2", "sensor": "sentinel2",
        "stac_search": {"url": server.url, "collections": ["sentinel-2-l2a"],
                        "datetime": "2024-01-01/2024-03-31",
                        "properties": {"eo:cloud_cover": {"lte": 100}}},
        "assets": {"B04": "B04", "B08": "B08", "B11": "B11"},
        "cloud_mask": {"kind": "scl", "asset": "SCL"},
        "composite": {"method": "median"},
    }
    base.update(source)
    cfg = {"name": "stac-composite-test", "synthetic": True,
           "region": {"base": "bonaire", "bounds": [x0, y1 - SIZE, x0 + SIZE, y1],
                      "resolution": resolution, "chunks": [48, 48]},
           "sources": [base]}
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_ingest(config: Path, out: Path):
    j = load_job(config)
    ctx = RunContext(job=j, out_dir=out, grid=resolve_grid(j))
    return ingest.run(ctx), ctx


def test_search_saves_items_and_a_rerun_reads_them_offline(series, tmp_path):
    info, server = series
    res, _ctx = run_ingest(job(tmp_path / "job.yaml", server), tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "stac" / "s2.json").read_text())
    ids = [f["id"] for f in saved["features"]]
    assert ids == [i["id"] for i in info.items["sentinel-2-l2a"]]  # no Landsat items
    assert res.metrics["stac_items"] == {"s2": ids}
    reads = res.metrics["remote_reads"]["s2"]
    assert reads["items_used"] == 6 and reads["items_failed"] == {}
    assert reads["gdal_http"]["GDAL_DISABLE_READDIR_ON_OPEN"] == "EMPTY_DIR"
    # a rerun uses the saved items: no search, the file is not rewritten
    stamp = (tmp_path / "out" / "stac" / "s2.json").stat().st_mtime_ns
    res2, _ = run_ingest(job(tmp_path / "job.yaml", server), tmp_path / "out")
    assert any("from the saved search" in n for n in res2.notes)
    assert (tmp_path / "out" / "stac" / "s2.json").stat().st_mtime_ns == stamp
    # another search (other dates) searches again
    res3, _ = run_ingest(job(tmp_path / "job.yaml", server, stac_search={
        "url": server.url, "collections": ["sentinel-2-l2a"],
        "datetime": "2024-01-01/2024-01-12"}), tmp_path / "out")
    assert len(res3.metrics["stac_items"]["s2"]) == 2


def test_median_composite_recovers_the_clear_surface(series, tmp_path):
    info, server = series
    _res, ctx = run_ingest(job(tmp_path / "job.yaml", server, resolution=20),
                          tmp_path / "out")
    cube = open_cube(ctx.cube_path)
    b04 = cube["B04"].values
    count = cube["s2_count"].values
    truth = info.truth["B04"]  # 10 m; the grid is 20 m and aligned: compare block means
    truth20 = truth.reshape(truth.shape[0] // 2, 2, truth.shape[1] // 2, 2).mean(axis=(1, 3))
    assert b04.shape == truth20.shape
    ok = ~np.isnan(b04)
    assert ok.mean() > 0.95
    err = np.abs(b04[ok] - truth20[ok])
    # clouds (0.6) and shadows (x0.3) are masked: the median is the clear surface
    assert np.median(err) < 0.004 and np.percentile(err, 99) < 0.02
    assert count.max() <= 6 and count.min() >= 0 and count.mean() > 3
    # without the mask the bright clouds pull the median up where most scenes are cloudy
    _res_raw, ctx_raw = run_ingest(job(tmp_path / "raw.yaml", server, resolution=20,
                                      cloud_mask=None), tmp_path / "raw")
    raw = open_cube(ctx_raw.cube_path)["B04"].values
    assert np.nanmax(np.abs(raw - truth20)) > 0.1
    attrs = cube["B04"].attrs
    prov = json.loads(attrs["provenance"])
    assert prov["cloud_mask"]["kind"] == "scl" and len(prov["items"]) == 6


def test_mask_is_applied_before_resampling_and_grown_by_the_buffer(series, tmp_path):
    _info, server = series
    _, ctx = run_ingest(job(tmp_path / "a.yaml", server, resolution=20,
                            cloud_mask={"kind": "scl", "asset": "SCL", "buffer_m": 60}),
                        tmp_path / "a")
    grown = open_cube(ctx.cube_path)["s2_count"].values
    _, ctx0 = run_ingest(job(tmp_path / "b.yaml", server, resolution=20), tmp_path / "b")
    plain = open_cube(ctx0.cube_path)["s2_count"].values
    assert (grown <= plain).all() and (grown < plain).any()


def test_landsat_qa_pixel_and_geomedian(series, tmp_path):
    info, server = series
    _, ctx = run_ingest(job(
        tmp_path / "ls.yaml", server, resolution=30, name="ls", sensor="landsat8",
        stac_search={"url": server.url, "collections": ["landsat-c2-l2"],
                     "datetime": "2024-01-01/2024-03-31"},
        assets={"SR_B4": "SR_B4", "SR_B5": "SR_B5"},
        cloud_mask={"kind": "qa_pixel", "asset": "QA_PIXEL"},
        composite={"method": "geomedian"}), tmp_path / "ls")
    cube = open_cube(ctx.cube_path)
    for band in ("SR_B4", "SR_B5"):
        got = cube[band].values
        ok = ~np.isnan(got)
        assert ok.mean() > 0.9
        assert np.median(np.abs(got[ok] - info.truth[band][ok])) < 0.005


def test_unreadable_items_are_skipped_named_and_counted(series, tmp_path):
    info, server = series
    src = tmp_path / "items.json"
    items = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    items[1]["assets"]["B04"]["href"] = server.data_url + "/missing/B04.tif"  # 404
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    res, _ctx = run_ingest(job(tmp_path / "j.yaml", server, stac_search=None, stac=str(src)),
                          tmp_path / "out")
    failed = res.metrics["remote_reads"]["s2"]["items_failed"]
    assert list(failed) == [items[1]["id"]]
    assert res.metrics["remote_reads"]["s2"]["items_used"] == 5
    for item in items[:4]:
        item["assets"]["B04"]["href"] = server.data_url + "/missing/B04.tif"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    with pytest.raises(DataError, match=r"4 of 6 STAC item\(s\) could not be read"):
        run_ingest(job(tmp_path / "j2.yaml", server, stac_search=None, stac=str(src)),
                   tmp_path / "out2")


def test_served_cogs_answer_range_requests(series):
    info, _server = series
    href = info.items["sentinel-2-l2a"][0]["assets"]["B04"]["href"]
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), \
            rasterio.open(f"/vsicurl/{href}") as src:
        assert src.tags()["SYNTHETIC"] == "true"
        assert src.read(1, window=((0, 8), (0, 8))).shape == (8, 8)
