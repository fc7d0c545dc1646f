"""Source configs: what ingest reads and how it puts it on the region grid."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    AllowInfNan,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from prospect.config._base import (
    ConfigLocation,
    ConfigPath,
    KeyRefused,
    PlainText,
    RasterPath,
    StrictModel,
    VectorPath,
    bool_as_text,
)
from prospect.config.stac import CloudMask, Composite, RemoteReads, StacSearch

__all__ = ["FlagCodes", "PointSource", "RasterScene", "RasterSource", "SourceConfig",
           "VectorSource", "read_twice"]

Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
ExtentCoordinate = Annotated[float, Field(allow_inf_nan=False)]


def _extent_kind(value: object) -> str:
    """``faults_extent``'s member: bounds written as a list, else a file. A file's refusal
    (a YAML config named there) was said after "Input should be a valid tuple", the
    bounds' words, of a value that is no list."""
    return "Bounds" if isinstance(value, list | tuple) else "Path"


FaultsExtent = Annotated[
    Annotated[tuple[ExtentCoordinate, ExtentCoordinate, ExtentCoordinate, ExtentCoordinate],
              Tag("Bounds")] | Annotated[VectorPath, Tag("Path")],
    Discriminator(_extent_kind)]
"""A vector source's ``faults_extent``: the bounds of the area where its faults were
mapped (``[left, bottom, right, top]`` in the region's CRS), or a file of its polygons."""


def _column_name(value: str) -> str:
    """A table's column header as written (``Li (mg/L)``, ``Heat Flow``, ``δO18``).

    A column names an input, not an output: the variable it makes is
    ``<source>_<column>`` with every character but ``A-Z a-z 0-9 _`` as ``_``
    (:func:`prospect.ingest.surfaces.plan_points`), so a header holding ``/`` or ``..``
    cannot name anything outside the output directory.
    """
    if not value.strip():
        raise ValueError("must be a column header, not empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a column header holds no control characters; check the quoting")
    return value


ColumnName = Annotated[str, AfterValidator(_column_name)]


def _known_crs(value: str) -> str:
    """``value`` if PROJ knows the CRS (else the error is at load, naming the key)."""
    from prospect.errors import CRSError
    from prospect.grid import parse_crs

    try:
        parse_crs(value)
    except CRSError as exc:
        raise ValueError(str(exc)) from None
    return value


def _known_sensor(value: str, info: ValidationInfo) -> str:
    """``value`` if it is a shipped sensor or an alias; a sensor YAML's path, a relative
    one taken from the config file's folder as the indices section's is
    (:func:`prospect.config.indices.known_sensor`)."""
    from prospect.config.indices import known_sensor

    return known_sensor(value, (info.context or {}).get("base_dir"))


KnownCrs = Annotated[str, AfterValidator(_known_crs)]
"""A CRS in a source config, checked when the job loads (an unused source's too)."""


def _dataset_name_refused(written: str, *, in_bands: bool) -> str:
    """Why GDAL's name of a dataset inside a file cannot stand where it is written
    (``""`` where it is no such name, or a NetCDF/HDF5 variable as a ``path``, which is
    read as ``path`` plus ``variable``): a page of a TIFF or a dataset of an HDF4 file
    is not read by its GDAL name, and a file of ``bands`` holds one band."""
    from prospect.config.vsi import dataset_name_parts, variable_name_parts

    parts = dataset_name_parts(written)
    if parts is None or (not in_bands and variable_name_parts(written) is not None):
        return ""
    driver, file, _ = parts
    if in_bands and variable_name_parts(written) is not None:
        file, variable = variable_name_parts(written) or (file, "")
        return (f"{written!r} is GDAL's name of the variable {variable!r} inside the file "
                f"{file}, and a file of 'bands' is read at its first band; give the variable "
                f"a source of its own with 'path: {file}' and 'variable: {variable}'")
    named = [f for f in re.split(r"[:/]", written[len(driver) + 1:].replace(f'"{file}"', ""))
             if f.strip() and f.strip('"') != file]
    out = f"{Path(file).stem}_{re.sub(r'[^A-Za-z0-9]+', '_', named[-1] if named else 'dataset')}"
    return (f"{written!r} is GDAL's name of a dataset inside the file {file} ({driver}), "
            "which a source does not read by that name; extract it first "
            f"(gdal_translate '{written}' {out.strip('_')}.tif) and give that file as "
            "'path'")


def _variable_from_path(data: Any) -> Any:
    """A raster ``path`` written as GDAL's name of one NetCDF/HDF5 variable
    (``NETCDF:"survey.nc":cond``, as ``gdalinfo`` lists a file's subdatasets) read as
    ``path: survey.nc`` and ``variable: cond``: the file is then resolved against the
    config's folder as every path is. It was refused at ingest, after ``prospect plan``
    had passed it. GDAL's name of another kind of dataset (an HDF4 grid's field, a page
    of a TIFF), in ``path`` or ``bands``, is refused here with the file it names
    (:func:`_dataset_name_refused`), and so is a ``variable:`` naming another variable."""
    from prospect.config.vsi import variable_name_parts

    if not isinstance(data, dict):
        return data
    bands = data.get("bands")
    for written in (bands.values() if isinstance(bands, dict) else []):
        why = _dataset_name_refused(written, in_bands=True) if isinstance(written, str) \
            else ""
        if why:
            raise ValueError(why)
    if not isinstance(data.get("path"), str):
        return data
    why = _dataset_name_refused(data["path"], in_bands=False)
    if why:
        raise ValueError(why)
    parts = variable_name_parts(data["path"])
    if parts is None:
        return data
    file, variable = parts
    given = data.get("variable")
    if given is not None and str(given).strip("/") != variable.strip("/"):
        raise ValueError(
            f"'path: {data['path']}' names the variable {variable!r} of {file}, and "
            f"'variable: {given}' names another; give 'path: {file}' and the one variable "
            "meant")
    return {**data, "path": file, "variable": given if given is not None else variable}

