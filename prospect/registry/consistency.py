"""Do a model directory's files describe one model?

Checksums prove that each file is the one saved beside the others, not that the files
belong together: a ``schema.json`` copied from another model (and checksummed again, as
``prospect model import`` of a hand-assembled folder does) fed the estimator other columns
than it was fitted on. Scoring then stopped inside scikit-learn (``X has 16 features, but
ColumnTransformer is expecting 17``), or, with as many columns in another order, made a
map from the wrong features without a word.

:func:`part_differences` compares what the files say of each other: the card's copy of the
input schema (``input_schema``: features, CRS and cell size), its ``region`` and its input
layers (``features``: names, units and kinds) with ``schema.json``, the schema's feature
spec with its feature order, the number of columns the schema makes with the number the
estimator takes (and the card says it takes), the names of the columns the estimator was
fitted on (recorded in ``model.skops`` when it was saved, :func:`record_columns`, and
scikit-learn's own ``feature_names_in_`` of a model fitted on a table,
:func:`fitted_names`) with the schema's, the categorical columns the schema names with the
ones the estimator's encoder was fitted on, the estimator class and class labels the
card records with the ones in ``model.skops``, and the card's ``synthetic`` flag with its
config and limitations. Facts a file does not record (older models) are not compared.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import Any

from prospect.errors import ModelError

__all__ = ["COLUMNS_ATTRIBUTE", "check_parts", "fitted_names", "markdown_differences",
           "n_features_in", "part_differences", "record_columns", "recorded_columns",
           "schema_columns"]

COLUMNS_ATTRIBUTE = "prospect_columns_"
"""The attribute :func:`record_columns` sets on an estimator before it is saved: the names
of the columns it was fitted on, in order. It travels inside ``model.skops`` (a list of
strings), so a ``schema.json`` and card whose ``feature_order`` were both reordered by hand
(checksums written again) no longer pass for the estimator's. Not scikit-learn's
``feature_names_in_``: setting that on an estimator fitted on arrays would make every
``predict`` on an array warn. Models saved before carry none and are not compared."""


def schema_columns(schema: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """The columns a model with input ``schema`` is given, and the categorical ones.

    Returns
    -------
    tuple[list[str], list[int]]
        Column names in order (cube variables, then focal statistics) and the positions
        of the categorical columns (empty for a plain schema without ``feature_spec``).

    Raises
    ------
    ModelError
        The schema's ``feature_spec`` cannot be read.
    """
    from prospect.features import FeatureSpec

    spec_data = schema.get("feature_spec")
    if not spec_data:
        return [str(n) for n in schema.get("feature_order") or []], []
    try:
        spec = FeatureSpec.from_dict(dict(spec_data))
        return spec.names(), spec.categorical_indices()
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelError(f"'feature_spec' is not a feature spec ({type(exc).__name__}: "
                         f"{str(exc)[:80]})") from None


def _compare(what: str, other: str, have: list[str], want: list[str]) -> str:
    """``what`` (a list of names) against ``other`` (``want``), in a few words: the names
    one has and the other lacks, else the first place their order differs."""
    only_here = [n for n in have if n not in want]
    only_there = [n for n in want if n not in have]
    if only_here or only_there:
        parts = ([f"{other} lacks {only_here[:5]}"] if only_here else []) + \
            ([f"{what} lack {only_there[:5]}"] if only_there else [])
        return f"{what} are not {other}: " + ", ".join(parts)
    i = next((i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b),
             min(len(have), len(want)))
    return (f"{what} are {other} in another order (column {i}: "
            f"{have[i] if i < len(have) else None!r}, not "
            f"{want[i] if i < len(want) else None!r})")


def n_features_in(estimator: Any) -> int | None:
    """The number of input columns a fitted estimator takes (``None``: it does not say)."""
    try:
        n = getattr(estimator, "n_features_in_", None)
    except Exception:  # a property of an unfitted step
        return None
    return int(n) if n is not None and hasattr(n, "__index__") else None


def record_columns(estimator: Any, columns: list[str]) -> None:
    """Record on ``estimator`` the names of the columns it takes, in order, to be saved
    with it (:data:`COLUMNS_ATTRIBUTE`). An object that takes no attribute is left as is.

    Parameters
    ----------
    estimator
        The fitted estimator about to be saved.
    columns
        Its column names in order (:func:`schema_columns` of its input schema).
    """
    with contextlib.suppress(AttributeError, TypeError):  # __slots__: nothing recorded
        setattr(estimator, COLUMNS_ATTRIBUTE, [str(c) for c in columns])


def recorded_columns(estimator: Any) -> list[str] | None:
    """The column names recorded in a saved estimator (``None``: a model saved before
    they were recorded, or a value that is not a list of names)."""
    names = getattr(estimator, COLUMNS_ATTRIBUTE, None)
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        return None
    return list(names)


def fitted_names(estimator: Any) -> list[str] | None:
    """The column names scikit-learn recorded when ``estimator`` was fitted on a table
    (``feature_names_in_``; ``None``: fitted on an array, as Prospect's training does).

    A model fitted elsewhere on a data frame whose columns are the cube's variables in
    another order takes them in *that* order, while the map's path gives it arrays in the
    schema's order: scikit-learn checks the names only when it is given a table, so
    every column was read as another without a word.
    """
    try:
        names = getattr(estimator, "feature_names_in_", None)
    except Exception:  # a pipeline whose first step has none: its property raises
        return None
    if names is None or isinstance(names, str | bytes):
        return None
    try:
        return [str(n) for n in list(names)]
    except TypeError:
        return None


def _classes(estimator: Any) -> list[Any] | None:
    """The estimator's class labels as ``card.json`` records them (``None``: none)."""
    from prospect.canonical import canonical

    try:
        found = getattr(estimator, "classes_", None)
        return None if found is None else list(canonical(list(found)))
    except Exception:  # a property of an unfitted step, labels that are no list
        return None


def _encoded_columns(estimator: Any) -> list[int] | None:
    """Columns the categorical encoder of a Prospect pipeline was fitted on (None: none)."""
    steps = getattr(estimator, "steps", None)
    if not isinstance(steps, list) or not steps:
        return None
    for name, _, cols in getattr(steps[0][1], "transformers_", []) or []:
        if name == "categorical" and isinstance(cols, list | tuple):
            return sorted(int(c) for c in cols)
    return None


def _class_path(estimator: Any) -> str:
    cls = type(estimator)
    return f"{cls.__module__}.{cls.__qualname__}"


def _same_crs(a: Any, b: Any) -> bool:
    """Whether two CRS texts (EPSG codes, WKT) name one CRS; text no library reads is
    compared as text."""
    if a == b:
        return True
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return bool(CRS.from_user_input(a).equals(CRS.from_user_input(b),
                                                   ignore_axis_order=True))
    except (CRSError, TypeError):
        return False


def _grid_differences(card: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The grid (CRS, cell size) ``schema.json`` refuses cubes by, against the grid the
    card says the model was trained on: its copy of the input schema and its ``region``.

    A ``schema.json`` of the same features from a model of another grid (the job trained
    again at 30 m, or for another UTM zone) passed the feature comparison, and the cube
    check then took cubes of *that* grid for this estimator's, without a word.
    """
    want_crs, want_res = schema.get("crs"), schema.get("resolution")
    diffs = []
    for what, facts in (("card.json's input_schema", card.get("input_schema")),
                        ("card.json's region", card.get("region"))):
        if not isinstance(facts, Mapping):
            continue
        crs, res = facts.get("crs"), facts.get("resolution")
        if isinstance(crs, str) and isinstance(want_crs, str) and \
                not _same_crs(crs, want_crs):
            diffs.append(f"{what} has CRS {crs[:40]}, schema.json {want_crs[:40]}")
        if isinstance(res, int | float) and isinstance(want_res, int | float) and \
                not isinstance(res, bool) and not isinstance(want_res, bool) and \
                not math.isclose(float(res), float(want_res), rel_tol=1e-6):
            diffs.append(f"{what} has cells of {float(res):g}, schema.json of "
                         f"{float(want_res):g}")
    return diffs


FEATURE_FACTS: tuple[str, ...] = ("units", "prospect_kind")
"""What the card's ``features`` and ``schema.json``'s ``variables`` both say of each input
layer, besides its name: the unit a cube's layer must carry and whether it is read as a
measurement or as classes."""


def _synthetic_differences(card: Mapping[str, Any]) -> list[str]:
    """A card whose ``synthetic`` flag is not set while its own config (the job's
    ``synthetic: true``) or its limitations (the train stage's
    :data:`~prospect.models.summary.SYNTHETIC_LIMITATION`) say the model was trained on
    synthetic data.

    The flag, edited to ``false`` by hand (checksums written again), was compared with
    nothing: ``prospect model score`` of a real cube then wrote maps that did not say
    they came from a synthetic model, and ``model list`` showed it as real. Synthetic
    data is labelled synthetic, always. A flag set where nothing else says so is kept: it
    only labels more.
    """
    if card.get("synthetic") is True:
        return []
    from prospect.models.summary import SYNTHETIC_LIMITATION

    config = card.get("config")
    said = []
    if isinstance(config, Mapping) and config.get("synthetic") is True:
        said.append("its config (synthetic: true)")
    notes = card.get("limitations")
    if isinstance(notes, list) and any(isinstance(n, str) and SYNTHETIC_LIMITATION in n
                                       for n in notes):
        said.append(f"its limitations ({SYNTHETIC_LIMITATION!r})")
    if not said:
        return []
    return [f"card.json's synthetic is {card.get('synthetic')!r}, but "
            f"{' and '.join(said)} say the model was trained on synthetic data (a model "
            "trained on synthetic data stays synthetic, and so do its maps: set it back to "
            "true)"]


def _by_name(items: Any) -> dict[str, Mapping[str, Any]] | None:
    """A list of feature (or variable) records by name; ``None`` when it is not one."""
    if not isinstance(items, list) or not items or \
            not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in items):
        return None
    return {str(i["name"]): i for i in items}


def _feature_differences(card: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The card's input layers (``features``: what card.md shows a researcher) against
    ``schema.json``'s (``variables``: what a cube is checked against; and
    ``feature_names``, the columns they make, focal statistics too): a card feature the
    schema does not have, a schema variable the card does not list, and the
    :data:`FEATURE_FACTS` both record of a variable. A card whose layer was renamed, or
    given another unit or kind, by hand (checksums written again) described other inputs
    than the ones the cube was refused or scored by, without a word."""
    said, held = _by_name(card.get("features")), _by_name(schema.get("variables"))
    if said is None or held is None:
        return []
    columns = schema.get("feature_names")
    known = set(held) | ({str(n) for n in columns} if isinstance(columns, list) else set())
    extra = [n for n in said if n not in known]
    missing = [n for n in held if n not in said]
    if extra or missing:
        parts = ([f"name {extra[:5]}, which schema.json does not have"] if extra else []) \
            + ([f"leave out schema.json's variables {missing[:5]}"] if missing else [])
        return ["card.json's features " + ", and ".join(parts)]
    diffs = []
    for name, variable in held.items():
        for key in FEATURE_FACTS:
            a, b = said[name].get(key), variable.get(key)
            if isinstance(a, str) and isinstance(b, str) and a != b:
                diffs.append(f"card.json gives feature {name!r} {key} {a[:40]!r}, "
                             f"schema.json {b[:40]!r}")
    return diffs


HEADLINE_SCHEMES: tuple[tuple[str, str], ...] = (("cv_spatial_", "spatial_block"),
                                                  ("cv_random_", "random"))
"""Prefix of a headline figure's key and the scheme of ``cv.metrics`` it is taken from; a
key without one (``top5_capture``, ``pa_intersection_pct``) is the spatial blocks'."""


def _number(value: Any) -> float | None:
    """``value`` as a finite number, or ``None`` (a bool, text, null, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value):
        return None
    return float(value)


def _headline_differences(card: Mapping[str, Any]) -> list[str]:
    """Each figure of the card's ``cv.headline`` that is not its own ``cv.metrics`` figure
    rounded.

    The train stage writes the headline from the metrics tables (four decimals, or four
    significant digits: :func:`prospect.models.summary.round_figure`); ``card.md`` renders
    the tables, while ``prospect model list``, the card's JSON and the score stage's report
    ("Skill (spatial cross-validation, out of fold)") quote the headline. A ``card.json``
    whose ``cv_spatial_roc_auc`` was edited from 0.7578 to 0.95 (checksums written again)
    was imported, and every map's report gave the model a pooled ROC AUC of 0.950. The
    tolerance takes any rounding to three decimals (an older card's); an edit is far
    larger.
    """
    cv = card.get("cv")
    cv = cv if isinstance(cv, Mapping) else {}
    head, tables = cv.get("headline"), cv.get("metrics")
    if not isinstance(head, Mapping) or not isinstance(tables, Mapping):
        return []
    diffs = []
    for key, value in head.items():
        said = _number(value)
        if said is None:
            continue
        prefix, scheme = next(((p, s) for p, s in HEADLINE_SCHEMES if key.startswith(p)),
                              ("", "spatial_block"))
        table = tables.get(scheme)
        if not isinstance(table, Mapping):
            continue
        name = key[len(prefix):]
        held = _number(table.get(name))
        if held is None or math.isclose(said, held, rel_tol=1e-3, abs_tol=5e-4):
            continue
        diffs.append(f"card.json's cv.headline gives {key} {said:g}, its own cv.metrics "
                     f"table ({scheme}) {name} {held:.4g}: the card was edited after the "
                     "model was saved")
    return diffs


def part_differences(card: Mapping[str, Any], schema: Mapping[str, Any],
                     estimator: Any = None) -> list[str]:
    """Each way the card, the schema and (when given) the fitted estimator disagree.

    Parameters
    ----------
    card, schema
        ``card.json`` and ``schema.json`` of one model directory.
    estimator
        The estimator loaded from its ``model.skops``; ``None`` compares the files only.

    Returns
    -------
    list[str]
        One line per disagreement; empty when the parts agree.
    """
    diffs: list[str] = []
    order = [str(n) for n in schema.get("feature_order") or []]
    copy = card.get("input_schema")
    if isinstance(copy, Mapping) and isinstance(copy.get("feature_order"), list) and \
            [str(n) for n in copy["feature_order"]] != order:
        diffs.append(_compare("card.json's input features", "schema.json's feature_order",
                              [str(n) for n in copy["feature_order"]], order))
    diffs += _grid_differences(card, schema)
    diffs += _feature_differences(card, schema)
    diffs += _synthetic_differences(card)
    diffs += _headline_differences(card)
    spec_data = schema.get("feature_spec")
    if isinstance(spec_data, Mapping) and isinstance(spec_data.get("variables"), list) and \
            [str(n) for n in spec_data["variables"]] != order:
        diffs.append(_compare("schema.json's feature_spec variables", "its feature_order",
                              [str(n) for n in spec_data["variables"]], order))
    columns, categorical = schema_columns(schema)
    names = schema.get("feature_names")
    if isinstance(names, list) and spec_data and [str(n) for n in names] != columns:
        diffs.append(_compare("schema.json's feature_names",
                              "the columns its feature_spec makes",
                              [str(n) for n in names], columns))
    facts = card.get("estimator")
    facts = facts if isinstance(facts, Mapping) else {}
    recorded = facts.get("n_features_in")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and \
            recorded != len(columns):
        diffs.append(f"card.json's estimator takes {recorded} columns, schema.json gives "
                     f"{len(columns)}")
    if estimator is None:
        return diffs
    n_in = n_features_in(estimator)
    if n_in is not None and n_in != len(columns):
        diffs.append(f"model.skops takes {n_in} columns, schema.json gives {len(columns)}")
    fitted = recorded_columns(estimator)
    if fitted is not None and fitted != columns:
        diffs.append(_compare("the columns model.skops was fitted on",
                              "the columns schema.json gives", fitted, columns))
    named = fitted_names(estimator)
    if named is not None and named != columns:
        diffs.append(_compare("the columns model.skops was fitted on (scikit-learn's "
                              "feature_names_in_)", "the columns schema.json gives",
                              named, columns))
    encoded = _encoded_columns(estimator)
    if encoded is not None and spec_data and encoded != sorted(categorical):
        diffs.append(f"model.skops encodes columns {encoded} as categories, schema.json's "
                     f"categorical columns are {sorted(categorical)}")
    said, held = facts.get("classes"), _classes(estimator)
    if isinstance(said, list) and held is not None and said != held:
        diffs.append(f"card.json's estimator has classes {str(said)[:60]}, model.skops's "
                     f"{str(held)[:60]}")
    klass = facts.get("class")
    if isinstance(klass, str) and klass and klass != _class_path(estimator):
        diffs.append(f"card.json describes a {klass}, model.skops holds a "
                     f"{_class_path(estimator)}")
    return diffs


def check_parts(where: str, card: Mapping[str, Any], schema: Mapping[str, Any],
                estimator: Any = None) -> None:
    """Raise :class:`ModelError` naming ``where`` and every :func:`part_differences`.

    Parameters
    ----------
    where
        The model directory (or ``name/version``) named in the message.
    card, schema, estimator
        As for :func:`part_differences`.
    """
    diffs = part_differences(card, schema, estimator)
    if diffs:
        raise ModelError(
            f"{where}: its files are not of one model (a card or schema from another "
            f"model?): {'; '.join(diffs)}; re-save the model, or import the files it was "
            "saved with"
        )


def markdown_differences(card: Mapping[str, Any], text: str) -> dict[str, list[str]]:
    """Lines of a model's ``card.md`` (``text``) that its ``card.json`` (``card``) does not
    render, and lines it renders that ``card.md`` lacks.

    ``card.md`` is the card for people and ``card.json`` the one the model is loaded and
    checked with; both are checksummed, so a folder assembled or edited by hand (and
    checksummed again, as ``prospect model import`` does) could show people a skill, a
    region or limitations the model does not have. The lines are compared as a multiset:
    ``card.json`` is written with sorted keys, so a table of a mapping may come back in
    another order, never with other lines. An older Prospect's layout differs too.

    Returns
    -------
    dict
        ``only_in_markdown`` and ``only_in_json``, each in the order of its file (empty
        lists when they agree).
    """
    from collections import Counter

    from prospect.registry.card import card_markdown

    have, want = text.splitlines(), card_markdown(card).splitlines()
    extra, missing = Counter(have) - Counter(want), Counter(want) - Counter(have)

    def ordered(lines: list[str], counts: Counter[str]) -> list[str]:
        out = []
        for line in lines:
            if counts[line] > 0:
                counts[line] -= 1
                out.append(line)
        return out

    return {"only_in_markdown": ordered(have, extra), "only_in_json": ordered(want, missing)}
