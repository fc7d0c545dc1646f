"""Indices and screening fuzzed as a reservoir engineer, a careless job writer and a
library user holding numpy and rioxarray objects, round 56 (2026-12-06).

A negative recovery, hours, cut-off, density or z was pydantic's "Input should be greater
than 0". A screening of an IDW surface was told "the ingest stage makes no variable
'brine_li_variance'" with no word that IDW has no variance. NIRvP without ``PAR`` was told
"set indices.constants.PAR in the job config" by the library, and a job naming it was
refused without its file. ``compute_indices`` refused ``np.float32(0.5)`` as a constant
("is not a number"), ended a DataArray of bands (``rioxarray.open_rasterio``) in an
``AttributeError``, and a dataset of numbered bands (``to_dataset(dim='band')``) in a
``KeyError`` or ``AttributeError``.

Each non-control case failed before the round: checked with ``git show HEAD:`` of the
changed modules put back (see ``docs/robustness.md``, round 56's indices section). All
data are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import ConfigError, DataError
from prospect.indices import compute_indices

from .conftest import assert_clean_error

# -- a negative recovery, hours, cut-off, density or z -------------------------------------


def _economics_job(root: Path, interpolate: list[str] | None = None, **economics: Any) -> Path:
    """A SYNTHETIC job interpolating four made-up wells, screened with ``economics``."""
    (root / "li.csv").write_text(
        "x,y,li\n101000,401000,15\n118000,402000,22\n110000,419000,9\n105000,410000,30\n"
    )
    job = {
        "name": "brine",
        "description": "SYNTHETIC wells",
        "synthetic": True,
        "region": {
            "name": "nl",
            "crs": "EPSG:28992",
            "resolution": 1000.0,
            "bounds": [100000.0, 400000.0, 120000.0, 420000.0],
            "chunks": [16, 16],
        },
        "sources": [
            {
                "kind": "points",
                "name": "brine",
                "path": "li.csv",
                "crs": "EPSG:28992",
                "x": "x",
                "y": "y",
                "columns": ["li"],
                "units": {"li": "mg/L"},
                "interpolate": interpolate or ["kriging"],
                "neighbours": 4,
            }
        ],
        "economics": {"concentration": "brine_li", **economics},
    }
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("key", "value", "needles"),
    [
        ("recovery", -0.8, ["share of the dissolved lithium", "recovery: 0.8", "recovery: 0.2"]),
        ("recovery", -80, ["recovery: 0.8 if 80 % is recovered"]),
        ("hours_per_year", -760, ["hours_per_year: 760", "hours_per_year: 8000", "downtime"]),
        ("cutoff_t_lce_per_year", -500, ["pay for itself", "cutoff_t_lce_per_year: 500"]),
        ("cutoff_t_li_per_year", -100, ["tonnes of lithium", "cutoff_t_li_per_year: 100"]),
        ("density_kg_per_l", -1.2, ["kg/L", "density_kg_per_l: 1.2"]),
        ("confidence_z", -1.645, ["one-sided z", "confidence_z: 1.645"]),
    ],
    ids=[
        "recovery",
        "recovery-percent",
        "hours-downtime",
        "cutoff-lce",
        "cutoff-li",
        "density",
        "z",
    ],
)
def test_a_negative_screening_figure_is_told_what_it_is_and_the_figure_to_give(
    cli: Any, tmp_path: Path, key: str, value: float, needles: list[str]
) -> None:
    """SYNTHETIC: ``recovery: -0.8`` (a loss's sign, or a sheet's), ``hours_per_year:
    -760`` (a downtime) or ``confidence_z: -1.645`` (the lower bound's quantile) were
    pydantic's "Input should be greater than 0": no word of the figure meant."""
    job = _economics_job(tmp_path, **{key: value})
    line = assert_clean_error(cli("plan", job), 2, f"economics.{key}", "is negative", *needles)
    assert "greater than 0" not in line, line


def test_control_positive_figures_plan_and_zero_keeps_its_words(cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC controls: the same figures positive plan; 0 is no sign (pydantic's words,
    as before); a flow's sign keeps round 55's words."""
    good = _economics_job(
        tmp_path,
        recovery=0.8,
        hours_per_year=8000,
        cutoff_t_lce_per_year=500,
        density_kg_per_l=1.1,
        confidence_z=1.645,
    )
    result = cli("plan", good)
    assert result.code == 0, result.out + result.err
    assert_clean_error(cli("plan", _economics_job(tmp_path, recovery=0)), 2, "greater than 0")
    assert_clean_error(
        cli("plan", _economics_job(tmp_path, flow_m3_per_h=-150)), 2, "negative flow"
    )


# -- the screening of an IDW surface -------------------------------------------------------


@pytest.mark.parametrize(
    ("interpolate", "concentration", "fix"),
    [
        (["idw"], "brine_li", "add kriging to sources.brine.interpolate"),
        (["idw", "kriging"], "brine_li_idw", "economics.concentration: brine_li"),
    ],
    ids=["idw-only", "idw-beside-kriging"],
)
def test_a_screened_idw_surface_is_told_it_has_no_variance_and_the_fix(
    cli: Any, tmp_path: Path, interpolate: list[str], concentration: str, fix: str
) -> None:
    """SYNTHETIC: ``economics.concentration`` naming an IDW surface was refused as "the
    ingest stage makes no variable 'brine_li_variance'", no word of IDW or kriging."""
    job = _economics_job(tmp_path, interpolate, concentration=concentration)
    line = assert_clean_error(
        cli("plan", job),
        2,
        "economics.variance",
        f"{concentration!r} is an inverse-distance (IDW) surface of source 'brine'",
        "no variance",
        fix,
    )
    assert "makes no variable" not in line, line


def test_control_a_kriged_surface_plans_and_an_unknown_one_keeps_its_words(
    cli: Any, tmp_path: Path
) -> None:
    """SYNTHETIC controls: the kriged surface beside IDW plans; a concentration no source
    makes is told what ingest makes, as before."""
    both = _economics_job(tmp_path, ["idw", "kriging"])
    result = cli("plan", both)
    assert result.code == 0, result.out + result.err
    unknown = _economics_job(tmp_path, ["idw"], concentration="wells_li")
    line = assert_clean_error(cli("plan", unknown), 2, "makes no variable 'wells_li'")
    assert "inverse-distance" not in line, line


# -- a constant without a default, and numpy constants ------------------------------------


def _bands(shape: tuple[int, int] = (12, 16)) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 red and near infrared reflectance."""
    rng = np.random.default_rng(56)
    red = rng.uniform(0.02, 0.2, shape).astype("f4")
    nir = rng.uniform(0.2, 0.5, shape).astype("f4")
    return xr.Dataset(
        {"B04": (("y", "x"), red), "B08": (("y", "x"), nir)},
        coords={"y": np.arange(shape[0]) * -10.0, "x": np.arange(shape[1]) * 10.0},
        attrs={"synthetic": "true"},
    )


def test_a_library_index_without_its_constant_is_told_the_librarys_argument() -> None:
    """SYNTHETIC: ``compute_indices(ds, ["NIRvP"])`` was told "set indices.constants.PAR
    in the job config", a job's key, and not what PAR is."""
    with pytest.raises(ConfigError) as caught:
        compute_indices(_bands(), ["NIRvP"])
    text = str(caught.value)
    for needle in ("'PAR'", "Photosynthetically Active Radiation", "constants={'PAR': <value>}"):
        assert needle in text, text
    assert "the job config" not in text, text


def test_a_jobs_index_without_its_constant_names_the_file(cli: Any, tmp_path: Path) -> None:
    """SYNTHETIC: a job computing NIRvP without ``PAR`` was refused by ``prospect plan``
    without the config file or its key."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {
                    "name": "r",
                    "crs": "EPSG:32631",
                    "resolution": 30,
                    "bounds": [687493.0, 5750606.0, 689293.0, 5752406.0],
                },
                "sources": [{"kind": "raster", "name": "b4", "path": "b4.tif"}],
                "indices": {"sensor": "sentinel2", "names": ["NIRvP"]},
            }
        )
    )
    assert_clean_error(cli("plan", job), 2, "job.yaml", "'indices'", "indices.constants.PAR")


def test_control_a_constant_given_computes_as_before() -> None:
    """SYNTHETIC control: NIRvP with PAR computes N * R... as the formula says."""
    ds = _bands()
    out = compute_indices(ds, ["NIRvP"], constants={"PAR": 1500.0})
    assert np.isfinite(out["NIRvP"].values).all()


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ({"L": np.float32(0.5)}, {"L": 0.5}),
        ({"SAVI": {"L": np.int64(1)}}, {"SAVI": {"L": 1}}),
        ({"L": np.float64(0.25), "sigma": np.float32(0.5)}, {"L": 0.25, "sigma": 0.5}),
    ],
    ids=["float32", "int64-per-index", "float64-and-float32-sigma"],
)
def test_numpy_scalar_constants_compute_as_their_numbers(
    given: dict[str, Any], plain: dict[str, Any]
) -> None:
    """SYNTHETIC: ``constants={"L": np.float32(0.5)}`` (a constant computed with numpy)
    was refused as "np.float32(0.5) is not a number"; now byte-identical to 0.5."""
    names = ["SAVI", "kNDVI"] if "sigma" in given else ["SAVI"]
    ds = _bands()
    out = compute_indices(ds, names, constants=given)
    ref = compute_indices(ds, names, constants=plain)
    for name in names:
        assert out[name].values.tobytes() == ref[name].values.tobytes()
        assert out[name].attrs["provenance"] == ref[name].attrs["provenance"]


def test_an_array_constant_is_told_to_give_one_number() -> None:
    """SYNTHETIC: ``constants={"L": np.array([0.5, 0.5, 0.5])}`` was "array([0.5, 0.5,
    0.5]) is not a number", no word of what to give."""
    with pytest.raises(ConfigError, match=r"an array of shape \(3,\).*give one number"):
        compute_indices(_bands(), ["SAVI"], constants={"L": np.array([0.5, 0.5, 0.5])})


