"""One band of a raster as its own GDAL dataset, so that its nodata is its own.

GDAL's warper treats the source nodata of a multi-band dataset as one: with the default
(``UNIFIED_SRC_NODATA=PARTIAL``), a pixel counts as missing only where *every* band holds
its nodata, so a -9999 hole in one band is resampled as a value where the other bands are
valid. Warping each band through a one-band view gives every band its own nodata, the
same as ``gdalwarp`` on that band alone. The view is a VRT held in its XML text; nothing
is written to disk.
"""

from __future__ import annotations

import dataclasses
from xml.sax.saxutils import escape

from prospect.errors import DataError
from prospect.io.raster import RasterInfo, files_stamp

__all__ = ["band_view"]

_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
    "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64",
    "float32": "Float32", "float64": "Float64",
}


def _source(path: str, band: int, *, mask: bool = False) -> str:
    which = f"mask,{band}" if mask else str(band)
    return (f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(path)}</SourceFilename>'
            f"<SourceBand>{which}</SourceBand></SimpleSource>")


def _stamp(info: RasterInfo) -> str:
    # an XML comment's text: the file's stamp and its companions' (a raw grid's header)
    return escape(repr(files_stamp(info.path, info.companions))).replace("--", "- -")


def band_view(info: RasterInfo, band: int, *, nodata: float | None) -> RasterInfo:
    """A one-band view of ``band`` of ``info`` (its ``path`` is VRT XML text).

    Parameters
    ----------
    info, band
        The source and its 1-based band.
    nodata
        The band's source nodata (``None``: none beyond NaN for floats).

    Returns
    -------
    RasterInfo
        Read band 1 of it; its ``nodata`` is ``nodata``; a band with a mask band has it
        as the view's alpha band 2 (:attr:`RasterInfo.alpha`). The XML carries the source's
        modification time, so a cached warped view of it follows a replaced file.

    Raises
    ------
    DataError
        A data type GDAL cannot warp.
    """
    dtype = info.band_dtype(band)  # bands of one file may differ in type (a VRT's)
    gtype = _GDAL_TYPES.get(dtype)
    if gtype is None:
        raise DataError(f"{info.path}: band {band}'s data type {dtype} cannot be warped")
    gt = info.transform
    geo = ", ".join(repr(float(v)) for v in (gt[2], gt[0], gt[1], gt[5], gt[3], gt[4]))
    # a band masked by a mask band (internal, .msk, alpha) keeps it, as the view's alpha
    # band: the warper then drops its masked pixels as no data instead of resampling their
    # values. Not as the view's mask band: GDAL's warper reads a mask band only where the
    # source has no nodata, so a file stating both had its masked pixels read as values.
    masked = info.has_mask(band)
    mask = ('<VRTRasterBand dataType="Byte" band="2"><ColorInterp>Alpha</ColorInterp>'
            f"{_source(info.path, band, mask=True)}</VRTRasterBand>") if masked else ""
    xml = (f'<VRTDataset rasterXSize="{info.width}" rasterYSize="{info.height}">'
           f"<!-- {_stamp(info)} -->"
           f"<SRS>{escape(info.crs)}</SRS><GeoTransform>{geo}</GeoTransform>"
           f'<VRTRasterBand dataType="{gtype}" band="1">{_source(info.path, band)}'
           f"</VRTRasterBand>{mask}</VRTDataset>")
    return dataclasses.replace(info, path=xml, count=1 + masked, nodata=(nodata,),
                               dtype=dtype, dtypes=(dtype,), units=(info.band_units(band),),
                               descriptions=(info.descriptions[band - 1],),
                               masked=(masked,), alpha=(2,) if masked else ())
