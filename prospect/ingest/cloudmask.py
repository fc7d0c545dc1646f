"""Pixel cloud masks from a product's own quality layer: which pixels a composite drops.

Three encodings, each with its class (or flag) names and a default set to drop (fill,
cloud, cloud shadow, cirrus and snow; water and clear land are kept):

* Sentinel-2 L2A scene classification, ``SCL`` (ESA's class codes 0-11);
* Landsat Collection 2 ``QA_PIXEL`` bit flags (USGS: bit 0 fill, 1 dilated cloud, 2 cirrus,
  3 cloud, 4 cloud shadow, 5 snow, 6 clear, 7 water);
* ESPA CFmask classes (0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud, 255 fill).

:func:`dropped` decodes a block of the quality layer to a boolean "drop" mask and
:func:`grow` widens it by a buffer, both in the source's own pixels, before resampling.
:func:`foreign_codes` says when a block cannot be of the kind named (an SCL code above 11,
a CFmask class outside its table, 8-bit "QA_PIXEL", a file whose nodata is not the
kind's fill code): another layer read as this kind
dropped and kept pixels at random; :func:`foreign_table` says when the layer's own class
names or colour table show another encoding (python-fmask's output, whose codes are not
CFmask's, :data:`PYTHON_FMASK`). :func:`kind_fits_product` says whether a kind is the
quality layer of a product (SCL of Sentinel-2, ``QA_PIXEL`` of Landsat Collection 2,
CFmask of the pre-Collection ESPA product).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

import numpy as np

from prospect.errors import ConfigError

__all__ = ["ALWAYS_DROP", "CFMASK", "DEFAULT_DROP", "FILL_CODE", "PYTHON_FMASK",
           "QA_PIXEL_BITS", "SCL", "coded_layer", "drop_names", "dropped", "foreign_codes",
           "foreign_name", "foreign_share", "foreign_table", "grow", "is_fill", "kind_fits_product",
           "name_kind", "own_fill", "python_fmask_colours"]

SCL: dict[str, int] = {
    "no_data": 0, "saturated_or_defective": 1, "dark_area": 2, "cloud_shadow": 3,
    "vegetation": 4, "not_vegetated": 5, "water": 6, "unclassified": 7,
    "cloud_medium_probability": 8, "cloud_high_probability": 9, "thin_cirrus": 10,
    "snow": 11,
}
"""Sentinel-2 L2A scene classification codes (ESA, L2A product specification)."""

QA_PIXEL_BITS: dict[str, int] = {
    "fill": 0, "dilated_cloud": 1, "cirrus": 2, "cloud": 3, "cloud_shadow": 4, "snow": 5,
    "clear": 6, "water": 7,
}
"""Landsat Collection 2 QA_PIXEL bit positions (USGS Collection 2 Level-2 guide)."""

CFMASK: dict[str, int] = {"clear": 0, "water": 1, "cloud_shadow": 2, "snow": 3, "cloud": 4,
                          "fill": 255}
"""ESPA CFmask class codes (Fmask 4's MATLAB output, ``*_Fmask4.tif``, writes the same)."""

PYTHON_FMASK: dict[str, int] = {"fill": 0, "clear": 1, "cloud": 2, "cloud_shadow": 3,
                                "snow": 4, "water": 5}
"""The codes of python-fmask's output (``fmask.fmask.OUTCODE_*``: 0 null, 1 clear land,
2 cloud, 3 cloud shadow, 4 snow, 5 water), which no kind reads: read as CFmask, its cloud
is CFmask's shadow, its shadow CFmask's snow and its snow CFmask's cloud. python-fmask
writes them with nodata 0, a colour table and a ``Classification`` attribute table
(Null, Valid, Cloud, Cloud Shadow, Snow, Water)."""

PYTHON_FMASK_FIX: dict[str, str] = {
    "cfmask": "convert it to CFmask's codes first, e.g. gdal_calc.py -A FILE "
              "--outfile=FILE_cfmask.tif "
              "--calc=\"255*(A==0)+4*(A==2)+2*(A==3)+3*(A==4)+1*(A==5)\" --type=Byte "
              "--NoDataValue=255, and read that file with 'kind: cfmask' (or use the "
              "scene's own quality layer: QA_PIXEL of Landsat Collection 2, SCL of "
              "Sentinel-2 L2A)",
    "scl": "convert it to SCL's codes first, e.g. gdal_calc.py -A FILE "
           "--outfile=FILE_scl.tif "
           "--calc=\"4*(A==1)+9*(A==2)+3*(A==3)+11*(A==4)+6*(A==5)\" --type=Byte "
           "--NoDataValue=0 (clear land as SCL's vegetation, 4), and read that file with "
           "'kind: scl' (or use the scene's Level-2A SCL)",
}
"""How a python-fmask layer is made a layer of each class kind (:data:`PYTHON_FMASK` to
:data:`CFMASK`, its null to CFmask's fill; or to :data:`SCL`)."""

DEFAULT_DROP: dict[str, tuple[str, ...]] = {
    "scl": ("no_data", "saturated_or_defective", "cloud_shadow", "cloud_medium_probability",
            "cloud_high_probability", "thin_cirrus", "snow"),
    "qa_pixel": ("fill", "dilated_cloud", "cirrus", "cloud", "cloud_shadow", "snow"),
    "cfmask": ("fill", "cloud_shadow", "snow", "cloud"),
}
"""What each kind of mask drops unless the config lists ``drop``."""

_NAMES = {"scl": SCL, "qa_pixel": QA_PIXEL_BITS, "cfmask": CFMASK}


ALWAYS_DROP: dict[str, tuple[str, ...]] = {"scl": ("saturated_or_defective",)}
"""Classes dropped whatever ``drop`` lists, as the fill is (:func:`is_fill`): SCL's
saturated or defective pixels hold no measurement (a ``drop`` list of clouds only kept
them as values)."""


def drop_names(kind: str, names: Sequence[str] | None) -> tuple[str, ...]:
    """The class/flag names dropped, checked against ``kind``'s names, with the classes
    that hold no measurement (:data:`ALWAYS_DROP`) added to a list that leaves them out.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the names ``kind`` has).
    """
    table = _NAMES[kind]
    chosen = tuple(names) if names is not None else DEFAULT_DROP[kind]
    unknown = [n for n in chosen if n not in table]
    if unknown:
        raise ConfigError(f"cloud_mask.drop: unknown {kind} name(s) {unknown}; {kind} has "
                          f"{', '.join(table)}")
    return chosen + tuple(n for n in ALWAYS_DROP.get(kind, ()) if n not in chosen)


def dropped(kind: str, codes: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """True where a pixel of the quality layer ``codes`` is in a dropped class or flag."""
    table = _NAMES[kind]
    values = np.asarray(codes)
    if kind == "qa_pixel":
        bits = 0
        for name in names:
            bits |= 1 << table[name]
        return (values.astype(np.uint32) & np.uint32(bits)) != 0
    return np.isin(values, [table[n] for n in names])


_PRODUCT_KINDS = {"sentinel-2": "scl", "landsat-l1": "qa_pixel", "landsat-l2": "qa_pixel"}
_KIND_LAYER = {"scl": "the scene classification (SCL) of Sentinel-2 L2A",
               "qa_pixel": "the QA_PIXEL flags of Landsat Collection 2",
               "cfmask": "the CFmask classes of the pre-Collection ESPA product"}


def kind_fits_product(kind: str, product: str | None) -> str | None:
    """``None`` when a ``kind`` quality layer can belong to ``product`` (``sentinel-2``,
    ``landsat-l1``, ``landsat-l2``, or ``None``: unknown), else why not, for a message."""
    own = _PRODUCT_KINDS.get(product or "")
    if own is None or own == kind:
        return None
    return (f"cloud_mask.kind {kind!r} reads {_KIND_LAYER[kind]}, but the item is "
            f"{product}, whose quality layer is {_KIND_LAYER[own]}; use kind {own!r}")


FILL_CODE: dict[str, int] = {"scl": 0, "qa_pixel": 1, "cfmask": 255}
"""The code each kind of quality layer writes for no data (its files' nodata).

A quality layer is warped onto a band's pixels with this code as its no data
(:func:`prospect.io.warp.read_aligned`), so the pixels outside the layer's file read as
its fill, never as a class: CFmask's and SCL's 0 is "clear" and "no data" respectively."""


def is_fill(kind: str, codes: np.ndarray, nodata: float | None = None) -> np.ndarray:
    """True where a block of a ``kind`` quality layer is its fill (no data: the product
    has no pixel there, or the layer's file does not reach it). Such pixels are dropped
    whatever ``drop`` lists: the quality of a pixel without one is unknown.

    ``nodata`` is the layer's file's own: a ``qa_pixel`` layer warped or clipped with
    ``-dstnodata 0`` (nodata 0) writes 0, no flag at all, where it has no data, and its
    fill bit is not set there: those pixels read as neither cloud nor anything else and
    were kept as values. 0 is no QA_PIXEL value (every pixel it classifies sets its clear
    bit or a cloud bit, :func:`_qa_pixel_contradiction`), so it is fill where the file
    says so. An ``scl`` layer's file nodata other than 0 (255: :func:`own_fill`) is its
    fill too."""
    values = np.asarray(codes)
    if kind == "qa_pixel":  # bit 0 is the fill flag
        fill = (values.astype(np.uint32) & np.uint32(1 << QA_PIXEL_BITS["fill"])) != 0
        if nodata == 0:
            fill |= values == 0
        return fill
    if kind == "scl" and _foreign_fill(kind, nodata):  # an SCL's own fill (own_fill)
        return (values == FILL_CODE[kind]) | (values == nodata)
    return values == FILL_CODE[kind]


def _foreign_fill(kind: str, nodata: float | None) -> bool:
    """True when a ``kind`` layer's file states a ``nodata`` that is neither its kind's
    fill (:data:`FILL_CODE`) nor 0."""
    return nodata is not None and not (np.isnan(nodata) or nodata in (FILL_CODE[kind], 0))


def own_fill(kind: str, codes: np.ndarray, nodata: float | None) -> bool:
    """True when ``codes`` (a sample of a whole layer) are an SCL layer's whose file
    marks no data by another value than SCL's 0 (``nodata`` 255: an SCL clipped or
    warped with ``-dstnodata 255``, as tools writing 8-bit layers do): every other value
    is an SCL class and some are classes CFmask does not have (5-11), so the layer is no
    CFmask file (nodata 255, codes 0-4) read as SCL. Such a layer was refused by its
    nodata with the advice to try another kind, none of which reads it."""
    if kind != "scl" or not _foreign_fill(kind, nodata):
        return False
    values = np.asarray(codes)
    held = values[values != nodata]
    beyond = max(v for k, v in CFMASK.items() if k != "fill")
    return bool(held.size) and bool(np.isin(held, list(SCL.values())).all()) and \
        bool((held > beyond).any())


def foreign_codes(kind: str, codes: np.ndarray, nodata: float | None = None, *,
                  fill_checked: bool = False) -> str | None:
    """``None`` when ``codes`` can be a block of a ``kind`` quality layer whose file
    states ``nodata``, else what is wrong with them (for a message naming the file).

    A quality layer's own fill is its kind's (:data:`FILL_CODE`), or 0 (a layer warped
    with ``-dstnodata 0``; no data reads as 0 either way): a CFmask file (nodata 255) read
    as SCL, whose codes 0-4 are all SCL classes too, is told by its nodata, unless
    ``codes`` show an SCL layer with a fill of its own (:func:`own_fill`), or
    ``fill_checked`` says a sample of the whole layer did (a block of a region read after
    planning, which may hold codes 0-4 alone).
    """
    values = np.asarray(codes)
    if kind == "scl" and _foreign_fill(kind, nodata) and (
            fill_checked or own_fill(kind, values, nodata)):
        values = values[values != nodata]  # its own fill (is_fill): no class
    elif nodata is not None and _foreign_fill(kind, nodata):
        # a cloud probability written with its own fill (s2cloudless's 255) was told only
        # by its nodata, with the advice to try each kind, none of which reads it
        probability = _probability_of(values, nodata)
        if probability is not None:
            return f"its nodata is {nodata:g} and {probability}"
        return (f"its nodata is {nodata:g}, but {kind} marks no data as {FILL_CODE[kind]} "
                "(SCL 0, QA_PIXEL 1, CFmask 255)")
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        if finite.size and (finite != np.round(finite)).any():
            if finite.min() >= 0 and finite.max() <= 1:
                return (f"it holds fractions 0-1 ({values.dtype}), as a cloud probability "
                        f"layer does (s2cloudless), but a quality layer holds whole class "
                        f"codes or bit flags; {_PROBABILITY_FIX}")
            return (f"it holds fractions ({values.dtype}), but a quality layer holds whole "
                    "class codes or bit flags (a reflectance band or a resampled layer?)")
    if kind == "qa_pixel":
        # a cloud probability in percent (s2cloudless's uint8, or written as uint16) was
        # told as "8-bit" or as "contradictory flags (a Collection 1 BQA...?)", with the
        # advice to try each kind, none of which reads it (round 42)
        probability = _probability_of(
            values, FILL_CODE[kind] if nodata is None or np.isnan(nodata) else nodata)
        if probability is not None:
            return probability
        if values.dtype.itemsize == 1:
            return (f"it is 8-bit ({values.dtype}), but QA_PIXEL flags are 16-bit "
                    "(SCL and CFmask layers are 8-bit)")
        return _qa_pixel_contradiction(values, nodata)
    allowed = np.array(sorted(SCL.values()) if kind == "scl" else sorted(CFMASK.values()))
    bad = values[~np.isin(values, allowed)]
    if bad.size == 0:
        return None
    found = np.unique(bad)
    shown = ", ".join(f"{v:g}" for v in found[:6].astype(float)) + (
        " ..." if found.size > 6 else "")
    hint = ""
    if _probabilities(values, FILL_CODE[kind] if nodata is None or np.isnan(nodata)
                      else nodata):
        hint = (f"; values spread over 0-{float(found.max()):g} are a cloud probability "
                f"layer's (percent: s2cloudless, Sentinel-2's MSK_CLDPRB), not classes: "
                f"{_PROBABILITY_FIX}")
    elif kind == "scl" and set(found.tolist()) == {255} and \
            set(np.unique(values).tolist()) <= {0, 255}:
        hint = ("; codes 0 and 255 alone are a binary cloud mask's (0 clear, 255 cloud), "
                f"not classes: {_BINARY_FIX}")
    elif kind == "cfmask" and set(found.tolist()) <= {PYTHON_FMASK["water"]}:
        hint = (f"; codes 0-5 with 5 are python-fmask's output ({_PYTHON_FMASK_WORDS}), "
                f"not CFmask's: {PYTHON_FMASK_FIX['cfmask']}")
    return (f"it holds code(s) {shown}, which {kind} does not have (it has "
            f"{', '.join(str(v) for v in allowed)}){hint}")


_PYTHON_FMASK_WORDS = "0 null, 1 clear, 2 cloud, 3 cloud shadow, 4 snow, 5 water"

_PROBABILITY_FIX = (
    "no kind reads a probability; name the product's scene classification (SCL, "
    "'kind: scl') or quality band in cloud_mask.asset, or mask the bands by the "
    "probability before ingest")
"""How to go on from a cloud probability layer named as a quality layer."""

_BINARY_FIX = (
    "no kind reads a binary mask; name the product's scene classification (SCL, "
    "'kind: scl') or quality band in cloud_mask.asset, or mask the bands by it before "
    "ingest")
"""How to go on from a binary cloud mask (0 clear, 1 or 255 cloud) named as a quality
layer."""

PROBABILITY_LEVELS = 16
"""Fewest distinct whole values of 0-100 from which a layer read as classes is a cloud
probability in percent (:func:`_probabilities`): SCL has 12 classes, CFmask 6."""


def _probabilities(values: np.ndarray, fill: float) -> bool:
    """True when a block of whole values (its ``fill`` aside) lies within 0-100 and takes
    more distinct values than any class layer has (:data:`PROBABILITY_LEVELS`): a cloud
    probability in percent (s2cloudless's, Sentinel-2's ``MSK_CLDPRB``), whose values
    above 11 were told only as codes the kind "does not have"."""
    held = values[values != fill]
    if values.dtype.kind == "f":
        held = held[np.isfinite(held)]
    if held.size == 0 or held.min() < 0 or held.max() > 100:
        return False
    return int(np.unique(held).size) >= PROBABILITY_LEVELS

def _probability_of(values: np.ndarray, fill: float) -> str | None:
    """What shows a block of a layer whose file states the foreign no data ``fill`` to be
    a cloud probability (whole percent 0-100 of :data:`PROBABILITY_LEVELS` or more
    values, or fractions 0-1; its ``fill`` aside), else ``None``."""
    held = values[values != fill] if values.size else values
    if held.dtype.kind == "f":
        held = held[np.isfinite(held)]
    if held.size == 0 or held.min() < 0:
        return None
    if held.dtype.kind == "f" and (held != np.round(held)).any():
        if held.max() <= 1:
            return (f"it holds fractions 0-1 ({values.dtype}), as a cloud probability "
                    f"layer does (s2cloudless), not class codes or bit flags; "
                    f"{_PROBABILITY_FIX}")
        return None
    if not _probabilities(held, fill):
        return None
    return (f"its values spread over 0-{float(held.max()):g}, a cloud probability layer's "
            f"(percent: s2cloudless, Sentinel-2's MSK_CLDPRB), not classes: "
            f"{_PROBABILITY_FIX}")


FMASK_CLEAR_SHARE = 0.5
"""Share of a ``cfmask`` layer's sampled pixels (fill aside) of code 1 from which a layer
of nodata 0 without a code 0 is python-fmask's output (its clear land is 1, its null 0),
:func:`foreign_share`."""

_CLASS_WORDS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(rf"\b(?:{words})\b"), what) for words, what in (
        (r"dark|topographic|casted|terrain", None),  # SCL 2: no cloud's shadow
        (r"cloud free|no cloud|cloudless", "clear"),
        (r"shadows?", "cloud_shadow"), (r"cirrus", "cirrus"), (r"clouds?|cloudy", "cloud"),
        (r"snow|ice", "snow"), (r"water", "water"),
        (r"null|no ?data|fill|no observation", "fill"), (r"clear|valid|land", "clear"),
    ))
