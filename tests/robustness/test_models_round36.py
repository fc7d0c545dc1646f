"""Round 36, models and reuse: what a model's card and reports say where a user's own
words hold a line break or ``|``, how the spatial skill reads beside a baseline below
chance, ``model score``/``export`` outputs named as another format, a version put in a
registry with ``ln -s``, and which version is the latest when versions are labelled
``v1`` ... ``v10``, ``1.0-rc1`` or ``1.1``.

Every model here is tiny and SYNTHETIC (fitted on random rows in the test); the cube is a
SYNTHETIC 8 x 8 grid of random layers; the report cases write the reports from SYNTHETIC
facts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import assert_clean_error

SCHEMA: dict[str, Any] = {
    "variables": [{"name": n, "units": "1", "dtype": "float32",
                   "prospect_kind": "continuous", "provenance": {}} for n in ("a", "b")],
    "crs": "EPSG:32619", "resolution": 100.0, "feature_order": ["a", "b"],
}
CARD = {"mineral": "lithium", "synthetic": True, "limitations": ["SYNTHETIC model"]}


def _fitted() -> Any:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(36)
    X = rng.random((60, 2))
    return LogisticRegression().fit(X, (X[:, 1] > 0.5).astype(int))


def _table_rows(text: str, header: str) -> list[str]:
    """The lines of the Markdown table whose header line starts with ``header``, up to the
    first line that is not a table row."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _cells(row: str) -> int:
    """Cells of a GitHub-flavoured Markdown table row (``\\|`` is no separator)."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


# -- 1. a line break or `|` in a card's table cells ------------------------------------------

@pytest.mark.parametrize("long_name", [
    "surface heat flow\n(synthetic)",            # a YAML block scalar, a NetCDF attribute
    "surface heat flow\r\n(synthetic)",          # the same saved on Windows
])
def test_a_long_name_of_two_lines_keeps_its_features_row(tmp_path: Path, long_name: str) -> None:
    """A layer's ``long_name`` of two lines (``long_name: |`` in the job, or a NetCDF
    attribute so written) ended its row of ``card.md``'s features table at the break: the
    rest of the row, ``(synthetic) |  | |``, stood below the table as a paragraph."""
    from prospect.registry import save_model

    schema = {**SCHEMA, "variables": [dict(SCHEMA["variables"][0], long_name=long_name),
                                      SCHEMA["variables"][1]]}
    folder = save_model(_fitted(), tmp_path / "m", card=CARD, schema=schema)
    rows = _table_rows((folder / "card.md").read_text(), "| name | units |")
    assert len(rows) == 4, rows  # header, rule, a, b
    assert all(_cells(row) == 7 for row in rows), rows
    words = " ".join(long_name.split()).replace("|", "\\|")
    assert f"| {words} |" in rows[2], rows[2]


def test_a_card_md_with_a_broken_row_is_shown_from_card_json(cli: Any, tmp_path: Path) -> None:
    """``prospect model show`` of a model whose long name holds a line break: shows the
    card whose features table has one row per feature (the text checked against
    ``card.json`` renders it so)."""
    from prospect.registry import save_model

    schema = {**SCHEMA, "variables": [dict(SCHEMA["variables"][0],
                                           long_name="heat flow\n(synthetic)"),
                                      SCHEMA["variables"][1]]}
    folder = save_model(_fitted(), tmp_path / "m", card=CARD, schema=schema)
    assert cli("model", "import", folder, "--name", "li", "-r", tmp_path / "reg").code == 0
    shown = cli("model", "show", "li", "-r", tmp_path / "reg")
    assert shown.code == 0, shown.err[-2000:]
    assert "| a | 1 | continuous |" in shown.out and "heat flow (synthetic) |" in shown.out


def test_a_plain_long_name_is_written_as_it_was() -> None:
    """control: a long name of one line is its cell as before (a ``|`` escaped as it was)."""
    from prospect.registry.card import card_markdown

    card = {"features": [{"name": "heatflow", "units": "mW m-2", "long_name":
                          "surface heat flow (synthetic)  two blanks"}]}
    assert "| heatflow | mW m-2 | _not recorded_ | _not recorded_ | surface heat flow " \
           "(synthetic)  two blanks |" in card_markdown(card)
    card["features"][0]["long_name"] = "heat flow | mW m-2"
    assert "| heat flow \\| mW m-2 |" in card_markdown(card)


def test_a_woe_group_name_with_a_pipe_keeps_its_report_row(tmp_path: Path) -> None:
    """A weights-of-evidence group named ``granite|gneiss`` (its classes in one group) and a
    label column's name of two lines: the report's rows split at the ``|`` and the break."""
    from pipelines.report import write_report

    facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
             "labels": {"value_column": "Li\n(mg/L)", "positives": 12},
             "weights_of_evidence": {
                     "unit_cell_area": 100.0, "cell_area": 100.0, "area_unit_cells": 400.0,
                     "n_deposits": 12, "prior_logit": -3.5,
                     "weights": [{"feature": "geology", "kind": "categorical",
                                  "group": "granite|gneiss", "area": 40.0, "deposits": 6,
                                  "w_plus": 1.2, "s_w_plus": 0.4, "w_minus": -0.5,
                                  "s_w_minus": 0.3, "contrast": 1.7, "s_contrast": 0.5,
                                  "studentized_contrast": 3.4, "defined": "yes"}]}}
    text = (write_report(tmp_path / "report", facts)).read_text()
    woe = _table_rows(text, "| feature | kind | threshold / class |")
    assert len(woe) == 3 and all(_cells(row) == 13 for row in woe), woe
    assert "granite\\|gneiss" in woe[2]
    labels = _table_rows(text, "| item | value |")
    assert "| value_column | Li (mg/L) |" in labels, labels


def test_score_md_states_cells_unscored_per_layer_in_words(tmp_path: Path) -> None:
    """``score.md``, the page partner agencies read beside the map, listed the cells left
    unscored per layer as Python's dictionary: ``{'B02': 300, 'NDVI': 12}``."""
    from pipelines.report import write_score_report

    facts = {"mineral": "lithium", "job": "SYNTHETIC", "synthetic": True,
             "region": {"name": "r", "crs": "EPSG:32619", "resolution": 10.0,
                        "shape": [10, 10]},
             "metrics": {"unscored_cells": 312,
                         "unscored_cells_by_layer": {"B02": 300, "NDVI": 12}}}
    text = write_score_report(tmp_path, quicklooks={}, facts=facts).read_text()
    assert "| unscored_cells_by_layer | B02: 300; NDVI: 12 |" in text
    assert "{'" not in text and "| unscored_cells | 312 |" in text


