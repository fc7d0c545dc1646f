"""Round 60, models and reuse: two checkouts of one job giving its model card two config
hashes, and ``prospect model score --workers N`` refused only after the model was loaded
and the cube opened.

The card's ``config_hash`` was the hash of the job as loaded, its paths made absolute
(``/home/a/prospect/configs/jobs/../data/wells.csv``): the same job trained in
``/home/a/prospect`` and in ``/scratch/b/prospect`` gave two hashes, while the card's own
``config`` (round 59) read the same in both, so a researcher comparing two cards could not
tell one job from two, nor check the hash against the config the card shows.
``prospect model score --workers 100000`` (or ``--workers 2 --scheduler ADDRESS``) loaded
and verified the model and opened the cube before the engine was checked: a mistyped
model name was said first, and the count a laptop cannot hold only once the model was
fixed.

All data are SYNTHETIC: round 59's 40 x 40 cube of 10 m cells (a signal layer and a
categorical map, their files in a ``data`` folder beside the job's ``jobs`` folder),
trained once in each of two folders standing for two checkouts; round 49's logistic
regression in a registry with a 32 x 32 cube on its grid.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import TINY_REGION, run_in_process, write_tiny_raster
from .test_models_round16 import FAST_CV, PLACES, _layers, _table
from .test_models_round49 import _published


def _job() -> dict[str, Any]:
    """Round 59's tiny job, its files given relative to its folder (``../data/...``)."""
    return {
        "name": "tiny60",
        "synthetic": True,
        "description": "SYNTHETIC robustness case",
        "region": dict(TINY_REGION),
        "sources": [
            {"kind": "raster", "name": "signal",
             "scenes": [{"path": "../data/signal.tif", "date": "2021-06-14"}]},
            {"kind": "raster", "name": "geo", "values": "categorical",
             "scenes": [{"path": "../data/geo.tif", "date": "2019-03-01"}]},
            {"kind": "points", "name": "wells", "path": "../data/wells.csv", "x": "x",
             "y": "y", "crs": "EPSG:32619"},
        ],
        "model": {
            "mineral": "lithium",
            "estimator": "random_forest",
            "params": {"n_estimators": 10},
            "permutation_repeats": 0,
            "partial_dependence": 0,
            "labels": {"source": "wells"},
            "cv": FAST_CV,
            "features": ["signal", "geo"],
        },
    }


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> list[dict[str, Path]]:
    """The same job and data in two folders (two checkouts: ``a/prospect`` and
    ``b/elsewhere/prospect``), each ingested and trained into its own ``runs/out``."""
    base = tmp_path_factory.mktemp("models60")
    first = base / "a" / "prospect"
    data, jobs = first / "data", first / "jobs"
    data.mkdir(parents=True)
    jobs.mkdir()
    (data / "wells.csv").write_text(_table(PLACES))
    for name, values in _layers().items():
        write_tiny_raster(data / f"{name}.tif", values=values.astype("float32"), nodata=-9999.0)
    (jobs / "job.yaml").write_text(yaml.safe_dump(_job(), sort_keys=False))
    second = base / "b" / "elsewhere" / "prospect"
    shutil.copytree(first, second)
    found = []
    for root in (first, second):
        out = root / "runs" / "out"
        for stage in ("ingest", "train"):
            result = run_in_process(stage, root / "jobs" / "job.yaml", "-o", out,
                                    "--scheduler", scheduler)
            assert result.code == 0, (result.out + result.err)[-3000:]
        found.append({"root": root, "out": out, "model": out / "model"})
    return found


# -- 1. one job, one config hash ------------------------------------------------------------


def test_two_checkouts_of_one_job_give_its_card_one_config_hash(
    checkouts: list[dict[str, Path]],
) -> None:
    """Before: the cards of the job trained in ``a/prospect`` and in
    ``b/elsewhere/prospect`` showed the same ``config`` but two ``config_hash`` values (the
    hash of the job as loaded, with each folder's absolute paths). Now both cards give one
    hash, the SHA-256 of the config the card shows, so a receiver can check it, and the
    model's ``metrics.json`` and report give the same one."""
    from prospect.canonical import config_hash

    cards = [json.loads((c["model"] / "card.json").read_text()) for c in checkouts]
    assert cards[0]["config"] == cards[1]["config"]
    assert cards[0]["config_hash"] == cards[1]["config_hash"]
    assert cards[0]["config_hash"] == config_hash(cards[0]["config"])
    for c in checkouts:
        assert f"Config hash (SHA-256): {cards[0]['config_hash']}" in \
            (c["model"] / "card.md").read_text()
        metrics = json.loads((c["model"] / "metrics.json").read_text())
        assert metrics["config_hash"] == cards[0]["config_hash"]
        assert f"- Config hash: `{cards[0]['config_hash']}`" in \
            (c["model"] / "report" / "report.md").read_text()


