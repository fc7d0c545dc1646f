"""Raster sources (single/multi-band, NetCDF, per-band files, mosaics, STAC, Landsat MTL).

Planning (:func:`plan_raster`) reads only headers: it checks every file, picks each
band's resampling from its value kind and cell size, orders the scenes of a mosaic by
the stated rule, and returns one :class:`RasterLayer` per cube variable. Pixels are
read later, chunk by chunk, by :meth:`RasterLayer.compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prospect.config.sources import RasterScene, RasterSource
from prospect.errors import ConfigError, DataError
from prospect.grid import ChunkWindow, RegionGrid
from prospect.ingest.landsat import band_number, calibration, read_mtl
from prospect.ingest.layers import Layer
from prospect.ingest.stac import read_stac_scenes
from prospect.io.raster import RasterInfo, raster_info
from prospect.io.warp import choose_resampling, read_warped_window, resampling_enum

__all__ = ["SENSOR_BANDS", "BandRef", "RasterLayer", "plan_raster"]

SENSOR_BANDS: dict[str, tuple[str, ...]] = {
    "sentinel2": ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09",
                  "B10", "B11", "B12"),
    "landsat5": ("B1", "B2", "B3", "B4", "B5", "B6", "B7"),
    "landsat7": ("B1", "B2", "B3", "B4", "B5", "B6", "B6_VCID_1", "B6_VCID_2", "B7", "B8"),
    "landsat8": ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"),
    "landsat9": ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"),
}
"""Band names a sensor's source may use (an unknown name is a config error)."""


@dataclass(frozen=True)
class BandRef:
    """One band of one file, with its calibration and resampling onto the grid."""

    info: RasterInfo
    band: int
    scale: float
    offset: float
    nodata: float | None
    resampling: str

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary for provenance."""
        return {"file": self.info.path, "band": self.band, "scale": self.scale,
                "offset": self.offset, "resampling": self.resampling,
                "source_crs": self.info.crs, "source_resolution": self.info.resolution}


@dataclass(frozen=True, kw_only=True)
class RasterLayer(Layer):
    """A cube variable from one band of one or more (mosaicked) raster files.

    ``refs`` are in mosaic priority order: a cell takes the first valid value.
    """

    refs: tuple[BandRef, ...]
    categorical: bool = False

    def compute(self, grid: RegionGrid, window: ChunkWindow) -> np.ndarray:
        """Warp each scene onto the chunk and keep the first valid value per cell."""
        out = np.full(window.shape, np.nan, dtype=np.float32)
        for ref in self.refs:
            block = read_warped_window(
                ref.info, ref.band, grid, window, resampling=resampling_enum(ref.resampling),
                nodata=ref.nodata,
            )
            if ref.scale != 1.0 or ref.offset != 0.0:
                block = (block * np.float32(ref.scale) + np.float32(ref.offset)).astype(
                    np.float32)
            gap = np.isnan(out)
            out[gap] = block[gap]
            if not np.isnan(out).any():
                break
        if self.categorical:
            return np.where(np.isnan(out), -1, np.rint(out)).astype(np.int16)
        return out


@dataclass(frozen=True)
class _Scene:
    """A scene with its files as GDAL names (URLs keep their ``//``, unlike ``Path``)."""

    files: dict[str, tuple[str, int]]
    multiband: bool
    band_names: list[str] | None
    variable: str | None
    mtl: Path | None
    crs: str | None
    date: Any
    cloud_cover: float | None


def _from_config(source: RasterSource, scene: RasterScene) -> _Scene:
    if scene.bands is not None:
        files = {name: (str(p), 1) for name, p in scene.bands.items()}
    else:
        assert scene.path is not None
        names = scene.band_names or source.band_names or [source.name]
        files = {name: (str(scene.path), i + 1) for i, name in enumerate(names)}
    return _Scene(files=files, multiband=scene.path is not None,
                  band_names=scene.band_names or source.band_names,
                  variable=scene.variable or source.variable, mtl=scene.mtl,
                  crs=scene.crs or source.crs, date=scene.date, cloud_cover=scene.cloud_cover)


def _check_band_names(source: RasterSource, names: list[str]) -> None:
    if source.sensor is None:
        return
    known = SENSOR_BANDS.get(source.sensor.lower())
    if known is None:
        return
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"source {source.name!r}: unknown {source.sensor} band name(s) {unknown}; "
            f"{source.sensor} bands are {', '.join(known)}"
        )


def _res_in_grid_units(info: RasterInfo, grid: RegionGrid) -> float:
    if info.crs == grid.crs:
        return info.resolution
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    return float(np.sqrt((right - left) * (top - bottom) / (info.width * info.height)))


def _overlaps(info: RasterInfo, grid: RegionGrid) -> bool:
    left, bottom, right, top = info.bounds_in(grid.crs_obj)
    g = grid.bounds
    return left < g[2] and right > g[0] and bottom < g[3] and top > g[1]


def _scenes(source: RasterSource) -> list[_Scene]:
    if source.stac is None:
        return [_from_config(source, sc) for sc in source.scene_list()]
    assert source.assets is not None
    return [
        _Scene(files={k: (v, 1) for k, v in s.bands.items()}, multiband=False,
               band_names=None, variable=None, mtl=None, crs=source.crs or s.crs,
               date=s.date, cloud_cover=s.cloud_cover)
        for s in read_stac_scenes(source.stac, dict(source.assets))
    ]


