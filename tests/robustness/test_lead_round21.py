"""Round 21, the lead's cases: what the helpers' reports asked of modules none of them
owned (see docs/robustness.md, "Round 21: what the lead took from the helpers' reports")."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.errors import DataError, DataWarning
from prospect.indices import compute_indices
from prospect.io.cube import provenance_attr

from .test_imagery_round21 import served as served  # the fixture


def _band(quantity: str | None = None, file: str | None = None) -> dict[str, Any]:
    prov: dict[str, Any] = {"source": "s2"}
    if quantity:
        prov["quantity"] = quantity
    if file:
        prov["scenes"] = [{"file": file, "band": 1}]
    return {"units": "1", "provenance": provenance_attr(prov)}


def _cube(red: dict[str, Any], nir: dict[str, Any]) -> xr.Dataset:
    rng = np.random.default_rng(5)
    ds = xr.Dataset({v: (("y", "x"), rng.uniform(0.05, 0.4, (8, 8)).astype("f4"))
                     for v in ("B04", "B08")})
    ds["B04"].attrs.update(red)
    ds["B08"].attrs.update(nir)
    return ds


L1C_NIR = "/data/S2B_MSIL1C_20230610T104629_N0509_R051_T31UFT_20230610T125054.SAFE/" \
          "GRANULE/L1C_T31UFT_A032752_20230610T105140/IMG_DATA/T31UFT_20230610T104629_B08.jp2"


@pytest.mark.parametrize("nir", [
    _band("toa_reflectance"),
    _band(file=L1C_NIR),
], ids=["recorded", "by-file-name"])
def test_an_index_of_surface_and_top_of_atmosphere_reflectance_is_refused(
    nir: dict[str, Any],
) -> None:
    """Before: NDVI of a Level-2A red and a Level-1C near infrared was computed as if both
    were one product (the atmosphere's path radiance in one band only), without a word."""
    ds = _cube(_band("surface_reflectance"), nir)
    with pytest.raises(DataError) as info:
        compute_indices(ds, ["NDVI"], sensor="sentinel2")
    text = str(info.value)
    assert "index 'NDVI' reads reflectance of two processing levels" in text, text
    assert "surface reflectance (Level-2): R ('B04')" in text, text
    assert "top-of-atmosphere reflectance (Level-1): N ('B08')" in text, text
    assert "from one product level" in text, text


def test_a_custom_formula_of_two_levels_is_a_warning_and_one_level_computes() -> None:
    ds = _cube(_band("surface_reflectance"), _band("toa_reflectance"))
    with pytest.warns(DataWarning, match="two processing levels"):
        out = compute_indices(ds, [], sensor="sentinel2", custom={"D": "N - R"})
    assert np.isfinite(out["D"].values).all()
    # control: both Level-2 (or a band whose level nothing records) is computed quietly
    for nir in (_band("surface_reflectance"), _band()):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)
            out = compute_indices(_cube(_band("surface_reflectance"), nir), ["NDVI"],
                                  sensor="sentinel2")
        assert np.isfinite(out["NDVI"].values).all()


@pytest.mark.parametrize(("dn", "kind", "want"), [
    (15999, "sr", 1.5999), (16000, "sr", None), (20000, "sr", None), (-2000, "sr", None),
    (3499, "bt", 349.9), (3500, "bt", None),
], ids=["inside", "clipped", "saturated", "clipped-low", "bt-inside", "bt-clipped"])
def test_an_espa_band_without_its_xml_keeps_espas_limits(
    tmp_path: Any, dn: int, kind: str, want: float | None,
) -> None:
    """Before: an ESPA band file read by its name took ESPA's scale but not its valid range
    (-2000..16000, exclusive) or saturation code (20000): a clipped 16000 went in as
    reflectance 1.6 and a saturated 20000 as 2.0, as a plain source (composites took them
    from the name since this round)."""
    from .test_imagery_inputs import L8
    from .test_imagery_round19 import _named_file, _value

    path = _named_file(tmp_path, f"{L8}_{kind}_band{10 if kind == 'bt' else 4}.tif", dn=dn,
                       dtype="int16", crs="EPSG:32631", top=5770000)
    got = _value(path)
    if want is None:
        assert np.isnan(got), got
    else:
        assert got == pytest.approx(want, rel=1e-6)