"""A class name's words (lower case, whole words, the first that matches) and the class
they name (``None``: none that :func:`foreign_table` compares), for
:func:`foreign_table`."""

_KIND_CLASS: dict[str, dict[int, str]] = {
    "cfmask": {0: "clear", 1: "water", 2: "cloud_shadow", 3: "snow", 4: "cloud",
               255: "fill"},
    "scl": {0: "fill", 3: "cloud_shadow", 4: "clear", 5: "clear", 6: "water", 8: "cloud",
            9: "cloud", 10: "cirrus", 11: "snow"},
}
"""What each code of a class kind is, in :data:`_CLASS_WORDS`' terms (SCL's codes 1, 2
and 7 name nothing a layer's own table could contradict)."""


def _named_class(name: str) -> str | None:
    """The class a quality layer's class name names (:data:`_CLASS_WORDS`), or ``None``."""
    low = re.sub(r"[\s_\-/]+", " ", name.strip().lower())
    return next((what for pattern, what in _CLASS_WORDS if pattern.search(low)), None)


PYTHON_FMASK_COLOURS: dict[int, tuple[int, int, int]] = {
    2: (255, 0, 255), 3: (255, 255, 0), 4: (85, 255, 255), 5: (0, 0, 255)}
"""The colour table python-fmask writes with its output (``fmask.fmask.finalizeAll``: 2
cloud magenta, 3 cloud shadow yellow, 4 snow cyan, 5 water blue), which stays in the
GeoTIFF when its ``.aux.xml`` (the class names) is left behind."""