def _order(source: RasterSource, scenes: list[_Scene]) -> list[_Scene]:
    """Scenes in priority order for the mosaic rule (MTL dates/cloud cover fill gaps)."""
    if source.mosaic == "first_valid" or len(scenes) == 1:
        return scenes
    keyed = []
    for i, scene in enumerate(scenes):
        mtl = read_mtl(scene.mtl) if scene.mtl else None
        date = scene.date or (mtl.date if mtl else None)
        cloud = scene.cloud_cover if scene.cloud_cover is not None else (
            mtl.cloud_cover if mtl else None)
        if source.mosaic == "most_recent" and date is None:
            raise ConfigError(
                f"source {source.name!r}: mosaic 'most_recent' needs a date for scene {i + 1}; "
                "give 'date:' or an 'mtl:' file"
            )
        if source.mosaic == "least_cloudy" and cloud is None:
            raise ConfigError(
                f"source {source.name!r}: mosaic 'least_cloudy' needs 'cloud_cover:' (or an "
                f"'mtl:' file) for scene {i + 1}"
            )
        keyed.append((date, cloud, i, scene))
    if source.mosaic == "most_recent":
        keyed.sort(key=lambda k: (-(k[0].toordinal() if k[0] else 0), k[2]))
    else:
        keyed.sort(key=lambda k: (k[1] if k[1] is not None else 101.0, k[2]))
    return [k[3] for k in keyed]


def plan_raster(source: RasterSource, grid: RegionGrid) -> list[RasterLayer]:
    """One :class:`RasterLayer` per band of ``source``, checked against ``grid``.

    Raises
    ------
    InputFileError, CRSError, DataError, ConfigError
        A missing/corrupt file, a missing or unknown CRS, a wrong band count, unknown band
        names, or a source that does not overlap the region.
    """
    scenes = _order(source, _scenes(source))
    per_var: dict[str, list[BandRef]] = {}
    units: dict[str, str] = {}
    inputs: dict[str, set[str]] = {}
    any_overlap = False
    for scene in scenes:
        _check_band_names(source, list(scene.files))
        mtl = read_mtl(scene.mtl) if scene.mtl else None
        infos: dict[str, RasterInfo] = {}
        for var, (path, band) in scene.files.items():
            if path not in infos:
                infos[path] = raster_info(path, crs=scene.crs, variable=scene.variable)
                if scene.mtl:
                    inputs.setdefault(var, set()).add(str(scene.mtl))
            inputs.setdefault(var, set()).add(path)
            info = infos[path]
            names = scene.band_names
            if not scene.multiband and info.count != 1:
                raise DataError(
                    f"{path}: has {info.count} bands, but '{var}' in source {source.name!r} "
                    "needs a single-band file; for a multi-band file use 'path:' with "
                    "'band_names:'"
                )
            if scene.multiband and names is None and info.count > 1:
                raise DataError(
                    f"{path}: has {info.count} bands; name each one with 'band_names: "
                    f"[...]' in source {source.name!r} (or use 'bands:' for one file per band)"
                )
            if scene.multiband and names is not None and info.count != len(names):
                raise DataError(
                    f"{path}: has {info.count} band(s) but the config names {len(names)} "
                    f"({', '.join(names)}); list one name per band"
                )
            if band > info.count:
                raise DataError(f"{path}: has {info.count} band(s), band {band} requested")
            if not _overlaps(info, grid):
                continue
            any_overlap = True
            scale, offset, unit = source.scale, source.offset, source.units
            nodata = source.nodata
            if mtl is not None:
                cal = calibration(mtl, band_number(var, path))
                scale, offset, unit = cal.scale * source.scale, cal.offset, cal.units
                if nodata is None and info.nodata[band - 1] is None:
                    nodata = 0.0  # Landsat level-1 fill value
            resampling = choose_resampling(
                source.values, source_res=_res_in_grid_units(info, grid),
                target_res=grid.resolution, override=source.resampling,
            )
            per_var.setdefault(var, []).append(
                BandRef(info=info, band=band, scale=scale, offset=offset, nodata=nodata,
                        resampling=resampling)
            )
            units[var] = unit
    if not any_overlap:
        lo = grid.lonlat_bounds()
        raise DataError(
            f"source {source.name!r}: none of its files overlap the region {grid.name!r} "
            f"(lon/lat {lo[0]:.3f},{lo[1]:.3f} .. {lo[2]:.3f},{lo[3]:.3f}); check the files, "
            "their CRS or the region"
        )
    layers = []
    for var, refs in per_var.items():
        categorical = source.values == "categorical"
        layers.append(RasterLayer(
            name=var, units=units[var],
            long_name=source.long_name or (f"{source.sensor} {var}" if source.sensor else var),
            kind="categorical" if categorical else "continuous",
            inputs=tuple(sorted(inputs[var])),
            settings={"source": source.name, "mosaic": source.mosaic if len(refs) > 1 else None,
                      "scenes": [r.describe() for r in refs]},
            refs=tuple(refs), categorical=categorical,
            dtype="int16" if categorical else "float32",
            fill_value=-1 if categorical else float("nan"),
        ))
    return layers
