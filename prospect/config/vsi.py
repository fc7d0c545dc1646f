"""GDAL virtual file names in configs: ``/vsizip/``, ``/vsitar/``, ``/vsigzip/`` archives on
this machine, ``/vsicurl/`` URLs, and the ``zip://a.zip!a.tif`` form.

A config's ``path:`` is a :class:`~pathlib.Path`, which folds ``//`` into ``/``: the
absolute archive of ``/vsizip//data/a.zip/a.tif`` became a path relative to the working
folder, and a relative ``/vsizip/a.zip/a.tif`` was not looked for beside the config.
:func:`gdal_name` writes such a name as GDAL reads it (the archive resolved against the
config's folder, checked to exist, the member checked to be in it) and :class:`GdalPath`
keeps it through ``str()``, ``os.fspath()`` and pickling.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from pathlib import Path, PosixPath
from typing import Any

__all__ = [
    "GdalPath",
    "archive_file",
    "dataset_name_parts",
    "gdal_name",
    "is_gdal_name",
    "is_url",
    "readme_named",
    "variable_name_parts",
]

_LOCAL = ("vsizip", "vsitar", "vsigzip", "vsi7z", "vsirar")
"""Virtual file systems that read an archive (a local file, or one behind another)."""
_SUFFIX = re.compile(r"\.(zip|kmz|tar|tgz|tar\.gz|gz|7z|rar)$", re.IGNORECASE)
_SCHEMES = {"zip": "vsizip", "tar": "vsitar", "gzip": "vsigzip"}
_REMOTE = {"http": "vsicurl", "https": "vsicurl", "ftp": "vsicurl", "s3": "vsis3",
           "gs": "vsigs", "az": "vsiaz", "abfs": "vsiadls", "abfss": "vsiadls",
           "adl": "vsiadls"}  # adl:// (Gen1, retired) is refused by the remote's mapping
"""URL schemes GDAL reads through a virtual file system (fsspec's and rasterio's forms:
``az://`` Azure Blob Storage, ``abfs://``/``abfss://`` Azure Data Lake Storage Gen2)."""
_TAR_LISTED = 256 * 2**20
"""Largest compressed tar whose members are listed at load (a ``.tar.gz`` is read whole)."""


class GdalPath(PosixPath):
    """A GDAL virtual file name held as a :class:`~pathlib.Path`: ``str()``,
    ``os.fspath()`` and pickling give the name exactly as GDAL reads it."""

    _gdal: str

    def __new__(cls, name: str) -> GdalPath:
        self = super().__new__(cls, name)
        self._gdal = name
        return self

    def __str__(self) -> str:
        return getattr(self, "_gdal", None) or super().__str__()

    def __fspath__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def as_posix(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (type(self), (str(self),))


def is_gdal_name(text: str) -> bool:
    """Whether ``text`` is a GDAL virtual name or an archive URL (``/vsi...``, ``zip://``)."""
    return text.startswith("/vsi") or (text.split("://", 1)[0].lower() in _SCHEMES and \
        "://" in text)


def is_url(text: str) -> bool:
    """Whether ``text`` is a URL that GDAL reads through a virtual file system
    (``https://``, ``ftp://``, ``s3://``, ``gs://``, ``az://``, ``abfs://``: :func:`gdal_name`
    writes it as ``/vsicurl/...``, ``/vsis3/...``, ``/vsiaz/...``, ``/vsiadls/...``)."""
    return "://" in text and text.split("://", 1)[0].lower() in _REMOTE


def _split(kind: str, rest: str) -> tuple[str, str] | None:
    """(archive, member) of the part after ``/vsizip/``; ``None`` if no part names one."""
    if rest.startswith("{"):
        end = rest.find("}")
        if end > 0:
            return rest[1:end], rest[end + 1:].lstrip("/")
    if kind == "vsigzip":
        return rest, ""
    parts = rest.split("/")
    for i in range(len(parts)):
        if _SUFFIX.search(parts[i]):
            return "/".join(parts[:i + 1]), "/".join(parts[i + 1:])
    return None


def _members(archive: Path, kind: str) -> list[str] | None:
    """The files in a local archive (``None`` where they are not listed: 7z, rar, large
    compressed tars, gzip)."""
    try:
        if kind == "vsizip":
            with zipfile.ZipFile(archive) as zf:
                return [n for n in zf.namelist() if not n.endswith("/")]
        if kind == "vsitar" and (archive.suffix.lower() == ".tar"
                                 or archive.stat().st_size <= _TAR_LISTED):
            with tarfile.open(archive) as tf:
                return [m.name for m in tf.getmembers() if m.isfile()]
    except (zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ValueError(f"{archive} is no {kind[3:]} archive ({exc}); check the file, or "
                         "give the file itself once extracted") from None
    except OSError as exc:
        raise ValueError(f"cannot read the archive {archive}: {exc.strerror or exc}") from None
    return None


def _shown(members: list[str]) -> str:
    return ", ".join(members[:8]) + (f", ... ({len(members)} files)" if len(members) > 8
                                     else "") if members else "no file"


_NOTES = (".txt", ".md", ".rst", ".pdf", ".html", ".htm", ".rtf", ".doc", ".docx", ".odt",
          ".xml", ".qmd", ".qml", ".sld", ".lyr", ".lyrx", ".license", ".log")
"""Endings of the files shipped beside a dataset that are no data: a README, a licence,
the metadata (ISO XML, a QGIS ``.qmd``), a style (``.qml``, ``.sld``, ArcGIS ``.lyrx``)."""


_TABLES = (".csv", ".tsv", ".txt", ".dat", ".xyz", ".prn", ".gslib", ".gsl")
"""Endings of a text table of points (:data:`prospect.io.points.TEXT_SUFFIXES`)."""
_README = re.compile(r"^(read[ _.-]?me|licen[cs]e|copying|notice|notes?|about|metadata|"
                     r"changes|changelog|citation|disclaimer|terms)([ _.-].*)?$", re.IGNORECASE)
"""Names (without their ending) of a note shipped as ``.txt`` beside a table: a README, a
licence, the metadata."""


def readme_named(member: str) -> bool:
    """Whether the file ``member`` of an archive is a note by its name: a ``README.txt``,
    ``LICENSE.txt``, ``metadata.txt`` (a ``.txt`` may be a table of points too).

    Parameters
    ----------
    member : str
        A file of an archive (its path inside).

    Returns
    -------
    bool
        True for a ``.txt`` (or ``.md``, ...: :data:`_NOTES`) named as a note.
    """
    name = member.rsplit("/", 1)[-1]
    return Path(name).suffix.lower() in _NOTES and bool(_README.match(Path(name).stem))


def _one_table(members: list[str]) -> str:
    """The one text table of points of an archive (:data:`_TABLES`) beside nothing but its
    own sidecars (``wells.prj``, ``wells.csvt``) and notes (a README, a licence); ``""``
    otherwise. ``zip://wells.zip`` of a CSV zipped with its README was told to "name the
    file inside"."""
    tables = [m for m in members if Path(m).suffix.lower() in _TABLES and not readme_named(m)
              and not m.startswith("__MACOSX/") and not m.rsplit("/", 1)[-1].startswith("._")]
    if len(tables) != 1:
        return ""
    table = tables[0]
    stem = table.rsplit(".", 1)[0]
    for member in members:
        name = member.rsplit("/", 1)[-1]
        if member == table or (member.rsplit(".", 1)[0] == stem and Path(
                name).suffix.lower() in (".prj", ".csvt", ".cpg", ".vrt")) or \
                member.startswith("__MACOSX/") or name.startswith("._") or \
                Path(name).suffix.lower() in _NOTES:
            continue
        return ""  # another file that may be the data meant (a raster, a map)
    return table


def _datasets(members: list[str]) -> list[str]:
    """The vector datasets of an archive's files (:func:`prospect.io.vector.zip_datasets`;
    macOS ``__MACOSX/`` and ``._`` forks left aside)."""
    from prospect.io.vector import zip_datasets

    return zip_datasets(tuple(m for m in members if not m.startswith("__MACOSX/")
                              and not m.rsplit("/", 1)[-1].startswith("._")))  # (a Mac's)


def _one_dataset(members: list[str]) -> str:
    """The one vector dataset of an archive named alone: a Shapefile (its ``.dbf``,
    ``.shx``, ``.prj``... beside it, and perhaps a README), or a GeoPackage, GeoJSON,
    FlatGeobuf... beside nothing but its own sidecars and notes (:data:`_NOTES`: a
    README, a licence, a QGIS ``.qmd``); ``""`` for any other archive (a raster's stays
    "name the file inside").

    A zipped map named alone (``zip://geology.zip``, as geopandas' docs write it, or
    ``/vsizip/geology.zip``) was told to "name the file inside", though the archive's
    plain path (``geology.zip``) is read at that dataset: a Shapefile until round 60, a
    GeoPackage or GeoJSON beside a README until round 61; a CSV table of points beside its
    README is read at the table (:func:`_one_table`), as round 62 made it."""
    found = _datasets(members)
    if not found:
        return _one_table(members)
    if len(found) != 1:
        return ""
    dataset = found[0]
    if dataset.lower().endswith(".shp"):
        return dataset
    for member in members:
        name = member.rsplit("/", 1)[-1]
        if member.startswith(dataset) or member.startswith("__MACOSX/") or \
                name.startswith("._") or "." not in name or \
                Path(name).suffix.lower() in _NOTES:  # (its own: geo.gdb/, geo.gpkg-wal)
            continue
        return ""  # another file that may be the data meant (a raster, a table)
    return dataset


def _refused_alone(archive: Path, kind: str, archive_text: str, members: list[str]) -> str:
    """The refusal of an archive named alone that holds no one dataset: its vector
    datasets named where it holds several (``east.shp, west.shp``: its first 8 files could
    leave the second ``.shp`` out), its files otherwise (as a raster's archive is told)."""
    found = _datasets(members)
    if len(found) > 1:
        named = ", ".join(found[:8]) + (f", ... ({len(found)} in all)" if len(found) > 8
                                        else "")
        return (f"the archive {archive} holds {len(found)} vector datasets ({named}) among "
                f"its {len(members)} files; name the file "
                f"inside: /{kind}/{archive_text}/<file>, e.g. /{kind}/{archive_text}/{found[0]}")
    return (f"the archive {archive} holds {_shown(members)}; name the file inside: "
            f"/{kind}/{archive_text}/<file>")


_DATASET_FOLDERS = (".gdb",)
"""Endings of a folder that GDAL opens as one dataset (a FileGDB), inside an archive too."""


def _folder_in(members: list[str], member: str) -> str | None:
    """The dataset folder (:data:`_DATASET_FOLDERS`) inside an archive that ``member``
    names (``geo.gdb`` or ``geo.gdb/``, of files ``geo.gdb/a00000001.gdbtable``, ...),
    without its last slash; where no member is named, the one such folder that holds
    every file of the archive (a zipped FileGDB, ``geo.gdb.zip``, as surveys ship them);
    ``None`` otherwise (another folder is refused as no file of the archive, with its
    files listed).

    A FileGDB is a folder, read through ``/vsizip/geo.gdb.zip/geo.gdb``: the archive
    lists only its files, so that path was refused as "the archive holds no file
    'geo.gdb'", and the archive named alone was told to name one of its files.
    """
    folder = member.strip("/")
    if not folder:  # the archive named alone: the one folder holding all its files
        tops = {m.split("/", 1)[0] for m in members}
        folder = next(iter(tops)) if len(tops) == 1 else ""
        if not all(m.startswith(folder + "/") for m in members):
            return None
    if not folder.lower().endswith(_DATASET_FOLDERS) or folder in members:
        return None
    return folder if any(m.startswith(folder + "/") for m in members) else None


def gdal_name(written: str, base: Path | None) -> str:
    """``written`` (a GDAL virtual name, ``zip://a.zip!m``, or a URL) as GDAL reads it.

    An archive on this machine is resolved against ``base`` (the config's folder) when
    relative and written absolute (``/vsizip//abs/a.zip/m``); it must exist, and its
    member must be one of its files (listed in the error; an archive of one file may be
    named alone). A URL becomes ``/vsicurl/`` (``/vsis3/``, ``/vsigs/``, ``/vsiaz/``;
    fsspec's ``abfs://``/``abfss://`` ``/vsiadls/``); remote names are kept as written.

    Raises
    ------
    ValueError
        The archive is missing or unreadable, names no archive, or lacks the member; an
        Azure URL names an account the environment does not name
        (``abfss://<container>@<account>.dfs...``;
        :func:`prospect.io.remote.azure_account_refusal`).
    """
    scheme = written.split("://", 1)[0].lower() if "://" in written else ""
    if scheme in _REMOTE and not written.startswith("/vsi"):
        if scheme in ("http", "https", "ftp"):
            return f"/{_REMOTE[scheme]}/{written}"
        from prospect.io.remote import azure_account_refusal, store_name

        # one mapping with a STAC item's hrefs: an Azure URL that names its account is
        # read where the environment names that account, else refused with the form
        if (refused := azure_account_refusal(written)) is not None:
            raise ValueError(refused)
        return store_name(written) or f"/{_REMOTE[scheme]}/{written.split('://', 1)[1]}"
    if scheme in _SCHEMES:
        kind = _SCHEMES[scheme]
        inside, _, named = written.split("://", 1)[1].partition("!")
        rest = "{" + inside + "}/" + named.lstrip("/")
    else:
        head, _, rest = written[1:].partition("/")
        kind = head.lower()
        if kind not in _LOCAL or rest.startswith(("/vsi", "{/vsi")) or "://" in rest:
            return written  # remote, in memory, or an archive behind a URL: as written
    found = _split(kind, rest)
    if found is None or not found[0]:
        raise ValueError(
            f"{written!r} names no archive GDAL can find (a file ending .zip, .tar, .tar.gz, "
            f".tgz, .gz, .7z or .rar); write /{kind}/<archive>/<file inside>, or "
            f"/{kind}/{{<archive>}}/<file inside> for an archive of another name")
    archive_text, member = found
    from prospect.config._base import home_expanded

    archive = home_expanded(archive_text)
    if not archive.is_absolute() and base is not None:
        archive = Path(base) / archive
    if not archive.is_file():
        why = "is a folder, not an archive" if archive.is_dir() else "does not exist"
        hint = ""
        if not archive_text.startswith(("/", "~")) and Path("/" + archive_text).is_file():
            hint = (f"; /{archive_text} exists: an absolute archive path takes two slashes "
                    f"after /{kind}/ (/{kind}//{archive_text}/...)")
        if not hint:
            from prospect.config._base import written_for_elsewhere

            elsewhere = written_for_elsewhere(archive_text)
            hint = f" ({elsewhere})" if elsewhere else ""
        if not hint and not home_expanded(archive_text).is_absolute():
            hint = " (a relative archive path is taken from the config file's folder)"
        raise ValueError(f"the archive {archive} {why}{hint}")
    members = _members(archive, kind)
    if members is not None:
        folder = _folder_in(members, member)
        if folder is not None:  # a folder inside (a FileGDB's): GDAL opens it as a dataset
            member = folder
        elif not member:
            member = members[0] if len(members) == 1 else _one_dataset(members)
            if not member:
                raise ValueError(_refused_alone(archive, kind, archive_text, members))
        elif member not in members:
            raise ValueError(
                f"the archive {archive} holds no file {member!r}; its files: "
                f"{_shown(members)}")
    if kind == "vsizip":  # a password-protected zip, or one of bzip2: GDAL reads neither
        from prospect.io.files import zip_unreadable

        unreadable = zip_unreadable(archive, [member] if member else None)
        if unreadable is not None:
            raise ValueError(unreadable)
    absolute = str(archive.resolve() if not archive.is_absolute() else archive)
    return f"/{kind}/{absolute}" + (f"/{member}" if member else "")


def archive_file(name: str) -> str | None:
    """The local archive a GDAL name reads (``/vsizip//abs/a.zip/m`` -> ``/abs/a.zip``),
    for its checksum; ``None`` for any other name."""
    if not name.startswith("/vsi"):
        return None
    head, _, rest = name[1:].partition("/")
    if head.lower() not in _LOCAL or rest.startswith(("/vsi", "{/vsi")) or "://" in rest:
        return None
    found = _split(head.lower(), rest)
    if found is None or not found[0].startswith("/"):
        return None
    return found[0]



_DATASET_NAME = re.compile(
    r"^\s*(NETCDF|HDF5|HDF4_SDS|HDF4_EOS|HDF4_GR|ZARR|GTIFF_DIR|NITF_IM|GPKG|PDF):(.+?)\s*$",
    re.IGNORECASE)
"""GDAL's name of a dataset inside a file, as ``gdalinfo`` lists a file's subdatasets:
``NETCDF:"heat.nc":heat``, ``HDF5:"heat.h5"://heat``,
``HDF4_EOS:EOS_GRID:"MOD13.hdf":grid:NDVI``, ``GTIFF_DIR:2:heat.tif``."""
_FILE_FIELD = {"NETCDF": 0, "HDF5": 0, "ZARR": 0, "GPKG": 0}
"""Which ``:``-field after the driver holds the file (the others put a kind or a number
first: ``HDF4_EOS:EOS_GRID:file:...``, ``GTIFF_DIR:2:file``)."""


def dataset_name_parts(written: str) -> tuple[str, str, str] | None:
    """The driver, the file and the rest of GDAL's name of a dataset inside a file
    (``NETCDF:"survey.nc":cond`` -> ``("NETCDF", "survey.nc", "cond")``;
    ``HDF4_EOS:EOS_GRID:"MOD13.hdf":grid:NDVI`` -> ``("HDF4_EOS", "MOD13.hdf",
    "grid:NDVI")``), ``None`` for any other text.

    Parameters
    ----------
    written : str
        A raster's path as written in a config.

    Returns
    -------
    tuple of (str, str, str) or None
        The driver (upper case), the file as written (resolved against the config's
        folder later, as every path is) and what names the dataset in it.
    """
    found = _DATASET_NAME.match(written)
    if found is None:
        return None
    driver, rest = found.group(1).upper(), found.group(2)
    fields = re.split(r':(?=(?:[^"]*"[^"]*")*[^"]*$)', rest)  # the colons outside quotes
    where = _FILE_FIELD.get(driver, 1)
    if len(fields) < 2 or len(fields) <= where:
        return None
    file = fields[where].strip('"')
    inner = ":".join(fields[where + 1:])
    if not file.strip() or (len(file) == 1 and not fields[where].startswith('"')):
        return None  # ``NETCDF:C:\\data\\f.nc:v`` unquoted: a drive letter, not a file
    return driver, file, inner


def variable_name_parts(written: str) -> tuple[str, str] | None:
    """The file and the variable of GDAL's name of a NetCDF/HDF5 variable
    (``NETCDF:"survey.nc":cond`` -> ``("survey.nc", "cond")``;
    ``HDF5:"survey.h5"://grp/cond`` -> ``("survey.h5", "grp/cond")``), ``None`` for any
    other text (:func:`dataset_name_parts`).

    Parameters
    ----------
    written : str
        A raster source's ``path`` as written in the config.

    Returns
    -------
    tuple of (str, str) or None
        The file as written and the variable as ``variable:`` names it.
    """
    parts = dataset_name_parts(written)
    if parts is None or parts[0] not in ("NETCDF", "HDF5"):
        return None
    driver, file, inner = parts
    variable = inner.lstrip(":").lstrip("/") if driver == "HDF5" else inner
    return (file, variable) if variable else None
