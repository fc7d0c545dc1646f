"""The region grid: one CRS, one resolution, one extent, one chunk shape.

Everything in a cube shares a :class:`RegionGrid`. The grid is a pure value object: it
knows its affine transform, its shape, its cell-centre coordinates and its chunk layout,
and it reads nothing from disk (see :func:`prospect.io.raster.grid_from_raster` for that).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from prospect.errors import CRSError, GridError

__all__ = ["ChunkWindow", "RegionGrid", "parse_crs"]


def parse_crs(value: object) -> CRS:
    """Return a :class:`pyproj.CRS` for ``value`` or raise :class:`CRSError`.

    Parameters
    ----------
    value
        Anything pyproj understands: ``"EPSG:28992"``, an EPSG integer, WKT, PROJ string.
    """
    if value is None or value == "":
        raise CRSError("no CRS given; set it as e.g. 'EPSG:28992'")
    try:
        return CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise CRSError(
            f"unknown CRS {value!r}; give an EPSG code such as 'EPSG:32619' or WKT"
        ) from exc


@dataclass(frozen=True)
class ChunkWindow:
    """One chunk of a grid: its index in the chunk grid and its row/column slices."""

    iy: int
    ix: int
    rows: slice
    cols: slice

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the chunk in cells."""
        return (self.rows.stop - self.rows.start, self.cols.stop - self.cols.start)


@dataclass(frozen=True)
class RegionGrid:
    """A north-up raster grid with square cells.

    Parameters
    ----------
    crs
        Working CRS, any pyproj input (kept as its ``EPSG:nnnn`` string where one exists).
    resolution
        Cell size in CRS units (metres for projected CRSs).
    bounds
        ``(left, bottom, right, top)``; snapped outwards to whole cells from ``left``/``top``.
    chunks
        ``(rows, cols)`` of one chunk.
    name
        Short identifier, e.g. ``"bonaire"``.
    """

    crs: str
    resolution: float
    bounds: tuple[float, float, float, float]
    chunks: tuple[int, int] = (512, 512)
    name: str = "region"
    _crs_obj: CRS = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs_obj = parse_crs(self.crs)
        epsg = crs_obj.to_epsg()
        object.__setattr__(self, "crs", f"EPSG:{epsg}" if epsg else crs_obj.to_wkt())
        object.__setattr__(self, "_crs_obj", crs_obj)
        if not (self.resolution > 0 and math.isfinite(self.resolution)):
            raise GridError(f"resolution must be a positive number, got {self.resolution!r}")
        left, bottom, right, top = (float(v) for v in self.bounds)
        if not (right > left and top > bottom):
            raise GridError(
                f"bounds must be (left, bottom, right, top) with right > left and top > bottom, "
                f"got {self.bounds!r}"
            )
        width = math.ceil(round((right - left) / self.resolution, 6))
        height = math.ceil(round((top - bottom) / self.resolution, 6))
        snapped = (left, top - height * self.resolution, left + width * self.resolution, top)
        object.__setattr__(self, "bounds", snapped)
        cy, cx = (int(c) for c in self.chunks)
        if cy <= 0 or cx <= 0:
            raise GridError(f"chunks must be two positive integers, got {self.chunks!r}")
        object.__setattr__(self, "chunks", (cy, cx))

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_transform(
        cls,
        *,
        crs: object,
        transform: Affine,
        shape: tuple[int, int],
        chunks: tuple[int, int] = (512, 512),
        name: str = "region",
    ) -> RegionGrid:
        """Build a grid from an affine transform and a ``(height, width)`` shape.

        Only north-up grids with square cells are accepted.
        """
        if transform.b != 0 or transform.d != 0:
            raise GridError("rotated grids are not supported; warp the reference raster first")
        if not math.isclose(abs(transform.a), abs(transform.e), rel_tol=1e-9):
            raise GridError(
                f"cells must be square, got {transform.a} x {abs(transform.e)}; "
                "resample the reference raster to square cells"
            )
        if transform.e >= 0:
            raise GridError("the grid must be north-up (negative y pixel size)")
        res = float(transform.a)
        height, width = shape
        left, top = transform.c, transform.f
        crs_text = crs if isinstance(crs, str) else parse_crs(crs).to_wkt()
        return cls(
            crs=crs_text,
            resolution=res,
            bounds=(left, top - height * res, left + width * res, top),
            chunks=chunks,
            name=name,
        )

    # -- derived properties -----------------------------------------------------------
    @property
    def crs_obj(self) -> CRS:
        """The CRS as a :class:`pyproj.CRS`."""
        return self._crs_obj

    @property
    def width(self) -> int:
        """Number of columns."""
        return round((self.bounds[2] - self.bounds[0]) / self.resolution)

    @property
    def height(self) -> int:
        """Number of rows."""
        return round((self.bounds[3] - self.bounds[1]) / self.resolution)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        """Affine transform of the top-left cell corner."""
        return Affine(self.resolution, 0.0, self.bounds[0], 0.0, -self.resolution, self.bounds[3])

    @property
    def x(self) -> np.ndarray:
        """Cell-centre x coordinates, west to east."""
        return self.bounds[0] + (np.arange(self.width) + 0.5) * self.resolution

    @property
    def y(self) -> np.ndarray:
        """Cell-centre y coordinates, north to south."""
        return self.bounds[3] - (np.arange(self.height) + 0.5) * self.resolution

    @property
    def chunk_counts(self) -> tuple[int, int]:
        """Number of chunks along (rows, cols)."""
        return (-(-self.height // self.chunks[0]), -(-self.width // self.chunks[1]))

    @property
    def n_chunks(self) -> int:
        """Total number of chunks per 2-D variable."""
        ny, nx = self.chunk_counts
        return ny * nx

    def chunk_windows(self) -> Iterator[ChunkWindow]:
        """Yield every chunk window, row-major."""
        cy, cx = self.chunks
        ny, nx = self.chunk_counts
        for iy in range(ny):
            for ix in range(nx):
                rows = slice(iy * cy, min((iy + 1) * cy, self.height))
                cols = slice(ix * cx, min((ix + 1) * cx, self.width))
                yield ChunkWindow(iy, ix, rows, cols)

    def window_transform(self, window: ChunkWindow) -> Affine:
        """Affine transform of one chunk window."""
        return self.transform @ Affine.translation(window.cols.start, window.rows.start)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """Bounds in WGS 84 longitude/latitude (densified edges)."""
        tr = Transformer.from_crs(self._crs_obj, "EPSG:4326", always_xy=True)
        west, south, east, north = tr.transform_bounds(*self.bounds, densify_pts=21)
        return (float(west), float(south), float(east), float(north))

    def rowcol(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding points ``(xs, ys)`` in the grid CRS.

        Points outside the grid get row/col outside ``[0, height)`` / ``[0, width)``.
        """
        cols = np.floor((np.asarray(xs, dtype="f8") - self.bounds[0]) / self.resolution)
        rows = np.floor((self.bounds[3] - np.asarray(ys, dtype="f8")) / self.resolution)
        return rows.astype("i8"), cols.astype("i8")

    def contains(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Boolean mask of row/col pairs that fall inside the grid."""
        return (rows >= 0) & (rows < self.height) & (cols >= 0) & (cols < self.width)

    def describe(self) -> dict[str, object]:
        """A JSON-friendly summary (used in manifests, model cards and STAC items)."""
        return {
            "name": self.name,
            "crs": self.crs,
            "resolution": self.resolution,
            "bounds": list(self.bounds),
            "shape": list(self.shape),
            "chunks": list(self.chunks),
            "transform": list(self.transform)[:6],
        }
