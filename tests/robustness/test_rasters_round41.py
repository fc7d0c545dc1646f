"""Round 41: survey rasters and vectors (units ingest and the model did not know).

A spring's or a stream's flow grid stating ``lps`` (litres per second) or ``cumecs``
(cubic metres per second), an uplift-rate grid stating ``mm/a`` (per annum, as geodesy
writes it), a magnetic grid stating ``nTesla``, and a density grid stating ``t/m3`` (one
unit with ``g/cm3``) or ``g/cc`` were warned of at ingest as other units to be converted
with "'scale:' and 'offset:'" (no factor, where the sizes differ), and a cube in one
spelling was refused by a model trained on the other. ``layers.unit_key`` now reads the
one-word flows (also as a factor: ``lps/km2``), ``a``/``y``/``annum`` in a denominator as
the year, ``nTesla`` as ``nT``, ``cc`` as ``cm3`` and ``gm`` as the gram, ``‰`` and
``per mil`` as ``permil``, and an SI prefix and a unit's name written as words
(``microsiemens/cm``, ``millisiemens per metre``, ``millivolts per volt``: a water's or an
EM survey's conductivity, an IP survey's chargeability) as their symbols; and
``unit_factor`` knows the tonne (prefixed by ``k``, ``M`` and ``G`` only: ``g/tonne``
is ``ppm``) and the plane angle (``rad``, ``deg``: a slope grid in radians under
``units: degrees`` is told ``scale: 57.2957795131``; a slope in ``%``, a tangent, is no
angle's multiple) and a susceptibility in ``cgs`` (4 pi ``SI``). A model's refusal of
other units now gives the factor ingest knows (``registry.units.units_hint``), and a
band stating ``rad`` ingested with ``scale: 57.2957795`` and no ``units:`` records
``degrees`` (``rasters._SCALED_TO``), not ``1``.

Found by an in-process ``prospect ingest`` on the corpus's shared loopback cluster of
SYNTHETIC one-band GeoTIFFs written with rasterio (their band's units set), and by the
model's schema check (``schema_differences``) on SYNTHETIC in-memory cubes (2026-12-06).
Every file here is small and SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import rioxarray  # noqa: F401  (the cube's .rio accessor, as the model check reads it)
import xarray as xr

from .conftest import Sandbox
from .test_rasters_round38 import _cube, _schema  # one layer's cube and schema
from .test_rasters_round42 import GRID, _grid  # a SYNTHETIC grid stating its units


def _ingest(box: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> str:
    """Ingest a SYNTHETIC grid whose band states ``stated`` as ``units: units``; what the
    run printed (it must succeed, with the grid's values as they are)."""
    box.write_job(sources=[{"kind": "raster", "name": "layer", "path": _grid(box, stated),
                            "units": units}])
    result = cli("ingest", box.job_path, "-o", box.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err
    np.testing.assert_array_equal(xr.open_zarr(box.out / "cube.zarr")["layer"].values,
                                  GRID)
    assert box.untouched()
    return " ".join((result.out + result.err).split())


# --- one unit in a hydrologist's, a geodesist's or a density log's spelling -------------


@pytest.mark.parametrize(("stated", "units"), [
    ("lps", "L/s"),            # a spring's or a bore's flow
    ("cumecs", "m3/s"),        # a stream's discharge
    ("lps/km2", "L/s/km2"),    # a specific discharge (one-word flow as a factor)
    ("mm/a", "mm/yr"),         # an uplift rate, per annum
    ("mm a-1", "mm/yr"),
    ("nTesla", "nT"),          # a magnetic survey's export
    ("t/m3", "g/cm3"),         # a density grid: one unit
    ("microsiemens/cm", "uS/cm"),          # a groundwater conductivity grid
    ("millisiemens per metre", "mS/m"),    # an EM survey's conductivity
    ("millivolts per volt", "mV/V"),       # an IP survey's chargeability
    ("\u2030", "permil"),                  # an isotope ratio grid's per mil sign
    ("g/tonne", "ppm"),                    # an assay grid: a mass ratio
])
def test_a_unit_in_another_spelling_is_not_warned_of(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str) -> None:
    """Before: "band 1 states its units as 'lps', but source 'layer' says 'units: L/s'
    ... set 'units: lps' (or 'scale:' and 'offset:' to convert them)": one unit warned
    of as another. Now nothing is said."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert "states its units" not in text, text[-3000:]


@pytest.mark.parametrize(("stated", "units", "factor"), [
    ("lps", "m3/s", "0.001"),
    ("cumecs", "L/s", "1000"),
    ("mm/a", "cm/yr", "0.1"),
    ("g/cc", "kg/m3", "1000"),   # a density log's cubic centimetre
    ("t/m3", "kg/m3", "1000"),
    ("microsiemens/cm", "mS/m", "0.1"),
    ("kg/t", "ppm", "1000"),
    ("rad", "degrees", "57.2957795131"),   # a slope in radians under degrees
    ("mrad", "rad", "0.001"),              # an IP survey's phase
    ("10^-6 cgs", "10^-5 SI", "1.25663706144"),   # an older survey's susceptibility
])
def test_a_unit_in_another_size_is_told_its_factor(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, units: str,
        factor: str) -> None:
    """Before: a grid in ``lps`` under ``units: m3/s`` was told to convert with "'scale:'
    and 'offset:'", no factor (``lps``, ``cumecs``, ``a``, ``cc`` and the tonne were not
    known, nor ``microsiemens``: a prefix and a unit's name as words). Now the warning
    gives the factor."""
    text = _ingest(sandbox, cli, scheduler, stated, units)
    assert f"'scale: {factor}' to convert them to {units} (1 {stated} = {factor} {units})" \
        in text, text[-3000:]


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("lps", "L/s"),
    ("cumecs", "m3/s"),
    ("mm/a", "mm/yr"),
    ("nTesla", "nT"),
    ("t/m3", "g/cm3"),
    ("microsiemens/cm", "uS/cm"),
    ("millivolts per volt", "mV/V"),
    ("per mil", "permil"),
])
def test_a_unit_in_another_spelling_is_one_unit_to_a_model(
        cube_units: str, model_units: str) -> None:
    """Before: a model trained on ``L/s`` refused a cube in ``lps`` ("units 'lps', model
    needs 'L/s'"). One unit to ingest and the model alike."""
    from prospect.ingest.layers import unit_factor, unit_key
    from prospect.registry.schema import schema_differences

    assert unit_key(cube_units) == unit_key(model_units) or \
        unit_factor(cube_units, model_units) == 1.0
    assert schema_differences(_cube(cube_units), _schema(model_units)) == []


@pytest.mark.parametrize(("cube_units", "model_units"), [
    ("a", "yr"),               # ``a`` alone is the are, not a year
    ("mt/m3", "kg/m3"),        # ``mt``: a US export's metric ton, not a millitonne
    ("lps", "m3/s"),           # a factor of 1000 apart
    ("Gm", "g"),               # a gigametre is no gram
    ("gals/min", "Gal"),       # US gallons are no gal of gravity
    ("millisiemens", "S"),     # a factor of 1000 apart
    ("%", "degrees"),          # a slope in percent is a tangent: no factor to an angle
    ("degrees", "degC"),       # an angle is no temperature
])
def test_units_that_are_not_one_stay_refused_by_a_model(
        cube_units: str, model_units: str) -> None:
    """Control: the are, a metric ton written ``mt``, flows of other sizes and a capital
    ``Gm`` stay apart from what they are not."""
    from prospect.ingest.layers import unit_factor
    from prospect.registry.schema import schema_differences

    assert schema_differences(_cube(cube_units), _schema(model_units)) != []
    assert unit_factor(cube_units, model_units) != 1.0


@pytest.mark.parametrize(("cube_units", "model_units", "factor"), [
    ("lps", "m3/s", "0.001"),
    ("rad", "degrees", "57.2958"),
    ("microsiemens/cm", "mS/m", "0.1"),
])
def test_a_model_tells_the_factor_ingest_knows(
        cube_units: str, model_units: str, factor: str) -> None:
    """Before: a model trained on ``m3/s`` refused a cube in ``lps`` with "units 'lps',
    model needs 'm3/s'" alone, though ingest's warning gives the factor. Now the model's
    refusal gives it too (``registry.units.units_hint`` falls back on ingest's
    ``unit_factor``)."""
    from prospect.registry.schema import schema_differences

    found = schema_differences(_cube(cube_units), _schema(model_units))
    assert len(found) == 1, found
    assert f"units {cube_units!r}, model needs {model_units!r}" in found[0], found
    assert f"scaled by a factor of {factor}:" in found[0], found


def test_a_slope_in_percent_is_told_no_factor_to_degrees() -> None:
    """Control: a slope in ``%`` (a tangent) under a model of ``degrees`` is refused
    without a factor: no multiple of one is the other."""
    from prospect.registry.schema import schema_differences

    found = schema_differences(_cube("%"), _schema("degrees"))
    assert len(found) == 1 and "factor" not in found[0], found


@pytest.mark.parametrize(("stated", "scale", "recorded"), [
    ("rad", 57.29577951308232, "degrees"),   # a slope grid in radians
    ("lps", 0.001, "m3/s"),                  # a flow grid in litres per second
    ("g/cc", 1000.0, "kg/m3"),               # a density grid in grams per cc
    ("m/a", 1000.0, "mm/yr"),                # an uplift rate in metres per annum
])
def test_a_scale_that_converts_a_stated_unit_records_the_converted_unit(
        sandbox: Sandbox, cli: Any, scheduler: str, stated: str, scale: float,
        recorded: str) -> None:
    """Before: a slope grid stating ``rad`` ingested with ``scale: 57.2957795`` and no
    ``units:`` was recorded as ``1`` (no unit) with "gives no 'units:'; the cube records
    '1'", as a DEM in ``ft`` under ``scale: 0.3048`` is not (it records ``m``). Now the
    one unit the scale converts into is recorded, without a word."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "layer",
                                "path": _grid(sandbox, stated), "scale": scale}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    text = " ".join((result.out + result.err).split())
    assert "gives no 'units:'" not in text, text[-3000:]
    layer = xr.open_zarr(sandbox.out / "cube.zarr")["layer"]
    assert layer.attrs["units"] == recorded
    np.testing.assert_allclose(layer.values, GRID * np.float32(scale), rtol=1e-6)
    assert sandbox.untouched()
