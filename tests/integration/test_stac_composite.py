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
        "assets": {"B04": "red", "B08": "nir", "B11": "swir16"},
        "cloud_mask": {"kind": "scl", "asset": "scl"},
        "composite": {"method": "median"},
    }
    base.update(source)
    cfg = {"name": "stac-composite-test", "synthetic": True,
           "region": {"base": "bonaire", "bounds": [x0, y1 - SIZE, x0 + SIZE, y1],
                      "resolution": resolution, "chunks": [48, 48]},
           "sources": [base]}
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_ingest(config: Path, out: Path, client=None):
    j = load_job(config)
    ctx = RunContext(job=j, out_dir=out, grid=resolve_grid(j), client=client)
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
    truth = info.truth["sentinel-2-l2a/red"]  # 10 m; the grid is 20 m: compare block means
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
                            cloud_mask={"kind": "scl", "asset": "scl", "buffer_m": 60}),
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
        assets={"B4": "red", "B5": "nir08"},
        cloud_mask={"kind": "qa_pixel", "asset": "qa_pixel"},
        composite={"method": "geomedian"}), tmp_path / "ls")
    cube = open_cube(ctx.cube_path)
    for band, key in (("B4", "red"), ("B5", "nir08")):
        got = cube[band].values
        ok = ~np.isnan(got)
        assert ok.mean() > 0.9
        truth = info.truth[f"landsat-c2-l2/{key}"]
        assert np.median(np.abs(got[ok] - truth[ok])) < 0.005


def test_unreadable_items_are_skipped_named_and_counted(series, tmp_path):
    info, server = series
    src = tmp_path / "items.json"
    items = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    items[1]["assets"]["red"]["href"] = server.data_url + "/missing/red.tif"  # 404
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    res, _ctx = run_ingest(job(tmp_path / "j.yaml", server, stac_search=None, stac=str(src)),
                          tmp_path / "out")
    failed = res.metrics["remote_reads"]["s2"]["items_failed"]
    assert list(failed) == [items[1]["id"]]
    assert res.metrics["remote_reads"]["s2"]["items_used"] == 5
    for item in items[:4]:
        item["assets"]["red"]["href"] = server.data_url + "/missing/red.tif"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    with pytest.raises(DataError, match=r"4 of 6 STAC item\(s\) could not be read"):
        run_ingest(job(tmp_path / "j2.yaml", server, stac_search=None, stac=str(src)),
                   tmp_path / "out2")


def test_items_lost_in_chunks_on_a_cluster_are_reported_alike(series, tmp_path):
    """On a dask cluster the chunks' results come back once per variable: the items a
    chunk could not read still reach the manifest, as they do without a cluster."""
    from distributed import Client

    from pipelines.cluster import local_cluster

    info, server = series
    src = tmp_path / "items.json"
    items = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    items[1]["assets"]["red"]["href"] = server.data_url + "/missing/red.tif"  # 404
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    config = job(tmp_path / "j.yaml", server, stac_search=None, stac=str(src))
    with local_cluster(1) as cluster, Client(cluster) as client:
        res, ctx = run_ingest(config, tmp_path / "out", client=client)
    failed = res.metrics["remote_reads"]["s2"]["items_failed"]
    assert list(failed) == [items[1]["id"]] and "404" in failed[items[1]["id"]]
    assert res.metrics["remote_reads"]["s2"]["items_used"] == 5
    assert res.metrics["chunks_computed"] == res.metrics["variables"] * ctx.grid.n_chunks


def test_forbidden_server_errors_and_truncated_files_are_named_per_item(series, tmp_path):
    info, server = series
    items = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    base = server.url
    first = items[0]["assets"]["red"]["href"]
    tail = first.split("/data/", 1)[1]
    # a COG cut short: its header promises blocks the file does not have
    data_dir = info.root / "data"
    cut = data_dir / "cut" / "red.tif"
    cut.parent.mkdir(exist_ok=True)
    whole = (data_dir / tail).read_bytes()
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    items[0]["assets"]["red"]["href"] = f"{base}/faults/403/{tail}"
    items[1]["assets"]["red"]["href"] = f"{base}/faults/500/{tail}"
    items[2]["assets"]["red"]["href"] = f"{server.data_url}/cut/red.tif"
    src = tmp_path / "items.json"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    with pytest.raises(DataError) as err:  # 3 of 6 lost > the default 20 %
        run_ingest(job(tmp_path / "j.yaml", server, stac_search=None, stac=str(src)),
                   tmp_path / "out")
    message = str(err.value)
    assert "3 of 6" in message and "HTTP 403" in message and "HTTP 500" in message
    assert items[2]["id"] in message and "\n" not in message
    res, _ = run_ingest(job(tmp_path / "k.yaml", server, stac_search=None, stac=str(src),
                            remote={"max_failed_share": 0.5, "retries": 0}), tmp_path / "ok")
    failed = res.metrics["remote_reads"]["s2"]["items_failed"]
    assert failed[items[0]["id"]] == "HTTP 403" and failed[items[1]["id"]] == "HTTP 500"
    assert items[2]["id"] in failed
    assert res.metrics["remote_reads"]["s2"]["items_used"] == 3


