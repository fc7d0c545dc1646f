"""Round 38, models and reuse: a model directory copied into a registry at a model's name
(``cp -r runs/a/model reg/cu``), a file lying at a model's name or a version's label,
how much of the uncertainty map is 0 said by ``model score`` (which writes no
``score.md``) and what an isotonic model's 0 means, and shares of nearly all or nearly
none written as ``100.0%`` and ``0.0%``.

Every model here is tiny and SYNTHETIC (fitted on random rows in the test); the cube is a
SYNTHETIC 8 x 8 grid of random layers (and a SYNTHETIC 64 x 64 one with one cell
without data).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error
from .test_models_round36 import CARD, SCHEMA, _fitted  # one SYNTHETIC model and cube schema


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _forest() -> Any:
    """A SYNTHETIC random forest of 5 trees on layers ``a`` and ``b``: its trees agree
    exactly (spread 0) on most cells, where no leaf holds a positive."""
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(38)
    X = rng.random((80, 2))
    return RandomForestClassifier(n_estimators=5, min_samples_leaf=5, random_state=0).fit(
        X, (X[:, 1] > 0.8).astype(int))


def _isotonic() -> Any:
    """A SYNTHETIC random forest of 30 trees calibrated by isotonic regression (a step
    function of 10-20 steps) on layers ``a`` and ``b``."""
    from sklearn.ensemble import RandomForestClassifier

    from prospect.models.uncertainty import CalibratedModel

    rng = np.random.default_rng(39)
    X = rng.random((600, 2))
    y = (rng.random(600) < 0.15 + 0.5 * (X[:, 0] > 0.7)).astype(int)
    forest = RandomForestClassifier(n_estimators=30, min_samples_leaf=3,
                                    random_state=0).fit(X, y)
    return CalibratedModel(model=forest, method="isotonic").fit(X, y)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A registry ``reg`` holding the SYNTHETIC forest ``li``, the SYNTHETIC logistic
    model ``lr`` and the SYNTHETIC calibrated forest ``iso`` (each version 1), the
    forest's model directory ``m``, a SYNTHETIC 8 x 8 cube of layers ``a`` and ``b`` on
    the models' grid and a SYNTHETIC 64 x 64 one (``wide``) with one cell without ``a``."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r38")
    folder = save_model(_forest(), root / "m", card=CARD, schema=SCHEMA)
    reg = ModelRegistry(str(root / "reg"))
    reg.publish(folder, "li", version="1")
    reg.publish(save_model(_fitted(), root / "m_lr", card=CARD, schema=SCHEMA), "lr",
                version="1")
    reg.publish(save_model(_isotonic(), root / "m_iso", card=CARD, schema=SCHEMA), "iso",
                version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 560800.0, 1330800.0),
                      chunks=(8, 8), name="r38")
    create_cube(root / "cube.zarr", grid, attrs={"synthetic": True})
    like = open_cube(root / "cube.zarr")
    rng = np.random.default_rng(138)
    layers = {n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n,
                             provenance={"source": "synthetic"}, like=like) for n in ("a", "b")}
    add_variables(root / "cube.zarr", xr.Dataset(layers))
    wide = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 566400.0, 1336400.0),
                      chunks=(64, 64), name="r38w")  # 4096 cells, one of them without `a`
    create_cube(root / "wide.zarr", wide, attrs={"synthetic": True})
    like = open_cube(root / "wide.zarr")
    values = {n: rng.random(wide.shape) for n in ("a", "b")}
    values["a"][5, 7] = np.nan
    add_variables(root / "wide.zarr", xr.Dataset({
        n: float_layer(v, name=n, units="1", long_name=n, provenance={"source": "synthetic"},
                       like=like) for n, v in values.items()}))
    return {"reg": root / "reg", "model": folder, "cube": root / "cube.zarr",
            "wide": root / "wide.zarr"}


@pytest.fixture
def copied_in(made: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the registry into which the model directory was copied by hand at the
    name ``cu`` (``cp -r runs/a/model reg/cu``: one level too high, no version folder)."""
    reg = tmp_path / "reg"
    shutil.copytree(made["reg"], reg)
    shutil.copytree(made["model"], reg / "cu")
    return reg


# -- 1. a model directory copied in at a model's name -----------------------------------------

def test_a_model_directory_copied_in_at_a_name_is_named_by_model_list(
        cli: Any, copied_in: Path) -> None:
    """``model list`` listed ``li`` and ``lr`` without a word of ``cu``."""
    result = cli("model", "list", "-r", copied_in)
    assert result.code == 0, result.err[-2000:]
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, result.err
    assert f"{copied_in}/cu: a model directory (it holds checksums.json itself)" in warned[0]
    assert "prospect model import FOLDER --name cu" in warned[0] and "not listed" in warned[0]


