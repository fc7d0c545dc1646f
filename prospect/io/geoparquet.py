"""GeoParquet (1.0, 1.1) and plain Parquet tables, read with pyarrow and shapely.

The GDAL that pyogrio carries has no Parquet driver: a GeoParquet file of occurrences or
geology was "not recognized as being in a supported file format". This module reads one
as the GeoParquet specification says:

* the file's ``geo`` key (JSON) names the ``primary_column`` and, per geometry column, its
  ``encoding`` (``WKB``, or 1.1's GeoArrow ``point``, ``polygon``...) and ``crs``: PROJJSON;
  absent, OGC:CRS84 (longitude, latitude); ``null``, unknown (the config's ``crs`` is
  then needed, as for a Shapefile without ``.prj``);
* a ``covering`` ``bbox`` column (1.1) is a per-row box: a ``bbox`` query reads only the
  rows whose box meets it, a box that does not hold its row's geometry is refused (the
  file was edited or written wrong), and the box column is no attribute;
* a Parquet file without ``geo`` is a table of attributes (no vector layer): a points
  source reads it by its ``x``/``y`` columns, as a CSV.

A file is one layer, named by its stem. :func:`is_parquet` tells one by its suffix or its
leading bytes (``PAR1``). A file inside a zip (``/vsizip/a.zip/pts.parquet``, or a ``.zip``
whose one vector file it is) is read from the archive: Parquet is read by seeking, so the
member is unpacked into memory (at most :data:`UNPACKED_BYTES_MAX`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import struct
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from prospect.errors import CRSError, DataError, DataWarning, InputFileError
from prospect.io.files import zip_unreadable

__all__ = ["PARQUET_SUFFIXES", "geo_metadata", "is_parquet", "linear_geometry",
           "other_geometry_hint", "parquet_info", "parquet_parts", "plain_parquet_fix",
           "read_parquet", "wkb_hint"]

PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")
"""Names of (Geo)Parquet files."""
_MAGIC = b"PAR1"
_NATIVE = {"point": "Point", "linestring": "LineString", "polygon": "Polygon",
           "multipoint": "MultiPoint", "multilinestring": "MultiLineString",
           "multipolygon": "MultiPolygon"}
"""GeoParquet 1.1's GeoArrow encodings and the geometry type each holds."""


UNPACKED_BYTES_MAX = 2**31
"""Most bytes a zipped (Geo)Parquet file may unpack to (it is read in memory)."""


def _zip_member(path: Path | str) -> tuple[Path, str] | None:
    """``(archive, member)`` of a GDAL name of a (Geo)Parquet file in a local zip
    (``/vsizip//abs/a.zip/data/pts.parquet``), ``None`` for any other name."""
    from prospect.config.vsi import archive_file

    text = str(path)
    if not text.lower().startswith("/vsizip/"):
        return None
    archive = archive_file(text)
    if archive is None:
        return None
    member = text.split(archive, 1)[-1].strip("/")
    if Path(member).suffix.lower() not in PARQUET_SUFFIXES:
        return None
    return Path(archive), member