class RasterScene(StrictModel):
    """One scene of a mosaic: its files, and what orders it against the other scenes."""

    bands: dict[Name, RasterPath] | None = None
    path: RasterPath | None = None
    band_names: list[Name] | None = None
    variable: str | None = None
    mtl: ConfigPath | None = Field(default=None, validation_alias=AliasChoices("metadata", "mtl"))
    crs: KnownCrs | None = None
    date: dt.date | None = None
    cloud_cover: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _path_names_variable(cls, data: Any) -> Any:
        return _variable_from_path(data)

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        """A date as a time series' is read: a date and time (with an offset) is refused
        naming its UTC date; pydantic's own reading gave "should have zero time" without
        a date, and took ``2021-03-02T00:00:00+02:00`` as 2021-03-02 (UTC: 03-01)."""
        from prospect.config.timeseries import calendar_date

        return None if value is None else calendar_date(value)

    @field_validator("date")
    @classmethod
    def _taken(cls, value: dt.date | None) -> dt.date | None:
        from prospect.config.timeseries import taken

        return None if value is None else taken(value)

    @model_validator(mode="after")
    def _one_layout(self) -> RasterScene:
        if (self.bands is None) == (self.path is None):
            raise ValueError("a scene gives either 'bands' (one file per band) or 'path'")
        return self


_FLOAT64_WHOLE = 2**53
"""The magnitude from which float64 no longer holds every whole number (a ``nodata``
beyond it is kept as the exact ``int`` written)."""

_ESPA_XML = re.compile(r"^L[A-Z]\d{14}[A-Z]{3}\d{2}\.xml$", re.IGNORECASE)
"""An ESPA (pre-collection Landsat) scene's metadata file: ``LT51980241990098KIS00.xml``."""


def _mask_evidence(source: RasterSource) -> list[tuple[str, set[str]]]:
    """What the config says of the product, each with the cloud-mask kinds it has."""
    out: list[tuple[str, set[str]]] = []
    sensor = (source.sensor or "").lower().replace("-", "").replace("_", "")
    if sensor.startswith("sentinel2"):
        out.append((f"sensor {source.sensor!r}", {"scl"}))
    elif sensor.startswith("landsat"):
        out.append((f"sensor {source.sensor!r}", {"qa_pixel", "cfmask"}))
    if source.stac_search is not None:
        for col in source.stac_search.collections:
            low = col.lower()
            if "sentinel-2" in low and "l2a" in low:
                out.append((f"STAC collection {col!r}", {"scl"}))
            elif low.startswith("landsat-c2"):
                out.append((f"STAC collection {col!r}", {"qa_pixel"}))
    metadata = [source.mtl] if source.mtl is not None else \
        [s.mtl for s in source.scenes or [] if s.mtl is not None]
    for path in metadata:
        name = Path(path).name
        if name.upper().startswith("MTD_MSIL2A"):
            out.append((f"metadata {name!r} (Sentinel-2 L2A)", {"scl"}))
        elif "_MTL" in name.upper():
            out.append((f"metadata {name!r} (Landsat Collection MTL)", {"qa_pixel"}))
        elif _ESPA_XML.match(name):
            out.append((f"metadata {name!r} (an ESPA Landsat scene)", {"cfmask"}))
    return out


ASTER_SWIR_FAILED = dt.date(2008, 4, 1)
"""ASTER's SWIR detectors (bands 4-9) have given no usable data since this date (USGS and
JAXA: saturated values and severe striping after the cooler failed; SWIR data acquired
from April 2008 on are not usable)."""

_ASTER_GRANULE = re.compile(r"AST_?(?:L1[ABT]|0[5-9][A-Z]*|\d{2}[A-Z]*)_\d{3}(\d{2})(\d{2})"
                            r"(\d{4})(\d{6})", re.IGNORECASE)
"""An ASTER granule id in a file name: ``AST_L1T_00304182012183523_...`` (version 003,
then MMDDYYYY and HHMMSS of the acquisition); AST_07XT, AST_05, AST_08 likewise."""
_ASTER_SWIR_NAME = re.compile(r"^(?:B0?[4-9]|SW[5-9]|S[12]|swir\w*)$", re.IGNORECASE)
_ASTER_SWIR_FILE = re.compile(r"(?:ImageData|_B0?|Band)([4-9])(?!\d)|SWIR", re.IGNORECASE)


def is_aster_swir_name(name: str) -> bool:
    """Whether a band name or asset key names an ASTER SWIR band (``B4``..``B9``,
    ``SW5``..``SW9``, ``S1``, ``S2``, ``SWIR``, ``swir16``...)."""
    return bool(_ASTER_SWIR_NAME.match(name)) or "swir" in name.lower()


def aster_date(name: str) -> dt.date | None:
    """The acquisition date an ASTER granule's file name states, or ``None``."""
    m = _ASTER_GRANULE.search(Path(str(name)).name)
    if m is None:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError:  # a date the calendar has not: not a granule id
        return None