def _composite(items: list[dict], path: Path, **source) -> tuple[dict, dict, list]:
    """Plan and compute a 20 m median of ``items`` on the test region, chunk by chunk:
    the bands, the items each band lost while computing, and the layers."""
    from prospect.config.sources import RasterSource
    from prospect.grid import RegionGrid
    from prospect.ingest.composite import plan_composite

    x0, y1 = ORIGIN
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    grid = RegionGrid(crs="EPSG:32619", resolution=20.0, bounds=(x0, y1 - SIZE, x0 + SIZE, y1),
                      chunks=(48, 48))
    layers = plan_composite(RasterSource(
        name="s2", stac=str(path), assets={"B04": "red", "B11": "swir16"},
        cloud_mask={"kind": "scl", "asset": "scl"}, composite={"method": "median"},
        **source), grid)
    out, lost = {}, {}
    for layer in layers[:2]:
        out[layer.name] = np.full(grid.shape, np.nan, dtype=np.float32)
        for w in grid.chunk_windows():
            out[layer.name][w.rows, w.cols], skipped = layer.compute_reported(grid, w)
            lost.update(skipped)
    return out, lost, layers


def test_items_that_state_their_grids_are_planned_without_http(series, tmp_path):
    info, server = series
    items = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    dead = json.loads(json.dumps(items[2]))
    for asset in dead["assets"].values():  # nothing listens there: any request fails
        asset["href"] = "http://127.0.0.1:9/data/" + asset["href"].split("/data/", 1)[1]
    for item in (items[0], dead):  # no nodata in raster:bands: the file's is used
        for asset in item["assets"].values():
            for band in asset.get("raster:bands", []):
                band.pop("nodata", None)
    stated = [*items[:2], dead, *items[3:]]
    got, lost, layers = _composite(stated, tmp_path / "a.json", remote={"retries": 0})
    # planned from the items alone: the dead item is only found when a chunk reads it
    assert layers[0].settings["items_failed"] == {} and dead["id"] in layers[0].settings["items"]
    assert lost == {dead["id"]: "no connection"}
    from prospect.ingest.composite import _UNREADABLE  # later chunks did not try again
    assert "no connection" in _UNREADABLE.values()
    # it contributes nothing: the same as the composite of the other items
    want, none_lost, _ = _composite([*items[:2], *items[3:]], tmp_path / "b.json")
    assert none_lost == {}
    for band in want:
        np.testing.assert_array_equal(got[band], want[band])
    # the same items without proj:* metadata: headers are read, the dead item fails there
    for item in stated:
        for asset in item["assets"].values():
            asset.pop("proj:shape", None)
            asset.pop("proj:transform", None)
    headers, lost_late, layers = _composite(stated, tmp_path / "c.json",
                                            remote={"retries": 0})
    assert list(layers[0].settings["items_failed"]) == [dead["id"]] and lost_late == {}
    for band in want:
        np.testing.assert_array_equal(headers[band], want[band])
    # too many unreadable items: the first chunk fails with the one-line share error
    fresh = json.loads(json.dumps(info.items["sentinel-2-l2a"]))
    for item in fresh[:3]:
        item["assets"]["red"]["href"] = server.data_url + "/missing/red.tif"
    with pytest.raises(DataError, match=r"3 of 6 STAC item\(s\) could not be read") as err:
        _composite(fresh, tmp_path / "d.json", remote={"retries": 0})
    assert "HTTP 404" in str(err.value) and "\n" not in str(err.value)


def test_credentials_never_reach_saved_items_provenance_or_errors(series, tmp_path):
    _, server = series
    secret_url = server.url.replace("http://", "http://agency:s3cret@") + "?token=t0ps3cret"
    cfg = job(tmp_path / "job.yaml", server, stac_search={
        "url": secret_url, "collections": ["sentinel-2-l2a"],
        "datetime": "2024-01-01/2024-03-31"})
    try:
        res, ctx = run_ingest(cfg, tmp_path / "out")
    except Exception as exc:  # the server may refuse the query string: still no secret
        assert "s3cret" not in str(exc) and "t0ps3cret" not in str(exc)
        return
    text = (tmp_path / "out" / "stac" / "s2.json").read_text()
    text += json.dumps(res.metrics) + json.dumps(open_cube(ctx.cube_path)["B04"].attrs)
    assert "s3cret" not in text and "t0ps3cret" not in text


