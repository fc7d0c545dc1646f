"""Round 63, models and reuse: an ASCII name suggested for a model copied in under a
partner's name (``reg/đất-hiếm``) that is another model's name already (``dat-hiem``),
and an import under a name whose latest version is another model, which published the
next version of that other model without a word.

``model list``, ``model show đất-hiếm`` and ``model import --name đất-hiếm`` gave the
ASCII form ``dat-hiem`` even where the registry held a model ``dat-hiem`` (or
``Dat-Hiem``: one folder on macOS and Windows disks): the import the line spelled out
then published ``dat-hiem/2``, and ``model score dat-hiem`` mapped the copied model in
place of the registry's own. Now a form the registry holds gets a number
(``dat-hiem-2``), and an import under a name whose latest version's card is of another
model (another mineral or deposit type, region, features or labels) is published with a
warning naming what differs and the import under a name of its own.

All data are SYNTHETIC: round 49's logistic regression (``a`` and a categorical ``geo``)
published once in a registry (``logit/1``), copied per case, and the same estimator saved
again with a card of another mineral (gallium).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_clean_error
from .test_models_round49 import _published


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 49's registry holding ``logit`` (SYNTHETIC), published once, and the same
    estimator saved as a model folder whose card says gallium (SYNTHETIC)."""
    from prospect.registry import ModelRegistry, save_model

    root = tmp_path_factory.mktemp("models63")
    out = _published(root, 63, None, 0)
    loaded = ModelRegistry(str(out["reg"])).load("logit", "1")
    out["gallium"] = save_model(
        loaded.estimator, root / "gallium", schema=loaded.schema,
        card={"mineral": "gallium", "synthetic": True, "limitations": ["SYNTHETIC model"]})
    return out


def _registry(tmp_path: Path, found: dict[str, Any], *copies: str) -> Path:
    """A copy of the SYNTHETIC registry in ``tmp_path``, ``logit`` also copied under
    each of ``copies``."""
    reg = tmp_path / "reg"
    shutil.copytree(found["reg"], reg)
    for name in copies:
        shutil.copytree(reg / "logit", reg / name)
    return reg


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning:")]


# -- 1. an ASCII form that is another model's name -------------------------------------------


