"""Dates as a time axis: per-date cube variables stacked along ``time``, and their change.

Two scenes of one place (e.g. Landsat 5 TM 1990 and Landsat 8 OLI 2014) are ingested as
per-date variables (``tm_red``, ``oli_red``...). :func:`stack_dates` makes one variable per
common band (``red``) with dims ``(time, y, x)``; indices computed on those bands carry the
time axis (the kernels are element-wise); :func:`change` is the last date minus the first.
Lazy (dask) in, lazy out; nothing is read here.

The dates are the config's, so they are checked against what the cube's variables record
(their provenance): a variable whose scenes' files are all of one acquisition date
(a Landsat product or scene id, a Sentinel-2 band file name, an ASTER granule id) must
be listed under that date, and the variables stacked into one band must hold the same
kind of value (the same quantity, units and value kind; a variable without a recorded
quantity is taken at what its files' product names state, and Landsat scenes of two
collections are not stacked). Dates swapped between two scenes reversed every change
without a word; a surface reflectance stacked with a TOA reflectance made a change of the
atmosphere.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import xarray as xr

from prospect.config.timeseries import TimeSeriesConfig
from prospect.errors import DataError
from prospect.ingest.landsat import landsat_id
from prospect.io.files import one_spelling
from prospect.provenance import provenance_attr, read_provenance
from prospect.registry.units import same_units

__all__ = ["OVERLAP_SHARE", "bands_date_sensors", "change", "check_overlap", "date_cover",
           "date_sensors", "recorded_quantity", "region_cells", "stack_dates"]


def _file_date(path: str) -> tuple[str, dt.date] | None:
    """The acquisition date a band file's name states (its id and the date), if any: a
    Landsat product or scene id, a Sentinel-2 band file name, an ASTER granule id
    (``AST_07XT_00306202006183523_...``: an ASTER scene listed under another date passed,
    where a Landsat one was refused) or an HLS granule id
    (``HLS.S30.T31UFT.2022060T104021.v2.0``: its date as year and day of the year, which
    the other patterns did not read, so an HLS scene under another date passed too):
    :func:`~prospect.ingest.products.file_acquisition`, the one reader of them."""
    from prospect.ingest.products import file_acquisition

    return file_acquisition(path)


def _file_days(path: str) -> tuple[str, tuple[dt.date, ...]] | None:
    """:func:`_file_date`'s id with the days the file's scene can be of: its name's day,
    and the next for a tile of a datatake that began just before midnight UTC, whose
    every file is named by the datatake's start
    (:func:`~prospect.ingest.products.file_acquisition_days`)."""
    from prospect.ingest.products import file_acquisition_days

    return file_acquisition_days(path)


def _named_quantity(path: str) -> str | None:
    """The quantity a band file's product name says it holds (a Collection 2 Level-2
    ``SR_B4`` surface reflectance, a Sentinel-2 L1C band top-of-atmosphere reflectance, a
    Landsat Level-1 band...; :func:`~prospect.ingest.products.named_product`), or
    ``None``."""
    from prospect.ingest.landsat import THERMAL, file_level
    from prospect.ingest.products import named_product

    named = named_product(path)
    if named is not None:
        return named.quantity
    name = PurePosixPath(path).name
    ident = landsat_id(name)
    if ident is None or file_level(name) != "L1":
        return None
    number = re.search(r"_B(\d{1,2})(?:_VCID_[12])?$", name.split(".")[0])
    thermal = number is not None and int(number.group(1)) in THERMAL.get(
        f"LANDSAT_{ident.satellite}", set())
    return "toa_radiance" if thermal else "toa_reflectance"


def _collection(path: str) -> str | None:
    """The Landsat collection of a band file by its name (``Collection 2``, or
    ``pre-collection`` for a scene id; a U.S. ARD tile's too:
    :func:`~prospect.ingest.products.ard_tile`), or ``None`` where the name is no Landsat
    id."""
    from prospect.ingest.products import ard_tile

    ident = landsat_id(PurePosixPath(path).name)
    if ident is None:
        tile = ard_tile(path)
        return f"Collection {tile.collection}" if tile is not None else None
    if not ident.processing:
        return "pre-collection"
    return f"Collection {int(ident.processing.split()[1])}"


def recorded_quantity(var: xr.DataArray) -> str | None:
    """The quantity a cube variable holds (``surface_reflectance``, ``toa_reflectance``,
    ``toa_radiance``...): the one its provenance records, else the one every one of its
    files' product names states; ``None`` when neither says."""
    prov = read_provenance(var.attrs.get("provenance"))
    quantity = prov.get("quantity")
    if quantity:
        return str(quantity)
    scenes = prov.get("scenes")
    files = [str(s.get("file", "")) for s in scenes if isinstance(s, dict)
             ] if isinstance(scenes, list) else []
    named = {_named_quantity(f) for f in files}
    return named.pop() if len(named) == 1 else None