def _aster_swir_refused(source: RasterSource) -> str | None:
    """Why ``source`` holds ASTER SWIR bands acquired after the detector failed, or
    ``None``: an ASTER source (``sensor: aster`` or ASTER granule file names) whose scene
    date (``date:`` or the granule id) is on or after :data:`ASTER_SWIR_FAILED` and whose
    band names (``B4``..``B9``, ``SW5``..``SW9``, ``S1``, ``S2``, ``swir...``) or files
    (``ImageData4``, ``_B04``, ``SWIR``) are SWIR."""
    if source.stac is not None or source.stac_search is not None:
        return None  # items: checked when read (prospect.ingest.stac)
    from prospect.indices.bands import is_sensor

    aster_sensor = is_sensor(source.sensor, "aster")
    for i, scene in enumerate(source.scene_list()):
        files = {k: str(v) for k, v in (scene.bands or {}).items()} if scene.bands else {
            n: str(scene.path) for n in (scene.band_names or source.band_names or
                                         [source.name])}
        dates = {aster_date(f) for f in files.values()} - {None}
        if not (aster_sensor or dates):
            continue
        when = scene.date or (min(dates) if dates else None)  # type: ignore[type-var]
        if when is None or when < ASTER_SWIR_FAILED:
            continue
        swir = sorted(k for k, f in files.items() if is_aster_swir_name(k)
                      or (scene.bands is not None and _ASTER_SWIR_FILE.search(Path(f).name)))
        if swir:
            where = f"scene {i + 1}" if source.scenes is not None else "the scene"
            how = "its 'date:'" if scene.date else "its granule id"
            return (f"ASTER SWIR band(s) {swir}: {where} was acquired on {when} ({how}), "
                    f"after ASTER's SWIR detector failed (bands 4-9 unusable, saturated and "
                    f"striped, from {ASTER_SWIR_FAILED}; USGS/JAXA); drop the SWIR bands "
                    "(VNIR B1-B3N and TIR B10-B14 are sound) or use scenes acquired before "
                    "April 2008")
    return None


_ASTER_L1 = re.compile(r"AST_?L1[ABT]_", re.IGNORECASE)
_ASTER_BAND_FILE = re.compile(r"(?:ImageData|_B|Band)0?(\d{1,2}[NB]?)(?![\dA-Za-z])",
                              re.IGNORECASE)
"""An ASTER Level-1 band file's band (``..._ImageData3N.tif``, ``..._B04.tif``)."""


def _aster_one_coefficient(source: RasterSource) -> str | None:
    """Why one ``scale:``/``offset:`` cannot turn the ASTER Level-1 DNs of ``source``'s
    bands into values, or ``None``: ASTER radiance is ``(DN - 1) x`` a unit conversion
    coefficient of each band and gain (VNIR, SWIR and TIR bands' differ several-fold), so
    one pair for files of two or more bands is one band's coefficient applied to the
    others."""
    if (source.scale, source.offset) == (1.0, 0.0):
        return None
    found: dict[str, str] = {}
    for bands in [source.bands, *(s.bands for s in source.scenes or [])]:
        for f in (bands or {}).values():
            name = Path(str(f)).name
            band = _ASTER_BAND_FILE.search(name) if _ASTER_L1.search(name) else None
            if band is not None:
                found.setdefault(band.group(1).upper().lstrip("0"), name)
    if len(found) < 2:
        return None
    return (f"ASTER Level-1 files of bands {sorted(found)} take one 'scale: "
            f"{source.scale:g}'" + (f" and 'offset: {source.offset:g}'" if source.offset
                                    else "")
            + ", but ASTER radiance is (DN - 1) x each band's own unit conversion "
            "coefficient, which also depends on the band's gain (HGH, NOR, LO1, LO2 in the "
            "granule's metadata), so all bands but one would be wrong; give each band "
            "its own source with its coefficient as 'scale:' and minus it as 'offset:', "
            "or use the AST_07XT surface reflectance product")


