"""Job-level resume: which stages a rerun may skip, and what the manifest says about it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.context import StageResult
from pipelines.manifest import Manifest
from pipelines.stages import STAGE_ORDER
from prospect.config import JobConfig


def _job(name: str = "resume-test") -> JobConfig:
    return JobConfig.model_validate({"name": name, "region": "bonaire"})


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    path = tmp_path / "wells.csv"
    path.write_text("well_id,lon,lat,li_mg_l\n1,-68.3,12.2,150\n")
    return path


def _finish(m: Manifest, name: str, tmp_path: Path, inputs: Path) -> None:
    out = tmp_path / f"{name}.out"
    out.write_text("x")
    m.begin(name, "test")
    m.record(StageResult(name=name, inputs={"wells": str(inputs)},
                         outputs={"thing": str(out)}, seconds=0.5))


def test_finished_stage_is_skipped_and_manifest_says_so(tmp_path: Path, inputs: Path) -> None:
    first = Manifest(tmp_path, _job())
    assert first.finished("ingest", order=STAGE_ORDER) == (False, "never ran with this config")
    _finish(first, "ingest", tmp_path, inputs)
    first.close()

    second = Manifest(tmp_path, _job())
    done, reason = second.finished("ingest", order=STAGE_ORDER)
    assert done and f"finished in run {first.run_id}" in reason
    result = second.skip("ingest", reason)
    assert result.skipped and "use --force" in result.notes[0]
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert [r["run_id"] for r in data["runs"]] == [first.run_id, second.run_id]
    assert data["runs"][-1]["skipped"] == [{"stage": "ingest", "reason": reason}]
    assert data["stages"]["ingest"]["skipped_by_runs"] == [second.run_id]
    assert data["inputs"]["wells"]["sha256"] == data["stages"]["ingest"]["input_files"][
        "wells"]["sha256"]


def test_killed_or_failed_stage_is_rerun(tmp_path: Path, inputs: Path) -> None:
    m = Manifest(tmp_path, _job())
    m.begin("train", "never ran")  # then the process is killed: nothing else is written
    again = Manifest(tmp_path, _job())
    assert again.finished("train", order=STAGE_ORDER) == (False, "last run ended running")
    again.fail("train", RuntimeError("boom"))
    third = Manifest(tmp_path, _job())
    assert third.finished("train", order=STAGE_ORDER) == (False, "last run ended failed")
    assert "RuntimeError: boom" in third.data["stages"]["train"]["error"]


def test_changed_input_or_missing_output_reruns(tmp_path: Path, inputs: Path) -> None:
    m = Manifest(tmp_path, _job())
    _finish(m, "ingest", tmp_path, inputs)
    st = inputs.stat()
    os.utime(inputs, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched, same bytes
    assert Manifest(tmp_path, _job()).finished("ingest", order=STAGE_ORDER)[0]
    inputs.write_text("well_id,lon,lat,li_mg_l\n1,-68.3,12.2,999\n")
    done, reason = Manifest(tmp_path, _job()).finished("ingest", order=STAGE_ORDER)
    assert not done and reason.startswith("input wells")
    m2 = Manifest(tmp_path, _job())
    _finish(m2, "ingest", tmp_path, inputs)
    (tmp_path / "ingest.out").unlink()
    done, reason = Manifest(tmp_path, _job()).finished("ingest", order=STAGE_ORDER)
    assert not done and reason.startswith("output thing")


def test_recomputed_upstream_stage_makes_downstream_stale(tmp_path: Path,
                                                          inputs: Path) -> None:
    m = Manifest(tmp_path, _job())
    for name in ("ingest", "indices", "train"):
        _finish(m, name, tmp_path, inputs)
    assert m.finished("train", order=STAGE_ORDER)[0]
    _finish(m, "indices", tmp_path, inputs)  # e.g. `prospect indices --force`
    assert m.finished("ingest", order=STAGE_ORDER)[0]
    assert m.finished("indices", order=STAGE_ORDER)[0]
    assert m.finished("train", order=STAGE_ORDER) == (False, "indices was recomputed after it")


def test_other_config_discards_earlier_stages(tmp_path: Path, inputs: Path) -> None:
    m = Manifest(tmp_path, _job())
    _finish(m, "ingest", tmp_path, inputs)
    other = Manifest(tmp_path, _job("another-name"))
    assert other.data["stages"] == {}
    assert "config changed" in other.run["note"]
    assert not other.finished("ingest", order=STAGE_ORDER)[0]


def test_engine_is_recorded(tmp_path: Path) -> None:
    m = Manifest(tmp_path, _job())
    m.set_engine(workers=3, scheduler="tcp://127.0.0.1:8786", cluster=None,
                 dashboard="http://127.0.0.1:8787/status")
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["workers"] == 3
    assert data["engine"] == {"workers": 3, "scheduler": "tcp://127.0.0.1:8786",
                              "cluster": "local", "dashboard": "http://127.0.0.1:8787/status"}
    assert data["runs"][-1]["workers"] == 3


def _job_with_model(estimator: str) -> JobConfig:
    data = {"name": "resume-test", "region": "bonaire",
            "sources": [{"kind": "points", "name": "wells", "path": "wells.csv",
                         "x": "lon", "y": "lat"}],
            "model": {"mineral": "lithium", "estimator": estimator,
                      "labels": {"source": "wells"}}}
    return JobConfig.model_validate(data)


def test_a_model_change_reruns_train_and_score_never_ingest(tmp_path: Path,
                                                              inputs: Path) -> None:
    first = Manifest(tmp_path, _job_with_model("random_forest"))
    for stage in ("ingest", "train", "score"):
        _finish(first, stage, tmp_path, inputs)
    first.close()
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["stages"]["ingest"]["settings_hash"] != data["stages"]["train"]["settings_hash"]
    assert "model" not in data["stages"]["ingest"]["settings"]

    second = Manifest(tmp_path, _job_with_model("extra_trees"))
    assert second.finished("ingest", order=STAGE_ORDER)[0]
    done, reason = second.finished("train", order=STAGE_ORDER)
    assert not done and reason == "its settings changed (model)"
    assert not second.finished("score", order=STAGE_ORDER)[0]
    assert "stages whose settings changed rerun" in second.run["note"]
    # a changed source is data: every stage reads it
    third = Manifest(tmp_path, JobConfig.model_validate(
        {**_job_with_model("random_forest").model_dump(mode="json"),
         "sources": [{"kind": "points", "name": "wells", "path": "wells.csv", "x": "lon",
                      "y": "lat", "distance": True}]}))
    assert third.finished("ingest", order=STAGE_ORDER) == (
        False, "its settings changed (sources)")


def test_a_users_file_beside_an_outputs_files_is_not_a_change(tmp_path) -> None:
    """Resume's file check: a file removed or cut short makes the stage recompute; a file
    the user added in ``model/`` does not (recomputing replaces the folder: it would be
    lost). A large output (a pyramid) keeps a digest of its names: any change counts."""
    from pipelines import verify

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.skops").write_bytes(b"x" * 100)
    (model / "card.json").write_text("{}")
    tiles = tmp_path / "tiles"
    for i in range(verify.LISTED_FILES + 1):
        (tiles / "5" / str(i)).mkdir(parents=True)
        (tiles / "5" / str(i) / "0.png").write_bytes(b"p" * (i + 1))
    outputs = {"model": str(model), "tiles": str(tiles)}
    record = verify.file_inventory(tmp_path, outputs)
    assert "sizes" in record["model"] and "sizes" not in record["tiles"]
    assert verify.check_files(tmp_path, outputs, record) is None

    (model / "my-notes.txt").write_text("kept")
    assert verify.check_files(tmp_path, outputs, record) is None

    (model / "model.skops").write_bytes(b"x" * 50)
    why = verify.check_files(tmp_path, outputs, record)
    assert why is not None and "model.skops changed size" in why
    (model / "model.skops").write_bytes(b"x" * 100)
    (model / "card.json").unlink()
    why = verify.check_files(tmp_path, outputs, record)
    assert why is not None and "card.json was removed" in why
    (model / "card.json").write_text("{}")

    (tiles / "5" / "0" / "extra.png").write_bytes(b"e")
    why = verify.check_files(tmp_path, outputs, record)
    assert why is not None and "removed or added" in why
