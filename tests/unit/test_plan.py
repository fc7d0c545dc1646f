"""``prospect plan``: chunk and task counts, cube size and memory, without computing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.plan import PROCESS_BYTES, format_bytes, plan_job
from prospect.config import load_job, load_region
from prospect.testing import demo_grid


@pytest.fixture(scope="module")
def demo_job(small_scene, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_scene.job_config(tmp_path_factory.mktemp("plan") / "job.yaml")


def test_task_count_is_linear_in_chunk_count(demo_job: Path) -> None:
    job = load_job(demo_job)
    plans = [plan_job(job, demo_grid("bonaire", size_m=size, chunks=(50, 50)))
             for size in (1000, 2000, 4000)]
    assert [p.n_chunks for p in plans] == [4, 16, 64]
    per_chunk = {p.chunk_tasks / p.n_chunks for p in plans}
    assert len(per_chunk) == 1, f"tasks per chunk vary with the chunk count: {per_chunk}"
    (k,) = per_chunk
    assert k == int(k) and k >= 3  # ingest, indices and score: a task per chunk at least
    for p in plans:
        assert {s.name for s in p.stages} == {"ingest", "indices", "train", "score", "tiles"}
        assert all(s.tasks > 0 for s in p.stages)
    # ingest: two tasks per chunk (the layers split by cost); the scene makes 14 layers
    assert [(s.tasks, s.variables) for s in plans[0].stages if s.name == "ingest"] == [(8, 14)]


def test_sizes_follow_the_grid(demo_job: Path) -> None:
    job = load_job(demo_job)
    grid = demo_grid("bonaire", size_m=2000, chunks=(64, 64))
    p1 = plan_job(job, grid, workers=2, threads_per_worker=1)
    p2 = plan_job(job, grid, workers=2, threads_per_worker=4)
    assert p1.cube_variables == 14 + 3 + 2  # layers + indices + probability, uncertainty
    assert p1.cube_bytes == p1.cube_variables * grid.shape[0] * grid.shape[1] * 4
    assert p2.memory_per_worker > p1.memory_per_worker
    # per stage: the process plus that stage's task working set x threads; the job's is
    # the largest stage's, and ingest counts the distance layer (48 bytes per cell)
    for p, threads in ((p1, 1), (p2, 4)):
        assert p.memory_per_worker == max(s.memory_per_worker for s in p.stages)
        assert all(s.memory_per_worker == PROCESS_BYTES + threads * s.bytes_per_task
                   for s in p.stages)
    ingest = next(s for s in p1.stages if s.name == "ingest")
    assert ingest.bytes_per_task == 48 * 64 * 64
    # a grid smaller than one chunk is planned on its own (smaller) chunk
    small = plan_job(job, demo_grid("bonaire", size_m=200, chunks=(512, 512)))
    assert next(s for s in small.stages if s.name == "ingest").bytes_per_task == 48 * 20 * 20
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(10) == "10 B"


def test_cli_plan_json_on_the_whole_netherlands(demo_job: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(demo_job), "--region", "netherlands", "--workers", "16",
                 "--threads", "2", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    plan = json.loads(out)
    grid = load_region("netherlands").to_grid()
    assert plan["shape"] == list(grid.shape) and plan["n_chunks"] == grid.n_chunks
    assert plan["tasks"] == sum(s["tasks"] for s in plan["stages"])
    assert plan["cube_bytes"] > 50 * 2**30  # tens of GiB: no laptop job
    assert plan["workers"] == 16 and plan["threads_per_worker"] == 2


def test_cli_plan_table(demo_job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(demo_job)]) == 0
    out = capsys.readouterr().out
    for needle in ("chunks", "ingest", "score", "cube on disk", "memory per worker"):
        assert needle in out


def test_unreadable_source_is_counted_from_the_config_and_said(
        demo_job: Path, tmp_path: Path) -> None:
    import shutil

    import yaml

    data = yaml.safe_load(demo_job.read_text())
    heat = next(s for s in data["sources"] if s["name"] == "heatflow")
    copy = tmp_path / "heatflow.tif"
    shutil.copy(heat["path"], copy)
    heat["path"] = str(copy)
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(data))
    job = load_job(tmp_path / "job.yaml")
    copy.write_bytes(b"not a GeoTIFF")  # unreadable after validation
    p = plan_job(job, demo_grid("bonaire", size_m=1000, chunks=(50, 50)))
    ingest = next(s for s in p.stages if s.name == "ingest")
    # one layer counted from the config, as from its header; two tasks per chunk
    assert (ingest.tasks, ingest.variables) == (8, 14)
    assert ingest.note == "layers from config+headers"
    (note,) = [n for n in p.notes if "heatflow" in n]
    assert "layers counted from the config" in note and "heatflow.tif" in note


def test_ingest_splits_a_chunks_layers_in_groups_of_equal_cost() -> None:
    from pipelines.stages.ingest import split_by_cost

    jobs = [("contact", 50.0), ("fault", 50.0), ("geology", 2.0)] + [
        (f"B{i}", 1.0) for i in range(11)]
    groups = split_by_cost(jobs, 2)
    assert sorted(sum(c for _, c in g) for g in groups) == [56.5 - 0.5, 56.5 + 0.5]
    assert sorted(name for g in groups for name, _ in g) == sorted(n for n, _ in jobs)
    assert groups == split_by_cost(list(jobs), 2)  # the same groups on every run
    assert split_by_cost(jobs[:1], 2) == [[("contact", 50.0)]]  # never an empty group


@pytest.mark.parametrize("name", ["bonaire-s2-dry-median", "lai-chau-clear-composite"])
def test_cli_plan_of_a_stac_search_job_searches_nothing(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # the shipped network jobs: planning them raised an AssertionError ('internal error')
    # on the unresolved search; their layers (bands + the composite's count) come from the
    # config until a run has saved the items (prospect plan -o OUT reads them)
    job = Path(__file__).resolve().parents[2] / "configs" / "jobs" / f"{name}.yaml"
    assert main(["plan", str(job), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    cfg = load_job(job)
    ingest = next(s for s in plan["stages"] if s["name"] == "ingest")
    layers = sum(len(s.assets or {}) + (s.composite is not None) for s in cfg.sources)
    assert ingest["variables"] == layers + (cfg.mask is not None)
    notes = [n for n in plan["notes"] if "STAC search" in n]
    assert len(notes) == len(cfg.sources) and all("-o OUT" in n for n in notes)


def test_cli_plan_refuses_an_empty_region_and_a_config_that_is_no_file(
        demo_job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--region ''`` was silently ignored (the job's own region planned), and
    ``plan /dev/null`` said "config file not found" of a file that is there."""
    assert main(["plan", str(demo_job), "--region", ""]) == 2
    assert "--region is empty" in capsys.readouterr().err
    assert main(["plan", "/dev/null"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "/dev/null: not a regular file" in err and "not found" not in err


def test_cli_plan_warns_of_workers_a_local_run_refuses(
        demo_job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --workers 10**5`` reported terabytes without the warning ``run`` gives (a
    count past :data:`pipelines.commands._common.MAX_WORKERS`, 10**11, is a usage error
    since round 24)."""
    assert main(["plan", str(demo_job), "--workers", str(10**5), "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # the JSON stays clean: the warning goes to stderr
    err = " ".join(captured.err.split())
    assert err.startswith("warning: --workers 100000: the embedded cluster") and \
        "a run on this machine would refuse it" in err, err
    assert main(["plan", str(demo_job), "--workers", "1"]) == 0
    assert "warning" not in capsys.readouterr().err
