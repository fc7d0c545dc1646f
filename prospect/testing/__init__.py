"""Synthetic scenes for tests and the demo. Everything they write is labelled synthetic.

>>> from prospect.testing import demo_grid, make_scene
>>> scene = make_scene(tmp_path, grid=demo_grid(), seed=0)  # doctest: +SKIP
"""

from prospect.testing.cubes import array_checksums, float_layer
from prospect.testing.scene import SyntheticScene, demo_grid, make_scene
from prospect.testing.spectra import ENDMEMBERS, S2_BANDS

__all__ = [
    "ENDMEMBERS",
    "S2_BANDS",
    "SyntheticScene",
    "array_checksums",
    "demo_grid",
    "float_layer",
    "make_scene",
]
