"""GDAL's HTTP settings for remote reads, and short reasons for failed remote reads."""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Iterable
from typing import Any

from prospect.errors import InputFileError

__all__ = ["DEFAULT_REMOTE", "ENVIRONMENT_SETTINGS", "SOURCE_SETTINGS", "NetworkReadError",
           "forget_cached", "gdal_http_options", "is_network_name",
           "network_epoch", "network_failure_message", "network_version", "network_versions",
           "read_as_planned", "read_failure"]

DEFAULT_REMOTE: dict[str, Any] = {"timeout_s": 30.0, "retries": 3, "retry_delay_s": 0.5}
"""The HTTP settings of a source without ``remote:`` (``RemoteReads``' defaults), for
reads that are given none."""


def gdal_http_options(*, timeout_s: float, retries: int, retry_delay_s: float
                      ) -> dict[str, str | int]:
    """GDAL configuration for reading cloud-optimised files over HTTP.

    No directory listing on open (one request instead of a listing per file), merged
    consecutive range requests, HTTP/2 multiplexing, a 16 MiB block cache (GDAL's
    ``/vsicurl/`` also keeps its own cache of downloaded ranges; a per-file VSI cache on
    top of it held every open file's bytes, so memory grew with the number of scenes),
    and the run's timeout and retries (GDAL retries 429, 502, 503 and 504 with
    back-off). Credentials are not set here: GDAL takes them from the environment
    (``AWS_*``/``AWS_PROFILE`` for S3, ``GDAL_HTTP_HEADERS`` or ``GDAL_HTTP_AUTH`` for HTTP),
    so they never reach a config, a manifest or a log.
    """
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MULTIPLEX": "YES",
        "GDAL_HTTP_TIMEOUT": str(max(1, math.ceil(timeout_s))),
        "GDAL_HTTP_CONNECTTIMEOUT": str(max(1, math.ceil(timeout_s / 3))),
        "GDAL_HTTP_MAX_RETRY": str(retries),
        "GDAL_HTTP_RETRY_DELAY": f"{retry_delay_s:g}",
        "GDAL_CACHEMAX": 16 * 2**20,  # bytes (rasterio wants an int)
        "VSI_CACHE": "FALSE",
    }


#: GDAL's virtual file systems that read over a network.
_NETWORK_VSI = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift",
                "/vsihdfs", "/vsiwebhdfs")


def is_network_name(name: str) -> bool:
    """Whether GDAL reads ``name`` over a network (a URL, or a ``/vsicurl/``,
    ``/vsis3/``... name, also inside an archive's: ``/vsizip//vsicurl/https://...``)."""
    text = str(name)
    return "://" in text or any(kind in text for kind in _NETWORK_VSI)


_HTTP_CODE = re.compile(r"HTTP (?:response )?(?:code|error|status)?:?\s*(\d{3})", re.IGNORECASE)


def read_failure(message: str) -> str:
    """A short reason for a failed remote read: ``HTTP 404``, ``truncated``, ``timeout``..."""
    found = _HTTP_CODE.search(message)
    if found:
        return f"HTTP {found.group(1)}"
    lowered = message.lower()
    if "configuration options not defined" in lowered or "credentials" in lowered:
        # GDAL's "AWS_SECRET_ACCESS_KEY and AWS_NO_SIGN_REQUEST configuration options not
        # defined": read as "truncated" (the wrapper's "corrupt, truncated or not a raster")
        return ("no credentials (a public bucket: set AWS_NO_SIGN_REQUEST=YES in the "
                "environment; else AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
                if "aws" in lowered else "no credentials")
    for word, reason in (("timed out", "timeout"), ("timeout", "timeout"),
                         ("could not resolve", "host not found"),
                         ("failed to connect", "no connection"),
                         ("could not connect", "no connection"),
                         ("truncat", "truncated"), ("not recognized", "not a raster"),
                         ("no such file", "not found"), ("does not exist", "not found")):
        if word in lowered:
            return reason
    return message.splitlines()[0][:120] if message else "unreadable"


class NetworkReadError(InputFileError):
    """A file read over a network that the network failed to bring (a timeout, no
    connection, an unknown host, an HTTP error status): a look at the file that may fail
    quietly (a CRS check, a hint) lets this one through, or each later look waited out
    the timeout again."""


SOURCE_SETTINGS = "raise the source's remote.timeout_s or remote.retries"
"""How a read under a source's ``remote:`` settings is given longer."""
ENVIRONMENT_SETTINGS = ("raise GDAL's timeout or retries in the environment "
                        "(GDAL_HTTP_TIMEOUT=<seconds>, GDAL_HTTP_MAX_RETRY=<n>)")
