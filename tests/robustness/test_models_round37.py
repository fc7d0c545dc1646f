"""Round 37, models and reuse: a model *name* folder put in a registry with ``ln -s``,
outputs written into a model's own folder (a registry's version), ``--cog`` given an
existing folder, how much of the uncertainty map is 0, a study area summed a hair short
of a whole number of unit cells, and the spread of permutation importance over folds.

Every model here is tiny and SYNTHETIC (fitted on random rows in the test); the cube is a
SYNTHETIC 8 x 8 grid of random layers; the report cases write the reports from SYNTHETIC
facts or a weights-of-evidence model fitted on SYNTHETIC rows.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error
from .test_models_round36 import CARD, SCHEMA, _fitted  # one SYNTHETIC model and cube schema


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A registry holding one tiny SYNTHETIC model ``li`` (version 1) on layers ``a`` and
    ``b``, and a SYNTHETIC 8 x 8 cube of those layers on the model's grid, which also holds
    a SYNTHETIC ``uncertainty`` layer of which 20 cells are 0: ``(registry, cube)``."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r37")
    folder = save_model(_fitted(), root / "m", card=CARD, schema=SCHEMA)
    ModelRegistry(str(root / "reg")).publish(folder, "li", version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 560800.0, 1330800.0),
                      chunks=(8, 8), name="r37")
    create_cube(root / "cube.zarr", grid, attrs={"synthetic": True})
    like = open_cube(root / "cube.zarr")
    rng = np.random.default_rng(37)
    spread = rng.uniform(0.01, 0.2, grid.shape)
    spread.flat[:20] = 0.0      # every member agrees there
    spread.flat[20:24] = np.nan  # cells without a value
    layers = {n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n,
                             provenance={"source": "synthetic"}, like=like) for n in ("a", "b")}
    layers["uncertainty"] = float_layer(spread, name="uncertainty", units="1",
                                        long_name="SYNTHETIC spread",
                                        provenance={"source": "synthetic"}, like=like)
    add_variables(root / "cube.zarr", xr.Dataset(layers))
    return root / "reg", root / "cube.zarr"


# -- 1. a model folder put in a registry with `ln -s` ----------------------------------------

@pytest.fixture
def linked_name(registry: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A second registry whose model folder ``li`` is ``ln -s`` to the first registry's
    ``li`` (a user sharing a model between registries): ``(second registry, first)``."""
    reg, _ = registry
    (tmp_path / "reg2").mkdir()
    (tmp_path / "reg2" / "li").symlink_to(reg / "li", target_is_directory=True)
    return tmp_path / "reg2", reg


def test_a_linked_model_folder_is_named_by_model_list(cli: Any,
                                                      linked_name: tuple[Path, Path]) -> None:
    """``model list`` said "no models in reg2" without a word of the linked ``li``."""
    reg2, reg = linked_name
    result = cli("model", "list", "-r", reg2)
    assert result.code == 0, result.err[-2000:]
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, result.err
    assert "model folder 'li' is a symbolic link to" in warned[0]
    assert f"-r {reg}" in warned[0] and "not listed" in warned[0]


def test_an_import_into_a_linked_model_folder_writes_nothing(
        cli: Any, linked_name: tuple[Path, Path]) -> None:
    """``model import m --name li -r reg2``: exit 0, and version 2 was written into the
    *other* registry (through the link, outside ``-r``, past its import lock)."""
    reg2, reg = linked_name
    before = _tree(reg)
    result = cli("model", "import", reg / "li" / "1", "--name", "li", "-r", reg2)
    assert_clean_error(result, 1, f"{reg2}/li", "is a symbolic link to", f"-r {reg}",
                       "--name li")
    assert _tree(reg) == before


def test_a_linked_model_folder_is_not_loaded(cli: Any, linked_name: tuple[Path, Path]) -> None:
    """``model show li -r reg2`` showed the other registry's model, as if ``li`` were
    reg2's, while ``model list -r reg2`` listed no models."""
    reg2, _ = linked_name
    assert_clean_error(cli("model", "show", "li", "-r", reg2), 1,
                       "model folder 'li' is a symbolic link")


