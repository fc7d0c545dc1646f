"""Region outlines: where a region's land is, from Natural Earth country polygons.

Each shipped region has an outline in ``configs/outlines/<region>.geojson``: the parts of
its Natural Earth 1:10m Admin-0 country polygon (v4.1.0, public domain, via the
world-atlas 2.0.2 package) that meet the region's extent, clipped to it, in WGS 84
longitude/latitude. The Caribbean islands Bonaire, Saba and Sint Eustatius are parts of
the ``Netherlands`` feature, so a naive bounding box of that feature spans the Atlantic:
:func:`clip_to_grid` keeps only the parts near the region.

The outline masks cells outside the country's land (the sea, and a neighbour's land
inside the region's rectangle): see :func:`land_mask` and
:class:`prospect.ingest.mask.LandMaskLayer`, and the viewer draws it from
:func:`outline_geojson`.
"""

from __future__ import annotations

import difflib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from rasterio.features import rasterize
from shapely.geometry import box, mapping, shape

from prospect.errors import ConfigError, CRSError, DataError, DataWarning, InputFileError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.io.files import write_text
from prospect.io.remote import NetworkReadError

__all__ = [
    "NATURAL_EARTH_CREDIT",
    "clip_to_grid",
    "land_mask",
    "list_outlines",
    "load_outline",
    "outline_dir",
    "outline_geojson",
    "outline_path",
    "read_outline",
    "shipped_outlines_said",
    "to_grid_crs",
    "write_outline",
]

NATURAL_EARTH_CREDIT = (
    "Made with Natural Earth (public domain), 1:10m Admin-0 countries v4.1.0, "
    "via world-atlas 2.0.2 (ISC)"
)


def outline_dir() -> Path:
    """Folder of the shipped outlines (``configs/outlines``)."""
    from prospect.config.job import config_dir

    return config_dir() / "outlines"


def list_outlines() -> list[str]:
    """Names of the shipped outlines (one per shipped region)."""
    return sorted(p.name.removesuffix(".geojson") for p in outline_dir().glob("*.geojson"))


def shipped_outlines_said() -> str:
    """The shipped outlines as a refusal of an unknown one lists them (``shipped outlines:
    aruba, bonaire, ...``), or, where none is shipped (a ``$PROSPECT_CONFIG_DIR`` without
    ``outlines/``), why (:func:`prospect.config.job.no_shipped`): it was "shipped
    outlines: ;"."""
    from prospect.config.job import no_shipped

    shipped = list_outlines()
    return f"shipped outlines: {', '.join(shipped)}" if shipped else no_shipped("outlines")


def outline_path(name: str) -> Path:
    """Path of the shipped outline ``name``.

    Raises
    ------
    ConfigError
        No outline of that name is shipped.
    """
    path = outline_dir() / f"{name}.geojson"
    if not path.is_file():
        raise ConfigError(
            f"no shipped outline {name!r}; {shipped_outlines_said()}; "
            "or give 'mask.path' (a vector file with the land polygons)"
        )
    return path


def load_outline(name_or_path: str | Path) -> shapely.Geometry:
    """The land polygon(s) of a shipped outline or of a GeoJSON file, in lon/lat.

    Parameters
    ----------
    name_or_path
        A shipped outline name (``"bonaire"``) or a path to a ``.geojson`` file.
    """
    text = str(name_or_path)
    path = _as_path(name_or_path) if text.endswith((".geojson", ".json")) \
        else outline_path(text)
    return read_outline(path)


def _as_path(path: str | Path) -> Path:
    """``path`` as a :class:`~pathlib.Path`; a GDAL name given as text
    (``/vsizip//abs/islands.zip/islands.gpkg``) as a
    :class:`~prospect.config.vsi.GdalPath`, which keeps it as written (``Path`` made it
    ``/vsizip/abs/...``, a name GDAL reads relative to the working folder: the outline
    was "cannot read as a vector file (corrupt?)")."""
    from prospect.config.vsi import GdalPath, is_gdal_name

    if isinstance(path, Path):
        return path
    return GdalPath(path) if is_gdal_name(path) else Path(path)


