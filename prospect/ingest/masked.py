"""One band of one scene with its quality layer applied in the source's own pixels.

The scene's quality layer (CFmask classes, Sentinel-2 SCL, Landsat ``QA_PIXEL`` flags;
:mod:`prospect.ingest.cloudmask`) is read on the band's own pixels, the dropped pixels
(grown by the buffer) become no data, and only then is the band warped onto the chunk, so
a cloud never reaches a neighbouring cell through resampling weights. Single scenes
(:mod:`prospect.ingest.rasters`) and composites (:mod:`prospect.ingest.composite`) read
masked bands through :func:`read_masked_band`.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

import numpy as np
from affine import Affine

from prospect.errors import DataError, DataWarning, ProspectError
from prospect.grid import ChunkWindow, RegionGrid, parse_crs
from prospect.ingest.cloudmask import (
    FILL_CODE,
    dropped,
    foreign_codes,
    foreign_name,
    foreign_share,
    foreign_table,
    grow,
    is_fill,
    name_kind,
)
from prospect.ingest.landsat import Saturation, file_level, landsat_id
from prospect.io.files import one_spelling
from prospect.io.raster import RasterInfo, file_stamp, lossy_compression, refuse_memory
from prospect.io.remote import forget_cached, is_network_name
from prospect.io.warp import (
    _aligned_offset,
    current_name,
    kernel_margin,
    kernel_scales,
    read_aligned,
    read_source_block,
    resampling_enum,
    warp_block,
)

__all__ = ["BandValues", "ClearCover", "LossyBandWarning", "SceneMask", "aligned_codes",
           "any_valid",
           "any_within", "buffer_pixels", "check_clear_cover", "check_layer_of_each_scene",
           "check_mask_name", "check_scene_mask", "mask_factor", "read_masked_band",
           "sample_clear", "sample_valid", "warn_lossy_stated"]


@dataclass(frozen=True)
class SceneMask:
    """A scene's quality layer and what it drops."""

    info: RasterInfo
    kind: str
    drop: tuple[str, ...]
    buffer_m: float
    token: str | None = field(default=None, compare=False)
    """For a layer read over the network, what tells this plan's reads from an earlier
    plan's in the same process (a URL has no file stamp: a layer replaced on its server
    was served from the blocks kept of the old one); set when the plan makes the mask."""

    def __post_init__(self) -> None:
        if self.token is None and is_network_name(self.info.path):
            object.__setattr__(self, "token", uuid.uuid4().hex)

    def describe(self) -> dict[str, object]:
        """JSON-friendly summary for provenance."""
        return {"file": self.info.path, "kind": self.kind, "drop": list(self.drop),
                "buffer_m": self.buffer_m}


@dataclass(frozen=True)
class ClearCover:
    """The sampled shares of a region's cells without ``min_count`` observations
    (:func:`check_clear_cover`): ``short`` for the first variable (its bands, the
    quality layers and the scenes' extents), ``others`` for each other variable of the
    source (its own bands on the same clear cells), and ``any_short`` for a cell that
    lacks them in any variable (where a composite's count, the fewest any band has, is
    below ``min_count``)."""

    short: float
    others: Mapping[str, float] = field(default_factory=dict)
    any_short: float = 0.0

    def of(self, variable: str) -> float:
        """The share of ``variable`` (the first variable's where it is not another)."""
        return self.others.get(variable, self.short)


def metres_per_unit(info: RasterInfo) -> float:
    """Metres per CRS unit of ``info`` (degrees: at the equator, for a buffer)."""
    return _metres_per_unit(info.crs)


@functools.lru_cache(maxsize=64)
def _metres_per_unit(crs_text: str) -> float:  # every chunk of every scene asks
    from pyproj import CRS

    crs = CRS.from_user_input(crs_text)
    if crs.is_geographic:
        return 111_320.0  # metres per degree at the equator: a buffer, not a measurement
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(unit) or 1.0


def read_masked_band(info: RasterInfo, band: int, mask: SceneMask | None, grid: RegionGrid,
                     window: ChunkWindow, *, nodata: float | None, scale: float,
                     offset: float, resampling: str,
                     valid_range: tuple[float, float] | None = None,
                     saturate: float | None = None,
                     other_nodata: float | None = None,
                     saturation: Saturation | None = None) -> np.ndarray:
    """``scale * DN + offset`` of ``band`` on one chunk, dropped pixels NaN before resampling.

    No data (``nodata``, else the file's, and ``other_nodata``: the second of two fills
    the product's metadata and the file disagree on), DNs outside ``valid_range`` or at
    either end of it (the product clips to it), the ``saturate`` DN and the pixels
    ``mask`` drops (and the quality layer's fill) and those the product's ``QA_RADSAT``
    layer marks saturated (``saturation``) are NaN in the source block; the block is then
    warped onto the chunk (copied when on the same pixel grid).

    Raises
    ------
    DataError
        The quality layer holds codes its kind does not have
        (:func:`~prospect.ingest.cloudmask.foreign_codes`).
    """
    grow_px = mask.buffer_m / metres_per_unit(info) / info.resolution if mask else 0.0
    # On the grid's own pixels the block is copied, not resampled: no kernel margin, so a
    # chunk reads only the source blocks under it (a margin touched up to nine of them).
    aligned = _aligned_offset(Affine(*info.transform[:6]), info.crs,
                              grid.window_transform(window), grid.crs) is not None
    kernel = resampling_enum(resampling)
    # a kernel coarsening reaches beyond 2 source pixels (bicubic from 7 m to 10 m: 3)
    got = read_source_block(info, band, grid, window, nodata=nodata,
                            other_nodata=other_nodata,
                            margin=(0 if aligned else kernel_margin(info, grid, kernel))
                            + math.ceil(grow_px))
    if got is None:
        return np.full(window.shape, np.nan, dtype=np.float32)
    block, transform = got
    if valid_range is not None:
        lo, hi = valid_range
        with np.errstate(invalid="ignore"):
            block[~((block > lo) & (block < hi))] = np.nan  # NaN stays NaN
    if saturate is not None:
        block[block == saturate] = np.nan
    if saturation is not None:
        flags = aligned_codes(_radsat_info(saturation.path, file_stamp(saturation.path),
                                           info.crs), info.crs, transform, block.shape,
                              nodata=0)
        block[saturation.drops(flags)] = np.nan
    if mask is not None:
        # a layer finer than the band is read on a grid ``k`` times finer, and a band
        # pixel is dropped when any of its layer pixels is (nearest took the one under
        # its centre: a 60 m pixel 8/9 under cloud was kept when its centre was clear)
        k = mask_factor(mask.info, info)
        codes = aligned_codes(mask.info, info.crs,
                              transform if k == 1 else transform @ Affine.scale(1 / k),
                              (block.shape[0] * k, block.shape[1] * k),
                              nodata=FILL_CODE[mask.kind], token=mask.token)
        wrong = foreign_name(mask.kind, mask.info.path) or foreign_codes(
            mask.kind, codes, mask.info.nodata[0], fill_checked=True)
        if wrong is not None:
            raise _not_of_kind(None, mask.info.path, mask.kind, wrong)
        block[grow(any_within(dropped(mask.kind, codes, mask.drop), k), grow_px)] = np.nan
        # no quality known: dropped, not grown
        block[any_within(is_fill(mask.kind, codes, mask.info.nodata[0]), k)] = np.nan
    if scale != 1.0 or offset != 0.0:  # in place: the block is this call's own
        block *= np.float32(scale)
        block += np.float32(offset)
    # the kernel's width of the whole file's warp, as the plain read's warped view takes it
    return warp_block(block, transform, info.crs, grid, window, resampling=kernel,
                      options=kernel_scales(info, grid, kernel))


MAX_MASK_FACTOR = 8
"""Most quality-layer pixels per side of a band pixel that :func:`mask_factor` reads
(a layer yet finer is read at this factor: a few of its pixels per band pixel)."""


def mask_factor(layer: RasterInfo, band: RasterInfo) -> int:
    """Quality-layer pixels per side of one of ``band``'s pixels: 1 when the layer is as
    fine as the band or coarser, else the ratio of their cell sizes in metres rounded up
    (a 20 m SCL under a 60 m band: 3), at most :data:`MAX_MASK_FACTOR`."""
    ratio = (band.resolution * metres_per_unit(band)) / (
        layer.resolution * metres_per_unit(layer))
    if not math.isfinite(ratio) or ratio <= 1.01:
        return 1
    near = round(ratio)
    k = near if abs(ratio - near) <= 0.01 * ratio else math.ceil(ratio)
    return min(int(k), MAX_MASK_FACTOR)


