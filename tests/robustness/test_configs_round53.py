"""Round 53, configs and the command line: ``prospect regions --outlines-from`` given a
GDAL name, a URL, ``~`` after ``=`` or ``$VAR`` in quotes (the option was typed as a path,
which folded ``//`` and took ``~`` as a name), its reader's warnings printed as Python's,
and a file beside the link to a job not said as such by the run's ingest or the plain
``prospect plan``.

Every case runs the real CLI in this process (the ``cli`` fixture) on SYNTHETIC data: a
one-polygon GeoJSON over Bonaire (zipped where a case names an archive) and a copy of
``configs/`` of two regions as ``$PROSPECT_CONFIG_DIR``, or the tiny job of
:class:`~tests.robustness.conftest.Sandbox` linked from the folder of its file.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Sandbox, assert_clean_error

# -- regions --outlines-from: a path as GDAL reads it ----------------------------------------

BONAIRE = (-68.4, 12.0, -68.2, 12.3)
"""West, south, east and north of the SYNTHETIC outline, over the shipped Bonaire grid."""


def _outline(path: Path, *, bowtie: bool = False) -> Path:
    """A SYNTHETIC one-polygon GeoJSON over Bonaire (lon/lat); with ``bowtie`` its ring
    crosses itself, which the reader repairs with a warning."""
    w, s, e, n = BONAIRE
    ring = (
        [[w, s], [e, n], [e, s], [w, n], [w, s]]
        if bowtie
        else [[w, s], [e, s], [e, n], [w, n], [w, s]]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "SYNTHETIC"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    return path


@pytest.fixture()
def configs_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of configs/ with two regions (Aruba and Bonaire) as $PROSPECT_CONFIG_DIR, the
    working folder ``tmp_path/work`` holding ``bonaire.geojson`` and ``ne.zip`` of it."""
    copy = tmp_path / "configs"
    shutil.copytree(REPO / "configs", copy)
    for folder, ending in (("regions", ".yaml"), ("outlines", ".geojson")):
        for path in (copy / folder).glob(f"*{ending}"):
            if path.stem not in ("aruba", "bonaire"):
                path.unlink()
    monkeypatch.setenv("PROSPECT_CONFIG_DIR", str(copy))
    work = tmp_path / "work"
    outline = _outline(work / "bonaire.geojson")
    with zipfile.ZipFile(work / "ne.zip", "w") as zf:
        zf.write(outline, "bonaire.geojson")
    monkeypatch.chdir(work)
    return copy


def _rebuilt_bonaire(result: Any, configs: Path, before: bytes) -> None:
    """The outlines were rebuilt from the SYNTHETIC file: Bonaire's is new, exit 0."""
    text = result.out + result.err
    assert result.code == 0, text[-3000:]
    assert "Traceback" not in text and "error:" not in text, text[-3000:]
    assert "rebuilt the outlines of 1 region(s)" in result.err and ": bonaire" in result.err
    assert (configs / "outlines" / "bonaire.geojson").read_bytes() != before


@pytest.mark.parametrize("form", ["absolute-vsizip", "zip-url", "vsizip-equals"])
def test_outlines_from_a_gdal_name_reads_the_archive(
    cli: Any, configs_copy: Path, tmp_path: Path, form: str
) -> None:
    """SYNTHETIC outline in ``ne.zip``. Before: the option, typed as a path, folded ``//``:
    ``/vsizip//abs/ne.zip/...`` was read from the working folder ("cannot read as a vector
    file (corrupt?): ... does not exist in the file system") and ``zip://ne.zip!...``
    was "zip:/ne.zip!bonaire.geojson: outline file not found"."""
    before = (configs_copy / "outlines" / "bonaire.geojson").read_bytes()
    archive = tmp_path / "work" / "ne.zip"
    args = {
        "absolute-vsizip": ["--outlines-from", f"/vsizip/{archive}/bonaire.geojson"],
        "zip-url": ["--outlines-from=zip://ne.zip!bonaire.geojson"],
        "vsizip-equals": [f"--outlines-from=/vsizip/{archive}"],
    }[form]
    result = cli("regions", *args)
    _rebuilt_bonaire(result, configs_copy, before)
    assert f"from /vsizip/{archive}" in result.err  # the name read, whole


