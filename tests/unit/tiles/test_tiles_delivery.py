"""PMTiles archive, TileJSON, WMTS capabilities, API keys and serve configs."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from prospect.config.tiles import (
    AgencyKeyConfig,
    ServeLayerConfig,
    TileLayerConfig,
    TilesConfig,
    load_serve_config,
)
from prospect.errors import ConfigError
from tiles.archive import tilejson, write_pmtiles
from tiles.auth import Access, KeyStore, hash_key, new_key
from tiles.pyramid import write_pyramid
from tiles.source import WEB_MERCATOR, cog_source
from tiles.testing import read_pmtiles_tile
from tiles.wmts import WmtsLayer, capabilities_xml


@pytest.fixture(scope="module")
def pyramid(tile_fixture, tmp_path_factory):
    out = tmp_path_factory.mktemp("pmt") / "probability"
    src = cog_source(tile_fixture.probability)
    return write_pyramid(src, out, colormap="viridis", vmin=0, vmax=1, min_zoom=11,
                         max_zoom=14, workers=2)


def test_pmtiles_holds_every_pyramid_tile(pyramid, tmp_path: Path) -> None:
    from pmtiles.reader import MmapSource, Reader

    archive = write_pmtiles(pyramid.path, tmp_path / "p.pmtiles", bounds=pyramid.bounds,
                            metadata={"name": "probability"})
    files = sorted(pyramid.path.glob("*/*/*.png"))
    assert len(files) == pyramid.tiles_written
    for f in files:
        z, x, y = int(f.parent.parent.name), int(f.parent.name), int(f.stem)
        assert read_pmtiles_tile(archive, z, x, y) == f.read_bytes()
    assert read_pmtiles_tile(archive, 14, 0, 0) is None
    with open(archive, "rb") as fh:
        reader = Reader(MmapSource(fh))
        header, meta = reader.header(), reader.metadata()
    assert (header["min_zoom"], header["max_zoom"]) == (11, 14)
    # bounds rounded outward: a negative west bound is not truncated toward 0 (inside)
    assert header["min_lon_e7"] == math.floor(pyramid.bounds[0] * 1e7)
    assert header["max_lat_e7"] == math.ceil(pyramid.bounds[3] * 1e7)
    assert header["min_lon_e7"] / 1e7 <= pyramid.bounds[0]
    assert meta["name"] == "probability"
    assert [p.name for p in tmp_path.iterdir()] == ["p.pmtiles"]


def test_pmtiles_refuses_an_empty_pyramid(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no \.png tiles"):
        write_pmtiles(tmp_path, tmp_path / "x.pmtiles", bounds=(0, 0, 1, 1))


def _meta(bounds, lo=11, hi=14, synthetic=True):
    from tiles.metadata import LayerMeta

    return LayerMeta(
        name="uncertainty", title="Uncertainty", description="Uncertainty (synthetic data)",
        attribution="Prospect", licence="CC-BY-4.0", synthetic=synthetic, crs="EPSG:32619",
        bounds=bounds, min_zoom=lo, max_zoom=hi,
        matrix_sets={"WebMercatorQuad": (lo, hi, bounds)},
    )


def test_tilejson_document() -> None:
    layer = TileLayerConfig(variable="uncertainty", vmax=0.5, colormap="magma", units="1")
    doc = tilejson(layer, _meta((-68.4, 12.1, -68.3, 12.2)),
                   tiles_url="https://x/{z}/{x}/{y}.png")
    assert doc["tilejson"] == "3.0.0" and doc["tiles"] == ["https://x/{z}/{x}/{y}.png"]
    assert doc["bounds"] == [-68.4, 12.1, -68.3, 12.2] and doc["minzoom"] == 11
    assert 11 <= doc["center"][2] <= 14
    assert "synthetic" in doc["description"]
    p = doc["prospect"]
    assert (p["vmin"], p["vmax"], p["colormap"], p["role"], p["synthetic"], p["licence"]) == (
        0.0, 0.5, "magma", "uncertainty", True, "CC-BY-4.0")
    json.dumps(doc)


def test_wmts_capabilities_parse_and_match_morecantile() -> None:
    from tiles.wmts import WmtsService

    bounds = (-68.40, 12.12, -68.35, 12.17)
    native = tuple(WEB_MERCATOR.xy(bounds[0], bounds[1])) + tuple(
        WEB_MERCATOR.xy(bounds[2], bounds[3]))
    xml = capabilities_xml(
        [WmtsLayer("probability", "P & Q", bounds, {"WebMercatorQuad": (10, 14, native)})],
        base_url="http://h:1", service=WmtsService(title="T"), query="key=abc")
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    root = ET.fromstring(xml)
    layer = root.find("w:Contents/w:Layer", ns)
    assert layer.find("ows:Identifier", ns).text == "probability"
    assert layer.find("ows:Title", ns).text == "P & Q"
    urls = {r.attrib["format"]: r.attrib["template"] for r in layer.findall("w:ResourceURL", ns)}
    assert urls["image/png"] == ("http://h:1/wmts/1.0.0/probability/{Style}/{TileMatrixSet}/"
                                 "{TileMatrix}/{TileRow}/{TileCol}.png?key=abc")
    assert set(urls) == {"image/png", "image/webp"}
    sets = root.findall("w:Contents/w:TileMatrixSet", ns)
    assert [s.find("ows:Identifier", ns).text for s in sets] == [
        "WebMercatorQuad", "WebMercatorQuad512"]
    matrices = sets[0].findall("w:TileMatrix", ns)
    assert [m.find("ows:Identifier", ns).text for m in matrices] == [str(z) for z in range(15)]
    m14 = matrices[14]
    assert float(m14.find("w:ScaleDenominator", ns).text) == pytest.approx(
        WEB_MERCATOR.matrix(14).scaleDenominator)
    assert int(m14.find("w:MatrixWidth", ns).text) == 2**14
    big = sets[1].findall("w:TileMatrix", ns)[14]
    assert float(big.find("w:ScaleDenominator", ns).text) == pytest.approx(
        WEB_MERCATOR.matrix(14).scaleDenominator / 2)
    limits = layer.findall("w:TileMatrixSetLink", ns)[0].findall(".//w:TileMatrixLimits", ns)
    assert len(limits) == 5
    ul = WEB_MERCATOR.tile(bounds[0], bounds[3], 14)
    lim14 = limits[-1]
    assert int(lim14.find("w:MinTileCol", ns).text) == ul.x
    assert int(lim14.find("w:MinTileRow", ns).text) == ul.y


def _store() -> tuple[KeyStore, dict[str, str]]:
    keys = {"a": new_key()[0], "revoked": new_key()[0], "none": new_key()[0]}
    layers = [ServeLayerConfig(name="pub", cog="x.tif", public=True),
              ServeLayerConfig(name="priv", cog="x.tif"),
              ServeLayerConfig(name="other", cog="x.tif")]
    entries = [AgencyKeyConfig(agency="a", key_sha256=hash_key(keys["a"]), layers=["priv"]),
               AgencyKeyConfig(agency="r", key_sha256=hash_key(keys["revoked"]),
                               layers=["*"], revoked=True),
               AgencyKeyConfig(agency="n", key_sha256=hash_key(keys["none"]), layers=[])]
    return KeyStore(entries, layers), keys


def test_key_rights_per_layer() -> None:
    store, keys = _store()
    assert store.check(None, "pub").allowed
    assert store.check(None, "priv").access is Access.NO_KEY
    assert store.check(keys["a"], "priv").allowed and store.check(keys["a"], "priv").agency == "a"
    assert store.check(keys["a"], "other").access is Access.FORBIDDEN
    assert store.check(keys["a"], "pub").allowed
    assert store.check("pk_wrong", "priv").access is Access.BAD_KEY
    assert store.check("pk_wrong", "pub").access is Access.BAD_KEY  # bad key refused everywhere
    assert store.check(keys["revoked"], "pub").access is Access.REVOKED
    assert store.check(keys["revoked"], "priv").status == 403
    assert store.check(keys["none"], "priv").status == 403
    assert store.visible_layers(keys["a"]) == ["priv", "pub"]
    assert store.visible_layers(None) == ["pub"]
    assert store.check("x" * 1000, "pub").access is Access.BAD_KEY


def test_keys_are_stored_hashed() -> None:
    key, digest = new_key()
    assert digest == hash_key(key) and len(digest) == 64 and key not in digest
    assert new_key()[0] != key


def test_serve_config_validation(tmp_path: Path) -> None:
    base = {"layers": [{"name": "p", "cog": "p.tif"}]}

    def load(data) -> None:
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(data))
        load_serve_config(path)

    load(base)
    cases = [
        ({"layers": [{"name": "../etc", "cog": "p.tif"}]}, "layers.0.name"),
        ({"layers": [{"name": "p"}]}, "exactly one of 'cog'"),
        ({"layers": [{"name": "p", "cog": "a.tif", "cube": "c.zarr"}]}, "exactly one"),
        ({"layers": [{"name": "p", "cog": "p.tif", "colormap": "rainbowz"}]}, "unknown colormap"),
        ({"layers": [{"name": "p", "cog": "p.tif", "vmin": 1, "vmax": 0}]}, "vmax"),
        ({**base, "keys": [{"agency": "a", "key_sha256": "abc"}]}, "key_sha256"),
        ({**base, "keys": [{"agency": "a", "key_sha256": "0" * 64, "layers": ["q"]}]},
         "unknown layers"),
        ({**base, "max_zoom": 40}, "max_zoom"),
        ({**base, "colour": 1}, "unknown key 'colour'"),
    ]
    for data, message in cases:
        with pytest.raises(ConfigError, match=message):
            load(data)
    cfg = load_serve_config(Path(__file__).parents[3] / "configs" / "serve" / "example.yaml")
    assert {layer.name for layer in cfg.layers} >= {"probability", "uncertainty"}


def test_tiles_config_defaults_and_roles() -> None:
    cfg = TilesConfig()
    assert [(layer.layer_name, layer.role) for layer in cfg.layers] == [
        ("probability", "value"), ("uncertainty", "uncertainty")]
    with pytest.raises(ValueError, match="unique"):
        TilesConfig(layers=[TileLayerConfig(variable="a"), TileLayerConfig(variable="a")])
    with pytest.raises(ValueError, match="below min_zoom"):
        TilesConfig(min_zoom=12, max_zoom=11)
