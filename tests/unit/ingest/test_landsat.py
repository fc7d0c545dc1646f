"""Landsat MTL parsing and DN -> TOA reflectance coefficients."""

from __future__ import annotations

import math

import pytest

from prospect.errors import DataError, InputFileError
from prospect.ingest.landsat import band_number, calibration, read_mtl

C2 = """GROUP = LANDSAT_METADATA_FILE
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_8"
    CLOUD_COVER = 7.24
    DATE_ACQUIRED = 2020-01-27
    SUN_ELEVATION = 30.0
    EARTH_SUN_DISTANCE = 0.9846597
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
    REFLECTANCE_MULT_BAND_2 = 2.75e-05
    REFLECTANCE_ADD_BAND_2 = -0.2
  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_10 = 3.342E-04
    RADIANCE_ADD_BAND_10 = 0.1
    REFLECTANCE_MULT_BAND_2 = 2.0000E-05
    REFLECTANCE_ADD_BAND_2 = -0.100000
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
END_GROUP = LANDSAT_METADATA_FILE
END
"""

TM = """GROUP = L1_METADATA_FILE
  GROUP = PRODUCT_METADATA
    SPACECRAFT_ID = "LANDSAT_5"
    DATE_ACQUIRED = 1988-08-14
  END_GROUP = PRODUCT_METADATA
  GROUP = IMAGE_ATTRIBUTES
    CLOUD_COVER = 0.00
    SUN_ELEVATION = 49.75588889
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = RADIOMETRIC_RESCALING
    RADIANCE_MULT_BAND_1 = 0.671
    RADIANCE_ADD_BAND_1 = -2.19134
  END_GROUP = RADIOMETRIC_RESCALING
END_GROUP = L1_METADATA_FILE
END
"""


def test_collection2_uses_level1_reflectance_and_sun_elevation(tmp_path):
    path = tmp_path / "LC08_MTL.txt"
    path.write_text(C2)
    mtl = read_mtl(path)
    assert mtl.cloud_cover == 7.24 and str(mtl.date) == "2020-01-27"
    cal = calibration(mtl, 2)
    # level-1 coefficients (not the level-2 surface-reflectance ones), divided by sin(30 deg)
    assert cal.scale == pytest.approx(2e-5 / 0.5)
    assert cal.offset == pytest.approx(-0.1 / 0.5)
    assert cal.quantity == "toa_reflectance"
    thermal = calibration(mtl, 10)
    assert thermal.quantity == "toa_radiance" and thermal.scale == pytest.approx(3.342e-4)


def test_tm_radiance_to_reflectance_with_esun(tmp_path):
    path = tmp_path / "LT5_MTL.txt"
    path.write_bytes(TM.encode() + b"\0" * 64)  # padded like the real file
    mtl = read_mtl(path)
    cal = calibration(mtl, 1)
    doy = 227
    d = 1 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))
    k = math.pi * d**2 / (1983.0 * math.sin(math.radians(49.75588889)))
    assert cal.scale == pytest.approx(0.671 * k)
    assert cal.offset == pytest.approx(-2.19134 * k)
    dn = 60
    assert 0.0 < cal.scale * dn + cal.offset < 0.3  # a plausible TOA reflectance
    with pytest.raises(DataError, match="no reflectance or radiance coefficients for band 4"):
        calibration(mtl, 4)


def test_band_numbers_and_bad_files(tmp_path):
    assert band_number("B4") == 4 and band_number("blue", "LC08_X_B10.TIF") == 10
    with pytest.raises(DataError, match="cannot tell the Landsat band number of 'red'"):
        band_number("red", "red.tif")
    junk = tmp_path / "x_MTL.txt"
    junk.write_text("hello")
    with pytest.raises(InputFileError, match="not a Landsat MTL file"):
        read_mtl(junk)
