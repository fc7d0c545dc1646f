"""Round 40: survey rasters and vectors.

A model trained on a cube whose grid stated ``ML/d`` (megalitres a day, the UK water
industry's spelling of daily flows) refused a cube in ``Ml/d``, though ingest reads both
as one unit: ``registry.units.same_units`` kept every pair of spellings that differ only
in case apart (to keep ``MGal`` from ``mGal``). Spellings that differ only in case are now
one unit where ingest reads them as one and no letter that may be an SI prefix changes
case.

A rainfall, uplift or flow grid whose band states its time or length as a word or an
abbreviation (``mm/day``, ``Ml/day``, ``mm/year``, ``millimetres``) was warned of at
ingest under ``units: mm/d`` (``ML/d``, ``mm/yr``, ``mm``) as other units to be converted
with "'scale:' and 'offset:'", and refused by a model trained on the other spelling; and
where the sizes do differ (``mm/hr`` under ``mm/d``, ``millimetres`` under ``m``) no
factor was given. ``layers.unit_key`` now reads those words as ``d``, ``h``, ``yr``,
``mm`` (``per`` as a word dividing), and ``unit_factor`` knows a minute, an hour, a day
and a Julian year in seconds.

Found by the model's schema check (``schema_differences``) on SYNTHETIC one-variable
cubes built in memory, and by an in-process ``prospect ingest`` on the corpus's shared
loopback cluster of SYNTHETIC one-band GeoTIFFs written with rasterio (2026-12-05). Every
file here is small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401  (the cube's .rio accessor, as the model check reads it)
import xarray as xr
from rasterio.transform import from_origin

from .conftest import Sandbox
from .test_rasters_round38 import _cube, _schema  # one layer's cube and schema

GRID = np.arange(1600, dtype="float32").reshape(40, 40)
"""A SYNTHETIC 40 x 40 grid on the sandbox's region (10 m cells)."""




# --- units that differ only in case ----------------------------------------------------


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("Ml/d", "ML/d"),          # megalitres a day, as UK and Australian exports write them
    ("ML/day", "Ml/day"),
    ("Ml", "ML"),
    ("PERCENT", "percent"),    # a spreadsheet export in capitals
    ("DegC", "degC"),
])
def test_one_unit_spelt_in_another_case_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a cube in ``Ml/d`` was refused by a model trained on ``ML/d`` ("units ...
    model needs ..."), though ingest reads both as megalitres a day; alike ``PERCENT``
    and ``percent``, ``DegC`` and ``degC``. One unit to ingest and the model alike."""
    from prospect.ingest.layers import unit_key
    from prospect.registry.schema import schema_differences

    assert unit_key(cube_units) == unit_key(model_units)  # ingest's reading: one unit
    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("MGal", "mGal"),          # megagal is not milligal
    ("ML", "mL"),              # megalitres are not millilitres
    ("Ml/d", "ml/d"),
    ("MW/m2", "mW/m2"),
    ("W/M2", "W/m2"),
    ("ML/D", "ML/d"),
    ("fT", "ft"),
])
def test_units_that_differ_in_a_prefix_case_stay_refused_by_a_model(
        cube_units: str, model_units: str) -> None:
    """Control: where the case of a letter that may be an SI prefix (or a one-letter
    symbol) differs, the units stay apart: ``MGal`` is not ``mGal``, ``ML`` not ``mL``."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []


# --- times and lengths written as words or abbreviations ------------------------------


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> str:
    """Ingest a SYNTHETIC grid whose band states ``stated`` as ``units: units``; what the
    run printed (it must succeed, with the grid's values as they are)."""
    path = box.root / "grid.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="float32", crs="EPSG:32619",
                       transform=from_origin(500000, 1350400, 10, 10)) as dst:
        dst.write(GRID, 1)
        dst.units = (stated,)
    box.write_job(sources=[{"kind": "raster", "name": "layer", "path": path.name,
                            "units": units}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    np.testing.assert_array_equal(xr.open_zarr(box.out / "cube.zarr")["layer"].values,
                                  GRID)
    assert box.untouched()
    return " ".join((result.out + result.err).split())


@pytest.mark.parametrize(("stated", "units"), [
    ("mm/day", "mm/d"),        # a rainfall or evaporation grid
    ("Ml/day", "ML/d"),        # a water allocation
    ("mm/year", "mm/yr"),      # an uplift or subsidence rate
    ("millimetres", "mm"),
    ("megalitres per day", "ML/d"),   # ``per`` as a word divides
])
def test_a_time_or_length_written_as_a_word_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: "band 1 states its units as 'mm/day', but source 'layer' says 'units:
    mm/d' ... set 'units: mm/day' (or 'scale:' and 'offset:' to convert them)": one unit
    warned of as another. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert "states its units" not in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("mm/hr", "mm/d", "24"),
    ("millimetres", "m", "0.001"),
    ("m3/day", "m3/h", "0.0416666666667"),
    ("mm per hour", "mm/d", "24"),
    ("parts per billion", "ppm", "0.001"),
])
def test_a_time_or_length_word_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a grid in ``mm/hr`` under ``units: mm/d`` was told to convert with
    "'scale:' and 'offset:'", no factor (an hour and a day were not known). Now the
    warning gives the factor (1 mm/hr = 24 mm/d)."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


def test_a_rate_per_year_in_other_lengths_is_still_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str) -> None:
    """Control: ``cm/yr`` under ``units: mm/yr`` was and is told 'scale: 10'."""
    text = _ingest(sandbox, cli, scheduler, "cm/yr", "mm/yr")
    assert "'scale: 10' to convert them to mm/yr (1 cm/yr = 10 mm/yr)" in text, text[-3000:]


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("ML/day", "ML/d"),
    ("mm/year", "mm/yr"),
    ("millimetres", "mm"),
    ("m3/day", "m3/d"),
    ("megalitres per day", "ML/d"),
])
def test_a_time_or_length_word_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a cube in ``ML/day`` was refused by a model trained on ``ML/d``; one unit."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("m3/h", "m3/d"),          # a factor of 24
    ("mm/d", "mm/yr"),
    ("md", "d"),               # a millidarcy is no milliday
])
def test_times_of_other_sizes_stay_refused_by_a_model(
        cube_units: str, model_units: str) -> None:
    """Control: a flow per hour is not one per day, nor a rate per day one per year."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []


@pytest.mark.parametrize("cube_units", ["mW //m2", "mW/ /m2"])
def test_a_units_string_missing_its_denominator_is_not_taken_for_another(
        cube_units: str) -> None:
    """Before: ``mW //m2`` (a typed slash twice) was read by ``layers.unit_key`` as
    ``mW/m2``, the empty denominator skipped, so a model trained on ``mW/m2`` took it
    (round 18's own check of this, ``test_the_canonical_form_is_a_product_of_powers``,
    failed). Now a units string with an empty denominator is compared as written."""
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema("mW/m2")) != []
