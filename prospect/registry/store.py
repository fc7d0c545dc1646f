"""A versioned model registry: ``<registry>/<name>/<version>/`` on a disk or any fsspec URL.

* A version is a model directory written by :func:`~prospect.registry.save_model`.
* Versions are immutable: publishing to an existing version is refused; on a local disk the
  published files are made read-only.
* Publishing verifies the model first (checksums, no pickle, only trusted types), copies it
  to a hidden staging entry and then moves it into place (a rename on a local disk); on an
  object store ``checksums.json`` is written last, and only versions that have it are listed.
* Loading verifies the checksums again; remote versions are downloaded to a temporary
  directory first.
* Names and versions are checked against a safe alphabet before they touch a path.
* On a local disk every publish holds the registry's import lock (``.import.lock``,
  ``flock``) shared; a publish that gets it alone first removes the hidden staging
  folders of publishes that were killed (:meth:`ModelRegistry.sweep_staging`): with the
  lock held alone, no publish is writing one. The kernel drops a killed holder's lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shlex
import shutil
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from prospect.errors import DataWarning, ModelError, ProspectError, SecurityError
from prospect.io.files import staged_dir
from prospect.registry.card import card_markdown, other_model
from prospect.registry.checksums import CHECKSUMS_FILE
from prospect.registry.compat import ModelVersionWarning, check_versions
from prospect.registry.consistency import check_parts, markdown_differences
from prospect.registry.files import (
    CARD_JSON,
    CARD_MD,
    MODEL_FILES,
    LoadedModel,
    audit_model_dir,
    load_model,
    model_fingerprint,
    read_card,
    read_schema,
)
from prospect.registry.names import (
    RESERVED_VERSIONS,
    ascii_form,
    check_name,
    check_new_version,
    check_version,
    free_form,
)

__all__ = ["REGISTRY_ENV", "ModelRegistry", "default_registry"]

REGISTRY_ENV = "PROSPECT_REGISTRY"
IMPORT_LOCK = ".import.lock"
"""The lock file at a local registry's root that every publish holds (shared)."""
_STAGING = re.compile(r"^\.(.+)\.staging-[0-9a-f]{8}$")
"""A publish's hidden staging folder for a version (:func:`prospect.io.files.temp_name`)."""
_ALL_FILES: tuple[str, ...] = (*MODEL_FILES, CHECKSUMS_FILE)
_VERSION_LIKE = re.compile(r"^[vV]?[0-9]")
"""A version label as users write them (``1``, ``v2``, ``2026-03-01``): a folder of a
registry's root so named, holding a model, is read as a version (``-r`` given one model's
folder), any other name as a model directory copied in at a model's name."""