# -- 2. a baseline below chance ---------------------------------------------------------------

def _clusters(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Two clusters of occurrences at opposite corners of a 1 km square, background cells
    between them, and two folds that each hold one cluster out (as spatial blocks do)."""
    a = rng.normal(0, 30, (6, 2))
    b = rng.normal(1000, 30, (6, 2))
    back = rng.uniform(300, 700, (60, 2))
    coords = np.r_[a, b, back]
    y = np.r_[np.ones(12, int), np.zeros(60, int)]
    half = np.arange(60) % 2 == 0
    fold_a = np.r_[np.arange(6), 12 + np.flatnonzero(half)]
    fold_b = np.r_[np.arange(6, 12), 12 + np.flatnonzero(~half)]
    return coords, y, [(fold_b, fold_a), (fold_a, fold_b)]


def test_beating_a_baseline_below_chance_says_what_it_is_worth() -> None:
    """Occurrences in two clusters, each held out by its own spatial block: every
    held-out occurrence lies farther from the other cluster than the background cells,
    so the distance baseline ranks below chance. The verdict was "The model beats the
    distance-to-nearest-occurrence baseline: ROC AUC 0.800 vs 0.112", read as a test
    passed."""
    from prospect.models.baselines import compare_to_baseline

    rng = np.random.default_rng(36)
    coords, y, splits = _clusters(rng)
    model = np.where(y == 1, 0.6, 0.4) + rng.normal(0, 0.15, y.size)
    found = compare_to_baseline(coords, y, splits, model)
    assert found["baseline"]["roc_auc"] < 0.5 and found["beats"]
    assert "The model beats the distance-to-nearest-occurrence baseline" in found["verdict"]
    assert f"baseline ranks below chance ({found['baseline']['roc_auc']:.3f} < 0.5)" \
        in found["verdict"]
    assert "no more than beating chance (0.5)" in found["verdict"]


def test_beating_a_baseline_above_chance_is_said_as_before() -> None:
    """control: a baseline above chance (occurrences near each other across the folds) gets
    the plain verdict."""
    from prospect.models.baselines import compare_to_baseline

    rng = np.random.default_rng(36)
    pos = rng.normal(500, 200, (12, 2))
    back = rng.uniform(0, 1000, (60, 2))
    coords = np.r_[pos, back]
    y = np.r_[np.ones(12, int), np.zeros(60, int)]
    idx = np.arange(72)
    splits = [(idx[idx % 2 == 1], idx[idx % 2 == 0]), (idx[idx % 2 == 0], idx[idx % 2 == 1])]
    found = compare_to_baseline(coords, y, splits, y + rng.normal(0, 0.1, 72))
    assert found["baseline"]["roc_auc"] > 0.5 and found["beats"]
    assert "below chance" not in found["verdict"]



# -- 3. outputs named as another format -------------------------------------------------------

@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A registry holding one tiny SYNTHETIC model ``li`` on layers ``a`` and ``b``, and a
    SYNTHETIC 8 x 8 cube of those layers on the model's grid: ``(registry, cube)``."""
    import xarray as xr

    from prospect.grid import RegionGrid
    from prospect.io.cube import add_variables, create_cube, open_cube
    from prospect.registry import ModelRegistry, save_model
    from prospect.testing import float_layer

    root = tmp_path_factory.mktemp("r36out")
    folder = save_model(_fitted(), root / "m", card=CARD, schema=SCHEMA)
    ModelRegistry(str(root / "reg")).publish(folder, "li", version="1")
    grid = RegionGrid("EPSG:32619", 100.0, (560000.0, 1330000.0, 560800.0, 1330800.0),
                      chunks=(8, 8), name="r36out")
    create_cube(root / "cube.zarr", grid, attrs={"synthetic": True})
    like = open_cube(root / "cube.zarr")
    rng = np.random.default_rng(36)
    add_variables(root / "cube.zarr", xr.Dataset({
        n: float_layer(rng.random(grid.shape), name=n, units="1", long_name=n,
                       provenance={"source": "synthetic"}, like=like) for n in ("a", "b")}))
    return root / "reg", root / "cube.zarr"


@pytest.mark.parametrize(("name", "says"), [
    ("map.tif", "its suffix .tif names a GeoTIFF, but -o/--out writes a zarr cube"),
    ("map.png", "its suffix .png names a PNG image"),
    ("map.nc", "its suffix .nc names a NetCDF file"),
])
def test_model_score_to_a_file_name_says_it_writes_a_cube(
    cli: Any, registry: tuple[Path, Path], tmp_path: Path, name: str, says: str,
) -> None:
    """``prospect model score li -c cube.zarr -o map.tif`` (a user after a GeoTIFF): wrote a
    zarr folder named ``map.tif``, exit 0, that QGIS and GDAL cannot open as the GeoTIFF its
    name promises. Now refused before the model is loaded, naming ``--cog``."""
    reg, cube = registry
    line = assert_clean_error(cli("model", "score", "li", "-c", cube, "-o", tmp_path / name,
                                  "-r", reg), 2, says, "--cog map.tif", "map.zarr")
    assert name in line
    assert not (tmp_path / name).exists()


def test_a_cog_named_as_a_cube_is_refused(cli: Any, registry: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    """``--cog map.zarr``: wrote a GeoTIFF file named as a cube; nothing is written now."""
    reg, cube = registry
    assert_clean_error(cli("model", "score", "li", "-c", cube, "-o", tmp_path / "s.zarr",
                           "--cog", tmp_path / "map.zarr", "-r", reg), 2,
                       "--cog", "its suffix .zarr names a zarr cube", "name it map.tif")
    assert list(tmp_path.iterdir()) == []


def test_an_onnx_export_named_as_a_skops_model_is_refused(
    cli: Any, registry: tuple[Path, Path], tmp_path: Path,
) -> None:
    """``model export li -o li.skops``: wrote an ONNX file named as a skops model (which
    ``model import`` then calls a bare file)."""
    reg, _ = registry
    assert_clean_error(cli("model", "export", "li", "-o", tmp_path / "li.skops", "-r", reg),
                       2, "its suffix .skops names a skops model", "an ONNX model",
                       "name it li.onnx")
    assert not (tmp_path / "li.skops").exists()


def test_cube_and_cog_paths_of_their_formats_are_written(
    cli: Any, registry: tuple[Path, Path], tmp_path: Path,
) -> None:
    """control: ``-o map.zarr --cog map.tif`` and an ``-o`` without a suffix are written."""
    reg, cube = registry
    done = cli("model", "score", "li", "-c", cube, "-o", tmp_path / "map.zarr",
               "--cog", tmp_path / "map.tif", "-r", reg)
    assert done.code == 0, done.err[-2000:]
    assert (tmp_path / "map.zarr" / "zarr.json").is_file() and (tmp_path / "map.tif").is_file()
    bare = cli("model", "score", "li", "-c", cube, "-o", tmp_path / "scores", "-r", reg)
    assert bare.code == 0, bare.err[-2000:]


# -- 4. a version put in a registry as a symbolic link -----------------------------------------

@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A registry holding ``li`` version 1 (published) and version 2 made with ``ln -s``
    to a SYNTHETIC model folder outside it, as a user saves a copy: ``(registry, folder)``."""
    from prospect.registry import ModelRegistry, save_model

    one = save_model(_fitted(), tmp_path / "one", card=CARD, schema=SCHEMA)
    ModelRegistry(str(tmp_path / "reg")).publish(one, "li", version="1")
    run = save_model(_fitted(), tmp_path / "run" / "model", card=CARD, schema=SCHEMA)
    (tmp_path / "reg" / "li" / "2").symlink_to(run, target_is_directory=True)
    return tmp_path / "reg", run


def test_a_linked_version_is_named_by_model_list(cli: Any, linked: tuple[Path, Path]) -> None:
    """``model list`` showed versions ``1`` and latest ``1`` without a word of the ``2``
    the user had linked in."""
    reg, run = linked
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.err[-2000:]
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, result.err
    assert "li version '2' is a symbolic link to" in warned[0] and str(run) in warned[0]
    assert f"prospect model import {run} --name li" in warned[0]


def test_a_linked_version_named_is_refused(cli: Any, linked: tuple[Path, Path]) -> None:
    """``model show li --version 2`` loaded the folder through the link (exit 0): a
    version whose model changes when that folder is trained again."""
    reg, run = linked
    for args in (("show", "li", "--version", "2"),
                 ("score", "li", "--version", "2", "-c", run, "-o", run.parent / "s.zarr")):
        assert_clean_error(cli("model", *args, "-r", reg), 1,
                           "li version '2' is a symbolic link to", "remove the link",
                           f"prospect model import {run} --name li")
    assert not (run.parent / "s.zarr").exists()


def test_an_import_beside_a_linked_version_takes_the_next_number(
    cli: Any, linked: tuple[Path, Path], tmp_path: Path,
) -> None:
    """``model import`` of another folder as ``li`` took the link's number and stopped:
    "li version 2 already exists and versions are immutable" of a version ``model list``
    never showed. Now published as version 3."""
    from prospect.registry import save_model

    reg, _ = linked
    other = save_model(_fitted(), tmp_path / "other", card=CARD, schema=SCHEMA)
    result = cli("model", "import", other, "--name", "li", "-r", reg)
    assert result.code == 0, result.err[-2000:]
    assert "as li/3 in" in result.err
    assert (reg / "li" / "3" / "checksums.json").is_file()


def test_a_registry_without_links_lists_without_warnings(cli: Any, tmp_path: Path) -> None:
    """control: a registry of published versions lists them, with no warning."""
    from prospect.registry import ModelRegistry, save_model

    one = save_model(_fitted(), tmp_path / "one", card=CARD, schema=SCHEMA)
    ModelRegistry(str(tmp_path / "reg")).publish(one, "li", version="1")
    result = cli("model", "list", "-r", tmp_path / "reg")
    assert result.code == 0 and "warning" not in result.err, result.err
    assert "li" in result.out


# -- 5. the latest of versions labelled v1 ... v10 ---------------------------------------------

def _versions(tmp_path: Path, labels: tuple[str, ...]) -> Path:
    """A registry holding ``li`` under each of ``labels``, in that order of publishing, each
    a SYNTHETIC model whose card's limitations name its label."""
    from prospect.registry import ModelRegistry, save_model

    reg = ModelRegistry(str(tmp_path / "reg"))
    for label in labels:
        folder = save_model(_fitted(), tmp_path / f"m-{label}", schema=SCHEMA,
                            card={**CARD, "limitations": [f"SYNTHETIC model {label}"]})
        reg.publish(folder, "li", version=label)
    return tmp_path / "reg"


@pytest.mark.parametrize(("labels", "newest"), [
    (("v1", "v2", "v9", "v10"), "v10"),
    (("r3", "r12"), "r12"),
    (("1.0-rc1", "1.0"), "1.0"),
    (("1.0", "1.1-rc1", "1.1-rc2", "1.1"), "1.1"),
])
def test_the_latest_version_is_the_newest_label(cli: Any, tmp_path: Path,
                                                labels: tuple[str, ...], newest: str) -> None:
    """Versions labelled ``v1`` ... ``v10``: the number of ``v10`` was read as part of the
    word, so ``v9`` was "the latest", and ``prospect model score li`` (no ``--version``)
    scored with the older model without a word; ``1.0-rc1`` was the latest beside ``1.0``."""
    from prospect.registry import ModelRegistry

    reg = _versions(tmp_path, labels)
    assert ModelRegistry(str(reg)).latest("li") == newest
    shown = cli("model", "show", "li", "-r", reg)
    assert shown.code == 0, shown.err[-2000:]
    assert f"SYNTHETIC model {newest}\n" in shown.out


@pytest.mark.parametrize("latest", ["Latest", "LATEST"])
def test_latest_in_capitals_is_the_latest(cli: Any, tmp_path: Path, latest: str) -> None:
    """``model show li -v Latest``: was "li has no version 'Latest'; versions: 1, 2", where
    no version can be published under that label (it is reserved in any case)."""
    reg = _versions(tmp_path, ("1", "2"))
    shown = cli("model", "show", "li", "-v", latest, "-r", reg)
    assert shown.code == 0, shown.err[-2000:]
    assert "SYNTHETIC model 2\n" in shown.out


def test_numbered_versions_keep_their_order(tmp_path: Path) -> None:
    """control: plain numbers and dotted numbers sort as numbers, as before."""
    from prospect.registry import ModelRegistry

    reg = ModelRegistry(str(_versions(tmp_path, ("2", "10", "1"))))
    assert reg.versions("li") == ["1", "2", "10"] and reg.latest("li") == "10"


def test_an_import_after_v_labelled_versions_is_the_latest(cli: Any, tmp_path: Path) -> None:
    """``model import`` (no ``--version``) into ``li`` of ``v1`` and ``v2``: published as
    ``1``, which sorted before ``v2``, so the model just imported was not the latest that
    ``model score li`` took. Now ``v3``."""
    from prospect.registry import ModelRegistry, save_model

    reg = _versions(tmp_path, ("v1", "v2"))
    new = save_model(_fitted(), tmp_path / "new", card=CARD, schema=SCHEMA)
    result = cli("model", "import", new, "--name", "li", "-r", reg)
    assert result.code == 0, result.err[-2000:]
    assert "as li/v3 in" in result.err
    assert ModelRegistry(str(reg)).latest("li") == "v3"


def test_an_import_after_dotted_versions_asks_for_a_label(cli: Any, tmp_path: Path) -> None:
    """``model import`` into ``li`` of ``1.0`` and ``1.1``: published as ``1``, before
    both, so ``1.1`` stayed the latest without a word. Now refused, naming the latest and
    a label after it; nothing is published."""
    from prospect.registry import save_model

    reg = _versions(tmp_path, ("1.0", "1.1"))

    new = save_model(_fitted(), tmp_path / "new", card=CARD, schema=SCHEMA)
    assert_clean_error(cli("model", "import", new, "--name", "li", "-r", reg), 1,
                       "li's latest version is '1.1'", "the next number, '1', sorts before it",
                       "--version", "such as '1.2'")
    assert sorted(p.name for p in (reg / "li").iterdir()) == ["1.0", "1.1"]


def test_an_import_after_numbered_versions_takes_the_next_number(cli: Any,
                                                                 tmp_path: Path) -> None:
    """control: after ``1`` and ``2``, an import without ``--version`` is ``3``."""
    from prospect.registry import save_model

    reg = _versions(tmp_path, ("1", "2"))
    new = save_model(_fitted(), tmp_path / "new", card=CARD, schema=SCHEMA)
    result = cli("model", "import", new, "--name", "li", "-r", reg)
    assert result.code == 0 and "as li/3 in" in result.err, result.err[-2000:]
