"""What the lead took from the round-20 helpers' reports: fixes in modules no helper
owned, each tested through the real command line where a user meets it."""

from __future__ import annotations

import pytest

from prospect.env import positive_limit
from prospect.errors import ConfigError

from .conftest import Sandbox, assert_clean_error

LIMITS = ["PROSPECT_MAX_CELLS", "PROSPECT_MAX_SOURCES", "PROSPECT_MAX_BLOCK_BYTES"]


@pytest.mark.parametrize("value", ["-5", "0", "abc", "1.5"])
def test_a_limit_in_the_environment_that_is_no_positive_number_is_refused(
        sandbox: Sandbox, cli, monkeypatch, value: str) -> None:
    """``PROSPECT_MAX_CELLS=-5`` planned "over the limit of -5" (and 0 refused every job
    for its size), wrapped in a reference raster's CRS advice: one reading of every
    limit, naming the variable, the default and how to unset it (exit 2)."""
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_MAX_CELLS", value)
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, f"PROSPECT_MAX_CELLS={value!r}", "no whole number above 0",
                       "default", "unset it")
    assert "over the limit" not in result.err


@pytest.mark.parametrize("name", LIMITS)
def test_every_limit_is_read_the_same_way(monkeypatch, name: str) -> None:
    monkeypatch.setenv(name, " 2_000 ")
    assert positive_limit(name, 7, "things", ConfigError) == 2000
    monkeypatch.setenv(name, "")
    assert positive_limit(name, 7, "things", ConfigError) == 7
    monkeypatch.setenv(name, "-1")
    with pytest.raises(ConfigError, match=f"{name}='-1' is no whole number above 0"):
        positive_limit(name, 7, "things", ConfigError)


def test_ingest_names_a_geology_map_written_lat_lon(sandbox: Sandbox, cli,
                                                    scheduler: str) -> None:
    """A GeoJSON geology map written lat, lon (RFC 7946 wants lon, lat) lay nowhere:
    ingest said only "no feature ... lies in the region; check the file, its CRS or the
    region bounds". Ingest passes the region to the hint, which says the axes look
    swapped and how to swap them."""
    import json

    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    corners = [(500_050.0, 1_350_050.0), (500_350.0, 1_350_050.0), (500_350.0, 1_350_350.0),
               (500_050.0, 1_350_350.0), (500_050.0, 1_350_050.0)]
    ring = [[lat, lon] for lon, lat in (to_lonlat.transform(x, y) for x, y in corners)]
    (sandbox.root / "geology.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"unit": "basalt"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology",
                                "path": "geology.geojson", "attribute": "unit"}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "geology.geojson", "no feature")
    assert "look swapped" in line, line


def test_the_score_report_says_the_evidence_warnings_and_the_extrapolated_share(
        tmp_path) -> None:
    """The score stage passed its evidence warnings and the share of cells outside the
    training range to the report, which printed neither (only the console said them)."""
    from pipelines.report import write_score_report

    path = write_score_report(tmp_path, quicklooks={}, facts={
        "mineral": "lithium", "job": "j", "metrics": {"outside_training_range_share": 0.12},
        "evidence_warnings": ["layer 'heat' lies outside its training range in 12 % of "
                              "the sampled cells"]})
    text = " ".join(path.read_text().split())
    assert "> **Evidence**: layer 'heat' lies outside its training range" in text
    assert "`outside_training_range_share` (0.12" in text and "Meyer & Pebesma" in text
