"""Round 62b, models and reuse: a model copied into a registry under a partner's name
(``reg/đất-hiếm/1``, ``reg/li bonaire/1``) or a version under a label with spaces
(``reg/li/phiên bản 2``) passed over by ``prospect model list`` without a word, and a name
or label in another language refused as not made of "letters" with no word of the form
that is taken.

A registry's model names and version labels are ASCII (they are folder names on any
disk or object store). A folder whose name is none (a model a partner agency copied in
with its file manager under its own language's name) was skipped by ``model list`` as
if it were not there, and ``model show đất-hiếm`` said "use 1-100 letters, digits ..."
of a name made of letters, naming neither the folder nor how to publish what it holds.
Now ``model list`` warns of each such folder (and of each version folder under a label
that is none), naming the import that publishes it under its ASCII form; ``model show``
and ``model score`` of the folder's name say the same; a name or label refused says the
alphabet is ASCII and gives its ASCII form (``mô-hình-li``: e.g. ``'mo-hinh-li'``).

All data are SYNTHETIC: round 49's logistic regression (``a`` and a categorical ``geo``)
published once in a registry (``logit/1``), copied per case.
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
    """Round 49's registry holding ``logit`` (SYNTHETIC), published once."""
    return _published(tmp_path_factory.mktemp("models62b"), 62, None, 0)


def _registry(tmp_path: Path, found: dict[str, Any]) -> Path:
    """A copy of the SYNTHETIC registry in ``tmp_path``."""
    reg = tmp_path / "reg"
    shutil.copytree(found["reg"], reg)
    return reg


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning:")]


# -- 1. folders of the registry under names or labels that are none -------------------------


