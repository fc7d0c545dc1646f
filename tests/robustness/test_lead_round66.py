"""Round 66, the lead: a no-CRS message printing a bound that is 0 but for float noise as
``8.67361738e-19`` (found by round 66's rasters helper).

SYNTHETIC bounds only: :func:`prospect.io.vector.crs_example` is the one place a file
without a CRS is offered one by where its numbers lie.
"""

from __future__ import annotations

from prospect.io.vector import crs_example


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
