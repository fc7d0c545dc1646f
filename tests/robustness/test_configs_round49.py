"""Round 49, configs and the command line: a short option joined to its value by ``=``
(``-o=out``), a yes/no key given a number or a word, and a list key given a word
(``chunks: auto``).

Every case runs the real CLI in this process (the ``cli`` fixture) on the tiny SYNTHETIC
job of :class:`~tests.robustness.conftest.Sandbox`; nothing is computed but a plan.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error

# -- a short option joined to its value by '=' ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["run", "{job}", "-o=out"],
            ["'-o=out'", "after a space, not after '='", "'=out'", "-o out or --out=out"],
        ),
        (["ingest", "{job}", "-o="], ["'-o='", "-o VALUE or --out=VALUE"]),
        (
            ["model", "score", "-c=cube.zarr", "-o", "map"],
            ["'-c=cube.zarr'", "'=cube.zarr'", "-c cube.zarr or --cube=cube.zarr"],
        ),
    ],
    ids=["run-o", "ingest-o-empty", "score-c"],
)
def test_a_short_option_joined_to_its_value_by_equals_is_refused(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needles: list[str],
) -> None:
    """SYNTHETIC job. Before: ``run job.yaml -o=out`` exited 0 having run the job into a
    folder named ``=out`` (click reads ``-oVALUE`` with the ``=``), and ``model score
    -c=cube.zarr`` looked for a cube named ``=cube.zarr``."""
    monkeypatch.chdir(sandbox.root)
    result = cli(*[a.format(job=sandbox.job_path) for a in args])
    assert result.code == 2, result.err[-3000:]
    text = " ".join(result.err.split())
    assert all(n in text for n in needles), text
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert sorted(os.listdir(sandbox.root)) == ["heat.tif", "job.yaml", "precious"]
    assert sandbox.untouched()


@pytest.mark.parametrize(
    "out",
    [["-oplanned"], ["--out=planned"], ["-o", "=planned"]],
    ids=["glued", "long-equals", "spaced"],
)
def test_a_short_option_glued_or_a_long_one_with_equals_still_works(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    out: list[str],
) -> None:
    """SYNTHETIC job (control): ``-oVALUE``, ``--out=VALUE`` and a value of its own word
    that starts with '=' are taken as they always were."""
    monkeypatch.chdir(sandbox.root)
    result = cli("plan", sandbox.job_path, *out)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err


# -- a yes/no key given a number or a word ---------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "shown"),
    [
        ("distance", 500, "not a number (500)"),
        ("distance", "1 km", "not the text '1 km'"),
        ("cross_zone", 2, "not a number (2)"),
    ],
    ids=["distance-500", "distance-1-km", "cross-zone-2"],
)
def test_a_switch_given_a_number_or_a_word_says_true_or_false(
    sandbox: Sandbox,
    cli: Any,
    where: str,
    value: object,
    shown: str,
) -> None:
    """SYNTHETIC job. Before: "Input should be a valid boolean, unable to interpret
    input", saying neither what the key takes nor what to write."""
    wells = {
        "kind": "points",
        "name": "wells",
        "path": "wells.csv",
        "x": "x",
        "y": "y",
        "crs": "EPSG:32619",
        "columns": ["li"],
    }
    (sandbox.root / "wells.csv").write_text("x,y,li\n500100,1350100,5\n")
    if where == "distance":
        changes: dict[str, Any] = {
            "sources": [*sandbox.job()["sources"], {**wells, "distance": value}]
        }
        key = "'sources.1.points.distance'"
    else:
        changes = {"region": {**TINY_REGION, "cross_zone": value}}
        key = "'region.cross_zone'"
    sandbox.write_job(**changes)
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(
        result, 2, key, "a switch, true or false", shown, "write true or false"
    )
    assert "Input should be a valid boolean" not in line


