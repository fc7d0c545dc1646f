"""One-file delivery: a PMTiles or MBTiles archive of a pyramid, and TileJSON documents.

The PMTiles archive is written with the ``pmtiles`` package (tiles in tile-id order, so the
archive is clustered) for web maps (MapLibre, OpenLayers, ``pmtiles serve``); the MBTiles
archive (an SQLite file, MBTiles 1.3) for desktop GIS: GDAL's MBTiles driver (QGIS, and
GDAL's tools) reads raster MBTiles, while its PMTiles driver (GDAL 3.8 and later) reads
vector tiles only. TileJSON 3.0.0 describes a pyramid, an archive or a served layer.
"""

from __future__ import annotations

import errno
import html
import json
import math
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from prospect.config.tiles import TileLayerConfig
from prospect.io.files import disk_refusal, staged_file
from tiles.colormap import css_colour
from tiles.grids import no_wrap_bounds, pixel_edge_bounds
from tiles.metadata import LayerMeta, center_zoom, middle_lat, middle_lon

__all__ = [
    "CLASS_TABLE_MAX", "class_table", "listed_classes", "tilejson", "write_mbtiles",
    "write_pmtiles",
]

_TILE_TYPES = {"png": TileType.PNG, "webp": TileType.WEBP}


def _pyramid_tiles(root: Path, fmt: str) -> list[tuple[int, int, int, int, Path]]:
    found = []
    for zdir in root.iterdir():
        if not (zdir.is_dir() and zdir.name.isdigit()):
            continue
        z = int(zdir.name)
        for xdir in zdir.iterdir():
            if not (xdir.is_dir() and xdir.name.isdigit()):
                continue
            for f in xdir.glob(f"*.{fmt}"):
                if f.stem.isdigit():
                    x, y = int(xdir.name), int(f.stem)
                    found.append((zxy_to_tileid(z, x, y), z, x, y, f))
    found.sort()
    return found


def _archive_tiles(root: Path, fmt: str) -> tuple[list[tuple[int, int, int, int, Path]], int, int]:
    """The pyramid's tiles (:func:`_pyramid_tiles`) with the lowest and highest zoom they
    hold, for either archive; :class:`ValueError` when there are none."""
    tiles = _pyramid_tiles(root, fmt)
    if not tiles:
        raise ValueError(f"{root}: no .{fmt} tiles to archive")
    zooms = [t[1] for t in tiles]
    return tiles, min(zooms), max(zooms)


def _tile_size(tile: Path) -> int:
    """Pixels along the side of the (square) tile image ``tile``."""
    from PIL import Image

    with Image.open(tile) as img:
        return int(img.size[0])


