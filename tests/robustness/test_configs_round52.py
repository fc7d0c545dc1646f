"""Round 52, configs and the command line: a run's ingest refusing a source's file (not
there, a folder, not a raster) or the mask's outline without naming the source or its
line in the job's config, and a FileGDB inside a zip (``/vsizip/geo.gdb.zip/geo.gdb``)
refused as "the archive holds no file 'geo.gdb'".

Every case runs the real CLI in this process (the ``cli`` fixture) on the tiny SYNTHETIC
job of :class:`~tests.robustness.conftest.Sandbox`, or a SYNTHETIC two-unit FileGDB
written beside it; nothing is computed but a plan, an ingest plan that refuses, or the
cells of one vector layer.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error, plan_vector_cells

# -- the ingest's refusal of a source's file names the source and its line -------------------


def _line_of(path: Path, text: str, nth: int = 0) -> int:
    """The line number (from 1) of the ``nth`` line of ``path`` that starts with ``text``
    once indented."""
    found = [
        i
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if line.strip().startswith(text)
    ]
    return found[nth]


def _two_sources(sandbox: Sandbox, cold: str = "cold.tif", **changes: Any) -> None:
    """The tiny job with a second raster source ``cold`` reading ``cold``."""
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {"kind": "raster", "name": "cold", "path": cold},
        ],
        **changes,
    )


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_a_missing_source_file_names_the_source_and_its_line(
    sandbox: Sandbox, cli: Any, command: str
) -> None:
    """SYNTHETIC job of two sources, the second's file not there. Before: "<path>: raster
    file not found; check the path in the config", the source's name and line said only
    by ``plan --strict``; ``-o`` is still left as it was (round 51)."""
    _two_sources(sandbox)
    line = _line_of(sandbox.job_path, "- kind: raster", 1)
    said = assert_clean_error(
        cli(command, sandbox.job_path, "-o", sandbox.out),
        1,
        "cold.tif",
        "raster file not found; check the path in the config",
        f"(source 'cold' at {sandbox.job_path}:{line})",
    )
    assert "'heat'" not in said
    assert not sandbox.out.exists() and sandbox.untouched()


@pytest.mark.parametrize("kind", ["folder", "not-a-raster"])
def test_a_source_file_that_is_no_raster_names_the_source_and_its_line(
    sandbox: Sandbox, cli: Any, kind: str
) -> None:
    """SYNTHETIC job: the second source's path a folder, or a text file named ``.tif``.
    Before: the readers' line alone ("a folder, not a raster file", "cannot read as a
    raster (corrupt, truncated or not a raster)")."""
    if kind == "folder":
        (sandbox.root / "cold.tif").mkdir()
        needle = "a folder, not a raster file"
    else:
        (sandbox.root / "cold.tif").write_text("not a raster\n")
        needle = "cannot read as a raster"
    _two_sources(sandbox)
    line = _line_of(sandbox.job_path, "- kind: raster", 1)
    assert_clean_error(
        cli("ingest", sandbox.job_path, "-o", sandbox.out),
        1,
        needle,
        f"(source 'cold' at {sandbox.job_path}:{line})",
    )
    assert sandbox.untouched()