def test_control_a_boolean_or_text_constant_is_still_refused() -> None:
    """SYNTHETIC controls: a boolean and text stay refused, in their words."""
    with pytest.raises(ConfigError, match="true is no number"):
        compute_indices(_bands(), ["SAVI"], constants={"L": True})
    with pytest.raises(ConfigError, match="is text"):
        compute_indices(_bands(), ["SAVI"], constants={"L": "0.5"})


# -- a DataArray, an array or numbered bands handed to compute_indices ---------------------


def _stacked() -> xr.DataArray:
    """SYNTHETIC bands 2, 3, 4, 8 of Sentinel-2 along ``band``, as rioxarray opens a
    four-band GeoTIFF."""
    ds = _bands()
    red, nir = ds["B04"].values, ds["B08"].values
    return xr.DataArray(
        np.stack([red * 0.5, red * 0.8, red, nir]),
        dims=("band", "y", "x"),
        coords={"band": [1, 2, 3, 4], "y": ds.y, "x": ds.x},
    )


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("stack", ["xarray.DataArray", "4 bands along 'band'", "to_dataset(dim='band')"]),
        ("one-band", ["xarray.DataArray", "to_dataset(name=...)"]),
        ("numpy", ["numpy.ndarray", "xr.Dataset({name: band, ...})"]),
        ("dict", ["builtins.dict", "xr.Dataset({name: band, ...})"]),
    ],
)
def test_no_dataset_given_to_compute_indices_is_told_how_to_make_one(
    case: str, needles: list[str]
) -> None:
    """SYNTHETIC: a DataArray of bands (``rioxarray.open_rasterio``), a numpy array or a
    dict of them ended in ``AttributeError: ... has no attribute 'data_vars'``."""
    stacked = _stacked()
    given = {
        "stack": stacked,
        "one-band": stacked.sel(band=3, drop=True),
        "numpy": stacked.values[2],
        "dict": {"B04": stacked.values[2], "B08": stacked.values[3]},
    }[case]
    with pytest.raises(DataError) as caught:
        compute_indices(given, ["NDVI"])
    text = str(caught.value)
    for needle in ["takes an xarray.Dataset of band variables", "'B08', 'B04'", *needles]:
        assert needle in text, text