def test_portable_card_hashes_the_config_it_writes() -> None:
    """Before: :func:`prospect.registry.card.portable_card` made the config's paths relative
    to the job's folder and kept the hash of the absolute ones. Now the hash is the config's
    as written, the same for ``/home/a/prospect/jobs`` and ``/scratch/b/prospect/jobs``."""
    from prospect.canonical import config_hash
    from prospect.registry.card import portable_card

    made = []
    for root in ("/home/a/prospect", "/scratch/b/prospect"):
        config = {"name": "j", "sources": [{"path": f"{root}/jobs/../data/wells.csv"}]}
        card = {"config": config, "config_hash": config_hash(config),
                "training_data": [{"path": f"{root}/runs/out/cube.zarr/zarr.json"}]}
        made.append(portable_card(card, job_dir=f"{root}/jobs", out_dir=f"{root}/runs/out"))
    assert made[0]["config"] == {"name": "j", "sources": [{"path": "../data/wells.csv"}]}
    assert made[0]["config_hash"] == made[1]["config_hash"] == config_hash(made[0]["config"])


def test_control_a_config_without_the_folders_keeps_its_hash() -> None:
    """Control: a config naming no path under the job's or the output's folder (a file
    given by its absolute path elsewhere) keeps the hash the job had, byte for byte, and
    a card not written from a file (no folders) is returned as it was."""
    from prospect.canonical import config_hash
    from prospect.registry.card import portable_card

    config = {"name": "j", "sources": [{"path": "/data/shared/wells.csv"}]}
    card = {"config": config, "config_hash": config_hash(config)}
    kept = portable_card(card, job_dir="/home/a/prospect/jobs", out_dir="/home/a/out")
    assert kept["config"] == config
    assert kept["config_hash"] == config_hash(config)
    assert portable_card(card, job_dir=None, out_dir=None) == card


def test_control_the_job_still_scores_with_its_card(
    checkouts: list[dict[str, Path]], scheduler: str, tmp_path: Path
) -> None:
    """Control: the job's own score stage reads the card as before (exit 0) and records
    the card's hash as the model's (``prospect:model_config_hash``)."""
    c = checkouts[0]
    out = tmp_path / "out"
    shutil.copytree(c["out"], out)
    result = run_in_process("score", c["root"] / "jobs" / "job.yaml", "-o", out,
                            "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    card = json.loads((out / "model" / "card.json").read_text())
    assert len(card["config_hash"]) == 64


# -- 2. model score checks its engine before it loads the model ---------------------------


@pytest.fixture()
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The models :meth:`ModelRegistry.load` is asked for (the real load runs)."""
    from prospect.registry import ModelRegistry

    called: list[str] = []
    real = ModelRegistry.load

    def spy(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        called.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(ModelRegistry, "load", spy)
    return called


def test_model_score_refuses_workers_past_memory_before_loading_the_model(
    tmp_path: Path, cli: Any, loads: list[str]
) -> None:
    """Before: ``model score logit --workers 100000`` loaded and verified the model and
    opened the cube before the count (some 49 TiB of worker processes) was refused. Now it
    is refused first (exit 2, naming ``--workers`` and the count this machine holds), no
    model is loaded and nothing is written."""
    found = _published(tmp_path, 60, None, 0)
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr",
                 "--workers", "100000", "-r", found["reg"])
    assert result.code == 2, result.err
    line = result.err.strip().splitlines()[-1]
    assert "--workers 100000" in line and "one process per worker" in line, result.err
    assert "Traceback" not in result.err
    assert loads == []
    assert not (tmp_path / "s.zarr").exists()


def test_model_score_with_a_mistyped_name_says_the_workers_first(
    tmp_path: Path, cli: Any
) -> None:
    """Before: ``model score litium --workers 100000`` said the model was not found; with
    the name fixed, the next run said the count could not be held. Now the option is
    refused first, as ``prospect run`` refuses it before reading its inputs."""
    registry = tmp_path / "registry"
    registry.mkdir()
    result = cli("model", "score", "litium", "-c", tmp_path / "c.zarr", "-o",
                 tmp_path / "s.zarr", "--workers", "100000", "-r", registry)
    assert result.code == 2, result.err
    assert "--workers 100000" in result.err and "litium" not in result.err, result.err


def test_model_score_refuses_workers_beside_a_scheduler_before_loading_the_model(
    tmp_path: Path, cli: Any, loads: list[str]
) -> None:
    """Before: ``--workers 2 --scheduler tcp://...`` (which ``--workers`` does not reach)
    was refused only after the model was loaded. Now at once, naming both options."""
    found = _published(tmp_path, 61, None, 0)
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr",
                 "--workers", "2", "--scheduler", "tcp://127.0.0.1:1", "-r", found["reg"])
    assert result.code == 2, result.err
    assert "--workers 2 sizes the local cluster" in result.err, result.err
    assert loads == []


def test_control_model_score_on_a_running_scheduler_scores(
    tmp_path: Path, cli: Any, loads: list[str], scheduler: str
) -> None:
    """Control: ``--scheduler ADDRESS`` alone passes the engine's check: the model is
    loaded and the cube scored on that scheduler's workers (exit 0), every cell given a
    probability."""
    from prospect.io.cube import open_cube

    found = _published(tmp_path, 62, None, 0)
    cube = found["make_cube"](tmp_path / "c.zarr", found["a"])
    result = cli("model", "score", "logit", "-c", cube, "-o", tmp_path / "s.zarr",
                 "--scheduler", scheduler, "-r", found["reg"])
    assert result.code == 0, (result.out + result.err)[-3000:]
    assert loads == ["logit"]
    p = open_cube(tmp_path / "s.zarr")["probability"].values
    assert np.isfinite(p).all()
