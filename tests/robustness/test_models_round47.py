"""Round 47, models and reuse: a common fill (-9999, -32768, 65535) that no one declared as
a layer's nodata, far outside the model's training range, on a few cells of a cube scored
with a registry model: in a chunk the comparison with the training evidence does not read
(it reads 4 chunks), and in one it reads.

All data are SYNTHETIC: 600 training rows drawn from a seeded generator (a continuous
layer ``a`` in 0..1 and a geology code ``geo`` of units 1, 2 and 3), a one-hot logistic
regression made by Prospect's own factory (:func:`prospect.models.factory.make_estimator`)
published in a temporary registry, and 64 x 64 cubes of 16 x 16 chunks (16 chunks) on its
grid written as another tool writes them (no ``prospect_fingerprint``), scored by the real
CLI in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="module")
def reuse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry holding ``logit`` (round 46's SYNTHETIC logistic regression on ``a`` and
    ``geo``) and a maker of SYNTHETIC 64 x 64 cubes on its grid."""
    from .test_models_round46 import published_logit

    return published_logit(tmp_path_factory.mktemp("r47reuse"), 47, 64)


def _score(cli: Any, found: dict[str, Any], tmp_path: Path, value: float,
           cells: tuple[int, slice]) -> tuple[str, np.ndarray]:
    """``prospect model score logit`` on a SYNTHETIC cube whose ``a`` (0..1) holds
    ``value`` on ``cells``: its words on one line, and the probability map."""
    import xarray as xr

    a = found["rng"].random(found["grid"].shape).astype("f4")
    a[cells] = value
    cube = found["make_cube"](tmp_path / "c.zarr", a)
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "logit", "-c", cube, "-o", out, "-r", found["reg"])
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text.lower(), text[-3000:]
    assert result.code == 0, text[-2000:]
    with xr.open_zarr(out) as ds:
        probability = ds["probability"].values
    return text, probability


UNREAD = (2, slice(20, 24))
"""4 cells of chunk (0, 1): of the 16 chunks, the comparison reads chunks 0, 5, 10, 15."""
READ = (8, slice(4, 8))
"""4 cells of chunk (0, 0), which the comparison reads."""


@pytest.mark.parametrize("fill", [-9999.0, 65535.0])
def test_a_fill_in_a_chunk_the_comparison_does_not_read_is_said_and_left_unscored(
        cli: Any, reuse: dict[str, Any], tmp_path: Path, fill: float) -> None:
    """4 cells of 4096 hold ``fill`` in ``a`` (trained on 0..1), undeclared, in a chunk
    the comparison with the training evidence does not sample: nothing was said, the map
    held a probability there (the slope taken 10 000 times beyond its range) and "100.0%
    of the cells scored". Now those cells are left unscored (NaN) and the fill, its cells
    of the whole cube and the nodata to declare are said."""
    text, p = _score(cli, reuse, tmp_path, fill, UNREAD)
    assert np.isnan(p[UNREAD]).all(), p[UNREAD]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    assert (f"variable 'a': 4 cell(s) of the cube hold {fill:.10g}, a common fill value far "
            "outside the model's training range") in text, text
    assert f"declare it as the source's nodata (nodata: {fill:.10g}) and ingest again" \
        in text, text


def test_a_sampled_fill_is_taken_as_no_data_not_scored_as_evidence(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """-32768 (int16's fill) on 4 cells of a chunk the comparison reads: it was said,
    but the map still scored those cells as evidence far beyond the training range
    ("the map scores those cells as evidence"). Now they are NaN, as the line says."""
    text, p = _score(cli, reuse, tmp_path, -32768.0, READ)
    assert np.isnan(p[READ]).all(), p[READ]
    assert int(np.isnan(p).sum()) == 4, int(np.isnan(p).sum())
    assert "the map takes such cells as no data" in text, text
    assert "no data in a at 4" in text, text


def test_control_a_value_far_outside_that_is_no_common_fill_is_still_scored(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Control: 37.5 on 4 cells of ``a`` (trained on 0..1) is far outside but no common
    fill: scored (an extrapolation, a measurement perhaps), every cell has a value and no
    fill is said (before and after)."""
    text, p = _score(cli, reuse, tmp_path, 37.5, UNREAD)
    assert not np.isnan(p).any()
    assert "common fill value" not in text, text


def test_a_layer_only_of_an_undeclared_fill_is_refused_naming_it(
        cli: Any, reuse: dict[str, Any], tmp_path: Path) -> None:
    """Every cell of ``a`` holds -9999 (a layer that is its source's no-data margin
    alone, undeclared): the map was written with a probability on every cell, each from
    -9999 taken as evidence. Now nothing is written, and the error names the layer and
    the fill to declare."""
    from tests.robustness.conftest import assert_clean_error

    a = np.full(reuse["grid"].shape, -9999.0, dtype="f4")
    cube = reuse["make_cube"](tmp_path / "c.zarr", a)
    out = tmp_path / "s.zarr"
    result = cli("model", "score", "logit", "-c", cube, "-o", out, "-r", reuse["reg"])
    line = " ".join(assert_clean_error(result, 1, "no cell could be scored",
                                       "'a' only a common fill value").split())
    assert "declare it as the source's nodata" in line, line
    assert not out.exists()