@pytest.mark.parametrize("bands", [None, {"R": "3", "N": "4"}], ids=["unmapped", "text-map"])
def test_a_dataset_of_numbered_bands_is_told_to_rename_them(bands: dict[str, str] | None) -> None:
    """SYNTHETIC: ``to_dataset(dim='band')`` names variables 1, 2, 3, 4: they were listed
    as '1', '2'..., and mapping ``{"R": "3"}`` ended in ``KeyError: No variable named
    '3'``."""
    with pytest.raises(DataError) as caught:
        compute_indices(_stacked().to_dataset(dim="band"), ["NDVI"], bands=bands)
    text = str(caught.value)
    for needle in ("[1, 2, 3, 4]", "named by int", "ds.rename({1: 'B02', ...})"):
        assert needle in text, text


@pytest.mark.parametrize(
    "variable", [3, None, "", ["B04"]], ids=["number", "none", "empty", "list"]
)
def test_a_band_mapped_to_no_name_is_refused_naming_the_band(variable: Any) -> None:
    """SYNTHETIC: ``bands={"R": 3}`` ended in ``AttributeError: 'int' object has no
    attribute 'lower'``, ``["B04"]`` in ``TypeError: unhashable type``; ``None`` and ``''``
    were taken as the variable's name."""
    ds = _stacked().to_dataset(dim="band")
    with pytest.raises(ConfigError) as caught:
        compute_indices(ds, ["NDVI"], bands={"R": variable, "N": "B08"})
    text = str(caught.value)
    assert text.startswith(f"indices.bands.R: {variable!r} is no variable name"), text
    if variable == 3:
        assert "ds.rename({3: 'B04', ...})" in text, text


