"""Synthetic scenes for tests and the demo. Everything they write is labelled synthetic.

>>> from prospect.testing import demo_grid, make_scene
>>> scene = make_scene(tmp_path, grid=demo_grid(), seed=0)  # doctest: +SKIP
"""

from prospect.testing.scene import SyntheticScene, demo_grid, make_scene
from prospect.testing.spectra import ENDMEMBERS, S2_BANDS

__all__ = ["ENDMEMBERS", "S2_BANDS", "SyntheticScene", "demo_grid", "make_scene"]