def test_outlines_from_home_after_equals_is_the_home_folder(
    cli: Any, configs_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC outline in ``$HOME``. Before: ``--outlines-from=~/bonaire.geojson`` (no
    shell expands ``~`` after ``=``) was "~/bonaire.geojson: outline file not found"."""
    home = tmp_path / "home"
    _outline(home / "bonaire.geojson")
    monkeypatch.setenv("HOME", str(home))
    before = (configs_copy / "outlines" / "bonaire.geojson").read_bytes()
    result = cli("regions", "--outlines-from=~/bonaire.geojson")
    _rebuilt_bonaire(result, configs_copy, before)
    assert str(home / "bonaire.geojson") in result.err


def test_outlines_from_a_url_is_named_as_written(cli: Any, configs_copy: Path) -> None:
    """A URL no server answers (port 9 of this machine). Before: "https:/127.0.0.1:9/...:
    outline file not found; check the path", the URL folded as a path; it is read as a
    config's ``mask.path`` URL is, and the network's refusal names it whole."""
    before = (configs_copy / "outlines" / "bonaire.geojson").read_bytes()
    said = assert_clean_error(
        cli("regions", "--outlines-from", "https://127.0.0.1:9/ne.geojson"),
        1,
        "https://127.0.0.1:9/ne.geojson",
        "cannot read over the network",
    )
    assert "https:/1" not in said and "outline file not found" not in said
    assert (configs_copy / "outlines" / "bonaire.geojson").read_bytes() == before


@pytest.mark.parametrize(
    ("given", "needles"),
    [
        (
            "$NE_DIR/bonaire.geojson",
            [
                "$NE_DIR/bonaire.geojson",
                "environment variables are not expanded",
                "$NE_DIR is not set here",
            ],
        ),
        ("", ["an empty path"]),
    ],
)
def test_outlines_from_a_path_no_shell_expanded_is_a_usage_error(
    cli: Any, configs_copy: Path, monkeypatch: pytest.MonkeyPatch, given: str, needles: list[str]
) -> None:
    """``'$NE_DIR/...'`` (single quotes) and ``"$NE"`` of a variable not set. Before:
    "outline file not found" with no word of ``$NE_DIR``, and the empty path read as the
    working folder: ".: a folder, not an outline file"."""
    monkeypatch.delenv("NE_DIR", raising=False)
    before = (configs_copy / "outlines" / "bonaire.geojson").read_bytes()
    result = cli("regions", "--outlines-from", given)
    text = result.out + result.err
    assert result.code == 2, text
    assert "Traceback" not in text and "internal error" not in text, text
    line = " ".join(text.split())
    assert "'--outlines-from'" in line
    for needle in needles:
        assert needle in line, line
    assert (configs_copy / "outlines" / "bonaire.geojson").read_bytes() == before


def test_outlines_from_a_missing_archive_names_it(
    cli: Any, configs_copy: Path, tmp_path: Path
) -> None:
    """``/vsizip/nope.zip/x.geojson``. Before: "cannot read as a vector file (corrupt?):
    '/vsizip/nope.zip/x.geojson' does not exist in the file system", GDAL's words."""
    assert_clean_error(
        cli("regions", "--outlines-from", "/vsizip/nope.zip/x.geojson"),
        1,
        "/vsizip/nope.zip/x.geojson",
        f"the archive {tmp_path / 'work' / 'nope.zip'} does not exist",
        "taken from the current folder",
    )


def test_outlines_from_a_repaired_file_warns_in_one_line(
    cli: Any, configs_copy: Path, tmp_path: Path
) -> None:
    """SYNTHETIC outline whose ring crosses itself. Before: Python's warning, with the
    command module's path and line ("regions.py:53: DataWarning: ..."); now one
    ``warning:`` line, as every command prints a warning."""
    bowtie = _outline(tmp_path / "work" / "bowtie.geojson", bowtie=True)
    result = cli("regions", "--outlines-from", bowtie)
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert any(
        "repaired with shapely.make_valid" in line and "bowtie.geojson" in line for line in warned
    ), result.err
    assert "DataWarning" not in result.err and "regions.py" not in result.err


def test_outlines_from_a_plain_relative_file_still_reads(cli: Any, configs_copy: Path) -> None:
    """Control: a SYNTHETIC outline named relative to the working folder, as before."""
    before = (configs_copy / "outlines" / "bonaire.geojson").read_bytes()
    result = cli("regions", "--outlines-from=bonaire.geojson")
    _rebuilt_bonaire(result, configs_copy, before)
    assert "warning:" not in result.err.replace("warning: no polygon of", "")


# -- a file beside the link to a job -----------------------------------------------------------


def _linked_job(sandbox: Sandbox, **changes: Any) -> Path:
    """The tiny job (with ``changes``) moved to ``real/`` and linked from ``mine/job.yaml``,
    the folder holding its SYNTHETIC ``heat.tif``; the link's path."""
    if changes:
        sandbox.write_job(**changes)
    (sandbox.root / "real").mkdir()
    (sandbox.root / "mine").mkdir()
    sandbox.job_path.rename(sandbox.root / "real" / "job.yaml")
    (sandbox.root / "heat.tif").rename(sandbox.root / "mine" / "heat.tif")
    link = sandbox.root / "mine" / "job.yaml"
    link.symlink_to(Path("..") / "real" / "job.yaml")
    return link


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_the_ingest_names_a_file_beside_the_link(sandbox: Sandbox, cli: Any, command: str) -> None:
    """SYNTHETIC job linked into the folder of its file. Before: the stage commands load
    the job by its resolved path, so the run's ingest said "raster file not found ...
    (source 'heat' at .../real/job.yaml:17)" alone, where ``plan --strict`` said that
    ``heat.tif`` lies beside the link."""
    link = _linked_job(sandbox)
    assert_clean_error(
        cli(command, link, "-o", sandbox.out),
        1,
        "raster file not found",
        f"(source 'heat' at {sandbox.root / 'real' / 'job.yaml'}:",
        f"heat.tif is beside the link {link} in {link.parent}",
        f"taken from the folder of the file it links to, {sandbox.root / 'real'}",
    )
    assert not sandbox.out.exists()


def test_the_plain_plan_names_a_file_beside_the_link(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job linked into the folder of its file and its mask outline. Before: the
    plan (without ``--strict``) noted "layers counted from the config (...: raster file
    not found; check the path in the config)" and "mask.path: ...: outline file not
    found", with no word of the files beside the link."""
    link = _linked_job(sandbox, mask={"path": "coast.geojson"})
    _outline(link.parent / "coast.geojson")
    result = cli("plan", link)
    assert result.code == 0, result.out + result.err
    said = "".join((result.out + result.err).split())  # as wrapped to the terminal
    assert "Traceback" not in said
    for needle in (
        "layers counted from the config ("
        + str(sandbox.root / "real" / "heat.tif")
        + ": raster file not found; check the path in the config; heat.tif is "
        f"beside the link {link} in {link.parent}",
        f"outline file not found; coast.geojson is beside the link {link}",
    ):
        assert "".join(needle.split()) in said, said


def test_a_run_through_a_link_records_the_real_config(sandbox: Sandbox, cli: Any) -> None:
    """Control: SYNTHETIC job linked from another folder, its file beside the real config:
    the ingest runs, and the manifest records the real file's path, as before."""
    link = _linked_job(sandbox)
    (link.parent / "heat.tif").rename(sandbox.root / "real" / "heat.tif")
    result = cli("ingest", link, "-o", sandbox.out)
    assert result.code == 0, result.out + result.err
    assert "beside the link" not in result.out + result.err
    manifest = json.loads((sandbox.out / "manifest.json").read_text())
    assert manifest["config_path"] == str(sandbox.root / "real" / "job.yaml")


# -- -o a folder every user shares ---------------------------------------------------------------


def _shared_folder(path: Path) -> Path:
    """A folder as /tmp is: writable by all, with the sticky bit (mode 1777), holding a
    SYNTHETIC file of someone else's."""
    path.mkdir()
    path.chmod(0o1777)
    (path / "someone-elses.txt").write_text("SYNTHETIC\n")
    return path


def test_output_in_a_folder_every_user_shares_is_refused(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job, ``-o`` a folder of mode 1777. Before: ``-o /tmp`` (``-o
    "$TMPDIR/$RUN"`` with RUN unset) ran the job into the shared folder itself, exit 0,
    its cube, manifest and lock among every program's files."""
    shared = _shared_folder(sandbox.root.parent / "shared")
    before = sorted(p.name for p in shared.iterdir())
    assert_clean_error(
        cli("ingest", sandbox.job_path, "-o", shared),
        2,
        f"-o {shared}",
        "a folder every user and program shares",
        f"e.g. {shared / 'tiny'}",
        "$TMPDIR/$RUN",
    )
    assert sorted(p.name for p in shared.iterdir()) == before
    assert sandbox.untouched()


def test_plan_refuses_the_system_temporary_folder_as_output(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job planned with ``-o /tmp`` (nothing is written by a plan). Before: the
    plan took it, exit 0, and the run went into /tmp."""
    mode = os.stat("/tmp").st_mode
    if not (mode & stat.S_ISVTX and mode & stat.S_IWOTH):
        pytest.skip("/tmp here is not shared by all users")
    assert_clean_error(
        cli("plan", sandbox.job_path, "-o", "/tmp"),
        2,
        "-o /tmp",
        "a folder every user and program shares",
    )


def test_a_folder_of_the_jobs_own_inside_a_shared_folder_runs(sandbox: Sandbox, cli: Any) -> None:
    """Control: ``-o shared/tiny`` (a folder of the job's own below a 1777 one) plans
    through the same checks a run makes before it writes, exit 0."""
    shared = _shared_folder(sandbox.root.parent / "shared")
    result = cli("plan", "--strict", sandbox.job_path, "-o", shared / "tiny")
    assert result.code == 0, result.out + result.err
    assert "error:" not in result.err and "plan of job tiny" in result.out


# -- a name or a path on the command line: ~ and $VAR as no shell expanded them ----------------


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Path:
    """``$HOME`` made ``tmp_path/home``, holding the tiny job's region as ``area.yaml``, the
    tiny job as ``job.yaml`` (its SYNTHETIC ``heat.tif`` beside it) and Sentinel-2's band
    file as ``s2.yaml``."""
    import yaml

    folder = tmp_path / "home"
    folder.mkdir()
    region = {**sandbox.job()["region"], "title": "SYNTHETIC tiny region"}
    (folder / "area.yaml").write_text(yaml.safe_dump(region, sort_keys=False))
    shutil.copy(sandbox.job_path, folder / "job.yaml")
    shutil.copy(sandbox.root / "heat.tif", folder / "heat.tif")
    shutil.copy(REPO / "configs" / "sensors" / "sentinel2.yaml", folder / "s2.yaml")
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("AREA_DIR", raising=False)
    return folder


@pytest.mark.parametrize("command", ["plan", "regions"])
def test_a_region_file_after_equals_or_quoted_is_read_from_home(
    sandbox: Sandbox, cli: Any, home: Path, command: str
) -> None:
    """``plan --region=~/area.yaml`` and ``regions '~/area.yaml'`` (no shell expands ``~``
    after ``=`` or in quotes). Before: "~/area.yaml: config file not found", where a job's
    ``region: ~/area.yaml`` reads it."""
    args = (
        ["plan", sandbox.job_path, "--region=~/area.yaml"]
        if command == "plan"
        else ["regions", "~/area.yaml"]
    )
    result = cli(*args)
    assert result.code == 0, result.out + result.err
    assert "error:" not in result.err
    if command == "regions":
        assert f"file{home / 'area.yaml'}" in "".join(result.out.split())
    else:
        assert "plan of job tiny on tiny" in result.out


@pytest.mark.parametrize("command", ["plan", "regions"])
def test_a_region_file_under_an_unexpanded_variable_names_it(
    sandbox: Sandbox, cli: Any, home: Path, command: str
) -> None:
    """``--region '$AREA_DIR/area.yaml'`` (single quotes, or a variable not set). Before:
    "$AREA_DIR/area.yaml: config file not found", no word of the variable."""
    args = (
        ["plan", sandbox.job_path, "--region", "$AREA_DIR/area.yaml"]
        if command == "plan"
        else ["regions", "$AREA_DIR/area.yaml"]
    )
    assert_clean_error(
        cli(*args),
        2,
        "$AREA_DIR/area.yaml: region file not found",
        "environment variables are not expanded",
        "$AREA_DIR is not set here",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["jobs", "~nouser53/job.yaml"],
        ["indices", "--list", "--sensor", "~nouser53/s2.yaml"],
    ],
    ids=["jobs", "indices-sensor"],
)
def test_a_home_folder_of_no_user_here_is_no_internal_error(
    cli: Any, home: Path, args: list[str]
) -> None:
    """``prospect jobs '~nouser/job.yaml'`` and ``indices --list --sensor '~nouser/...'``
    (a colleague's path). Before: "internal error: RuntimeError: Could not determine home
    directory", exit 70."""
    assert_clean_error(
        cli(*args),
        2,
        "~nouser53/",
        "the home folder of the user 'nouser53'",
        "whom this machine does not know",
        "the current folder",
    )


def test_jobs_under_an_unexpanded_variable_names_it(cli: Any, home: Path) -> None:
    """``prospect jobs '$HOME/job.yaml'`` in single quotes. Before: "no shipped job of that
    name and no job config there" and the list of shipped jobs, no word of ``$HOME``."""
    assert_clean_error(
        cli("jobs", "$HOME/job.yaml"),
        2,
        "$HOME/job.yaml",
        "environment variables are not expanded",
        f"'{home}' here",
    )


def test_a_sensor_file_after_equals_is_read_from_home(cli: Any, home: Path) -> None:
    """``indices --list --sensor=~/s2.yaml``. Before: the check found the file, then the
    listing read "./~/s2.yaml: config file not found"."""
    result = cli("indices", "--list", "--sensor=~/s2.yaml", "--json")
    assert result.code == 0, result.out + result.err
    assert "NDVI" in {entry["name"] for entry in json.loads(result.out)}


def test_a_region_file_named_relative_still_plans(
    sandbox: Sandbox, cli: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: ``--region area.yaml`` from the working folder, and ``prospect jobs`` of a
    job config's path, as before."""
    monkeypatch.chdir(home)
    result = cli("plan", sandbox.job_path, "--region", "area.yaml")
    assert result.code == 0, result.out + result.err
    assert "plan of job tiny on tiny" in result.out
    listed = cli("jobs", "job.yaml")
    assert listed.code == 0, listed.out + listed.err
    assert "tiny: SYNTHETIC robustness case" in listed.out
