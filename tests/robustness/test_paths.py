"""Class 1: outputs stay inside ``-o``: every name a config gives is a name, never a path."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error

LAYER = {"variable": "heat", "colormap": "viridis"}
POINTS = {"kind": "points", "name": "wells", "path": "wells.csv"}


def _tiles(**layer: Any) -> dict[str, Any]:
    return {"tiles": {"layers": [{**LAYER, **layer}]}}


def _indices(**cfg: Any) -> dict[str, Any]:
    return {"indices": {"sensor": "sentinel2", **cfg}}


def _model(**cfg: Any) -> dict[str, Any]:
    return {"model": {"mineral": "lithium", "labels": {"source": "wells"}, **cfg},
            "sources": [{"kind": "raster", "name": "heat", "path": "heat.tif"}, POINTS]}


CASES: list[tuple[str, Any, str]] = [
    ("cube-parent", {"outputs": {"cube": "../escaped.zarr"}}, "outputs.cube"),
    ("cube-deep-parent", {"outputs": {"cube": "../../../../tmp/escaped.zarr"}}, "outputs.cube"),
    ("cube-absolute", {"outputs": {"cube": "{root}/abs.zarr"}}, "outputs.cube"),
    ("cube-subfolder", {"outputs": {"cube": "a/b.zarr"}}, "outputs.cube"),
    ("cube-backslash", {"outputs": {"cube": "..\\x.zarr"}}, "outputs.cube"),
    ("cube-empty", {"outputs": {"cube": ""}}, "outputs.cube"),
    ("cube-dotdot", {"outputs": {"cube": ".."}}, "outputs.cube"),
    ("cube-dot", {"outputs": {"cube": "."}}, "outputs.cube"),
    ("cube-over-manifest", {"outputs": {"cube": "manifest.json"}}, "outputs.cube"),
    ("cube-nul", {"outputs": {"cube": "a\x00.zarr"}}, "outputs.cube"),
    ("tiles-variable-parent", _tiles(variable="../../precious/important"),
     "tiles.layers.0.variable"),
    ("tiles-variable-deep", _tiles(variable="../../../../tmp/v/important"),
     "tiles.layers.0.variable"),
    ("tiles-variable-absolute", _tiles(variable="{root}/precious/important"),
     "tiles.layers.0.variable"),
    ("tiles-variable-empty", _tiles(variable=""), "tiles.layers.0.variable"),
    ("tiles-variable-dotdot", _tiles(variable=".."), "tiles.layers.0.variable"),
    ("tiles-name-parent", _tiles(name="../x"), "tiles.layers.0.name"),
    ("tiles-name-empty", _tiles(name=""), "tiles.layers.0.name"),
    ("indices-custom-parent", _indices(custom={"../evil": "(N - R) / (N + R)"}),
     "indices.custom"),
    ("indices-custom-absolute", _indices(custom={"/tmp/evil": "(N - R) / (N + R)"}),
     "indices.custom"),
    ("indices-names-parent", _indices(names=["../NDVI"]), "indices.names.0"),
    ("indices-bands-parent", _indices(bands={"R": "../../precious/important"}),
     "indices.bands.R"),
    ("model-features-parent", _model(features=["../x"]), "model.features.0"),
    ("model-focal-parent", _model(focal={"radii": [50], "variables": ["/etc/passwd"]}),
     "model.focal.variables.0"),
    ("points-columns-empty", {"sources": [POINTS | {"columns": [" "]}]},
     "sources.0.points.columns.0"),
]


def _fill(value: Any, root: str) -> Any:
    """``value`` with ``{root}`` replaced by the sandbox folder in every string."""
    if isinstance(value, dict):
        return {_fill(k, root): _fill(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, root) for v in value]
    return value.replace("{root}", root) if isinstance(value, str) else value


@pytest.mark.parametrize(("changes", "key"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_name_that_is_a_path_is_refused_at_load(
    sandbox: Sandbox, cli, changes: dict[str, Any], key: str,
) -> None:
    sandbox.write_job(**_fill(changes, str(sandbox.root)))
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, str(sandbox.job_path), key)
    assert not sandbox.out.exists()
    assert sandbox.untouched()


def test_out_naming_an_existing_file_is_a_clear_error(sandbox: Sandbox, cli) -> None:
    target = sandbox.precious / "thesis.txt"
    result = cli("ingest", sandbox.job_path, "-o", target)
    assert_clean_error(result, 2, str(target), "existing file")
    assert target.read_text() == "years of work\n"
    assert sandbox.untouched()


def test_out_below_an_existing_file_is_a_clear_error(sandbox: Sandbox, cli) -> None:
    target = sandbox.precious / "thesis.txt" / "out"
    result = cli("ingest", sandbox.job_path, "-o", target)
    assert_clean_error(result, 2, "thesis.txt", "not a directory")
    assert sandbox.untouched()


@pytest.mark.parametrize("command", [["ingest", "JOB"], ["run", "JOB"], ["demo"],
                                     ["model", "export", "lithium"]])
def test_an_empty_out_is_refused_not_taken_as_the_current_directory(
        sandbox: Sandbox, cli, tmp_path, monkeypatch: pytest.MonkeyPatch,
        command: list[str]) -> None:
    """Before: ``-o ""`` (``-o "$OUT"`` with OUT unset) was ``Path("")``, the current
    directory: a whole job's outputs, lock and sweep of leftovers landed in the shell's
    folder."""
    here = tmp_path / "shell-folder"
    here.mkdir()
    (here / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(here)
    args = [str(sandbox.job_path) if a == "JOB" else a for a in command]
    result = cli(*args, "-o", "")
    assert result.code == 2, result.err[-3000:]
    assert "an empty path" in result.err and "Traceback" not in result.err
    assert sorted(p.name for p in here.iterdir()) == ["notes.txt"]
    assert sandbox.untouched()
