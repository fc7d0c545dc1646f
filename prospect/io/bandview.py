"""One band of a raster as its own GDAL dataset: per-band nodata and a quality mask.

GDAL's warper treats the source nodata of a multi-band dataset as one: with the default
(``UNIFIED_SRC_NODATA=PARTIAL``), a pixel counts as missing only where *every* band holds
its nodata, so a -9999 hole in one band is resampled as a value where the other bands are
valid. Warping each band through a one-band view gives every band its own nodata, the
same as ``gdalwarp`` on that band alone.

A quality mask (CFmask) becomes the view's mask band: the mask file's classes go through a
lookup table to 255 (keep) or 0 (drop), combined (``min``) with the band's own nodata, so
cloudy or fill pixels never enter resampling. The view is a VRT held in its XML text;
nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from prospect.errors import DataError
from prospect.io.raster import RasterInfo

__all__ = ["band_view"]

_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
    "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64",
    "float32": "Float32", "float64": "Float64",
}


def _source(path: str, band: int, lut: str | None = None) -> str:
    inner = (f'<SourceFilename relativeToVRT="0">{escape(path)}</SourceFilename>'
             f"<SourceBand>{band}</SourceBand>")
    if lut is None:
        return f"<SimpleSource>{inner}</SimpleSource>"
    return f"<ComplexSource>{inner}<LUT>{lut}</LUT></ComplexSource>"


def _stamp(path: str) -> str:
    try:
        return str(Path(path).stat().st_mtime_ns)
    except OSError:
        return ""


def _keep_lut(keep: tuple[int, ...], top: int) -> str:
    """LUT sending each code in ``keep`` to 255 and every other code in 0..``top`` to 0."""
    return ",".join(f"{c}:{255 if c in keep else 0}" for c in range(top + 1))


def band_view(info: RasterInfo, band: int, *, nodata: float | None,
              mask: tuple[RasterInfo, tuple[int, ...]] | None = None) -> RasterInfo:
    """A one-band view of ``band`` of ``info`` (its ``path`` is VRT XML text).

    Parameters
    ----------
    info, band
        The source and its 1-based band.
    nodata
        The band's source nodata (``None``: none beyond NaN for floats).
    mask
        ``(mask raster, codes to keep)``: an 8-bit class raster on the same pixel grid
        (CFmask); pixels whose code is not kept are dropped before resampling.

    Returns
    -------
    RasterInfo
        Read band 1 of it. Without a mask its ``nodata`` is ``nodata``; with a mask the
        nodata is folded into the mask band and ``nodata`` is ``None``.

    Raises
    ------
    DataError
        A mask on another grid, or a mask with a floating-point band.
    """
    gtype = _GDAL_TYPES.get(info.dtype)
    if gtype is None:
        raise DataError(f"{info.path}: data type {info.dtype} cannot be warped")
    gt = info.transform
    geo = ", ".join(repr(float(v)) for v in (gt[2], gt[0], gt[1], gt[5], gt[3], gt[4]))
    body = [f'<VRTDataset rasterXSize="{info.width}" rasterYSize="{info.height}">',
            f"<!-- {_stamp(info.path)} -->",
            f"<SRS>{escape(info.crs)}</SRS><GeoTransform>{geo}</GeoTransform>",
            f'<VRTRasterBand dataType="{gtype}" band="1">{_source(info.path, band)}'
            "</VRTRasterBand>"]
    view_nodata: float | None = nodata
    if mask is not None:
        minfo, keep = mask
        if (minfo.transform, minfo.width, minfo.height) != (info.transform, info.width,
                                                            info.height):
            raise DataError(
                f"{minfo.path}: the mask is not on the pixel grid of {info.path}; give the "
                "mask file of the same scene"
            )
        if np.dtype(info.dtype).kind == "f":
            raise DataError(f"{info.path}: a class mask needs an integer band, not {info.dtype}")
        sources = [_source(minfo.path, 1, _keep_lut(keep, CFMASK_TOP))]
        if nodata is not None:
            v = int(nodata)
            sources.append(_source(info.path, band, f"{v - 1}:255,{v}:0,{v + 1}:255"))
        body.append(
            '<MaskBand><VRTRasterBand dataType="Byte" subClass="VRTDerivedRasterBand">'
            f"<PixelFunctionType>min</PixelFunctionType>{''.join(sources)}"
            "</VRTRasterBand></MaskBand>"
        )
        body.insert(1, f"<!-- mask {_stamp(minfo.path)} -->")
        view_nodata = None
    body.append("</VRTDataset>")
    return dataclasses.replace(info, path="".join(body), count=1, nodata=(view_nodata,),
                               descriptions=(info.descriptions[band - 1],))


CFMASK_TOP = 255
"""Highest code of an 8-bit class mask."""