def test_model_list_says_a_model_copied_in_under_a_vietnamese_name(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``cp -r reg/logit reg/đất-hiếm`` (a partner's copy under its own name): listed as
    nothing at all before; now a warning names the folder and the import under
    ``dat-hiem``, and ``logit`` is listed as before."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit", reg / "đất-hiếm")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    said = [w for w in _warnings(result.err) if "đất-hiếm" in w]
    assert len(said) == 1, result.err
    assert "is no model name (ASCII letters" in said[0]
    assert f"prospect model import '{reg}/đất-hiếm/1' --name dat-hiem -r {reg}" in said[0]
    assert "logit" in result.out


def test_model_list_says_a_model_folder_whose_name_holds_a_space(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``reg/li bonaire`` (a model directory copied straight in under a name with a
    space): the import names the folder itself, quoted for the shell."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit" / "1", reg / "li bonaire")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.out + result.err
    said = [w for w in _warnings(result.err) if "li bonaire" in w]
    assert len(said) == 1, result.err
    assert f"prospect model import '{reg}/li bonaire' --name li-bonaire" in said[0]


def test_model_list_says_a_version_under_a_label_with_spaces(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``reg/logit/phiên bản 2`` (a version copied in under a label of words): listed as
    nothing before (``logit`` showed version 1 alone); now named with the import that
    publishes it as version ``phien-ban-2``."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit" / "1", reg / "logit" / "phiên bản 2")
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.out + result.err
    said = [w for w in _warnings(result.err) if "phiên bản 2" in w]
    assert len(said) == 1, result.err
    assert "is no version label" in said[0]
    assert (f"prospect model import '{reg}/logit/phiên bản 2' --name logit --version "
            "phien-ban-2") in said[0]


def test_model_show_of_the_copied_folders_name_says_the_folder(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model show đất-hiếm`` of the name the user sees in the registry: "use 1-100
    letters" before; now the folder and the import that publishes what it holds."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit", reg / "đất-hiếm")
    result = cli("model", "show", "đất-hiếm", "-r", reg)
    assert_clean_error(result, 1, f"{reg}/đất-hiếm: folder 'đất-hiếm' is no model name",
                       "--name dat-hiem")


def test_model_score_of_the_copied_folders_name_says_the_folder(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model score đất-hiếm``: the same line, and nothing written."""
    reg = _registry(tmp_path, found)
    shutil.copytree(reg / "logit", reg / "đất-hiếm")
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    result = cli("model", "score", "đất-hiếm", "-c", cube, "-o", tmp_path / "s.zarr",
                 "-r", reg)
    assert_clean_error(result, 1, "folder 'đất-hiếm' is no model name", "--name dat-hiem")
    assert not (tmp_path / "s.zarr").exists()


# -- 2. names and labels refused with their ASCII form --------------------------------------


@pytest.mark.parametrize(("name", "form"), [
    ("mô-hình-li", "mo-hinh-li"),
    ("lítio bonaire", "litio-bonaire"),
    ("đất-hiếm", "dat-hiem"),
    ("Ørsted-2", "Orsted-2"),
])
def test_model_import_under_a_name_in_another_language_gives_its_ascii_form(
    tmp_path: Path, cli: Any, found: dict[str, Any], name: str, form: str
) -> None:
    """``model import --name`` of a name in Vietnamese, Portuguese or Danish: "use
    1-100 letters" before, of letters; now "ASCII letters" and e.g. its ASCII form;
    nothing is published."""
    reg = _registry(tmp_path, found)
    folder = found["reg"] / "logit" / "1"
    result = cli("model", "import", folder, "--name", name, "-r", reg)
    assert_clean_error(result, 1, f"model name {name!r} is refused", "ASCII letters",
                       f"e.g. {form!r}")
    assert sorted(p.name for p in reg.iterdir() if not p.name.startswith(".")) == ["logit"]


def test_model_import_under_a_version_label_of_words_gives_its_ascii_form(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``--version "bản 2"``: e.g. ``'ban-2'``."""
    reg = _registry(tmp_path, found)
    result = cli("model", "import", found["reg"] / "logit" / "1", "--name", "logit",
                 "--version", "bản 2", "-r", reg)
    assert_clean_error(result, 1, "model version 'bản 2' is refused", "e.g. 'ban-2'")


def test_ascii_form_of_names() -> None:
    """The library's ASCII form: accents off, letters Unicode does not decompose spelled
    (``ß``, ``đ``), each run of other characters one ``-``; ``None`` of nothing left."""
    from prospect.registry.names import ascii_form

    assert [ascii_form(v) for v in ("Straße 2", "  zn @ Lai Châu  ", "——", "logit")] == \
        ["Strasse-2", "zn-Lai-Chau", None, None]


# -- controls --------------------------------------------------------------------------------


def test_control_a_clean_registry_lists_without_a_warning(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """A registry with hidden entries only beside its model (a staging folder, the
    import lock) lists ``logit`` and says nothing else."""
    reg = _registry(tmp_path, found)
    (reg / ".staging-x").mkdir()
    result = cli("model", "list", "-r", reg)
    assert result.code == 0, result.out + result.err
    assert _warnings(result.err) == [], result.err
    assert "logit" in result.out


def test_control_a_name_that_is_a_path_is_told_to_import_it(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model show out/model`` keeps its hint (publish the folder first), with no ASCII
    form of a path."""
    reg = _registry(tmp_path, found)
    result = cli("model", "show", "out/model", "-r", reg)
    line = assert_clean_error(result, 1, "model name 'out/model' is refused",
                              "publish it first with 'prospect model import")
    assert "e.g." not in line


def test_control_the_model_shows_and_imports_as_before(
    tmp_path: Path, cli: Any, found: dict[str, Any]
) -> None:
    """``model show logit`` prints its card; an ASCII name imports as version 1."""
    reg = _registry(tmp_path, found)
    shown = cli("model", "show", "logit", "-r", reg)
    assert shown.code == 0, shown.out + shown.err
    assert "Fingerprint" in shown.out
    result = cli("model", "import", found["reg"] / "logit" / "1", "--name", "dat-hiem",
                 "-r", reg)
    assert result.code == 0, result.out + result.err
    assert (reg / "dat-hiem" / "1" / "checksums.json").is_file()