def test_control_renamed_bands_compute_as_a_dataset_of_them() -> None:
    """SYNTHETIC control: the stack renamed as the message says computes NDVI exactly as
    the dataset of those bands does; a mapping of text names works as before."""
    stacked = _stacked()
    renamed = stacked.to_dataset(dim="band").rename({1: "B02", 2: "B03", 3: "B04", 4: "B08"})
    ref = compute_indices(_bands(), ["NDVI"])
    out = compute_indices(renamed, ["NDVI"])
    assert out["NDVI"].values.tobytes() == ref["NDVI"].values.tobytes()
    mapped = renamed.rename({"B04": "red", "B08": "nir"})
    again = compute_indices(mapped, ["NDVI"], bands={"R": "red", "N": "nir"})
    assert again["NDVI"].values.tobytes() == ref["NDVI"].values.tobytes()


# -- reflectance in percent, and the library's argument to lift the range check -----------


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_reflectance_in_percent_is_said_as_percent_with_the_librarys_argument(
    dtype: str,
) -> None:
    """SYNTHETIC: bands of reflectance x 100 (0..100, as some products and spreadsheets
    store it) were told "raw digital numbers or a missing scale", no word of percent, and
    a library caller "set indices.allow_out_of_range: true", a job's key."""
    ds = _bands()
    pct = ds.map(lambda band: (band * 100).astype(dtype))
    with pytest.raises(DataError) as caught:
        compute_indices(pct, ["NDVI"])
    text = str(caught.value)
    for needle in (
        "raw digital numbers or a missing scale",
        "or reflectance in percent",
        "a scale of 0.01",
        "allow_out_of_range=True in a compute_indices call",
    ):
        assert needle in text, text


def test_control_digital_numbers_are_not_called_percent() -> None:
    """SYNTHETIC control: Sentinel-2 digital numbers (reflectance x 10000) keep the
    digital-number words, without percent; reflectance computes as before."""
    ds = _bands()
    dn = ds.map(lambda band: (band * 10000).astype("uint16"))
    with pytest.raises(DataError) as caught:
        compute_indices(dn, ["NDVI"])
    text = str(caught.value)
    assert "raw digital numbers or a missing scale; give the source" in text, text
    assert "percent" not in text, text
    out = compute_indices(ds, ["NDVI"])
    red, nir = ds["B04"].values.astype("f8"), ds["B08"].values.astype("f8")
    np.testing.assert_allclose(out["NDVI"].values, (nir - red) / (nir + red), rtol=1e-6)


# -- compute_indices' arguments of another type --------------------------------------------