def python_fmask_colours(palette: Mapping[int, Sequence[int]] | None) -> bool:
    """Whether a layer's colour table (code -> RGB(A), rasterio's ``colormap``) is
    python-fmask's own (:data:`PYTHON_FMASK_COLOURS`, every entry)."""
    return palette is not None and all(
        tuple(palette.get(code, ())[:3]) == rgb for code, rgb in PYTHON_FMASK_COLOURS.items())


def foreign_table(kind: str, classes: Sequence[tuple[int, str]], *, nodata: float | None,
                  coded: str | None,
                  palette: Mapping[int, Sequence[int]] | None = None) -> str | None:
    """``None`` unless the quality layer's own metadata shows another encoding than
    ``kind``'s, else what it shows (for a message naming the file).

    ``classes`` are the ``(code, name)`` pairs the file states (its raster attribute
    table or category names, :attr:`~prospect.io.raster.RasterInfo.classes`): a name
    that says cloud, shadow, snow, water, clear or no data at a code where ``kind`` has
    another class tells another encoding. ``coded`` says why the file holds codes
    (:attr:`~prospect.io.raster.RasterInfo.codes`: ``"a colour table (palette)"``): a
    ``cfmask`` layer with nodata 0 (CFmask's clear) and a colour table is python-fmask's
    output (:data:`PYTHON_FMASK`), whose attribute table was left behind (a GeoTIFF
    copied without its ``.aux.xml``); ESPA's CFmask has nodata 255 and no colour table.
    ``palette`` is the layer's colour table (code -> RGB(A)), where the caller has it
    open: python-fmask's own colours (:func:`python_fmask_colours`) tell its output
    whatever its nodata, under ``kind: scl`` too (SCL's no data is 0 as python-fmask's:
    its clear land read as "saturated or defective" and dropped, its clouds as "dark
    area" and kept) and under ``kind: cfmask`` with a nodata re-set to 255.
    A layer read as another kind's codes dropped and kept the wrong classes: python-fmask's
    cloud read as CFmask's shadow, kept by a ``drop`` of clouds alone.
    """
    table = _KIND_CLASS.get(kind)
    if table is None:
        return None
    wrong = [(code, name) for code, name in classes
             if (what := _named_class(name)) is not None and table.get(code) != what]
    fmask = {code: _named_class(name) for code, name in classes}
    is_fmask = all(fmask.get(code) == what for what, code in PYTHON_FMASK.items()
                   if what in ("cloud", "cloud_shadow", "snow"))
    if wrong:
        shown = ", ".join(f"{code} {name!r}" for code, name in wrong[:6])
        own = ", ".join(f"{code} {table[code]}" for code in sorted(table)
                        if table[code] in {_named_class(n) for _, n in wrong})
        what = (f"its own class names say {shown}, where {kind} has {own}")
        if is_fmask:
            return (f"{what}: it is python-fmask's output ({_PYTHON_FMASK_WORDS}), not "
                    f"{kind}'s classes; {PYTHON_FMASK_FIX[kind]}")
        return f"{what}: it holds another product's classes"
    if python_fmask_colours(palette):
        return ("its colour table is python-fmask's (2 cloud magenta, 3 cloud shadow "
                "yellow, 4 snow cyan, 5 water blue): it is python-fmask's output "
                f"({_PYTHON_FMASK_WORDS}), not {kind}'s classes; {PYTHON_FMASK_FIX[kind]}")
    if kind == "cfmask" and not classes and nodata == 0 and coded is not None \
            and "colour table" in coded:
        return ("its nodata is 0 (CFmask's clear land) and it carries a colour table, as "
                f"python-fmask writes its output ({_PYTHON_FMASK_WORDS}; ESPA's CFmask has "
                f"nodata 255 and no colour table): {PYTHON_FMASK_FIX['cfmask']}")
    return None


