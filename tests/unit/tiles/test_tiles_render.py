"""Float-aware rendering, legends and encodings."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tiles.colormap import (
    colormap_lut,
    colormap_palette,
    encode_image,
    encode_indexed,
    render_indexed,
    render_rgba,
)
from tiles.testing import values_from_rgba


def test_fixed_range_maps_ends_and_clamps() -> None:
    values = np.array([[0.2, 0.6, 1.0], [-5.0, 9.0, 0.4]], dtype="f4")
    rgba = render_rgba(values, colormap="viridis", vmin=0.2, vmax=1.0)
    lut = colormap_lut("viridis")
    assert (rgba[0, 0] == lut[0]).all() and (rgba[0, 2] == lut[255]).all()
    assert (rgba[1, 0] == lut[0]).all(), "below vmin clamps to the first colour"
    assert (rgba[1, 1] == lut[255]).all(), "above vmax clamps to the last colour"
    index = render_indexed(values, vmin=0.2, vmax=1.0)
    assert index.tolist() == [[1, 128, 255], [1, 255, 65]]
    assert (rgba[0, 1] == colormap_palette("viridis")[128]).all()


def test_paletted_png_is_lossless_and_smaller() -> None:
    values = np.cumsum(np.random.default_rng(0).random((256, 256), dtype="f4"), axis=1) / 256
    values[:8] = np.nan
    index = render_indexed(values, vmin=0, vmax=1)
    paletted = encode_indexed(index, "viridis")
    rgba = render_rgba(values, colormap="viridis", vmin=0, vmax=1)
    with Image.open(io.BytesIO(paletted)) as img:
        assert img.mode == "P" and img.info["transparency"] == 0
        assert (np.asarray(img.convert("RGBA")) == rgba).all()
    assert len(paletted) < len(encode_image(rgba, "png"))


def test_nan_and_mask_are_transparent() -> None:
    values = np.array([[np.nan, 0.5], [0.5, np.inf]], dtype="f4")
    mask = np.array([[True, False], [True, True]])
    rgba = render_rgba(values, colormap="magma", vmin=0, vmax=1, mask=mask)
    assert rgba[..., 3].tolist() == [[0, 0], [255, 0]]


def test_same_value_same_colour_whatever_the_tile_contents() -> None:
    """A fixed range means a value's colour never depends on its neighbours (no stretch)."""
    a = render_rgba(np.array([[0.3, 0.31]], "f4"), colormap="viridis", vmin=0, vmax=1)
    b = render_rgba(np.array([[0.3, 0.99]], "f4"), colormap="viridis", vmin=0, vmax=1)
    assert (a[0, 0] == b[0, 0]).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1, width=32), min_size=1, max_size=50),
       st.sampled_from(["viridis", "magma", "cividis"]))
def test_colours_decode_back_to_values(values: list[float], cmap: str) -> None:
    arr = np.asarray(values, dtype="f4")[None, :]
    back = values_from_rgba(render_rgba(arr, colormap=cmap, vmin=0, vmax=1),
                            colormap=cmap, vmin=0, vmax=1)
    assert np.abs(back - arr).max() <= 0.5 / 254 + 1e-6


@pytest.mark.parametrize("cmap", ["viridis", "magma", "cividis", "Greys", "RdYlGn_r", "tab10"])
def test_every_level_has_its_own_colour(cmap: str) -> None:
    """8-bit rounding gave viridis two repeated colours; 0.5078125 then decoded a level off."""
    from tiles.colormap import colormap_palette

    assert len(np.unique(colormap_palette(cmap)[1:, :3], axis=0)) == 255
    arr = np.array([[0.5078125, *np.linspace(0, 1, 2001)]], dtype="f4")
    back = values_from_rgba(render_rgba(arr, colormap=cmap, vmin=0, vmax=1),
                            colormap=cmap, vmin=0, vmax=1)
    assert np.abs(back - arr).max() <= 0.5 / 254 + 1e-6


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="vmax"):
        render_rgba(np.zeros((2, 2)), colormap="viridis", vmin=1, vmax=1)
    with pytest.raises(ValueError, match="colormap"):
        colormap_lut("no-such-map")
    with pytest.raises(ValueError, match="2-D"):
        render_rgba(np.zeros(3), colormap="viridis", vmin=0, vmax=1)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_encoded_tiles_decode_with_alpha(fmt: str) -> None:
    values = np.linspace(0, 1, 256 * 256, dtype="f4").reshape(256, 256)
    values[:10] = np.nan
    rgba = render_rgba(values, colormap="viridis", vmin=0, vmax=1)
    with Image.open(io.BytesIO(encode_image(rgba, fmt))) as img:
        assert img.format == fmt.upper() and img.size == (256, 256)
        back = np.asarray(img.convert("RGBA"))
    assert (back[:10, ..., 3] == 0).all() and (back[20:, ..., 3] == 255).all()
    tol = 0 if fmt == "png" else 12
    assert np.abs(back[20:].astype(int) - rgba[20:].astype(int)).max() <= tol


def test_legend_is_a_png_with_the_colormap() -> None:
    from prospect.config.tiles import TileLayerConfig
    from tiles.legend import legend_png

    layer = TileLayerConfig(variable="probability", colormap="magma", vmin=0, vmax=0.5,
                            title="Uncertainty", units="1")
    with Image.open(io.BytesIO(legend_png(layer))) as img:
        assert img.format == "PNG" and img.width >= 200
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3).astype(int)
    lut = colormap_lut("magma")[:, :3].astype(int)
    # the bar contains colours from both ends of the colormap
    for colour in (lut[5], lut[250]):
        assert (np.abs(pixels - colour).sum(axis=1) < 10).any()