def write_pmtiles(
    pyramid_dir: str | Path, path: str | Path, *, fmt: str = "png",
    bounds: tuple[float, float, float, float], metadata: dict[str, Any] | None = None,
) -> Path:
    """Pack the XYZ pyramid under ``pyramid_dir`` into one PMTiles v3 file, atomically.

    The header's zoom range is the zooms the archive holds and its centre zoom follows
    :func:`tiles.metadata.center_zoom`, as the TileJSON of the same pyramid does.

    Parameters
    ----------
    pyramid_dir
        Root holding ``{z}/{x}/{y}.{fmt}``.
    path
        The ``.pmtiles`` file to write.
    fmt
        Tile image format (``png`` or ``webp``).
    bounds
        Lon/lat ``(west, south, east, north)`` of the data; across the antimeridian
        (west > east) the header's longitudes are the whole row, -180 to 180: the spec's
        min and max longitude have no side of 180, and a reader that keeps tiles within
        min..max (a map library's tile bounds) found none between 178.4 and -179.6.
    metadata
        JSON metadata stored in the archive (e.g. the TileJSON and the legend range).
    """
    root, path = Path(pyramid_dir), Path(path)
    tiles, lo, hi = _archive_tiles(root, fmt)
    west, south, east, north = no_wrap_bounds(bounds)
    header = {
        "tile_type": _TILE_TYPES[fmt],
        "tile_compression": Compression.NONE,
        "min_zoom": lo,
        "max_zoom": hi,
        # outward to the 1e-7 degree grid: int() truncates toward 0, which put a negative
        # west or south bound (the Caribbean's longitudes) about 1 cm inside the data
        "min_lon_e7": math.floor(west * 1e7),
        "min_lat_e7": math.floor(south * 1e7),
        "max_lon_e7": math.ceil(east * 1e7),
        "max_lat_e7": math.ceil(north * 1e7),
        "center_zoom": center_zoom(lo, hi),
        "center_lon_e7": int(middle_lon(bounds) * 1e7),
        "center_lat_e7": int(middle_lat(bounds) * 1e7),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with staged_file(path) as tmp, open(tmp, "wb") as f:
        writer = Writer(f)
        for tile_id, _z, _x, _y, tile_path in tiles:
            writer.write_tile(tile_id, tile_path.read_bytes())
        writer.finalize(header, metadata or {})
    return path


def write_mbtiles(
    pyramid_dir: str | Path, path: str | Path, *, fmt: str = "png",
    bounds: tuple[float, float, float, float], name: str, description: str = "",
    attribution: str = "", metadata: dict[str, Any] | None = None,
) -> Path:
    """Pack the XYZ pyramid under ``pyramid_dir`` into one MBTiles 1.3 file, atomically.

    The ``metadata`` table holds what MBTiles 1.3 asks for: ``name`` and ``format`` (must),
    ``bounds``, ``center``, ``minzoom`` and ``maxzoom`` (should: the zooms the archive
    holds, its centre zoom as :func:`tiles.metadata.center_zoom`, the bounds on the lowest
    zoom's pixel edges), ``attribution``, ``description``, ``type`` (``overlay``) and
    ``version`` (a number, as MBTiles 1.3 says: it was ``1.0.0``); ``prospect`` keeps
    ``metadata`` (the layer's TileJSON, with its colour range and the synthetic flag) as
    JSON. Rows are TMS-numbered (``tile_row`` counted from the south), as the
    specification says: the pyramid's XYZ ``y`` is flipped.

    Parameters
    ----------
    pyramid_dir
        Root holding ``{z}/{x}/{y}.{fmt}``.
    path
        The ``.mbtiles`` file to write.
    fmt
        Tile image format (``png`` or ``webp``).
    bounds
        Lon/lat ``(west, south, east, north)`` of the data. The ``bounds`` row is them
        widened out to the edges of the lowest zoom's pixels
        (:func:`tiles.grids.pixel_edge_bounds`), where GDAL's MBTiles driver puts the
        raster's origin: bounds between two edges (the TileJSON's, the data's own) moved
        every pixel ``gdal_translate`` and QGIS read by up to half a pixel. Across the
        antimeridian the row is the whole row, -180 to 180
        (:func:`tiles.grids.no_wrap_bounds`: GDAL refused west > east as invalid and read
        the tiles' extent).
    name, description, attribution
        The layer's title, description and attribution.
    metadata
        JSON kept in the ``prospect`` row (e.g. the layer's TileJSON).
    """
    root, path = Path(pyramid_dir), Path(path)
    tiles, lo, hi = _archive_tiles(root, fmt)
    west, south, east, north = no_wrap_bounds(bounds)
    edges = pixel_edge_bounds((west, south, east, north), zoom=lo,
                              tile_size=_tile_size(tiles[0][-1]))
    rows = {
        "name": name, "format": fmt, "bounds": ",".join(map(repr, edges)),
        "center": f"{middle_lon(bounds)!r},{middle_lat(bounds)!r},{center_zoom(lo, hi)}",
        "minzoom": str(lo), "maxzoom": str(hi), "attribution": attribution,
        # MBTiles 1.3's version is a number (the tileset's revision), not TileJSON's semver
        "description": description, "type": "overlay", "version": "1",
        "prospect": json.dumps(metadata or {}, allow_nan=False),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with staged_file(path) as tmp:
        planned: list[int] = []  # the archive's bytes as SQLite laid it out, before commit
        try:
            _fill_mbtiles(tmp, rows, tiles, planned)
        except sqlite3.Error as exc:  # the disk is asked while the unfinished file is there
            need = max([sum(t[-1].stat().st_size for t in tiles), *planned])
            fault = _sqlite_disk_fault(exc, path, need)
            if fault is None:
                raise
            raise fault from exc
    return path


def _fill_mbtiles(tmp: Path, rows: dict[str, str],
                  tiles: list[tuple[int, int, int, int, Path]], planned: list[int]) -> None:
    """Write the MBTiles tables, the metadata ``rows`` and the ``tiles`` into ``tmp``;
    ``planned`` gets the file's size as SQLite laid it out, before the commit writes it (a
    failed commit is rolled back, the file cut back to nothing: its size says nothing)."""
    db = sqlite3.connect(tmp)
    try:
        with db:
            # "MPBX": MBTiles' application id in SQLite's register (magic.txt)
            db.execute("PRAGMA application_id = 0x4d504258")
            db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
            db.execute("CREATE UNIQUE INDEX name ON metadata (name)")
            db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                       "tile_row INTEGER, tile_data BLOB)")
            db.execute("CREATE UNIQUE INDEX tile_index ON tiles "
                       "(zoom_level, tile_column, tile_row)")
            db.executemany("INSERT INTO metadata VALUES (?, ?)", rows.items())
            db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", (
                (z, x, (1 << z) - 1 - y, sqlite3.Binary(f.read_bytes()))
                for _, z, x, y, f in tiles))
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            planned.append(int(pages) * int(db.execute("PRAGMA page_size").fetchone()[0]))
    finally:
        db.close()