DEFECTIVE_SHARE = 0.5
"""Share of an SCL layer's sampled pixels (fill aside) of classes 1-3 ("saturated or
defective", "dark area", "cloud shadow") from which a layer without a code above 5 and
with class 1 on :data:`DEFECTIVE_MIN` of them is python-fmask's output (its clear land is
1, its cloud 2, its cloud shadow 3), :func:`foreign_share`."""

DEFECTIVE_MIN = 0.05
"""Share of an SCL layer's sampled pixels (fill aside) of class 1, "saturated or
defective", that a real SCL without a cloud (no code above 5) does not hold together with
:data:`DEFECTIVE_SHARE` of classes 1-3, :func:`foreign_share`."""


def foreign_share(kind: str, held: np.ndarray, nodata: float | None = None) -> str | None:
    """``None`` unless the shares of the codes a quality layer holds over the region
    (``held``: a sample, fill left out) show another encoding than ``kind``, else what
    they show (for a message naming the file).

    python-fmask's Sentinel-2 output without its class names and colour table (codes
    only, nodata 0 as SCL's) holds SCL codes alone (0-5), and its clear land is SCL's
    class 1, "saturated or defective", its cloud SCL's dark area (2), its cloud shadow
    SCL's (3): read as SCL, its land was dropped and its clouds (and its snow, 4, SCL's
    vegetation) kept as values. A real SCL has few saturated or defective pixels and,
    where it has a cloud or water, codes above 5; without any, it saw clear land, which
    is vegetation (4) or bare (5): a sample without a code above 5 of which classes 1-3
    are half or more (:data:`DEFECTIVE_SHARE`) and class 1 at least
    :data:`DEFECTIVE_MIN` is refused (python-fmask's clear land among its clouds; before,
    only a sample mostly of class 1, a mostly clear region, was). A burnt or shaded
    region (class 2 beside 4 and 5, hardly any class 1) is an SCL. Called on the
    planning's sample of the whole region, not on a chunk (a chunk over a defective
    detector may be all class 1). A ``cfmask`` layer of the file's ``nodata`` is
    compared likewise with python-fmask's Landsat output (:func:`_fmask_as_cfmask`).
    """
    values = np.asarray(held)
    if kind not in ("scl", "cfmask") or values.size == 0:
        return None
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    if kind == "cfmask":
        return _fmask_as_cfmask(finite, nodata)
    if finite.size == 0 or (finite > PYTHON_FMASK["water"]).any():
        return None
    share = float((finite == SCL["saturated_or_defective"]).mean())
    low = float(((finite >= SCL["saturated_or_defective"])
                 & (finite <= SCL["cloud_shadow"])).mean())
    if share < DEFECTIVE_MIN or low < DEFECTIVE_SHARE:
        return None
    cloudy = float((finite == PYTHON_FMASK["cloud"]).mean())
    if share == 1.0:
        # codes 0 and 1 alone: a binary cloud mask's as well as a clear python-fmask's;
        # python-fmask's conversion alone took a binary mask's clouds (1) as vegetation
        return ("it holds codes 0 and 1 alone (every pixel in the region that is not 0 "
                "is class 1, saturated or defective), as a binary cloud mask does (0 "
                f"clear, 1 cloud: s2cloudless's, a thresholded probability): {_BINARY_FIX}; "
                "if it is python-fmask's output instead (its 1 is clear land), "
                f"{PYTHON_FMASK_FIX['scl']}")
    return (f"{share:.0%} of its pixels in the region are class 1 (saturated or "
            f"defective) and {low:.0%} classes 1-3 ({cloudy:.0%} class 2, dark area), "
            "and none holds a code above 5 (no water, cloud, cirrus or snow), "
            f"as python-fmask's output reads ({_PYTHON_FMASK_WORDS}: its clear land is 1, "
            f"its cloud 2), not an SCL; {PYTHON_FMASK_FIX['scl']}")