@functools.lru_cache(maxsize=2)
def _member_bytes(archive: str, member: str, _version: tuple[int, int]) -> bytes:
    """A zip member's bytes (cached while the archive's mtime and size stay)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(member)
            if info.file_size > UNPACKED_BYTES_MAX:
                raise InputFileError(
                    f"{archive}: {member} unpacks to {info.file_size / 2**30:.1f} GiB, more "
                    f"than {UNPACKED_BYTES_MAX // 2**30} GiB read in memory: extract it and "
                    "give the file itself")
            if (why := zip_unreadable(archive, [member])) is not None:
                raise InputFileError(f"{archive}: {why}")  # encrypted, or of bzip2
            with zf.open(info) as fh:
                return fh.read()
    except KeyError:
        names: list[str] = []
        with contextlib.suppress(Exception), zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
        raise InputFileError(f"{archive}: the archive holds no file {member!r}; its "
                             f"files: {', '.join(names[:8]) or 'none'}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise InputFileError(
            f"{archive}: cannot unpack {member} ({getattr(exc, 'strerror', None) or exc}): "
            "the zip archive is damaged or cut short (a download that did not finish?); "
            "download or copy it again, or give the file unpacked") from None


def _named(path: Path | str) -> Path | str:
    """``path`` as this module names it: a GDAL name kept as written (``Path`` folds the
    ``//`` of ``/vsizip//abs/a.zip``), any other as a :class:`~pathlib.Path`."""
    text = str(path)
    return text if text.startswith("/vsi") else Path(text)


def _is_dir(path: Path | str) -> bool:
    return isinstance(path, Path) and not str(path).startswith("/vsi") and path.is_dir()


def _opened(path: Path | str) -> Any:
    """What pyarrow reads for ``path``: the file, or a zipped file's bytes in memory."""
    zipped = _zip_member(path)
    if zipped is None:
        return path
    import pyarrow as pa

    archive, member = zipped
    try:
        st = archive.stat()
    except OSError as exc:
        raise InputFileError(f"{archive}: cannot read the archive ({exc.strerror or exc})"
                             ) from None
    return pa.BufferReader(_member_bytes(str(archive), member, (st.st_mtime_ns, st.st_size)))


def is_parquet(path: Path | str) -> bool:
    """Whether ``path`` is a local (Geo)Parquet file: its suffix
    (:data:`PARQUET_SUFFIXES`), or a file starting with Parquet's ``PAR1``; or such a file
    in a local zip, by GDAL's name (``/vsizip//abs/a.zip/pts.parquet``)."""
    text = str(path)
    if text.startswith("/vsi"):
        return _zip_member(text) is not None
    local = Path(text)
    if local.is_dir():
        return bool(_parts(local))
    if local.suffix.lower() in PARQUET_SUFFIXES:
        return True
    if not local.is_file():  # a FIFO or device would block the read below; not Parquet
        return False
    try:
        with local.open("rb") as fh:
            return fh.read(4) == _MAGIC
    except OSError:
        return False


def _parts(folder: Path) -> list[Path]:
    """The Parquet files of a partitioned dataset (a folder of ``part-0.parquet``...,
    also in Hive's ``key=value`` folders, as Spark, Dask and DuckDB write one), in name
    order; ``[]`` when the folder holds other files too, or none."""
    try:
        files = sorted(p for p in folder.rglob("*") if p.is_file()
                       and not p.name.startswith((".", "_")))
    except OSError:
        return []
    if not files or any(p.suffix.lower() not in PARQUET_SUFFIXES for p in files):
        return []
    return files


def parquet_parts(folder: Path) -> tuple[str, ...]:
    """The files of a partitioned (Geo)Parquet dataset, for its checksums: a part
    rewritten changes no byte of the folder itself."""
    return tuple(str(p) for p in _parts(folder))


def _dataset(path: Path) -> Any:
    """A pyarrow dataset of a file or a partitioned folder (Hive's ``key=value`` folder
    names become columns). A folder's columns are of the type all its parts' types
    promote to (whole numbers in one part and decimals in another: decimals); pyarrow
    takes the first part's and casts the others to it, so a part of ``2.5`` beside a part
    of ``1`` was "a damaged file or a copy cut short"."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        if _is_dir(path):
            promoted = _promoted_schema(path)
            schema = pa.schema([promoted.field(f.name) if f.name in promoted.names else f
                                for f in dataset.schema], metadata=dataset.schema.metadata)
            if not schema.equals(dataset.schema):
                dataset = ds.dataset(path, format="parquet", partitioning="hive",
                                     schema=schema)
        return dataset
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow's ArrowInvalid, OSError: a damaged file
        raise InputFileError(
            f"{path}: cannot read as Parquet ({str(exc).splitlines()[0][:160]}): a damaged "
            "file or a copy cut short; copy or export it again") from None


def _part_schemas(folder: Path) -> list[tuple[Path, Any]]:
    """Each part of a partitioned dataset with its Arrow schema."""
    pq = _pq()
    out = []
    for part in _parts(folder):
        try:
            out.append((part, pq.read_schema(part)))
        except Exception:
            raise InputFileError(f"{part}: cannot read as Parquet: a damaged file or a copy "
                                 "cut short; copy or export it again") from None
    return out


def _promoted_schema(folder: Path) -> Any:
    """The schema every part's columns promote to (pyarrow's permissive promotion: whole
    numbers and decimals to decimals, ``null`` to any type).

    Raises
    ------
    InputFileError
        A column is of types that do not promote to one (text in one part, numbers in
        another), naming the column and two parts: read as one, pyarrow cast one part's
        values to the other's type (a code ``01`` read as the number 1) or failed.
    """
    import pyarrow as pa

    schemas = _part_schemas(folder)
    seen: dict[str, tuple[Any, Path]] = {}
    for part, schema in schemas:
        for field in schema:
            if field.name not in seen:
                seen[field.name] = (field.type, part)
                continue
            first, where = seen[field.name]
            try:
                pa.unify_schemas([pa.schema([(field.name, first)]),
                                  pa.schema([(field.name, field.type)])],
                                 promote_options="permissive")
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                raise InputFileError(
                    f"{folder}: its parts hold column {field.name!r} as values of different "
                    f"kinds ({first} in {where.name}, {field.type} in {part.name}), so they "
                    "cannot be read as one layer (one part's values would be cast to the "
                    "other's kind: a code '01' read as 1, or refused): write the column of "
                    "one type in every part, or give the parts as separate sources"
                ) from None
    return pa.unify_schemas([schema.remove_metadata() for _, schema in schemas],
                            promote_options="permissive")


def _pq() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - a dependency; said for a partial install
        raise InputFileError("reading (Geo)Parquet needs pyarrow: pip install pyarrow"
                             ) from None
    return pq


def _same_geo(folder: Path) -> None:
    """Refuse a partitioned dataset whose parts state different GeoParquet metadata
    (another CRS, another geometry column): read as one, some parts would be misplaced."""
    pq = _pq()
    seen: dict[bytes | None, Path] = {}
    for part in _parts(folder):
        try:
            raw = (pq.read_schema(part).metadata or {}).get(b"geo")
        except Exception:
            raise InputFileError(f"{part}: cannot read as Parquet: a damaged file or a copy "
                                 "cut short; copy or export it again") from None
        key = None
        if raw is not None:
            with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
                geo = json.loads(raw)
                primary = geo.get("primary_column")
                meta = geo["columns"][primary]
                key = json.dumps([primary, meta.get("encoding"), meta.get("crs", "CRS84")],
                                 sort_keys=True).encode()
            key = key or raw
        seen.setdefault(key, part)
    if len(seen) > 1:
        first, other = list(seen.values())[:2]
        raise InputFileError(
            f"{folder}: its parts state different GeoParquet metadata ({first.name} and "
            f"{other.name}: another CRS, geometry column or encoding, or none), so they "
            "cannot be read as one layer: write the parts again alike, or give them as "
            "separate sources")


def _schema(path: Path | str) -> Any:
    """The file's (or partitioned folder's) Arrow schema, with its key-value metadata."""
    if isinstance(path, Path) and _is_dir(path):
        parts = _parts(path)
        schema = _dataset(path).schema
        if parts and schema.metadata is None:  # the first part's metadata says the layout
            schema = schema.with_metadata(_pq().read_schema(parts[0]).metadata or {})
        return schema
    pq = _pq()
    try:
        return pq.read_schema(_opened(path))
    except InputFileError:
        raise
    except OSError as exc:
        empty = isinstance(path, Path) and path.is_file() and not path.stat().st_size
        raise InputFileError(
            f"{path}: {'the file is empty (0 bytes)' if empty else 'cannot read as Parquet'}"
            f" ({str(exc).splitlines()[0][:160]}): a download or copy that did not finish, or "
            "no Parquet file; copy or export it again") from None
    except Exception as exc:  # pyarrow's ArrowInvalid and kin: a damaged file
        raise InputFileError(
            f"{path}: cannot read as Parquet ({str(exc).splitlines()[0][:160]}): a damaged "
            "file or a copy cut short; copy or export it again") from None


def geo_metadata(path: Path | str) -> dict[str, Any] | None:
    """The checked ``geo`` metadata of a Parquet file, ``None`` when it has none.

    Raises
    ------
    InputFileError
        The ``geo`` value is no JSON, or names no geometry column the file holds, or an
        encoding GeoParquet does not define.
    """
    path = _named(path)
    schema = _schema(path)
    if isinstance(path, Path) and _is_dir(path):
        _same_geo(path)
    raw = (schema.metadata or {}).get(b"geo")
    if raw is None:
        return None
    where = f"{path}: its GeoParquet metadata ('geo')"
    try:
        geo = json.loads(raw)
    except ValueError as exc:
        raise InputFileError(f"{where} is no JSON ({exc}); write the file again "
                             "(e.g. geopandas' to_parquet, ogr2ogr -f Parquet)") from None
    if not isinstance(geo, dict) or not isinstance(geo.get("columns"), dict) or \
            not geo["columns"]:
        raise InputFileError(f"{where} names no geometry columns ('columns'); write the "
                             "file again as GeoParquet")
    primary = geo.get("primary_column") or next(iter(geo["columns"]))
    if primary not in geo["columns"]:
        raise InputFileError(f"{where} names primary_column {primary!r}, which its "
                             f"'columns' do not describe ({list(geo['columns'])})")
    names = schema.names
    for name, meta in geo["columns"].items():
        if name not in names:
            raise InputFileError(f"{where} describes geometry column {name!r}, which the "
                                 f"file does not hold (columns: {names[:20]}); write it "
                                 "again")
        encoding = str((meta or {}).get("encoding", "")).lower()
        if encoding != "wkb" and encoding not in _NATIVE:
            raise InputFileError(
                f"{where}: column {name!r} has encoding {meta.get('encoding')!r}; "
                "GeoParquet defines WKB and the GeoArrow encodings point, linestring, "
                "polygon, multipoint, multilinestring, multipolygon: write it as WKB")
    geo["primary_column"] = primary
    return geo


def _ewkb_srid(path: Path | str, name: str, meta: dict[str, Any]) -> int:
    """The SRID the first WKB geometries of column ``name`` state (EWKB, as PostGIS's
    ``ST_AsEWKB`` and DuckDB exports of PostGIS tables write them), where they agree;
    0 for none, another encoding, or a read that fails (the reader says that)."""
    if str(meta.get("encoding", "")).lower() != "wkb" or _is_dir(path):
        return 0
    try:
        batch = next(_pq().ParquetFile(_opened(path)).iter_batches(batch_size=64,
                                                                     columns=[name]))
        values = [v for v in batch.column(0).to_pylist() if v is not None]
        srids = {int(s) for s in shapely.get_srid(shapely.from_wkb(values))} if values \
            else set()
    except Exception:
        return 0
    return srids.pop() if len(srids) == 1 else 0


def _crs(meta: dict[str, Any], path: Path | str, name: str | None = None) -> Any:
    """The CRS of a geometry column's metadata: absent is OGC:CRS84, ``null`` none.

    Absent, and the column's WKB states one SRID of another CRS (EWKB: ``SRID=32619``),
    that CRS, warned: GeoParquet's OGC:CRS84 took a PostGIS export of UTM metres for
    degrees ("no feature ... lies in the region", the fix a CRS to find), though every
    geometry names its own."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    if "crs" not in meta:
        srid = _ewkb_srid(path, name, meta) if name is not None else 0
        if srid not in (0, 4326):
            with contextlib.suppress(ProjError):
                stated = CRS.from_epsg(srid)
                warnings.warn(DataWarning(
                    f"{path}: its GeoParquet metadata states no 'crs' (OGC:CRS84 by the "
                    f"specification), but its geometries state SRID {srid} (EWKB); read "
                    f"as EPSG:{srid} ({stated.name}): give 'crs:' in the source config "
                    "if they are in another, and write the file with its crs"),
                    stacklevel=3)
                return stated
        return CRS.from_user_input("OGC:CRS84")
    said = meta["crs"]
    if said is None:
        return None
    try:
        return CRS.from_json_dict(said) if isinstance(said, dict) else \
            CRS.from_user_input(said)
    except (ProjError, TypeError, ValueError) as exc:
        from prospect.io.vector import crs_example  # (vector reads GeoParquet through here)

        raise CRSError(f"{path}: its GeoParquet 'crs' is no CRS PROJ reads ({exc}); give the "
                       f"CRS with 'crs:' in the source config {crs_example(meta.get('bbox'))}"
                       ) from None


