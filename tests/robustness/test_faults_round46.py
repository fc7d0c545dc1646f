"""Round 46, faults: a cube variable rewritten in place after the stages that read it ran
(SYNTHETIC demo scene, the real CLI in process)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import zarr

from tests.robustness.conftest import assert_clean_error, run_job


def _rewrite(out: Path, variable: str) -> None:
    """Rewrite ``variable``'s chunks in ``out``'s cube with zarr, as a user's script does."""
    array = zarr.open_array(out / "cube.zarr" / variable, mode="r+")
    data = array[...]
    array[...] = (data * 2 + 7).astype(data.dtype)


def test_train_alone_after_a_cube_variable_was_rewritten_is_not_skipped(
        job: tuple[dict[str, Any], Path], cli: Any, scheduler: str) -> None:
    """``prospect train`` after ``heatflow``'s chunks were rewritten in place: it was
    skipped as "config and inputs unchanged" (the model kept, trained on the data before);
    now it names the variable, what changed and the stage that rebuilds it."""
    config, out = job
    model_before = (out / "model" / "metrics.json").read_bytes()
    _rewrite(out, "heatflow")
    result = run_job(cli, config, out, scheduler, "train")
    assert_clean_error(result, 1, "'heatflow'", "changed size", "prospect ingest")
    assert (out / "model" / "metrics.json").read_bytes() == model_before
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    assert stages["train"]["status"] == "done"  # the old model's record is kept as it was


def test_tiles_alone_after_the_probability_was_rewritten_is_not_skipped(
        job: tuple[dict[str, Any], Path], cli: Any, scheduler: str) -> None:
    """``prospect tiles`` after the scored ``probability`` was rewritten in place: the
    tiles of the old map were kept as "unchanged"; now the score stage is named."""
    config, out = job
    variable = next(p.name for p in (out / "cube.zarr").iterdir()
                    if p.name.startswith("prob") and p.is_dir())
    _rewrite(out, variable)
    result = run_job(cli, config, out, scheduler, "tiles")
    assert_clean_error(result, 1, repr(variable), "prospect score")


def test_train_alone_on_an_untouched_output_is_skipped(
        job: tuple[dict[str, Any], Path], cli: Any, scheduler: str) -> None:
    """control: nothing changed, ``prospect train`` is skipped as before."""
    config, out = job
    result = run_job(cli, config, out, scheduler, "train")
    assert result.code == 0, result.err[-3000:]
    assert "inputs unchanged" in " ".join((result.out + result.err).split())