def _fmask_as_cfmask(held: np.ndarray, nodata: float | None) -> str | None:
    """Why a ``cfmask`` layer's sampled codes ``held`` (fill aside) of a file stating
    ``nodata`` are python-fmask's output, or ``None``.

    python-fmask writes nodata 0 (its null); over a region without water its codes
    alone (no class names or colour table) are CFmask's too, and read as CFmask its clear
    land (1) was water, its cloud (2) shadow, its shadow (3) snow and its snow (4) cloud:
    a ``drop`` of clouds alone kept its clouds as values, one of water dropped its land,
    exit 0. ESPA's CFmask has nodata 255; one warped with ``-dstnodata 0`` has clear land
    (0) wherever the scene saw land: a layer of nodata 0 without one pixel of code 0 in
    the region and code 1 on :data:`FMASK_CLEAR_SHARE` of it or more is python-fmask's.
    A layer that states no nodata (python-fmask's copied by a tool that dropped it) is
    compared the same way (before, only one stating 0 was, and its clouds were kept)."""
    if nodata is not None and nodata != 0:
        return None
    if held.size == 0 or (held == CFMASK["clear"]).any():
        return None
    share = float((held == PYTHON_FMASK["clear"]).mean())
    if share < FMASK_CLEAR_SHARE:
        return None
    stated = ("its nodata is 0 (python-fmask's null; ESPA's CFmask has 255)" if nodata == 0
              else "it states no nodata (python-fmask writes 0, ESPA's CFmask 255)")
    return (f"{stated} and {share:.0%} "
            "of its pixels in the region are code 1 (CFmask's water) with none of code 0 "
            f"(CFmask's clear land), as python-fmask's output reads ({_PYTHON_FMASK_WORDS}:"
            " its clear land is 1; read as CFmask its cloud is shadow, its shadow snow and "
            f"its snow cloud), not a CFmask; {PYTHON_FMASK_FIX['cfmask']}; a CFmask of a "
            "region all water is of no use to a map of the land")


