"""Model cards: what a model is, what it was trained on, how well it did, and its limits.

:func:`complete_card` takes the facts a trainer knows (mineral, region, training data,
features, cross-validation, calibration, limitations, config) and adds what Prospect can
fill in itself (estimator, library versions, creation time, config hash). :func:`card_markdown`
renders the same facts for people.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from prospect.canonical import canonical, config_hash
from prospect.errors import ConfigError
from prospect.provenance import read_provenance
from prospect.versions import LIBRARIES, library_versions

__all__ = [
    "CARD_FORMAT",
    "LIBRARIES",
    "card_markdown",
    "complete_card",
    "config_hash",
    "created_time",
    "estimator_label",
    "library_versions",
    "markdown_cell",
    "other_model",
    "portable_card",
]

CARD_FORMAT = "prospect-model-card/1"


def _estimator_facts(estimator: Any) -> dict[str, Any]:
    cls = type(estimator)
    facts: dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    if hasattr(estimator, "get_params"):
        try:
            params = estimator.get_params(deep=False)
        except Exception:  # pragma: no cover - a broken get_params should not block saving
            params = {}
        facts["params"] = {k: v if isinstance(v, str | int | float | bool | None) else repr(v)
                           for k, v in sorted(params.items())}
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        facts["steps"] = [f"{name}: {type(step).__module__}.{type(step).__qualname__}"
                          for name, step in steps]
    inner = getattr(estimator, "model", None)
    if inner is not None and hasattr(inner, "fit"):
        facts["wraps"] = _estimator_facts(inner)
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None:
        facts["n_features_in"] = int(n_in)
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        facts["classes"] = canonical(list(classes))
    return facts


def complete_card(card: Mapping[str, Any], estimator: Any, schema: Mapping[str, Any]) -> dict:
    """The full card: the trainer's facts plus estimator, versions, time and config hash.

    Facts the trainer did not give are recorded as ``None`` so that their absence is visible.
    """
    full: dict[str, Any] = {
        "format": CARD_FORMAT,
        "mineral": None,
        "deposit_type": None,
        "synthetic": False,
        "region": None,
        "training_data": [],
        "features": [],
        "cv": None,
        "calibration": None,
        "limitations": [],
        "config": None,
        "config_hash": None,
    }
    full.update(canonical(dict(card)))
    if full.get("config") is not None and not full.get("config_hash"):
        full["config_hash"] = config_hash(full["config"])
    if not full["features"]:
        full["features"] = [
            {k: v.get(k) for k in ("name", "units", "long_name", "prospect_kind", "provenance")}
            for v in schema.get("variables", [])
        ]
    full["features"] = [_parse_provenance(f) for f in full["features"]]
    full["estimator"] = _estimator_facts(estimator)
    full["versions"] = library_versions()
    full["created"] = created_time()
    full["input_schema"] = {k: schema.get(k) for k in ("crs", "resolution", "feature_order")}
    return full


PATHS_ARE = ("paths the job gives relative to its config's folder are written as it "
             "gives them (relative to that folder); the job's outputs (the cube) relative "
             "to its output directory; a file given by its absolute path keeps it")
"""The card's ``paths`` note: what its relative paths are relative to."""


