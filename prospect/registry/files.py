"""Save and load one model directory: skops model, card, schema and checksums.

A model directory holds exactly::

    model.skops     the fitted estimator, written with skops (never pickle or joblib)
    card.json       the model card (facts, metrics, versions, config and its hash)
    card.md         the same card for people
    schema.json     the input schema the cube must match
    checksums.json  SHA-256 of each of the four files above

:func:`save_model` writes them to a staging directory next to the target and renames it
into place, so a reader sees a complete model or none. ``model.skops`` is written in a
canonical form (:func:`prospect.registry.reproducible.reproducible_skops`): the same
fitted model gives the same bytes, so a model retrained from the same inputs has the same
SHA-256 (the card's ``created`` time differs unless ``$SOURCE_DATE_EPOCH`` fixes it).
:func:`load_model` verifies the checksums, sniffs the model file (a pickle/joblib file is
refused before any byte of it is unpickled) and asks skops which types the file holds
before it builds anything.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospect.canonical import canonical
from prospect.errors import ModelError, SecurityError, memory_refused
from prospect.io.files import (
    bytes_sha256,
    file_sha256,
    staged_dir,
    write_bytes,
    write_json,
    write_text,
)
from prospect.nonfinite import restore_non_finite, strict_document
from prospect.registry.card import CARD_FORMAT, card_markdown, complete_card
from prospect.registry.checksums import (
    CHECKSUMS_FILE,
    NOT_PLAIN_HINT,
    decode_json_bytes,
    not_plain,
    not_plain_line,
    other_case,
    read_checksums,
    renamed_line,
    verify_checksums,
)
from prospect.registry.compat import (
    ModelVersionWarning,
    check_versions,
    mismatch_line,
    quiet_library_version_warnings,
    refuse_major,
)
from prospect.registry.consistency import check_parts, record_columns, schema_columns
from prospect.registry.reproducible import reproducible_skops, unread_members
from prospect.registry.schema import SCHEMA_FORMAT
from prospect.registry.sniff import HEAD_BYTES, refuse_unless_skops, sniff_file
from prospect.registry.trust import missing_here, split_untrusted

__all__ = [
    "CARD_JSON",
    "CARD_MD",
    "MODEL_FILE",
    "MODEL_FILES",
    "SCHEMA_FILE",
    "LoadedModel",
    "audit_model_dir",
    "check_format",
    "folder_kind",
    "is_model_dir",
    "load_model",
    "model_fingerprint",
    "read_card",
    "read_schema",
    "save_model",
    "verify_model_dir",
]

MODEL_FILE = "model.skops"
CARD_JSON = "card.json"
CARD_MD = "card.md"
SCHEMA_FILE = "schema.json"
MODEL_FILES: tuple[str, ...] = (MODEL_FILE, CARD_JSON, CARD_MD, SCHEMA_FILE)


@dataclass(frozen=True)
class LoadedModel:
    """A verified, loaded model: the estimator, its card and its input schema."""

    estimator: Any
    card: dict[str, Any]
    schema: dict[str, Any]
    directory: Path
    checksums: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    version_warning: str | None = None
    """The :class:`~prospect.registry.compat.ModelVersionWarning` line when the model was
    saved with other library versions than the ones installed (``None``: they agree)."""

    @property
    def feature_order(self) -> list[str]:
        """Cube variables in the order the estimator takes them."""
        return list(self.schema.get("feature_order") or [])


def _check_schema_shape(schema: Mapping[str, Any]) -> dict[str, Any]:
    variables = schema.get("variables")
    if not isinstance(variables, list) or not all(
        isinstance(v, Mapping) and "name" in v for v in variables
    ):
        raise ModelError("schema['variables'] must be a list of {name, units, dtype, ...}")
    full = {"format": SCHEMA_FORMAT, **canonical(dict(schema))}
    names = [v["name"] for v in full["variables"]]
    full.setdefault("feature_order", names)
    if full["feature_order"] is None:
        full["feature_order"] = names
    unknown = [n for n in full["feature_order"] if n not in names]
    if unknown:
        raise ModelError(f"schema feature_order names {unknown} that are not in its variables")
    return full


def model_fingerprint(directory: Path) -> str:
    """SHA-256 of ``checksums.json``: one value that pins every file of a saved model.

    Publish it next to a model (a paper, a README, a ticket); users who pass it to
    :func:`load_model` (``fingerprint=``) or ``prospect model score --fingerprint`` get
    exactly that model or an error, even from a registry someone else can write to.
    """
    return file_sha256(Path(directory) / CHECKSUMS_FILE)


def is_model_dir(directory: Path) -> bool:
    """True when ``directory`` looks like a saved model (has ``checksums.json``)."""
    return (Path(directory) / CHECKSUMS_FILE).is_file()


def _replaceable(directory: Path) -> bool:
    """Whether a save may replace ``directory``: a model directory, whole or damaged (one
    of a model's own files left: its ``checksums.json`` removed or lost in a crash, which
    the training stage's rerun must repair), never a file nor another folder."""
    return directory.is_dir() and (
        is_model_dir(directory)
        or any((directory / name).is_file() for name in MODEL_FILES))


def save_model(
    estimator: Any,
    directory: Path,
    *,
    card: Mapping[str, Any],
    schema: Mapping[str, Any],
    extras: Callable[[Path], None] | None = None,
) -> Path:
    """Save ``estimator`` with its card and input schema to ``directory``, atomically.

    Parameters
    ----------
    estimator
        A fitted scikit-learn-compatible classifier with ``predict_proba`` (saved with
        skops); one that gives no probabilities (a hard voting, an ``SVC`` without
        ``probability=True``, a regressor) is refused with what gives them
        (:func:`prospect.models.uncertainty.probability_problem`).
    directory
        Target directory. An existing *model* directory there is replaced atomically (a
        re-run of a training stage); any other existing path is refused.
    card
        Facts about the model: mineral, deposit_type, region (grid ``describe()``),
        training_data (``[{path, sha256}]``), features, cv (``{scheme, block_size, n_splits,
        metrics}``), calibration, limitations, config, config_hash, synthetic.
    schema
        Input schema: ``{variables: [{name, units, dtype, prospect_kind, provenance}], crs,
        resolution, feature_order}`` (see :func:`prospect.registry.schema_from_cube`).
    extras
        Writes the files that travel beside the model (a training's ``metrics.json``,
        ``oof_predictions.csv`` and ``report/``) into the folder it is given, the staging
        folder, after the model's own files: the model is published with them or, where
        they fail, not at all (an existing model there is left as it was). They are not
        listed in ``checksums.json``, so the fingerprint is the model's alone. ``None``:
        the model's files only.

    Returns
    -------
    Path
        ``directory``.
    """
    directory = Path(directory)
    if directory.exists() and not _replaceable(directory):
        raise ModelError(
            f"{directory}: exists and is not a Prospect model directory; move or remove it, "
            "or choose another path"
        )
    from prospect.models.uncertainty import probability_problem

    problem = probability_problem(estimator)  # never saved what no map can be made of
    if problem is not None:
        raise ModelError(f"{directory}: {problem}; nothing was saved")
    full_schema = _check_schema_shape(schema)
    full_card = complete_card(card, estimator, full_schema)
    check_parts(str(directory), full_card, full_schema, estimator)  # never saved unusable
    # the column names travel inside model.skops: a schema and card reordered together by
    # hand then disagree with the estimator itself
    record_columns(estimator, schema_columns(full_schema)[0])
    directory.parent.mkdir(parents=True, exist_ok=True)
    import skops.io as sio  # here: its import loads every scikit-learn module (~1.5 s)

    with staged_dir(directory) as staging:
        try:
            data = sio.dumps(estimator)
        except Exception as exc:
            raise ModelError(
                f"cannot save {type(estimator).__name__} with skops: {exc}"
            ) from exc
        # the same estimator, the same bytes (skops names members by object id, stamps
        # the time): a model retrained from the same inputs has the same SHA-256
        write_bytes(staging / MODEL_FILE, reproducible_skops(data))
        # strict JSON: a NaN (a nodata, an undefined figure) is null, and listed as NaN
        write_json(staging / CARD_JSON, strict_document(full_card), indent=2, sort_keys=True)
        write_text(staging / CARD_MD, card_markdown(full_card))
        write_json(staging / SCHEMA_FILE, strict_document(full_schema), indent=2,
                   sort_keys=True)
        sums = {name: file_sha256(staging / name) for name in MODEL_FILES}
        write_json(staging / CHECKSUMS_FILE, {"algorithm": "sha256", "files": sums},
                   strict=False, indent=2, sort_keys=True)
        if extras is not None:  # a failure here publishes nothing: never a model without
            extras(staging)     # the metrics and report it was trained with
    return directory


def _model_folders(directory: Path) -> list[str]:
    """Names of the folders directly under ``directory`` that are model directories."""
    try:
        return sorted(p.name for p in directory.iterdir()
                      if not p.name.startswith(".") and is_model_dir(p))
    except OSError:
        return []


def folder_kind(directory: Path) -> str | None:
    """What a folder that is no model directory is, with the fix, when it holds models
    (``None``: it holds none).

    A registry's folder of one model (its versions ``1``, ``2``) or the registry itself,
    given where a model directory is wanted, read as "no model.skops; files there: none"
    (or a lock file): as if the model were missing.
    """
    directory = Path(directory)
    versions = _model_folders(directory)
    if versions:
        shown = ", ".join(versions[:10]) + (", ..." if len(versions) > 10 else "")
        return (f"a folder of model versions ({shown}), as a registry keeps one model; give "
                f"one version's folder (e.g. {directory / versions[-1]}), or use it from the "
                f"registry: -r {directory.parent} with the name {directory.name!r}")
    try:
        names = sorted(p.name for p in directory.iterdir()
                       if not p.name.startswith(".") and p.is_dir() and _model_folders(p))
    except OSError:
        return None
    if names:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        return (f"a model registry (models: {shown}); give one model version's folder "
                f"(e.g. {directory / names[0] / _model_folders(directory / names[0])[-1]}),"
                f" or use the registry with -r {directory}")
    return None


def _archive_kind(path: Path) -> str | None:
    """``path`` described as an archive, with the fix, else ``None``. Only the archive's
    list of names is read, nothing is unpacked or loaded.

    A zip or tar whose member names end in ``checksums.json`` is an archive of a model
    directory. One holding a model's other files (``model.skops``, ``card.json``,
    ``card.md``) but no ``checksums.json`` is said as such; so is any other tar (gzipped
    too): it was "a gzip (joblib compressed pickle?) file" whose loading "runs arbitrary
    code", the fix to re-save the model. A zip of none of them is ``None`` (a skops file
    is a zip; the caller names it, or a bare zip file).
    """
    import tarfile
    import zipfile

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names, kind = zf.namelist(), "zip"
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as tf:
                names, kind = tf.getnames(), "tar"
        else:
            return None
    except (OSError, EOFError, ValueError, tarfile.TarError, zipfile.BadZipFile):
        return None
    # a zip made on Windows may name members with backslashes (``m\\checksums.json``)
    # or in capitals (``M/CHECKSUMS.JSON``): both were "a bare zip file"
    held = {n.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].casefold() for n in names}
    if CHECKSUMS_FILE in held:
        return (f"a {kind} archive of a model directory; unpack it (and check what it "
                "holds: Prospect does not unpack archives), then give the unpacked model "
                "folder")
    # a skops file is itself a zip holding a schema.json: only the model's own files
    files = sorted(held & {MODEL_FILE, CARD_JSON, CARD_MD})
    if not files and kind == "zip":
        return None
    shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
    return (f"a {kind} archive ({len(names)} member(s): {shown}) holding no model directory"
            + (f" (it has {', '.join(files)} but no {CHECKSUMS_FILE})" if files else
               f" (no {CHECKSUMS_FILE} under any name)")
            + "; Prospect does not unpack archives: give a model directory as "
            "prospect.registry.save_model or a job's model/ writes it (model.skops, "
            f"card.json, schema.json and {CHECKSUMS_FILE})")