def any_within(fine: np.ndarray, k: int) -> np.ndarray:
    """True where any of the ``k`` x ``k`` pixels of ``fine`` (a boolean block read ``k``
    times finer than its band) under one band pixel is."""
    if k == 1:
        return fine
    rows, cols = fine.shape[0] // k, fine.shape[1] // k
    return np.asarray(fine.reshape(rows, k, cols, k).any(axis=(1, 3)))


LAYER_CACHE_BYTES = 64 * 1024 * 1024
"""Bytes of quality-layer blocks (cloud masks, ``QA_RADSAT``) each thread keeps for the
other bands of their scene: one block per scene and chunk, shared by its bands."""
_layers = threading.local()


def aligned_codes(info: RasterInfo, crs: str, transform: Affine, shape: tuple[int, int], *,
                  nodata: float, token: str | None = None) -> np.ndarray:
    """Band 1 of the quality layer ``info`` on a band's source block
    (:func:`~prospect.io.warp.read_aligned`), read once per scene and block: every band
    of a scene masked by its cloud mask or its ``QA_RADSAT`` layer asks for the same
    block on the same pixels (a composite's bands, a scene's variables), which was read
    (and warped) again for each. Kept per thread, at most :data:`LAYER_CACHE_BYTES`, the
    least recently used dropped first; keyed by the file's stamp, so a file replaced
    under its name is read again; a layer read over the network (no stamp) by the plan's
    ``token`` (:attr:`SceneMask.token`): a new plan's first read in a process drops what
    GDAL kept of the URL, so a layer replaced on its server is read anew. The block
    returned is read-only (shared)."""
    if token is not None:
        _forget_once(info.path, token)
    key = (info.path, file_stamp(info.path), token, info.crs, tuple(info.transform[:6]),
           crs, tuple(transform[:6]), tuple(shape), float(nodata))
    cache: OrderedDict[tuple[object, ...], np.ndarray] | None = getattr(_layers, "cache",
                                                                         None)
    if cache is None:
        cache = _layers.cache = OrderedDict()
    got = cache.get(key)
    if got is not None:
        cache.move_to_end(key)
        return got
    got = read_aligned(info, 1, crs, transform, shape, nodata=nodata)
    got.flags.writeable = False
    cache[key] = got
    held = sum(a.nbytes for a in cache.values())
    while held > LAYER_CACHE_BYTES and len(cache) > 1:
        held -= cache.popitem(last=False)[1].nbytes
    return got


_TOKENS: dict[str, str] = {}
_TOKENS_LOCK = threading.Lock()


def _forget_once(path: str, token: str) -> None:
    """Drop GDAL's cache of the network layer ``path`` the first time this process reads
    it for the plan ``token`` (a worker process of a cluster keeps GDAL's cache between
    runs as the planning process does)."""
    with _TOKENS_LOCK:
        if _TOKENS.get(path) == token:
            return
        _TOKENS[path] = token
        if len(_TOKENS) > 4096:
            _TOKENS.clear()
            _TOKENS[path] = token
    forget_cached([path])


@functools.lru_cache(maxsize=64)
def _radsat_info(path: str, stamp: object, crs: str) -> RasterInfo:
    """The header of a ``QA_RADSAT`` layer (every chunk of every band of the scene asks;
    ``stamp`` tells a replaced file); a layer without a CRS is in its band's ``crs``, as
    the scene's files are."""
    from prospect.io.raster import raster_info

    return raster_info(path, crs=crs)


# --- what can be checked at planning: the layer's name, scene, extent and codes ------------

_PRODUCT_OF_FILE = {"S2": ("scl", "Sentinel-2"), "L2": ("qa_pixel", "Landsat Collection 2"),
                    "L1": ("qa_pixel", "Landsat Collection 2"),
                    "ESPA": ("cfmask", "pre-Collection ESPA Landsat")}
_S2_LAYER = re.compile(r"T(\d{2}[A-Z]{3})_(\d{8}T\d{6})_")

COVER_SIDE = 64
"""Points per side of the lattice over the region where quality layers are sampled while
planning (4 096 at most: a few reads per scene, from overviews where the file has them)."""
MISSING_COVER = 0.01
"""A quality layer that leaves this share of its band's part of the region uncovered is
of another scene or grid (its fill would drop those pixels without a word)."""
GAP_SHARE = 0.2
"""A masked source whose sampled cells lack a clear observation on this share of the
region or more is warned of."""


def _stem(path: str) -> str:
    return PurePosixPath(str(path)).name.split(".")[0]


_S2_ITEM = re.compile(r"^S2[ABCD]_(\d{2}[A-Z]{3})_(\d{8})_\d+_L(?:1C|2A)$")
"""Earth Search's Sentinel-2 item id, the folder of its COGs (``S2A_31UFT_20220301_0_L2A/
SCL.tif``, ``.../B04.tif``): the files' own names state no acquisition."""
_S2_PRODUCT = re.compile(r"^S2[ABCD]_MSIL(?:1C|2A)_(\d{8}T\d{6})_N\d{4}_R\d{3}_"
                         r"T(\d{2}[A-Z]{3})_")
"""ESA's product name (a ``.SAFE`` folder)."""
_SCENE_FOLDERS = 5
"""Folders above a file searched for its acquisition where its own name states none."""


def _scene_of(path: str) -> tuple[str, tuple[str, ...]] | None:
    """``(what, key)`` naming the acquisition a file states: a Landsat id (satellite,
    path/row, date) or a Sentinel-2 tile and datatake (or date), in its name, else in the
    name of a folder above it (an Earth Search item's folder of COGs named ``B04.tif`` and
    ``SCL.tif``, a ``.SAFE`` product); ``None`` when none states one."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    for n, text in enumerate([_stem(path), *reversed(parts[-1 - _SCENE_FOLDERS:-1])]):
        ident = landsat_id(text)
        if ident is not None:
            return ident.text, (f"L{ident.satellite}", f"{ident.path:03d}{ident.row:03d}",
                                str(ident.date))
        m = _S2_LAYER.search(text) if n == 0 else None
        if m is not None:
            return f"T{m.group(1)}_{m.group(2)}", ("S2", m.group(1), m.group(2))
        m = _S2_ITEM.match(text)
        if m is not None:
            return text, ("S2", m.group(1), m.group(2))
        m = _S2_PRODUCT.match(text)
        if m is not None:
            return text, ("S2", m.group(2), m.group(1))
    return None


def _same_scene(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two acquisition keys of :func:`_scene_of` can be one: a datatake time
    against a date (an item folder's) compares the date."""
    if a[:2] != b[:2]:
        return False
    if a[0] == "S2" and len(a[2]) != len(b[2]):
        return a[2][:8] == b[2][:8]
    return a == b


def _data_bands(info: RasterInfo) -> int:
    """The bands of a quality layer that hold codes (alpha bands aside): its header's, or,
    where its item states its grid (planned without the header), the local file's own
    (a remote one is counted when it is first read,
    :func:`prospect.io.warp.check_stated_grid`; one that cannot be opened is left to
    that read)."""
    if info.stated_by is None or is_network_name(info.path):
        return info.data_count
    import rasterio

    from prospect.io.warp import data_bands

    try:
        with rasterio.open(current_name(info.path)) as src:
            return data_bands(src)
    except rasterio.errors.RasterioError:
        return info.data_count


def _several_bands(path: str, kind: str, count: int) -> str:
    """The refusal of a quality layer of ``count`` data bands (alpha bands aside): a
    layer is read as its band 1, so Sentinel-2 Level-1C's ``MSK_CLASSI_B00`` (opaque
    clouds, cirrus and snow, one band each) or an SCL rendered in colour masked every
    scene by its first band alone, exit 0. A layer whose item states its grid is planned
    without its header: a local one's bands are counted from its file
    (:func:`_data_bands`), a remote one's when it is first read
    (:func:`prospect.io.warp.check_stated_grid`, in a cloud mask's words too)."""
    return (f"the quality layer {path} is a file of {count} bands, but a cloud mask is "
            f"read as one band of {kind} codes (its first), so the others (a cirrus or "
            "snow band, the colours of a rendering) would go unread and band 1 alone would "
            "mask the scene; give the scene's one-band quality layer in cloud_mask.asset, "
            "or write the band that holds the codes to a file of its own (gdal_translate "
            "-b N LAYER ONE_BAND.tif)")


def _band_of_layer_file(path: str, bands: Mapping[str, RasterInfo]) -> str | None:
    """The variable whose band file is the quality layer ``path`` itself, if any."""
    layer = one_spelling(path)
    return next((var for var, info in bands.items() if one_spelling(info.path) == layer), None)


