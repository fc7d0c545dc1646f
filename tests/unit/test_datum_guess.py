"""A CRS that names an ellipsoid but no datum is refused off its own ellipsoid for every
kind of source: rasters (tests/robustness/test_rasters_round16.py), point tables and
vector layers (through :func:`prospect.grid.check_transformable`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prospect.errors import CRSError
from prospect.grid import check_transformable, datum_guessed, parse_crs
from prospect.io.points import read_points

HAYFORD_UTM19 = "+proj=utm +zone=19 +ellps=intl +units=m +no_defs"
RD_NO_SHIFT = ("+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 "
               "+k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs")


@pytest.mark.parametrize(("src", "dst", "refused"), [
    (HAYFORD_UTM19, "EPSG:32619", True),
    (RD_NO_SHIFT, "EPSG:32631", True),
    (RD_NO_SHIFT, "EPSG:28992", False),  # the same ellipsoid: PROJ's null shift is meant
    ("EPSG:24719", "EPSG:32619", False),  # a datum: PROJ knows the shift
    ("+proj=utm +zone=19 +ellps=WGS84 +units=m", "EPSG:32619", False),
])
def test_datum_guessed(src: str, dst: str, refused: bool) -> None:
    why = datum_guessed(parse_crs(src), parse_crs(dst))
    assert (why is not None) == refused, why
    if refused:
        assert "no datum" in why and "100 m" in why


def test_a_point_table_in_a_datumless_crs_is_refused(tmp_path: Path) -> None:
    """Before: wells given in UTM 19 on the Hayford ellipsoid without a datum went onto a
    WGS 84 UTM region with no shift at all (hundreds of metres off), without a word."""
    table = tmp_path / "wells.csv"
    table.write_text("x,y\n500100,1350100\n500200,1350200\n")
    with pytest.raises(CRSError, match=r"wells.csv: its CRS has an ellipsoid .* no datum"):
        read_points(table, x="x", y="y", crs=HAYFORD_UTM19, to_crs="EPSG:32619")
    with pytest.raises(CRSError, match="crs:"):
        check_transformable(HAYFORD_UTM19, "EPSG:32619", where="geology.shp")
    done = read_points(table, x="x", y="y", crs="EPSG:32619", to_crs="EPSG:32619")
    assert len(done.x) == 2  # control