def _refuse_plain_file(path: Path) -> None:
    archive = _archive_kind(path)
    if archive is not None:  # was "a bare zip file", or a gzip read as a joblib pickle
        raise ModelError(f"{path}: {archive}")
    kind = sniff_file(path)
    if path.name in (*MODEL_FILES, CHECKSUMS_FILE) and is_model_dir(path.parent) and not (
            kind.startswith("pickle") or "pickle?" in kind or "joblib" in kind):
        # a model's card.json was "not a skops model file (format: unknown)"
        raise ModelError(f"{path}: one file of the model directory {path.parent}; give "
                         f"the folder itself: {path.parent}")
    with open(path, "rb") as fh:
        refuse_unless_skops(fh.read(HEAD_BYTES), source=str(path))
    raise ModelError(
        f"{path}: a bare {kind} file; give the model directory (with card.json, schema.json "
        "and checksums.json) written by prospect.registry.save_model"
    )


def verify_model_dir(directory: Path) -> dict[str, str]:
    """Check ``directory`` is a complete model whose files match their checksums.

    Sniffs the model file first, then verifies every SHA-256. Returns the checksums.
    """
    directory = Path(directory)
    if directory.is_file():
        _refuse_plain_file(directory)
    if not directory.is_dir():
        if (kind := not_plain(directory)) is not None:  # a FIFO was "no such" folder
            raise ModelError(f"{directory}: {kind}, not a model directory; give the model "
                             "folder (with model.skops, card.json, schema.json and "
                             f"{CHECKSUMS_FILE}) written by prospect.registry.save_model")
        if directory.is_symlink():  # a link to nothing was "no such model directory"
            raise ModelError(f"{directory}: a symbolic link to {os.readlink(directory)}, "
                             "which does not exist; point it at the model folder, or give "
                             "the folder itself")
        raise ModelError(f"{directory}: no such model directory")
    links = [n for n in (*MODEL_FILES, CHECKSUMS_FILE) if (directory / n).is_symlink()]
    if links:  # git-annex and DVC keep files so; the message gave no way out
        dangling = [n for n in links if not (directory / n).exists()]
        raise SecurityError(
            f"{directory}: {', '.join(links)} {'is a' if len(links) == 1 else 'are'} symbolic "
            "link(s); a model directory must hold plain files; refused"
            + (f" ({', '.join(dangling)} point{'s' if len(dangling) == 1 else ''} to no "
               "file: content not fetched, as git-annex and DVC leave it: 'git annex get' "
               "or 'dvc pull' first)" if dangling else "")
            + "; copy the folder with its links replaced by their files (cp -rL, "
            "rsync -L) and give that copy")
    model_path = directory / MODEL_FILE
    if (kind := not_plain(model_path)) is not None:  # a FIFO was "no model.skops"
        raise SecurityError(f"{directory}: {not_plain_line(MODEL_FILE, kind)}; "
                            f"{NOT_PLAIN_HINT}; refused")
    if model_path.is_file():
        with open(model_path, "rb") as fh:
            refuse_unless_skops(fh.read(HEAD_BYTES), source=str(model_path))
    else:
        others = sorted(p.name for p in directory.iterdir() if p.is_file())
        for name in others:  # a directory holding model.pkl / model.joblib: say what it is
            if name.endswith((".pkl", ".pickle", ".joblib", ".sav", ".pt")):
                with open(directory / name, "rb") as fh:
                    refuse_unless_skops(fh.read(HEAD_BYTES), source=str(directory / name))
        kind = folder_kind(directory)
        if kind is not None:
            raise ModelError(f"{directory}: no {MODEL_FILE}: {kind}")
        other = other_case(directory, MODEL_FILE)
        if other is not None:  # was "no model.skops; files there: ['Model.skops', ...]"
            raise ModelError(f"{directory}: {renamed_line(MODEL_FILE, other)} (and any "
                             "other file named so), then load it again")
        raise ModelError(f"{directory}: no {MODEL_FILE}; files there: {others or 'none'}")
    sums = read_checksums(directory, required=MODEL_FILES)
    verify_checksums(directory, sums)
    return sums


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(decode_json_bytes(path.read_bytes()))  # a BOM of Notepad's
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: unreadable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object")
    return restore_non_finite(data)  # NaN written null (strict JSON) back to NaN


