"""Configured tile matrix sets: refused when unsupported, left out for layers they miss.

Polar and national grids far from a layer (data at 12 N) were accepted, advertised in
TileJSON and WMTS and served as blank or nonsense tiles; grids with variable matrix widths
and negative level ids were advertised with zooms their tile URLs could not reach.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import yaml

from tiles.testing import live_server

FAR_GRIDS = ["LINZAntarticaMapTilegrid", "UPSArcticWGS84Quad", "CanadianNAD83_LCC"]


@pytest.mark.parametrize("name", ["CDB1GlobalGrid", "GNOSISGlobalGrid"])
def test_grids_the_server_cannot_describe_are_refused_by_the_config(name) -> None:
    from pydantic import ValidationError

    from prospect.config.tiles import ServeConfig, TilesConfig

    with pytest.raises(ValidationError, match=f"{name}' is not supported"):
        ServeConfig.model_validate({"tile_matrix_sets": [name],
                                    "layers": [{"name": "p", "cog": "p.tif"}]})
    with pytest.raises(ValidationError, match="variable matrix widths"):
        TilesConfig.model_validate({"tile_matrix_sets": [name]})


def test_grids_that_miss_a_layer_are_left_out_for_it_with_a_warning(tile_fixture,
                                                                    tmp_path) -> None:
    config = {"tile_matrix_sets": ["WorldCRS84Quad", *FAR_GRIDS],
              "layers": [{"name": "probability", "cog": str(tile_fixture.probability),
                          "public": True}]}
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    with live_server(path) as server, server.client() as c:
        for name in FAR_GRIDS:
            r = c.get("/tilejson/probability.json", params={"tms": name})
            assert r.status_code == 404 and "not served in tile matrix set" in r.text, name
            assert c.get(f"/tiles/probability/{name}/3/1/1.png").status_code == 404
        doc = c.get("/tilejson/probability.json", params={"tms": "WorldCRS84Quad"})
        assert doc.status_code == 200
        caps = c.get("/wmts/1.0.0/WMTSCapabilities.xml")
        root = ET.fromstring(caps.content)
        ns = "{http://www.opengis.net/wmts/1.0}"
        linked = {e.findtext(f"{ns}TileMatrixSet") for e in root.iter(f"{ns}TileMatrixSetLink")}
        assert "WorldCRS84Quad" in linked and not linked & set(FAR_GRIDS), linked

    from prospect.config.tiles import load_serve_config
    from tiles.service import TileService, build_layers

    cfg = load_serve_config(path)
    svc = TileService(cfg, build_layers(cfg))
    lines = svc.grid_warnings()
    for name in FAR_GRIDS:
        line = next(x for x in lines if f"tile matrix set {name!r}" in x)
        assert "does not cover the extent (lon -68." in line and "'probability'" in line
        assert "its CRS is for lon" in line
    assert not any("WorldCRS84Quad" in x for x in lines)
