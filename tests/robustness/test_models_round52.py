"""Round 52, models and reuse: a model folder whose ``card.json`` (or ``schema.json``,
``card.md``, ``model.skops``, ``checksums.json``) is a FIFO or a folder was said as the
file "missing ... left out or damaged by the copy" (or "no model.skops"), and
``model export --cube`` refused for a cube holding codes the model never saw (fractions a
bilinear warp of codes leaves) blamed the conversion ("does not convert to ONNX
faithfully ... --atol"), not the cube's codes.

All data are SYNTHETIC: round 49's factory (:func:`.test_models_round49._published`) makes
a one-hot logistic regression on ``a`` (0..1) and ``geo`` (codes 1-3) fitted on 600 seeded
rows, published in a temporary registry, and 32 x 32 cubes of 16 x 16 chunks on its grid;
the real CLI in this process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_models_round49 import CELLS, RECORD_LINE, _published, _score
from .test_models_round50 import _export


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding ``logit`` (SYNTHETIC) and its saved folder and cube maker."""
    root = tmp_path_factory.mktemp("r52plain")
    found = _published(root, 52, None, 0)
    found["folder"] = root / "logit"
    return found


def _line(result: Any) -> str:
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    return text


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("card.json", "fifo"),
        ("schema.json", "folder"),
        ("card.md", "fifo"),
        ("model.skops", "fifo"),
        ("checksums.json", "fifo"),
    ],
)
def test_a_model_file_that_is_a_fifo_or_folder_is_said_as_one(
    cli: Any, plain: dict[str, Any], tmp_path: Path, name: str, kind: str
) -> None:
    """SYNTHETIC: a copy of the saved model folder with one file replaced by a FIFO (or
    a folder) of its name, imported. Before, it was "card.json: missing" under "left out
    or damaged by the copy" ("no model.skops; files there: ..." for the model file),
    which sent the user looking for a file that is there. Now the line names what stands
    there and that a model's files are read as plain files only; exit 1, nothing added
    to the registry, and the import does not hang on the FIFO."""
    folder = tmp_path / "copy"
    shutil.copytree(plain["folder"], folder)
    (folder / name).unlink()
    if kind == "fifo":
        os.mkfifo(folder / name)
    else:
        (folder / name).mkdir()
    reg = tmp_path / "reg"
    result = cli("model", "import", folder, "--name", "copied", "-r", reg)
    text = _line(result)
    assert result.code == 1, text
    said = "a FIFO (named pipe)" if kind == "fifo" else "a folder"
    assert f"{name}: {said}, not a plain file" in text, text
    assert "reads a model's files only as the plain files it saved" in text, text
    assert "missing" not in text, text
    assert "no model.skops" not in text, text
    assert not (reg / "copied").exists()


