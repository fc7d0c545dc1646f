"""The catalogue: every Awesome Spectral Indices entry, the mineral indices, sensor mappings."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files

import pytest

from prospect.errors import ConfigError, DataError
from prospect.indices import (
    CATALOGUE_VERSION,
    available_on,
    list_indices,
    list_sensors,
    load_catalogue,
    load_sensor,
    plan_indices,
)
from prospect.indices.catalogue import ASI_SHA256

DATA = files("prospect.indices") / "data"
REQUIRED_MINERALS = {
    "CLAY_HYDROXYL": ("S1 / S2", {"S1", "S2"}),
    "FERROUS_IRON": ("S2 / N + G / R", {"S2", "N", "G", "R"}),
    "FERRIC_IRON": ("R / G", {"R", "G"}),
    "IRON_OXIDE": ("R / B", {"R", "B"}),
}


def _asi() -> dict:
    return json.loads((DATA / "spectral-indices-dict.json").read_text())["SpectralIndices"]


def test_every_awesome_spectral_index_is_in_the_catalogue_with_its_formula() -> None:
    asi = _asi()
    cat = load_catalogue()
    assert len(asi) >= 250
    for name, item in asi.items():
        entry = cat[name]
        assert entry.formula == item["formula"]
        assert entry.source == "awesome-spectral-indices"
        assert entry.domain == item["application_domain"]
        assert entry.reference == item["reference"]


def test_vendored_catalogue_is_pinned_and_credited() -> None:
    raw = (DATA / "spectral-indices-dict.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == ASI_SHA256
    licence = (DATA / "LICENSE-awesome-spectral-indices.txt").read_text()
    assert "MIT License" in licence and "David Montero Loaiza" in licence
    assert "spyndex 0.12.0" in CATALOGUE_VERSION or "0.12.0" in CATALOGUE_VERSION


def test_required_mineral_indices_exist_with_their_formulas() -> None:
    cat = load_catalogue()
    for name, (formula, bands) in REQUIRED_MINERALS.items():
        entry = cat[name]
        assert entry.formula == formula
        assert set(entry.bands) == bands
        assert entry.source == "prospect-minerals"
        assert entry.reference
    assert {"sentinel2", "landsat8"} <= set(cat["FERROUS_IRON"].platforms)


def test_mineral_catalogue_covers_the_issue_list_on_every_sensor_family() -> None:
    minerals = list_indices(source="prospect-minerals")
    assert len(minerals) >= 25
    tags = {t for e in minerals for t in (e.domain, *e.tags)}
    for wanted in ("iron", "clay", "al-oh", "mg-oh", "carbonate", "kaolinite", "alunite",
                   "silica", "quartz", "gossan", "geothermal", "alteration", "lithology"):
        assert wanted in tags, wanted
    for e in minerals:
        assert e.formula and e.bands and e.platforms and e.reference, e.name
        assert e.valid_range != (None, None), e.name
    for sensor in ("sentinel2", "landsat8", "landsat9", "landsat7", "landsat5", "aster"):
        names = {e.name for e in list_indices(sensor=sensor, source="prospect-minerals")}
        assert {"FERRIC_IRON", "CLAY_HYDROXYL", "FERROUS_IRON"} <= names, sensor
    aster = {e.name for e in list_indices(sensor="aster", domain="lithology")}
    assert {"QUARTZ_QI", "CARBONATE_CI", "SILICA_SIO2"} <= aster
    assert not {e.name for e in list_indices(sensor="sentinel2", domain="lithology")}


def test_every_entry_parses_and_lists_bands_and_constants() -> None:
    for entry in load_catalogue().values():
        assert entry.bands, entry.name
        described = entry.describe()
        assert described["formula"] == entry.formula
        json.dumps(described)


def test_normalized_differences_get_the_unit_range() -> None:
    cat = load_catalogue()
    assert cat["NDVI"].valid_range == (-1.0, 1.0)
    assert cat["NBR"].valid_range == (-1.0, 1.0)
    assert cat["EVI"].valid_range == (None, None)


def test_sensor_mappings_follow_the_contract() -> None:
    assert set(list_sensors()) >= {"sentinel2", "landsat8", "landsat7", "landsat5", "aster"}
    s2 = {k: b.variable for k, b in load_sensor("sentinel2").bands.items()}
    assert s2 == {"A": "B01", "B": "B02", "G": "B03", "R": "B04", "RE1": "B05", "RE2": "B06",
                  "RE3": "B07", "N": "B08", "N2": "B8A", "WV": "B09", "S1": "B11", "S2": "B12"}
    l8 = {k: b.variable for k, b in load_sensor("landsat9").bands.items()}
    assert l8["B"] == "B2" and l8["N"] == "B5" and l8["S2"] == "B7" and l8["T1"] == "B10"
    assert load_sensor("landsat9").name == "landsat8"
    for name in ("landsat7", "landsat5"):
        m = {k: b.variable for k, b in load_sensor(name).bands.items()}
        assert m["B"] == "B1" and m["S1"] == "B5" and m["S2"] == "B7" and m["T"] == "B6"
    aster = {k: b.variable for k, b in load_sensor("aster").bands.items()}
    assert aster["N"] == "B3N" and aster["TIR14"] == "B14" and aster["SW6"] == "B6"


def test_unknown_names_are_config_errors_that_say_what_to_do() -> None:
    with pytest.raises(ConfigError, match=r"unknown sensor 'spot9'.*sentinel2"):
        load_sensor("spot9")
    with pytest.raises(ConfigError, match="did you mean 'NDVI'"):
        plan_indices(["ndvi"])
    with pytest.raises(ConfigError, match=r"needs band 'B'.*aster"):
        plan_indices(["IRON_OXIDE"], sensor="aster")
    with pytest.raises(ConfigError, match=r"constant 'PAR'.*indices.constants.PAR"):
        plan_indices(["NIRvP"])  # Photosynthetically Active Radiation has no default
    assert plan_indices(["NIRvP"], constants={"PAR": 2.0}).indices[0].constants


def test_available_on_and_filters() -> None:
    cat = load_catalogue()
    assert available_on(cat["NDVI"], "landsat5")
    assert not available_on(cat["IRECI"], "landsat8")  # no red edge on OLI
    veg = list_indices(domain="vegetation", sensor="sentinel2")
    assert veg and all(e.domain == "vegetation" for e in veg)
    assert len(list_indices(sensor="sentinel1")) >= 10  # the radar indices
    assert list_indices(domain="GEOTHERMAL")  # case-insensitive
    # before: a typo listed nothing, as if the catalogue had no such index
    with pytest.raises(ConfigError, match=r"no index has the domain or tag 'vegetaton'; "
                                          r"did you mean 'vegetation'\? known: "):
        list_indices(domain="vegetaton")
    with pytest.raises(ConfigError, match=r"unknown index source 'asi'"):
        list_indices(source="asi")


def test_missing_band_variable_in_dataset_is_a_data_error() -> None:
    import numpy as np
    import xarray as xr

    from prospect.indices import compute_indices

    ds = xr.Dataset({"B04": (("y", "x"), np.ones((2, 2), np.float32))})
    with pytest.raises(DataError, match="B08"):
        compute_indices(ds, ["NDVI"])


def test_one_index_name_given_as_a_string_is_one_name() -> None:
    """``plan_indices("NDVI")`` planned the letters ("unknown index 'N'"); a string is one
    name, as the API's callers write it."""
    assert [e.name for e in plan_indices("NDVI").indices] == ["NDVI"]
    assert plan_indices("NDVI").indices == plan_indices(["NDVI"]).indices