def _covering(meta: dict[str, Any]) -> dict[str, tuple[str, str]] | None:
    """``{"xmin": (column, field), ...}`` of a column's covering bbox, or ``None``."""
    box = (meta.get("covering") or {}).get("bbox")
    if not isinstance(box, dict):
        return None
    try:
        return {k: (str(box[k][0]), str(box[k][1])) for k in ("xmin", "ymin", "xmax", "ymax")}
    except (KeyError, IndexError, TypeError):
        return None


def other_geometry_hint(path: Path | str) -> str:
    """``"; its geometry ... is 'centroid' ... beside 'geometry'"``: the GeoParquet's other
    geometry columns, for a refusal of the primary column's kind (a file of unit polygons
    whose ``primary_column`` is their centroids was "holds ['Point'] ..., no polygons"
    alone); ``""`` for any other file or where it has none."""
    with contextlib.suppress(Exception):  # a help to a refusal, never a second failure
        if is_parquet(path):
            geo = geo_metadata(path)
            if geo is not None:
                primary = geo["primary_column"]
                others = [str(c) for c in geo["columns"] if c != primary]
                if others:
                    return (f"; the GeoParquet's geometry read is its primary_column "
                            f"{primary!r}, beside {others}: write the file with the one "
                            "meant as its geometry (geopandas: gdf.set_geometry(...)"
                            ".to_parquet(...))")
    return ""