def test_a_remote_plain_raster_replaced_on_its_server_is_read_anew(tmp_path: Any,
                                                                   served: Any) -> None:
    """Before: a plain raster source read over HTTP was planned and read from GDAL's
    ``/vsicurl/`` cache of an earlier plan in the same process (and from a handle kept
    open under a URL's empty file stamp), so a grid replaced on its server went in with
    its old values. Each plan now drops GDAL's cache of the source's remote files and a
    URL's handles are keyed by that plan's epoch (composites did so since this round)."""
    import rasterio

    from .test_calibration_round15 import _grid, _read
    from .test_imagery_round19 import _named_file, _quiet

    root, url = served
    path = _named_file(root, "heat.tif", dn=40, dtype="int16")
    grid = _grid(path)
    source = {"name": "h", "bands": {"heat": f"{url}/heat.tif"}}
    from prospect.ingest.rasters import plan_raster

    first = _read(_quiet(plan_raster, source, grid)[0], grid)
    assert np.nanmax(first) == 40
    with rasterio.open(path, "r+") as d:
        d.write(np.full((d.height, d.width), 70, "int16"), 1)  # the same size, new values
    again = _read(_quiet(plan_raster, source, grid)[0], grid)
    assert np.nanmin(again) == np.nanmax(again) == 70


@pytest.mark.parametrize(("value", "hint"), [
    ("EPSG 28992", "did you mean 'EPSG:28992'?"), ("EPSG : 28992", "did you mean 'EPSG:28992'?"),
    ("epsg  4326", "did you mean 'EPSG:4326'?"), ("EPSG:99999999", None), ("RD New", None),
], ids=["space", "spaced-colon", "lower-case", "unknown-code", "a-name"])
def test_an_authority_code_written_with_spaces_is_named(value: str, hint: str | None) -> None:
    """Before: 'EPSG 28992' was "unknown CRS" with no word of the colon PROJ wants."""
    from prospect.errors import CRSError
    from prospect.grid import parse_crs

    with pytest.raises(CRSError) as info:
        parse_crs(value)
    text = str(info.value)
    if hint is None:
        assert "did you mean" not in text, text
    else:
        assert hint in text, text


def test_a_misspelt_estimator_parameter_names_the_nearest() -> None:
    """Before: 'n_estimatos' listed the nineteen parameters of a random forest and left the
    user to find the one meant."""
    from prospect.config.model import ModelConfig
    from prospect.errors import ConfigError
    from prospect.models.factory import make_estimator

    cfg = ModelConfig.model_validate({"mineral": "lithium", "estimator": "random_forest",
                                      "labels": {"source": "wells"}})
    cfg = cfg.model_copy(update={"params": {"n_estimatos": 10, "zzz": 1}})
    with pytest.raises(ConfigError) as info:
        make_estimator(cfg, n_features=2)
    text = str(info.value)
    assert "did you mean 'n_estimatos' -> 'n_estimators'?" in text, text
    assert "'zzz' ->" not in text and "allowed: [" in text, text


def test_the_run_summary_prints_figures_not_prose() -> None:
    """The models round added text metrics (why the area figures are undefined, what the
    range share is): the run summary printed each paragraph as a 'metric'; they are in
    metrics.json and said once in the warnings. Short texts (zoom ranges) still print."""
    import io

    from rich.console import Console

    from pipelines.context import StageResult
    from pipelines.runner import print_summary

    prose = "the area figures rank background cells; with low-grade sample sites " * 2
    buffer = io.StringIO()
    print_summary([StageResult("train", metrics={
        "cv_spatial_roc_auc": 0.81, "cv_area_figures_undefined_because": prose,
        "zooms": "8-14", "positives": 12})], Console(file=buffer, width=200))
    text = buffer.getvalue()
    assert "train.cv_spatial_roc_auc = 0.810" in text and "train.zooms = 8-14" in text, text
    assert "train.positives = 12" in text, text
    assert "cv_area_figures_undefined_because" not in text, text
