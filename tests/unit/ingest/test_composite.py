"""Cloud masks, composite reductions, STAC search filters and URL redaction (pure parts)."""

from __future__ import annotations

import numpy as np
import pytest

from prospect.config.stac import StacSearch
from prospect.errors import ConfigError
from prospect.ingest.cloudmask import DEFAULT_DROP, drop_names, dropped, grow
from prospect.ingest.composite import reduce_stack, valid_count
from prospect.ingest.stac_search import cql2_filter
from prospect.redact import redact


def test_scl_classes_drop_cloud_shadow_snow_and_keep_water():
    scl = np.array([[0, 3, 4, 6], [8, 9, 10, 11]], dtype=np.uint8)
    out = dropped("scl", scl, drop_names("scl", None))
    assert out.tolist() == [[True, True, False, False], [True, True, True, True]]


def test_qa_pixel_bits_are_decoded_bit_by_bit():
    clear, water = 1 << 6, 1 << 7
    cloud = (1 << 3) | (1 << 1)
    shadow, fill, cirrus_only = 1 << 4, 1, 1 << 2
    qa = np.array([clear, water, cloud, shadow, fill, cirrus_only, 21824, 22280],
                  dtype=np.uint16)
    out = dropped("qa_pixel", qa, drop_names("qa_pixel", None))
    # 21824 = clear land (bits 6, 8, 10, 12, 14: confidences only); 22280 has bit 3: cloud
    assert out.tolist() == [False, False, True, True, True, True, False, True]
    only_cloud = dropped("qa_pixel", qa, ["cloud"])
    assert only_cloud.tolist() == [False, False, True, False, False, False, False, True]


def test_cfmask_default_drops_fill_cloud_shadow_snow():
    cf = np.array([0, 1, 2, 3, 4, 255], dtype=np.uint8)
    assert dropped("cfmask", cf, DEFAULT_DROP["cfmask"]).tolist() == [
        False, False, True, True, True, True]


def test_unknown_class_name_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="cloud_high_probability"):
        drop_names("scl", ["clouds"])


def test_grow_is_a_disc_of_the_given_radius():
    mask = np.zeros((9, 9), dtype=bool)
    mask[4, 4] = True
    grown = grow(mask, 2.0)
    assert grown.sum() == 13  # cells within distance 2 of the centre
    assert grown[4, 2] and grown[2, 4] and not grown[2, 2]
    assert grow(mask, 0).sum() == 1


def test_median_percentile_and_min_count():
    stack = np.array([[[[1.0, np.nan]]], [[[3.0, np.nan]]], [[[2.0, 5.0]]],
                      [[[np.nan, np.nan]]]], dtype=np.float32)  # (4 scenes, 1 band, 1, 2)
    med = reduce_stack(stack, "median")
    assert med.shape == (1, 1, 2)
    assert med[0, 0, 0] == 2.0 and med[0, 0, 1] == 5.0
    p90 = reduce_stack(stack, "percentile", percentile=90)
    assert p90[0, 0, 0] == pytest.approx(np.percentile([1, 3, 2], 90))
    strict = reduce_stack(stack, "median", min_count=2)
    assert strict[0, 0, 0] == 2.0 and np.isnan(strict[0, 0, 1])
    assert valid_count(stack, "median").tolist() == [[3, 1]]


def _weiszfeld(points: np.ndarray, iters: int = 2000) -> np.ndarray:
    y = points.mean(axis=0)
    for _ in range(iters):
        d = np.maximum(np.linalg.norm(points - y, axis=1), 1e-12)
        y = (points / d[:, None]).sum(axis=0) / (1 / d).sum()
    return y


def test_geomedian_matches_weiszfeld_and_skips_partly_missing_scenes():
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(7, 3)).astype(np.float32)
    stack = np.zeros((8, 3, 1, 1), dtype=np.float32)
    stack[:7, :, 0, 0] = pts
    stack[7, :, 0, 0] = [100.0, np.nan, 100.0]  # one band missing: the scene is left out
    out = reduce_stack(stack, "geomedian")[:, 0, 0]
    np.testing.assert_allclose(out, _weiszfeld(pts.astype(np.float64)), atol=1e-3)
    assert valid_count(stack, "geomedian")[0, 0] == 7


def test_property_filters_become_one_cql2_expression():
    search = StacSearch(url="https://example.invalid/stac/", collections=["s2"],
                        datetime="2024-01-01/2024-04-30",
                        properties={"eo:cloud_cover": {"lt": 30},
                                    "platform": {"in": ["sentinel-2a", "sentinel-2b"]}})
    assert search.url == "https://example.invalid/stac"
    assert cql2_filter(search) == {"op": "and", "args": [
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 30.0]},
        {"op": "in", "args": [{"property": "platform"}, ["sentinel-2a", "sentinel-2b"]]},
    ]}


@pytest.mark.parametrize("bad", ["2024-05-01/2024-01-01", "2024-01-01", "soon/later"])
def test_bad_intervals_are_refused(bad):
    with pytest.raises(ValueError):
        StacSearch(url="https://x.invalid", collections=["c"], datetime=bad)


def test_redact_removes_userinfo_and_token_values():
    url = "https://user:pa55@host.example/a/b.tif?x=1&token=abc&sig=zz%3D&keep=2"
    out = redact(url)
    assert "pa55" not in out and "abc" not in out and "zz%3D" not in out
    assert out == "https://***@host.example/a/b.tif?x=1&token=***&sig=***&keep=2"


def test_sort_based_quantiles_equal_numpy():
    rng = np.random.default_rng(0)
    stack = rng.normal(size=(9, 2, 5, 6)).astype(np.float32)
    stack[rng.random(stack.shape) < 0.3] = np.nan
    stack[:, :, 0, 0] = np.nan  # a cell with no valid scene
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for method, q in (("median", 50.0), ("percentile", 10.0), ("percentile", 87.5)):
            got = reduce_stack(stack, method, percentile=q if method == "percentile" else None)
            want = np.nanpercentile(stack, q, axis=0)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True)


def test_aligned_blocks_are_copied_exactly_as_gdal_warps_them():
    from affine import Affine
    from rasterio.enums import Resampling

    from prospect.grid import RegionGrid
    from prospect.io import warp

    grid = RegionGrid(crs="EPSG:32619", resolution=10.0, bounds=(1000, 0, 1640, 640),
                      chunks=(32, 32))
    block = np.arange(40 * 50, dtype=np.float32).reshape(40, 50)
    block[3, 4] = np.nan
    src_t = Affine(10, 0, 980, 0, -10, 680)  # 2 cols left, 4 rows above the grid
    for window in list(grid.chunk_windows())[:3]:
        fast = warp.warp_block(block, src_t, "EPSG:32619", grid, window,
                               resampling=Resampling.bilinear)
        slow = warp._warp(block, src_t, "EPSG:32619", grid.window_transform(window),
                          grid.crs, window.shape, Resampling.bilinear, np.float32(np.nan))
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize(("message", "reason"), [
    ("HTTP response code: 404", "HTTP 404"),
    ("CURL error: Operation timed out after 3000 milliseconds", "timeout"),
    ("CURL error: Failed to connect to 127.0.0.1 port 9 after 0 ms: Could not connect to "
     "server", "no connection"),
    ("CURL error: Could not resolve host: nonexistent.invalid", "host not found"),
])
def test_remote_read_failures_get_short_reasons(message, reason):
    from prospect.io.remote import read_failure

    assert read_failure(message) == reason