def parquet_info(path: Path | str) -> dict[str, Any]:
    """pyogrio's ``read_info`` of a (Geo)Parquet file: ``crs`` (WKT, or ``None``),
    ``fields``, ``geometry_type`` (``None`` for a plain Parquet table), ``features``,
    ``total_bounds`` (from the metadata's ``bbox``, else ``None``), ``geometry_name``."""
    path = _named(path)
    schema = _schema(path)
    geo = geo_metadata(path)
    pq = _pq()
    try:
        features = _dataset(path).count_rows() if isinstance(path, Path) and _is_dir(path) \
            else pq.ParquetFile(_opened(path)).metadata.num_rows
    except Exception:
        features = None
    if geo is None:
        return {"crs": None, "fields": np.asarray(schema.names, dtype=object),
                "geometry_type": None, "features": features, "total_bounds": None,
                "geometry_name": "", "encoding": "UTF-8", "layer_metadata": None,
                "dataset_metadata": None, "fid_column": "", "capabilities": {}}
    primary = geo["primary_column"]
    meta = geo["columns"][primary] or {}
    crs = _crs(meta, path, primary)
    types = [str(t).removesuffix(" Z") for t in meta.get("geometry_types") or []]
    native = _NATIVE.get(str(meta.get("encoding", "")).lower())
    kind = native or (types[0] if len(set(types)) == 1 else "Unknown")
    hidden = _hidden_columns(geo)
    bbox = meta.get("bbox")
    bounds: tuple[float, ...] | None = None
    if isinstance(bbox, list) and len(bbox) in (4, 6):  # [x0, y0, (z0,) x1, y1, (z1)]
        half = len(bbox) // 2
        bounds = tuple(float(v) for v in (bbox[0], bbox[1], bbox[half], bbox[half + 1]))
    return {"crs": crs.to_wkt() if crs is not None else None,
            "fields": np.asarray([n for n in schema.names if n not in hidden], dtype=object),
            "geometry_type": kind, "features": features, "total_bounds": bounds,
            "geometry_name": primary, "encoding": "UTF-8", "layer_metadata": None,
            "dataset_metadata": None, "fid_column": "", "capabilities": {}}


