"""Round 45, models and reuse: a cube of another tool whose code table leaves out codes its
geology holds, a fill no one declared scored as evidence, spatial CV's unseen-class line in
every model's words at once, and a ``--cog`` map whose tags do not say what it is.

All data are SYNTHETIC: 600 training rows drawn from a seeded generator (a continuous
layer ``a`` in 0..1 and a geology code ``geo`` of units 1, 2 and 3, deposits mostly on
unit 3 and at high ``a``), models made by Prospect's own factory
(:func:`prospect.models.factory.make_estimator`: a one-hot logistic regression and weights
of evidence) published in a temporary registry, and 16 x 16 cubes on their grid written
as another tool writes them (no ``prospect_fingerprint``), scored by the real CLI in this
process; SYNTHETIC training rows in two spatial folds for the CV line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

FILL = float(np.finfo(np.float32).max)
"""float32's largest value, 3.4028235e38: ArcGIS's fill of a float32 raster."""


@pytest.fixture(scope="module")
def reuse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry of SYNTHETIC models on ``a`` and ``geo`` (``logit``: logistic regression,
    one-hot; ``woe``: weights of evidence), and a maker of SYNTHETIC cubes on their grid."""
    import xarray as xr

    from prospect.config.model import ModelConfig
    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.models.factory import make_estimator
    from prospect.registry import ModelRegistry, save_model
    from prospect.registry.applicability import training_values
    from prospect.registry.schema import schema_from_cube
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r45reuse")
    rng = np.random.default_rng(45)
    n = 600
    geo = rng.integers(1, 4, n).astype(float)
    a = rng.random(n)
    X = np.column_stack([a, geo])
    y = (rng.random(n) < np.where(geo == 3, 0.4, 0.05) + 0.3 * a).astype(int)
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 561600.0, 1331600.0),
                      chunks=(16, 16), name="r45reuse")

    def make_cube(path: Path, a_cells: np.ndarray, codes: np.ndarray,
                  geo_attrs: dict[str, Any] | None = None) -> Path:
        """A SYNTHETIC cube of ``a`` and ``geo`` as another tool writes one: CF attributes
        of ``geo`` from ``geo_attrs``, no ``prospect_fingerprint``."""
        create_cube(path, grid, attrs={"synthetic": True})
        like = open_cube(path)
        layer = float_layer(codes, name="geo", units="1", long_name="geology unit code",
                            provenance={"source": "synthetic"}, like=like)
        layer.attrs["prospect_kind"] = "categorical"
        layer.attrs.update(geo_attrs or {})
        add_variables(path, xr.Dataset({
            "a": float_layer(a_cells, name="a", units="1", long_name="a",
                             provenance={"source": "synthetic"}, like=like),
            "geo": layer}))
        return path

    first = make_cube(root / "schema.zarr", rng.random(grid.shape),
                      rng.integers(1, 4, grid.shape).astype("f4"))
    schema = schema_from_cube(open_cube(first), ["a", "geo"])
    seen = training_values(X, ["a", "geo"], ["geo"])
    for spec in schema["variables"]:
        spec["training"] = seen[spec["name"]]
    registry = ModelRegistry(str(root / "reg"))
    fitted = {}
    for name, estimator in (("logit", "logistic_regression"),
                            ("woe", "weights_of_evidence")):
        cfg = ModelConfig(estimator=estimator, mineral="lithium", labels={"source": "wells"})
        model = make_estimator(cfg, n_features=2, categorical=[1], cell_area=1e4,
                               feature_names=["a", "geo"]).fit(X, y)
        folder = save_model(model, root / name, schema=schema,
                            card={"mineral": "lithium", "synthetic": True,
                                  "limitations": ["SYNTHETIC model"]})
        registry.publish(folder, name, version="1")
        fitted[name] = model
    return {"reg": root / "reg", "root": root, "grid": grid, "make_cube": make_cube,
            "models": fitted, "rng": rng}