def _layer_is_a_band(path: str, kind: str, var: str) -> str:
    """The refusal of a quality layer that is the file of band ``var``: a cloud-mask
    asset whose href names a band's file (a catalogue's copy-paste), or a mask key of
    ``bands`` naming one. Its reflectance was read as ``kind`` codes: QA_PIXEL reads any
    16-bit value as flags, so a red of DN 21824 passed as clear land and others masked
    the scene at random, exit 0; SCL and CFmask were refused by the codes they lack, not
    as one file read twice."""
    return (f"the quality layer {path} is the file of band {var!r}: cloud_mask.asset names "
            "the same file as a band of the scene (a copied href or path?), so the band's "
            f"values would be read as {kind} codes and mask the scene by its own reflectance; "
            "give the scene's own quality layer in cloud_mask.asset, or fix the file its "
            "asset names")


def check_layer_of_each_scene(
        where: str, layers: Sequence[tuple[str, str, str, object, frozenset[str]]], *,
        noun: str = "item", asset: str = "its cloud_mask.asset (a copied href?)") -> None:
    """Refuse one quality layer named by scenes of two looks.

    An item's cloud-mask asset whose href was copied from another item's (a catalogue
    written by hand or a script keyed by tile alone) masked every look of it by the first
    look's clouds: a clear second scene lost the pixels cloudy in the first, its count 0
    there, exit 0. Scenes of one look (tiles of one pass, one scene listed under two ids)
    may share a layer, and so may items of one set of band files (one scene, whatever
    their dates say: other rules judge those); a layer is one acquisition's, so the bands
    of two passes may not. No file is read (the names alone).

    A plain source's ``scenes:`` mosaic is checked the same way (``noun="scene"``): a
    scene whose mask key of ``bands:`` named another date's layer (a scene block copied
    and its band paths alone changed) lost its clear pixels where the other date was
    cloudy, and a mosaic of two dates was no data there (the cover warning blamed the
    sky), exit 0.

    Parameters
    ----------
    where
        Names the source, for the message.
    layers
        Per scene with a quality layer: its item id (or, for a plain source's scene, its
        number in ``scenes:``), its date, its layer's file, its look (its overpass key,
        else its date: items of one day that state no pass may share a layer made for the
        day) and its band files.
    noun
        What a scene is called in the message: ``"item"`` (a STAC item, named by its id
        in quotes) or ``"scene"`` (a plain source's, named by its number).
    asset
        Where each scene names its layer, for the fix.

    Raises
    ------
    DataError
        Naming both scenes, their dates, the layer and the fix.
    """
    seen: dict[str, tuple[str, str, object, frozenset[str]]] = {}
    for item, day, path, look, files in layers:
        own = frozenset(one_spelling(f) for f in files)
        first = seen.setdefault(one_spelling(path), (item, day, look, own))
        if first[2] == look or first[3] == own:
            continue
        # an item's layer is taken for the first item's; a scene's path says not whose
        names, masked = ((f"items {first[0]!r} ({first[1]}) and {item!r} ({day})",
                          f"item {item!r} would be masked by the clouds of {first[0]!r}")
                         if noun == "item" else
                         (f"{noun}s {first[0]} ({first[1]}) and {item} ({day})",
                          f"one {noun} would be masked by the clouds of the other"))
        raise DataError(
            f"{where}: {names} name one quality layer ({path}), but they are two looks, "
            f"and a quality layer holds the clouds of one acquisition: {masked} (its "
            f"clear pixels dropped where those were cloudy); give each {noun} the quality "
            f"layer of its own {'scene' if noun == 'item' else 'acquisition'} in {asset}")


def _not_of_kind(where: str | None, path: str, kind: str, why: str) -> DataError:
    """The refusal of a quality layer that is not a ``kind`` layer, for ``why``
    (``where``: the source or item, or ``None`` where the caller names it)."""
    at = f"{where}: " if where else ""
    return DataError(f"{at}{path}: not a {kind} quality layer: {why}{_kind_advice(why)}")


def _kind_advice(why: str) -> str:
    """How to go on from a layer not of its kind: name the scene's own quality layer, or
    its encoding; nothing where ``why`` already says so because no kind reads the layer
    (a cloud probability: "its encoding in cloud_mask.kind" sent the user to try each)."""
    if "no kind reads" in why:
        return ""
    return ("; name the scene's own quality layer in cloud_mask.asset, or its encoding in "
            "cloud_mask.kind (scl, qa_pixel, cfmask)")


LAYER_SAMPLE = 64
"""Most pixels per side of the decimated read of a quality layer by :func:`_layer_sample`."""


