"""Fuzzing rounds 41 to 43: what the lead took from the helpers' hand-overs.

Every cube here is SYNTHETIC (a ramp on the demo grid, 40 x 40 cells).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from prospect.config.tiles import ServeConfig
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing.cubes import float_layer
from prospect.testing.scene import demo_grid
from tiles.service import build_layers
from tiles.source import LayerVariableError


@pytest.fixture(scope="module")
def heat_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC cube holding one variable, ``heat``, and no ``probability``."""
    path = tmp_path_factory.mktemp("lead41") / "cube.zarr"
    grid = demo_grid(size_m=400.0, resolution=10.0)
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    ramp = np.arange(grid.height * grid.width, dtype="float32").reshape(grid.height, grid.width)
    add_variables(path, xr.Dataset({"heat": float_layer(ramp, name="heat", units="mW/m2",
                                                        long_name="heat", like=like)}))
    return path


def _layers(cube: Path, **layer: object) -> ServeConfig:
    return ServeConfig.model_validate(
        {"layers": [{"name": "heat", "cube": str(cube), "public": True, **layer}]})


def test_a_cube_layer_without_a_variable_is_told_it_reads_probability(heat_cube: Path
                                                                       ) -> None:
    """Round 43's serving "found and left": a served cube layer without ``variable:`` reads
    ``probability``; a cube of other variables was "cube has no variable 'probability'",
    naming a variable the config never wrote."""
    with pytest.raises(LayerVariableError) as caught:
        build_layers(_layers(heat_cube))
    line = str(caught.value)
    assert "cube has no variable 'probability'" in line and "['heat']" in line
    assert "gives no 'variable:', so it reads 'probability'" in line
    assert "add 'variable:' to the layer" in line and "\n" not in line


def test_control_a_cube_layer_naming_a_missing_variable_keeps_its_message(heat_cube: Path
                                                                           ) -> None:
    """Control: a layer that writes ``variable:`` is told only that the cube lacks it."""
    with pytest.raises(LayerVariableError) as caught:
        build_layers(_layers(heat_cube, variable="depth"))
    assert "cube has no variable 'depth'" in str(caught.value)
    assert "gives no 'variable:'" not in str(caught.value)


def test_control_a_cube_layer_naming_its_variable_opens(heat_cube: Path) -> None:
    """Control: ``variable: heat`` opens the layer."""
    layers = build_layers(_layers(heat_cube, variable="heat"))
    assert list(layers) == ["heat"]