def _score(cli: Any, found: dict[str, Any], name: str, cube: Path,
           out: Path) -> tuple[str, np.ndarray]:
    """``prospect model score NAME`` on ``cube``: its words (one line) and its probability
    map."""
    import xarray as xr

    result = cli("model", "score", name, "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-2000:]
    with xr.open_zarr(out) as maps:
        return text, np.asarray(maps["probability"].values)


def _codes(found: dict[str, Any]) -> np.ndarray:
    """SYNTHETIC geology codes 1-3 on the grid, a new unit (code 9) on the first 4 rows."""
    codes = found["rng"].integers(1, 4, found["grid"].shape).astype("f4")
    codes[:4, :] = 9
    return codes


# -- 1. a CF code table that leaves out codes the data hold ---------------------------------

def test_a_code_the_legend_of_another_tools_cube_leaves_out_is_said_unseen(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """A cube written by another tool whose ``geo`` states ``flag_values: [1, 2, 3]``
    (the legend of the training survey) while 64 cells hold unit 9 (mapped after the
    legend was written): the check trusted the legend, read nothing, and the map scored
    unit 9 as none of the known classes without a word. Now a layer Prospect did not write
    is read whatever its table says: the 64 cells are said."""
    cube = reuse["make_cube"](tmp_path / "c.zarr", reuse["rng"].random(reuse["grid"].shape),
                              _codes(reuse), {"flag_values": [1, 2, 3],
                                              "flag_meanings": "shale sandstone granite"})
    text, _ = _score(cli, reuse, "logit", cube, tmp_path / "s.zarr")
    assert "variable 'geo': 64 cell(s) hold 1 code(s) the model never saw in training: " \
           "9 (64 cells) (trained on codes 1, 2, 3); they are scored as none of the known " \
           "classes" in text, text


def test_a_code_table_written_as_text_is_read_not_a_traceback(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """``flag_values: "1 2 3"``, a legend written as one text (as some tools and hand-made
    attributes write it): the comparison converted it to numbers and stopped the score
    with "could not convert string to float". Now the layer is read and its new unit
    said."""
    cube = reuse["make_cube"](tmp_path / "c.zarr", reuse["rng"].random(reuse["grid"].shape),
                              _codes(reuse), {"flag_values": "1 2 3"})
    text, _ = _score(cli, reuse, "logit", cube, tmp_path / "s.zarr")
    assert "variable 'geo': 64 cell(s) hold 1 code(s) the model never saw" in text, text


def test_control_a_legend_listing_the_new_code_is_said_as_before(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: a legend that does list the new code (``flag_values: [1, 2, 3, 9]``) was
    read and said before; it still is, with the same count."""
    cube = reuse["make_cube"](tmp_path / "c.zarr", reuse["rng"].random(reuse["grid"].shape),
                              _codes(reuse), {"flag_values": [1, 2, 3, 9]})
    text, _ = _score(cli, reuse, "logit", cube, tmp_path / "s.zarr")
    assert "variable 'geo': 64 cell(s) hold 1 code(s) the model never saw in training: " \
           "9 (64 cells)" in text, text


# -- 2. one cell of a fill no one declared ---------------------------------------------------

def _filled_cube(found: dict[str, Any], path: Path, value: float) -> Path:
    """A SYNTHETIC cube whose ``a`` holds ``value`` on one cell (row 8, column 8), no
    nodata declared for it; codes 1-3 only."""
    a = found["rng"].random(found["grid"].shape).astype("f4")
    a[8, 8] = value
    codes = found["rng"].integers(1, 4, found["grid"].shape).astype("f4")
    return found["make_cube"](path, a, codes)


def test_one_undeclared_float32_fill_is_not_scored_as_probability_one(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """One cell of 3.4028235e38 (float32's largest, ArcGIS's fill) in ``a``, whose
    training range is 0..1: the logistic regression scored it probability 1.0 (0.0 for a
    negative slope), 1 cell of 256 was below the extrapolated share, and nothing was
    said. Now the cell is no data (unscored, NaN) and the layer, the count and the value
    are named, with the nodata to declare."""
    cube = _filled_cube(reuse, tmp_path / "c.zarr", FILL)
    text, p = _score(cli, reuse, "logit", cube, tmp_path / "s.zarr")
    assert np.isnan(p[8, 8]), p[8, 8]
    assert np.isfinite(p).sum() == p.size - 1
    assert "variable 'a': 1 cell(s) hold 3.402823e+38, a fill (a magnitude of 1e+30 or " \
           "more; no measurement) not declared as the layer's nodata: taken as no data " \
           "and left unscored (NaN)" in text, text
    assert "declare it as the source's nodata (nodata: 3.402823e+38)" in text, text


def test_one_undeclared_fill_under_weights_of_evidence_is_scored_without_the_layer(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Weights of evidence bins ``a``: one cell of -1e30 (many gridding codes' fill) fell
    in its lowest class and got that class's weight, as evidence, without a word. Now it
    is scored without the layer (W = 0, as a cell without the evidence), which is
    said."""
    import xarray as xr

    cube = _filled_cube(reuse, tmp_path / "c.zarr", -1e30)
    text, p = _score(cli, reuse, "woe", cube, tmp_path / "s.zarr")
    model = reuse["models"]["woe"]
    with xr.open_zarr(cube) as ds:
        geo = float(ds["geo"].values[8, 8])
    without = model.predict_proba(np.array([[np.nan, geo]]))[0, 1]
    assert p[8, 8] == pytest.approx(without, rel=1e-5)
    assert "variable 'a': 1 cell(s) hold -1e+30, a fill" in text, text
    assert "scored without it (W = 0 there, as a cell without its evidence)" in text, text


def test_control_a_large_value_below_the_fill_magnitude_is_scored(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: 1e6 in a layer trained on 0..1 is far outside the range but no fill; it
    is scored (every cell finite) and no fill is said."""
    cube = _filled_cube(reuse, tmp_path / "c.zarr", 1e6)
    text, p = _score(cli, reuse, "logit", cube, tmp_path / "s.zarr")
    assert np.isfinite(p).all()
    assert "a fill (a magnitude" not in text


# -- 3. spatial CV's "class unseen in a fold" in the configured model's words ----------------

def _rare_unit_folds() -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """SYNTHETIC training rows of a continuous layer and a geology code (column 1) in two
    spatial folds: units 1 and 3 in both, unit 7 (a small stock) only in fold 0's test
    rows, 2 of its 12 rows deposits."""
    rng = np.random.default_rng(45)
    codes = np.r_[np.tile([1.0, 3.0], 40), np.full(12, 7.0)]
    y = np.r_[(rng.random(80) < 0.2).astype(int), np.r_[1, 1, np.zeros(10, int)]]
    X = np.column_stack([rng.random(codes.size), codes])
    fold0 = np.r_[np.arange(0, 40), np.arange(80, 92)]
    return X, y, [(np.arange(40, 80), fold0), (fold0, np.arange(40, 80))]


def test_a_class_unseen_in_a_fold_is_said_in_the_random_forests_words() -> None:
    """``model.estimator: random_forest`` (one-hot, the default): the train stage's
    warning read "scores them as no class it knows (one-hot: no class column set; target
    encoding: the mean; weights of evidence: weight 0) ...; group rare classes with like
    ones", three readings of which two are other models', and a remedy (class groups)
    that only weights of evidence has. Now the train stage passes its estimator and
    encoding, and the line says the one-hot reading and a remedy the forest can take."""
    from prospect.models.cv import classes_unseen_in_folds

    X, y, folds = _rare_unit_folds()
    found = classes_unseen_in_folds(X, y, folds, categorical=[1], names=["a", "geo"],
                                    estimator="random_forest", encoding="onehot")
    line = found["warning"]
    assert "scores them as no class it knows (one-hot encoding: no class column set, for " \
           "random_forest)" in line, line
    assert "weights of evidence" not in line.replace(
        "only weights of evidence groups classes", "")
    assert "recode rare classes into like ones in the geology layer's code table" in line


def test_a_class_unseen_in_a_fold_is_said_in_weights_of_evidences_words() -> None:
    """Weights of evidence without groups: its reading (weight 0) and its remedy, named as
    the config key that groups the layer's classes."""
    from prospect.models.cv import classes_unseen_in_folds

    X, y, folds = _rare_unit_folds()
    found = classes_unseen_in_folds(X, y, folds, categorical=[1], names=["a", "geo"],
                                    estimator="weights_of_evidence")
    line = found["warning"]
    assert "no class it knows (weights of evidence: weight 0 for that layer, as a cell " \
           "without its evidence)" in line, line
    assert "one-hot" not in line and "target encoding" not in line
    assert "group rare classes with like ones (model.params.evidence.geo.groups)" in line



# -- 4. what a --cog map is, in its tags ------------------------------------------------------

def test_a_cog_of_model_score_says_its_scale_in_its_tags(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """``prospect model score logit --cog p.tif``, the GeoTIFF a partner agency is sent:
    its tags were ``model`` and ``synthetic`` only, where the job's score stage tags its
    COGs with what the map is. A reader of the tags (``gdalinfo``, a GIS's metadata
    panel) of a map from a model trained at one prevalence found no word that it is a
    relative prospectivity, not the chance of a deposit. Now the tags carry
    ``prospect_scale``, ``long_name``, ``prospect_kind`` and ``mineral`` as the stage's."""
    import rasterio

    cube = _filled_cube(reuse, tmp_path / "c.zarr", 0.5)
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr", "-r",
                 reuse["reg"], "--cog", tmp_path / "p.tif")
    assert result.code == 0, result.err[-2000:]
    with rasterio.open(tmp_path / "p.tif") as src:
        tags = src.tags()
    assert tags["prospect_scale"] == "relative prospectivity", tags
    assert tags["long_name"] == "lithium relative prospectivity (uncalibrated score, not " \
        "a probability)", tags
    assert (tags["prospect_kind"], tags["mineral"], tags["model"], tags["synthetic"]) == \
        ("probability", "lithium", "logit/1", "true"), tags

