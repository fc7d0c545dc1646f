"""Round 33: what the lead took from the helpers' hand-overs (SYNTHETIC tables).

* A grade column in ``milligrams per litre`` (and the other spellings screening reads
  since round 33) was no concentration to the point reader, so a ``-0.5`` among its grades
  (an export's "below 0.5") was kept as a value (``prospect.io.companions.is_concentration``).
* ``Li (mg/L)`` under ``units: {Li (mg/L): milligrams per litre}`` was warned as two units
  ("convert the values"), one being the other's words
  (``prospect.ingest.surfaces.column_units``).
* A model of mGal refused a cube layer of µm/s² (or of ``1`` for ``%``) as other units
  without the factor between them (``prospect.registry.units.units_hint``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.ingest.surfaces import column_units
from prospect.io.points import read_points

SPELLINGS = ["milligrams per litre", "mg/L (ICP)", "[mg/L]", "Milligrams per Liter"]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lead33") / "waters.csv"
    path.write_text("lon,lat,li\n5.0,52.0,1.5\n5.1,52.1,-0.5\n5.2,52.2,2.5\n")
    return path


@pytest.mark.parametrize("unit", SPELLINGS)
def test_a_negative_grade_in_a_unit_written_in_words_is_below_its_limit(
    table: Path, unit: str
) -> None:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        got = read_points(table, columns=["li"], to_crs="EPSG:28992", units={"li": unit})
    values = np.asarray(got.values["li"])
    assert np.isnan(values[1]) and values[0] == 1.5 and values[2] == 2.5
    assert any("negative" in str(w.message) and "line 3" in str(w.message) for w in said)


def test_control_a_column_of_metres_keeps_its_negative_values(table: Path) -> None:
    got = read_points(table, columns=["li"], to_crs="EPSG:28992", units={"li": "m"})
    assert np.asarray(got.values["li"])[1] == -0.5


@pytest.mark.parametrize("unit", SPELLINGS[::3])
def test_a_header_unit_given_in_words_in_units_is_one_unit(unit: str) -> None:
    source = PointSource.model_validate(
        {"kind": "points", "name": "li", "path": "x.csv", "columns": ["Li (mg/L)"],
         "units": {"Li (mg/L)": unit}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert column_units(source, "Li (mg/L)") == unit


def test_control_a_header_unit_another_scale_than_units_is_still_said() -> None:
    source = PointSource.model_validate(
        {"kind": "points", "name": "li", "path": "x.csv", "columns": ["Li (mg/L)"],
         "units": {"Li (mg/L)": "micrograms per litre"}}
    )
    with pytest.warns(UserWarning, match="states mg/L in its header"):
        column_units(source, "Li (mg/L)")


@pytest.mark.parametrize(
    ("have", "want", "factor"),
    [("um/s2", "mGal", "0.1"), ("µm s-2", "mGal", "0.1"), ("1", "%", "100"),
     ("ppm", "percent", "0.0001"), ("Gal", "mGal", "1000")],
)
def test_a_model_layer_in_gravity_units_or_shares_names_the_factor(
    have: str, want: str, factor: str
) -> None:
    """A cube layer in µm/s² (the gravity unit) for a model of mGal, or in a fraction of
    one for a model of percent, was refused as other units without the factor (models
    helper's hand-over: ``prospect.registry.units.units_hint``)."""
    from prospect.registry.units import same_units, units_hint

    assert not same_units(have, want)
    assert f"a factor of {factor}:" in units_hint(have, want)