def test_a_generator_of_index_names_computes_them() -> None:
    """SYNTHETIC: ``compute_indices(ds, (n for n in wanted))`` read the generator in the
    name check, then found it empty: an empty dataset, without a word."""
    ds = _bands()
    out = compute_indices(ds, (n for n in ["NDVI", "SAVI"]))
    assert list(out.data_vars) == ["NDVI", "SAVI"]
    ref = compute_indices(ds, ["NDVI", "SAVI"])
    assert out["SAVI"].values.tobytes() == ref["SAVI"].values.tobytes()


@pytest.mark.parametrize(
    ("kwargs", "needles"),
    [
        ({"names": None}, ["indices.names: None (NoneType) is no list of index names"]),
        ({"names": [5]}, ["indices.names: 5 (int) is no index name"]),
        ({"names": ["NDVI", None]}, ["None (NoneType) is no index name", "['NDVI', None]"]),
        ({"custom": "N - R"}, ["indices.custom: 'N - R' (str) is no mapping", "custom={'X'"]),
        ({"custom": {1: "N - R"}}, ["indices.custom: the key 1 (int) is no name"]),
        ({"custom": {"X": 5}}, ["indices.custom.X: 5 (int) is no formula"]),
        ({"bands": "B04"}, ["indices.bands: 'B04' (str) is no mapping", "bands={'R': 'B04'"]),
        ({"constants": [("L", 0.5)]}, ["indices.constants: [('L', 0.5)] (list) is no mapping"]),
        ({"nodata": "0"}, ["indices.nodata: '0' (str) is no number", "nodata=0"]),
    ],
    ids=[
        "names-none",
        "names-int",
        "names-holding-none",
        "custom-text",
        "custom-int-key",
        "custom-int-formula",
        "bands-text",
        "constants-list",
        "nodata-text",
    ],
)
def test_an_argument_of_another_type_is_refused_naming_it(
    kwargs: dict[str, Any], needles: list[str]
) -> None:
    """SYNTHETIC: each ended in ``AttributeError`` (``'str' object has no attribute
    'items'``, ``'int' object has no attribute 'lower'``) or ``TypeError`` (``must be real
    number, not str``), or (a formula of 5) was told "empty formula"."""
    call = {"names": ["NDVI"], **kwargs}
    names = call.pop("names")
    with pytest.raises(ConfigError) as caught:
        compute_indices(_bands(), names, **call)
    for needle in needles:
        assert needle in str(caught.value), str(caught.value)


def test_control_names_as_a_tuple_a_string_or_none_with_custom_compute_as_before() -> None:
    """SYNTHETIC controls: a tuple, one name as a string, and no names beside a custom
    formula compute as before; a numpy nodata is taken."""
    ds = _bands()
    ref = compute_indices(ds, ["NDVI"])
    for names in (("NDVI",), "NDVI"):
        out = compute_indices(ds, names)
        assert out["NDVI"].values.tobytes() == ref["NDVI"].values.tobytes()
    custom = compute_indices(ds, [], custom={"X": "(N - R) / (N + R)"})
    np.testing.assert_allclose(custom["X"].values, ref["NDVI"].values, rtol=1e-6)
    masked = compute_indices(ds, ["NDVI"], nodata=np.float32(-9999))
    assert masked["NDVI"].values.tobytes() == ref["NDVI"].values.tobytes()


@pytest.mark.parametrize("flag", ["no", "false", 1, None])
def test_allow_out_of_range_other_than_a_bool_is_refused(flag: object) -> None:
    """SYNTHETIC bands of raw DNs: ``allow_out_of_range="no"`` (a string, true in Python)
    lifted the range checks and computed an NDVI of digital numbers; any value but True or
    False is now refused naming the argument (the lead's follow-up of round 56)."""
    ds = xr.Dataset(
        {
            b: (("y", "x"), np.full((4, 4), v, np.float32))
            for b, v in (("B04", 1200.0), ("B08", 3400.0))
        }
    )
    with pytest.raises(ConfigError, match=r"allow_out_of_range: .* is not True or False"):
        compute_indices(ds, ["NDVI"], allow_out_of_range=flag)  # type: ignore[arg-type]