_CARD_TYPES: dict[str, tuple[type, ...]] = {
    "mineral": (str,), "deposit_type": (str,), "synthetic": (bool,), "created": (str,),
    "estimator": (dict,), "region": (dict,), "cv": (dict,), "features": (list,),
    "training_data": (list,), "limitations": (list,), "versions": (dict,),
    "input_schema": (dict,), "config_hash": (str,),
}
_SCHEMA_TYPES: dict[str, tuple[type, ...]] = {
    "variables": (list,), "feature_order": (list,), "crs": (str,),
    "resolution": (int, float),
}
_TYPE_NAMES = {str: "a string", bool: "true or false", dict: "an object", list: "a list",
               int: "a number", float: "a number"}


def _check_types(data: dict[str, Any], types: Mapping[str, tuple[type, ...]],
                 path: Path) -> dict[str, Any]:
    """``data`` when each known key (if present and not null) has its JSON type."""
    for key, allowed in types.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
            raise ModelError(f"{path}: key {key!r} must be {_TYPE_NAMES[allowed[0]]}, got "
                             f"{type(value).__name__} {str(value)[:40]!r}")
    return data


def _format_number(text: str, expected: str) -> int | None:
    """The version number of a format string of ``expected``'s kind (``kind/N``), else
    ``None`` (another kind of file, or no number)."""
    kind = expected.rpartition("/")[0]
    found_kind, sep, found_number = text.rpartition("/")
    if not sep or found_kind != kind or not found_number.isdigit():
        return None
    return int(found_number)