def test_an_alias_of_a_model_is_named_as_one(cli: Any, registry: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    """``ln -s li lithium`` in the registry: ``model show lithium`` showed ``li`` and an
    import under ``lithium`` published a version of ``li``; said now as an alias of ``li``,
    not as another registry's model."""
    import shutil

    reg = tmp_path / "reg"
    shutil.copytree(registry[0], reg, symlinks=True)
    (reg / "lithium").symlink_to("li", target_is_directory=True)
    listed = cli("model", "list", "-r", reg)
    assert listed.code == 0 and "an alias of this registry's model 'li'" in listed.err, \
        listed.err[-2000:]
    before = _tree(reg)
    assert_clean_error(cli("model", "import", reg / "li" / "1", "--name", "lithium", "-r",
                           reg), 1, "an alias of this registry's model 'li'",
                       "use its name, 'li'")
    assert _tree(reg) == before


def test_a_registry_reached_through_a_link_is_used_as_before(
        cli: Any, registry: tuple[Path, Path], tmp_path: Path) -> None:
    """control: a registry *folder* given through a link (``-r ~/models`` linked to a big
    disk) holds its own model folders: listed and shown, without a warning."""
    reg, _ = registry
    (tmp_path / "models").symlink_to(reg, target_is_directory=True)
    listed = cli("model", "list", "-r", tmp_path / "models")
    assert listed.code == 0 and "warning" not in listed.err, listed.err[-2000:]
    assert "li" in listed.out
    assert cli("model", "show", "li", "-r", tmp_path / "models").code == 0


# -- 2. outputs written into a model's folder -------------------------------------------------

def test_an_export_into_a_published_version_is_refused(
        cli: Any, registry: tuple[Path, Path]) -> None:
    """``model export li -o <registry>/li/1/li.onnx`` (the ONNX kept beside the model):
    exit 0, and the published version, which never changes, held a file more."""
    reg, _ = registry
    before = _tree(reg)
    result = cli("model", "export", "li", "-o", reg / "li" / "1" / "li.onnx", "-r", reg)
    assert_clean_error(result, 1, f"{reg}/li/1/li.onnx", f"inside the model directory "
                       f"{reg}/li/1", "give -o/--out a path outside it")
    assert _tree(reg) == before


def test_a_score_into_a_published_version_is_refused(
        cli: Any, registry: tuple[Path, Path]) -> None:
    """``model score li -o <registry>/li/1/map.zarr``: a whole cube written into the
    version's folder, exit 0."""
    reg, cube = registry
    before = _tree(reg)
    result = cli("model", "score", "li", "-c", cube, "-o", reg / "li" / "1" / "map.zarr",
                 "-r", reg)
    assert_clean_error(result, 1, "inside the model directory", "-o/--out")
    assert _tree(reg) == before


def test_a_cog_onto_a_folder_writes_no_cube(cli: Any, registry: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    """``--cog maps`` where ``maps`` is a folder: the cube was scored and written first,
    then the COG failed (exit 74), leaving the cube, so the same command run again with a
    file name stopped with "-o: already exists"."""
    reg, cube = registry
    (tmp_path / "maps").mkdir()
    result = cli("model", "score", "li", "-c", cube, "-o", tmp_path / "s.zarr", "--cog",
                 tmp_path / "maps", "-r", reg)
    assert _tree(tmp_path) == ["maps"], _tree(tmp_path)  # no cube left: was s.zarr
    assert_clean_error(result, 74, f"{tmp_path}/maps", "a folder is where a file is to be "
                       "written", "maps/probability.tif")


def test_outputs_beside_the_registry_are_written(cli: Any, registry: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    """control: a cube and a COG outside any model folder are written as before."""
    reg, cube = registry
    done = cli("model", "score", "li", "-c", cube, "-o", tmp_path / "s.zarr", "--cog",
               tmp_path / "maps.tif", "-r", reg)
    assert done.code == 0, done.err[-2000:]
    assert (tmp_path / "maps.tif").is_file() and (tmp_path / "s.zarr").is_dir()


# -- 3. how much of the uncertainty map is 0 --------------------------------------------------

def test_the_uncertainty_maps_zero_share_is_counted_from_its_cog(
        registry: tuple[Path, Path], tmp_path: Path) -> None:
    """The uncertainty map's 0 (every member agrees) read as certainty and nothing said
    how much of the map it was: now its share of the valued cells, from the histogram the
    COG's blocks make (20 of 60 here), no pass of its own."""
    from pipelines.stages.score import deliver_map, uncertainty_zero
    from prospect.io.cube import cube_grid, open_cube

    _, cube = registry
    delivered = deliver_map(cube, "uncertainty", tmp_path, cube_grid(open_cube(cube)),
                            {"synthetic": "true"})
    assert delivered["finite"] == 60
    assert uncertainty_zero(delivered) == {"uncertainty_zero_share": round(20 / 60, 4)}


@pytest.mark.parametrize(("share", "said"), [(0.3333, "33.3 %"), (0.00004, "0.004 %")])
def test_score_md_says_how_much_of_the_uncertainty_map_is_zero(tmp_path: Path, share: float,
                                                              said: str) -> None:
    """``score.md`` said what the uncertainty map is, not that a third of it is 0 (nor
    that a few cells are: a share of 4e-5 is not "0.0 %")."""
    from pipelines.report import write_score_report

    facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
             "region": {"name": "r", "crs": "EPSG:32619", "resolution": 10.0,
                        "shape": [10, 10]},
             "metrics": {"uncertainty_zero_share": share},
             "uncertainty_meaning": "s.d. of the trees' probabilities over 20 trees"}
    text = write_score_report(tmp_path, quicklooks={"uncertainty": "u.png"},
                              facts=facts).read_text()
    line = next((line for line in text.splitlines() if line.startswith("Its value is 0 on")),
                "")
    assert f"Its value is 0 on {said} of the cells with a value" in line, text[-1500:]
    assert "not certainty" in line


def test_a_map_without_zero_spread_says_nothing_of_it(tmp_path: Path) -> None:
    """control: no cell of spread 0 (or no figure, a run of before), no sentence."""
    from pipelines.report import write_score_report

    for metrics in ({"uncertainty_zero_share": 0.0}, {}):
        facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
                 "region": {"name": "r", "crs": "EPSG:32619", "resolution": 10.0,
                            "shape": [10, 10]}, "metrics": metrics}
        text = write_score_report(tmp_path, quicklooks={"uncertainty": "u.png"},
                                  facts=facts).read_text()
        assert "Its value is 0 on" not in text and "## uncertainty" in text


# -- 4. a study area a hair short of a whole number ------------------------------------------

def test_a_woe_study_area_summed_from_floats_is_written_whole(tmp_path: Path) -> None:
    """55 SYNTHETIC deposit cells and 2945 background rows standing for the other 9945
    cells: the area sums to 9999.999999999998 unit cells, written ``10000.000 unit
    cells``, as if measured to a thousandth of a cell."""
    from pipelines.report import write_report
    from prospect.models.woe import WeightsOfEvidenceClassifier

    rng = np.random.default_rng(0)
    X = rng.random((3000, 1))
    y = (rng.random(3000) < 0.02).astype(int)
    weight = np.where(y == 1, 1.0, (10000 - y.sum()) / (3000 - y.sum()))
    est = WeightsOfEvidenceClassifier(cell_area=100.0).fit(X, y, sample_weight=weight)
    assert est.area_total_ != 10000.0  # the float sum, as the model holds it
    facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
             "weights_of_evidence": {"unit_cell_area": 100.0, "cell_area": 100.0,
                                     "area_unit_cells": est.area_total_,
                                     "n_deposits": est.n_deposits_,
                                     "prior_logit": est.prior_logit_, "weights": []}}
    text = write_report(tmp_path / "report", facts).read_text()
    assert "study area 10000 unit cells;" in text, text[:1500]