def test_showing_a_model_directory_copied_in_says_what_it_is(cli: Any,
                                                             copied_in: Path) -> None:
    """``model show cu`` said the registry "holds the versions of one model (cu)" and told
    ``-r`` the folder *above* the registry, with the registry's folder name as the model's
    (the registry holds two good models)."""
    line = assert_clean_error(cli("model", "show", "cu", "-r", copied_in), 1,
                              f"{copied_in}/cu: a model directory",
                              "move it out of the registry")
    assert "holds the versions of one model" not in line


def test_scoring_a_model_directory_copied_in_says_what_it_is(
        cli: Any, copied_in: Path, made: dict[str, Path], tmp_path: Path) -> None:
    """``model score cu -v 1`` said "cu has no version '1'; versions: none"."""
    assert_clean_error(cli("model", "score", "cu", "-v", "1", "-r", copied_in, "-c",
                           made["cube"], "-o", tmp_path / "s.zarr"), 1,
                       f"{copied_in}/cu: a model directory")
    assert not (tmp_path / "s.zarr").exists()


def test_an_import_at_a_copied_model_directorys_name_writes_nothing(
        cli: Any, copied_in: Path, made: dict[str, Path]) -> None:
    """``model import m --name cu``: version 1 was written *inside* the copied model
    directory, which then was a model folder and a model directory at once."""
    before = _tree(copied_in)
    assert_clean_error(cli("model", "import", made["model"], "--name", "cu", "-r",
                           copied_in), 1, f"{copied_in}/cu: a model directory",
                       "nothing was published")
    assert _tree(copied_in) == before


def test_a_file_at_a_models_name_is_said_as_one(cli: Any, made: dict[str, Path],
                                                tmp_path: Path) -> None:
    """``reg/zn`` a file (a download saved into the registry without its extension):
    ``model show zn`` said "no model named 'zn'; models here: li, lr" of a name that is
    there."""
    reg = tmp_path / "reg"
    shutil.copytree(made["reg"], reg)
    (reg / "zn").write_bytes(b"PK\x03\x04 SYNTHETIC")
    assert_clean_error(cli("model", "show", "zn", "-r", reg), 1,
                       f"{reg}/zn: a file where model zn's folder of versions goes",
                       "move it out of the registry")


