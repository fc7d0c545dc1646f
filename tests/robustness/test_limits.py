"""Class 2: configs cannot exhaust the machine, and say what is wrong in the form written."""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from .conftest import TINY_REGION, Sandbox, assert_clean_error

LAUGHS = "a: &a [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                                      strict=True))
HEADER = "name: tiny\nregion: tiny\n"

YAML_CASES: list[tuple[str, str, list[str]]] = [
    ("billion-laughs", LAUGHS, ["(aliases expanded)", "20000"]),
    ("wide-list", "a: [" + "1, " * 150_000 + "1]\n", ["holds more than 20000 values"]),
    ("deep-flow", "a: " + "[" * 5000 + "]" * 5000 + "\n", ["nested", "line 1"]),
    ("deep-flow-huge", "a: " + "{a: " * 500_000 + "}" * 500_000 + "\n", ["nested", "32"]),
    ("deep-block", "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
     ["nested", "32"]),
    ("duplicate-top-key", HEADER + "name: other\n", ["duplicate key 'name'", "lines 1 and 3"]),
    ("duplicate-nested-key", HEADER.replace("region: tiny\n", "") +
     "region:\n  name: t\n  crs: EPSG:32619\n  crs: EPSG:4326\n",
     ["duplicate key 'crs'", "lines 4 and 5"]),
    ("duplicate-flow-key", "name: t\nregion: {base: bonaire, base: aruba}\n",
     ["duplicate key 'base'", "line 2"]),
    ("not-a-mapping", "- just\n- a list\n", ["top level must be a mapping"]),
    ("tab-indent", "name: t\n\tregion: x\n", ["not valid YAML", "line 2"]),
    ("binary", "\udcff\udcfe", ["saved as UTF-16"]),  # a UTF-16 byte-order mark alone
    ("tiff", "II*\x00\x08\x00\x00\x00\udc9c\udcff" * 8, ["a binary file, not a text config"]),
]


@pytest.mark.parametrize(("text", "needles"), [c[1:] for c in YAML_CASES],
                         ids=[c[0] for c in YAML_CASES])
def test_hostile_yaml_is_refused_quickly(sandbox: Sandbox, cli, text: str,
                                         needles: list[str]) -> None:
    sandbox.job_path.write_bytes(text.encode("utf-8", "surrogateescape"))
    sandbox._before = sandbox.snapshot()
    from prospect.config import load_job
    from prospect.errors import ConfigError

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ConfigError):
        load_job(sandbox.job_path)
    if "values" not in needles[0]:  # parsing 20 000 values takes PyYAML a few seconds
        assert time.perf_counter() - start < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 100 * 1024  # KiB
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, str(sandbox.job_path), *needles)
    assert not sandbox.out.exists() and sandbox.untouched()


def test_huge_config_file_is_refused_before_reading(sandbox: Sandbox, cli) -> None:
    with sandbox.job_path.open("w") as f:
        f.write(HEADER)
        f.write("description: '" + "x" * (5 * 1024 * 1024) + "'\n")
    sandbox._before = sandbox.snapshot()
    result = cli("run", sandbox.job_path, "-o", sandbox.out)
    assert_clean_error(result, 2, str(sandbox.job_path), "too big", "MiB")
    assert not sandbox.out.exists()


def test_aliases_within_the_cap_still_load(sandbox: Sandbox) -> None:
    """``yaml.safe_dump`` writes anchors for repeated values; such configs keep loading."""
    import yaml

    from prospect.config import load_yaml

    shared = {"variable": "heat", "colormap": "viridis"}
    text = yaml.safe_dump({"a": shared, "b": [shared, shared]})
    assert "*id" in text
    sandbox.job_path.write_text(text)
    assert load_yaml(sandbox.job_path) == {"a": shared, "b": [shared, shared]}


def _region(**changes: Any) -> dict[str, Any]:
    return {**TINY_REGION, **changes}


GRID_CASES: list[tuple[str, Any, list[str]]] = [
    ("zero-cells", _region(resolution=1e9), ["larger than the bounds"]),
    ("one-cell-past-the-bounds", _region(resolution=2e5), ["larger than the bounds"]),
    ("too-many-cells", _region(resolution=0.02, bounds=[400000.0, 1.0e6, 700000.0, 1.3e6]),
     ["cells per variable", "limit"]),
    ("degrees-with-metres", _region(crs="EPSG:4326", resolution=10.0,
                                    bounds=[-68.4, 12.0, -68.2, 12.3]),
     ["EPSG:4326", "degree"]),
    ("metres-with-degrees", _region(resolution=0.0001), ["EPSG:32619", "metre"]),
    ("inf-bounds", _region(bounds=[500000.0, 1350000.0, float("inf"), 1350400.0]),
     ["region.bounds"]),
    ("nan-resolution", _region(resolution=float("nan")), ["region.resolution"]),
    ("reversed-bounds", _region(bounds=[1.0, 2.0, 0.0, 4.0]), ["region.bounds", "right > left"]),
    ("zero-chunks", _region(chunks=[0, 20]), ["region.chunks.0"]),
    # 40 000 tasks a variable on a 200 x 200 grid; a stop signal waited minutes
    ("one-cell-chunks", _region(chunks=[1, 1]), ["region.chunks.0", "at least 16"]),
    ("override-tiny-chunks", {"base": "bonaire", "chunks": [512, 4]},
     ["region.chunks.1", "at least 16"]),
    ("override-bad-resolution", {"base": "bonaire", "resolution": -1}, ["region.resolution"]),
    ("override-zero-cells", {"base": "bonaire", "resolution": 1e12}, ["larger than the bounds"]),
    ("reference-zero-chunks", {"reference": "heat.tif", "chunks": [0, 1]}, ["region.chunks.0"]),
    ("unknown-shipped-name", "atlantis", ["unknown region 'atlantis'"]),
    ("number", 12, ["region"]),
]


@pytest.mark.parametrize(("region", "needles"), [c[1:] for c in GRID_CASES],
                         ids=[c[0] for c in GRID_CASES])
def test_bad_grids_are_refused_before_allocation(sandbox: Sandbox, cli, region: Any,
                                                 needles: list[str]) -> None:
    sandbox.write_job(region=region)
    for command in (["plan", sandbox.job_path], ["run", sandbox.job_path, "-o", sandbox.out]):
        result = cli(*command)
        line = assert_clean_error(result, 2, str(sandbox.job_path), *needles)
        # only the form the user wrote is discussed, never all five alternatives
        for other in ("RegionOverride", "ReferenceRegion", "region.str", "reference'",
                      "base'"):
            assert other not in result.err, line
    assert not sandbox.out.exists() and sandbox.untouched()


def test_cell_limit_is_configurable(sandbox: Sandbox, cli, monkeypatch) -> None:
    sandbox.write_job()
    monkeypatch.setenv("PROSPECT_MAX_CELLS", "100")
    result = cli("plan", sandbox.job_path)
    assert_clean_error(result, 2, "1.6e+03 cells", "limit of 100", "PROSPECT_MAX_CELLS")
    monkeypatch.setenv("PROSPECT_MAX_CELLS", "1600")
    assert cli("plan", sandbox.job_path).code == 0