QA_PIXEL_CONTRADICTION_SHARE = 0.01
"""Share of a ``QA_PIXEL`` block's pixels whose flags contradict each other from which the
block is not QA_PIXEL (none does in a real one)."""


def _qa_pixel_contradiction(values: np.ndarray, nodata: float | None = None) -> str | None:
    """Why ``values`` (of a file whose no data is ``nodata``) cannot be Collection 2
    ``QA_PIXEL`` flags, or ``None``.

    USGS defines bit 6 (clear) as set only when neither bit 1 (dilated cloud) nor bit 3
    (cloud) is, on every pixel that is not fill (bit 0), for Landsat 4-9 alike: a pixel
    both clear and cloud is no QA_PIXEL value, and neither is one that sets none of
    them. Other 16-bit layers read as flags have such pixels on a large share: a
    reflectance band, ESPA's Collection 1 ``pixel_qa`` (clear land 322: its bit 1 is
    "clear", its bit 6 a confidence bit); each dropped and kept pixels at random.
    Collection 2's ``QA_RADSAT`` (0 where no band is saturated, renamed or under another
    asset key) set no class flag (bits 1-7) on nearly every pixel: read as QA_PIXEL, it
    kept every cloud as a value. A 0 of a file whose nodata is 0 is its fill
    (:func:`is_fill`), not counted.
    """
    v = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    if v.size == 0:
        return None
    if (v < 0).any() or (v > 0xFFFF).any():
        return ("it holds values outside 0..65535, which 16-bit QA_PIXEL flags cannot "
                f"(lowest {v.min():g}, highest {v.max():g})")
    bits = v.astype(np.uint32)
    real = (bits & 1) == 0
    if not real.any():
        return None
    cloudy = (bits & 0b1010) != 0
    clear = (bits & (1 << QA_PIXEL_BITS["clear"])) != 0
    wrong = real & cloudy & clear
    share = wrong.sum() / real.sum()
    if share <= QA_PIXEL_CONTRADICTION_SHARE:
        return _no_class(bits, real & ~((bits == 0) & (nodata == 0))) or \
            _snow_and_water(bits, real)
    example = int(bits[wrong][0])
    return (f"{share:.0%} of its pixels have contradictory flags (e.g. {example}: "
            "clear, bit 6, and cloud, bit 1 or 3, at once, which QA_PIXEL never sets), "
            "so it is not Collection 2 QA_PIXEL (a Collection 1 BQA, ESPA pixel_qa or a "
            "band?)")


QA_PIXEL_CLASS_BITS = 0b11111110
"""QA_PIXEL's class flags (bits 1-7: dilated cloud, cirrus, cloud, cloud shadow, snow,
clear, water), one of which (clear, or a cloud bit) every pixel it classifies sets."""


def _no_class(bits: np.ndarray, real: np.ndarray) -> str | None:
    """Why flags ``bits`` (``real``: not fill) cannot be Collection 2 ``QA_PIXEL``, from
    pixels setting none of its class flags (:data:`QA_PIXEL_CLASS_BITS`; neither clear
    nor cloud, which USGS never writes), or ``None``."""
    if not real.any():
        return None
    none = real & ((bits & np.uint32(QA_PIXEL_CLASS_BITS)) == 0)
    share = none.sum() / real.sum()
    if share <= QA_PIXEL_CONTRADICTION_SHARE:
        return None
    example = int(bits[none][0])
    return (f"{share:.0%} of its pixels set none of QA_PIXEL's class flags (e.g. "
            f"{example}: neither clear, bit 6, nor cloud, bits 1 and 3, which QA_PIXEL "
            "always sets one of), so it is not Collection 2 QA_PIXEL (a QA_RADSAT "
            "saturation layer, or a layer whose 0 is no data: set its nodata to 0, e.g. "
            "gdal_edit.py -a_nodata 0 FILE)")


def _snow_and_water(bits: np.ndarray, real: np.ndarray) -> str | None:
    """Why flags ``bits`` (``real``: not fill) cannot be Collection 2 ``QA_PIXEL``, from
    snow (bit 5) and water (bit 7) set at once, or ``None``.

    CFMask, whose classes the bits are, calls a pixel snow only where its near infrared
    is above 0.11 and water only where it is below (Zhu and Woodcock 2012, tests 5 and
    20), so no QA_PIXEL value sets both. A Landsat Collection 1 ``BQA`` band sets both on
    nearly every pixel (bits 5-6, 7-8, 9-10 and 11-12 are its cloud, shadow, snow and
    cirrus confidences: clear land is 2720 for OLI, 672 for TM and ETM+): renamed (no
    ``BQA`` in its name), read as QA_PIXEL every pixel was snow, and a ``drop`` without
    snow kept its clouds (its cloud bit 4 is QA_PIXEL's shadow).
    """
    both = real & ((bits & (1 << QA_PIXEL_BITS["snow"])) != 0) & (
        (bits & (1 << QA_PIXEL_BITS["water"])) != 0)
    share = both.sum() / real.sum()
    if share <= QA_PIXEL_CONTRADICTION_SHARE:
        return None
    return (f"{share:.0%} of its pixels have snow (bit 5) and water (bit 7) set at once "
            f"(e.g. {int(bits[both][0])}), which QA_PIXEL never sets (CFMask's snow needs a "
            "near infrared above 0.11, its water one below), so it is not Collection 2 "
            "QA_PIXEL: a Landsat Collection 1 BQA band (clear land 2720 for OLI, 672 for "
            "TM and ETM+: its bits are confidences) reads so; use the scene's Collection 2 "
            "product and its QA_PIXEL")


_COLLECTION_1 = re.compile(r"L[COTEM]\d{2}_L1\w{2}_\d{6}_\d{8}_\d{8}_01_(?:T1|T2|RT)",
                           re.IGNORECASE)