def _layer_sample(info: RasterInfo) -> np.ndarray:
    """Band 1 of the quality layer ``info`` read decimated (nearest, overviews where the
    file has them) to at most :data:`LAYER_SAMPLE` pixels a side, for a refusal that
    can say what the layer holds; empty when the file cannot be read (the refusal then
    names what its header shows)."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(info.path) as src:
            shape = (min(src.height, LAYER_SAMPLE), min(src.width, LAYER_SAMPLE))
            return np.asarray(src.read(1, out_shape=shape, resampling=Resampling.nearest))
    except (RasterioError, OSError, ValueError):
        return np.empty(0, dtype=info.band_dtype(1))


def check_mask_name(kind: str, path: str, *, where: str) -> None:
    """Refuse a quality layer whose file name shows a layer that no kind reads
    (:func:`~prospect.ingest.cloudmask.name_kind`), before its header is read: a
    Sentinel-2 GML cloud mask (``MSK_CLOUDS_B00.gml``, no raster) failed as an
    unreadable item, "not a raster", where its name tells what it is and what to use.
    A layer of another kind (a ``cfmask`` file read as ``scl``) is refused by
    :func:`check_scene_mask`, its header read.

    Raises
    ------
    DataError
        Naming the layer, what its name shows and the fix.
    """
    named = name_kind(path)
    if named is not None and named[0] is None:
        wrong = foreign_name(kind, path)
        raise _not_of_kind(where, path, kind, wrong or f"its name shows {named[1]}")


def check_scene_mask(mask: SceneMask, bands: Mapping[str, RasterInfo], grid: RegionGrid, *,
                     where: str) -> None:
    """Refuse a quality layer that cannot be the scene's, from what planning can see.

    Without product metadata (``sensor:``, an MTL, a STAC item's product) nothing else
    checks it: the layer's file against the bands' (one of them read as codes,
    :func:`_layer_is_a_band`), the layer's file name against ``mask.kind``
    (:func:`foreign_name`: an SCL file read as CFmask, ESPA's ``pixel_qa``, a
    cloud-probability layer), the layer's own class names and colour table against the kind
    (:func:`foreign_table`: python-fmask's output read as CFmask), the bands' file names
    against the kind (a Sentinel-2 band masked by "CFmask"), the acquisition the layer's and
    the bands' names state (another Landsat path/row or date, another Sentinel-2 tile or
    datatake), a layer stored with a lossy codec (JPEG, lossy WebP or JPEG 2000, LERC with
    an error: its codes are not the codes written), and the layer's extent: one that leaves
    part of its bands' area in the region uncovered reads there as fill, which is dropped,
    so those pixels were lost without a word (a layer of another scene or grid). The codes
    are checked on a sample by :func:`sample_clear`.

    Parameters
    ----------
    mask
        The scene's quality layer.
    bands
        Variable -> header of the scene's band file.
    grid
        The region.
    where
        Names the source (and item) for the messages.

    Raises
    ------
    DataError
        Naming the layer, the bands and what does not fit.
    """
    path = mask.info.path
    if mask.token is not None:  # a layer over the network: this plan reads what it holds now
        _forget_once(path, mask.token)
    band_file = _band_of_layer_file(path, bands)
    if band_file is not None:
        raise DataError(f"{where}: {_layer_is_a_band(path, mask.kind, band_file)}")
    if mask.info.lossy:  # codes, as a categorical source's: no value read tells its class
        raise DataError(f"{where}: {_lossy_layer(path, mask.kind, mask.info.lossy)}")
    count = _data_bands(mask.info)
    if count > 1:
        raise DataError(f"{where}: {_several_bands(path, mask.kind, count)}")
    wrong = foreign_codes(mask.kind, np.empty(0, dtype=mask.info.band_dtype(1)),
                          mask.info.nodata[0])
    if wrong is not None:  # told by its nodata alone: what do its values show? (an SCL
        # of fill 255 read, a cloud probability told as one)
        wrong = foreign_codes(mask.kind, _layer_sample(mask.info), mask.info.nodata[0])
    wrong = wrong or foreign_name(mask.kind, path) or \
        foreign_table(mask.kind, mask.info.classes[0] if mask.info.classes else (),
                      nodata=mask.info.nodata[0],
                      coded=mask.info.codes[0] if mask.info.codes else None)
    if wrong is not None:
        raise _not_of_kind(where, path, mask.kind, wrong)
    for var, info in bands.items():
        level = file_level(_stem(info.path))
        own = _PRODUCT_OF_FILE.get(level or "")
        if own is not None and own[0] != mask.kind:
            raise DataError(
                f"{where}: band {var!r} ({info.path}) is a {own[1]} file, whose quality "
                f"layer is read as kind {own[0]!r}, but cloud_mask.kind is {mask.kind!r} "
                f"({path}); the classes of one layer mean other things in another: give "
                f"the scene's own quality layer and 'kind: {own[0]}'")
    layer_scene = _scene_of(path)
    if layer_scene is not None:
        for var, info in bands.items():
            band_scene = _scene_of(info.path)
            if band_scene is not None and not _same_scene(band_scene[1], layer_scene[1]):
                raise DataError(
                    f"{where}: the quality layer {path} is of {layer_scene[0]}, but band "
                    f"{var!r} ({info.path}) is of {band_scene[0]}: another scene's clouds "
                    "would mask this one; give the same scene's quality layer")
    for var, info in bands.items():
        uncovered = _uncovered_share(mask.info, info, grid)
        if uncovered is not None and uncovered > MISSING_COVER:
            raise DataError(
                f"{where}: the quality layer {path} covers only {1 - uncovered:.0%} of band "
                f"{var!r} ({info.path}) in region {grid.name!r}: the rest would read as the "
                "layer's fill and be dropped (a layer of another scene, tile or grid?); give "
                "the quality layer of the same scene, on the band's extent")
        break  # the bands of a scene share one extent; the first one tells


def _box(info: RasterInfo, grid: RegionGrid) -> tuple[float, float, float, float] | None:
    try:
        return info.bounds_in(grid.crs_obj)
    except ProspectError:  # a CRS PROJ cannot reach: the plan names it elsewhere
        return None


def _area(box: tuple[float, float, float, float] | None) -> float:
    if box is None:
        return 0.0
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


def _cut(a: tuple[float, float, float, float], b: tuple[float, float, float, float]
         ) -> tuple[float, float, float, float]:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _uncovered_share(layer: RasterInfo, band: RasterInfo, grid: RegionGrid) -> float | None:
    """Share of the band's part of the region (bounding boxes in the grid's CRS) that the
    quality layer does not reach; ``None`` when the band misses the region."""
    band_box, layer_box = _box(band, grid), _box(layer, grid)
    if band_box is None or layer_box is None:
        return None
    inside = _cut(band_box, grid.bounds)
    whole = _area(inside)
    if whole <= 0:
        return None
    return 1.0 - _area(_cut(inside, layer_box)) / whole


def lattice(grid: RegionGrid, side: int = COVER_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """Centres (x, y in the grid's CRS) of an even lattice of at most ``side`` x ``side``
    points over the region, at most one per cell."""
    left, bottom, right, top = grid.bounds
    rows, cols = min(side, grid.height), min(side, grid.width)
    xs = left + (np.arange(cols) + 0.5) * (right - left) / cols
    ys = top - (np.arange(rows) + 0.5) * (top - bottom) / rows
    return np.meshgrid(xs, ys)


def _lossy_layer(path: str, kind: str, how: str) -> str:
    """Why a quality layer stored with the lossy codec ``how`` is refused (for a message
    that the caller prefixes with the source and item)."""
    return (f"the quality layer {path} is stored with {how}, which changes values, so its "
            f"{kind} codes are not the codes written (a cloud can read as clear, clear land "
            "as cloud); get the layer stored losslessly (e.g. gdal_translate -co "
            "COMPRESS=DEFLATE from the original; recompressing this file cannot restore its "
            "codes)")


LOSSY_BAND_MARK = "its values are the codec's approximation of those written"
"""The words of :func:`_lossy_band`'s warning (a composite groups it by
:attr:`LossyBandWarning.group`)."""


class LossyBandWarning(DataWarning):
    """:func:`_lossy_band`'s warning, with what a composite groups it by (``group``: the
    item's asset key and the codec), so that each asset is told once per source (a text
    alone, as ``warnings`` re-raises it, has no group)."""

    def __init__(self, text: str, group: tuple[str, str] = ("", "")) -> None:
        super().__init__(text)
        self.group = group


def _asset_key(info: RasterInfo) -> str:
    """The asset key a stated grid's description names (``item 'x' asset 'nir'``:
    ``'nir'``), or its whole ``stated_by``."""
    stated = info.stated_by or ""
    return stated.rsplit(" asset ", 1)[-1]


def _lossy_band(info: RasterInfo, how: str, error: float | None) -> LossyBandWarning:
    """Why a band of values planned from its item's stated grid (no header read, so
    :func:`~prospect.ingest.rasters.check_lossy` saw no codec) but stored with the lossy
    codec ``how`` is read with a warning (a plain raster source's rule)."""
    bound = (f"up to {error:g} off per cell" if error is not None
             else "off by an error the codec does not bound")
    return LossyBandWarning(
        f"{info.stated_by}: {info.path}: stored with {how}: {LOSSY_BAND_MARK}, "
        f"{bound}, and they are read as measurements; if they must be "
        "exact, get the data stored losslessly (e.g. gdal_translate -co "
        "COMPRESS=DEFLATE from the original; recompressing this file cannot restore "
        "its values)", (_asset_key(info), how))


def warn_lossy_stated(info: RasterInfo) -> None:
    """Warn (:class:`LossyBandWarning`) when a band of values whose item states its grid
    is stored with a lossy codec: its header is opened for the codec alone (one request
    for a remote file). The planning's sample read tells it for the band it samples
    (:func:`_decimated`); a composite's other bands are told here (a JPEG ``nir`` beside
    a DEFLATE ``red`` was read without a word). A file that cannot be opened is left to
    the read, which names why (GDAL's memory of the failed open is dropped, so the read
    tries afresh)."""
    import rasterio
    from rasterio.errors import RasterioError

    if info.stated_by is None:
        return
    try:
        with rasterio.open(info.path) as src:
            how, error = lossy_compression(src)
    except (OSError, RasterioError):
        forget_cached([info.path])
        return
    if how:
        warnings.warn(_lossy_band(info, how, error), stacklevel=2)


def _decimated(info: RasterInfo, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray,
               pad: float = 0.0, *, with_mask: bool = False, codes_of: str | None = None,
               warn_lossy: bool = True, bidx: int = 1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float,
                          np.ndarray | None] | None:
    """Band ``bidx`` (1-based; a quality layer's is 1) of ``info`` read decimated
    (overviews where the file has them) over the points ``xs``, ``ys`` (the grid's CRS)
    and ``pad`` of its pixels around them:
    ``(block, inside, ri, ci, step, masked)``, the block's row and column of each point
    inside the file, the file's pixels per block pixel and, with ``with_mask`` for a file
    with a mask band of its own, where that mask says no data; ``None`` when no point is
    inside the file.

    ``codes_of``: the file is a quality layer of that kind, whose codec is checked here
    where its item states its grid (planned without its header, so
    :func:`check_scene_mask` saw no codec: a JPEG SCL went in as codes). A band of values
    (no ``codes_of``) of a stated grid stored with a lossy codec is warned of here
    (:func:`_lossy_band`), as a plain raster's is, unless ``warn_lossy`` is false (a
    band whose codec :func:`warn_lossy_stated` tells).

    Raises
    ------
    DataError
        A quality layer (``codes_of``) stored with a lossy codec.
    """
    import rasterio
    from pyproj import Transformer
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError
    from rasterio.windows import Window

    from prospect.errors import InputFileError

    tr = Transformer.from_crs(grid.crs_obj, info.crs, always_xy=True)
    px, py = tr.transform(xs, ys)
    if tr.target_crs is not None and tr.target_crs.is_geographic:
        px = _file_longitudes(info, px)  # a 0..360 file's points west of 0 at lon + 360
    col, row = ~Affine(*info.transform[:6]) * (np.asarray(px), np.asarray(py))
    with np.errstate(invalid="ignore"):
        inside = (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)
    if not inside.any():
        return None
    c0, c1 = int(np.floor(col[inside].min())), int(np.floor(col[inside].max())) + 1
    r0, r1 = int(np.floor(row[inside].min())), int(np.floor(row[inside].max())) + 1
    oh, ow = min(r1 - r0, 2 * xs.shape[0]), min(c1 - c0, 2 * xs.shape[1])
    step = max((r1 - r0) / oh, (c1 - c0) / ow)
    m = math.ceil(pad)
    c0, r0 = max(c0 - m, 0), max(r0 - m, 0)
    c1, r1 = min(c1 + m, info.width), min(r1 + m, info.height)
    oh = min(r1 - r0, max(oh, math.ceil((r1 - r0) / step)))
    ow = min(c1 - c0, max(ow, math.ceil((c1 - c0) / step)))
    win = Window(c0, r0, c1 - c0, r1 - r0)
    masked = None
    try:
        with rasterio.open(info.path) as src:
            how, error = lossy_compression(src) if info.stated_by is not None else (
                "", None)
            if how and codes_of is not None:  # the header is open: no extra read
                raise DataError(f"{info.stated_by}: "
                                f"{_lossy_layer(info.path, codes_of or '', how)}")
            if codes_of is not None:  # the header is open: its table and colours too
                _refuse_foreign_table(src, info, codes_of)
            if how and warn_lossy:  # a band of values: read as a plain raster's, warned of
                warnings.warn(_lossy_band(info, how, error), stacklevel=2)
            block = src.read(bidx, window=win, out_shape=(oh, ow),
                             resampling=Resampling.nearest)
            if with_mask and info.has_mask(bidx):
                masked = src.read_masks(bidx, window=win, out_shape=(oh, ow),
                                        resampling=Resampling.nearest) == 0
    except (OSError, RasterioError) as exc:
        refuse_memory(info.path, exc)  # the worker's memory, not the file
        raise InputFileError(f"{info.path}: read failed: {exc}") from None
    ri = np.clip(((row[inside] - r0) * oh / (r1 - r0)).astype(int), 0, oh - 1)
    ci = np.clip(((col[inside] - c0) * ow / (c1 - c0)).astype(int), 0, ow - 1)
    return block, inside, ri, ci, max((r1 - r0) / oh, (c1 - c0) / ow), masked


def _refuse_foreign_table(src: Any, info: RasterInfo, kind: str) -> None:
    """Refuse the open quality layer ``src`` when its class names or colour table show
    another encoding than ``kind`` (:func:`foreign_table`). A layer of a stated grid is
    planned without its header, so :func:`check_scene_mask` saw neither (python-fmask's
    output in items that state their grids, read as CFmask, kept its clouds); no header
    read keeps a colour table's colours, which alone tell python-fmask's output copied
    without its class names (under ``kind: scl``, whose no data is 0 as python-fmask's,
    its clouds went in as values).

    Raises
    ------
    DataError
        Naming the item (a stated grid's), the layer and what its metadata shows.
    """
    from prospect.io.raster import _class_names, _coded_bands

    if info.stated_by is None:  # the header read them: no second read of the names
        coded, classes = info.codes, info.classes
    else:
        coded = _coded_bands(src)
        classes = _class_names(src, coded)
    wrong = foreign_table(kind, classes[0] if classes else (), nodata=src.nodata,
                          coded=coded[0] if coded else None, palette=_palette(src))
    if wrong is not None:
        raise _not_of_kind(info.stated_by, info.path, kind, wrong)


def _palette(src: Any) -> dict[int, tuple[int, ...]] | None:
    """Band 1's colour table of the open ``src`` (code -> RGBA), or ``None``."""
    from rasterio.enums import ColorInterp

    if src.colorinterp[0] != ColorInterp.palette:
        return None
    try:
        return dict(src.colormap(1))
    except ValueError:  # a palette interpretation without a table
        return None


def _sample_block(mask: SceneMask, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray,
                  pad: float = 0.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The quality layer read decimated over the points ``xs``, ``ys`` and ``pad`` of its
    pixels around them: ``(block, inside, ri, ci, step)``, the block's row and column of
    each point inside the file and the layer's pixels per block pixel; ``None`` when no
    point is inside. Codes not of the kind are refused (the whole block read, not only
    the points')."""
    info = mask.info
    got = _decimated(info, grid, xs, ys, pad, codes_of=mask.kind)
    if got is None:
        return None
    block, inside, ri, ci, step, _ = got
    held = (block[~is_fill(mask.kind, block, info.nodata[0])] if block.dtype.kind in "iu"
            else block.ravel())
    wrong = (foreign_codes(mask.kind, held, info.nodata[0], fill_checked=True)
             or foreign_share(mask.kind, held, info.nodata[0])) if held.size else None
    if wrong is not None:  # the whole block read, not only the lattice's points
        raise _not_its_kind(info, mask.kind, wrong)
    return block, inside, ri, ci, step


def _not_its_kind(info: RasterInfo, kind: str, wrong: str) -> DataError:
    """The refusal of the quality layer ``info`` whose codes are not ``kind``'s
    (``wrong``: what they show)."""
    return _not_of_kind(None, info.path, kind, wrong)


def _check_codes_under_values(mask: SceneMask, grid: RegionGrid, xs: np.ndarray,
                              ys: np.ndarray, valid: np.ndarray) -> None:
    """Refuse a ``cfmask`` layer whose codes at the lattice points where its scene's band
    holds values (``valid``) are python-fmask's (:func:`foreign_share`).

    python-fmask writes its null (0) outside the scene's footprint; over a region that
    reaches the scene's edge the layer's sample held code 0 there, which passed for
    CFmask's clear land, and its clouds (2, CFmask's shadow) were kept by ``drop:
    [cloud]`` as values, exit 0. Where the band holds a value the scene saw the ground:
    a CFmask's code 0 there is clear land, python-fmask's never. Only layers whose 0 is
    their file's no data, or that state none, are read twice.

    Raises
    ------
    DataError
        Naming the layer and what its codes show.
    """
    nodata = mask.info.nodata[0] if mask.info.nodata else None
    if mask.kind != "cfmask" or not (nodata is None or nodata == 0) or not valid.any():
        return
    got = _sample_block(mask, grid, xs, ys)
    if got is None:
        return
    block, inside, ri, ci, _ = got
    codes = block[ri, ci][valid[inside]]
    held = codes[~is_fill(mask.kind, codes, nodata)] if codes.dtype.kind in "iu" else codes
    wrong = foreign_share(mask.kind, held, nodata) if held.size else None
    if wrong is not None:
        raise _not_its_kind(mask.info, mask.kind,
                            wrong.replace("in the region", "where its scene's band holds "
                                          "values in the region", 1))


class BandValues(Protocol):
    """One scene's band as its reads drop no data (a composite's
    :class:`~prospect.ingest.composite.ScenePart`, a plain source's
    :class:`~prospect.ingest.rasters.BandRef`)."""

    @property
    def info(self) -> RasterInfo: ...
    @property
    def band(self) -> int:
        """The band's 1-based index in its file (a multi-band file's band 3: its own
        values and no data are sampled, not band 1's)."""
        ...
    @property
    def nodata(self) -> float | None: ...
    @property
    def other_nodata(self) -> float | None: ...
    @property
    def valid_range(self) -> tuple[float, float] | None: ...
    @property
    def saturate(self) -> float | None: ...


def _band_valid(band: BandValues, raw: np.ndarray, masked: np.ndarray | None
                ) -> np.ndarray:
    """Where ``raw`` DNs of ``band`` are values: none of the values its reads drop (the
    config's or the item's no data, else the file's, the second fill, each as the band
    holds them: :meth:`RasterInfo.dropped`), not NaN, not the file's mask band's no
    data, inside the product's valid range and not its saturated DN (as the chunks read
    them, :func:`read_masked_band`)."""
    valid = np.ones(raw.shape, dtype=bool)
    if raw.dtype.kind == "f":
        valid &= ~np.isnan(raw)
    for value in (*band.info.dropped(band.band, band.nodata, band.other_nodata),
                  band.saturate):
        if value is not None and not np.isnan(value):
            valid &= raw != value
    if band.valid_range is not None:
        lo, hi = band.valid_range
        with np.errstate(invalid="ignore"):
            valid &= (raw > lo) & (raw < hi)
    if masked is not None:
        valid &= ~masked
    return valid


def sample_valid(band: BandValues, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray, *,
                 warn_lossy: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Where the lattice points hold a value of ``band`` (not its no data, fill or
    clipped DNs), from one decimated read (overviews where the file has them: a few HTTP
    range requests for a remote COG), and the raw DNs read (``None`` when no point lies
    in the file). ``warn_lossy``: a lossy codec of a stated grid is warned of
    (:func:`_decimated`).

    Raises
    ------
    InputFileError
        The band cannot be read.
    """
    valid = np.zeros(xs.shape, dtype=bool)
    got = _decimated(band.info, grid, xs, ys, with_mask=True, warn_lossy=warn_lossy,
                     bidx=band.band)
    if got is None:
        return valid, None
    raw, inside, ri, ci, _, masked = got
    valid[inside] = _band_valid(band, raw, masked)[ri, ci]
    return valid, raw


def _region_window(src: Any, grid: RegionGrid, info: RasterInfo) -> tuple[int, int, int, int]:
    """``(col0, row0, col1, row1)``: the pixels of the open file ``src`` (header ``info``)
    within the region's bounds, clipped to the file."""
    from rasterio.warp import transform_bounds
    from rasterio.windows import from_bounds

    left, bottom, right, top = transform_bounds(grid.crs, info.crs, *grid.bounds)
    win = from_bounds(left, bottom, right, top, transform=src.transform)
    c0, r0 = max(int(np.floor(win.col_off)), 0), max(int(np.floor(win.row_off)), 0)
    c1 = min(int(np.ceil(win.col_off + win.width)), src.width)
    r1 = min(int(np.ceil(win.row_off + win.height)), src.height)
    return c0, r0, c1, r1


def any_valid(band: BandValues, grid: RegionGrid, *, rows: int = 512) -> bool:
    """Whether ``band`` holds a single value (not no data, fill or clipped) within the
    region's bounds, read at full resolution in strips of ``rows`` rows (bounded memory;
    called only when the sample found none, to refuse exactly). A file that cannot be
    read counts as holding values (the chunks name what they cannot read)."""
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.windows import Window

    info = band.info
    try:
        with rasterio.open(info.path) as src:
            c0, r0, c1, r1 = _region_window(src, grid, info)
            for r in range(r0, r1, rows):
                w = Window(c0, r, c1 - c0, min(rows, r1 - r))
                raw = src.read(band.band, window=w)
                masked = (src.read_masks(band.band, window=w) == 0
                          if info.has_mask(band.band) else None)
                if _band_valid(band, raw, masked).any():
                    return True
    except (OSError, RasterioError, ValueError):
        return True  # cannot tell: no refusal
    return False


def _within(info: RasterInfo, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray
            ) -> np.ndarray:
    """Where the lattice points ``xs``, ``ys`` (the grid's CRS) fall within the file's
    pixels; all ``True`` when its CRS cannot be reached (the plan names that elsewhere)."""
    from pyproj import Transformer

    try:
        tr = Transformer.from_crs(grid.crs_obj, info.crs, always_xy=True)
        px, py = tr.transform(xs, ys)
        geographic = parse_crs(info.crs).is_geographic
    except Exception:  # pyproj raises several kinds; no refusal from here
        return np.ones(xs.shape, dtype=bool)
    if geographic:
        px = _file_longitudes(info, px)
    col, row = ~Affine(*info.transform[:6]) * (np.asarray(px), np.asarray(py))
    with np.errstate(invalid="ignore"):
        return (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)


def _file_longitudes(info: RasterInfo, px: Any) -> np.ndarray:
    """Longitudes ``px`` (PROJ's, in -180..180) as the lon/lat file ``info`` holds them:
    moved by 360 where that puts one outside the file inside it. A file on 0..360
    longitudes holds a point west of 0 at its longitude + 360, which the reads take (the
    file's ``+lon_wrap`` or its whole rows), but the samples looked for it left of the
    file: a composite of a 0..360 world grid under a region across 180 was said to lack an
    observation in 43% of the cells it held."""
    left, _, right, _ = info.extent()
    lon = np.asarray(px, dtype=np.float64)
    for shift in (360.0, -360.0):
        moved = lon + shift
        with np.errstate(invalid="ignore"):
            take = ((lon < left) | (lon >= right)) & (moved >= left) & (moved < right)
        lon = np.where(take, moved, lon)
    return lon


def buffer_pixels(mask: SceneMask) -> float:
    """The cloud buffer in the quality layer's own pixels (as the chunks grow it)."""
    if mask.buffer_m <= 0:
        return 0.0
    return mask.buffer_m / metres_per_unit(mask.info) / mask.info.resolution


def sample_clear(mask: SceneMask, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray, *,
                 where: str) -> np.ndarray:
    """Where the lattice points have a clear observation in the scene (not dropped, not
    within the cloud buffer of a dropped pixel, not the layer's fill), the codes checked
    first (:func:`foreign_codes`). The buffer is grown on the decimated read, as the
    chunks grow it on the layer's own pixels (without it the warned share was too low).

    Raises
    ------
    DataError
        The sampled codes are not of ``mask.kind``.
    InputFileError
        The layer cannot be read.
    """
    return _sample_looks(mask, grid, xs, ys, where=where)[0]


def _sample_looks(mask: SceneMask, grid: RegionGrid, xs: np.ndarray, ys: np.ndarray, *,
                  where: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sample_clear`'s clear points, and the points the scene looks at at all:
    within the layer's extent and not its fill (its footprint), whatever their class."""
    try:
        got = _sample_block(mask, grid, xs, ys, pad=buffer_pixels(mask))
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    clear = np.zeros(xs.shape, dtype=bool)
    looked = np.zeros(xs.shape, dtype=bool)
    if got is None:
        return clear, looked  # the layer's fill everywhere: nothing clear, nothing seen
    block, inside, ri, ci, step = got
    fill = is_fill(mask.kind, block, mask.info.nodata[0])
    bad = grow(dropped(mask.kind, block, mask.drop), buffer_pixels(mask) / step) | fill
    clear[inside] = ~bad[ri, ci]
    looked[inside] = ~fill[ri, ci]
    return clear, looked


def any_clear(mask: SceneMask, grid: RegionGrid, *, rows: int = 512) -> bool:
    """Whether the quality layer has a single clear pixel (not dropped, not fill) within
    the region's bounds, read at full resolution in strips of ``rows`` rows (bounded
    memory; called only when the sample found none, to refuse exactly). A dropped pixel
    grows by the cloud buffer first, as in the chunks, so a pixel clear but within the
    buffer of a cloud (in or just outside the region) is not clear."""
    from rasterio.errors import RasterioError

    try:
        return _any_clear(mask, grid, rows)
    except (OSError, RasterioError, ValueError):
        return True  # cannot tell: no refusal (the chunks name what they cannot read)


def _any_clear(mask: SceneMask, grid: RegionGrid, rows: int) -> bool:
    import rasterio
    from rasterio.windows import Window

    info = mask.info
    grow_px = buffer_pixels(mask)
    m = math.ceil(grow_px)  # a dropped pixel this near the region reaches into it
    with rasterio.open(info.path) as src:
        c0, r0, c1, r1 = _region_window(src, grid, info)
        e0, e1 = max(c0 - m, 0), min(c1 + m, src.width)
        for r in range(r0, r1, rows):
            n = min(rows, r1 - r)
            a, b = max(r - m, 0), min(r + n + m, src.height)
            codes = src.read(1, window=Window(e0, a, e1 - e0, b - a))
            bad = grow(dropped(mask.kind, codes, mask.drop), grow_px) | is_fill(
                mask.kind, codes, mask.info.nodata[0])
            if (~bad[r - a:r - a + n, c0 - e0:c1 - e0]).any():
                return True
    return False


def check_clear_cover(where: str, scenes: Sequence[tuple[str, SceneMask | None]],
                      grid: RegionGrid, *, min_count: int = 1, what: str = "composite",
                      read: Callable[[list[Callable[[], Any]]], list[Any]] | None = None,
                      extents: Sequence[RasterInfo | None] | None = None,
                      bands: Sequence[BandValues | None] | None = None,
                      overpasses: Sequence[int] = (),
                      other_bands: Mapping[str, Sequence[BandValues | None]] | None = None,
                      first_variable: str | None = None) -> ClearCover:
    """Warn when a large share of the region has no clear observation, refuse when none.

    Each scene's quality layer is sampled on a lattice over the region
    (:func:`sample_clear`; codes not of the kind are refused here, before anything is
    computed), and with ``bands`` one band of it too (:func:`sample_valid`: its no data,
    fill and clipped DNs are no observation); a cell needs ``min_count`` clear
    observations. From :data:`GAP_SHARE` of
    the sampled cells without, a :class:`~prospect.errors.DataWarning` names the share,
    the scenes and the cloud test (those cells are no data in every variable); where no
    sampled cell has one, the layers (and bands) are read in full within the region and,
    if no scene has a single clear pixel (or value), the source is refused: every
    variable would be all no data.
    Scenes without a quality layer count as clear within their band's extent
    (``extents``), and where it is not known everywhere; a layer or band that cannot be
    read now counts as clear (the chunks report what they cannot read). Without any
    quality layer the share outside every scene's extent is warned of the same way; with
    them, where the cells no scene looks at (beyond its extent, its layer's fill or its
    band's no data) are half :data:`GAP_SHARE` or more, the warning says that share
    apart from the mask's (a clear scene partly off the region was told as clouds, "drop
    fewer classes"). The
    cloud buffer is applied to the sample and to the full read as the chunks apply it.

    Parameters
    ----------
    where
        Names the source, for the messages.
    scenes
        ``(scene name, its quality layer or None)`` per scene used.
    grid
        The region.
    min_count
        Clear observations a cell needs (a composite's ``min_count``).
    what
        What the source makes, for the messages.
    read
        Runs the reads (a thread pool's ``map`` over callables, with GDAL's HTTP
        options); ``None``: one after the other.
    extents
        Per scene, the header of one of its bands, or ``None``: a scene without a
        quality layer observes only the cells within its band's extent (a composite of
        scenes that leave part of the region uncovered had those cells at count 0, no
        data, without a word). ``None``: unmasked scenes count as observing every cell.
    bands
        Per scene, one of its bands as the chunks read it, or ``None``: a scene observes
        only where that band holds values (a scene whose band is no data over the
        region, a footprint's collar, a failed scene written as fill, planned as if it
        observed every cell of its bounding box). A remote band whose sample is mostly
        one common fill value that its no data does not mark is warned of here (local
        files are sampled by :func:`prospect.ingest.fills.warn_fills`).
    overpasses
        Per scene, the index of its overpass: scenes of one overpass observe a cell once
        between them (as the chunks mosaic them); empty: each scene is its own.
    other_bands
        Variable -> per scene, one of its bands (as ``bands``) for each other variable
        of the source: each is sampled the same way (:func:`_check_other_bands`), so a
        variable whose bands are no data over the region, or over a large share of it
        beyond ``bands``', is refused or warned of (only the first variable's bands were
        sampled: a composite's ``swir22`` of fill in every scene came out all no data,
        exit 0, without a word), and its own share is returned. A ``None`` band is a
        scene without a band of that variable: it observes none of it (a ``scenes:``
        block that left the variable's file out).
    first_variable
        The name of the variable ``bands`` stand for, where ``other_bands`` holds it too
        (a plain mosaic whose scene lacks it, so that scene's ``bands`` entry is another
        variable's): its own share is then sampled and told like the others'.

    Returns
    -------
    ClearCover
        The sampled shares of cells without ``min_count`` clear observations: the first
        variable's, each other variable's and any variable's.

    Raises
    ------
    DataError
        No scene has a clear pixel (or a value) in the region, or a layer's codes are not
        its kind's.
    """
    from prospect.errors import InputFileError

    masked = [(name, m) for name, m in scenes if m is not None]
    boxes = list(extents) if extents is not None else [None] * len(scenes)
    values = list(bands) if bands is not None else [None] * len(scenes)
    if not masked and not any(boxes) and not any(values):
        return ClearCover(0.0)
    xs, ys = lattice(grid)

    def one(m: SceneMask | None, box: RasterInfo | None, band: BandValues | None
            ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None,
                       np.ndarray | None]:
        """(clear by the mask or extent, valid by the band, the band's raw sample, looked
        at: within the footprint, clouds or not); an unreadable file's part is ``None``:
        unknown, counted as observed."""
        clear: np.ndarray | None
        looked: np.ndarray | None = None
        if m is not None:
            try:
                clear, looked = _sample_looks(m, grid, xs, ys, where=where)
            except InputFileError:
                clear = None  # unknown: counted as clear; the chunks name what they lose
        else:
            clear = _within(box, grid, xs, ys) if box is not None else np.ones(xs.shape,
                                                                                 bool)
        looked = looked if looked is not None else clear
        if band is None:
            return clear, None, None, looked
        try:
            valid, raw = sample_valid(band, grid, xs, ys)
        except InputFileError:
            return clear, None, None, looked
        if m is not None and clear is not None:
            try:
                _check_codes_under_values(m, grid, xs, ys, valid)
            except DataError as exc:
                raise DataError(f"{where}: {exc}") from None
        return clear, valid, raw, looked

    def run(jobs: list[Callable[[], Any]]) -> list[Any]:  # GDAL's HTTP options, threads
        return list(read(jobs)) if read is not None else [job() for job in jobs]

    jobs: list[Callable[[], Any]] = [functools.partial(one, m, box, band) for (_, m), box, band
                                     in zip(scenes, boxes, values, strict=True)]
    got = run(jobs)
    unknown = 0
    looks: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # per overpass: seen, by extent
    keys = list(overpasses) if overpasses else list(range(len(got)))
    unseen = np.ones(xs.shape, dtype=bool)  # looked at by no scene: beyond each footprint
    for key, (clear, valid, _, looked) in zip(keys, got, strict=True):
        unknown += clear is None
        c = np.ones(xs.shape, dtype=bool) if clear is None else clear
        seen = c & valid if valid is not None else c
        old = looks.get(key)
        looks[key] = (seen, c) if old is None else (old[0] | seen, old[1] | c)
        at = np.ones(xs.shape, dtype=bool) if looked is None else looked
        unseen &= ~(at & valid if valid is not None else at)
    count = np.zeros(xs.shape, dtype=np.int32)
    seen_clear = np.zeros(xs.shape, dtype=np.int32)  # by masks and extents alone
    for seen, c in looks.values():
        count += seen
        seen_clear += c
    names = [name for name, _ in scenes]
    _warn_remote_fills(where, names, values, [raw for _, _, raw, _ in got])
    short = float((count < min_count).mean())
    fill_short = short - float((seen_clear < min_count).mean())  # cells lost to fill
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    need = "a clear observation" if min_count == 1 else \
        f"the {min_count} clear observations min_count asks"
    filled = [b for b in values if b is not None]
    if short >= 1.0 and unknown == 0 and filled and len(filled) == len(scenes) and not any(
            run([functools.partial(any_valid, b, grid) for b in filled])):
        raise DataError(
            f"{where}: no value in region {grid.name!r}: the band of every one of the "
            f"{len(names)} scene(s) used ({shown}) is no data there (its nodata, fill or "
            f"clipped DNs; a scene whose footprint misses the region though its bounding "
            f"box reaches it, or a failed scene written as fill), so every {what} variable "
            "would be all no data; add scenes that hold values over the region, or check "
            f"the {'items' if what == 'composite' else 'files'}' nodata")
    lacking = _check_other_bands(where, names, other_bands or {},
                                 [c for c, *_ in got], keys, grid, short,
                                 min_count=min_count, what=what, run=run,
                                 first_variable=first_variable)
    cover = ClearCover(short, {v: float(cells.mean()) for v, cells in lacking.items()},
                       float(np.logical_or.reduce([count < min_count, *lacking.values()]
                                                  ).mean()))
    if not masked:
        if short >= GAP_SHARE:
            place = ("they lie outside the extent of the" if fill_short < GAP_SHARE / 2
                     else "they lie outside the extent of, or are no data (fill) in, the")
            warnings.warn(DataWarning(
                f"{where}: {short:.0%} of the region's cells (sampled on {xs.size}) lack "
                f"{'an observation' if min_count == 1 else need.replace('clear ', '')}: "
                f"{place} "
                f"{len(names)} scene(s) used ({shown}); those cells are no data in every "
                f"{what} variable: add scenes that cover the region, or shrink the region"),
                stacklevel=3)
        return cover
    kind = masked[0][1].kind
    drop = ", ".join(masked[0][1].drop)
    buffer_m = masked[0][1].buffer_m
    grown = f" within cloud_mask.buffer_m {buffer_m:g} m of one" if buffer_m > 0 else ""
    smaller = ", or a smaller cloud_mask.buffer_m" if buffer_m > 0 else ""
    if short >= 1.0 and unknown == 0 and len(masked) == len(scenes) and not any(
            run([functools.partial(any_clear, m, grid) for _, m in masked])):
        raise DataError(
            f"{where}: no clear pixel in region {grid.name!r}: the {kind} quality layer drops "
            f"every pixel (fill, or drop: {drop}{grown}) of the {len(names)} scene(s) used "
            f"({shown}), so every {what} variable would be all no data; add scenes (a wider "
            f"date range, a higher cloud-cover limit) or drop fewer classes in "
            f"cloud_mask.drop{smaller}")
    outside = float(unseen.mean())
    fill = (" or no data (fill) in their bands" if fill_short >= GAP_SHARE / 2 else "")
    if short >= GAP_SHARE and outside >= GAP_SHARE / 2:  # not the sky's: the footprints'
        _warn_outside(where, short, outside, xs.size, need, names, shown,
                      f"the {kind} mask (drop: {drop}{grown})", what, smaller,
                      min_count=min_count, fill=fill)
    elif short >= GAP_SHARE:
        warnings.warn(DataWarning(
            f"{where}: {short:.0%} of the region's cells (sampled on {xs.size}) lack {need} "
            f"in the {len(names)} scene(s) used ({shown}) under the {kind} mask (drop: "
            f"{drop}{grown}){fill}; those cells are no data in every {what} variable: add "
            f"scenes or drop fewer classes{smaller}"), stacklevel=3)
    return cover


def _warn_outside(where: str, short: float, outside: float, sampled: int, need: str,
                  names: Sequence[str], shown: str, mask: str, what: str, smaller: str, *,
                  min_count: int, fill: str) -> None:
    """Warn of the ``short`` share of a masked source's sampled cells that lack ``need``,
    where an ``outside`` share of them (:data:`GAP_SHARE` / 2 or more) no scene looks at:
    beyond its extent, its quality layer's fill or its band's no data (a scene partly off
    the region; ``fill``: the words for the bands' fill where it counts). Told as cells
    ``mask`` dropped, with "add scenes or drop fewer classes", a clear scene over part of
    the region was told to let clouds in."""
    cloudy = short - outside
    if cloudy < 0.005:
        rest = f", none for a class {mask.split(' (')[0]} drops"
    elif min_count == 1:
        rest = f", and {cloudy:.0%} are dropped by {mask}"
    else:
        rest = f", and {cloudy:.0%} lack them under {mask} or where too few scenes reach"
    warnings.warn(DataWarning(
        f"{where}: {short:.0%} of the region's cells (sampled on {sampled}) lack {need} in "
        f"the {len(names)} scene(s) used ({shown}): {outside:.0%} lie outside every "
        "scene's footprint (beyond its extent, or its quality layer's fill: a scene partly "
        f"off the region){fill}{rest}; those cells are no data in every {what} "
        "variable: add scenes that cover the region, or shrink the region"
        + (f" (or drop fewer classes{smaller})" if cloudy >= GAP_SHARE else "")),
        stacklevel=4)


def _check_other_bands(where: str, names: Sequence[str],
                       other_bands: Mapping[str, Sequence[BandValues | None]],
                       clears: Sequence[np.ndarray | None], keys: Sequence[int],
                       grid: RegionGrid, short: float, *, min_count: int, what: str,
                       run: Callable[[list[Callable[[], Any]]], list[Any]],
                       first_variable: str | None = None) -> dict[str, np.ndarray]:
    """Refuse a variable whose bands hold no value in the region in any scene, and warn
    of one whose bands leave :data:`GAP_SHARE` of the region's sampled cells or more
    without ``min_count`` observations (its own no data: a detector or band missing from
    the scenes, a fill its nodata does not mark being told elsewhere) where the first
    variable's ``short`` share was not warned of, or :data:`GAP_SHARE` beyond it where
    it was (a ``swir22`` of 30 % beside a ``red`` of 15 % was planned without a word),
    from the same lattice as :func:`check_clear_cover` (``clears``: each scene's clear
    points, ``None`` where unknown; ``keys``: each scene's overpass). A band that cannot
    be read counts as holding values (the chunks name what they cannot read).

    Returns
    -------
    dict
        Variable -> where its sampled cells lack ``min_count`` observations.

    Raises
    ------
    DataError
        No scene's band of a variable holds a value in the region.
    """
    from prospect.errors import InputFileError

    xs, ys = lattice(grid)

    def valid_of(band: BandValues | None) -> np.ndarray | None:
        if band is None:
            return None
        try:
            # the other variables' lossy codecs are told by warn_lossy_stated
            return sample_valid(band, grid, xs, ys, warn_lossy=False)[0]
        except InputFileError:
            return None

    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    need = "a value" if min_count == 1 else f"the {min_count} values min_count asks"
    thing = "asset" if what == "composite" else "file"  # what names a variable's band
    lacking: dict[str, np.ndarray] = {}
    for var, parts in other_bands.items():
        valids = run([functools.partial(valid_of, b) for b in parts])
        looks: dict[int, np.ndarray] = {}
        for key, clear, valid, part in zip(keys, clears, valids, parts, strict=True):
            seen = np.ones(xs.shape, dtype=bool) if clear is None else clear.copy()
            if valid is not None:
                seen &= valid
            elif part is None:  # a scene without a band of the variable observes none of it
                seen[:] = False
            looks[key] = looks[key] | seen if key in looks else seen
        count = np.sum(list(looks.values()), axis=0)
        lacking[var] = count < min_count
        own = float(lacking[var].mean())
        held = [b for b in parts if b is not None]
        if own >= 1.0 and held and all(v is not None for b, v in zip(parts, valids, strict=True)
                                       if b is not None) and not any(
                run([functools.partial(any_valid, b, grid) for b in parts if b is not None])):
            raise DataError(
                f"{where}: variable {var!r} has no value in region {grid.name!r}: its band "
                f"in every one of the {len(names)} scene(s) used ({shown}) is no data there "
                "(its nodata, fill or clipped DNs: a band missing from the scenes, or its "
                f"{thing} of another extent), so {var!r} would be all no data; check the "
                f"{thing} that {var!r} names and its nodata, or leave {var!r} out")
        if own >= GAP_SHARE and (short < GAP_SHARE or own - short >= GAP_SHARE):
            # cells beyond the extent of every file of the variable: not its fill
            beyond = lacking[var].copy()
            for b in parts:
                if b is not None:
                    beyond &= ~_within(b.info, grid, xs, ys)
            why = ("are no data there (their nodata, fill or clipped DNs)"
                   if float(beyond.mean()) < own / 2 else
                   f"lie outside their {thing}s' extent there (a {thing} of another scene or "
                   "tile?)")
            fix = f"check the {thing} {var!r} names and its nodata, or add scenes"
            absent = [n for n, b in zip(names, parts, strict=True) if b is None]
            if absent:  # a plain source's scene listed without a file of the variable
                why = (f"are missing from {len(absent)} of them ({', '.join(absent[:8])}"
                       f"{' ...' if len(absent) > 8 else ''}: no {thing} of {var!r} over "
                       "the region)")
                fix = f"give each scene its {thing} of {var!r}, or leave {var!r} out"
            warnings.warn(DataWarning(
                f"{where}: {own:.0%} of the region's cells (sampled on {xs.size}) lack "
                f"{need} of variable {var!r} in the {len(names)} scene(s) used ({shown}), "
                + (f"against {short:.0%} for the source's first variable"
                   if var != first_variable else "the source's first variable")
                + f": {var!r}'s bands "
                f"{why}; those cells are no data in {var!r} of the {what}: {fix}"),
                stacklevel=4)
    return lacking


def _warn_remote_fills(where: str, names: Sequence[str],
                       bands: Sequence[BandValues | None],
                       samples: Sequence[np.ndarray | None]) -> None:
    """Warn of a remote scene's band whose sample over the region is mostly a common
    fill value its no data does not mark (:func:`prospect.ingest.fills.dominant_fill`):
    those DNs would go into the composite as values. Local files are left to
    :func:`prospect.ingest.fills.warn_fills`, which samples every local band once."""
    from prospect.ingest.fills import dominant_fill

    for name, band, raw in zip(names, bands, samples, strict=True):
        if band is None or raw is None or "://" not in str(band.info.path):
            continue
        own = band.info.nodata
        nodata = band.nodata if band.nodata is not None else (
            own[band.band - 1] if band.band <= len(own) else None)
        corners = np.array([raw[0, 0], raw[0, -1], raw[-1, 0], raw[-1, -1]])
        found = dominant_fill(raw, corners, nodata=nodata)
        if found is None:
            continue
        value = found.value
        if value in band.info.dropped(band.band, band.nodata, band.other_nodata) \
                or band.saturate == value or (
                band.valid_range is not None
                and not band.valid_range[0] < value < band.valid_range[1]):
            continue  # dropped by the read anyway
        text = f"{value:g}"
        declared = ("declares no nodata" if nodata is None
                    else f"declared nodata {nodata:g} never occurs")
        warnings.warn(DataWarning(
            f"{where}: item {name!r}: {band.info.path}: {declared} in the region while "
            f"{text} fills {found.share:.0%} of the cells sampled there, so it would be "
            f"read as data; if {text} marks no data, set 'nodata: {text}' in the source"
            + (" (every sampled cell holds it: an empty or failed scene?)"
               if found.share >= 0.999 else "")), stacklevel=4)
