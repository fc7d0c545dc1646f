"""Point tables (wells, samples): CSV with coordinate columns, or any vector file of points."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from prospect.errors import DataError, InputFileError
from prospect.grid import parse_crs
from prospect.io.vector import read_vector

__all__ = ["PointTable", "read_points"]

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


@dataclass(frozen=True)
class PointTable:
    """Point coordinates in a target CRS and their numeric columns (NaN where missing)."""

    x: np.ndarray
    y: np.ndarray
    values: dict[str, np.ndarray]
    crs: str
    path: str

    def __len__(self) -> int:
        return int(self.x.size)


def _numeric(series: pd.Series, path: Path, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad.all() and len(series):
        raise DataError(
            f"{path}: column {column!r} holds no numbers (e.g. {series.iloc[0]!r}); "
            "pick a numeric column"
        )
    return values.to_numpy(dtype="f8")


def read_points(
    path: Path | str, *, x: str = "lon", y: str = "lat", crs: str = "EPSG:4326",
    columns: list[str] | None = None, layer: str | None = None, to_crs: str,
    override_crs: bool = False,
) -> PointTable:
    """Read a point table and project it to ``to_crs``.

    CSV/TXT files use the ``x``/``y`` columns in ``crs``; other files (GeoPackage,
    Shapefile, GeoJSON) use their point geometry and their own CRS (``crs`` when they
    carry none, or always with ``override_crs``: for files whose ``.prj`` is wrong). Rows
    without coordinates are dropped.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    DataError
        Empty table, missing or non-numeric columns, non-point geometry.
    """
    path = Path(path)
    columns = list(columns or [])
    if not path.is_file():
        raise InputFileError(f"{path}: point table not found; check the path in the config")
    target = parse_crs(to_crs)
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            df = pd.read_csv(path, sep=None, engine="python")
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: the point table is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot parse as CSV: {exc}") from None
        missing = [c for c in (x, y, *columns) if c not in df.columns]
        if missing:
            raise DataError(f"{path}: no column(s) {missing}; columns are {list(df.columns)}")
        xs = _numeric(df[x], path, x)
        ys = _numeric(df[y], path, y)
        src_crs = parse_crs(crs)
    else:
        gdf = read_vector(path, layer=layer, columns=columns or None,
                          crs=crs if override_crs or _has_no_crs(path, layer) else None)
        if len(gdf) and not (gdf.geom_type.dropna() == "Point").all():
            raise DataError(f"{path}: expected point geometries, found "
                            f"{sorted(set(gdf.geom_type.dropna()))}")
        df = gdf
        xs = gdf.geometry.x.to_numpy(dtype="f8") if len(gdf) else np.empty(0)
        ys = gdf.geometry.y.to_numpy(dtype="f8") if len(gdf) else np.empty(0)
        src_crs = parse_crs(gdf.crs.to_wkt()) if gdf.crs is not None else parse_crs(crs)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.any():
        raise DataError(f"{path}: the point table is empty (no rows with coordinates {x}/{y})")
    values = {c: _numeric(pd.Series(df[c]).reset_index(drop=True), path, c)[keep]
              for c in columns}
    tx, ty = Transformer.from_crs(src_crs, target, always_xy=True).transform(xs[keep], ys[keep])
    epsg = target.to_epsg()
    return PointTable(x=np.asarray(tx, "f8"), y=np.asarray(ty, "f8"), values=values,
                      crs=f"EPSG:{epsg}" if epsg else target.to_wkt(), path=str(path))


def _has_no_crs(path: Path, layer: str | None) -> bool:
    import pyogrio

    try:
        return pyogrio.read_info(path, layer=layer).get("crs") is None
    except Exception:  # unreadable files are reported by read_vector
        return False