_SQLITE_FULL, _SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_CANTOPEN = 13, 10, 8, 14
"""SQLite's primary result codes (``sqlite_errorcode & 0xff``) of a write the disk may
have refused."""
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS,
                          errno.EACCES, errno.EPERM})
_PROBE_MAX = 2**26
"""The most :func:`_sqlite_disk_fault` asks the disk for (64 MiB)."""


def _sqlite_disk_fault(exc: sqlite3.Error, target: Path, need: int) -> OSError | None:
    """The disk's error for SQLite's failed write of the MBTiles archive ``target``, as an
    :class:`OSError` naming it; ``None`` when the disk was not at fault.

    SQLite says "database or disk is full" or "disk I/O error" (a file-size limit, a
    quota, a failing disk) without an errno: the stage ended in "internal error:
    OperationalError: disk I/O error" (exit 70, "a bug in Prospect"), where a full disk
    under a PMTiles archive or a tile is told as the disk's, with what to do. A full
    database is ENOSPC. For the others:

    - the file-size limit (``ulimit -f``) is compared with the archive's size ``need``
      (its tiles' bytes, or SQLite's pages as laid out before the commit when more: a
      page per tile of 2-4 kB, and the index): an archive larger than the probe below met
      a limit the probe's smaller file passed, and was an internal error again;
    - the disk is asked for the archive's room (``need``, and SQLite's next pages; at
      most :data:`_PROBE_MAX`) in a hidden file beside it, removed at once, and its
      refusal is the error;
    - an I/O error the disk does not explain so (a failing disk, a network mount that
      dropped: the kernel's ``EIO``, which SQLite reports without it) is ``EIO`` naming the
      archive and what to do, never "a bug in Prospect".
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
    if primary not in (_SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return None
    limit = _file_size_limit()
    if limit is not None and need + _SQLITE_NEXT_WRITE > limit:
        return OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(target))
    refused = disk_refusal(target, min(need + _SQLITE_NEXT_WRITE, _PROBE_MAX), _DISK_ERRNOS)
    if refused is not None or primary != _SQLITE_IOERR:
        return refused
    return OSError(errno.EIO, "the disk reported an input/output error while the archive "
                              "was written (a failing disk, or a network mount that "
                              "dropped); check the disk (dmesg), then run the same command "
                              "again", str(target))


_SQLITE_NEXT_WRITE = 2**16
"""What SQLite may write at once past an archive's current end (its pages, up to 64 kB)."""


