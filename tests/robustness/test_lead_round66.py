"""Round 66, the lead: a no-CRS message printing a bound that is 0 but for float noise as
``8.67361738e-19`` (found by round 66's rasters helper), and a band file missing from a
Sentinel-2 ``.SAFE`` folder said as a typo in the config (found by round 66's imagery
helper).

SYNTHETIC bounds and products only.
"""

from __future__ import annotations

from pathlib import Path

from prospect.io.files import why_unreadable
from prospect.io.vector import crs_example
from tests.robustness.conftest import run_in_process
from tests.robustness.test_imagery_round66 import SAFE, _job


def test_a_bound_of_float_noise_about_zero_is_said_zero() -> None:
    said = crs_example((8.673617379884035e-19, 52.0, 6.0, 53.0))
    assert "x 0 to 6, y 52 to 53" in said, said
    assert "e-19" not in said


def test_a_small_true_bound_is_kept_control() -> None:
    # a real 1e-6 degree bound beside 6 (a tenth of a metre) is no noise
    said = crs_example((1e-06, 52.0, 6.0, 53.0))
    assert "x 1e-06 to 6" in said, said


def test_degrees_and_metres_keep_their_offers_control() -> None:
    assert "EPSG:4326" in crs_example((5.0, 52.0, 6.0, 53.0))
    assert "projected" in crs_example((500000.0, 5760000.0, 510000.0, 5770000.0))


# -- a band file missing from a Sentinel-2 .SAFE folder ------------------------------------


def test_a_band_file_missing_from_a_safe_folder_is_said_an_incomplete_download(
        tmp_path: Path) -> None:
    """SYNTHETIC (round 66 imagery's L1C ``.SAFE`` of tile 19PEP): the product's red band
    file deleted, as an interrupted download or unzip leaves it. ``prospect plan`` said
    "raster file not found; check the path in the config", where the product XML missing
    from the same folder was said "the .SAFE folder ... lacks it: an incomplete download
    or unzip?". Now the band's message says it too, and nothing outside ``out/`` is
    written."""
    box, _, _ = _job(tmp_path, 30.0)
    band = next(box.root.rglob("*_B04.jp2"), None) or next(box.root.rglob("*_B04*"))
    band.unlink()
    box._before = box.snapshot()  # (the deletion is the case's, not the plan's)
    result = run_in_process("plan", box.job_path)
    text = result.out + result.err
    assert "Traceback" not in text, text[-2000:]
    flat = "".join(text.split())  # (the plan's table wraps long lines anywhere)
    assert "".join(f"{band}: raster file not found; check the path in the config; the .SAFE "
                   f"folder {box.root / SAFE} lacks it: an incomplete download or unzip? "
                   "download the product again".split()) in flat, text[-2000:]
    assert box.untouched()


def test_a_missing_file_outside_a_product_folder_keeps_its_words_control(
        tmp_path: Path) -> None:
    """A path in no ``.SAFE`` folder keeps "check the path in the config" alone."""
    said = why_unreadable(tmp_path / "data" / "heat.tif", "raster file")
    assert said == "raster file not found; check the path in the config", said