def _recorded(var: xr.DataArray) -> dict[str, Any]:
    """What a variable's provenance records: its scenes' dates (by file name), quantity
    (recorded, else the one its files' product names state) and Landsat collections."""
    prov = read_provenance(var.attrs.get("provenance"))
    scenes = prov.get("scenes")
    files = [str(s.get("file", "")) for s in scenes if isinstance(s, dict)
             ] if isinstance(scenes, list) else []
    dated = [d for f in files if (d := _file_days(f))]
    # a composite's '<source>_count' (valid observations per cell), not one of its bands
    count = str(prov.get("source") or "?") if prov.get("band") == "count" and prov.get(
        "composite") else None
    return {"dates": dated, "files": files, "quantity": recorded_quantity(var), "count": count,
            "units": var.attrs.get("units"), "kind": var.attrs.get("prospect_kind"),
            "collection": ", ".join(sorted({c for f in files if (c := _collection(f))}))}


def _check_band_words(name: str, date: dt.date, band: str, files: list[str]) -> None:
    """Refuse a time-series band named for one band (``nir``, ``swir1``) whose variable of
    ``date`` holds files of another band (band numbers differ between sensors: OLI's band
    4 is red, TM's NIR; a ``nir`` stacked from ``tm_b4`` and ``oli_b4`` made its change
    OLI red minus TM NIR, without a word)."""
    from prospect.ingest.landsat import band_words_in
    from prospect.ingest.products import named_band

    words = band_words_in(band)
    if not words:
        return
    for file in files:
        held = named_band(file)
        if held is None or words & held[0]:
            continue
        names, which, product, numbering = held
        raise DataError(
            f"timeseries: band {band!r} of {date} is {name!r}, whose file "
            f"{PurePosixPath(file).name} is {which} of {product}, which is "
            f"{'/'.join(sorted(names))}, not {'/'.join(sorted(words))} (band numbers "
            f"differ between sensors: {numbering}); name under {band!r} each date's "
            "variable of that band")


def _held_band(files: list[str]) -> tuple[frozenset[str], str, str] | None:
    """The band the first of ``files`` whose product name states one holds: the names it
    goes by, how to say it (``"band 4 of Landsat 5, which is nir/nir08: ..._SR_B4.TIF"``)
    and how its sensor's numbering differs, or ``None`` where no file's name tells
    (:func:`~prospect.ingest.products.named_band`)."""
    from prospect.ingest.products import named_band

    for file in files:
        held = named_band(file)
        if held is not None:
            names, which, product, numbering = held
            return names, (f"{which} of {product}, which is {'/'.join(sorted(names))}: "
                           f"{PurePosixPath(file).name}"), numbering
    return None