def test_model_list_suggests_a_name_no_model_holds(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``reg/đất-hiếm`` beside a model ``dat-hiem``: the line said ``--name dat-hiem``,
    whose import is the next version of that other model; now ``dat-hiem-2``."""
    reg = _registry(tmp_path, found, "dat-hiem", "đất-hiếm")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.out + result.err
    said = [w for w in _warnings(result.err) if "đất-hiếm" in w]
    assert len(said) == 1, result.err
    assert f"prospect model import '{reg}/đất-hiếm/1' --name dat-hiem-2 -r {reg}" in said[0]


def test_model_list_skips_a_name_held_in_another_case(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """A model ``Dat-Hiem`` (one folder with ``dat-hiem`` on macOS and Windows disks),
    and ``dat-hiem-2`` taken too: the form is ``dat-hiem-3``."""
    reg = _registry(tmp_path, found, "Dat-Hiem", "dat-hiem-2", "đất-hiếm")
    result = cli("model", "list", "-r", reg)
    said = [w for w in _warnings(result.err) if "đất-hiếm" in w]
    assert len(said) == 1, result.err
    assert "--name dat-hiem-3 " in said[0]


def test_model_show_of_the_copied_folder_suggests_a_free_name(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model show đất-hiếm`` says the same free name."""
    reg = _registry(tmp_path, found, "dat-hiem", "đất-hiếm")
    result = cli("model", "show", "đất-hiếm", "-r", reg)
    assert_clean_error(result, 1, "folder 'đất-hiếm' is no model name", "--name dat-hiem-2 ")


def test_model_import_under_a_vietnamese_name_suggests_a_free_name(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model import --name đất-hiếm`` beside ``dat-hiem``: e.g. ``'dat-hiem-2'``;
    nothing is published."""
    reg = _registry(tmp_path, found, "dat-hiem")
    result = cli("model", "import", found["gallium"], "--name", "đất-hiếm", "-r", reg)
    assert_clean_error(result, 1, "model name 'đất-hiếm' is refused", "e.g. 'dat-hiem-2'")
    assert not (reg / "dat-hiem" / "2").exists()


def test_model_import_under_a_version_label_of_words_suggests_a_free_label(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``--version "bản 2"`` where ``logit`` holds a version ``ban-2``: e.g.
    ``'ban-2-2'``, never the label of the version there."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit" / "1", reg / "logit" / "ban-2")
    result = cli("model", "import", found["gallium"], "--name", "logit", "--version",
                 "bản 2", "-r", reg)
    assert_clean_error(result, 1, "model version 'bản 2' is refused", "e.g. 'ban-2-2'")


def test_free_form_and_ascii_form_clear_of_what_is_taken() -> None:
    """The library: a form held (in any case) gets the first free number; a long one
    stays 100 characters."""
    from prospect.registry.names import ascii_form, free_form

    assert ascii_form("đất-hiếm", taken=["DAT-HIEM", "dat-hiem-2"]) == "dat-hiem-3"
    assert free_form("x" * 100, ["x" * 100]) == "x" * 98 + "-2"
    assert ascii_form("Straße 2", taken=["logit"]) == "Strasse-2"


# -- 2. an import under a name whose latest version is another model ------------------------


def test_model_import_of_another_mineral_under_a_taken_name_is_said(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """A gallium model imported as ``logit`` (lithium): published as ``logit/2`` without
    a word before, and ``model score logit`` then took it; now a warning names the
    mineral of each and the import under a free name; exit 0, the version kept."""
    reg = _registry(tmp_path, found)
    result = cli("model", "import", found["gallium"], "--name", "logit", "-r", reg)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    said = [w for w in _warnings(result.err) if "another model" in w]
    assert len(said) == 1, result.err
    assert (f"{reg}: logit/2 is published as a version of logit, but its card is of "
            "another model than logit/1: mineral 'gallium' (was 'lithium'); 'prospect "
            "model score logit' without --version now takes it") in said[0]
    assert f"--name logit-2 -r {reg}) and remove {reg}/logit/2" in said[0]
    assert (reg / "logit" / "2" / "checksums.json").is_file()


def test_other_model_names_what_differs() -> None:
    """The library's comparison of two cards: target, region, features and labels; a
    model trained again (same labels file with more rows, other settings) is none."""
    from prospect.registry.card import other_model

    old = {"mineral": "lithium", "deposit_type": "brine", "region": {"name": "bonaire"},
           "features": [{"name": "a"}, {"name": "geo"}],
           "training_data": [{"path": "data/wells.csv", "sha256": "11"},
                             {"path": "cube.zarr/zarr.json", "sha256": "22"}]}
    new = {"mineral": "Gallium", "deposit_type": "brine", "region": {"name": "saba"},
           "features": [{"name": "a"}, {"name": "mag"}],
           "training_data": [{"path": "data/bauxite.csv", "sha256": "33"},
                             {"path": "cube.zarr/zarr.json", "sha256": "22"}]}
    assert other_model(new, old) == [
        "mineral 'Gallium' (was 'lithium')", "region 'saba' (was 'bonaire')",
        "features mag added, geo gone", "labels bauxite.csv (was wells.csv)"]
    again = {**old, "mineral": "Lithium",
             "training_data": [{"path": "data/wells.csv", "sha256": "44"}]}
    assert other_model(again, old) == []


# -- controls --------------------------------------------------------------------------------


def test_control_the_same_model_imported_again_warns_of_nothing_new(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``logit/1`` imported again as ``logit``: version 2, noted as the same model, no
    warning of another model."""
    reg = _registry(tmp_path, found)
    result = cli("model", "import", found["reg"] / "logit" / "1", "--name", "logit",
                 "-r", reg)
    assert result.code == 0, result.out + result.err
    assert _warnings(result.err) == [], result.err
    assert "is the same model as logit/1" in result.err


def test_control_a_form_no_model_holds_is_kept(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``reg/đất-hiếm`` alone: ``--name dat-hiem`` as before; a gallium model imported
    under a new name says nothing of another model."""
    reg = _registry(tmp_path, found, "đất-hiếm")
    result = cli("model", "list", "-r", reg)
    said = [w for w in _warnings(result.err) if "đất-hiếm" in w]
    assert len(said) == 1 and "--name dat-hiem -r" in said[0], result.err
    imported = cli("model", "import", found["gallium"], "--name", "gallium", "-r", reg)
    assert imported.code == 0, imported.out + imported.err
    assert _warnings(imported.err) == [], imported.err
