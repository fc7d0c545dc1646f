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


def _walk_reference(top: Path, rel: str = ".") -> dict[str, int]:
    """What the resume check recorded before it read folders through descriptors:
    ``os.walk`` (no links followed) and one ``os.stat`` per file."""
    sizes = {}
    for root, _, files in os.walk(top):
        here = os.path.relpath(root, top.parent) if rel != "." else os.path.relpath(root, top)
        for f in files:
            sizes[f"{here}/{f}"] = os.stat(os.path.join(root, f)).st_size
    return dict(sorted(sizes.items()))


def test_the_faster_walk_records_what_os_walk_did(tmp_path) -> None:
    """Manifests written before keep verifying: the same keys, digest and total for a
    pyramid (files at the top, nested folders, a link to a folder that is not followed,
    a link to a file that is), and for a cube variable's chunk files; a removed or cut
    short tile is still found."""
    import hashlib

    from pipelines import verify

    tiles = tmp_path / "tiles" / "heat"
    for z in (3, 4, 10):
        for x in range(6):
            (tiles / str(z) / str(x)).mkdir(parents=True)
            for y in range(4):
                (tiles / str(z) / str(x) / f"{y}.png").write_bytes(b"p" * (z + x + y))
    (tiles / "tilejson.json").write_text("{}")
    (tiles / "legend.png").write_bytes(b"l" * 7)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "big.bin").write_bytes(b"b" * 1000)
    (tiles / "linked").symlink_to(tmp_path / "elsewhere")
    (tiles / "3" / "file-link.png").symlink_to(tiles / "legend.png")
    reference = _walk_reference(tiles)
    assert len(reference) == 3 * 6 * 4 + 3 > verify.LISTED_FILES
    record = verify.file_inventory(tmp_path, {"pyramid": "tiles/heat"})["pyramid"]
    assert {"stamps", "content"} <= set(record)  # round 14: digests of stats and bytes
    assert {k: record[k] for k in ("files", "keys", "bytes")} == {
        "files": len(reference),
        "keys": hashlib.sha256("\n".join(reference).encode()).hexdigest()[:16],
        "bytes": sum(reference.values())}
    outputs = {"pyramid": "tiles/heat"}
    assert verify.check_files(tmp_path, outputs, {"pyramid": record}) is None
    (tiles / "10" / "5" / "3.png").write_bytes(b"p")  # cut short
    assert "changed size" in str(verify.check_files(tmp_path, outputs, {"pyramid": record}))
    (tiles / "10" / "5" / "3.png").unlink()
    assert "removed or added" in str(verify.check_files(tmp_path, outputs,
                                                        {"pyramid": record}))

    chunks = tmp_path / "cube.zarr" / "heat"
    for i in range(3):
        (chunks / "c" / str(i)).mkdir(parents=True)
        for j in range(3):
            (chunks / "c" / str(i) / str(j)).write_bytes(b"c" * (i * 3 + j + 1))
    keys, size = verify._chunk_keys(chunks)
    reference = _walk_reference(chunks / "c", "c")
    assert keys == list(reference) and size == sum(reference.values())
    assert keys[0] == "c/0/0"