_LAYER_NAMES: tuple[tuple[re.Pattern[str], str | None, str], ...] = (
    (re.compile(r"(?:^|_)SCL(?:_\d{2}m)?$", re.IGNORECASE), "scl",
     "the scene classification (SCL) of Sentinel-2 L2A"),
    (re.compile(r"(?:^|_)QA_PIXEL$", re.IGNORECASE), "qa_pixel",
     "the QA_PIXEL flags of Landsat Collection 2"),
    (re.compile(r"(?:^|_)cfmask$", re.IGNORECASE), "cfmask",
     "the CFmask classes of the pre-Collection ESPA product"),
    (re.compile(r"(?:^|_)pixel_qa$", re.IGNORECASE), None,
     "the pixel_qa flags of the ESPA Collection 1 product, whose bits are not Collection "
     "2's QA_PIXEL flags (bit 1 is clear, bit 5 cloud; no kind reads them); use the "
     "scene's Collection 2 product"),
    (re.compile(r"(?:^|_)PIXELQA$", re.IGNORECASE), None,
     "the PIXELQA flags of a Landsat Collection 1 ARD tile (ESPA's pixel_qa bits, not "
     "Collection 2's QA_PIXEL flags: bit 1 is clear, bit 5 cloud; no kind reads them); "
     "use the tile's Collection 2 ARD product and its QA_PIXEL"),
    (re.compile(r"(?:^|_)(?:LINEAGEQA|QA_LINEAGE)$", re.IGNORECASE), None,
     "the lineage layer of a Landsat ARD tile (which scene each pixel was taken from: "
     "scene indices, not cloud classes or flags); use the tile's QA_PIXEL (Collection 2) "
     "with 'kind: qa_pixel'"),
    (re.compile(r"(?:^|_)(?:cfmask_conf|QA_RADSAT|radsat_qa|SR_QA_AEROSOL|sr_aerosol|"
                r"RADSATQA|SRAEROSOLQA|SRCLOUDQA|"
                r"SR_CLOUD_QA|sr_cloud_qa|ST_QA|MSK_CLDPRB(?:_\d{2}m)?|CLD_\d{2}m|"
                r"MSK_SNWPRB(?:_\d{2}m)?|SNW_\d{2}m|AOT_\d{2}m|WVP_\d{2}m|"
                r"MSK_QUALIT_B\d[\dA])$", re.IGNORECASE),
     None, "a confidence, probability or quality layer, not cloud classes or flags "
           "(saturation, aerosol, cloud or snow probability...); use the product's own "
           "classification: SCL (Sentinel-2 L2A), QA_PIXEL (Landsat Collection 2) or "
           "cfmask (ESPA)"),
    (re.compile(r"(?:^|_)MSK_CLASSI_B00$", re.IGNORECASE), None,
     "the cloud flags of Sentinel-2 Level-1C (MSK_CLASSI of processing baseline 04.00 on: "
     "opaque clouds, cirrus and snow, 0 or 1 each), not the classes or flags of any kind "
     "(read as SCL, its 0 and 1 are 'no data' and 'saturated or defective': every pixel "
     "dropped); use the Level-2A product of the scene with its SCL and 'kind: scl'"),
    (re.compile(r"(?:^|_)MSK_CLOUDS_B00$", re.IGNORECASE), None,
     "the cloud mask of Sentinel-2 products before processing baseline 04.00, stored as "
     "GML polygons (a vector file, not a raster), which no kind reads; use the Level-2A "
     "product of the scene with its SCL and 'kind: scl'"),
    (re.compile(r"(?:^|_)GM_B\d{1,2}(?:_VCID_[12])?$", re.IGNORECASE), None,
     "a Landsat 7 scan-line gap mask (which pixels of one band are SLC-off gaps, 0 or 1: "
     "read as classes, every pixel is 'clear' or 'water'), not cloud classes; the band's "
     "fill marks the gaps (declare it with 'metadata:' or 'nodata: 0'), and the scene's "
     "cloud layer is its CFmask (ESPA) or QA_PIXEL (Collection 2)"),
)
"""Quality layers by their product file names: the kind that reads them (``None``: no
kind does) and what they are, for a message."""

_HLS_FMASK = re.compile(r"^HLS\.(?:L30|S30)\..*\.Fmask(?:\.|$)", re.IGNORECASE)
_HLS_FMASK_WHAT = (
    "the Fmask flags of HLS (Harmonized Landsat Sentinel-2: bit 0 cirrus, 1 cloud, 2 "
    "adjacent to cloud, 3 cloud shadow, 4 snow/ice, 5 water, 6-7 aerosol), whose bits are "
    "not Collection 2's QA_PIXEL flags (there bit 3 is cloud, 4 shadow, 6 clear) nor "
    "CFmask's or SCL's classes, so no kind reads them; mask the bands before ingest, or "
    "use the Landsat Collection 2 or Sentinel-2 L2A product with its own quality layer")
"""An HLS v2.0 ``Fmask`` layer by its file name (HLS names hold dots, so the stem is not
the part before the first one)."""


def name_kind(path: str) -> tuple[str | None, str] | None:
    """``(kind, what)`` of a quality layer whose file name shows its product layer
    (``..._SCL_20m.jp2``, ``..._QA_PIXEL.TIF``, ``..._cfmask.tif``, ``..._pixel_qa.tif``,
    ``MSK_CLDPRB_20m.jp2``...): the kind that reads it (``None`` where no kind does) and
    what it is; ``None`` when the name does not tell."""
    name = PurePosixPath(str(path)).name
    if _HLS_FMASK.search(name):
        return None, _HLS_FMASK_WHAT
    stem = name.split(".")[0]
    for pattern, kind, what in _LAYER_NAMES:
        if pattern.search(stem):
            return kind, what
    return None


