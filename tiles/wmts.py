"""OGC WMTS 1.0.0 GetCapabilities (RESTful binding) for the served layers.

The TileMatrixSet is morecantile's WebMercatorQuad (identical to the well-known
GoogleMapsCompatible set); its scale denominators and origins come from morecantile, not
from hand-written constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from tiles.source import WEB_MERCATOR

__all__ = ["WmtsLayer", "capabilities_xml"]


@dataclass(frozen=True)
class WmtsLayer:
    """What the capabilities document says about one layer."""

    name: str
    title: str
    bounds: tuple[float, float, float, float]
    min_zoom: int
    max_zoom: int
    fmt: str = "png"


def _matrix_set(max_zoom: int, tile_size: int) -> str:
    parts = [
        "<TileMatrixSet>",
        "<ows:Identifier>WebMercatorQuad</ows:Identifier>",
        "<ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>",
        "<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>",
    ]
    for z in range(0, max_zoom + 1):
        m = WEB_MERCATOR.matrix(z)
        ox, oy = m.pointOfOrigin
        factor = m.tileWidth / tile_size
        parts.append(
            "<TileMatrix>"
            f"<ows:Identifier>{z}</ows:Identifier>"
            f"<ScaleDenominator>{m.scaleDenominator * factor!r}</ScaleDenominator>"
            f"<TopLeftCorner>{ox!r} {oy!r}</TopLeftCorner>"
            f"<TileWidth>{tile_size}</TileWidth><TileHeight>{tile_size}</TileHeight>"
            f"<MatrixWidth>{m.matrixWidth}</MatrixWidth>"
            f"<MatrixHeight>{m.matrixHeight}</MatrixHeight>"
            "</TileMatrix>"
        )
    parts.append("</TileMatrixSet>")
    return "".join(parts)


def capabilities_xml(
    layers: list[WmtsLayer], *, base_url: str, title: str, query: str = "",
    tile_size: int = 256,
) -> str:
    """The GetCapabilities document.

    Parameters
    ----------
    layers
        Layers the caller may read (others are not listed).
    base_url
        Server root, e.g. ``http://127.0.0.1:8080``.
    title
        Service title.
    query
        Query string appended to every tile URL template (e.g. ``key=...`` so that
        clients which cannot send headers, like GDAL, carry the agency key).
    tile_size
        Tile edge in pixels (256, or 512 for the ``@2x`` tiles).
    """
    suffix = "@2x" if tile_size == 512 else ""
    q = f"?{query}" if query else ""
    layer_xml = []
    max_zoom = max((layer.max_zoom for layer in layers), default=0)
    for layer in layers:
        west, south, east, north = layer.bounds
        template = (
            f"{base_url}/tiles/{layer.name}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}"
            f"{suffix}.{layer.fmt}{q}"
        )
        limits = []
        for z in range(layer.min_zoom, layer.max_zoom + 1):
            ul = WEB_MERCATOR.tile(west, north, z)
            lr = WEB_MERCATOR.tile(east - 1e-9, south + 1e-9, z)
            limits.append(
                f"<TileMatrixLimits><TileMatrix>{z}</TileMatrix>"
                f"<MinTileRow>{ul.y}</MinTileRow><MaxTileRow>{lr.y}</MaxTileRow>"
                f"<MinTileCol>{ul.x}</MinTileCol><MaxTileCol>{lr.x}</MaxTileCol>"
                "</TileMatrixLimits>"
            )
        layer_xml.append(
            "<Layer>"
            f"<ows:Title>{escape(layer.title)}</ows:Title>"
            f"<ows:Identifier>{escape(layer.name)}</ows:Identifier>"
            "<ows:WGS84BoundingBox crs=\"urn:ogc:def:crs:OGC:2:84\">"
            f"<ows:LowerCorner>{west!r} {south!r}</ows:LowerCorner>"
            f"<ows:UpperCorner>{east!r} {north!r}</ows:UpperCorner>"
            "</ows:WGS84BoundingBox>"
            "<Style isDefault=\"true\"><ows:Identifier>default</ows:Identifier></Style>"
            f"<Format>image/{layer.fmt}</Format>"
            "<TileMatrixSetLink><TileMatrixSet>WebMercatorQuad</TileMatrixSet>"
            f"<TileMatrixSetLimits>{''.join(limits)}</TileMatrixSetLimits>"
            "</TileMatrixSetLink>"
            f"<ResourceURL format=\"image/{layer.fmt}\" resourceType=\"tile\" "
            f"template={quoteattr(template)}/>"
            "</Layer>"
        )
    caps_url = f"{base_url}/wmts/1.0.0/WMTSCapabilities.xml{q}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Capabilities xmlns="http://www.opengis.net/wmts/1.0" '
        'xmlns:ows="http://www.opengis.net/ows/1.1" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.opengis.net/wmts/1.0 '
        'http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" '
        'version="1.0.0">'
        "<ows:ServiceIdentification>"
        f"<ows:Title>{escape(title)}</ows:Title>"
        "<ows:ServiceType>OGC WMTS</ows:ServiceType>"
        "<ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>"
        "</ows:ServiceIdentification>"
        f"<Contents>{''.join(layer_xml)}{_matrix_set(max_zoom, tile_size)}</Contents>"
        f"<ServiceMetadataURL xlink:href={quoteattr(caps_url)}/>"
        "</Capabilities>\n"
    )