def test_figures_with_decimals_keep_them() -> None:
    """control: figures with decimals to show, and 1.0004 (an AUC-like figure, not a
    count), keep their three decimals."""
    from pipelines.report import _fmt

    assert [_fmt(v) for v in (12345.6, 1.0004, 2.0006, 0.5, 12345.0)] == \
        ["12345.600", "1.000", "2.001", "0.500", "12345"]


# -- 5. permutation importance's spread over folds --------------------------------------------

def _fold(k: int, importance: list[float]) -> Any:
    from prospect.models.evaluate import FoldResult

    return FoldResult(k=k, test=np.arange(4 * k, 4 * k + 4), oof=np.array([0.1, 0.9, 0.2, 0.8]),
                      metrics={"roc_auc": 1.0}, importance=np.array(importance))


def test_permutation_importance_spread_is_the_folds_sample_sd() -> None:
    """The drop in ROC AUC per layer over 5 SYNTHETIC folds: its spread was numpy's
    population s.d. (ddof 0), 11 % narrower than the sample s.d. the fold ROC AUCs'
    spread beside it is; one fold's spread was 0, read as no spread at all."""
    from prospect.models.evaluate import pool_folds

    drops = [[0.10, 0.01], [0.14, 0.02], [0.06, 0.00], [0.12, 0.03], [0.08, 0.01]]
    y = np.tile([0, 1, 0, 1], 5)
    cv = pool_folds([_fold(k, d) for k, d in enumerate(drops)], y, scheme="spatial_block",
                    feature_names=["a", "b"])
    want = np.std([d[0] for d in drops], ddof=1)
    assert math.isclose(cv.importance["a"]["std"], want, rel_tol=1e-12)
    one = pool_folds([_fold(0, drops[0])], y[:4], scheme="spatial_block",
                     feature_names=["a", "b"])
    assert math.isnan(one.importance["a"]["std"])