def test_a_switch_given_true_still_plans(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): ``distance: true`` and ``cross_zone: false`` plan."""
    (sandbox.root / "wells.csv").write_text("x,y,li\n500100,1350100,5\n")
    wells = {
        "kind": "points",
        "name": "wells",
        "path": "wells.csv",
        "x": "x",
        "y": "y",
        "crs": "EPSG:32619",
        "columns": ["li"],
        "distance": True,
    }
    sandbox.write_job(
        region={**TINY_REGION, "cross_zone": False}, sources=[*sandbox.job()["sources"], wells]
    )
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# -- a list key given a word -----------------------------------------------------------------


def test_chunks_given_a_word_says_to_write_the_list(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job. Before: ``chunks: auto`` (dask's word) was "Input should be a valid
    tuple" alone."""
    sandbox.write_job(region={**TINY_REGION, "chunks": "auto"})
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(
        result,
        2,
        "'region.chunks'",
        "'auto'",
        "a word",
        "list of values in brackets",
        "[512, 512]",
        "leave the key out",
    )
    assert "valid tuple" not in line


def test_chunks_given_quoted_numbers_keep_their_own_hint(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): ``chunks: '16'`` is still told it is quoted text."""
    sandbox.write_job(region={**TINY_REGION, "chunks": "16"})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "'region.chunks'", "quoted text", "write 16 without quotes")


# -- a config named without its ending -------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "file"), [("plan", "job.yaml"), ("run", "site.yml")], ids=["plan-yaml", "run-yml"]
)
def test_a_config_named_without_its_ending_names_the_file(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    file: str,
) -> None:
    """SYNTHETIC job. Before: ``prospect plan job`` beside ``job.yaml`` was "job: config
    file not found" alone."""
    monkeypatch.chdir(sandbox.root)
    if file != "job.yaml":
        sandbox.job_path.rename(sandbox.root / file)
        sandbox._before = sandbox.snapshot()  # the files as the user left them
    stem = file.split(".")[0]
    result = cli(command, stem, "-o", "out")
    assert_clean_error(
        result,
        2,
        f"{stem}: config file not found",
        f"'{file}' is there",
        "with its ending",
        f"give {file}",
    )
    assert not sandbox.out.exists() and sandbox.untouched()


def test_a_config_not_there_under_any_ending_is_not_found(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SYNTHETIC job (control): a name with no YAML file of it is "not found" as before."""
    monkeypatch.chdir(sandbox.root)
    result = cli("plan", "other")
    line = assert_clean_error(result, 2, "other: config file not found")
    assert "is there" not in line


# -- bounds of a national grid written [y, x] that still lie near its country ----------------

RD = {"name": "nl", "crs": "EPSG:28992", "resolution": 1000.0, "chunks": [256, 256]}


@pytest.mark.parametrize(
    ("bounds", "meant"),
    [
        ([300000, 0, 625000, 300000], "[0.0, 300000.0, 300000.0, 625000.0]"),
        ([530000, 130000, 600000, 210000], "[130000.0, 530000.0, 210000.0, 600000.0]"),
        ([305000, 170000, 420000, 215000], "[170000.0, 305000.0, 215000.0, 420000.0]"),
    ],
    ids=["netherlands", "friesland", "limburg"],
)
def test_rd_bounds_written_y_first_are_refused_as_swapped(
    sandbox: Sandbox,
    cli: Any,
    bounds: list[int],
    meant: str,
) -> None:
    """SYNTHETIC job. Before: RD New bounds written ``[y, x]`` lie under 5 degrees past the
    Netherlands (in Germany, Belgium, France), inside the slack a national grid is given,
    and were planned as a region there (exit 0)."""
    sandbox.write_job(region={**RD, "bounds": bounds})
    result = cli("plan", sandbox.job_path)
    assert_clean_error(
        result,
        2,
        "'region'",
        "look written with x and y swapped",
        meant,
        "wholly outside the area EPSG:28992 is made for",
    )


@pytest.mark.parametrize(
    "bounds",
    [[130000, 530000, 210000, 600000], [0, 650000, 100000, 700000]],
    ids=["friesland", "north-sea"],
)
def test_rd_bounds_in_order_or_offshore_still_plan(
    sandbox: Sandbox, cli: Any, bounds: list[int]
) -> None:
    """SYNTHETIC job (control): Friesland in order, and a North Sea region past RD New's
    area whose swapped bounds lie nowhere near it, plan as before."""
    sandbox.write_job(region={**RD, "bounds": bounds})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