def _hidden_columns(geo: dict[str, Any]) -> set[str]:
    """Columns that are no attributes: every geometry column and covering box column."""
    hidden = set(geo["columns"])
    for meta in geo["columns"].values():
        box = _covering(meta or {})
        if box is not None:
            hidden |= {column for column, _ in box.values()}
    return hidden


def wkb_hint(frame: pd.DataFrame) -> str:
    """``"; column 'geom' holds WKB geometries ..."`` for a plain Parquet table with a
    column of WKB (DuckDB's and pandas' exports of a layer write one without the ``geo``
    metadata that states its CRS), ``""`` otherwise."""
    for column in frame.columns:
        cells = frame[column].dropna().head(20)
        if not len(cells) or not all(isinstance(c, bytes) for c in cells):
            continue
        try:
            shapely.from_wkb(list(cells))
        except Exception:  # no WKB
            continue
        return (f"; column {column!r} holds WKB geometries, but without GeoParquet metadata "
                "their CRS is not stated: write the file as GeoParquet with its CRS (e.g. "
                f"gpd.GeoDataFrame(df, geometry=gpd.GeoSeries.from_wkb(df[{column!r}]), "
                "crs='EPSG:4326').to_parquet(...), or DuckDB's spatial extension's COPY ... "
                "(FORMAT parquet))")
    return ""


def plain_parquet_fix(path: Path | str) -> str:
    """What to do with a Parquet file without GeoParquet metadata given as a vector layer."""
    try:
        hint = wkb_hint(read_parquet(path, read_geometry=False).head(20))
    except Exception:  # the hint is a courtesy; the refusal stands without it
        hint = ""
    return (f"{path}: a Parquet file without GeoParquet metadata (no 'geo' key), so no "
            "geometries: write it as GeoParquet (geopandas' to_parquet, or ogr2ogr -f "
            "Parquet), or give it as a points source naming its coordinate columns with "
            f"x:/y: (and crs:), as for a CSV{hint}")


def read_parquet(path: Path | str, *, columns: list[str] | None = None,
                 bbox: tuple[float, float, float, float] | None = None,
                 read_geometry: bool = True) -> pd.DataFrame:
    """A (Geo)Parquet file as a GeoDataFrame in its own CRS (a DataFrame without
    geometries for a plain Parquet file, or with ``read_geometry=False``).

    ``columns`` limits the attributes (each must exist); ``bbox`` (in the file's CRS) keeps
    the rows whose geometry meets it (by the covering box column when the file has one).
    A geometry that is no WKB is refused naming its row (rows numbered from 1); curves
    are made straight and a 3D surface (PolyhedralSurface, TIN) is read as its footprint
    in plan (:func:`linear_geometry`), their count in ``gdf.attrs["surfaces"]``.

    Raises
    ------
    InputFileError
        Not a Parquet file, a damaged one, or a geometry that cannot be read.
    DataError
        A named column is missing; a row's covering box does not hold its geometry.
    CRSError
        A ``crs`` PROJ cannot read.
    """
    path = _named(path)
    pq = _pq()
    geo = geo_metadata(path)
    schema = _schema(path)
    hidden = _hidden_columns(geo) if geo is not None else set()
    fields = [n for n in schema.names if n not in hidden]
    missing = [c for c in columns or [] if c not in fields]
    if missing:
        raise DataError(f"{path}: no column(s) {missing}; columns are {fields[:30]}")
    wanted = list(columns) if columns is not None else fields
    primary = geo["primary_column"] if geo is not None and read_geometry else None
    meta = (geo["columns"][primary] or {}) if geo is not None and primary is not None \
        else {}
    box = _covering(meta) if primary is not None else None
    read = list(dict.fromkeys([*wanted, *([primary] if primary else []),
                               *({c for c, _ in box.values()} if box else set())]))
    try:
        table = _dataset(path).to_table(columns=read) \
            if isinstance(path, Path) and _is_dir(path) else \
            pq.read_table(_opened(path), columns=read)
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow's ArrowInvalid, OSError: a damaged file
        raise InputFileError(f"{path}: cannot read the Parquet data "
                             f"({str(exc).splitlines()[0][:160]}): a damaged file or a copy "
                             "cut short; copy or export it again") from None
    frame = _exact_integers(table.select(wanted), table.select(wanted).to_pandas())
    frame.columns = [str(c) for c in frame.columns]
    if primary is None:
        return frame
    surfaces: list[int] = []
    geoms = _geometries(table.column(primary), meta, path, primary, surfaces)
    if box is not None:
        _check_covering(table, box, geoms, path)
    crs = _crs(meta, path, primary)
    if str(meta.get("edges", "planar")).lower() == "spherical" and \
            not np.all(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]) == 0):
        geoms = _spherical(geoms, crs, path, primary)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms), crs=crs)
    if bbox is not None:
        meets = shapely.intersects(geoms, shapely.box(*bbox))
        gdf = gdf[np.asarray(meets, bool)]
    if surfaces:  # (for the caller's warning: read as their footprints)
        gdf.attrs["surfaces"] = int(np.isin(gdf.index, surfaces).sum())
    return gdf