def check_format(path: Path, found: Any, expected: str, *, writer: str | None = None,
                 missing_ok: bool = False) -> None:
    """Refuse a model file whose ``format`` is not the one this Prospect reads.

    A later Prospect that changes what a key of ``card.json`` or ``schema.json`` means
    writes a new format number; read with the rules of format 1 such a file would be
    taken by what it no longer says. A newer number is refused naming both numbers, the
    Prospect version that wrote the model (the card's ``versions.prospect``) and the fix
    (upgrade Prospect, or retrain with this one); anything else is "not a Prospect ...".

    Parameters
    ----------
    path
        The file, for messages.
    found
        Its ``format`` value (``None`` when absent).
    expected
        The format this Prospect writes and reads (``prospect-model-card/1``).
    writer
        The Prospect version recorded with the model, if any.
    missing_ok
        Take a file without ``format`` as this one (schemas assembled by hand).
    """
    if found == expected or (found is None and missing_ok):
        return
    from prospect.versions import library_versions

    running = library_versions().get("prospect", "unknown")
    current = _format_number(expected, expected)
    number = _format_number(found, expected) if isinstance(found, str) else None
    by = f" (written by Prospect {writer})" if writer else ""
    if number is not None and current is not None and number > current:
        raise ModelError(
            f"{path}: format {found!r}{by} is newer than this Prospect {running} reads "
            f"({expected!r}): a later Prospect wrote this model, and reading it by the "
            f"rules of format {current} could take its keys for what they no longer mean; "
            "upgrade Prospect to a version that reads it, or retrain the model with this "
            "one")
    raise ModelError(
        f"{path}: format {found!r}{by} is not one this Prospect {running} reads "
        f"({expected!r}); give a model directory written by prospect.registry.save_model "
        "(prospect train, prospect model import)")