"""How a read that no ``remote:`` applies to is given longer."""


def network_failure_message(path: str, reason: str, how: str = SOURCE_SETTINGS) -> str:
    """The one-line error for a file read over a network that the network failed to bring
    (a timeout, no connection, an unknown host, an HTTP error status), or ``""`` where
    ``path`` is local or ``reason`` (GDAL's message) says another failure: such a file was
    said to be corrupt, truncated or not a raster (or vector file), though it never came.

    Parameters
    ----------
    path : str
        The file's GDAL name or URL.
    reason : str
        GDAL's message of the failed read.
    how : str
        How to give the read longer (:data:`SOURCE_SETTINGS`, or
        :data:`ENVIRONMENT_SETTINGS` where no ``remote:`` applies).

    Returns
    -------
    str
        The message (what, where, how to fix), or ``""``.
    """
    if not is_network_name(path):
        return ""
    why = read_failure(reason)
    if why in ("timeout", "no connection", "host not found") or why.startswith("HTTP "):
        return (f"{path}: cannot read over the network: {why} "
                f"({reason.splitlines()[0][:200]}); check the URL and that the server "
                f"answers, or {how}")
    return ""


_ARCHIVE_END = re.compile(r"\.(?:zip|kmz|tar|tgz|tar\.gz|gz|7z|rar)(?=/|$)", re.IGNORECASE)
"""Where an archive's name ends inside a GDAL archive name (its members follow)."""


def _gdal_name(name: str) -> str:
    """The name GDAL's cache of ``name`` is kept under (a URL is read as ``/vsicurl/URL``);
    an archive's member (``/vsizip//vsicurl/https://.../a.zip/b.tif``, or the braced
    ``/vsizip/{/vsicurl/https://.../a.zip}/b.tif``) is cached as its archive's: a clear of
    the member's longer name dropped nothing, and a zip replaced on its server was read
    as it was."""
    text = str(name)
    inner = text.find("/vsi", 1)
    if text.startswith("/vsi") and inner > 0 and any(
            text.startswith(k, inner) for k in _NETWORK_VSI):
        braced = text[inner - 1] == "{" and "}" in text[inner:]
        text = text[inner:]
        if braced:
            text = text[:text.index("}")]
        elif (end := _ARCHIVE_END.search(text)) is not None:
            text = text[:end.end()]
    if text.startswith(("http://", "https://", "ftp://")):
        return "/vsicurl/" + text
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in _SCHEMES:  # as rasterio opens them: s3://b/k is /vsis3/b/k
        return f"{_SCHEMES[scheme.lower()]}/{rest}"
    return text


_SCHEMES = {"s3": "/vsis3", "gs": "/vsigs", "az": "/vsiaz", "oss": "/vsioss",
            "adl": "/vsiadls"}


_CLEAR: list[Any] = []
_CLEAR_LOCK = threading.Lock()
_EPOCHS: dict[str, int] = {}
_DROPS = itertools.count(1)


def network_epoch(name: str) -> int:
    """A number that changes each time this process drops GDAL's cache of the network
    file ``name`` (:func:`forget_cached`; 0 before the first): a URL has no file stamp,
    so handles and blocks kept open between chunks and runs can be keyed by this instead
    (a new plan, a new epoch)."""
    return _EPOCHS.get(_gdal_name(name), 0)


def _clear_function() -> Any:
    """GDAL's ``VSICurlPartialClearCache`` (its C API: rasterio does not wrap it) of each
    GDAL library this process reads with (rasterio's, and pyogrio's own copy, which keeps
    a cache of its own of a vector file's ranges), called under GDAL's quiet error
    handler; ``None`` where it cannot be found."""
    with _CLEAR_LOCK:
        if not _CLEAR:
            import ctypes

            from prospect.io.raster import _gdal_c
            from prospect.io.vector import _pyogrio_gdal

            funcs = []
            for lib in dict.fromkeys(x for x in (_gdal_c(), _pyogrio_gdal())
                                     if x is not None):
                func = getattr(lib, "VSICurlPartialClearCache", None)
                if func is not None:
                    func.argtypes, func.restype = [ctypes.c_char_p], None
                    funcs.append(_quietly(lib, func))

            def clear_all(name: bytes) -> None:
                for one in funcs:
                    one(name)

            _CLEAR.append(clear_all if funcs else None)
        return _CLEAR[0]