def _spherical(geoms: np.ndarray, crs: Any, path: Path | str, name: str) -> np.ndarray:
    """Geometries of a column whose metadata says ``edges: spherical`` (BigQuery's and
    Snowflake's GEOGRAPHY exports): in longitude/latitude, each long edge cut into pieces
    along its great circle (:func:`prospect.io.vector.great_circle_edges`), so read as
    straight lines they keep their course. They were read as straight lines in
    longitude/latitude with a warning only: a unit boundary from 2 E to 4 E at 52 N,
    whose arc runs 470 m north of the parallel at 3 E, put up to 47 rows of 10 m cells
    in the wrong unit. Warned where an edge crosses the antimeridian (kept as it is), or the CRS
    is no longitude/latitude (nothing to follow)."""
    from prospect.io.vector import great_circle_edges

    if crs is None or not crs.is_geographic:
        warnings.warn(DataWarning(
            f"{path}: its GeoParquet metadata says column {name!r} has spherical edges "
            "(great-circle arcs between vertices), but its CRS is no longitude/latitude; "
            "they are read as straight lines: write them planar"), stacklevel=3)
        return geoms
    cut, across = great_circle_edges(geoms)
    if cut is not geoms and not across:
        warnings.warn(DataWarning(
            f"{path}: its GeoParquet metadata says column {name!r} has spherical edges "
            "(great-circle arcs between vertices); each edge longer than 0.01 degree is "
            "followed along its arc (cut into pieces), not read as a straight line in "
            "longitude/latitude"), stacklevel=3)
    if across:
        warnings.warn(DataWarning(
            f"{path}: its GeoParquet metadata says column {name!r} has spherical edges; "
            f"{across} geometry(ies) have an edge across the antimeridian, read as a "
            "straight line in longitude/latitude the other way round the Earth: cut them "
            "at 180 (e.g. ogr2ogr -wrapdateline) or write them planar"), stacklevel=3)
    return np.asarray(cut, dtype=object)


EXACT_FLOAT_MAX = 2**53
"""The largest whole number every float64 holds exactly."""