def test_a_missing_mask_outline_names_its_key_and_line(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job whose ``mask.path`` is not there. Before: "<path>: outline file not
    found; check the path (a region's 'mask.path', or --outlines-from)", no line."""
    sandbox.write_job(mask={"path": "coast.geojson"})
    line = _line_of(sandbox.job_path, "path: coast.geojson")
    assert_clean_error(
        cli("ingest", sandbox.job_path, "-o", sandbox.out),
        1,
        "coast.geojson",
        "outline file not found",
        f"(key 'mask.path' at {sandbox.job_path}:{line})",
    )
    assert not sandbox.out.exists() and sandbox.untouched()


def test_plan_strict_keeps_its_line_for_a_missing_file(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): ``plan --strict`` names the source and its line once, in
    its own words, as in round 51."""
    _two_sources(sandbox)
    line = _line_of(sandbox.job_path, "- kind: raster", 1)
    said = assert_clean_error(
        cli("plan", "--strict", sandbox.job_path),
        1,
        f"source 'cold' at {sandbox.job_path}:{line}: ",
        "file(s) not found, so a run of this job stops at ingest (plan --strict)",
    )
    assert said.count("source 'cold'") == 1


# -- a FileGDB inside a zip ------------------------------------------------------------------


def _zipped_gdb(root: Path, folders: tuple[str, ...] = ("geo.gdb",)) -> Path:
    """A SYNTHETIC FileGDB of two units (``a`` west, ``b`` east of x = 500200) over the
    tiny region, zipped as ``geo.gdb.zip`` under each of ``folders``."""
    import geopandas as gpd
    from shapely.geometry import box

    units = gpd.GeoDataFrame(
        {"unit": ["a", "b"]},
        geometry=[box(500000, 1350000, 500200, 1350400), box(500200, 1350000, 500400, 1350400)],
        crs="EPSG:32619",
    )
    gdb = root / "made" / "geo.gdb"
    gdb.parent.mkdir()
    units.to_file(gdb, driver="OpenFileGDB", layer="units")
    archive = root / "geo.gdb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for folder in folders:
            for name in sorted(os.listdir(gdb)):
                zf.write(gdb / name, f"{folder}/{name}")
    return archive


def _vector_job(sandbox: Sandbox, path: str) -> None:
    sandbox.write_job(
        sources=[
            {"kind": "raster", "name": "heat", "path": "heat.tif"},
            {
                "kind": "vector",
                "name": "geology",
                "path": path,
                "layer": "units",
                "attribute": "unit",
            },
        ]
    )


@pytest.mark.parametrize(
    "written",
    [
        "/vsizip/geo.gdb.zip/geo.gdb",
        "/vsizip/{abs}/geo.gdb",
        "/vsizip/geo.gdb.zip/geo.gdb/",
        "zip://geo.gdb.zip!geo.gdb",
        "/vsizip/geo.gdb.zip",
    ],
    ids=["relative", "absolute", "trailing-slash", "zip-url", "archive-alone"],
)
def test_a_filegdb_inside_a_zip_plans_and_reads(sandbox: Sandbox, cli: Any, written: str) -> None:
    """SYNTHETIC FileGDB in a zip. Before: "the archive .../geo.gdb.zip holds no file
    'geo.gdb'; its files: geo.gdb/a00000001.gdbtable, ..." (exit 2), and the archive
    named alone "name the file inside", though a FileGDB is a folder."""
    archive = _zipped_gdb(sandbox.root)
    path = written.replace("{abs}", str(archive))
    _vector_job(sandbox, path)
    result = cli("plan", "--strict", sandbox.job_path)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err

    from prospect.config.job import load_job, resolve_grid

    job = load_job(sandbox.job_path)
    source = job.sources[1]
    assert str(source.path).endswith("geo.gdb.zip/geo.gdb")
    layers, said = plan_vector_cells(
        source.path, resolve_grid(job), layer="units", attribute="unit"
    )
    cells = layers["geology"][1]
    assert set(np.unique(cells)) == {0.0, 1.0}, said
    assert (cells[:, :20] == cells[0, 0]).all() and (cells[:, 20:] == cells[0, -1]).all()
    assert cells[0, 0] != cells[0, -1]


def test_a_folder_not_in_the_zip_is_still_refused_with_its_files(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC FileGDB in a zip (control): a folder miswritten (``geo.gd``) keeps the
    line listing the archive's files."""
    _zipped_gdb(sandbox.root)
    _vector_job(sandbox, "/vsizip/geo.gdb.zip/geo.gd")
    assert_clean_error(
        cli("plan", sandbox.job_path), 2, "holds no file 'geo.gd'", "geo.gdb/a0000000"
    )


def test_a_zip_of_two_filegdbs_named_alone_is_asked_which(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC zip of two FileGDB folders (control): named alone, it is still asked which
    file inside."""
    _zipped_gdb(sandbox.root, ("east.gdb", "west.gdb"))
    _vector_job(sandbox, "/vsizip/geo.gdb.zip")
    assert_clean_error(cli("plan", sandbox.job_path), 2, "name the file inside")


def test_one_of_two_filegdbs_in_a_zip_named_plans(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC zip of two FileGDB folders. Before: ``/vsizip/geo.gdb.zip/west.gdb`` was
    "holds no file 'west.gdb'" (exit 2)."""
    _zipped_gdb(sandbox.root, ("east.gdb", "west.gdb"))
    _vector_job(sandbox, "/vsizip/geo.gdb.zip/west.gdb")
    result = cli("plan", "--strict", sandbox.job_path)
    assert result.code == 0, result.out + result.err


def test_a_folder_of_rasters_in_a_zip_is_still_refused_with_its_files(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC zip of a folder of GeoTIFFs (control): the folder named as a raster's
    path keeps the line listing the archive's files (only a FileGDB's folder reads)."""
    with zipfile.ZipFile(sandbox.root / "tiles.zip", "w") as zf:
        zf.write(sandbox.root / "heat.tif", "tiles/heat.tif")
        zf.write(sandbox.root / "heat.tif", "tiles/heat2.tif")
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "/vsizip/tiles.zip/tiles"}]
    )
    assert_clean_error(cli("plan", sandbox.job_path), 2, "holds no file 'tiles'", "tiles/heat.tif")


# -- a job given through a link, its file beside the link -------------------------------------


def _linked_job(sandbox: Sandbox) -> Path:
    """The tiny job moved to ``real/`` and linked from ``mine/job.yaml``, the folder
    holding its SYNTHETIC ``heat.tif``; the link's path."""
    (sandbox.root / "real").mkdir()
    (sandbox.root / "mine").mkdir()
    sandbox.job_path.rename(sandbox.root / "real" / "job.yaml")
    (sandbox.root / "heat.tif").rename(sandbox.root / "mine" / "heat.tif")
    link = sandbox.root / "mine" / "job.yaml"
    link.symlink_to(Path("..") / "real" / "job.yaml")
    return link


def test_a_file_beside_the_link_to_a_job_is_named_with_the_folder_paths_are_taken_from(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job linked into the folder of its file. Before: ``plan --strict`` said
    "source 'heat' at job.yaml:17: .../real/heat.tif: file(s) not found", though
    ``heat.tif`` was beside the link the user gave."""
    link = _linked_job(sandbox)
    monkeypatch.chdir(link.parent)
    assert_clean_error(
        cli("plan", "--strict", "job.yaml"),
        1,
        "source 'heat' at job.yaml:",
        "heat.tif is beside the link job.yaml in",
        f"taken from the folder of the file it links to, {sandbox.root / 'real'}",
        "file(s) not found",
    )


def test_a_file_beside_the_real_job_plans_through_the_link(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job linked from another folder (control): its file beside the real
    config plans through the link, as round 22 made it."""
    link = _linked_job(sandbox)
    (link.parent / "heat.tif").rename(sandbox.root / "real" / "heat.tif")
    monkeypatch.chdir(link.parent)
    result = cli("plan", "--strict", "job.yaml")
    assert result.code == 0, result.out + result.err
    assert "beside the link" not in result.out + result.err