def foreign_name(kind: str, path: str) -> str | None:
    """``None`` unless the quality layer's file name shows another encoding than ``kind``:
    a Collection 1 ``BQA`` band read as Collection 2 ``QA_PIXEL`` (its bit 4 is cloud,
    C2's cloud shadow; its clear land, 2720, has C2's snow and water bits set), an
    ``..._SCL_20m`` file read as CFmask, a ``..._QA_PIXEL`` read as SCL, ESPA's Collection
    1 ``pixel_qa`` or a cloud-probability or saturation layer read as any kind
    (:func:`name_kind`)."""
    stem = PurePosixPath(str(path)).name.split(".")[0]
    named = name_kind(path)  # what the name shows first: a Collection 1 pixel_qa is no BQA
    if named is not None and named[0] != kind:
        own, what = named
        return (f"its name shows {what}" + (f", which kind {own!r} reads, not {kind!r}"
                                            if own is not None else ""))
    if kind == "qa_pixel" and (stem.upper().endswith("BQA") or _COLLECTION_1.search(stem)):
        return ("it is a Landsat Collection 1 quality band (BQA), whose bits are not "
                "Collection 2's QA_PIXEL flags; use the scene's Collection 2 product")
    return None


_CODED_LAYERS: tuple[tuple[re.Pattern[str], str | None, str], ...] = tuple(
    (re.compile(rf"(?:^|_)(?:{names})$", re.IGNORECASE), kind, what)
    for names, kind, what in (
        (r"SCL(?:_\d{2}m)?", "scl", "Sentinel-2's scene classification (SCL: class codes)"),
        (r"QA_PIXEL", "qa_pixel", "Landsat Collection 2's QA_PIXEL (bit flags)"),
        (r"cfmask", "cfmask", "ESPA's CFmask (class codes)"),
        (r"QA_RADSAT|radsat_qa|RADSATQA", None,
         "Landsat's saturation layer (QA_RADSAT: bit flags)"),
        (r"SR_QA_AEROSOL|sr_aerosol|SRAEROSOLQA", None,
         "Landsat 8-9's aerosol quality layer (SR_QA_AEROSOL: bit flags)"),
        (r"SR_CLOUD_QA|sr_cloud_qa|SRCLOUDQA", None, "Landsat 4-7's SR_CLOUD_QA (bit flags)"),
        (r"cfmask_conf", None, "ESPA's CFmask confidence (class codes)"),
        (r"pixel_qa", None, "ESPA's pixel_qa (bit flags)"),
        (r"PIXELQA", None, "a Landsat Collection 1 ARD tile's PIXELQA (bit flags)"),
        (r"QA_LINEAGE|LINEAGEQA", None,
         "a Landsat ARD tile's lineage layer (QA_LINEAGE: scene indices)"),
        (r"BQA", None, "Landsat Collection 1's quality band (BQA: bit flags)"),
        (r"MSK_CLASSI_B00", None, "Sentinel-2 Level-1C's cloud flags (MSK_CLASSI)"),
        (r"MSK_QUALIT_B\d[\dA]", None, "Sentinel-2's pixel quality flags (MSK_QUALIT)"),
        (r"GM_B\d{1,2}(?:_VCID_[12])?", None, "a Landsat 7 scan-line gap mask (0/1 flags)"),
    ))
"""Quality layers of class codes or bit flags by their product file names: the
``cloud_mask.kind`` that reads each (``None``: none does) and what it is, for
:func:`coded_layer` (layers of values, ``ST_QA``, cloud probabilities, ``AOT``, are not
among them: a median of them is a value)."""


def coded_layer(path: str) -> tuple[str | None, str] | None:
    """``(kind, what)`` where the name of the file ``path`` shows a quality layer of
    class codes or bit flags (Sentinel-2's ``SCL``, Landsat's ``QA_PIXEL``,
    ``QA_RADSAT``, ``SR_QA_AEROSOL``, ``SR_CLOUD_QA`` or Collection 1 ``BQA``, ESPA's
    ``cfmask`` or ``pixel_qa``, HLS's ``Fmask``...): the ``cloud_mask.kind`` that reads
    it (``None`` where none does) and what it is; else ``None`` (a band, or a layer of
    values such as ``ST_QA`` or a cloud probability).

    Such a layer named as a band of a composite had its codes reduced as numbers: the
    median of SCL's 4 (vegetation) and 8 (cloud) is 6 (water), of two QA_PIXEL words
    flags of neither scene, without a word."""
    name = PurePosixPath(str(path).rstrip("/")).name
    if _HLS_FMASK.search(name):
        return None, "HLS's Fmask (bit flags)"
    stem = name.split(".")[0]
    for pattern, kind, what in _CODED_LAYERS:
        if pattern.search(stem):
            return kind, what
    return None


def grow(mask: np.ndarray, pixels: float) -> np.ndarray:
    """``mask`` widened by ``pixels`` (a disc), e.g. a cloud buffer in source pixels.

    A pixel is set where a set pixel of ``mask`` lies within ``pixels`` of it (centre to
    centre), found by the Euclidean distance transform, whose cost does not depend on the
    buffer. The dilation by a disc it replaces cost the block's pixels times the disc's:
    a buffer of 100 pixels (``cloud_mask.buffer_m: 1000`` on 10 m SCL) took a minute per
    chunk and scene without a word, one of 150 pixels or more stopped with scipy's bare
    ``MemoryError``.

    Parameters
    ----------
    mask
        2-D boolean mask (e.g. the dropped pixels of a quality layer).
    pixels
        The buffer's radius in the mask's pixels; ``<= 0`` returns ``mask`` itself.

    Returns
    -------
    numpy.ndarray
        Boolean array of ``mask``'s shape.
    """
    if pixels <= 1e-9 or not mask.any():
        return mask
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return mask.copy()
    from scipy import ndimage  # only when a buffer grows the mask

    # squared distances of pixel centres are whole numbers: rounded, they are exact
    distance = ndimage.distance_transform_edt(~mask)
    return np.rint(distance * distance) <= pixels * pixels + 1e-9