def _exact_integers(table: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (``table`` as pandas) with its integer columns that pandas made floats (a
    null among them, in a file without pandas' own metadata) as Python ints (``None`` where
    null) where a number is past :data:`EXACT_FLOAT_MAX`: the floats rounded it, so a unit
    code column named its units by other numbers in the whole layer than in a chunk of it
    without the null. Other columns as they are."""
    import pyarrow.types as pat

    for i, field in enumerate(table.schema):
        name = str(field.name)
        if not pat.is_integer(field.type) or name not in frame.columns or \
                getattr(frame[name].dtype, "kind", "") != "f":
            continue
        values = frame[name].to_numpy()
        if bool((np.abs(values[~np.isnan(values)]) >= EXACT_FLOAT_MAX).any()):
            frame[name] = pd.Series(table.column(i).to_pylist(), index=frame.index,
                                    dtype=object)
    return frame


def _geometries(column: Any, meta: dict[str, Any], path: Path | str, name: str,
                surfaces: list[int] | None = None) -> np.ndarray:
    """Shapely geometries of a geometry column (WKB, or a GeoArrow encoding). Curves are
    made straight and a 3D surface (a PolyhedralSurface or TIN) is its footprint in plan
    (:func:`linear_geometry`: GEOS refused the one, "Nonlinear geometry types are not
    currently supported" an internal error, and the other, "no WKB geometry"), a
    surface's row (from 0) added to ``surfaces``."""
    encoding = str(meta.get("encoding", "")).lower()
    if encoding == "wkb":
        values = column.to_pylist()
        out = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            if value is None:
                continue
            try:
                out[i] = shapely.from_wkb(value)
                if shapely.get_type_id(out[i]) != 7:  # (a collection may hold a curve)
                    continue
                exc: Exception | None = None
            except (shapely.errors.GEOSException, TypeError, ValueError,
                    NotImplementedError) as error:
                exc = error
            linear = linear_geometry(value) if isinstance(value, bytes) else None
            if linear is not None:
                out[i] = linear[0]
                if linear[1] and surfaces is not None:
                    surfaces.append(i)
            elif exc is not None:
                raise InputFileError(
                    f"{path}: row {i + 1} of geometry column {name!r} is no WKB geometry "
                    f"({exc}): write the file again") from None
        return out
    from geopandas.io._geoarrow import construct_shapely_array  # GeoArrow's one decoder

    try:
        return np.asarray(construct_shapely_array(column.combine_chunks(),
                                                  f"geoarrow.{encoding}"), dtype=object)
    except Exception as exc:
        raise InputFileError(
            f"{path}: geometry column {name!r} is not the GeoArrow {encoding!r} the "
            f"metadata says ({str(exc).splitlines()[0][:120]}); write the file again") \
            from None


_SURFACES = (15, 16, 17)
"""WKB types of 3D surfaces GEOS cannot read (``Unknown WKB type 15``): PolyhedralSurface
(15), TIN (16), Triangle (17). GDAL reads an ESRI multipatch (a Shapefile's or a file
geodatabase's 3D feature) and a GeoPackage's or FlatGeobuf's 3D surface as these."""
_CURVES = (8, 9, 10, 11, 12)
"""WKB types of curves GEOS reads but cannot work on ("Nonlinear geometry types are not
currently supported"): CircularString, CompoundCurve, CurvePolygon, MultiCurve,
MultiSurface. GDAL makes a layer's curves straight, but not one inside a
GeometryCollection; a GeoParquet file's are read as written."""
_ONE_POINT_LINE = -2
"""Marks, among the WKB types :func:`_parse_wkb` met, a LineString of one point (a
digitising click GDAL and WKB writers keep as it is; GEOS refuses it: "point array must
contain 0 or >1 elements"), read as the line of no length at that point."""
ARC_STEP_DEGREES = 4.0
"""The angle of each straight segment a circular arc is read as (GDAL's default)."""


def _arc(p0: tuple[float, ...], p1: tuple[float, ...], p2: tuple[float, ...]
         ) -> list[tuple[float, ...]]:
    """The points of the circular arc from ``p0`` through ``p1`` to ``p2`` (a whole circle
    where ``p2`` is ``p0``), a segment for each :data:`ARC_STEP_DEGREES` or less; a Z is
    interpolated along it. Three points on a line are that line."""
    (x0, y0), (x1, y1), (x2, y2) = p0[:2], p1[:2], p2[:2]
    if (x0, y0) == (x2, y2):  # a whole circle: its centre is halfway to the point across
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        sweep = 2 * math.pi
    else:
        d = 2 * (x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1))
        if abs(d) < 1e-12 * max(1.0, abs(x0) + abs(y0)) ** 2:
            return [p0, p1, p2]
        s0, s1, s2 = x0 * x0 + y0 * y0, x1 * x1 + y1 * y1, x2 * x2 + y2 * y2
        cx = (s0 * (y1 - y2) + s1 * (y2 - y0) + s2 * (y0 - y1)) / d
        cy = (s0 * (x2 - x1) + s1 * (x0 - x2) + s2 * (x1 - x0)) / d
        a0, a1, a2 = (math.atan2(y - cy, x - cx) for x, y in ((x0, y0), (x1, y1), (x2, y2)))
        to2, to1 = (a2 - a0) % (2 * math.pi), (a1 - a0) % (2 * math.pi)
        sweep = to2 if to1 <= to2 else to2 - 2 * math.pi
    radius = math.hypot(x0 - cx, y0 - cy)
    start = math.atan2(y0 - cy, x0 - cx)
    n = max(2, math.ceil(abs(math.degrees(sweep)) / ARC_STEP_DEGREES))
    out = [p0]
    for k in range(1, n):
        t = k / n
        a = start + sweep * t
        point: tuple[float, ...] = (cx + radius * math.cos(a), cy + radius * math.sin(a))
        if len(p0) > 2:
            point += (p0[2] + (p2[2] - p0[2]) * t,)
        out.append(point)
    out.append(p2)
    return out


def _points(data: bytes, at: int, order: str, dims: int, keep: int
            ) -> tuple[list[tuple[float, ...]], int]:
    """The ``count``-prefixed points at ``at`` (their first ``keep`` ordinates) and the
    offset after them."""
    count = struct.unpack_from(order + "I", data, at)[0]
    values = struct.unpack_from(f"{order}{count * dims}d", data, at + 4)
    return ([tuple(values[i:i + keep]) for i in range(0, count * dims, dims)],
            at + 4 + 8 * count * dims)


def _line(geom: Any) -> list[tuple[float, ...]]:
    return [tuple(c) for c in shapely.get_coordinates(geom, include_z=geom.has_z)]


def _parse_wkb(data: bytes, at: int, seen: set[int]) -> tuple[Any, int]:
    """The geometry of the WKB at byte ``at`` (ISO or EWKB, either byte order), curves
    made straight (:func:`_arc`), surfaces made MultiPolygons of their faces and a line
    of one point the line of no length there, M values dropped; the offset after it.
    Each type met is added to ``seen`` (:data:`_ONE_POINT_LINE` for such a line)."""
    order = "<" if data[at] == 1 else ">"
    code = struct.unpack_from(order + "I", data, at + 1)[0]
    base = code & 0x0FFFFFFF
    kind, iso = base % 1000, base // 1000
    if kind > 17 or iso > 3 or kind in (13, 14):
        raise ValueError(f"unknown WKB geometry type {code}")
    has_z = bool(code & 0x80000000) or iso in (1, 3)
    dims = 2 + has_z + (bool(code & 0x40000000) or iso in (2, 3))
    keep = 3 if has_z else 2
    at += 9 if code & 0x20000000 else 5
    seen.add(kind)
    if kind == 1:
        values = struct.unpack_from(f"{order}{dims}d", data, at)[:keep]
        return (shapely.Point() if all(map(math.isnan, values)) else shapely.Point(values),
                at + 8 * dims)
    if kind in (2, 8):
        points, at = _points(data, at, order, dims, keep)
        if kind == 2 and len(points) == 1:  # (a click: the line of no length there)
            seen.add(_ONE_POINT_LINE)
            points = points * 2
        if kind == 8 and len(points) >= 3:
            points = [p for i in range(0, len(points) - 2, 2)
                      for p in _arc(*points[i:i + 3])[(1 if i else 0):]]
        return shapely.LineString(points), at
    if kind in (3, 17):
        rings = struct.unpack_from(order + "I", data, at)[0]
        at += 4
        shells = []
        for _ in range(rings):
            ring, at = _points(data, at, order, dims, keep)
            shells.append(ring)
        return (shapely.Polygon(shells[0], shells[1:]) if shells else shapely.Polygon()), at
    count = struct.unpack_from(order + "I", data, at)[0]
    at += 4
    parts = []
    for _ in range(count):
        part, at = _parse_wkb(data, at, seen)
        parts.append(part)
    if kind == 9:  # CompoundCurve: its pieces end to end
        points = [p for i, part in enumerate(parts) for p in _line(part)[(1 if i else 0):]]
        return shapely.LineString(points), at
    if kind == 10:  # CurvePolygon: rings of any curve
        rings = [_line(part) for part in parts]
        return (shapely.Polygon(rings[0], rings[1:]) if rings else shapely.Polygon()), at
    if kind == 4:
        return shapely.MultiPoint(parts), at
    if kind in (5, 11):
        return shapely.MultiLineString(parts), at
    if kind in (6, 12, 15, 16):
        return shapely.MultiPolygon(parts), at
    return shapely.GeometryCollection(parts), at


def linear_geometry(value: bytes) -> tuple[Any, bool] | None:
    """A geometry GEOS can work on for WKB that holds curves, 3D surfaces or lines of one
    point, and whether it held a surface; ``None`` for WKB of none of them (or no WKB).

    A line of one point (:data:`_ONE_POINT_LINE`, at any depth) is the line of no length
    at that point, which the readers of lines name and refuse as such (a fault of no
    length): the repairing read gave it no geometry, "null or empty", and a GeoParquet
    row of it was "no WKB geometry ... write the file again" (round 51).

    Curves (:data:`_CURVES`, at any depth) are made straight, a segment per
    :data:`ARC_STEP_DEGREES` of arc, as GDAL makes a layer's. A 3D surface
    (:data:`_SURFACES`: a multipatch) is its footprint in plan: the union of its faces
    that have an area in plan (a polygon or multipolygon), or, where none has (a vertical
    surface), the lines its faces trace."""
    seen: set[int] = set()
    try:
        geom, _ = _parse_wkb(bytes(value), 0, seen)
    except (struct.error, ValueError, IndexError, TypeError,
            shapely.errors.GEOSException):
        return None
    if not seen & {*_SURFACES, *_CURVES, _ONE_POINT_LINE}:
        return None
    if not seen & set(_SURFACES):
        return geom, False
    parts = shapely.get_parts(geom)
    while any(p.geom_type.startswith("Multi") or p.geom_type == "GeometryCollection"
              for p in parts):
        parts = shapely.get_parts(parts)
    faces = [shapely.make_valid(shapely.force_2d(p)) for p in parts
             if p.geom_type == "Polygon" and not p.is_empty]
    areas = [f for f in faces if shapely.area(f) > 0]
    if areas:
        whole = shapely.union_all(areas)
        polygonal = [p for p in shapely.get_parts(whole)
                     if p.geom_type in ("Polygon", "MultiPolygon")]
        return (shapely.union_all(polygonal) if polygonal else whole), True
    return shapely.line_merge(shapely.union_all(
        [shapely.boundary(shapely.force_2d(p)) for p in parts if not p.is_empty])), True


def _check_covering(table: Any, box: dict[str, tuple[str, str]], geoms: np.ndarray,
                    path: Path | str) -> None:
    """Refuse rows whose covering box does not hold their geometry's bounds: a bbox
    query would skip them, and the box column was written for other geometries."""
    try:
        sides = {k: np.asarray(table.column(c).combine_chunks().field(f).to_numpy(
            zero_copy_only=False), dtype="f8") for k, (c, f) in box.items()}
    except Exception:  # a covering that names no struct field: said by the spec's check
        raise InputFileError(f"{path}: its GeoParquet 'covering' bbox names fields the file "
                             "does not hold; write it again") from None
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    bounds = shapely.bounds(geoms[present])
    tol = 1e-6 * max(1.0, float(np.nanmax(np.abs(bounds))))
    outside = ((bounds[:, 0] < sides["xmin"][present] - tol)
               | (bounds[:, 1] < sides["ymin"][present] - tol)
               | (bounds[:, 2] > sides["xmax"][present] + tol)
               | (bounds[:, 3] > sides["ymax"][present] + tol))
    if outside.any():
        rows = np.flatnonzero(present)[outside] + 1
        raise DataError(
            f"{path}: {outside.sum()} of {present.sum()} row(s) have a covering bbox that "
            f"does not hold their geometry (rows {', '.join(map(str, rows[:5]))}"
            f"{', ...' if rows.size > 5 else ''}, numbered from 1): the box column was "
            "written for other geometries (an edited file?), and a bbox query would skip "
            "them; write the file again (geopandas' to_parquet(write_covering_bbox=True))")