def portable_card(card: Mapping[str, Any], *, job_dir: str | os.PathLike[str] | None,
                  out_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    """``card`` with the paths of this machine's folders taken out: each path under
    ``out_dir`` made relative to it, and each path the job gave relative to its config's
    folder ``job_dir`` written as the job gives it (``../data/meuse/meuse.shp``), in
    every text of the card (its ``training_data``, ``config``, the features' provenance,
    the limitations' lines), keys too; the card then states what they are relative to
    (``paths``, :data:`PATHS_ARE`).

    A card named its training data as the trainer's machine held them
    (``/work/main/configs/jobs/../../../shared/data/meuse_heavy_metals_nl/meuse.shp``,
    ``/tmp/run/cube.zarr/zarr.json``): a researcher who received the model learnt the
    trainer's folders, not where the data lie beside the job. Each file's checksum still
    names its content. The job's run (its cube's provenance, the manifest) keeps the
    resolved paths it checks data by.

    The card's ``config_hash`` is made the hash of its ``config`` as written here
    (:func:`prospect.canonical.config_hash`): the hash of the job as loaded, with its
    absolute paths, gave two checkouts of one job (``/home/a/prospect``,
    ``/scratch/b/prospect``) two hashes, so a researcher could not tell two cards of one
    job from cards of two jobs. A job without paths under either folder keeps its hash.

    Parameters
    ----------
    card
        The card's facts (JSON types).
    job_dir
        The folder the job's relative paths were taken from
        (:func:`prospect.config._base.config_folder`); ``None``: a job not read from a
        file, its paths kept.
    out_dir
        The job's output directory; ``None``: outputs' paths kept.

    Returns
    -------
    dict
        A new card; ``card`` is not changed.
    """
    prefixes = [os.fspath(folder).rstrip(os.sep) + os.sep for folder in (out_dir, job_dir)
                if folder is not None and os.fspath(folder).rstrip(os.sep)]
    if not prefixes:
        return dict(card)
    # a folder's path where a path begins: at the start of a text or after a blank, a
    # quote or a bracket (a warning line naming its file), never inside a longer path
    found = re.compile(r"(?<![^\s'\"(\[{=,])(?:" + "|".join(re.escape(p) for p in prefixes)
                       + ")")

    def strip(text: str) -> str:
        return found.sub("", text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return strip(value)
        if isinstance(value, Mapping):
            return {strip(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    out = walk(card)
    out["paths"] = PATHS_ARE
    if isinstance(out.get("config"), Mapping) and out.get("config_hash"):
        # the hash of the config as the card writes it: the job as loaded hashed its
        # absolute paths, so two checkouts of one job gave two cards two hashes
        out["config_hash"] = config_hash(out["config"])
    return dict(out)


def _said(value: Any) -> str:
    return "none" if value is None else repr(value)


def _labels_files(card: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(file name, sha256)`` of each training data file of ``card`` but the cube's."""
    out = []
    for item in card.get("training_data") or []:
        if not isinstance(item, Mapping):
            continue
        path = str(item.get("path") or "").replace("\\", "/").rstrip("/")
        if path.endswith("zarr.json") or ".zarr/" in path:
            continue
        out.append((path.rsplit("/", 1)[-1], str(item.get("sha256") or "")))
    return out


def other_model(card: Mapping[str, Any], earlier: Mapping[str, Any]) -> list[str]:
    """What makes the model of ``card`` another model than that of ``earlier`` (the
    latest version under the name it is published as), one phrase each; ``[]`` where
    it may be that model trained again.

    Another target (mineral, deposit type), another region, another set of features, or
    other labels (no training file of one name or content in common) make another model;
    the same model trained on more labels, with other settings or library versions does
    not.

    Parameters
    ----------
    card, earlier : mapping
        Model cards (``card.json``).

    Returns
    -------
    list of str
        Phrases such as ``"mineral 'gallium' (was 'lithium')"``.
    """
    out = []
    for key, what in (("mineral", "mineral"), ("deposit_type", "deposit type")):
        new, old = card.get(key), earlier.get(key)
        if str(new).casefold() != str(old).casefold():
            out.append(f"{what} {_said(new)} (was {_said(old)})")
    regions = [(c.get("region") or {}).get("name") if isinstance(c.get("region"), Mapping)
               else None for c in (card, earlier)]
    if regions[0] != regions[1] and None not in regions:
        out.append(f"region {_said(regions[0])} (was {_said(regions[1])})")
    names = [[str(f.get("name")) for f in c.get("features") or [] if isinstance(f, Mapping)]
             for c in (card, earlier)]
    added = [n for n in names[0] if n not in names[1]]
    gone = [n for n in names[1] if n not in names[0]]
    if added or gone:
        out.append("features " + ", ".join(
            ([f"{', '.join(added)} added"] if added else [])
            + ([f"{', '.join(gone)} gone"] if gone else [])))
    files = [_labels_files(c) for c in (card, earlier)]
    if files[0] and files[1] and not any(
            n == m or (h and h == k) for n, h in files[0] for m, k in files[1]):
        out.append(f"labels {', '.join(n for n, _ in files[0])} (was "
                   f"{', '.join(n for n, _ in files[1])})")
    return out


def created_time() -> str:
    """The card's creation time: now, or ``$SOURCE_DATE_EPOCH`` (seconds since 1970, UTC)
    when set, the reproducible-builds convention, so that two trainings of one job on the
    same data can give byte-identical model folders (the same fingerprint), not only the
    same ``model.skops``.

    Raises
    ------
    ConfigError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not fixed:
        return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        when = dt.datetime.fromtimestamp(int(fixed), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ConfigError(f"SOURCE_DATE_EPOCH={fixed[:40]!r} is not a time (whole seconds "
                          "since 1970-01-01 UTC, e.g. $(date +%s)); set it to one, or unset "
                          "it to stamp the model card with the current time") from None
    return when.isoformat(timespec="seconds")


def _parse_provenance(feature: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(feature)
    if isinstance(out.get("provenance"), str):
        out["provenance"] = read_provenance(out["provenance"])
    return out


def markdown_cell(text: Any) -> str:
    """``text`` as one cell of a Markdown table (or one list item): each line break and
    the blanks around it one space, and ``|`` escaped.

    A layer's ``long_name`` written as a YAML block (``long_name: |``) or read from a
    NetCDF attribute of several lines, or a name holding ``|``, ended its row of
    ``card.md``'s features table there: the rest of the row, and the table's later
    columns, were shown as text below it or as cells of other columns.

    Parameters
    ----------
    text
        The value; anything not a string is written as ``str`` writes it.

    Returns
    -------
    str
        One line; GitHub-flavoured Markdown shows ``\\|`` as ``|``, in code spans too.
    """
    return _LINE_BREAKS.sub(" ", str(text)).replace("|", "\\|")


_LINE_BREAKS = re.compile(r"[^\S\r\n]*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")
"""A line break of any kind Python's ``str.splitlines`` knows, with the blanks around it."""


def _fmt(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "_not recorded_"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict | list):
        return "`" + markdown_cell(json.dumps(value, sort_keys=True)) + "`"
    return markdown_cell(value)


def _float(value: float) -> str:
    """A float of the card: four significant digits, a whole number (a count of rows, a
    block size in metres) whole: ``12345``, not ``1.234e+04`` (off by 5 rows); a figure
    of 10 000 or more with a fraction to one decimal; not finite as ``n/a``."""
    if not math.isfinite(value):
        return "n/a"
    if value.is_integer():
        return f"{value:.0f}"
    if abs(value) >= 1e4:
        return f"{value:.1f}"
    return f"{value:.4g}"


def _metrics_table(metrics: Any) -> list[str]:
    """Metrics as a table: one column per CV scheme when they are nested by scheme."""
    if not isinstance(metrics, Mapping) or not metrics:
        return []
    nested = {k: v for k, v in metrics.items() if isinstance(v, Mapping)}
    if nested and len(nested) == sum(v is not None for v in metrics.values()):
        schemes = list(nested)
        names = sorted({m for v in nested.values() for m in v})
        out = ["", "| metric | " + " | ".join(schemes) + " |",
               "|---|" + "---|" * len(schemes)]
        out += [f"| {m} | " + " | ".join(_fmt(nested[s].get(m)) for s in schemes) + " |"
                for m in names]
        return out
    return ["", "| metric | value |", "|---|---|",
            *[f"| {k} | {_fmt(v)} |" for k, v in metrics.items()]]


def _spread_note(cv: Mapping[str, Any]) -> list[str]:
    """What the metrics table's ``fold_roc_auc_std`` is (the sample s.d. over the folds
    scored), under the table, from the card's ``fold_roc_auc_std_is``; nothing for a card
    saved without it, whose ``card.md`` was rendered without the line."""
    said = cv.get("fold_roc_auc_std_is")
    if not isinstance(said, str) or not said:
        return []
    return ["", f"fold_roc_auc_std: {_fmt(said)}"]


def _labels_lines(labels: Any) -> list[str]:
    """``card.md``'s Labels section from the card's ``labels`` (the training set's
    counts): the records and labelled cells given, the background drawn, the training rows
    (the metrics' ``n``) and the labelled cells left out for want of evidence, where; none
    for a card without them (a model saved outside the train stage).

    The metrics table's ``n`` (150 on the Meuse card) was the only count ``card.md``
    showed: the 155 samples given and the 5 left out on no data were in ``card.json``'s
    ``labels`` alone.
    """
    if not isinstance(labels, Mapping) or not labels:
        return []

    def count(key: str) -> int | None:
        value = labels.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value) else None

    out = ["", "## Labels", ""]
    if count("records") is not None:
        out.append(f"- records: {count('records')}")
    pos_cells, neg_cells = count("positive_cells"), count("negative_cells")
    if pos_cells is not None:
        out.append(f"- positive cells: {pos_cells}"
                   + (f"; negative cells: {neg_cells}" if neg_cells else ""))
    if count("background_drawn"):
        out.append(f"- background cells drawn: {count('background_drawn')}")
    if count("samples") is not None:
        out.append(f"- training rows (the metrics' n): {count('samples')} "
                   f"({count('positives')} positive, {count('negatives')} negative)")
    pos, neg = count("positives_without_data") or 0, count("negatives_without_data") or 0
    if pos or neg:
        where = labels.get("positives_without_data_at")
        cells = [f"({_fmt(float(xy[0]))}, {_fmt(float(xy[1]))})" for xy in where
                 if isinstance(xy, list | tuple) and len(xy) == 2
                 and all(isinstance(v, int | float) for v in xy)] \
            if isinstance(where, list) else []
        said = [f"{pos} positive cell(s)" + (f" at {', '.join(cells)} (cell centres, the "
                                             "grid's CRS)" if cells else "")] \
            if pos else []
        if neg:
            said.append(f"{neg} negative cell(s)")
        from prospect.models.summary import without_data_layers

        out.append(f"- left out of training and of every figure, no data in the evidence"
                   f"{markdown_cell(without_data_layers(labels))}: "
                   f"{markdown_cell('; '.join(said))}")
    return out if len(out) > 3 else []


def estimator_label(card: Mapping[str, Any]) -> str:
    """A card's estimator in a word: the job's ``model.estimator`` (``random_forest``), else
    the fitted model's class, inside a pipeline its last step's (a list of models showed
    every one of them as ``Pipeline``)."""
    config = card.get("config")
    model = config.get("model") if isinstance(config, Mapping) else None
    if isinstance(model, Mapping) and isinstance(model.get("estimator"), str):
        return str(model["estimator"])
    est = card.get("estimator") or {}
    steps = est.get("steps") if isinstance(est, Mapping) else None
    name = str(steps[-1]) if isinstance(steps, list) and steps else \
        str(est.get("class", "") if isinstance(est, Mapping) else "")
    return name.rsplit(".", 1)[-1]


def card_markdown(card: Mapping[str, Any]) -> str:
    """Render a completed card as Markdown."""
    # one line: a deposit type written as a YAML block (``deposit_type: >``, which ends in
    # a line break) ended the heading inside its brackets, the rest a paragraph below it
    title = markdown_cell(card.get("mineral") or "unknown mineral").strip()
    if str(card.get("deposit_type") or "").strip():
        title += f" ({markdown_cell(card['deposit_type']).strip()})"
    lines = [f"# Model card: {title}", ""]
    if card.get("synthetic"):
        lines += ["> **Synthetic**: trained on synthetic data; not for real decisions.", ""]
    est = card.get("estimator") or {}
    lines += [
        f"- Mineral: {_fmt(card.get('mineral'))}",
        f"- Deposit type: {_fmt(card.get('deposit_type'))}",
        f"- Estimator: `{est.get('class', '?')}`"
        + "".join(f"\n  - `{step}`" for step in est.get("steps", [])),
        f"- Created: {_fmt(card.get('created'))}",
        f"- Config hash (SHA-256): {_fmt(card.get('config_hash'))}",
        "",
        "## Region and grid",
        "",
    ]
    region = card.get("region")
    if isinstance(region, Mapping):
        lines += [f"- {k}: {_fmt(v)}" for k, v in region.items()]
    else:
        lines.append(f"- {_fmt(region)}")
    lines += ["", "## Training data", "", "| path | sha256 |", "|---|---|"]
    for item in card.get("training_data") or []:
        lines.append(f"| {_fmt(item.get('path'))} | `{item.get('sha256', '')}` |")
    if isinstance(card.get("paths"), str) and card["paths"]:  # what they are relative to
        lines += ["", f"Paths: {markdown_cell(card['paths'])}."]
    lines += _labels_lines(card.get("labels"))
    lines += ["", "## Features (input order)", "",
              "| name | units | kind | taken as | long name | formula | bands / source |",
              "|---|---|---|---|---|---|---|"]
    for feat in card.get("features") or []:
        prov = feat.get("provenance") or {}
        prov = prov if isinstance(prov, Mapping) else {}
        formula = prov.get("formula") or prov.get("expression") or ""
        bands = prov.get("bands") or prov.get("source") or prov.get("sources") or ""
        lines.append(
            f"| {markdown_cell(feat.get('name'))} | {_fmt(feat.get('units'))}"
            f" | {_fmt(feat.get('prospect_kind'))}"
            f" | {_fmt(feat.get('encoding'))} | {_fmt(feat.get('long_name'))}"
            f" | {_fmt(formula) if formula else ''}"
            f" | {_fmt(bands) if bands else ''} |"
        )
    cv = card.get("cv")
    lines += ["", "## Cross-validation", ""]
    if isinstance(cv, Mapping):
        for key in ("scheme", "block_size", "n_splits"):
            lines.append(f"- {key}: {_fmt(cv.get(key))}")
        lines += _metrics_table(cv.get("metrics") or {})
        lines += _spread_note(cv)
    else:
        lines.append(f"- {_fmt(cv)}")
    lines += ["", "## Calibration", ""]
    calibration = card.get("calibration")
    if isinstance(calibration, Mapping):
        lines += [f"- {k}: {_fmt(v)}" for k, v in calibration.items()]
    else:
        lines.append(_fmt(calibration))
    lines += ["", "## Limitations", ""]
    limits = card.get("limitations") or []
    if isinstance(limits, str):
        limits = [limits]
    lines += [f"- {_LINE_BREAKS.sub(' ', str(item))}" for item in limits] \
        or ["- _not recorded_"]
    schema = card.get("input_schema") or {}
    lines += ["", "## Input schema", "", f"- CRS: {_fmt(schema.get('crs'))}",
              f"- Resolution: {_fmt(schema.get('resolution'))}",
              f"- Feature order: {_fmt(schema.get('feature_order'))}", "",
              "## Versions", "", "| library | version |", "|---|---|"]
    lines += [f"| {markdown_cell(k)} | {markdown_cell(v)} |"
              for k, v in (card.get("versions") or {}).items()]
    lines += ["", "## Config", "", "```json",
              json.dumps(card.get("config"), indent=2, sort_keys=True), "```", ""]
    return "\n".join(lines)