class RasterSource(StrictModel):
    """Raster layers: one file per band (``bands``) or one multi-band file (``path``).

    Each band becomes one cube variable, named by the key in ``bands`` or by
    ``band_names`` for a multi-band file. Several overlapping scenes (``scenes``) or the
    items of a STAC catalog (``stac``) are mosaicked into one layer per band by the
    ``mosaic`` rule.

    ``metadata`` (also spelt ``mtl``) is the product's own metadata file (Landsat MTL, ESPA
    XML, Sentinel-2 ``MTD_MSIL2A.xml``): DN become the quantity the product holds, with its
    coefficients and fill value; then ``scale`` and ``offset`` apply to that quantity:
    ``value = scale * (product_scale * DN + product_offset) + offset``. ``cloud_mask``
    names the scene's quality layer (a key of ``bands``, or a STAC asset) and the classes it
    drops before resampling.
    """

    kind: Literal["raster"] = "raster"
    name: Name
    sensor: Annotated[str, AfterValidator(_known_sensor)] | None = None
    bands: dict[Name, RasterPath] | None = None
    path: RasterPath | None = None
    band_names: list[Name] | None = None
    crs: KnownCrs | None = Field(
        default=None, description="CRS to assume when a file carries none (explicit choice)"
    )
    values: Literal["continuous", "categorical"] = "continuous"
    units: PlainText = "1"
    long_name: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    nodata: Annotated[float, AllowInfNan(True)] | int | None = Field(
        default=None,
        description="source no-data value when the file does not declare one",
    )
    variable: PlainText | None = Field(default=None, description="NetCDF variable to read")
    mtl: ConfigPath | None = Field(
        default=None, validation_alias=AliasChoices("metadata", "mtl"),
        description="product metadata (Landsat MTL, ESPA XML, Sentinel-2 MTD XML): DN -> "
        "the product's quantity with its own coefficients",
    )
    scenes: list[RasterScene] | None = None
    stac: ConfigLocation | None = Field(
        default=None, description="STAC catalog/item/collection JSON (path or URL)"
    )
    assets: dict[Name, str] | None = Field(
        default=None, description="cube variable -> STAC asset key (with 'stac')"
    )
    stac_search: StacSearch | None = Field(
        default=None, description="find the scenes with a STAC API search (see docs/ingest.md)"
    )
    cloud_mask: CloudMask | None = None
    composite: Composite | None = None
    remote: RemoteReads = Field(default_factory=RemoteReads)
    mosaic: Literal["first_valid", "most_recent", "least_cloudy"] = "first_valid"
    resampling: str | None = Field(
        default=None, description="override the resampling chosen from the value kind"
    )

    @field_validator("resampling")
    @classmethod
    def _resampling_known(cls, value: str | None) -> str | None:
        if value is not None:
            from prospect.io.warp import resampling_enum

            resampling_enum(value)  # ConfigError (a ValueError) naming the allowed ones
        return value

    @field_validator("nodata", mode="before")
    @classmethod
    def _nodata_quoted_whole(cls, value: object) -> object:
        """A whole number written in quotes (``nodata: "1152921504606846977"``) is the
        number written, as it is without them: pydantic read the text as a float first,
        and 2**60 + 1 became 2**60 (the band's 2**60 cells dropped with its fills).
        (A validator of its own exempts the field from :class:`StrictModel`'s refusal of
        ``nodata: no``, YAML's boolean, which is handed on as text here as there.)"""
        if isinstance(value, bool):
            return bool_as_text(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            number = int(value)
            if abs(number) >= _FLOAT64_WHOLE:
                return number
        return value

    @field_validator("nodata")
    @classmethod
    def _nodata_exact(cls, value: float | None) -> float | None:
        """A whole number of magnitude 2**53 or more stays the exact ``int`` written (a
        64-bit band's fill, compared in the band's own type as a file's is, see
        :func:`prospect.io.raster.exact_nodata`); any other number is a float, as before.

        As a float, ``nodata: 1152921504606846977`` (2**60 + 1) became 2**60, and the
        band's 2**60 cells were dropped with its fills without a word."""
        if isinstance(value, int) and abs(value) >= _FLOAT64_WHOLE:
            return value
        return None if value is None else float(value)

    @field_validator("scale")
    @classmethod
    def _scale_not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("scale 0 would make every value equal 'offset'; give the factor "
                             "that turns the file's numbers into the quantity (e.g. 0.0001), "
                             "or leave 'scale' out (1)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _path_names_variable(cls, data: Any) -> Any:
        return _variable_from_path(data)

    @model_validator(mode="after")
    def _one_layout(self) -> RasterSource:
        layouts = [self.bands is not None, self.path is not None, self.scenes is not None,
                   self.stac is not None, self.stac_search is not None]
        if sum(layouts) != 1:
            raise ValueError(
                "give exactly one of 'bands' (one file per band), 'path' (one file), "
                "'scenes' (a mosaic), 'stac' (a STAC catalog or item) or 'stac_search' "
                "(a STAC API search)"
            )
        if self.stac_search is not None and not self.assets:
            raise ValueError("'stac_search' needs 'assets': cube variable -> STAC asset key")
        stac = self.stac is not None or self.stac_search is not None
        if self.cloud_mask is not None and not stac and self.bands is None and (
                self.scenes is None or any(s.bands is None for s in self.scenes)):
            raise ValueError("'cloud_mask' reads the scene's quality layer: a key of 'bands' "
                             "(one file per band) or a STAC asset")
        if self.cloud_mask is not None and stac and self.composite is None:
            raise ValueError("'cloud_mask' drops pixels of a time series: add 'composite:' "
                             "(e.g. {method: median})")
        if self.composite is not None and self.stac is None and self.stac_search is None:
            raise ValueError("'composite' reduces the items of 'stac' or 'stac_search'")
        if self.bands is not None and not self.bands:
            raise ValueError("'bands' is empty; map at least one band name to a file")
        if self.scenes is not None and not self.scenes:
            raise ValueError("'scenes' is empty; list at least one scene")
        if self.stac is not None and not self.assets:
            raise ValueError("'stac' needs 'assets': cube variable -> STAC asset key")
        if self.values == "categorical" and (self.scale != 1.0 or self.offset != 0.0
                                             or self.mtl is not None):
            raise ValueError(
                "a categorical source holds class codes: remove 'scale', 'offset' and "
                "'metadata' (codes are kept exactly)"
            )
        return self

    @model_validator(mode="after")
    def _mask_fits_the_product(self) -> RasterSource:
        """A ``cloud_mask.kind`` the product has no such layer of is refused.

        Each kind decodes its own layer: SCL classes (Sentinel-2 L2A), QA_PIXEL bits
        (Landsat Collection 2) or CFmask classes (ESPA pre-collection Landsat). Read as
        another's, the classes mean other things: ``kind: scl`` on ESPA's CFmask took every
        clear pixel (0) for SCL's "no data" and kept clouds (4, SCL's vegetation), and the
        composite or scene was built from the wrong pixels without a word.
        """
        if self.cloud_mask is None:
            return self
        kind = self.cloud_mask.kind
        for evidence, kinds in _mask_evidence(self):
            if kind not in kinds:
                raise ValueError(
                    f"cloud_mask.kind {kind!r} does not fit {evidence}, whose quality layer "
                    f"is {' or '.join(repr(k) for k in sorted(kinds))}; set "
                    f"'cloud_mask: {{kind: {sorted(kinds)[0]}, ...}}' (the classes of one "
                    "layer mean other things in another)")
        return self

    @model_validator(mode="after")
    def _no_asset_named_as_the_count(self) -> RasterSource:
        """A composite's asset variable named as its own count layer, ``<source>_count``
        (the valid observations per cell, written beside the bands; where cells lack one
        even with ``count_variable: false``), is refused here, naming the source.

        ``assets: {s2_count: red}`` in source ``s2`` was refused at ingest as "two sources
        make the same variable(s) ['s2_count']; rename a source or its bands", of a job of
        one source, without saying which variable was the count."""
        if self.composite is None or not self.assets:
            return self
        count = f"{self.name}_count"
        for variable, asset in self.assets.items():
            if variable.casefold() == count.casefold():
                raise ValueError(
                    f"assets: the variable {variable!r} (asset {asset!r}) is named as the "
                    f"composite's count layer {count!r} (valid observations per cell, "
                    "'<source>_count'), which this source writes beside its bands; give "
                    "the asset's variable another name (e.g. "
                    f"{asset if asset.casefold() != count.casefold() else 'red'!r})")
        return self

    @model_validator(mode="after")
    def _no_aster_swir_after_2008(self) -> RasterSource:
        """ASTER SWIR bands of a scene acquired after the detector failed are refused
        (:func:`_aster_swir_refused`): their values are present, and garbage; so is one
        ``scale:`` for ASTER Level-1 files of several bands (:func:`_aster_one_coefficient`)."""
        why = _aster_swir_refused(self) or _aster_one_coefficient(self)
        if why is not None:
            raise ValueError(why)
        return self

    def scene_list(self) -> list[RasterScene]:
        """The source as scenes (one scene unless ``scenes`` lists several)."""
        if self.scenes is not None:
            return list(self.scenes)
        return [RasterScene(bands=self.bands, path=self.path, band_names=self.band_names,
                            variable=self.variable, mtl=self.mtl, crs=self.crs)]

    def band_files(self) -> dict[str, tuple[Path, int]]:
        """Cube variable name -> (file, 1-based band index) of the first scene."""
        scene = self.scene_list()[0]
        if scene.bands is not None:
            return {name: (p, 1) for name, p in scene.bands.items()}
        assert scene.path is not None
        names = scene.band_names or [self.name]
        return {name: (scene.path, i + 1) for i, name in enumerate(names)}


class VectorSource(StrictModel):
    """Polygons (geology units) rasterised to codes, and/or lines or contacts to distances."""

    kind: Literal["vector"] = "vector"
    name: Name
    path: VectorPath
    layer: str | None = None
    attribute: str | None = Field(
        default=None, description="column with the unit name/code; rasterised as categories"
    )
    crs: KnownCrs | None = None
    distance_to_contacts: bool = False
    priority: str | None = Field(
        default=None, min_length=1,
        description="column of numbers giving the order the unit polygons are drawn in "
                    "where they overlap by design: the higher on top (its unit takes the "
                    "cells), ties in file order; without it, in file order (as GDAL and "
                    "QGIS draw)")
    faults_layer: str | None = None
    faults_extent: FaultsExtent | None = Field(
        default=None,
        description="where the faults were mapped: [left, bottom, right, top] in the "
                    "region's CRS, or a file of polygons; cells outside are no data in "
                    "<name>_dist_fault")
    faults_extent_layer: str | None = Field(
        default=None,
        description="the layer of the faults_extent file holding the mapped area, where "
                    "the file has several (a sheet outline kept in the map's own "
                    "GeoPackage)")
    remote: RemoteReads = Field(
        default_factory=RemoteReads,
        description="timeout and retries of a map read over a network (a URL, /vsicurl/)")

    @model_validator(mode="after")
    def _makes_a_layer(self) -> VectorSource:
        if self.attribute is None and not self.distance_to_contacts and \
                self.faults_layer is None:
            raise ValueError(
                "a vector source makes no layer without 'attribute' (unit codes), "
                "'distance_to_contacts: true' or 'faults_layer'; give at least one")
        return self

    @model_validator(mode="after")
    def _priority_of_units(self) -> VectorSource:
        if self.priority is not None and self.attribute is None and \
                not self.distance_to_contacts:
            raise ValueError(
                f"'priority' {self.priority!r} orders the unit polygons where they overlap, "
                "but no unit layer is made ('faults_layer' alone); give 'attribute' or "
                "'distance_to_contacts: true', or leave 'priority' out")
        return self

    @field_validator("faults_extent", mode="before")
    @classmethod
    def _extent_of_four(cls, value: object) -> object:
        if isinstance(value, list | tuple) and (len(value) != 4 or any(
                isinstance(v, bool) or not isinstance(v, int | float) for v in value)):
            raise ValueError(
                f"'faults_extent' {list(value)} is not four numbers; give the bounds of the "
                "area the faults were mapped in as [left, bottom, right, top] in the "
                "region's CRS, or a file of its polygons")
        return value

    @model_validator(mode="after")
    def _extent_of_faults(self) -> VectorSource:
        if self.faults_extent is not None and self.faults_layer is None:
            raise ValueError(
                "'faults_extent' says where the faults of 'faults_layer' were mapped, but no "
                "'faults_layer' is given; name the faults layer, or leave 'faults_extent' out")
        if self.faults_extent_layer is not None and (
                self.faults_extent is None or isinstance(self.faults_extent, tuple)):
            raise ValueError(
                f"'faults_extent_layer' {self.faults_extent_layer!r} names a layer of the "
                "'faults_extent' file, but 'faults_extent' "
                + ("is not given" if self.faults_extent is None else "gives bounds")
                + "; name the file holding that layer in 'faults_extent' (it may be the "
                "map's own), or leave 'faults_extent_layer' out")
        if isinstance(self.faults_extent, tuple):
            left, bottom, right, top = self.faults_extent
            if not (left < right and bottom < top):
                raise ValueError(
                    f"'faults_extent' {list(self.faults_extent)} is not [left, bottom, right, "
                    "top] with left < right and bottom < top (in the region's CRS); give "
                    "the bounds in that order, or a file of the mapped area's polygons")
        return self


FlagCode = Annotated[float | str, Field(union_mode="left_to_right")]


class FlagCodes(StrictModel):
    """A qualifier column with the codes that mean below or above the limit of
    determination: ``{column: Li_rmk, below: [1, -1]}``. Codes are never guessed from
    numbers (1 is "below" in one database and "estimated" in another): a column of
    numeric codes is read only with them; a number not listed is no flag."""

    column: ColumnName
    below: list[FlagCode] = Field(default_factory=list,
                                  description="codes of a value below the detection limit")
    above: list[FlagCode] = Field(default_factory=list,
                                  description="codes of a value above the upper limit")

    @field_validator("below", "above", mode="before")
    @classmethod
    def _codes_as_list(cls, value: object) -> object:
        if isinstance(value, bool) or (isinstance(value, list)
                                       and any(isinstance(v, bool) for v in value)):
            raise ValueError("YAML reads yes/no/on/off/true/false as a boolean; quote a code "
                             "('Y') or give a number")
        if isinstance(value, int | float | str):
            return [value]
        return value

    @model_validator(mode="after")
    def _codes_given_once(self) -> FlagCodes:
        if not self.below and not self.above:
            raise ValueError("give the codes: 'below' (and/or 'above'), e.g. {column: "
                             f"{self.column}, below: [1]}}; or name the column alone for "
                             "text codes ('<', 'ND')")
        both = sorted({str(c) for c in self.below} & {str(c) for c in self.above})
        if both:
            raise ValueError(f"code(s) {both} are in both 'below' and 'above'; give each once")
        return self


def _flag_kind(value: object) -> str:
    return "codes" if isinstance(value, dict | FlagCodes) else "name"


FlagEntry = Annotated[
    Annotated[ColumnName, Tag("name")] | Annotated[FlagCodes, Tag("codes")],
    Discriminator(_flag_kind)]
"""A ``flags`` value: the qualifier column's name, or it with its codes."""


FITTED_VARIOGRAM_KEYS = frozenset({"sill", "psill", "partial_sill", "range", "nugget",
                                   "nlags", "slope", "exponent", "lags"})
"""Keys of a points source that name a parameter of the kriging variogram, which pykrige
fits to the points (with those starting ``variogram_`` or ``anisotropy``): a
geostatistician's ``variogram_parameters: {sill: 10, range: 5000, nugget: 1}`` was
"unknown key (did you mean 'variogram'?)", a model's name, and ``anisotropy_angle: 30``
or ``nugget: 1`` "remove it" with the keys allowed, neither saying that the parameters
are fitted and where they are stated (round 50)."""


class PointSource(StrictModel):
    """A point table (wells, samples): CSV with lon/lat or x/y columns, or a vector file."""

    @model_validator(mode="before")
    @classmethod
    def _variogram_is_fitted(cls, data: Any) -> Any:
        """Refuse variogram parameters given as keys (:data:`FITTED_VARIOGRAM_KEYS`),
        saying that pykrige fits them and the screen report states them."""
        if not isinstance(data, dict):
            return data
        given = [key for key in data if isinstance(key, str) and (
            key.lower() in FITTED_VARIOGRAM_KEYS
            or key.lower().startswith(("variogram_", "anisotropy")))]
        if given:  # at the first key's line (round 51), not the source's
            raise KeyRefused(given[0], (
                f"{', '.join(map(repr, given))}: the kriging variogram's parameters (sill, "
                "range, nugget, anisotropy) are not given in a job: pykrige fits them to the "
                "points, isotropically, and the screen stage's report states the fitted "
                "values and plots the variogram; choose the model with 'variogram:' "
                "(linear, power, gaussian, spherical or exponential) and remove "
                f"{'these keys' if len(given) > 1 else 'the key'}"))
        return data

    kind: Literal["points"] = "points"
    name: Name
    path: ConfigPath
    layer: str | None = None
    x: str = "lon"
    y: str = "lat"
    crs: KnownCrs = "EPSG:4326"
    columns: list[ColumnName] = Field(default_factory=list)
    distance: bool = False
    interpolate: list[Literal["idw", "kriging"]] = Field(
        default_factory=list,
        description="surfaces to make from each column (off by default: labels must not leak)",
    )
    units: dict[str, PlainText] = Field(default_factory=dict, description="column -> units")
    idw_power: float = Field(default=2.0, gt=0)
    neighbours: int = Field(default=16, ge=1, description="points per cell for IDW/kriging")
    variogram: Literal["linear", "power", "gaussian", "spherical", "exponential"] = "spherical"
    decimal: Literal[".", ","] | None = Field(
        default=None,
        description="decimal separator of a text table's numbers: '.', or ',' with '.' "
        "separating thousands (a European export); taken from the numbers when not given",
    )
    nodata: list[float] | None = Field(
        default=None,
        description="value(s) that mark a missing measurement in the value columns "
        "(-9999, or 0 in IHFC heat-flow tables): read as missing, counted in a warning; "
        "one number or a list",
    )
    max_radius: float | None = Field(
        default=None, gt=0,
        description="metres: leave out the records whose location radius (radius_m, "
        "accuracy_m, coordinateUncertaintyInMeters, or 'radius_column') exceeds it",
    )
    radius_column: ColumnName | None = Field(
        default=None, description="the column of location radii, where its name is not "
        "found by itself")
    limits: dict[ColumnName, ColumnName] = Field(
        default_factory=dict, exclude_if=lambda v: not v,  # (the configs' hashes kept)
        description="value column -> its detection-limit column, where that column's name "
        "is no element's (lod_ppm, DL beside li_ppm; Li_DL is found by name): each row's "
        "limit read with its grade",
    )

    @field_validator("neighbours")
    @classmethod
    def _kriging_needs_two(cls, value: int, info: ValidationInfo) -> int:
        # pykrige's moving window needs two: 'neighbours: 1' was an internal error in ingest
        if value < 2 and "kriging" in (info.data.get("interpolate") or ()):
            raise ValueError("ordinary kriging needs at least 2 neighbours per cell; give "
                             "2 or more, or interpolate: [idw]")
        return value

    @field_validator("nodata", mode="before")
    @classmethod
    def _nodata_as_list(cls, value: object) -> object:
        """One number is a list of one; text is refused at the key (not at ``nodata.0``)."""
        if isinstance(value, str):
            raise ValueError("give a number or a list of numbers (e.g. -9999 or [-9999, 0])")
        if isinstance(value, bool) or (isinstance(value, list)
                                       and any(isinstance(v, bool) for v in value)):
            raise ValueError("YAML reads yes/no/on/off as true/false, not a number; give a "
                             "number or a list of numbers (e.g. -9999 or [-9999, 0])")
        if isinstance(value, int | float):
            return [value]
        return value

    @field_validator("nodata")
    @classmethod
    def _nodata_listed_once(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            if not value:
                raise ValueError("an empty list marks nothing; give the value(s) that mark a "
                                 "missing measurement (e.g. -9999 or [-9999, 0]), or leave "
                                 "'nodata' out")
            twice = sorted({v for v in value if value.count(v) > 1})
            if twice:
                raise ValueError(f"lists {twice} more than once; give each value once")
        return value

    flags: dict[ColumnName, FlagEntry] = Field(
        default_factory=dict,
        description="value column -> its qualifier column ('<' or 'ND' where the value is "
        "below the detection limit: read as missing, counted in a warning), or {column, "
        "below, above} giving the codes (numbers too: 1 or -1 for 'below'); found by name "
        "when not given (Li_ppm_Q, Li_qual, GTK's Zr_511P_T beside Zr_ppm_511)",
    )

    @model_validator(mode="after")
    def _flags_of_listed_columns(self) -> PointSource:
        # a key that names no column did nothing: refused by the job
        # (:meth:`stray_flags`), where the labels' grade column is known, which may be
        # flagged without 'columns' (round 62b: only in a source that made no layer)
        same = [key for key, flag in self.flags.items()
                if key == (flag.column if isinstance(flag, FlagCodes) else flag)]
        if same:
            raise ValueError(f"'flags' gives column(s) {same} as their own qualifier column; "
                             "name the column beside each that holds '<' or 'ND'")
        same = [key for key, limit in self.limits.items() if key == limit]
        if same:
            raise ValueError(f"'limits' gives column(s) {same} as their own detection-limit "
                             "column; name the column beside each that holds its limits")
        return self

    def stray_flags(self, grade: str | None) -> str:
        """Why ``flags`` (or ``limits``) names a column the source reads for nothing, or
        ``""``: a key neither in ``columns`` nor ``grade``, the labels' grade column where
        this is the labels' source (``model.labels.value_column``), which is read with its
        flags and limits whether or not the source makes layers. A source that makes no
        layer (no ``interpolate`` or ``distance``) may name any: the labels' reader names a
        key the table lacks."""
        if not (self.interpolate or self.distance):
            return ""
        found = [(key, stray) for key, given in (("flags", self.flags), ("limits", self.limits))
                 if (stray := [name for name in given
                               if name not in self.columns and name != grade])]
        if not found:
            return ""
        key, stray = found[0]
        return (f"source {self.name!r}: {key!r} names value column(s) {stray} that "
                f"'columns' does not list ({self.columns or 'none'}); use the column "
                "headers exactly as in 'columns' (or, in the labels' source, as in "
                "'model.labels.value_column')")

    def flag_columns(self) -> dict[str, str]:
        """Value column -> the name of its qualifier column, as ``flags`` gives them."""
        return {key: flag.column if isinstance(flag, FlagCodes) else flag
                for key, flag in self.flags.items()}

    def nodata_values(self) -> tuple[float, ...]:
        """The declared ``nodata`` as a tuple (empty when none)."""
        return tuple(self.nodata or ())

    @model_validator(mode="after")
    def _units_of_listed_columns(self) -> PointSource:
        # a key that names no column did nothing: the surface went out without units
        stray = [key for key in self.units if key not in self.columns]
        if stray:
            meant = [f"{key!r} -> {close[0]!r}" for key in stray
                     if (close := _nearest(key, self.columns))]
            raise ValueError(
                f"'units' names column(s) {stray} that 'columns' does not list "
                f"({self.columns or 'none'})"
                + (f"; did you mean {', '.join(meant)}?" if meant else "")
                + "; use the column headers exactly as in 'columns'")
        return self


def _nearest(key: str, columns: list[str]) -> list[str]:
    """The listed column nearest a misspelt ``key`` (case aside), if one is near."""
    lowered = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(key, columns, n=1, cutoff=0.6) or [
        lowered[c] for c in difflib.get_close_matches(key.lower(), list(lowered), n=1,
                                                     cutoff=0.6)]
    return close


SourceConfig = Annotated[RasterSource | VectorSource | PointSource, Field(discriminator="kind")]


# what names a source's layers, not what they hold: two sources alike but for these read
# the same values
_NAMING_KEYS = frozenset({"name", "long_name", "units", "band_names"})


def _reading(source: RasterSource | VectorSource | PointSource) -> str:
    """What ``source`` reads, and how, with its names left out and every file by its
    real path (``./a.tif``, ``sub/../a.tif`` and a link to it are one file); the files
    of ``bands`` as a set (the keys name the layers)."""
    import json
    import os

    def real(value: Any) -> Any:
        if isinstance(value, Path):
            return os.path.realpath(value)
        if isinstance(value, dict):
            return {str(k): real(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [real(v) for v in value]
        return value

    data = {key: real(value) for key, value in source.model_dump().items()
            if key not in _NAMING_KEYS}
    if isinstance(data.get("bands"), dict):
        data["bands"] = sorted(data["bands"].values())
    return json.dumps(data, sort_keys=True, default=str)


def _layers(source: RasterSource | VectorSource | PointSource
            ) -> list[tuple[str, str, str]]:
    """``(layer, file and band, reading)`` of each layer a one-scene raster source makes
    from ``path`` or ``bands`` (``[]`` for any other source), the reading with the names
    and the layout left out: band 1 of ``rgb.tif`` is one reading whether ``path:
    rgb.tif`` with ``band_names`` or ``bands: {red: rgb.tif}`` names it. Under a product's
    metadata the layer's name picks the band's coefficients, and stays in the reading."""
    import json
    import os

    if not isinstance(source, RasterSource) or (source.path is None and not source.bands):
        return []
    mask = source.cloud_mask.asset if source.cloud_mask is not None else None
    settings = {key: value for key, value in source.model_dump().items()
                if key not in _NAMING_KEYS | {"bands", "path", "band_names"}}
    found = []
    for layer, (path, band) in source.band_files().items():
        if layer == mask:
            continue
        real = os.path.realpath(path)
        key = {**settings, "file": real, "band": band,
               "layer": layer if source.mtl is not None else None}
        found.append((layer, f"band {band} of {real}",
                      json.dumps(key, sort_keys=True, default=str)))
    return found


def read_twice(sources: list[Any]) -> str:
    """Why two of ``sources``, or two layers of them, are one reading under two names
    (``""`` when none are).

    The same file read the same way under two names (``dem`` and ``elevation``, a path
    written ``./dem.tif`` beside ``dem.tif``, a link) made the cube hold one layer twice
    without a word, and a model count its evidence twice: weights of evidence adds the
    weights of both (the posterior as if two independent layers agreed), and a forest
    splits its importance between them. So did one band named twice in other layouts:
    ``path: a.tif`` beside ``bands: {b: a.tif}``, band 1 of a multi-band ``path:``
    beside ``bands:`` naming that file, and one file under two keys of ``bands``.
    """
    seen: dict[str, str] = {}
    layers: dict[str, tuple[str, str]] = {}
    for source in sources:
        key = _reading(source)
        if key in seen:
            files = sorted({str(f) for f in _files_of(source)})
            return (f"sources {seen[key]!r} and {source.name!r} read the same "
                    f"{'file' if len(files) == 1 else 'files'} {', '.join(files)} the same "
                    "way: the cube would hold one layer twice under two names, and a model "
                    "count its evidence twice (weights of evidence adds the weights of "
                    "both); list it once, or read it another way (other bands, columns, "
                    "resampling or values)")
        seen[key] = source.name
        for layer, shown, reading in _layers(source):
            if reading in layers:
                first_source, first_layer = layers[reading]
                where = (f"source {source.name!r} reads {shown} twice, as {first_layer!r} "
                         f"and {layer!r}" if first_source == source.name else
                         f"sources {first_source!r} and {source.name!r} read {shown} the "
                         f"same way, as {first_layer!r} and {layer!r}")
                return (f"{where}: the cube would hold one layer twice under two names, and "
                        "a model count its evidence twice (weights of evidence adds the "
                        "weights of both); name the band once, or read it another way "
                        "(other resampling, values, scale or nodata)")
            layers[reading] = (source.name, layer)
    return ""


def _files_of(source: RasterSource | VectorSource | PointSource) -> list[Path | str]:
    """The files (or catalog) a source names, for a message."""
    if isinstance(source, RasterSource):
        if source.stac is not None:
            return [source.stac]
        if source.stac_search is not None:
            return ["its STAC search"]
        return [path for scene in source.scene_list()
                for path in ([scene.path] if scene.path is not None
                             else list((scene.bands or {}).values()))]
    return [source.path]