def _saved_with(card: Mapping[str, Any]) -> str | None:
    """The scikit-learn version ``card`` records (``None``: none)."""
    versions = card.get("versions")
    value = versions.get("scikit-learn") if isinstance(versions, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _writer(card: Mapping[str, Any]) -> str | None:
    versions = card.get("versions")
    value = versions.get("prospect") if isinstance(versions, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def read_card(directory: Path) -> dict[str, Any]:
    """The model card of a *verified* model directory (keys of the wrong type refused,
    a format of a newer Prospect refused with the fix)."""
    card = _read_json(Path(directory) / CARD_JSON)
    check_format(Path(directory) / CARD_JSON, card.get("format"), CARD_FORMAT,
                 writer=_writer(card))
    return _check_types(card, _CARD_TYPES, Path(directory) / CARD_JSON)


def read_schema(directory: Path, *, writer: str | None = None) -> dict[str, Any]:
    """The input schema of a *verified* model directory (keys of the wrong type refused,
    a format of a newer Prospect refused; ``writer``: the Prospect version of the card,
    for that message)."""
    path = Path(directory) / SCHEMA_FILE
    data = _read_json(path)
    check_format(path, data.get("format"), SCHEMA_FORMAT, writer=writer, missing_ok=True)
    schema = _check_types(data, _SCHEMA_TYPES, path)
    bad = [v for v in schema.get("variables") or [] if not isinstance(v, dict)
           or not isinstance(v.get("name"), str)]
    bad += [n for n in schema.get("feature_order") or [] if not isinstance(n, str)]
    if bad:
        raise ModelError(f"{path}: variables must be objects with a string 'name' and "
                         f"feature_order a list of names; got {str(bad[0])[:40]!r}")
    return schema


def audit_model_dir(
    directory: Path, *, trusted: Sequence[str] | None = None, check_types: bool = True
) -> list[str]:
    """Verify a model directory without building the estimator.

    Checks the file format (no pickle/joblib), the SHA-256 checksums and, when
    ``check_types``, that every type in the skops file is trusted. Returns the type paths
    to pass to skops as trusted.
    """
    directory = Path(directory)
    verify_model_dir(directory)
    if not check_types:
        return []
    return _accepted_types(directory / MODEL_FILE, (directory / MODEL_FILE).read_bytes(), trusted)


MAX_INFLATION = 100
"""How many times its own size a skops file's members may hold, past
:data:`INFLATION_FLOOR`. Prospect and skops store members uncompressed (1x); arrays of a
fitted model deflate a few times at most; a zip bomb holds thousands of times its size."""
INFLATION_FLOOR = 64 * 2**20
"""Bytes of members any skops file may hold whatever its compression."""


def _refuse_inflation(path: Path, data: bytes) -> None:
    """Refuse a skops file whose members, unpacked, would hold far more than the file
    (a zip bomb: skops reads each member whole into memory, so a file of a few megabytes
    could exhaust the machine before any type was checked). Only the zip's directory is
    read."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(max(int(info.file_size), 0) for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable skops file: {exc}") from None
    if total > INFLATION_FLOOR and total > MAX_INFLATION * len(data):
        raise SecurityError(
            f"{path}: refused: its {len(data):,} bytes unpack to {total:,} bytes "
            f"({total / max(len(data), 1):,.0f} times its size; a model file holds at most "
            f"{MAX_INFLATION} times): a zip bomb, or a file damaged on the way; nothing "
            "was unpacked. Ask its author for the model folder as saved")


def _refuse_unread_members(path: Path, data: bytes) -> None:
    """Refuse a skops file holding members skops never reads (beside ``schema.json`` and
    the arrays it names) or a member name twice: a file edited after it was saved, whose
    checksum was written again. Nothing of it is unpacked or built."""
    stray = unread_members(data)
    if stray:
        shown = ", ".join(ascii(name) for name in stray[:5]) + (
            f" and {len(stray) - 5} more" if len(stray) > 5 else "")
        raise SecurityError(
            f"{path}: refused: it holds zip members no part of the model is read from: "
            f"{shown}. A skops file holds schema.json and the arrays it names, once each, so "
            "this one was edited or assembled after it was saved; nothing was loaded. Ask "
            "its author for the model folder as saved (prospect.registry.save_model writes "
            "it)")


def _accepted_types(path: Path, data: bytes, trusted: Sequence[str] | None, *,
                    saved_with: str | None = None) -> list[str]:
    refuse_unless_skops(data[:HEAD_BYTES], source=str(path))
    _refuse_inflation(path, data)
    _refuse_unread_members(path, data)
    try:
        import skops.io as sio

        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        if memory_refused(exc):  # the process's memory (ulimit -v), not the file
            raise
        raise ModelError(f"{path}: not a readable skops file: {exc}") from None
    accepted, refused = split_untrusted(untrusted, trusted=trusted)
    if refused and all(missing_here(t) for t in refused):
        # scikit-learn's own classes, moved or added by another release: "not trusted,
        # --trust it" sent the user to a flag that then failed inside skops
        from prospect.registry.compat import SKLEARN, _installed

        running = _installed(SKLEARN) or "not installed"
        saved = f"scikit-learn {saved_with}" if saved_with else "another scikit-learn"
        pin = f"scikit-learn=={saved_with}" if saved_with else "the scikit-learn it was saved with"
        raise ModelError(
            f"{path}: holds classes the installed scikit-learn {running} does not have: "
            f"{', '.join(refused)}; the model was saved with {saved}. To fix: install {pin} "
            "or retrain the model with this one")
    if refused:
        raise SecurityError(
            f"{path}: refused: it holds types that are not trusted: {', '.join(refused)}. "
            "Only if you trust the model's author, list them with trusted=[...] "
            "(CLI: --trust TYPE)"
        )
    return accepted


def _pinned(fingerprint: str) -> str:
    """A fingerprint as given (``sha256:<hex>``, upper case, spaces) as 64 hex digits; text
    that is no SHA-256 is refused as such (it read as "not the model you pinned")."""
    text = fingerprint.strip().lower().removeprefix("sha256:").strip()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ModelError(f"fingerprint {fingerprint[:80]!r} is not a SHA-256 (64 hex "
                         "digits); copy it from 'prospect model show'")
    return text


def load_model(
    directory: Path, *, trusted: Sequence[str] | None = None, fingerprint: str | None = None,
    label: str | None = None, allow_version_mismatch: bool = False,
) -> LoadedModel:
    """Verify and load a model directory written by :func:`save_model`.

    Parameters
    ----------
    directory
        The model directory (a registry version directory, or a training stage output).
    trusted
        Extra type paths to trust beyond scikit-learn's and ``prospect.models``' classes.
    fingerprint
        Expected :func:`model_fingerprint` (SHA-256 of ``checksums.json``); refuses any
        other model, even one whose files match their own checksums.
    label
        The model's name in messages (``name/version``; default: ``directory``).
    allow_version_mismatch
        Load a model saved with another *major* version of scikit-learn (refused otherwise).

    Warns
    -----
    ModelVersionWarning
        Once, when the model was saved with another scikit-learn version (or NumPy major
        version) than the installed one; the line is also :attr:`LoadedModel.version_warning`.
        Scikit-learn's own ``InconsistentVersionWarning`` s are not shown.

    Raises
    ------
    SecurityError
        A pickle/joblib file, a checksum or fingerprint mismatch, or types nobody trusted.
    ModelError
        Not a model directory, skops cannot read it, or another major scikit-learn version.
    """
    directory = Path(directory)
    attempt = 0
    while True:
        before = _identity(directory)
        try:
            return _load_model_once(directory, trusted=trusted, fingerprint=fingerprint,
                                    label=label, allow_version_mismatch=allow_version_mismatch)
        except (SecurityError, ModelError, OSError):
            # a read that met two models' files (or none) while a training or an import
            # published a model there was "tampered or corrupt": read it again
            attempt += 1
            if not _replaced(directory, before) or (
                    attempt == _SWAP_TRIES and _identity(directory) == before):
                raise  # the same folder: its own fault (a leftover aside, no swap)
            if attempt == _SWAP_TRIES:
                raise ModelError(
                    f"{directory}: replaced by another model {_SWAP_TRIES} times while it "
                    "was read (a training or 'prospect model import' publishing models "
                    "there); run the command again once that has finished") from None
        time.sleep(0.05 * attempt)  # the publisher's renames take milliseconds


_SWAP_TRIES = 5


def _identity(directory: Path) -> tuple[int, int] | None:
    """The model folder's device and inode (``None`` where there is none): a model
    published there by :func:`save_model` is a new folder renamed into its place."""
    try:
        st = os.stat(directory)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _replaced(directory: Path, before: tuple[int, int] | None) -> bool:
    """Whether ``directory`` was replaced while it was read (another folder there now, or
    none with the last one renamed aside beside it, ``.<name>.old-*``,
    :func:`prospect.io.files.publish_dir`): a read that met two models' files, or none, is
    a race with the publisher, not a changed or missing model."""
    now = _identity(directory)
    if now != before:
        return True
    return now is None and any(directory.parent.glob(f".{directory.name}.old-*"))


def _load_model_once(
    directory: Path, *, trusted: Sequence[str] | None, fingerprint: str | None,
    label: str | None, allow_version_mismatch: bool,
) -> LoadedModel:
    """:func:`load_model`'s one reading of ``directory``."""
    label = label or str(directory)
    sums = verify_model_dir(directory)
    actual = model_fingerprint(directory)
    fingerprint = None if fingerprint is None else _pinned(fingerprint)
    if fingerprint is not None and actual != fingerprint:
        raise SecurityError(
            f"{directory}: fingerprint {actual} is not the expected {fingerprint}; this is "
            "not the model you pinned (replaced or re-saved); refused"
        )
    card = read_card(directory)
    schema = read_schema(directory, writer=_writer(card))
    note = check_versions(card, label, allow_version_mismatch=allow_version_mismatch)
    data = (directory / MODEL_FILE).read_bytes()
    if bytes_sha256(data) != sums[MODEL_FILE]:  # changed between verification and reading
        raise SecurityError(f"{directory / MODEL_FILE}: changed while loading; refused")
    accepted = _accepted_types(directory / MODEL_FILE, data, trusted,
                               saved_with=_saved_with(card))
    with quiet_library_version_warnings() as in_file:
        try:
            import skops.io as sio

            estimator = sio.loads(data, trusted=accepted)
        except Exception as exc:
            if memory_refused(exc):  # the process's memory (ulimit -v), not the file
                raise
            why = f"; {note}" if note is not None else ""  # another version's state
            raise ModelError(f"{directory / MODEL_FILE}: skops could not load it: {exc}"
                             f"{why}") from None
    if in_file and note is None:  # the file says what its card does not
        refuse_major(label, in_file, allow_version_mismatch)
        note = mismatch_line(label, in_file)
    check_parts(label, card, schema, estimator)
    if note is not None:
        warnings.warn(ModelVersionWarning(note), stacklevel=2)
    return LoadedModel(
        estimator=estimator, card=card, schema=schema, directory=directory, checksums=sums,
        fingerprint=actual, version_warning=note,
    )