def default_registry() -> str:
    """``$PROSPECT_REGISTRY`` or ``~/.local/share/prospect/models``."""
    return os.environ.get(REGISTRY_ENV) or str(
        Path.home() / ".local" / "share" / "prospect" / "models"
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _refuse_other_files(model_dir: Path) -> None:
    """Refuse a model directory whose ``checksums.json`` lists files besides the model's.

    A version keeps the model's files only, with ``checksums.json`` as it is (its SHA-256
    is the fingerprint): a ``notes.txt`` listed there was left behind, and the version
    just published failed its own checksums ever after ("notes.txt: missing"; listed as
    broken), while the import said "tampered or corrupt" after writing it.
    """
    from prospect.registry.checksums import read_checksums

    extra = sorted(set(read_checksums(model_dir, required=MODEL_FILES)) - set(MODEL_FILES))
    if extra:
        raise ModelError(
            f"{model_dir / CHECKSUMS_FILE}: lists {', '.join(extra[:5])}"
            f"{', ...' if len(extra) > 5 else ''} beside the model's files; a registry "
            f"version keeps {', '.join(MODEL_FILES)} and {CHECKSUMS_FILE} only, so it "
            "could never be verified there. Remove those entries from checksums.json (the "
            "fingerprint changes with it), or save the model again; nothing was published")


def _filesystem(url: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    """The fsspec filesystem and path of a registry location.

    A location without ``://`` is a local folder, whatever it holds: fsspec reads ``::``
    as a chain of filesystems, so ``-r /data/run::2/models`` published into
    ``/data/run/...``, another folder than the one named.
    """
    if "://" not in url and "::" in url:
        from fsspec.implementations.local import make_path_posix

        return LocalFileSystem(**storage_options), make_path_posix(url)
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    return fs, str(path)


MARKDOWN_CAUSE = ("card.md was edited after the model was saved, or written in an older "
                  "Prospect's layout")
"""Why a ``card.md`` may not say what its ``card.json`` says."""


def markdown_disagreement(card: dict[str, Any], data: bytes) -> str | None:
    """How ``card.md`` (its bytes, ``data``) departs from ``card.json`` (``card``), in words,
    or ``None`` where it says what ``card.json`` says.

    Prospect writes ``card.md`` in UTF-8; one saved again by an editor in another encoding
    (Windows-1252: ``Curaçao``) passed the checksums written again and stopped ``prospect
    model show`` with an internal error (``UnicodeDecodeError``). The first differing lines
    are named (:func:`~prospect.registry.consistency.markdown_differences`).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"card.md is not UTF-8 as Prospect writes it (byte 0x{data[exc.start]:02x} "
                f"at offset {exc.start}: saved again in another encoding)")
    differ = markdown_differences(card, text)
    if not differ["only_in_markdown"] and not differ["only_in_json"]:
        return None
    said = "; ".join(
        f"{what}: {lines[0].strip()!r}" + (f" and {len(lines) - 1} more line(s)"
                                           if len(lines) > 1 else "")
        for what, lines in (("card.md alone says", differ["only_in_markdown"]),
                            ("card.json alone says", differ["only_in_json"]))
        if lines)
    return f"card.md does not say what card.json says ({said})"


_PRE_RELEASE = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2, "milestone": 3,
                "c": 4, "rc": 4, "cr": 4, "pre": 4, "preview": 4, "snapshot": 5}
"""Words that mark a version before its release (PEP 440, semantic versioning, Maven), by
rank: ``1.0-dev < 1.0-a1 < 1.0-b1 < 1.0-M1 < 1.0-rc1 < 1.0-SNAPSHOT < 1.0``. Maven's
``SNAPSHOT`` (the build before a release) sorted after ``1.0`` as an unknown word, so it
was the latest, and ``model score`` took it; so did a milestone ``1.0-M1`` (``M`` followed
by its number: :data:`_MILESTONE`)."""

_MILESTONE = re.compile(r"[mM]\d+")
"""A Maven milestone's part, ``M1`` (``m`` alone, or before another word, is no
pre-release: ``30m``)."""


def _is_name(name: str) -> bool:
    """Whether ``name`` is a model name :func:`check_name` accepts (other entries of a
    registry's folder are not its models)."""
    try:
        check_name(name)
    except SecurityError:
        return False
    return True


def _is_label(version: str) -> bool:
    """Whether ``version`` is a version label :func:`check_version` accepts."""
    try:
        check_version(version)
    except SecurityError:
        return False
    return True


def _version_key(version: str) -> tuple[Any, ...]:
    """Natural order: ``2 < 10``, ``1.2 < 1.10``, ``v2 < v10``, ``r3 < r12``, and a
    release after its pre-releases (``1.0-rc1 < 1.0``, ``1.0 < 1.0.post1``).

    Each part between ``.``, ``_``, ``+`` and ``-`` is split into its runs of digits (a
    number) and of other characters (a word, in any case). The number in ``v10`` was read
    as part of the word ``"v10"``, and ``"v10" < "v9"`` as text, so the latest of ``v1``
    to ``v10`` was ``v9``: ``prospect model score li`` scored with the older model without
    a word; ``1.0-rc1`` was the latest beside ``1.0``, and so was ``1.0-SNAPSHOT``
    (:data:`_PRE_RELEASE`). Labels that differ only in their
    separators or leading zeros (``1.0`` and ``1_0``, ``1`` and ``01``) keep one key (they
    are refused as lookalikes when published), and so does a leading ``v`` (``v3`` is
    ``3``).
    """
    key: list[tuple[int, int, str]] = []
    for part in re.split(r"[._+-]", re.sub(r"^[vV](?=\d)", "", version)):
        for run in re.findall(r"\d+|\D+", part) or [""]:
            if run.isdigit():
                key.append((2, int(run), ""))
            elif run.casefold() in _PRE_RELEASE:
                key.append((0, _PRE_RELEASE[run.casefold()], ""))
            elif run in ("m", "M") and _MILESTONE.fullmatch(part):  # Maven's 1.0-M1
                key.append((0, _PRE_RELEASE["milestone"], ""))
            else:
                key.append((2, -1, run.casefold()))
    key.append((1, 0, ""))  # the end: after a pre-release word, before any further part
    return tuple(key)


class ModelRegistry:
    """Versioned models under one root, local path or fsspec URL.

    Parameters
    ----------
    root
        A directory (``./models``) or any fsspec URL (``s3://bucket/models``,
        ``memory://models``). Default: :func:`default_registry`.
    storage_options
        Passed to fsspec (credentials, endpoints).
    """

    def __init__(self, root: str | Path | None = None, **storage_options: Any) -> None:
        self.url = str(root) if root is not None else default_registry()
        if not self.url.strip():
            raise ModelError("the registry location is empty (an unset variable?); give the "
                             "registry's folder or URL, or '.' for the current folder")
        try:
            fs, path = _filesystem(self.url, storage_options)
        except (ValueError, ImportError) as exc:  # an unknown protocol, a missing backend
            raise ModelError(f"{self.url}: cannot open this registry location: "
                             f"{_first_line(exc)}; give a folder or a URL fsspec can open "
                             "(file://, memory://, s3:// with s3fs installed, ...)") from None
        self.fs = fs
        self.root = str(path).rstrip("/") or "/"
        self.is_local = isinstance(fs, LocalFileSystem)
        self.swept: list[str] = []
        """``name/folder`` of each leftover the last publish removed
        (:meth:`sweep_staging`)."""
        if self.is_local and Path(self.root).exists() and not Path(self.root).is_dir():
            raise ModelError(f"{self.url}: the registry is a file, not a directory; give "
                             "the registry's folder")

    def __repr__(self) -> str:
        return f"ModelRegistry({self.url!r})"

    # -- paths -------------------------------------------------------------------------
    def _join(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def location(self, name: str, version: str) -> str:
        """Where ``name``/``version`` lives (a path or URL-path in the registry's filesystem)."""
        return self._join(check_name(name), check_version(version))

    def _is_complete(self, name: str, version: str) -> bool:
        return bool(self.fs.exists(self._join(name, version, CHECKSUMS_FILE)))

    # -- listing -----------------------------------------------------------------------
    def _children(self, path: str) -> list[str]:
        if not self.fs.exists(path):
            return []
        out = []
        for entry in self.fs.ls(path, detail=True):
            base = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            if entry.get("type") == "directory" and not base.startswith("."):
                out.append(base)
        return out

    def _files(self, path: str) -> list[str]:
        """The names of the files under ``path`` (not folders or links; hidden ones left
        out). A file at a version's label (``reg/li/2``, an upload named as the version)
        was taken as that version by an import: "li version 2 already exists" of a
        version ``model list`` never showed."""
        if not self.fs.exists(path):
            return []
        out = []
        for entry in self.fs.ls(path, detail=True):
            base = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            if entry.get("type") == "file" and not entry.get("islink") and \
                    not base.startswith("."):
                out.append(base)
        return out

    def _linked(self, path: str) -> dict[str, str]:
        """The entries under ``path`` that are symbolic links (a local registry's), each
        with where it points: ``{"2": "/runs/a/model"}``.

        A version or model folder put in a registry with ``ln -s`` (to save a copy) was
        neither listed nor taken as the latest, yet loaded when named (``--version 2``),
        and the next ``model import`` took its number for the new version and stopped with
        "version 2 already exists" of a version ``model list`` never showed."""
        if not self.fs.exists(path):
            return {}
        out = {}
        for entry in self.fs.ls(path, detail=True):
            base = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            if entry.get("islink") and not base.startswith("."):
                out[base] = str(entry.get("destination") or "?")
        return out

    def linked_versions(self) -> list[str]:
        """Why each model folder or version of the registry that is a symbolic link is
        none, one line each (:meth:`_name_link_line`, :meth:`_link_line`): never listed or
        loaded, and a new version is numbered past it (a linked model folder is never
        published into)."""
        names = [self._name_link_line(name, dest)
                 for name, dest in sorted(self._linked(self.root).items())
                 if _is_name(name)]
        return names + [self._link_line(name, version, dest)
                        for name in self._valid_children(self.root, check_name)
                        for version, dest in sorted(self._linked(self._join(name)).items())]

    def _name_link_line(self, name: str, dest: str) -> str:
        """Why the model folder ``name``, a symbolic link to ``dest``, is not a model of
        this registry.

        ``ln -s other/reg/li reg/li`` (to share a model between registries): ``model
        list`` said "no models", yet ``model show li``/``model score li`` loaded through
        the link, and ``model import --name li`` wrote its new version into the other
        registry (outside ``-r``, past its import lock). An alias of a model of the same
        registry (``ln -s li lithium``) is said as one: its versions are that model's."""
        real = os.path.realpath(self._join(name))
        if not os.path.isdir(real):  # the folder it named was moved or removed
            return (f"{self._join(name)}: model folder {name!r} is a symbolic link to "
                    f"{dest}, which is no folder (moved or removed), so it is not a model; "
                    "remove the link")
        if os.path.dirname(real) == os.path.realpath(self.root):
            other = os.path.basename(real)
            return (f"{self._join(name)}: model folder {name!r} is a symbolic link to "
                    f"{dest}, an alias of this registry's model {other!r}: a model has one "
                    f"name, and an import under {name!r} would publish a version of "
                    f"{other!r}, so it is not a model here; use its name, {other!r}, or "
                    "remove the link")
        return (f"{self._join(name)}: model folder {name!r} is a symbolic link to {dest}, "
                "not a folder of this registry's own: its versions are another registry's "
                "(an import would write into it, and what it holds changes with it), so it "
                f"is not a model here; give that registry (-r {self._registry_of(name)}), or "
                f"remove the link and import each version (prospect model import FOLDER "
                f"--name {name} -r {self.url})")

    def _registry_of(self, name: str) -> str:
        """The folder the linked model folder ``name`` lies in (the registry it is
        another's model of), the link followed to its end."""
        return os.path.dirname(os.path.realpath(self._join(name)))

    def _own_name(self, name: str) -> str:
        """``name`` checked (:func:`check_name`) and refused where its folder is a symbolic
        link (:meth:`_name_link_line`). A name refused whose folder is there (copied in
        under a partner's name, ``reg/đất-hiếm``) is said as that folder
        (:meth:`_misnamed_model_line`)."""
        try:
            check_name(name)
        except SecurityError:
            if isinstance(name, str) and name in self._children(self.root):
                raise SecurityError(self._misnamed_model_line(name)) from None
            raise
        if self.is_local and os.path.islink(self._join(name)):
            raise ModelError(self._name_link_line(name, os.readlink(self._join(name))))
        return name

    def _link_line(self, name: str, version: str, dest: str) -> str:
        """Why ``name``'s ``version``, a symbolic link to ``dest``, is not a version."""
        return (f"{self._join(name, version)}: {name} version {version!r} is a symbolic link "
                f"to {dest}, not a folder of the registry's own: what it holds changes when "
                "that folder is trained or copied again, and a registry's versions never "
                "change, so it is not a version; remove the link and publish the folder "
                f"(prospect model import {dest} --name {name} -r {self.url})")

    def copied_models(self) -> list[str]:
        """Why each folder at a model's name that is a model directory itself (it holds
        ``checksums.json``, not versions) is no model, one line each (:meth:`_copied_line`).

        ``cp -r runs/a/model reg/cu`` (a model copied into the registry by hand, a level
        too high): ``model list`` listed the other models without a word of ``cu``, and
        ``model show cu`` said the registry "holds the versions of one model (cu)" and
        told ``-r`` the folder above the registry."""
        return [self._copied_line(name) for name in self._copied_names()]

    def _copied_names(self) -> list[str]:
        """The model names whose folder is a model directory itself (a local one's links
        are said by :meth:`linked_versions`)."""
        return sorted(name for name in self._valid_children(self.root, check_name)
                      if not (self.is_local and os.path.islink(self._join(name)))
                      and self.fs.exists(self._join(name, CHECKSUMS_FILE)))

    def _copied_line(self, name: str) -> str:
        """Why the folder ``name``, a model directory itself, is not a model here."""
        return (f"{self._join(name)}: a model directory (it holds {CHECKSUMS_FILE} itself) "
                f"where model {name}'s folder of versions goes "
                "(<registry>/<name>/<version>/), as a copy into the registry leaves it, so "
                "it is not a model here; move it out of the registry and publish it "
                f"(prospect model import FOLDER --name {name} -r {self.url})")

    def _not_a_model(self, name: str) -> str | None:
        """Why what lies at model ``name``'s place is no model folder (a model directory
        copied there, a file), or ``None`` (a folder, or nothing)."""
        place = self._join(name)
        if not (self.is_local and os.path.islink(place)) and \
                self.fs.exists(self._join(name, CHECKSUMS_FILE)):
            return self._copied_line(name)
        if self.fs.exists(place) and not self.fs.isdir(place):
            return (f"{place}: a file where model {name}'s folder of versions goes "
                    "(<registry>/<name>/<version>/), so it is not a model; move it out of "
                    f"the registry (a model is published with prospect model import FOLDER "
                    f"--name {name} -r {self.url})")
        return None

    def unversioned(self) -> list[str]:
        """Why each folder at a model's name that holds no version folder at all (empty,
        or a model's files put straight into it) is no model, one line each
        (:meth:`_no_version_line`); folders of incomplete versions are
        :meth:`incomplete`'s, model directories :meth:`copied_models`' and links
        :meth:`linked_versions`'.

        ``model list`` listed the other models without a word of them."""
        out = []
        for name in self._valid_children(self.root, check_name):
            if (self.is_local and os.path.islink(self._join(name))) or \
                    self._children(self._join(name)) or \
                    self.fs.exists(self._join(name, CHECKSUMS_FILE)):
                continue
            line = self._no_version_line(name)
            if line is not None:
                out.append(line)
        return out

    def misnamed(self) -> list[str]:
        """Why each folder of the registry whose name is no model name, or that lies in a
        model's folder under a label that is no version label (a space, an accented
        letter: ``reg/đất-hiếm/1``, ``reg/li/phiên bản 2``, copied in by hand or by a
        file manager), is neither listed nor loaded, one line each.

        ``model list`` passed over such folders without a word: a model a partner copied
        in under its own language's name was missing from the table, and ``model show``
        refused its name as not made of letters.
        """
        out = [self._misnamed_model_line(name) for name in self._children(self.root)
               if not _is_name(name)
               and not (self.is_local and os.path.islink(self._join(name)))]
        for name in self._valid_children(self.root, check_name):
            if self.is_local and os.path.islink(self._join(name)):
                continue
            out += [self._misnamed_version_line(name, version)
                    for version in self._children(self._join(name))
                    if not _is_label(version)]
        return out

    def _misnamed_model_line(self, name: str) -> str:
        """Why the folder ``name`` (no model name) is not a model (:meth:`misnamed`)."""
        place = self._join(name)
        form = ascii_form(name, taken=self._children(self.root)) or "NAME"
        if self.fs.exists(self._join(name, CHECKSUMS_FILE)):
            held = [place]
        else:
            held = [self._join(name, v) for v in self._children(place)
                    if self.fs.exists(self._join(name, v, CHECKSUMS_FILE))]
        said = (f"{place}: folder {name!r} is no model name (ASCII letters, digits, '_', "
                "'-', '+' or '.', starting with a letter or digit), so nothing in it is a "
                "model of this registry")
        if not held:
            return said + "; move it out of the registry"
        holds = "a model folder" if len(held) == 1 else f"{len(held)} model folders"
        return (f"{said}, though it holds {holds}; publish "
                f"{'it' if len(held) == 1 else 'each'} under a model name (prospect model "
                f"import {shlex.quote(held[0])} --name {form} -r {shlex.quote(self.url)}), then "
                "remove the folder")

    def _misnamed_version_line(self, name: str, version: str) -> str:
        """Why ``name``'s folder ``version`` (no version label) is not a version."""
        place = self._join(name, version)
        said = (f"{place}: {name}'s folder {version!r} is no version label (ASCII letters, "
                "digits, '_', '-', '+' or '.', starting with a letter or digit), so it is "
                "not a version")
        if not self.fs.exists(self._join(name, version, CHECKSUMS_FILE)):
            return said + "; move it out of the registry"
        form = ascii_form(version, taken=self._children(self._join(name)))
        return (f"{said}; publish it as one (prospect model import {shlex.quote(place)} --name "
                f"{name}{f' --version {form}' if form else ''} -r {shlex.quote(self.url)}), "
                "then remove the folder")

    def _no_version_line(self, name: str) -> str | None:
        """Why model ``name``'s folder, which is there, holds no version of it (empty,
        only incomplete versions, or other things than version folders), or ``None``
        (no folder there).

        ``mkdir reg/zn`` (a folder made for a model before its import, or left when its
        versions were removed by hand), a version folder copied without its
        ``checksums.json``, or a model's files put straight into ``reg/zn``: ``model
        show zn`` and ``model score zn`` said "no model named 'zn'; models here: ..." of a
        name whose folder the user can see, with nothing of what is wrong with it."""
        place = self._join(name)
        if not self.fs.isdir(place):
            return None
        publish = f"prospect model import FOLDER --name {name} -r {self.url}"
        partial = sorted((v for v in self._valid_children(place, check_version)
                          if not self._is_complete(name, v)),
                         key=lambda v: (_version_key(v), v))
        if partial:
            return (f"{place}: model {name} holds no complete version: "
                    f"{', '.join(partial[:5])}{' ...' if len(partial) > 5 else ''} "
                    f"{'is' if len(partial) == 1 else 'are'} incomplete (no "
                    f"{CHECKSUMS_FILE}: a copy or a publish that did not finish), so none is "
                    f"a version; remove {'it' if len(partial) == 1 else 'them'} and publish "
                    f"the model again ({publish})")
        held = sorted(str(entry).rstrip("/").rsplit("/", 1)[-1]
                      for entry in self.fs.ls(place, detail=False))
        held = [entry for entry in held if not entry.startswith(".")]
        if not held:
            return (f"{place}: model {name}'s folder is empty (no version folder "
                    f"<registry>/{name}/<version>/ in it: nothing was published under this "
                    f"name, or its versions were removed), so it is no model; publish one "
                    f"({publish}) or remove the empty folder")
        return (f"{place}: model {name}'s folder holds no version folder "
                f"(<registry>/{name}/<version>/), only {', '.join(held[:5])}"
                f"{' ...' if len(held) > 5 else ''}, so it is no model; publish the model "
                f"({publish}) and move these out of the registry")

    def _valid_children(self, path: str, check: Callable[[str], str]) -> list[str]:
        """The folders under ``path`` that ``check`` (:func:`check_name` or
        :func:`check_version`) accepts; others are not the registry's and are skipped."""
        out = []
        for child in self._children(path):
            try:
                check(child)
            except SecurityError:
                continue
            out.append(child)
        return out

    def taken(self, name: str | None = None) -> list[str]:
        """The entries of the registry's root (or, given ``name``, of that model's folder)
        that a new model name (a new version label) must not be in any case: what
        :func:`~prospect.registry.names.ascii_form` keeps its forms clear of; ``[]``
        where the folder is not there or cannot be read."""
        try:
            return self._children(self._join(self._own_name(name)) if name else self.root)
        except (ProspectError, OSError, ValueError):
            return []

    def names(self) -> list[str]:
        """Model names in the registry that have at least one complete version."""
        return sorted(name for name in self._valid_children(self.root, check_name)
                      if self.versions(name))

    def versions(self, name: str) -> list[str]:
        """Complete versions of ``name``, oldest first (natural order)."""
        self._own_name(name)
        found = [version for version in self._valid_children(self._join(name), check_version)
                 if self._is_complete(name, version)]
        return sorted(found, key=lambda v: (_version_key(v), v))

    def latest(self, name: str) -> str:
        """The newest version of ``name``."""
        versions = self.versions(name)
        if not versions:
            links = self._linked(self._join(name))
            if links:  # its only versions are links: said as such, not "no model named"
                version, dest = sorted(links.items(), key=lambda v: _version_key(v[0]))[-1]
                raise ModelError(self._link_line(name, version, dest))
            if not self.exists():
                raise ModelError(f"{self.url}: no model named {name!r}: nothing is at this "
                                 "registry location (no such folder); check the registry")
            why = self._not_a_model(name) or self._no_version_line(name)
            if why is not None:  # "no model named 'cu'; this folder holds ... one model"
                raise ModelError(why)
            known = ", ".join(self.names()) or "none"
            other = self.misplaced()
            raise ModelError(f"{self.url}: no model named {name!r}; " + (
                other if other is not None else f"models here: {known}"))
        return versions[-1]

    def misplaced(self) -> str | None:
        """What the registry location is instead, with the fix, when it is a model
        directory or one model's folder of versions (``None``: neither).

        ``-r`` given the model folder itself, or ``<registry>/<name>``, read as an empty
        registry ("models here: none", "no models in ..."), as if the model were missing.
        """
        if self.fs.exists(self._join(CHECKSUMS_FILE)):
            return (f"this folder is a model directory, not a registry of models; import it "
                    f"into one (prospect model import {self.url} --name NAME -r REGISTRY), "
                    "or give -r the registry it was published in")
        versions = sorted(child for child in self._children(self.root)
                          if self.fs.exists(self._join(child, CHECKSUMS_FILE)))
        if versions and (self.names() or not any(_VERSION_LIKE.match(v) for v in versions)):
            return None  # model directories copied in at a model's name (copied_models)
        if versions:
            parent = self.url.rstrip("/").rpartition("/")[0] or "/"
            return (f"this folder holds the versions of one model ({', '.join(versions[:10])}"
                    f"), not models: give -r the registry above it ({parent}) and the "
                    f"model's name ({self.url.rstrip('/').rpartition('/')[2]!r})")
        return None

    def exists(self) -> bool:
        """Whether the registry's root folder exists (a registry nothing was published to
        yet, or a mistyped location, does not).

        Raises
        ------
        ModelError
            A remote location that cannot be reached (:meth:`_check_reachable`).
        """
        if self.fs.exists(self.root):
            return True
        if not self.is_local:
            self._check_reachable()
        return False

    def _check_reachable(self) -> None:
        """Refuse a remote registry whose server cannot be reached at all.

        fsspec's ``exists`` (and HTTP's ``info``) answer ``False`` for any error, so a
        registry on a server that was down, or a mistyped host, read as an empty registry
        ("no models in ...: no registry folder there yet", exit 0; "no such folder"). A
        listing tells the two apart: a location that is not there raises
        ``FileNotFoundError``, a connection that fails raises the client's own error.
        """
        try:
            self.fs.ls(self.root)
        except FileNotFoundError:
            return
        except Exception as exc:  # aiohttp's, botocore's, gcsfs's own connection errors
            raise ModelError(
                f"{self.url}: cannot reach this registry location: {type(exc).__name__}: "
                f"{_first_line(exc)}; check the address, that the server is up and the "
                "network (and the credentials, for an object store)") from None

    def resolve(self, name: str, version: str | None = None) -> str:
        """``version`` checked to exist, or the latest one when ``None``/``"latest"`` (in
        any case: ``-v Latest`` was "li has no version 'Latest'", and no version can be
        published under that label, :data:`~prospect.registry.names.RESERVED_VERSIONS`)."""
        if version is None or version.casefold() in RESERVED_VERSIONS:
            return self.latest(name)
        check_version(version)
        linked = self._linked(self._join(self._own_name(name))).get(version)
        if linked is not None:  # loaded through the link, never listed: said as what it is
            raise ModelError(self._link_line(name, version, linked))
        if not self._is_complete(name, version):
            why = self._not_a_model(name)
            if why is None and not self.versions(name) and \
                    not self.fs.exists(self._join(name, version)):
                why = self._no_version_line(name)  # "zn has no version '1'; versions: none"
            if why is not None:
                raise ModelError(why)
            have = ", ".join(self.versions(name)) or "none"
            place = self._join(name, version)
            if self.fs.exists(place) and not self.fs.isdir(place):  # "remove the folder"
                raise ModelError(f"{place}: a file where {name} version {version!r} goes, "
                                 "so it is not a version; move it out of the registry; "
                                 f"complete versions: {have}")
            if self.fs.exists(place):  # the folder is there: say why not
                raise ModelError(
                    f"{self._join(name, version)}: {name} version {version!r} is incomplete "
                    f"(no {CHECKSUMS_FILE}: a copy or a publish that did not finish), so it "
                    f"is not a version; remove the folder and publish the model again "
                    f"(prospect model import); complete versions: {have}")
            raise ModelError(f"{self.url}: {name} has no version {version!r}; versions: {have}")
        return version

    def incomplete(self) -> list[str]:
        """``name/version`` of each version folder without ``checksums.json`` (a copy or
        a publish that did not finish): never listed, loaded or taken as the latest."""
        return sorted(f"{name}/{version}"
                      for name in self._valid_children(self.root, check_name)
                      for version in self._valid_children(self._join(name), check_version)
                      if not self._is_complete(name, version))

    def _next_version(self, name: str) -> str:
        """The label of a version published without one: the next number after the
        numbered versions (``v`` kept where the latest numbered one has it: ``v3`` after
        ``v2``), never one a folder or link of ``name`` holds.

        Versions labelled ``v1``, ``v2`` got ``1``, and ``1.0``, ``1.1`` got ``1``: each
        sorted before the latest, so the model just imported was not the one that ``model
        score`` (no ``--version``) then took, and nothing said so.

        Raises
        ------
        ModelError
            The next number would not be the latest (the versions are labelled otherwise:
            ``1.1``, a date), naming the latest and a label after it to give.
        """
        versions = self.versions(name)
        numbered = sorted((int(m.group(2)), m.group(1)) for v in versions
                          if (m := re.fullmatch(r"([vV]?)(\d+)", v)))
        prefix = numbered[-1][1] if numbered else ""
        taken = {t.casefold() for t in (*self._children(self._join(name)),
                                         *self._linked(self._join(name)),
                                         *self._files(self._join(name)))}
        candidate = (numbered[-1][0] if numbered else 0) + 1
        while f"{prefix}{candidate}".casefold() in taken:
            candidate += 1
        label = f"{prefix}{candidate}"
        latest = versions[-1] if versions else None
        if latest is not None and _version_key(label) <= _version_key(latest):
            after = re.sub(r"\d+(?=\D*$)", lambda m: str(int(m.group()) + 1), latest, count=1)
            hint = f", such as {after!r}" if after != latest and \
                _version_key(after) > _version_key(latest) else ""
            raise ModelError(
                f"{self.url}: {name}'s latest version is {latest!r}, and the next number, "
                f"{label!r}, sorts before it, so the model published would not be the "
                f"latest that 'model score' and 'model show' take; give its version label "
                f"(--version) one that sorts after {latest!r}{hint}")
        return label

    # -- publish -----------------------------------------------------------------------
    def publish(
        self, model_dir: Path, name: str, *, version: str | None = None,
        trusted: Sequence[str] | None = None,
    ) -> str:
        """Add the model directory ``model_dir`` as ``name``/``version``; returns the version.

        The model is verified and loaded first (checksums, skops format, trusted types,
        card, schema and estimator of one model). ``version``
        defaults to the next integer. An existing version is never overwritten. A model
        saved with other library versions than the installed ones is published (a registry
        may serve other environments) with one :class:`ModelVersionWarning`.
        """
        self._own_name(name)  # a linked model folder: the import wrote into its registry
        why = self._not_a_model(name)
        if why is not None:  # version 1 was written inside the copied model directory
            raise ModelError(f"{why}; nothing was published")
        if version is not None:
            check_new_version(version)
        self._refuse_lookalike(name, self._children(self.root), "model name", "model")
        if version is not None:
            self._refuse_lookalike(version, self._children(self._join(name)),
                                   f"{name} version", "version")
        with warnings.catch_warnings():  # what loading refuses is refused before publishing
            warnings.simplefilter("ignore", ModelVersionWarning)  # said once, below
            loaded = load_model(Path(model_dir), trusted=trusted,
                                allow_version_mismatch=True)
        card = loaded.card
        _refuse_other_files(Path(model_dir))
        why = markdown_disagreement(card, (Path(model_dir) / CARD_MD).read_bytes())
        if why is not None:  # said where it is published, not first at a later show
            warnings.warn(DataWarning(
                f"{model_dir}: {why}; {MARKDOWN_CAUSE}: published as it is, and 'prospect "
                "model show' shows card.json rendered under a note"), stacklevel=2)
        from prospect.models.uncertainty import probability_problem
        from prospect.registry.scoring import class_problem

        # a version no map could be made of: no probabilities, or not of the occurrence
        problem = probability_problem(loaded.estimator) or class_problem(loaded.estimator)
        if problem is not None:
            raise ModelError(f"{model_dir}: {problem}; nothing was published")
        earlier = self._latest_card(name)
        version = version or self._next_version(name)
        note = check_versions(card, f"{name}/{version}", allow_version_mismatch=True)
        target = self._join(name, version)
        if self.fs.exists(target) and not self.fs.isdir(target):
            raise ModelError(  # was "version 2 already exists" of a version never listed
                f"{target}: a file where {name} version {version} goes, so it is not a "
                "version and nothing was published; move it out of the registry, or give "
                "another version label (--version)")
        if self.fs.exists(target):
            raise ModelError(
                f"{self.url}: {name} version {version} already exists and versions are "
                "immutable; publish under a new version"
            )
        if self.is_local:
            with self._import_lock():
                self._publish_local(Path(model_dir), Path(target))
        else:
            self._publish_remote(Path(model_dir), target)
        if note is not None:
            warnings.warn(ModelVersionWarning(note), stacklevel=2)
        differences = other_model(card, earlier[1]) if earlier is not None else []
        if earlier is not None and differences:  # the name of another target's model
            same = self._matching_version(name, card, before=earlier[0], new=version)
            warnings.warn(DataWarning(self._other_model_line(
                model_dir, name, version, earlier[0], differences, same=same)),
                stacklevel=2)
        return version

    def _matching_version(self, name: str, card: Mapping[str, Any], *, before: str,
                          new: str) -> str | None:
        """The newest version of ``name`` before ``before`` whose card may be of the model
        of ``card`` (:func:`prospect.registry.card.other_model` finds nothing), or
        ``None``.

        Read only where the latest version's card differs (a publish of the model trained
        again reads one card, as before); ``card.json`` alone, newest first, stopping at
        the first that matches. A version whose card cannot be read is passed over, and
        so is ``new``, the version just published (a label sorting before the latest).
        """
        try:
            versions = self.versions(name)
        except (ProspectError, OSError, ValueError):
            return None
        older = versions[:versions.index(before)] if before in versions else []
        for label in reversed(older):
            if label == new:
                continue
            found = self._card_json(name, label)
            if found is not None and not other_model(card, found):
                return label
        return None

    def _card_json(self, name: str, label: str) -> dict[str, Any] | None:
        """``card.json`` of ``name``/``label`` alone (a remote model's weights are not
        downloaded for a comparison), or ``None`` where it cannot be read."""
        try:
            card = json.loads(self.fs.cat_file(self._join(name, label, CARD_JSON)))
        except (ProspectError, OSError, ValueError):
            return None
        return card if isinstance(card, dict) else None

    def _latest_card(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """The latest version of ``name`` and its card, or ``None`` (no version yet, or
        one whose card cannot be read: what is wrong with it is said where it is used).

        Only ``card.json`` is read (:meth:`_card_json`)."""
        try:
            versions = self.versions(name)
        except (ProspectError, OSError, ValueError):
            return None
        card = self._card_json(name, versions[-1]) if versions else None
        return (versions[-1], card) if card is not None else None

    def _other_model_line(self, model_dir: Path, name: str, version: str, latest: str,
                          differences: Sequence[str], *, same: str | None = None) -> str:
        """Why ``name``/``version``, just published, seems another model than
        ``name``/``latest`` (:func:`prospect.registry.card.other_model`).

        An import under a name that another model held (``--name dat-hiem`` given by a
        partner beside the registry's ``dat-hiem`` of another mineral) published the next
        version of that model without a word: ``model score dat-hiem`` then mapped the
        other target.

        ``same``: an earlier version whose card matches the new one
        (:meth:`_matching_version`). The model of ``name`` imported again after another
        model's version (lithium ``logit/1`` again after a gallium ``logit/2``) was told
        to be imported "under a name of its own" and removed, the model the name was
        made for; now the line names that version and the latest as the one that seems
        another model, with the import of the latest under a name of its own."""
        free = free_form(name, self._children(self.root))
        later = version == self.latest(name)
        head = (f"{self.url}: {name}/{version} is published as a version of {name}, but its "
                f"card is of another model than {name}/{latest}: "
                f"{'; '.join(differences)}"
                + (f"; 'prospect model score {name}' without --version now takes it"
                   if later else ""))
        if same is not None:
            other = self._join(name, latest)
            return (head + f". Its card is of the model of {name}/{same} (the same mineral, "
                    f"deposit type, region, features and labels), so {name}/{latest} is the "
                    f"one that seems another model: if it is not {name} trained again, "
                    f"import it under a name of its own (prospect model import "
                    f"{shlex.quote(other)} --name {free} -r {shlex.quote(self.url)}) and "
                    f"remove {shlex.quote(other)}")
        return (head + f". If it is not {name} trained again, import it under a name of its "
                f"own (prospect model import {shlex.quote(str(model_dir))} --name {free} -r "
                f"{shlex.quote(self.url)}) and remove {shlex.quote(self._join(name, version))}")

    def _refuse_lookalike(self, label: str, existing: Sequence[str], what: str,
                          kind: str) -> None:
        """Refuse ``label`` when an existing entry differs from it only in case (one folder
        on macOS and Windows disks) or sorts level with it (``1.0`` and ``1_0``, ``1`` and
        ``01``: which of them is the latest would be chance)."""
        for other in existing:
            if other == label:
                continue
            if other.casefold() == label.casefold():
                why = "differs from it only in case (one folder on macOS and Windows disks)"
            elif kind == "version" and _version_key(other) == _version_key(label):
                why = "sorts level with it, so which of them is the latest would be chance"
            else:
                continue
            fix = (f"publish to {other!r} or choose another name" if kind == "model"
                   else "choose another version label")
            raise ModelError(f"{self.url}: {what} {label!r} is refused: the existing "
                             f"{kind} {other!r} {why}; {fix}")

    def _publish_local(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with staged_dir(target, replace=False) as staging:  # never over a version
                for fname in _ALL_FILES:
                    data = (source / fname).read_bytes()
                    (staging / fname).write_bytes(data)
                    os.chmod(staging / fname, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        except OSError as exc:
            if not target.exists():
                raise
            raise ModelError(
                f"{target}: already exists (published concurrently?); versions are "
                "immutable, publish under a new version"
            ) from exc

    @contextmanager
    def _import_lock(self) -> Iterator[None]:
        """Hold the registry's import lock shared for the ``with`` block, after removing
        the leftovers of killed publishes when no other publish holds it
        (:meth:`sweep_staging`). A registry where the lock file cannot be written (read
        only) is published to without it: the publish fails there on its own."""
        root = Path(self.root)
        root.mkdir(parents=True, exist_ok=True)
        try:  # never through a link placed there
            fd = os.open(root / IMPORT_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ModelError(f"{root / IMPORT_LOCK}: a symbolic link where the registry "
                                 "keeps its import lock; remove it and import again") from None
            yield
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another publish is running: its staging folder is live
            else:
                self.swept = self._sweep_locked()
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def sweep_staging(self) -> list[str]:
        """Remove the hidden staging folders (``<name>/.<version>.staging-<8 hex>``) that
        publishes killed mid-copy left; returns ``name/folder`` of each removed.

        Only on a local disk, and only while no publish holds the import lock (then none
        is writing a staging folder; the kernel drops a killed publish's lock): ``[]``
        when one does. Only folders of that exact name under a valid model name are
        touched, never a link, a version or a file of someone else's.
        """
        if not self.is_local or not Path(self.root).is_dir():
            return []
        try:
            fd = os.open(Path(self.root) / IMPORT_LOCK,
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError:
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return []
        try:
            return self._sweep_locked()
        finally:
            os.close(fd)

    def _sweep_locked(self) -> list[str]:
        """:meth:`sweep_staging`'s work, with the import lock held alone."""
        removed = []
        for name in self._valid_children(self.root, check_name):
            folder = Path(self._join(name))
            found: list[os.DirEntry[str]] = []
            with contextlib.suppress(OSError), os.scandir(folder) as entries:
                found = [e for e in entries if _STAGING.match(e.name)
                         and e.is_dir(follow_symlinks=False)]
            for entry in found:
                match = _STAGING.match(entry.name)
                try:
                    check_version(match.group(1) if match else "")
                except SecurityError:
                    continue
                shutil.rmtree(entry.path, ignore_errors=True)
                if not os.path.lexists(entry.path):
                    removed.append(f"{name}/{entry.name}")
        return removed

    def _publish_remote(self, source: Path, target: str) -> None:
        for fname in MODEL_FILES:  # checksums.json last: until it exists, the version is hidden
            self.fs.pipe_file(f"{target}/{fname}", (source / fname).read_bytes())
        self.fs.pipe_file(f"{target}/{CHECKSUMS_FILE}", (source / CHECKSUMS_FILE).read_bytes())

    # -- fetch / load ------------------------------------------------------------------
    def _download(self, name: str, version: str, dest: Path) -> Path:
        for fname in _ALL_FILES:
            (dest / fname).write_bytes(self.fs.cat_file(self._join(name, version, fname)))
        return dest

    @contextmanager
    def _local_copy(self, name: str, version: str) -> Iterator[Path]:
        if self.is_local:
            yield Path(self._join(name, version))
            return
        with tempfile.TemporaryDirectory(prefix="prospect-model-") as tmp:
            yield self._download(name, version, Path(tmp))

    def fetch(self, name: str, version: str | None, dest: Path) -> Path:
        """Copy ``name``/``version`` into the local directory ``dest`` (created) and verify it."""
        version = self.resolve(name, version)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        self._download(name, version, dest)
        audit_model_dir(dest)
        return dest

    def load(
        self, name: str, version: str | None = None, *, trusted: Sequence[str] | None = None,
        fingerprint: str | None = None, allow_version_mismatch: bool = False,
    ) -> LoadedModel:
        """Verify and load ``name``/``version`` (latest when ``None``).

        ``fingerprint`` pins the exact model (see :func:`~prospect.registry.model_fingerprint`);
        ``allow_version_mismatch`` and the warning of other library versions: see
        :func:`~prospect.registry.load_model`.
        """
        version = self.resolve(name, version)
        with self._local_copy(name, version) as directory:
            return load_model(directory, trusted=trusted, fingerprint=fingerprint,
                              label=f"{name}/{version}",
                              allow_version_mismatch=allow_version_mismatch)

    def version_warning(self, name: str, version: str | None = None) -> str | None:
        """The line saying ``name``/``version`` was saved with other library versions than
        the installed ones (from its verified card), or ``None``."""
        version = self.resolve(name, version)
        return check_versions(self.card(name, version), f"{name}/{version}",
                              allow_version_mismatch=True)

    def fingerprint(self, name: str, version: str | None = None) -> str:
        """SHA-256 of the version's ``checksums.json`` (after verifying the checksums)."""
        version = self.resolve(name, version)
        with self._local_copy(name, version) as directory:
            audit_model_dir(directory, check_types=False)
            return model_fingerprint(directory)

    def card(self, name: str, version: str | None = None) -> dict[str, Any]:
        """The model card of ``name``/``version``, after verifying the checksums."""
        version = self.resolve(name, version)
        with self._local_copy(name, version) as directory:
            try:
                audit_model_dir(directory, check_types=False)
                card = read_card(directory)
                check_parts(str(directory), card, read_schema(directory))
            except ProspectError as exc:
                raise type(exc)(f"{name} version {version}: {exc}") from None
            return card

    def markdown(self, name: str, version: str | None = None) -> str:
        """The Markdown model card of ``name``/``version``, after verifying the checksums.

        The version's ``card.md`` when it says what its ``card.json`` says (the card the
        model is loaded and checked with); otherwise ``card.json`` rendered, under a note
        that names the first differing lines (:func:`markdown_differences`): a ``card.md``
        edited by hand and checksummed again showed people another skill, region or
        limitations than the model has.
        """
        version = self.resolve(name, version)
        with self._local_copy(name, version) as directory:
            try:
                audit_model_dir(directory, check_types=False)
                card = read_card(directory)
            except ProspectError as exc:
                raise type(exc)(f"{name} version {version}: {exc}") from None
            data = (directory / CARD_MD).read_bytes()
            why = markdown_disagreement(card, data)
            if why is None:
                return data.decode("utf-8")
            note = (f"> Note: {name} version {version}: {why}; {MARKDOWN_CAUSE}. Shown below "
                    "is card.json, the card the model is loaded and checked with, rendered "
                    "by this Prospect.")
            return f"{note}\n\n{card_markdown(card)}"