def _one_band(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether the band names ``a`` and ``b`` (:func:`_held_band`'s) can be of one band
    (:func:`~prospect.ingest.products.one_band`, the composites' and mosaics' rule too)."""
    from prospect.ingest.products import one_band

    return one_band(a, b)


def _check_one_band(first: tuple[str, dt.date, tuple[frozenset[str], str, str] | None],
                    name: str, date: dt.date, band: str, files: list[str]) -> None:
    """Refuse a time-series band whose variables' files hold different bands by their
    product names (``first``: the first date's variable, date and :func:`_held_band`).

    :func:`_check_band_words` checks a band named ``nir`` or ``red`` against each file;
    a band named by number alone (``b4``, ``band_4``) was stacked unchecked, and one
    named by a family's word (``swir``, ``thermal``) took any band of the family: ``b4``
    of a TM ``SR_B4`` (near infrared) and an OLI ``SR_B4`` (red) made its change OLI red
    minus TM NIR, ``swir`` of TM band 5 (SWIR 1) and OLI band 7 (SWIR 2) one band minus
    another, without a word (band numbers differ between sensors)."""
    from prospect.ingest.landsat import band_words_in
    from prospect.ingest.products import BAND_FAMILY_WORDS

    held = _held_band(files)
    if first[2] is None or held is None or _one_band(first[2][0], held[0]):
        return
    family = sorted(band_words_in(band) & BAND_FAMILY_WORDS)
    how = (f"{family[0]!r} names a family of bands, not one: name the band by its own "
           "word (e.g. 'swir1', 'swir2', 'lwir11'), and under it each date's variable of "
           "that band" if family else
           f"band numbers differ between sensors ({held[2]}): name under {band!r} each "
           "date's variable of one band, or name the band by its own word (e.g. 'nir', "
           "'swir1'), which each date's files are checked against")
    raise DataError(
        f"timeseries: band {band!r} stacks {first[0]!r} of {first[1]} ({first[2][1]}) with "
        f"{name!r} of {date} ({held[1]}): two bands, whose change is no change of the "
        f"ground; {how}")


def _check_own_files(read_from: dict[frozenset[str], tuple[str, dt.date]], name: str,
                     date: dt.date, band: str, files: list[str]) -> None:
    """Refuse ``name``, listed under ``date``, when an earlier date's variable of ``band``
    was read from the same files (``read_from``: each date's file set so far, updated).

    One scene listed under two dates (a source copied in the config and only its date
    changed) stacked without a word, its change 0 everywhere, exit 0."""
    key = frozenset(one_spelling(f) for f in files if f)
    if not key:
        return
    if key in read_from:
        other, when = read_from[key]
        shown = ", ".join(sorted(key)[:3]) + (f" and {len(key) - 3} more" if len(key) > 3
                                                else "")
        raise DataError(
            f"timeseries: band {band!r} of {date} is {name!r} and of {when} is {other!r}, "
            f"both read from {shown}: one scene listed under two dates, whose change is 0 "
            "everywhere; give each date the variables of its own scene")
    read_from[key] = (name, date)


def _check_dates(cube: xr.Dataset, cfg: TimeSeriesConfig, band: str) -> None:
    """Refuse a band whose per-date variables are listed under another date than their
    files' own, or hold different kinds of value (see the module doc)."""
    first: tuple[str, dict[str, Any]] | None = None
    read_from: dict[frozenset[str], tuple[str, dt.date]] = {}
    held: tuple[str, dt.date, tuple[frozenset[str], str, str] | None] | None = None
    for d in cfg.dates:
        name = d.bands[band]
        rec = _recorded(cube[name])
        _check_band_words(name, d.date, band, rec["files"])
        if held is None:
            held = (name, d.date, _held_band(rec["files"]))
        else:
            _check_one_band(held, name, d.date, band, rec["files"])
        _check_own_files(read_from, name, d.date, band, rec["files"])
        days = {day[0] for _, day in rec["dates"]}
        # a tile sensed after midnight UTC is of its day or its datatake's, either
        if len(days) == 1 and not all(d.date in day for _, day in rec["dates"]):
            ident, day = rec["dates"][0][0], rec["dates"][0][1][0]
            listed = [str(o.date) for o in cfg.dates if o.date == day]
            raise DataError(
                f"timeseries: {name!r} is listed under {d.date}, but its file {ident} was "
                f"acquired on {day}" + (", another date of the series (swapped?)"
                                        if listed else "")
                + "; give each date the variables of its own scene (dates mixed up reverse "
                "every change)")
        if first is None:
            first = (name, rec)
            continue
        _check_count(band, first, (name, rec))
        for key in ("quantity", "units", "kind"):
            a, b = first[1][key], rec[key]
            # units spelt apart are one unit (Planetary Computer's 'kelvin', a file's 'K')
            if a and b and (not same_units(a, b) if key == "units" else a != b):
                raise DataError(
                    f"timeseries: band {band!r} stacks {first[0]!r} ({key} {a}) with "
                    f"{name!r} ({key} {b}); a change between them is not a change of the "
                    "ground: stack variables of one quantity (e.g. surface reflectance of "
                    "both dates)")
        a, b = first[1]["collection"], rec["collection"]
        if a and b and a != b:
            raise DataError(
                f"timeseries: band {band!r} stacks {first[0]!r} (Landsat {a}) with "
                f"{name!r} (Landsat {b}); the collections differ in calibration, "
                "geometry and (at Level-2) algorithm, so a change between them is partly "
                "one of processing (USGS advises against mixing them in a time series): "
                "use the same collection's products for every date (Collection 2 holds "
                "every Landsat scene)")


def _check_count(band: str, first: tuple[str, dict[str, Any]],
                 other: tuple[str, dict[str, Any]]) -> None:
    """Refuse a band that stacks a composite's count layer (``<source>_count``, the valid
    observations per cell: :func:`_recorded`'s ``count``) with a variable that is none.

    ``{red: red21}`` of one date beside ``{red: b_count}`` of another (a line's variable
    picked from the cube's list, one name off) stacked a number of scenes (2.0) with a
    reflectance (0.2), and the change and every index of ``red`` were of them, exit 0:
    the count records no quantity, and its units (``1``) are reflectance's. A band of the
    counts of every date (the change of coverage) stacks as before."""
    (name_a, rec_a), (name_b, rec_b) = first, other
    if (rec_a["count"] is None) == (rec_b["count"] is None):
        return
    (count, source), plain = ((name_a, rec_a["count"]), name_b) if rec_a["count"] \
        else ((name_b, rec_b["count"]), name_a)
    raise DataError(
        f"timeseries: band {band!r} stacks {count!r}, the valid observations per cell of "
        f"composite source {source!r} (a number of scenes, not a band), with {plain!r}: a "
        "change between them is no change of the ground; give band "
        f"{band!r} each date's variable of that band (e.g. the composite's own band, not "
        f"{count!r}), or stack the counts of every date's composite as a band of their own")


def _check_order(cube: xr.Dataset, cfg: TimeSeriesConfig, band: str) -> None:
    """Refuse per-date variables whose recorded acquisitions run against the config's
    dates: a variable listed under an earlier date whose scenes were all acquired after
    those of a variable listed later (composites of several dates, mosaics with scene
    ``date:``, items whose ids state them: :func:`prospect.indices.ranges.acquisition_dates`).
    The single-date check names a scene of one day; this one catches composites, whose
    span no one date is, swapped between two dates (every change reversed)."""
    from prospect.indices.ranges import acquisition_dates

    spans = [(d.date, d.bands[band], acquisition_dates(cube[d.bands[band]].attrs))
             for d in cfg.dates]
    for i, (day_a, name_a, got_a) in enumerate(spans):
        for day_b, name_b, got_b in spans[i + 1:]:
            if got_a and got_b and day_a < day_b and got_a[0] > got_b[-1]:
                raise DataError(
                    f"timeseries: {name_a!r} is listed under {day_a}, before {name_b!r} "
                    f"({day_b}), but its scenes were acquired {_span(got_a)}, after those of "
                    f"{name_b!r} ({_span(got_b)}): swapped? give each date the variables of "
                    "its own scenes (dates mixed up reverse every change)")


def _check_within(cube: xr.Dataset, cfg: TimeSeriesConfig, band: str) -> None:
    """Refuse a per-date variable whose recorded acquisitions (a composite's items, a
    mosaic's dated scenes: :func:`prospect.indices.ranges.acquisition_dates`) lie in no
    year of the date it is listed under.

    The single-date check names a scene of one day, and :func:`_check_order` composites
    swapped between two dates; a composite of March 2021 listed under 2015-06-01 and one
    of March 2023 under 2024-06-01 were stacked in order, and the time axis, the change's
    ``long_name`` and every index's dates said 2015 and 2024, without a word. A composite
    is dated by any day of its scenes' years (``2021-01-01`` for a season of 2021; a
    datatake begun on 31 December is of the next year too)."""
    from prospect.indices.ranges import acquisition_dates

    for d in cfg.dates:
        name = d.bands[band]
        got = sorted(acquisition_dates(cube[name].attrs))
        if not got:
            continue
        first, last = got[0].year, (got[-1] + dt.timedelta(days=1)).year
        if first <= d.date.year <= last:
            continue
        years = str(first) if first == got[-1].year else f"{first} to {got[-1].year}"
        raise DataError(
            f"timeseries: {name!r} is listed under {d.date}, but its scenes were acquired "
            f"{_span(got)}, in {years}, not {d.date.year}; give each date the variables "
            f"of its own scenes, or date {name!r} by a day of its scenes' years (e.g. "
            f"{got[0].isoformat()}): the time axis and every change are dated by it")


def _span(days: list[dt.date]) -> str:
    return f"on {days[0]}" if days[0] == days[-1] else f"from {days[0]} to {days[-1]}"


_CLASS_LIST = re.compile(r"-?\d+\s+\S.*")
"""The class meanings a categorical variable's ``long_name`` states after its last
``": "`` (``"CFmask class 1990-04-08: 0 clear, 1 water, 2 cloud shadow, 3 snow, 4
cloud"``): a code, a blank and a name, then more."""


def _stated_classes(long_name: object) -> str | None:
    """The class meanings ``long_name`` states after its last ``": "``
    (:data:`_CLASS_LIST`), else ``None``."""
    head, sep, tail = str(long_name or "").rpartition(": ")
    return tail.strip() if sep and head and _CLASS_LIST.fullmatch(tail.strip()) else None


def _stack_long_name(band: str, members: list[tuple[str, xr.DataArray]], kind: str) -> str:
    """The ``long_name`` of ``band`` stacked from ``members`` (date, per-date variable):
    ``"<band> on N dates"``, and for class codes the meanings their ``long_name`` states,
    ``"cfmask (0 clear, 1 water, ...) on 2 dates"`` (by date where the dates' differ).

    ``"cfmask on 2 dates"`` lost the meanings each date's variable stated ("CFmask class
    1990-04-08: 0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud"): the stack's codes
    said nothing of what they are. They stay before ``" on N dates"``, which the tiles
    read (a date's layer is ``"cfmask (0 clear, ...) on 1990-04-08"``)."""
    plain = f"{band} on {len(members)} dates"
    if kind != "categorical":
        return plain
    stated = [(day, said) for day, var in members
              if (said := _stated_classes(var.attrs.get("long_name")))]
    if not stated:
        return plain
    if len(stated) == len(members) and len({said for _, said in stated}) == 1:
        return f"{band} ({stated[0][1]}) on {len(members)} dates"
    by_date = "; ".join(f"{day}: {said}" for day, said in stated)
    return f"{band} ({by_date}) on {len(members)} dates"


def _check_flags(band: str, members: list[tuple[str, xr.DataArray]],
                 cfg: TimeSeriesConfig) -> None:
    """Refuse a band of class codes whose dates' variables give their codes different
    meanings (CF ``flag_values`` and ``flag_meanings``).

    The stack took the first date's table alone: a land cover whose code 1 is forest in
    1990 and water in 2014 was stacked under 1990's legend, and every 2014 cell read as
    another class, without a word."""
    tables = [(day, name, var.attrs.get("flag_values"), var.attrs.get("flag_meanings"))
              for (day, var), name in zip(members, (d.bands[band] for d in cfg.dates),
                                          strict=True)]
    tables = [t for t in tables if t[2] is not None and t[3] is not None]

    def table(values: object, meanings: object) -> dict[float, str]:
        codes = np.ravel(np.asarray(values, dtype="f8")).tolist()
        return dict(zip(codes, str(meanings).split(), strict=False))

    for day, name, values, meanings in tables[1:]:
        day0, name0, values0, meanings0 = tables[0]
        a, b = table(values0, meanings0), table(values, meanings)
        differ = sorted(c for c in set(a) & set(b) if a[c] != b[c])
        if differ:
            code = differ[0]
            shown = int(code) if float(code).is_integer() else code
            raise DataError(
                f"timeseries: band {band!r} stacks class codes whose meanings differ: code "
                f"{shown} is {a[code]!r} in {name0!r} ({day0}) and {b[code]!r} in {name!r} "
                f"({day}) (their flag_values and flag_meanings), and the stack has one "
                "legend; recode one date's classes to the other's table before stacking, "
                "or leave the band out of timeseries.dates")


def stack_dates(cube: xr.Dataset, cfg: TimeSeriesConfig) -> xr.Dataset:
    """One ``(time, y, x)`` variable per band name of ``cfg``, from the per-date variables.

    Raises
    ------
    DataError
        A per-date variable is missing from the cube, is listed under another date than
        its scene's (or, for composites, in another order than their scenes' dates, or
        in no year of them), or
        holds another quantity, units or kind of value than the other
        dates' variables of its band, files of another band by their product names,
        Landsat scenes of another collection, or a composite's count layer beside a
        variable that is none.
    """
    times = np.array([np.datetime64(d.date, "ns") for d in cfg.dates])
    out = {}
    for band in cfg.dates[0].bands:
        layers = []
        for d in cfg.dates:
            name = d.bands[band]
            if name not in cube.data_vars:
                raise DataError(f"timeseries: no variable {name!r} (band {band!r} of {d.date}) "
                                f"in the cube; variables are {sorted(map(str, cube.data_vars))}")
        _check_dates(cube, cfg, band)
        _check_order(cube, cfg, band)
        _check_within(cube, cfg, band)
        for d in cfg.dates:
            layers.append(cube[d.bands[band]].astype("float32"))
        da = xr.concat(layers, dim=xr.DataArray(times, dims="time", name="time"),
                       coords="minimal", compat="override", join="override")
        first = cube[cfg.dates[0].bands[band]]
        kind = first.attrs.get("prospect_kind", "continuous")
        members = [(str(d.date), cube[d.bands[band]]) for d in cfg.dates]
        if kind == "categorical":
            _check_flags(band, members, cfg)
        da.attrs = {
            "units": first.attrs.get("units", ""),
            "long_name": _stack_long_name(band, members, kind),
            "prospect_kind": kind if kind in ("continuous", "categorical") else "continuous",
            **{k: first.attrs[k] for k in ("flag_values", "flag_meanings", "codes")
               if k in first.attrs},
            "provenance": provenance_attr({
                "stacked": {str(d.date): d.bands[band] for d in cfg.dates},
                "method": "time stack of per-date variables"}),
        }
        out[band] = da
    return xr.Dataset(out)


_SENSORS = {"Landsat 4": "Landsat 4-5 TM", "Landsat 5": "Landsat 4-5 TM",
            "Landsat 7": "Landsat 7 ETM+", "Landsat 8": "Landsat 8-9 OLI",
            "Landsat 9": "Landsat 8-9 OLI", "Sentinel-2": "Sentinel-2 MSI",
            "HLS S30": "HLS (harmonized)", "HLS L30 (OLI numbering)": "HLS (harmonized)",
            "ASTER": "ASTER"}
"""The sensor a product of :func:`~prospect.ingest.products.named_band` was taken by, as
one whose bands a change may subtract without a cross-calibration: TM on Landsat 4 and 5,
OLI and OLI-2 on Landsat 8 and 9, Sentinel-2A/B/C's MSI, HLS's S30 and L30 (adjusted to
one bandpass by the product)."""

_S2_PRODUCT = re.compile(r"^S2[A-D]_MSI(L1C|L2A)_")


def _sensor_of(name: str) -> str | None:
    """The sensor of a band file's or an item's product name (``LT05_..._SR_B4.TIF``,
    ``LT51980241990098KIS00_sr_band3``, ``S2A_MSIL2A_...``), else ``None``."""
    from prospect.ingest.products import named_band

    held = named_band(name)
    if held is not None:
        return _SENSORS.get(held[2])
    stem = PurePosixPath(name.replace("\\", "/")).name.split(".")[0]
    ident = landsat_id(stem)
    if ident is not None:
        return _SENSORS.get(f"Landsat {ident.satellite}")
    return "Sentinel-2 MSI" if _S2_PRODUCT.match(stem) else None


def _variable_sensors(var: xr.DataArray) -> frozenset[str]:
    """The sensors of a per-date variable's scenes, by their files' (else items') product
    names, as its provenance records them."""
    prov = read_provenance(var.attrs.get("provenance"))
    scenes = prov.get("scenes")
    out = set()
    for scene in scenes if isinstance(scenes, list) else []:
        if isinstance(scene, dict):
            sensor = _sensor_of(str(scene.get("file", ""))) or _sensor_of(
                str(scene.get("item", "")))
            if sensor is not None:
                out.add(sensor)
    return frozenset(out)


def date_sensors(cube: xr.Dataset, name: str) -> dict[str, frozenset[str]]:
    """Date (``YYYY-MM-DD``) -> the sensors of the scenes a stacked variable ``name`` holds,
    or of those of the stacked bands an index ``name`` reads, as their per-date variables'
    provenance records them; dates whose scenes name no sensor are left out.

    Parameters
    ----------
    cube
        The cube holding ``name``, its stacked bands and their per-date variables.
    name
        A stacked band (:func:`stack_dates`) or an index of stacked bands.
    """
    prov = read_provenance(cube[name].attrs.get("provenance"))
    bands = prov.get("bands")
    stacks = [name] if isinstance(prov.get("stacked"), dict) else [
        str(v) for v in bands.values() if str(v) in cube.data_vars
    ] if isinstance(bands, dict) else []
    return bands_date_sensors(cube, stacks)


def bands_date_sensors(cube: xr.Dataset, bands: Any) -> dict[str, frozenset[str]]:
    """Date (``YYYY-MM-DD``) -> the sensors of the scenes the stacked bands ``bands``
    (names of the cube's :func:`stack_dates` variables; others are passed over) hold, as
    their per-date variables' provenance records them; dates whose scenes name no sensor
    are left out (:func:`date_sensors` of an index, before the index is in the cube)."""
    stacks = [str(b) for b in bands if str(b) in cube.data_vars]
    out: dict[str, set[str]] = {}
    for stack in stacks:
        stacked = read_provenance(cube[stack].attrs.get("provenance")).get("stacked")
        for day, var in stacked.items() if isinstance(stacked, dict) else []:
            if str(var) in cube.data_vars:
                out.setdefault(str(day), set()).update(_variable_sensors(cube[str(var)]))
    return {day: frozenset(s) for day, s in out.items() if s}


def _across_sensors(name: str, t0: str, t1: str,
                    sensors: dict[str, frozenset[str]] | None) -> tuple[str, str] | None:
    """``(first, last)`` date's sensors where a change of ``name`` subtracts one sensor's
    values from another's, else ``None``; warned of (a DataWarning)."""
    import warnings

    from prospect.errors import DataWarning

    first, last = (sensors or {}).get(t0), (sensors or {}).get(t1)
    if not first or not last or first == last:
        return None
    a, b = " and ".join(sorted(first)), " and ".join(sorted(last))
    warnings.warn(DataWarning(
        f"timeseries.difference: '{name}_change' subtracts {name!r} of {a} ({t0}) from "
        f"that of {b} ({t1}): two sensors whose bands differ (spectral response, "
        "bandwidth; Roy et al. 2016 found OLI's NDVI about 0.02 above ETM+'s over the "
        "same surface), so part of the change is the sensors', and no cross-calibration "
        "is applied; difference dates of one sensor, or calibrate one date's bands to the "
        "other sensor's before they are stacked (e.g. with Roy et al. 2016's per-band "
        "coefficients)"), stacklevel=3)
    return a, b


def change(da: xr.DataArray, *, sensors: dict[str, frozenset[str]] | None = None
           ) -> xr.DataArray:
    """Last date minus first date of a ``(time, y, x)`` variable, named ``<name>_change``.

    A difference beyond float32 (``3e38 - -3e38``) is stored as NaN, never ``inf``.

    Parameters
    ----------
    da
        The stacked band or index.
    sensors
        Date -> its scenes' sensors (:func:`date_sensors`): a change whose first and last
        dates are of different sensors (Landsat 5 TM and Landsat 8 OLI) is warned of, and
        its ``long_name`` and provenance say so; the values are not changed (no
        cross-calibration is applied).

    Raises
    ------
    DataError
        The variable has no time axis or a single date, or holds class codes (a
        categorical layer: code 4 minus code 2 is no change of anything).
    """
    if "time" not in da.dims or da.sizes["time"] < 2:
        raise DataError(f"timeseries.difference: {da.name!r} has no time axis with two dates; "
                        "difference variables computed on the stacked bands")
    if da.attrs.get("prospect_kind") == "categorical" or "flag_values" in da.attrs:
        raise DataError(
            f"timeseries.difference: {da.name!r} holds class codes (a categorical layer); "
            "the difference of two codes is no change (4 - 2 is not 'class 2'): remove it "
            "from timeseries.difference, and difference an index or a continuous band")
    first, last = da.isel(time=0), da.isel(time=-1)
    diff = (last - first).astype("float32")
    out = diff.where(np.isfinite(diff)).drop_vars("time", errors="ignore")
    t0, t1 = (str(np.datetime_as_string(t, unit="D")) for t in (first.time.values,
                                                                 last.time.values))
    out.name = f"{da.name}_change"
    across = _across_sensors(str(da.name), t0, t1, sensors)
    said = (f", across sensors ({across[0]} to {across[1]}, not cross-calibrated)"
            if across else "")
    prov: dict[str, Any] = {"variable": str(da.name), "from": t0, "to": t1,
                            "method": "last minus first date"}
    if across:
        prov["sensors"] = {t0: across[0], t1: across[1]}
        prov["cross_calibration"] = "none"
    out.attrs = {
        "units": da.attrs.get("units", ""),
        "long_name": f"change of {da.name} from {t0} to {t1} ({t1} minus {t0}){said}",
        "prospect_kind": "change",
        "provenance": provenance_attr(prov),
    }
    return out


OVERLAP_SHARE = 0.5
"""A change layer holding data in less than this share of the cells where either of its
dates holds data, or of the region's cells, is warned of (:func:`check_overlap`)."""


def date_cover(da: xr.DataArray) -> Any:
    """The lazy count of the cells of a ``(time, y, x)`` variable with a value on its
    first date or its last (a dask scalar where ``da`` is lazy; the screen stage computes
    it with the change layer's own read, for :func:`check_overlap`)."""
    first, last = (np.isfinite(da.isel(time=i)) for i in (0, -1))
    return (first | last).sum().data


def region_cells(cube: xr.Dataset) -> Any | None:
    """The lazy count of the region's cells inside the job's mask outline (the cube's
    ``land`` variable, 1 on land), for :func:`check_overlap`'s ``region``; ``None`` for a
    cube without a mask, whose every cell is the region's (``y`` x ``x``)."""
    from prospect.ingest.mask import LAND_VARIABLE

    if LAND_VARIABLE not in cube.data_vars:
        return None
    return (cube[LAND_VARIABLE] == 1).sum().data


def check_overlap(name: str, cells: int, either: int, *, t0: str, t1: str,
                  region: int | None = None, masked: bool = False) -> dict[str, Any] | None:
    """Warn of a change layer ``name`` holding data in few cells, and return what the
    report says of it (``None`` where nothing is said).

    Two dates whose scenes barely overlap (one date cloudy where the other is clear, two
    footprints that meet at an edge) made a change layer of a few cells, and the report
    gave its cells, mean and percentiles as the change of the area without a word; only a
    change of no cell at all was said. So was a change of two dates whose scenes cover
    the same small part of the region (a corner, a sliver: a footprint, clouds on both
    dates), whose share of the cells either date covers is whole. A change of no cell is
    left to its own warning.

    Parameters
    ----------
    name
        The change layer (``<variable>_change``).
    cells
        Its cells holding a value.
    either
        The cells where its first (``t0``) or last (``t1``) date holds data
        (:func:`date_cover`): under :data:`OVERLAP_SHARE` of them, the dates' scenes
        barely overlap (``{"either_cells", "overlap_share"}``).
    region
        The region's cells (:func:`region_cells`; those inside the mask outline where
        ``masked``): else, under :data:`OVERLAP_SHARE` of them, the change covers that part
        of the region alone (``{"region_cells", "region_share"}``).
    """
    import warnings

    from prospect.errors import DataWarning

    if cells <= 0 or either <= 0:
        return None
    if cells < OVERLAP_SHARE * either:
        share = cells / either
        warnings.warn(DataWarning(
            f"timeseries.difference: {name!r} has data in {cells} of the {either} cells "
            f"where {t0} or {t1} holds data ({100 * share:.0f} %): the two dates' scenes "
            "barely overlap (one date's cloud, nodata or footprint where the other has "
            "data), so the change and its mean and percentiles in the report describe that "
            "part alone; check each date's scene in timeseries.dates (its cloud mask, its "
            "footprint), or difference dates whose scenes cover the same ground"),
            stacklevel=2)
        return {"either_cells": either, "overlap_share": share}
    if region is None or region <= 0 or cells >= OVERLAP_SHARE * region:
        return None
    share = cells / region
    inside = " inside the mask outline" if masked else ""
    warnings.warn(DataWarning(
        f"timeseries.difference: {name!r} has data in {cells} of the region's {region} "
        f"cells{inside} ({100 * share:.0f} %): neither {t0} nor {t1} holds data in the "
        "rest (their scenes' footprint, cloud or nodata), so the change and its mean and "
        "percentiles in the report describe that part of the region alone; check each "
        "date's scenes in timeseries.dates (their footprint, their cloud mask), or add "
        "scenes of each date that cover the region"), stacklevel=2)
    return {"region_cells": region, "region_share": share}