def test_served_cogs_answer_range_requests(series):
    info, _server = series
    href = info.items["sentinel-2-l2a"][0]["assets"]["red"]["href"]
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), \
            rasterio.open(f"/vsicurl/{href}") as src:
        assert src.tags()["SYNTHETIC"] == "true"
        assert src.read(1, window=((0, 8), (0, 8))).shape == (8, 8)


JOBS = Path(__file__).resolve().parents[2] / "configs" / "jobs"


def shipped_job(name: str, path: Path, server, *, crs_bounds, resolution: float,
                datetime: str = "2024-01-01/2024-03-31") -> Path:
    """A shipped network job pointed at the local API, on a small part of its region."""
    cfg = yaml.safe_load((JOBS / f"{name}.yaml").read_text())
    for source in cfg["sources"]:
        source["stac_search"]["url"] = server.url
        source["stac_search"]["datetime"] = datetime
    base = cfg["region"] if isinstance(cfg["region"], str) else cfg["region"]["base"]
    cfg["region"] = {"base": base, "bounds": list(crs_bounds), "resolution": resolution,
                     "chunks": [48, 48]}
    cfg.pop("mask", None)  # the synthetic scenes lie partly at sea
    cfg["synthetic"] = True
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_bonaire_example_job_against_the_local_api(series, tmp_path):
    from pipelines.runner import run_stages

    info, server = series
    cfg = shipped_job("bonaire-s2-dry-median", tmp_path / "b.yaml", server,
                      crs_bounds=info.bounds, resolution=20)
    from pipelines.cluster import dask_client
    from pipelines.plan import plan_job

    j = load_job(cfg)
    planned = {s.name: s.tasks for s in plan_job(j, resolve_grid(j)).stages}
    with dask_client(workers=1) as client:
        ctx = RunContext(job=j, out_dir=tmp_path / "out", grid=resolve_grid(j), client=client)
        results = {r.name: r for r in run_stages(ctx, ["ingest", "indices"])}
    stages = json.loads((tmp_path / "out" / "manifest.json").read_text())["stages"]
    ran = {name: rec["cluster"]["tasks"] for name, rec in stages.items()}
    # prospect plan counts the composite's tasks before any search (from the config; it
    # crashed on the unresolved search) and from the items the run saved (-o OUT)
    assert planned == ran
    saved = plan_job(j, resolve_grid(j), out_dir=tmp_path / "out")
    assert {s.name: s.tasks for s in saved.stages} == ran
    assert not any("counted from the config" in n for n in saved.notes)
    assert results["ingest"].metrics["stac_items"]["s2"] == [
        i["id"] for i in info.items["sentinel-2-l2a"]]
    cube = open_cube(ctx.cube_path)
    ndvi = cube["NDVI"].values
    red = info.truth["sentinel-2-l2a/red"]
    nir = info.truth["sentinel-2-l2a/nir"]
    want = (nir - red) / (nir + red)
    want20 = want.reshape(96, 2, 96, 2).mean(axis=(1, 3))
    ok = ~np.isnan(ndvi)
    assert ok.mean() > 0.9 and np.median(np.abs(ndvi[ok] - want20[ok])) < 0.01
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "SYNTHETIC_sentinel-2-l2a_20240105" in json.dumps(manifest)


def test_lai_chau_example_job_two_sensors_on_one_grid(tmp_path_factory, tmp_path):
    origin = (330_000.0, 2_480_000.0)  # inside the lai-chau region, UTM 48N
    info = make_series(tmp_path_factory.mktemp("laichau"), n_scenes=4, size_m=1920.0,
                       origin=origin, crs="EPSG:32648", seed=5)
    with serve_series(info) as server:
        cfg = shipped_job("lai-chau-clear-composite", tmp_path / "l.yaml", server,
                          crs_bounds=info.bounds, resolution=30)
        res, ctx = run_ingest(cfg, tmp_path / "out")
    cube = open_cube(ctx.cube_path)
    assert set(res.metrics["stac_items"]) == {"s2", "landsat"}
    assert len(res.metrics["stac_items"]["landsat"]) == 4
    for var, key, count in (("B04", "sentinel-2-l2a/red", "s2_count"),
                            ("B4", "landsat-c2-l2/red", "landsat_count")):
        got = cube[var].values
        truth = info.truth[key]
        f = truth.shape[0] // got.shape[0]
        if f > 1:
            truth = truth.reshape(got.shape[0], f, got.shape[1], f).mean(axis=(1, 3))
        ok = ~np.isnan(got)
        # no data exactly where fewer than min_count (2) clear scenes were seen
        assert (ok == (cube[count].values >= 2)).all(), var
        assert ok.mean() > 0.6, var
        assert np.median(np.abs(got[ok] - truth[ok])) < 0.01, var
    assert cube["s2_count"].values.max() <= 4 and cube["landsat_count"].values.max() <= 4
