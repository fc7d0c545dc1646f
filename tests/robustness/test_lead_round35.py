"""Fuzzing round 35, the lead's cases: hand-overs of the round's areas.

Each case fails on the code before this round unless its docstring says "control".
SYNTHETIC files throughout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.robustness.test_imagery_round33 import _collection, _item, _plan
from tests.robustness.test_imagery_round35 import C2_ID, ESPA_ID, _dn_file


def _mosaic_of_two_products(root: Path, **config: Any) -> Any:
    """A STAC source without ``composite:`` (a mosaic) of an ESPA scene (int16, 1e-4 x DN)
    and a Collection 2 Level-2 one (uint16, 2.75e-5 x DN - 0.2), their items stating no
    scale. SYNTHETIC."""
    espa = _dn_file(root / "a" / f"{ESPA_ID}_sr_band4.tif", 2000, "int16", -9999)
    c2 = _dn_file(root / "b" / f"{C2_ID}_SR_B4.TIF", 14545, "uint16", 0)
    items = [_item(item_id, href, day, {"platform": "landsat-8"})
             for item_id, href, day in ((ESPA_ID, espa, "2020-03-01T10:40:00Z"),
                                        (C2_ID, c2, "2020-03-17T10:40:00Z"))]
    return _plan({"name": "ls", "stac": str(_collection(root, items)),
                  "assets": {"red": "B04"}, **config})


@pytest.mark.parametrize("config", [{"scale": 0.0001}, {"scale": 2.75e-5, "offset": -0.2}],
                         ids=["espa-scale", "collection-2-scale"])
def test_a_mosaic_of_two_products_is_refused_in_one_line(tmp_path: Path,
                                                          config: dict[str, float]) -> None:
    """The imagery area's hand-over: a STAC mosaic (no ``composite:``) of an ESPA and a
    Collection 2 scene asked, given ESPA's scale, for Collection 2's, and given that, for
    ESPA's, never saying that the items mix two products. Now one line names a file of
    each and the fix, as a composite's does."""
    from prospect.errors import ConfigError

    with pytest.raises(ConfigError, match=(
            r"source 'ls', band 'red': .*products of other calibrations.*_sr_band4\.tif|"
            r"source 'ls', band 'red': .*products of other calibrations.*_SR_B4\.TIF")) as exc:
        _mosaic_of_two_products(tmp_path, **config)
    assert "_sr_band4.tif" in str(exc.value) and "_SR_B4.TIF" in str(exc.value)
    assert "raster:bands scale and offset" in str(exc.value)


def test_plan_says_a_block_size_that_gives_the_folds(sandbox: Any, cli: Any) -> None:
    """The models area's hand-over: ``prospect plan`` refused ``n_splits: 3`` over 1000 m
    blocks that hold the labels in one ("lower model.cv.block_size or model.cv.n_splits")
    without the labels' extent or a size that works, which train now says. Now plan names
    both, and the size it names plans (exit 0). SYNTHETIC raster and labels."""
    import re

    import yaml

    from tests.robustness.conftest import assert_clean_error
    from tests.robustness.test_configs_round12b import _folds_job

    _folds_job(sandbox, threshold=200, n_splits=3, block_size=1000.0)
    result = cli("plan", sandbox.job_path)
    said = []
    for _ in range(3):  # the region's blocks, then the blocks the labels fall in
        line = assert_clean_error(result, 2, "spatial block(s)", "span",
                                  "set model.cv.block_size to")
        said.append(line)
        size = float(re.search(r"set model\.cv\.block_size to ([0-9.]+)", line).group(1))
        job = yaml.safe_load(sandbox.job_path.read_text())
        job["model"]["cv"]["block_size"] = size
        sandbox.job_path.write_text(yaml.safe_dump(job))
        result = cli("plan", sandbox.job_path)
        if result.code == 0:
            break
    assert result.code == 0, (said, result.err[-3000:])