def read_outline(
    path: str | Path, *, layer: str | None = None, names: list[str] | None = None,
    name_column: str = "name",
) -> shapely.Geometry:
    """Union of the polygons of a vector file (GeoJSON, TopoJSON, GeoPackage...), in lon/lat.

    Parameters
    ----------
    path, layer
        The file and layer (``None``: the first). A file without a CRS (TopoJSON) is taken
        as WGS 84 longitude/latitude, as Natural Earth is.
    names
        Only features whose ``name_column`` is one of these (e.g. ``["Netherlands"]``).

    Raises
    ------
    InputFileError, DataError
        Unreadable file; no polygon (left) to use.
    """
    from prospect.config.vsi import archive_file
    from prospect.io.vector import (
        column_alias_hint,
        column_domain,
        described_hint,
        field_named,
        read_vector,
    )

    path = _as_path(path)  # a GdalPath keeps its name
    local = archive_file(str(path)) if str(path).startswith("/vsi") else str(path)
    # (a folder is a dataset too: a FileGDB, a folder of Shapefiles or of GeoParquet parts;
    # a FileGDB outline was "outline file not found")
    if local is not None and not Path(local).exists():
        from prospect.io.files import name_written_otherwise

        # ``Land.geojson`` for ``land.geojson``: the file beside it named, as a source's is
        otherwise = name_written_otherwise(local)
        raise InputFileError(f"{path}: outline file not found; check the path (a region's "
                             "'mask.path', or --outlines-from)" +
                             (f"; {otherwise}" if otherwise else ""))
    if local is not None and not _dataset_folder(Path(local)):
        raise InputFileError(f"{path}: a folder, not an outline file: give the outline's "
                             "vector file (a GeoJSON, a GeoPackage, a Shapefile...), or a "
                             "FileGDB folder (.gdb)")
    def named(table: Any) -> Any:
        """The features named in ``names``, picked before the file's geometries are repaired."""
        column = _column(table)
        if column is None:
            have = [str(c) for c in table.columns if c != table.geometry.name]
            near = [c for c in have if c.lower() == name_column.lower()] or \
                difflib.get_close_matches(name_column, have, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else \
                column_alias_hint(path, name_column, have, layer=layer) or \
                described_hint(table, name_column)  # an ArcGIS KML's description tables
            raise DataError(
                f"{path}: no column {name_column!r} to pick outlines by name; columns are "
                f"{have[:30]}{hint}: set 'mask.name_column'")
        return table[column].map(_as_name).isin(meant(column)).to_numpy()

    def meant(column: str) -> set[object]:
        """The names ``names`` asks for in ``column``: as written, and a code of the
        column's coded-value domain as the name it stands for (the column is read as the
        domain's names, as QGIS and ArcGIS show it: a GeoPackage's ``Bonaire`` coded
        ``1`` was "no feature named ['Bonaire']", only ``1`` was found)."""
        domain = column_domain(path, column, layer=layer)
        return wanted | {_composed(domain[str(n)]) for n in wanted if str(n) in domain}

    def _column(table: Any) -> str | None:
        """The column ``name_column`` names, also written in another Unicode form (a
        decomposed ``nommé`` in a file written on a Mac was "no column 'nommé' ... (did
        you mean 'nommé'?)", which no retyping fixes)."""
        return field_named([str(c) for c in table.columns if c != table.geometry.name],
                           name_column)

    # names compared as Unicode composes them: a name typed on a Mac (decomposed, 'c'
    # and a cedilla) is the config's 'Curaçao', which was "no feature named ['Curaçao']
    # ... did you mean 'Curaçao'?"
    wanted = {_composed(n) for n in names or []}
    _refuse_datum_guessed(path, layer)
    gdf = read_vector(path, layer=layer, to_crs="EPSG:4326",
                      keep=None if names is None else named,
                      crs=None if _has_crs(path, layer) else "EPSG:4326", domains=True)
    _warn_read(path, gdf)
    _refuse_not_lonlat(path, layer, gdf)
    if names is not None:
        column = _column(gdf) or name_column
        found = {_as_name(n) for n in gdf[column]}
        domain = column_domain(path, column, layer=layer) if column in gdf.columns else {}
        missing = sorted(n for n in set(names) if _composed(n) not in found and
                         _composed(domain.get(str(_composed(n)), n)) not in found)
        if missing:
            raise DataError(f"{path}: no feature named {missing} in column {name_column!r}"
                            + _names_meant(path, layer, column, missing))
    polys = _polygons(g for g in gdf.geometry if g is not None)
    _warn_not_polygons(path, gdf.geometry, found=bool(polys))
    # Natural Earth has a few self-touching rings (e.g. in the Mekong delta): repair first
    return shapely.union_all([shapely.make_valid(p) for p in polys])


def _refuse_not_lonlat(path: Path, layer: str | None, gdf: Any) -> None:
    """Refuse an outline whose coordinates, as longitude/latitude, are no place: written
    latitude before longitude (a GeoJSON against RFC 7946: Vietnam's y up to 109), or
    projected metres in a file that states no CRS (read as WGS 84). Either outline was
    read without a word, and masked every cell of the region as sea.

    Raises
    ------
    DataError
        Naming the coordinates and the fix for the file's format.
    """
    from prospect.io.points import swapped_axes_fix
    from prospect.io.vector import has_geometry

    present = gdf[has_geometry(gdf.geometry)]
    if not len(present):
        return
    west, south, east, north = (float(b) for b in present.total_bounds)
    if not all(np.isfinite([west, south, east, north])):
        return
    if max(abs(south), abs(north)) <= 90 and west >= -180 and east <= 360:
        return
    where = (f"{path}: the outline's coordinates (x {west:.10g} to {east:.10g}, y "
             f"{south:.10g} to {north:.10g}) are no longitude/latitude")
    if max(abs(west), abs(east)) <= 90 and max(abs(south), abs(north)) <= 180:
        raise DataError(f"{where}, but would be with x and y swapped: "
                        + swapped_axes_fix(path, layer=layer))
    from prospect.io.vector import geojson_crs_link, metre_crs_example

    link = geojson_crs_link(path) if not str(path).startswith("/vsi") else ""
    why = (f"its 'crs' member links to {link} (GeoJSON 2008), which GDAL does not follow: "
           "it is read as WGS 84" if link else
           "a GeoJSON without a 'crs' member is read as WGS 84, RFC 7946")
    raise DataError(
        f"{where}, yet the file states no other CRS ({why}): projected metres; write the "
        "file with the CRS they are "
        f"in (ogr2ogr -a_srs <CRS> outline.gpkg {Path(str(path)).name}; <CRS>: "
        f"{metre_crs_example((west, south, east, north))}) and give that file")


def _names_meant(path: Path, layer: str | None, column: str, missing: list[str]) -> str:
    """``"; did you mean 'Curaçao'?"``: the names of the layer nearest to those not found
    (an accent, letter case or a spelling away), read without geometries; ``""`` if none."""
    from prospect.io.vector import read_attribute

    try:
        names = sorted({n for n in read_attribute(path, column, layer=layer, domains=True)
                        if n})
    except Exception:  # the error above stands on its own
        return ""
    plain = {_fold(n): n for n in names}
    meant = []
    for name in missing:
        near = [plain[_fold(name)]] if _fold(name) in plain else [
            plain[m] for m in difflib.get_close_matches(_fold(name), list(plain), n=1,
                                                        cutoff=0.75)]
        meant += [f"{near[0]!r} for {name!r}" for _ in near[:1]]
    return (f"; did you mean {', '.join(meant)}? ('mask.names' must match exactly)"
            if meant else "")


def _composed(name: object) -> object:
    """A name in Unicode's composed form (NFC), without blanks before or after it (a
    GeoPackage joined from a spreadsheet keeps ``'Bonaire '``, which was "no feature named
    ['Bonaire'] ... did you mean 'Bonaire ' for 'Bonaire'?"); anything else as it is."""
    import unicodedata

    return unicodedata.normalize("NFC", name).strip() if isinstance(name, str) else name


def _as_name(value: object) -> object:
    """A feature's value of the name column as a ``mask.names`` entry reads: text in
    Unicode's composed form, a number as written (``3`` of an integer or a float column,
    ``7.5``: :func:`prospect.io.vector.unit_name`). An ID column's 3 was no ``'3'``:
    "no feature named ['3'] ... did you mean '3' for '3'?", which no config could meet
    (the config takes text, YAML's unquoted 3 is refused as a number)."""
    from prospect.io.vector import unit_name

    if isinstance(value, str):
        return _composed(value)
    return unit_name(value) or None  # (a null names nothing)


def _fold(name: str) -> str:
    """A name without accents or letter case (``Curaçao``: ``curacao``)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _warn_read(path: Path, gdf: Any) -> None:
    """Data warnings of what the reader repaired: rings it closed, UTF-8 text it re-read,
    invalid polygons it made valid (a hole outside its polygon is land), 3D surfaces it
    read as their footprints."""
    from prospect.io.vector import (
        gdal_said_message,
        recoded_message,
        repaired_message,
        surfaces_message,
    )

    if gdf.attrs.get("surfaces"):  # (3D surfaces read as their footprints in plan)
        warnings.warn(DataWarning(surfaces_message(path, None, gdf.attrs["surfaces"])),
                      stacklevel=3)
    repaired = repaired_message(path, gdf, "outline")
    if repaired:
        warnings.warn(DataWarning(repaired), stacklevel=3)

    if gdf.attrs.get("closed"):
        warnings.warn(DataWarning(
            f"{path}: {gdf.attrs['closed']} outline feature(s) have rings whose last point is "
            "not their first (not closed); each ring is closed back to its first point: "
            "check them"),
            stacklevel=3)
    if gdf.attrs.get("recoded"):
        warnings.warn(DataWarning(recoded_message(path, gdf.attrs["recoded"])), stacklevel=3)
    said = gdal_said_message(path, None, gdf.attrs.get("gdal", {}))
    if said:
        warnings.warn(DataWarning(said), stacklevel=3)


def _warn_not_polygons(path: Path, geoms: Any, *, found: bool) -> None:
    """Refuse an outline without a polygon, naming what it holds instead (a coastline of
    lines: polygonize it); warn of the features with no polygonal part beside polygons,
    which are left out of the land (they were, without a word).

    Raises
    ------
    DataError
        The layer holds no polygon.
    """
    arr = np.asarray(geoms.to_numpy(), dtype=object)
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    area = np.zeros(len(arr), dtype=bool)
    area[present] = [bool(_polygons([g])) for g in arr[present]]
    other = present & ~area
    kinds = sorted({str(g.geom_type) for g in arr[other]})
    if not found:
        lines = any("Line" in k for k in kinds)
        raise DataError(
            f"{path}: no polygon features"
            + (f" ({int(other.sum())} feature(s) of {', '.join(kinds)})" if kinds else "")
            + "; an outline needs land polygons"
            + ("; a coastline of lines can be closed into polygons (QGIS: Polygonize, "
               "or ogr2ogr -nlt POLYGON from closed rings)" if lines else ""))
    if other.any():
        at = np.flatnonzero(other) + 1
        shown = ", ".join(map(str, at[:8])) + (", ..." if at.size > 8 else "")
        warnings.warn(DataWarning(
            f"{path}: {int(other.sum())} of {len(arr)} outline feature(s) are no polygon "
            f"({', '.join(kinds)}: features {shown}, numbered from 1 in file order) and are "
            "left out of the land; only polygons mark land: delete them, or draw them as "
            "polygons"), stacklevel=3)


def _polygons(geoms: Any) -> list[shapely.Geometry]:
    """The polygonal parts of geometries (a repaired ring can come back as a collection)."""
    out: list[shapely.Geometry] = []
    for g in geoms:
        for part in shapely.get_parts(g):
            if part.geom_type == "Polygon":
                out.append(part)
            elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
                out.extend(_polygons([part]))
    return out


def _dataset_folder(path: Path) -> bool:
    """Whether ``path`` is a file, or a folder GDAL reads as one vector dataset: a FileGDB
    (its ``.gdbtable`` files), Shapefiles or GeoParquet parts in it."""
    from prospect.io.vector import zip_datasets

    if not path.is_dir():
        return True
    names = tuple(p.name for p in path.iterdir() if p.is_file())
    return any(n.lower().endswith(".gdbtable") for n in names) or bool(zip_datasets(names))


def _refuse_datum_guessed(path: Path, layer: str | None) -> None:
    """Refuse an outline whose CRS names an ellipsoid but no datum (a ``.prj`` or PROJ
    string without ``+towgs84``: RD New as older software writes it, ``+proj=sterea ...
    +ellps=bessel``). The outline is read into WGS 84 longitude/latitude, and PROJ's shift
    from such a CRS is a "ballpark" one of nothing: the land moved 20 to 100 m and more
    (three cells of 10 m on an RD New region: PROJ's real shift back from WGS 84), and the
    mask with it, without a word. A vector source's map is refused the same way
    (:func:`prospect.grid.check_transformable`). An ellipsoid of WGS 84's size (GRS 1980:
    ETRS89, NAD83 or GDA2020 written without their datum) is read as before: those datums
    lie within 2 m of WGS 84.

    Raises
    ------
    CRSError
        Naming the file, its ellipsoid, the EPSG CRSs that fit it and the fix.
    """
    from pyproj import CRS as ProjCRS

    from prospect.grid import datum_guessed, parse_crs
    from prospect.io.vector import layer_info

    try:
        own = layer_info(path, layer=layer).get("crs")
        crs = parse_crs(own) if own is not None else None
    except NetworkReadError:  # not waited out again by each later look
        raise
    except Exception:  # read_vector reports unreadable files and CRSs with a clear message
        return
    if crs is None or datum_guessed(crs, ProjCRS.from_epsg(4326)) is None:
        return
    found = sorted({f"EPSG:{m.code}" for m in crs.list_authority(min_confidence=70)
                    if m.auth_name == "EPSG"})
    code = found[0] if len(found) == 1 else "<code>"
    ellipsoid = crs.ellipsoid.name if crs.ellipsoid is not None else "its own"
    raise CRSError(
        f"{path}: the outline's CRS has an ellipsoid ({ellipsoid}) but no datum (no "
        "+towgs84 or +datum in its .prj or PROJ string)"
        + (f" (EPSG CRSs that fit it: {', '.join(found[:4])})" if found else "")
        + ", so PROJ can only guess the datum shift to WGS 84 longitude/latitude: a "
        "'ballpark' shift of nothing, which places the land 100 m or more off; write the "
        f"outline with its real CRS (ogr2ogr -a_srs {code} land.gpkg "
        f"{Path(str(path)).name}) and give that file")


def _has_crs(path: Path, layer: str | None) -> bool:
    """Whether the outline's layer states a CRS (read as the vector reader opens it: a
    ``.zip`` at the file inside it)."""
    from prospect.io.vector import layer_info

    try:
        return layer_info(path, layer=layer).get("crs") is not None
    except NetworkReadError:  # not waited out again by the read
        raise
    except Exception:  # read_vector reports unreadable files with a clear message
        return True


def clip_to_grid(outline: shapely.Geometry, grid: RegionGrid, *,
                 margin: float = 0.02) -> shapely.Geometry:
    """The parts of a lon/lat ``outline`` that meet ``grid``, clipped to its extent.

    ``margin`` (a share of the extent on each side) keeps the coast just outside the grid
    so that cells on the edge rasterise correctly.
    """
    west, south, east, north = grid.lonlat_bounds()
    dx, dy = (east - west) * margin, (north - south) * margin
    frame = box(west - dx, south - dy, east + dx, north + dy)
    parts = [p for p in (_beside(part, frame) for part in shapely.get_parts(outline))
             if p is not None]
    if not parts:
        return shapely.Polygon()
    return shapely.intersection(shapely.union_all(parts), frame)


def _beside(part: shapely.Geometry, frame: shapely.Geometry) -> shapely.Geometry | None:
    """``part`` where it meets the lon/lat ``frame``: as it is, or a turn of the Earth
    (360 degrees) west or east (an outline in longitudes 0..360, as climate models and
    Pacific maps write them, of a region west of Greenwich: it was "no land in the
    region"); ``None`` where it meets it neither way."""
    if part.intersects(frame):
        return part
    west, _, east, _ = part.bounds
    left, _, right, _ = frame.bounds
    for turn in (-360.0, 360.0):
        if west + turn > right or east + turn < left:  # (its box misses the frame's)
            continue
        moved = shapely.affinity.translate(part, xoff=turn)
        if moved.intersects(frame):
            return moved
    return None


def to_grid_crs(outline: shapely.Geometry, grid: RegionGrid) -> shapely.Geometry:
    """A lon/lat geometry reprojected to the grid's CRS, each edge as drawn in lon/lat (a
    licence block's edge along a parallel is a curve in UTM, not the chord between its
    corners: :func:`prospect.io.vector.reproject_geometry`)."""
    from prospect.io.vector import reproject_geometry

    return reproject_geometry(outline, "EPSG:4326", grid.crs_obj)


def land_mask(outline_xy: shapely.Geometry, grid: RegionGrid,
              window: ChunkWindow | None = None) -> np.ndarray:
    """Boolean land mask of ``grid`` (or one chunk): True where a cell's centre is inside.

    Parameters
    ----------
    outline_xy
        The land polygons in the grid's CRS (see :func:`to_grid_crs`).
    window
        One chunk (``None``: the whole grid).
    """
    if window is None:
        shape, transform = grid.shape, grid.transform
    else:
        shape, transform = window.shape, grid.window_transform(window)
    if outline_xy.is_empty:
        return np.zeros(shape, dtype=bool)
    from prospect.io.vector import burnable  # (a mapping: shapely's is made a vertex at a time)

    out = rasterize([(burnable(outline_xy), 1)], out_shape=shape, transform=transform, fill=0,
                    dtype="uint8", all_touched=False)
    return out.astype(bool)


def outline_geojson(outline: shapely.Geometry, *, name: str = "outline",
                    precision: int = 5) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (lon/lat) of ``outline`` for a map viewer.

    Coordinates are rounded to ``precision`` decimals (5: about a metre).
    """
    geom = shapely.set_precision(outline, 10.0**-precision) if precision else outline
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": name,
                                                        "source": NATURAL_EARTH_CREDIT},
                      "geometry": mapping(geom)}],
    }


def write_outline(path: str | Path, outline: shapely.Geometry, *, name: str) -> Path:
    """Write ``outline`` as GeoJSON to ``path`` (the format of the shipped outlines)."""
    return write_text(path, json.dumps(outline_geojson(outline, name=name)) + "\n")


def geometry_from_geojson(data: dict[str, Any]) -> shapely.Geometry:
    """Union of the geometries of a GeoJSON FeatureCollection."""
    return shapely.union_all([shape(f["geometry"]) for f in data.get("features", [])])