def _file_size_limit() -> int | None:
    """This process's soft file-size limit (``ulimit -f``) in bytes; ``None`` without one."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def tilejson(
    layer: TileLayerConfig, meta: LayerMeta, *, tiles_url: str, tile_size: int = 256,
    legend_url: str | None = None, tile_matrix_set: str = "WebMercatorQuad",
    classes: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for one raster layer.

    Zooms, centre, bounds, title, description, attribution and the synthetic flag come from
    ``meta`` (see :mod:`tiles.metadata`); the attribution, text in the config, is
    HTML-escaped (``&lt;``, ``&gt;``, ``&amp;``): TileJSON's readers may take it as HTML,
    and map libraries do; bounds across the antimeridian are the whole row,
    -180 to 180, as the specification asks (:func:`tiles.grids.no_wrap_bounds`). Besides the
    standard keys it carries ``prospect``: the colormap, the fixed value range, the units,
    the role (value or uncertainty), the licence and whether the data are synthetic (and
    for a class map coloured by the rank of its codes, ``colour_stops``: the codes placed
    evenly along the colormap, :func:`tiles.colormap.ramp_stops`; for one drawn in its
    own colour table's colours, ``class_colours``: ``"#rrggbb"`` or ``"#rrggbbaa"`` by
    code); for a
    grid other than Web Mercator also ``tileMatrixSet`` and ``crs`` (as TiTiler does).

    A class map's ``classes`` (code to name, :func:`tiles.metadata.layer_classes`) are
    its ``prospect.classes``: by code, the class's ``name`` (``""`` for a code its data
    name no class for) and the ``colour`` its tiles draw it in (``"#rrggbb"``, the
    legend's swatch: :func:`tiles.legend.class_colours`). The document (and the PMTiles
    and MBTiles metadata that keep it) held no class table: a partner given the archive
    alone could tell the classes apart by colour but name none, and read its codes only
    from the legend image. Past :data:`CLASS_TABLE_MAX` classes (an ID raster's codes)
    it lists those :func:`listed_classes` keeps, and ``prospect.classes_unlisted`` says
    how many it leaves out.
    """
    lo, hi = meta.zooms(tile_matrix_set)
    # TileJSON's bounds never wrap: across 180 the whole row (the centre stays on the data)
    west, south, east, north = no_wrap_bounds(meta.bounds)
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": layer.layer_name,
        "description": meta.description,
        "version": "1.0.0",
        # TileJSON lets readers take it as HTML and asks its writer to make sure it
        # cannot be abused for XSS (MapLibre, Leaflet and OpenLayers show it as HTML):
        # the config's text, escaped. "Survey <https://example.org> & partners" lost its
        # address in them, and an "<img onerror=...>" in it ran in a partner's web map
        "attribution": html.escape(meta.attribution, quote=False),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": lo,
        "maxzoom": hi,
        "bounds": [west, south, east, north],
        "center": meta.center_in(tile_matrix_set),
        "tileSize": tile_size,
        "prospect": {
            "variable": layer.variable,
            "title": meta.title,
            "colormap": layer.colormap,
            "vmin": layer.vmin,
            "vmax": layer.vmax,
            "units": meta.units,
            "role": layer.role,
            "synthetic": meta.synthetic,
            "licence": meta.licence,
        },
    }
    if layer.colour_stops is not None:  # a class map coloured by rank, not from vmin to vmax
        doc["prospect"]["colour_stops"] = list(layer.colour_stops)
    if layer.class_colours:  # drawn in its colour table's colours, not the colormap's
        doc["prospect"]["class_colours"] = {
            str(code): css_colour(rgba) for code, rgba in layer.class_colours}
    if classes:  # a class map: each code's name and colour, read without the legend
        listed = listed_classes(classes)
        doc["prospect"]["classes"] = class_table(layer, listed)
        if len(listed) < len(classes):  # an ID raster's codes: said, not listed
            doc["prospect"]["classes_unlisted"] = len(classes) - len(listed)
    if tile_matrix_set != "WebMercatorQuad":
        doc["tileMatrixSet"] = tile_matrix_set
        doc["crs"] = tile_matrix_set_crs(tile_matrix_set)
    if legend_url is not None:
        doc["prospect"]["legend"] = legend_url
    return doc


CLASS_TABLE_MAX = 1024
"""Most classes a TileJSON's ``prospect.classes`` lists (:func:`listed_classes`)."""


def listed_classes(classes: Mapping[int, str], *, most: int = CLASS_TABLE_MAX
                   ) -> dict[int, str]:
    """The classes of ``classes`` (code to name) that a TileJSON's ``prospect.classes``
    lists: all of them up to ``most``; past it every named class, then the unnamed codes
    in code order until ``most`` are listed. :func:`tilejson` gives the number left out
    as ``prospect.classes_unlisted``.

    A "categorical" ID raster (a parcel or polygon id per cell, of no names) has as many
    classes as the read that finds its codes holds, up to a million: each was written
    into the TileJSON, the PMTiles metadata and the MBTiles ``prospect`` row (1.1 MB for
    15 625 codes, tens of MB for a million: a document a web map loads whole before its
    first tile), of codes whose colours past the palette's 255 are shared and tell no
    class apart; the codes left out are still each cell's value (the viewer's click,
    ``/point``).
    """
    if len(classes) <= most:
        return dict(classes)
    named = [code for code in sorted(classes) if classes[code]]
    unnamed = [code for code in sorted(classes) if not classes[code]]
    kept = set(named) | set(unnamed[:max(0, most - len(named))])
    return {code: classes[code] for code in sorted(kept)}


def class_table(layer: TileLayerConfig, classes: Mapping[int, str]
                ) -> dict[str, dict[str, str]]:
    """Class map ``layer``'s ``classes`` (code to name) as TileJSON's ``prospect.classes``:
    by code (as text, in code order), ``{"name": ..., "colour": "#rrggbb"}``, the colour
    its tiles draw the code in (:func:`tiles.legend.class_colours`)."""
    from tiles.legend import class_colours

    codes = sorted(classes)
    colours = class_colours(layer, codes)
    return {str(code): {"name": classes[code], "colour": css_colour(rgba)}
            for code, rgba in zip(codes, colours, strict=True)}


def tile_matrix_set_crs(name: str) -> str:
    """``AUTHORITY:CODE`` of a tile matrix set's CRS: ``EPSG:28992``, ``OGC:CRS84`` (it said
    ``EPSG:None`` for a CRS without an EPSG code, WorldCRS84Quad's), or else its URI."""
    import pyproj

    from tiles.grids import tile_matrix_set

    crs = tile_matrix_set(name).crs
    found = pyproj.CRS.from_user_input(crs.srs).to_authority(min_confidence=100)
    return f"{found[0]}:{found[1]}" if found else str(crs.srs)
