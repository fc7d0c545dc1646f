"""Library versions a model was saved with against the ones installed now.

A model card records the library versions it was written with (``versions`` in
``card.json``). Scikit-learn only promises that a model behaves the same under the exact
version that saved it; a different one may read the estimator's state differently and
give other probabilities. Loading such a model gives one :class:`ModelVersionWarning`
line (which model, saved with X, running Y, what to do); a different *major* version of
scikit-learn is refused unless the user opts in (``allow_version_mismatch=True``, CLI
``--allow-version-mismatch``). NumPy is compared too when the card records it: only a
different major version (1 -> 2 changed how arrays are stored) is worth a warning. A model
saved with a *newer* Prospect than the installed one is refused likewise (its own
estimators' state and its card may hold what this release reads wrongly or not at all);
an older Prospect's model loads as before.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from packaging.version import InvalidVersion, Version

from prospect.errors import DataWarning, ModelVersionError
from prospect.recorded import recording

__all__ = [
    "ModelVersionWarning",
    "VersionMismatch",
    "check_versions",
    "mismatch_line",
    "quiet_library_version_warnings",
    "refuse_major",
    "version_mismatches",
]

SKLEARN = "scikit-learn"
NUMPY = "numpy"
PROSPECT = "prospect"


class ModelVersionWarning(DataWarning):
    """A model was saved with other library versions than the ones installed."""


@dataclass(frozen=True)
class VersionMismatch:
    """One library whose version differs between a model's card and this environment."""

    library: str
    saved: str
    running: str

    @property
    def major(self) -> bool:
        """Whether the major versions differ (``0.24`` vs ``1.5``, ``1.26`` vs ``2.1``)."""
        return _major(self.saved) != _major(self.running)

    @property
    def newer(self) -> bool:
        """Whether the version saved with is a later release than the one running, by
        release number (``0.2.0`` after ``0.1.0``; a development or local build of the
        same release is not later); a version that is no release number counts as later
        (unknown)."""
        try:
            return Version(self.saved).release > Version(self.running).release
        except InvalidVersion:
            return True

    @property
    def refused(self) -> bool:
        """Whether loading needs the user's opt-in: another major scikit-learn, or a
        newer Prospect."""
        return (self.library == SKLEARN and self.major) or (
            self.library == PROSPECT and self.newer)


def _major(version: str) -> str:
    return version.strip().split(".", 1)[0]


def _installed(library: str) -> str | None:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return None


def _recorded(card: Mapping[str, Any], library: str) -> str | None:
    versions = card.get("versions")
    value = versions.get(library) if isinstance(versions, Mapping) else None
    if not isinstance(value, str) or not value.strip() or value == "not installed":
        return None
    return value.strip()


def version_mismatches(card: Mapping[str, Any]) -> list[VersionMismatch]:
    """The libraries whose recorded version in ``card`` differs from the installed one.

    Scikit-learn: any different version. NumPy: a different major version. Prospect: a
    newer release. Libraries the card does not record (older cards) are not compared.
    """
    found = []
    for library in (SKLEARN, NUMPY, PROSPECT):
        saved, running = _recorded(card, library), _installed(library)
        if saved is None or running is None or saved == running:
            continue
        mismatch = VersionMismatch(library, saved, running)
        if library == SKLEARN or (library == NUMPY and mismatch.major) or \
                (library == PROSPECT and mismatch.newer):
            found.append(mismatch)
    return found


def mismatch_line(label: str, mismatches: list[VersionMismatch]) -> str:
    """One line: which model, saved with which versions, running which, and the fix."""
    saved = ", ".join(f"{m.library} {m.saved}" for m in mismatches)
    running = ", ".join(f"{m.library} {m.running}" for m in mismatches)
    pins = " ".join(f"{m.library}=={m.saved}" for m in mismatches)
    return (f"model {label}: saved with {saved}, running {running}; its results may differ "
            f"from its author's. To fix: retrain it here, or install {pins}")


def check_versions(card: Mapping[str, Any], label: str, *,
                   allow_version_mismatch: bool = False) -> str | None:
    """The mismatch line for ``card`` (``None`` when the versions agree).

    Raises
    ------
    ModelVersionError
        A different major version of scikit-learn, unless ``allow_version_mismatch``.
    """
    mismatches = version_mismatches(card)
    if not mismatches:
        return None
    refuse_major(label, mismatches, allow_version_mismatch)
    return mismatch_line(label, mismatches)


def refuse_major(label: str, mismatches: list[VersionMismatch], allowed: bool) -> None:
    """Raise :class:`~prospect.errors.ModelVersionError` for a scikit-learn major-version
    difference, or a model of a newer Prospect, unless allowed."""
    refused = [m for m in mismatches if m.refused]
    if not refused or allowed:
        return
    m = refused[0]
    if m.library == PROSPECT:
        raise ModelVersionError(
            f"model {label}: saved with Prospect {m.saved}, running {m.running} (a newer "
            "release, whose model card and estimators this one may read wrongly); refused. "
            f"To fix: install prospect {m.saved} or later, or retrain the model with this "
            "one; to use it anyway, pass --allow-version-mismatch "
            "(allow_version_mismatch=True)", library=m.library, saved=m.saved,
            running=m.running)
    raise ModelVersionError(
        f"model {label}: saved with scikit-learn {m.saved}, running {m.running} (another "
        "major version, whose estimators may be read wrongly); refused. To fix: install "
        f"scikit-learn=={m.saved} or retrain the model; to use it anyway, pass "
        "--allow-version-mismatch (allow_version_mismatch=True)",
        library=m.library, saved=m.saved, running=m.running,
    )


@contextmanager
def quiet_library_version_warnings() -> Iterator[list[VersionMismatch]]:
    """Within the block, scikit-learn's ``InconsistentVersionWarning`` s are not shown but
    collected, once per version pair, into the list yielded (filled when the block ends).

    They name site-packages paths and come once per fitted sub-estimator (a forest gives
    one per tree); Prospect says the same once, in words (:func:`mismatch_line`).
    """
    found: list[VersionMismatch] = []
    try:
        from sklearn.exceptions import InconsistentVersionWarning
    except ImportError:  # pragma: no cover - scikit-learn < 1.3 has no such warning
        yield found
        return
    caught: list[warnings.WarningMessage] = []
    try:
        with recording(InconsistentVersionWarning, others=True) as caught:
            warnings.simplefilter("always", InconsistentVersionWarning)
            yield found
    finally:  # the warnings module is restored first: other warnings are shown as usual
        for w in caught:
            if not isinstance(w.message, InconsistentVersionWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            m = VersionMismatch(SKLEARN, str(w.message.original_sklearn_version),
                                str(w.message.current_sklearn_version))
            if m not in found:
                found.append(m)