def _quietly(lib: Any, func: Any) -> Any:
    """``func(name)`` under GDAL's quiet error handler (this thread's), its error state
    reset after: clearing an object store's name where GDAL cannot build its URL
    (``/vsiaz/`` without an account) prints "URL rejected" on stderr, though the read
    itself, under the same settings, names what is missing."""
    import ctypes

    push = getattr(lib, "CPLPushErrorHandler", None)
    pop = getattr(lib, "CPLPopErrorHandler", None)
    quiet = getattr(lib, "CPLQuietErrorHandler", None)
    reset = getattr(lib, "CPLErrorReset", None)
    if push is None or pop is None or quiet is None or reset is None:
        return func
    push.argtypes, push.restype = [ctypes.c_void_p], None
    pop.argtypes, pop.restype = [], None
    reset.argtypes, reset.restype = [], None
    handler = ctypes.cast(quiet, ctypes.c_void_p)

    def call(name: bytes) -> None:
        push(handler)
        try:
            func(name)
        finally:
            reset()
            pop()

    return call


#: GDAL's file systems whose ranges ``VSICurlPartialClearCache`` drops: ``/vsicurl/`` and
#: the object stores read through it (not HDFS's own).
_CACHED = ("/vsicurl/", "/vsis3/", "/vsigs/", "/vsiaz/", "/vsiadls/", "/vsioss/",
           "/vsiswift/", "/vsiwebhdfs/")


def forget_cached(names: Iterable[str]) -> int:
    """Drop what GDAL's network caches hold of the files ``names``: HTTP(S) URLs and
    object-store names (``/vsis3/``, ``s3://``, ``/vsigs/``, ``gs://``, ``/vsiaz/``...),
    also inside an archive's name: their headers, sizes and downloaded ranges.

    GDAL keeps the ranges it downloaded for the life of the process, so a file replaced on
    its server or in its bucket (a quality layer or band re-uploaded under its name) was
    served as it was when first read by every later plan and run of that process.
    Planning calls this for a source's remote files, so each run reads what the server
    holds now. Local names are left alone (their stamp tells a replaced file). An object
    store's name is cleared under the settings its read takes from the environment
    (``AWS_S3_ENDPOINT``, ``AWS_VIRTUAL_HOSTING``...), from which GDAL builds its URL.

    Parameters
    ----------
    names
        GDAL names or URLs of the files.

    Returns
    -------
    int
        How many network names were cleared (0 where GDAL's function cannot be found).
    """
    network = sorted({g for n in names if is_network_name(n)
                      and (g := _gdal_name(n)).startswith(_CACHED)})
    if not network:
        return 0
    func = _clear_function()
    if func is None:
        return 0
    with _CLEAR_LOCK:
        for name in network:
            func(name.encode())
            _EPOCHS[name] = next(_DROPS)  # never a value this name had before
        if len(_EPOCHS) > 65536:  # a bound: a name dropped from it reads 0 until its next
            _EPOCHS.clear()  # drop, whose number is new
    return len(network)


def vsi_head(lib: Any, name: str, size: int) -> bytes | None:
    """The first ``size`` bytes of what the GDAL C library ``lib`` (a ``ctypes.CDLL``:
    rasterio's or pyogrio's own) reads as ``name``, in one ``VSIFReadL``: a ``/vsicurl/``
    URL's or an object store's first bytes in one ranged request, under the caller's
    GDAL options, for a refusal to say what the file is; ``None`` where it cannot be
    read."""
    import ctypes

    opener: Any = getattr(lib, "VSIFOpenL", None) if lib is not None else None
    reader: Any = getattr(lib, "VSIFReadL", None) if lib is not None else None
    closer: Any = getattr(lib, "VSIFCloseL", None) if lib is not None else None
    if opener is None or reader is None or closer is None:
        return None
    opener.argtypes, opener.restype = [ctypes.c_char_p, ctypes.c_char_p], ctypes.c_void_p
    reader.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p]
    reader.restype = ctypes.c_size_t
    closer.argtypes, closer.restype = [ctypes.c_void_p], ctypes.c_int
    handle = opener(str(name).encode(), b"rb")
    if not handle:
        return None
    try:
        buffer = ctypes.create_string_buffer(size)
        got = reader(buffer, 1, size, handle)
        return bytes(buffer.raw[:got])
    finally:
        closer(handle)


#: The headers of an HTTP answer that tell one version of a file from another.
_VERSION_HEADERS = ("etag", "last-modified", "content-length", "x-amz-version-id",
                    "x-goog-generation")

_VERSIONS: dict[tuple[str, int, tuple[tuple[str, Any], ...]], str] = {}
_VERSIONS_LOCK = threading.Lock()