def test_control_a_whole_copy_imports_and_a_left_out_card_is_missing(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC control: the whole copy imports (exit 0); a copy without ``card.json``
    is still said as the file left out by the copy."""
    folder = tmp_path / "copy"
    shutil.copytree(plain["folder"], folder)
    ok = cli("model", "import", folder, "--name", "whole", "-r", tmp_path / "reg")
    assert ok.code == 0, _line(ok)
    (folder / "card.json").unlink()
    result = cli("model", "import", folder, "--name", "part", "-r", tmp_path / "reg")
    text = _line(result)
    assert result.code == 1, text
    assert "card.json: missing" in text, text
    assert "left out or damaged by the copy" in text, text


def test_export_refused_for_a_cubes_unseen_codes_names_them(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC: ``geo`` holds codes 1-3 on the cube's top half and 2.5 (a code the
    model never saw, as a bilinear warp of codes leaves) on its bottom half. Before, the
    refusal said the model "does not convert to ONNX faithfully ... allow a larger
    difference (--atol)": the conversion blamed and a tolerance offered for an export
    that scores those cells otherwise. Now it names the rows' code 2.5 of ``geo``, the
    codes fitted on, and the fix (nearest or mode); nothing written."""
    codes = np.random.default_rng(3).integers(1, 4, (32, 32)).astype("f4")
    codes[16:, :] = 2.5
    cube = plain["make_cube"](tmp_path / "c.zarr", plain["a"], codes)
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--samples", 50)
    assert code == 1, text
    assert "not written: ONNX predictions differ from scikit-learn's" in text, text
    assert "each holding a code the model never saw: 'geo' 2.5 (" in text, text
    assert "(fitted on codes 1, 2, 3)" in text, text
    assert "warp it with nearest or mode" in text, text
    assert "--atol" not in text, text
    assert "faithfully" not in text, text
    assert not out.exists()


def test_control_export_on_whole_codes_the_model_never_saw_is_written(
    cli: Any, plain: dict[str, Any], tmp_path: Path
) -> None:
    """SYNTHETIC control: whole codes the model never saw (7 on a quarter of the cube)
    are encoded alike by both runtimes: the export is written, as before."""
    codes = np.random.default_rng(4).integers(1, 4, (32, 32)).astype("f4")
    codes[:16, :16] = 7.0
    cube = plain["make_cube"](tmp_path / "c.zarr", plain["a"], codes)
    out = tmp_path / "m.onnx"
    code, text = _export(cli, plain, out, "--cube", cube, "--samples", 50)
    assert code == 0, text
    assert out.is_file()


def test_onnx_agreement_keeps_its_words_for_rows_of_known_codes() -> None:
    """SYNTHETIC rule: :func:`_unseen_codes` names nothing when a differing row holds
    only codes the encoder was fitted on (the old words stay), and names the code when
    every differing row holds one it never saw."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from prospect.registry.onnx_export import _unseen_codes

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.random(60), rng.integers(1, 4, 60)]).astype("f4")
    y = (X[:, 0] > 0.5).astype(int)
    est = Pipeline(
        [
            (
                "enc",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), [1])],
                    remainder="passthrough",
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, y)
    rows = np.zeros(60, dtype=bool)
    rows[:5] = True
    assert _unseen_codes(est, X, rows, ["a", "geo"]) is None
    Y = X.copy()
    Y[:5, 1] = 2.5
    said = _unseen_codes(est, Y, rows, ["a", "geo"])
    assert said == ("'geo' 2.5 (5 rows) (fitted on codes 1, 2, 3)", True), said
    rows[10] = True  # one differing row of a known code: not the codes' doing
    assert _unseen_codes(est, Y, rows, ["a", "geo"]) is None


@pytest.mark.parametrize("kind", ["fifo", "dangling link"])
def test_a_model_folder_given_as_a_fifo_or_a_link_to_nothing_is_said_as_one(
    cli: Any, tmp_path: Path, kind: str
) -> None:
    """SYNTHETIC: ``model import`` given a FIFO, or a symbolic link to a folder that is
    gone, as the model folder. Before, both were "no such model directory", which sent
    the user looking for a typo in a path that is there. Now the FIFO is said as one
    (exit 1, nothing read from it), and the link with the path it points to."""
    given = tmp_path / "model"
    if kind == "fifo":
        os.mkfifo(given)
    else:
        given.symlink_to(tmp_path / "gone")
    reg = tmp_path / "reg"
    result = cli("model", "import", given, "--name", "copied", "-r", reg)
    text = _line(result)
    assert result.code == 1, text
    assert "no such model directory" not in text, text
    if kind == "fifo":
        assert f"{given}: a FIFO (named pipe), not a model directory" in text, text
    else:
        said = f"{given}: a symbolic link to {tmp_path / 'gone'}, which does not exist"
        assert said in text, text
    assert not (reg / "copied").exists()


@pytest.fixture(scope="module")
def ninety_five(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Registries of SYNTHETIC models trained on 570 rows of 600 holding -9999 (the
    record's ``q95`` -9499.05, interpolated towards the fill) or 65535 (``q05``
    62258.3) in ``a``."""
    root = tmp_path_factory.mktemp("r52fill")
    return {str(f): _published(root / str(int(f)), 52, f, 570) for f in (-9999.0, 65535.0)}


@pytest.mark.parametrize("fill", [-9999.0, 65535.0])
def test_a_model_trained_on_95_percent_fill_leaves_cells_of_that_fill_unscored(
    cli: Any, ninety_five: dict[str, dict[str, Any]], tmp_path: Path, fill: float
) -> None:
    """SYNTHETIC: a model whose training record of ``a`` is the fill up to ``q50`` and
    whose ``q95`` (or ``q05``) lies between the fill and the first value (570 rows of
    600: interpolated, -9499.05). Before, that quantile was kept as a training value, so
    the fill lay inside the record's range: 4 cells of the fill were scored as evidence,
    no word. Now the quantile nearer the fill than the other values is taken as
    interpolated: the fill is said and its cells left unscored."""
    found = ninety_five[str(fill)]
    side = "q95" if fill < 0 else "q05"
    assert found["record"]["q50"] == fill, found["record"]
    assert abs(found["record"][side] - fill) < 5000, found["record"]
    a = found["a"].copy()
    a[CELLS] = fill
    text, p = _score(cli, found, tmp_path, a)
    assert np.isnan(p[CELLS]).all(), p[CELLS]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    assert f"variable 'a': {RECORD_LINE} {fill:.10g}, a common fill value far" in text, text
    assert (
        f"variable 'a': 4 cell(s) of the cube hold {fill:.10g}, a common fill value far "
        "outside the model's training range"
    ) in text, text


def test_recorded_fill_rule_on_an_interpolated_quantile_of_a_fill_record() -> None:
    """SYNTHETIC records: ``q95`` -9499.05 between a fill from ``min`` to ``q50`` and
    ``q99``/``max`` of 0.5..0.88 is taken as interpolated (the range is the values
    left); a ``q95`` of 0.16 (a value of the tail, far from the fill) is kept (control),
    as is a record of a fill and one value (no range: ``{}``)."""
    from prospect.registry.applicability import recorded_fills

    record = {
        "n": 600,
        "min": -9999.0,
        "q01": -9999.0,
        "q05": -9999.0,
        "q50": -9999.0,
        "q95": -9499.049,
        "q99": 0.503,
        "max": 0.881,
    }
    found = recorded_fills(record)
    assert found == {"fills": [-9999.0], "lo": 0.503, "hi": 0.881, "kept": ["q99", "max"]}
    tail = {**record, "q95": 0.157}
    assert recorded_fills(tail)["kept"] == ["q95", "q99", "max"]
    one = {**record, "q95": -9499.049, "q99": 0.881}
    assert recorded_fills(one) == {}
