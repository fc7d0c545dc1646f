"""Build the viewer's offline basemap ``tiles/static/basemap.js`` from Natural Earth.

Run once by a maintainer (the output is committed; nothing is fetched at run time):

    python tiles/viewer/build_basemap.py ../shared/data/naturalearth_world_atlas

Input: world-atlas 2.0.2 (TopoJSON of Natural Earth; see its README and licence).
Output: ``window.PROSPECT_BASEMAP = {"land": GeoJSON, "borders": GeoJSON}`` in lon/lat:
the world at 1:50m (coastlines and country outlines, simplified to about 0.05 degree)
plus the project's regions (the Netherlands with the Caribbean islands, Aruba, Curaçao,
Sint Maarten, Vietnam) at 1:10m, so that islands a few kilometres across have a coast.
Natural Earth is public domain; world-atlas is ISC (the notice goes beside the file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

OUT = Path(__file__).resolve().parents[1] / "static"
REGIONS = ("Netherlands", "Aruba", "Curaçao", "Sint Maarten", "Vietnam")


def _round(geom: shapely.Geometry, digits: int) -> shapely.Geometry:
    """Coordinates rounded to ``digits`` decimals (a line drawing: validity is not needed)."""
    return shapely.transform(geom, lambda xy: xy.round(digits))


def _features(frame: gpd.GeoDataFrame, tolerance: float, digits: int) -> list[dict]:
    out = []
    for name, geom in zip(frame.get("name", [""] * len(frame)), frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        geom = _round(shapely.make_valid(geom).simplify(tolerance, preserve_topology=True),
                      digits)
        if geom.is_empty:
            continue
        out.append({"type": "Feature", "properties": {"name": name or ""},
                    "geometry": shapely.geometry.mapping(geom)})
    return out


def main(src: Path) -> None:
    world = gpd.read_file(src / "countries-50m.json", layer="countries").set_crs(
        "EPSG:4326", allow_override=True)
    detail = gpd.read_file(src / "countries-10m.json", layer="countries").set_crs(
        "EPSG:4326", allow_override=True)
    detail = detail[detail["name"].isin(REGIONS)]
    world = world[~world["name"].isin(REGIONS)]
    features = _features(world, 0.05, 2) + _features(detail, 0.002, 4)
    doc = {"type": "FeatureCollection", "features": features,
           "attribution": "Natural Earth (public domain), via world-atlas 2.0.2 (ISC)"}
    text = json.dumps(doc, separators=(",", ":"))
    (OUT / "basemap.js").write_text("window.PROSPECT_BASEMAP = " + text + ";\n")
    (OUT / "basemap-LICENSE.txt").write_text((src / "world-atlas-LICENSE").read_text())
    print(f"{OUT / 'basemap.js'}: {len(features)} features, {len(text) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/naturalearth_world_atlas"))