def network_version(name: str, options: Iterable[tuple[str, Any]] = ()) -> str:
    """What the server says of the version of the network file ``name`` (its ``ETag``,
    ``Last-Modified`` and ``Content-Length``, or an object store's version id), as one
    line such as ``etag "5f3a"; last-modified Sat, 05 Dec 2026 10:00:00 GMT;
    content-length 6760``; ``""`` where it says none, or cannot be asked.

    A local input's SHA-256 is part of its layer's fingerprint, so a file changed between
    two runs (or between an interrupted run and its resume) is ingested again; a file read
    over a network had none, so a survey grid or map replaced on its server kept the
    cube's old values on the next run, and a resumed run mixed old and new chunks, without
    a word. Asked once per drop of GDAL's cache of the file (each plan:
    :func:`network_epoch`), through GDAL (``VSIGetFileMetadata``'s ``HEADERS``, one
    ``HEAD`` request: the credentials and endpoints GDAL reads with apply), under
    ``options`` (the source's ``remote:`` settings, :func:`gdal_http_options`; those of
    an unset ``remote:`` where none).
    """
    import ctypes

    from prospect.io.raster import _gdal_c

    if not is_network_name(name):
        return ""
    gdal = _gdal_name(name)
    given = dict(options) or gdal_http_options(**DEFAULT_REMOTE)  # never GDAL's no timeout
    frozen = tuple(sorted((str(k), v) for k, v in given.items()))
    key = (gdal, network_epoch(gdal), frozen)
    with _VERSIONS_LOCK:
        if key in _VERSIONS:
            return _VERSIONS[key]
    lib = _gdal_c()
    func: Any = getattr(lib, "VSIGetFileMetadata", None) if lib is not None else None
    destroy: Any = getattr(lib, "CSLDestroy", None) if lib is not None else None
    if func is None or destroy is None:
        return ""
    func.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    func.restype = ctypes.POINTER(ctypes.c_char_p)
    destroy.argtypes, destroy.restype = [ctypes.POINTER(ctypes.c_char_p)], None
    headers: dict[str, str] = {}
    import rasterio

    with rasterio.Env(**dict(frozen)):
        quiet = _quietly(lib, lambda raw: headers.update(_read_list(func(raw, b"HEADERS",
                                                                         None), destroy)))
        quiet(gdal.encode())
    said = "; ".join(f"{h} {headers[h]}" for h in _VERSION_HEADERS if headers.get(h))
    with _VERSIONS_LOCK:
        if len(_VERSIONS) > 4096:
            _VERSIONS.clear()
        _VERSIONS[key] = said
        _READ[gdal] = said  # this process's caches were dropped by the plan that asks
    return said


def network_versions(names: Iterable[str], options: Iterable[tuple[str, Any]] = ()
                     ) -> dict[str, str]:
    """:func:`network_version` of each network name among ``names`` (name -> version, ``""``
    where the server states none), asked up to 16 at a time: a composite of hundreds of
    remote scenes is not planned one request after another."""
    wanted = list(dict.fromkeys(n for n in names if is_network_name(n)))
    frozen = tuple(options)
    if len(wanted) <= 1:
        return {n: network_version(n, frozen) for n in wanted}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(16, len(wanted)), thread_name_prefix="versions") as pool:
        found = list(pool.map(lambda n: network_version(n, frozen), wanted))
    return dict(zip(wanted, found, strict=True))


_READ: dict[str, str] = {}
"""Network file (GDAL's name) -> the version this process's caches of it hold."""


def read_as_planned(versions: Iterable[tuple[str, str]]) -> None:
    """Drop what this process keeps of each network file (GDAL's ranges, and handles keyed
    by :func:`network_epoch`) whose version planned (``(name, version)`` pairs:
    :func:`network_version` in the process that planned) is not the one it last read.

    A dask worker outlives a run where the cluster does (``--scheduler``): it kept the
    ranges GDAL had downloaded of a file, and its open handles, from an earlier run, so a
    grid replaced on its server was read as it was, ``--force`` too; the plan drops the
    caches of its own process only."""
    with _VERSIONS_LOCK:  # held through the drop: a task of another thread that finds
        stale = []  # the version recorded reads after the drop, never before it
        for name, version in versions:
            gdal = _gdal_name(name)
            if version and _READ.get(gdal) != version:
                stale.append(name)
        if stale:
            forget_cached(stale)
        if len(_READ) > 65536:
            _READ.clear()
        for name, version in versions:
            if version:
                _READ[_gdal_name(name)] = version


def _read_list(found: Any, destroy: Any) -> dict[str, str]:
    """The ``KEY=value`` strings of GDAL's list ``found`` (freed after), keys in lower
    case."""
    out: dict[str, str] = {}
    if not found:
        return out
    try:
        at = 0
        while found[at]:
            key, _, value = found[at].decode("utf-8", "replace").partition("=")
            out[key.strip().lower()] = value.strip()
            at += 1
    finally:
        destroy(found)
    return out