@pytest.fixture
def file_at_version(made: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the registry with a file at ``li/2`` (a SYNTHETIC upload saved as the
    version's label, without its extension)."""
    reg = tmp_path / "reg"
    shutil.copytree(made["reg"], reg)
    (reg / "li" / "2").write_bytes(b"PK\x03\x04 SYNTHETIC")
    return reg


def test_an_import_is_numbered_past_a_file_at_a_versions_label(
        cli: Any, file_at_version: Path, made: dict[str, Path]) -> None:
    """``model import m --name li`` stopped with "li version 2 already exists and
    versions are immutable" while ``model list`` listed version 1 only; a folder or link
    there was numbered past already (round 36)."""
    result = cli("model", "import", made["model"], "--name", "li", "-r", file_at_version)
    assert result.code == 0, result.err[-2000:]
    assert (file_at_version / "li" / "3" / "checksums.json").is_file()
    assert (file_at_version / "li" / "2").read_bytes() == b"PK\x03\x04 SYNTHETIC"


def test_a_version_label_held_by_a_file_is_said_as_one(cli: Any, file_at_version: Path,
                                                      made: dict[str, Path]) -> None:
    """``model import --version 2`` said "already exists and versions are immutable",
    and ``model show li -v 2`` "incomplete (no checksums.json ...); remove the folder",
    of a file."""
    before = _tree(file_at_version)
    assert_clean_error(cli("model", "import", made["model"], "--name", "li", "-v", "2", "-r",
                           file_at_version), 1,
                       f"{file_at_version}/li/2: a file where li version 2 goes",
                       "nothing was published")
    assert _tree(file_at_version) == before
    line = assert_clean_error(cli("model", "show", "li", "-v", "2", "-r", file_at_version),
                              1, f"{file_at_version}/li/2: a file where li version '2' goes",
                              "complete versions: 1")
    assert "folder" not in line


def test_one_models_folder_given_as_the_registry_is_still_said(
        cli: Any, made: dict[str, Path]) -> None:
    """control: ``-r reg/li`` (one model's folder of versions ``1``) is still told to
    give the registry above it and the model's name."""
    assert_clean_error(cli("model", "list", "-r", made["reg"] / "li"), 1,
                       "this folder holds the versions of one model (1)",
                       f"({made['reg']}) and the model's name ('li')")


def test_other_files_in_a_registry_are_not_warned_of(cli: Any, made: dict[str, Path],
                                                     tmp_path: Path) -> None:
    """control: a README beside the models is no model and no mistake: listed models
    only, no warning."""
    reg = tmp_path / "reg"
    shutil.copytree(made["reg"], reg)
    (reg / "README.md").write_text("SYNTHETIC registry notes\n")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0 and "warning" not in result.err, result.err[-2000:]
    assert "li" in result.out and "lr" in result.out


# -- 2. how much of the uncertainty map is 0, said by `model score` ---------------------------

def test_model_score_says_how_much_of_the_uncertainty_map_is_zero(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """``model score`` of a forest wrote an ``uncertainty`` map 0 on most cells and said
    only the share of cells scored; the job's ``score.md`` says the zero share (round 37),
    this command writes no ``score.md``."""
    from prospect.io.cube import open_cube

    out = tmp_path / "s.zarr"
    result = cli("model", "score", "li", "-r", made["reg"], "-c", made["cube"], "-o", out)
    assert result.code == 0, result.err[-2000:]
    spread = open_cube(out)["uncertainty"].values
    share = float((spread < 1e-13).sum() / np.isfinite(spread).sum())
    assert 0.0 < share < 1.0
    said = [line for line in result.err.splitlines() if line.startswith("uncertainty: 0 on")]
    assert len(said) == 1, result.err
    assert said[0].startswith(f"uncertainty: 0 on {100 * share:.1f} % of the cells with a "
                              "value (uncertainty_zero_share)"), said[0]
    assert "not certainty of the score" in said[0]


def test_an_isotonic_models_zero_spread_is_not_said_as_agreement(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """A forest calibrated by isotonic regression: its spread is the trees' spread mapped
    through a step function, 0 wherever the score minus and plus it fall on one flat step
    while the trees disagree. ``score.md`` (round 37) said of those cells "every member
    gives the cell the same score"; ``model score`` now says the zero share, and why."""
    from pipelines.report import write_score_report
    from prospect.io.cube import open_cube

    out = tmp_path / "s.zarr"
    result = cli("model", "score", "iso", "-r", made["reg"], "-c", made["cube"], "-o", out)
    assert result.code == 0, result.err[-2000:]
    said = [line for line in result.err.splitlines() if line.startswith("uncertainty: 0 on")]
    assert len(said) == 1, result.err
    assert "falls within one of its flat steps" in said[0], said[0]
    assert "every member gives the cell the same score" not in said[0]
    meaning = str(open_cube(out)["uncertainty"].attrs["prospect_uncertainty"])
    facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
             "region": {"name": "r", "crs": "EPSG:32619", "resolution": 100.0,
                        "shape": [8, 8]},
             "metrics": {"uncertainty_zero_share": 0.25}, "uncertainty_meaning": meaning}
    text = write_score_report(tmp_path / "report", quicklooks={"uncertainty": "u.png"},
                              facts=facts).read_text()
    line = next(line for line in text.splitlines() if line.startswith("Its value is 0 on"))
    assert "isotonic calibration curve (a step function)" in line, line
    assert "every member gives the cell the same score" not in line


def test_a_model_without_an_uncertainty_map_says_nothing_of_it(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """control: a logistic model has no members to spread (its uncertainty map holds no
    value): nothing is said of a zero share."""
    result = cli("model", "score", "lr", "-r", made["reg"], "-c", made["cube"], "-o",
                 tmp_path / "s.zarr")
    assert result.code == 0, result.err[-2000:]
    assert "uncertainty: 0 on" not in result.err and "cells scored" in result.err


# -- 3. a share of nearly all or nearly none written as 100 % or 0 % ---------------------------

def test_one_unscored_cell_of_thousands_is_not_said_as_every_cell_scored(
        cli: Any, made: dict[str, Path], tmp_path: Path) -> None:
    """``model score`` of a cube with one cell of 4096 without data said "100.0% of the
    cells scored" and then "1 of 4096 cells (0.0%) are left unscored"."""
    result = cli("model", "score", "lr", "-r", made["reg"], "-c", made["wide"], "-o",
                 tmp_path / "s.zarr")
    assert result.code == 0, result.err[-2000:]
    text = " ".join(result.err.split())
    assert "(probability, uncertainty; 99.98% of the cells scored)" in text, text[-1500:]
    assert "1 of 4096 cells (0.02%) are left unscored" in text, text[-1500:]


def test_shares_of_nearly_all_keep_their_digits() -> None:
    """The extrapolation warning wrote 19 990 of 20 000 sampled cells as "100% of the
    cube's sampled cells" (and a layer's 99.95 % as 100 %), beside its counts; whole
    shares stay whole (control: ``percent`` of 0.5, 0 and 1)."""
    from prospect.models.metrics import percent
    from prospect.registry.applicability import extrapolation_lines

    line = extrapolation_lines({"share": 0.9995, "outside": 19990, "cells": 20000,
                                "by_variable": {"a": 0.9995, "b": 0.00004}})[0]
    assert line.startswith("99.95% of the cube's sampled cells (19990 of 20000)"), line
    assert "(by layer: 'a' 99.95%, 'b' 0.004%;" in line, line
    assert [percent(v) for v in (0.5, 0.0, 1.0)] == ["50.0", "0.0", "100.0"]
