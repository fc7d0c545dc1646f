"""Round 50, configs and the command line: region bounds written in kilometres for a CRS
in metres, and a command's option written before the command's name (``prospect -o out
plan job.yaml``).

Every case runs the real CLI in this process (the ``cli`` fixture) on the tiny SYNTHETIC
job of :class:`~tests.robustness.conftest.Sandbox`; nothing is computed but a plan.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error

# -- bounds in kilometres for a CRS in metres ------------------------------------------------


@pytest.mark.parametrize(
    ("crs", "bounds", "meant"),
    [
        ("EPSG:28992", [13, 306, 278, 619], "[13000, 306000, 278000, 619000]"),
        ("EPSG:32619", [550, 1330, 590, 1370], "[550000, 1330000, 590000, 1370000]"),
        ("EPSG:3405", [380, 2470, 420, 2510], "[380000, 2470000, 420000, 2510000]"),
    ],
    ids=["rd-netherlands", "utm19-bonaire", "vn2000-thai-nguyen"],
)
def test_bounds_in_kilometres_are_refused_with_the_metres_meant(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    crs: str,
    bounds: list[int],
    meant: str,
) -> None:
    """SYNTHETIC job. Before: RD New bounds in kilometres lie 2.8 degrees south of the
    Netherlands, inside the slack a national grid is given: a 265 x 313 m region planned in
    France (exit 0); in UTM or VN-2000 they were "extends 1.48 degrees past the UTM zone
    ... set 'cross_zone: true'" or "far from the area", keeping the numbers. For RD the
    swapped numbers, as near, were offered as the fix."""
    monkeypatch.chdir(sandbox.root)
    sandbox.write_job(region={"name": "km", "crs": crs, "resolution": 100.0, "bounds": bounds})
    result = cli("plan", sandbox.job_path, "-o", "out")
    line = assert_clean_error(
        result,
        2,
        "'region'",
        "look written in kilometres",
        f"{crs} is in metres",
        meant,
        "write them so",
        "resolution in metres",
    )
    assert "swapped" not in line and "cross_zone" not in line
    assert not sandbox.out.exists() and sandbox.untouched()


@pytest.mark.parametrize(
    ("crs", "bounds"),
    [
        ("EPSG:28992", [13000, 306000, 278000, 619000]),
        ("EPSG:32619", [550000, 1330000, 590000, 1370000]),
    ],
    ids=["rd-metres", "utm19-metres"],
)
def test_bounds_in_metres_still_plan(
    sandbox: Sandbox, cli: Any, crs: str, bounds: list[int]
) -> None:
    """SYNTHETIC job (control): the same regions in metres plan as before."""
    sandbox.write_job(region={"name": "m", "crs": crs, "resolution": 1000.0, "bounds": bounds})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    assert "kilometres" not in result.err


# -- a command's option written before the command ------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["-o", "out", "plan", "{job}"],
            ["'-o' is written before the command", "'prospect plan'", "prospect plan {job} -o out"],
        ),
        (
            ["--out=out", "run", "{job}"],
            ["'--out'", "'prospect run'", "prospect run {job} --out=out"],
        ),
        (
            ["--workers", "2", "ingest", "{job}", "-o", "out"],
            ["'--workers'", "'prospect ingest'", "prospect ingest {job} -o out --workers 2"],
        ),
        (
            ["-c", "cube.zarr", "model", "score", "-o", "map"],
            ["'-c'", "'prospect model score'", "prospect model score -o map -c cube.zarr"],
        ),
    ],
    ids=["plan-o", "run-out-equals", "ingest-workers", "model-score-c"],
)
def test_a_commands_option_before_the_command_says_where_it_goes(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needles: list[str],
) -> None:
    """SYNTHETIC job. Before: ``prospect -o out plan job.yaml`` was click's "No such
    option: -o" beside the usage line, though the option exists, after the command."""
    monkeypatch.chdir(sandbox.root)
    job = "job.yaml"
    result = cli(*[a.format(job=job) for a in args])
    assert result.code == 2, result.err[-3000:]
    text = " ".join(result.err.split())
    assert all(n.format(job=job) in text for n in needles), text
    assert "No such option" not in text
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert sorted(os.listdir(sandbox.root)) == ["heat.tif", "job.yaml", "precious"]
    assert sandbox.untouched()


def test_an_option_no_command_takes_is_still_no_such_option(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job (control): a word before the command that is no option of it is
    click's "No such option" as before, and the option after the command plans."""
    monkeypatch.chdir(sandbox.root)
    result = cli("-x", "plan", "job.yaml")
    assert result.code == 2 and "No such option: -x" in result.err, result.err[-3000:]
    result = cli("plan", "job.yaml", "-o", "out")
    assert result.code == 0, result.err[-3000:]


def test_the_version_before_a_command_is_still_the_version(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job (control): ``--version`` (the root's own option) is taken as before."""
    monkeypatch.chdir(sandbox.root)
    result = cli("--version", "plan", "job.yaml")
    assert result.code == 0 and "prospect" in result.out, result.err[-3000:]


# -- words past a command's arguments: the output folder without -o, more configs -----------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["run", "job.yaml", "out"],
            [
                "'out' is one word more than 'prospect run' takes",
                "given with -o",
                "write prospect run job.yaml -o out",
            ],
        ),
        (
            ["ingest", "job.yaml", "out", "--workers", "1"],
            ["'out'", "'prospect ingest'", "write prospect ingest job.yaml --workers 1 -o out"],
        ),
        (
            ["plan", "job.yaml", "other.yaml"],
            [
                "'prospect plan' takes one config, and was given 2",
                "shell pattern",
                'for f in job.yaml other.yaml; do prospect plan "$f"; done',
            ],
        ),
        (
            ["run", "job.yaml", "other.yaml", "-o", "out"],
            [
                "'prospect run' takes one config",
                "each job its own output folder",
                'do prospect run "$f" -o out/"$(basename "$f" .yaml)"; done',
            ],
        ),
    ],
    ids=["run-out-without-o", "ingest-out-without-o", "plan-two-configs", "run-two-configs"],
)
def test_words_past_the_config_say_what_to_write(
    sandbox: Sandbox,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needles: list[str],
) -> None:
    """SYNTHETIC job. Before: ``prospect run job.yaml out`` (the output folder without
    ``-o``) and ``prospect plan *.yaml`` (a shell pattern) were click's "Got unexpected
    extra argument(s)" alone, saying neither that -o gives the output nor that a command
    takes one config."""
    monkeypatch.chdir(sandbox.root)
    (sandbox.root / "other.yaml").write_text(sandbox.job_path.read_text())
    sandbox._before = sandbox.snapshot()
    result = cli(*args)
    assert result.code == 2, result.err[-3000:]
    text = " ".join(result.err.split())
    assert all(n in text for n in needles), text
    assert "unexpected extra argument" not in text
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert not sandbox.out.exists() and sandbox.untouched()


def test_an_extra_word_of_no_kind_is_still_clicks_and_one_config_plans(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC job (control): a word past ``-o`` (no output folder left out, no config
    file) or after a flag (``--json true``) is click's "unexpected extra argument" as
    before; one config with -o plans."""
    monkeypatch.chdir(sandbox.root)
    for words in (["-o", "out", "stray"], ["--json", "true"]):
        result = cli("plan", "job.yaml", *words)
        assert result.code == 2, result.err[-3000:]
        assert "unexpected extra argument" in result.err, result.err[-3000:]
    result = cli("plan", "job.yaml", "-o", "out")
    assert result.code == 0, result.err[-3000:]


# -- a region in degrees written latitude first, the file told to change ---------------------

BONAIRE_LAT_FIRST = {
    "name": "bon",
    "crs": "EPSG:4326",
    "resolution": 0.01,
    "bounds": [12.0, -68.45, 12.35, -68.15],
}
WEST_FIRST = "[-68.45, 12, -68.15, 12.35]"
GEOLOGY = (
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
    '{"unit": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[-68.45, 12.0], '
    "[-68.15, 12.0], [-68.15, 12.35], [-68.45, 12.35], [-68.45, 12.0]]]}}]}"
)


def _wells(sandbox: Sandbox, text: str, **keys: Any) -> dict[str, Any]:
    """A SYNTHETIC well table beside the job, and its points source."""
    (sandbox.root / "wells.csv").write_text(text)
    return {
        "kind": "points",
        "name": "wells",
        "path": "wells.csv",
        "columns": ["li"],
        "distance": True,
        **keys,
    }


@pytest.mark.parametrize("kind", ["wells-lonlat", "geology-geojson"])
def test_a_region_written_latitude_first_is_offered_beside_the_files_fix(
    sandbox: Sandbox, cli: Any, kind: str
) -> None:
    """SYNTHETIC job. Before: a region in EPSG:4326 written ``[south, west, north, east]``
    with a well table or a GeoJSON in longitude, latitude order was told only to change
    the file (``x: 'lat'`` and ``y: 'lon'``, or an ``ogr2ogr ... axisswap`` rewrite): done,
    the data were read onto the Antarctic ground the region named, and the job ran."""
    if kind == "wells-lonlat":
        text = "lon,lat,li\n-68.3,12.2,5\n-68.25,12.1,7\n-68.2,12.3,3\n"
        source = _wells(sandbox, text, x="lon", y="lat", crs="EPSG:4326")
        file_fix = "set x: 'lat' and y: 'lon'"
    else:
        (sandbox.root / "geo.geojson").write_text(GEOLOGY)
        source = {"kind": "vector", "name": "geology", "path": "geo.geojson", "attribute": "unit"}
        file_fix = "ogr2ogr"
    sandbox.write_job(region=BONAIRE_LAT_FIRST, sources=[source])
    result = cli("plan", sandbox.job_path, "--strict")
    line = assert_clean_error(
        result,
        1,
        "if the region's bounds are the ones written latitude first",
        f"write region.bounds [west, south, east, north] as {WEST_FIRST}",
        "if the file's are:",
        file_fix,
    )
    assert line.index("region's bounds") < line.index(file_fix)


def test_wells_in_metres_name_a_region_written_latitude_first(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job. Before: wells in UTM metres with a region in degrees written latitude
    first were "check the coordinate columns (x, y) and crs (EPSG:32619)" alone: both
    right, and the region's bounds not named."""
    text = "x,y,li\n570000,1350000,5\n575000,1340000,7\n"
    source = _wells(sandbox, text, x="x", y="y", crs="EPSG:32619")
    sandbox.write_job(region=BONAIRE_LAT_FIRST, sources=[source])
    result = cli("plan", sandbox.job_path, "--strict")
    assert_clean_error(
        result,
        1,
        "none of its 2 points lies in the region",
        "the region's bounds look written latitude first",
        f"as [west, south, east, north], {WEST_FIRST}, they hold 2 of the points",
        "write region.bounds so",
    )


def test_a_geopackage_in_metres_names_a_region_written_latitude_first(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC job. Before: a GeoPackage of wells in UTM metres (its CRS stated, and
    right) under a region in degrees written latitude first was "its points were read in
    the file's own CRS ...: if that is wrong, give the right one with 'crs:'"."""
    import geopandas as gpd
    from shapely.geometry import Point

    wells = gpd.GeoDataFrame(
        {"li": [5.0, 7.0]},
        geometry=[Point(570000, 1350000), Point(575000, 1340000)],
        crs="EPSG:32619",
    )
    wells.to_file(sandbox.root / "wells.gpkg", driver="GPKG")
    source = {
        "kind": "points",
        "name": "wells",
        "path": "wells.gpkg",
        "columns": ["li"],
        "distance": True,
    }
    sandbox.write_job(region=BONAIRE_LAT_FIRST, sources=[source])
    result = cli("plan", sandbox.job_path, "--strict")
    line = assert_clean_error(
        result,
        1,
        "none of its 2 points lies in the region",
        "the region's bounds look written latitude first",
        f"as [west, south, east, north], {WEST_FIRST}, they hold 2 of the points",
    )
    assert "if that is wrong" not in line


def test_a_table_swapped_under_a_region_in_metres_keeps_only_the_files_fix(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC job (control): under a UTM region (no latitude-first reading) a table whose
    longitude and latitude columns are swapped is told to swap them, as before."""
    text = "lon,lat,li\n12.2138,-68.9982,5\n"
    source = _wells(sandbox, text, x="lon", y="lat", crs="EPSG:4326")
    sandbox.write_job(sources=[*sandbox.job()["sources"], source])
    result = cli("plan", sandbox.job_path, "--strict")
    line = assert_clean_error(result, 1, "set x: 'lat' and y: 'lon'")
    assert "region's bounds" not in line and "region.bounds" not in line


def test_a_region_in_degrees_written_west_first_still_plans(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): the same wells and geology, the region written [west, south,
    east, north], plan with no word of where they lie."""
    (sandbox.root / "geo.geojson").write_text(GEOLOGY)
    text = "lon,lat,li\n-68.3,12.2,5\n-68.25,12.1,7\n-68.2,12.3,3\n"
    wells = _wells(sandbox, text, x="lon", y="lat", crs="EPSG:4326")
    geology = {"kind": "vector", "name": "geology", "path": "geo.geojson", "attribute": "unit"}
    region = {**BONAIRE_LAT_FIRST, "bounds": [-68.45, 12.0, -68.15, 12.35]}
    sandbox.write_job(region=region, sources=[wells, geology])
    result = cli("plan", sandbox.job_path, "--strict")
    assert result.code == 0, result.err[-3000:]
    assert "lies in the region" not in result.err and "region.bounds" not in result.err


# -- a region file taking its grid from a reference raster ----------------------------------


@pytest.mark.parametrize(
    ("keys", "how"),
    [
        ("reference: heat.tif\n", "job-region"),
        ("crs: EPSG:32619\nreference: heat.tif\n", "job-region"),
        ("reference: heat.tif\n", "--region"),
    ],
    ids=["reference", "crs-and-reference", "region-option"],
)
def test_a_region_file_with_a_reference_raster_names_the_key(
    sandbox: Sandbox, cli: Any, monkeypatch: pytest.MonkeyPatch, keys: str, how: str
) -> None:
    """SYNTHETIC job. Before: a region file written ``reference: heat.tif`` (as a job's own
    region may be) was "missing required key 'crs'", 'resolution' and 'bounds' (three
    lines, or two beside a ``crs:``), not a word of the key written."""
    monkeypatch.chdir(sandbox.root)
    (sandbox.root / "grid.yaml").write_text(f"kind: region\nname: grid\n{keys}")
    if how == "job-region":
        sandbox.write_job(region="grid.yaml")
        result = cli("plan", "job.yaml")
    else:
        sandbox._before = sandbox.snapshot()
        result = cli("plan", "job.yaml", "--region", "grid.yaml")
    line = assert_clean_error(
        result,
        2,
        "grid.yaml: a region file cannot take its grid from a reference raster",
        "'reference: heat.tif'",
        "write its crs, resolution and bounds",
        "put {reference: ...} in the job's 'region:' itself",
    )
    assert "missing required key" not in result.err, line
    assert sandbox.untouched()


def test_a_jobs_own_region_from_a_reference_raster_still_plans(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): ``region: {reference: heat.tif}`` in the job plans."""
    sandbox.write_job(region={"name": "grid", "reference": "heat.tif", "chunks": [20, 20]})
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]


# -- an unknown key said to mean a key written beside it -------------------------------------


def test_a_version_key_is_not_said_to_mean_the_region_written_beside_it(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC job. Before: ``version: 2`` at the top of a job (a config of another
    schema, another tool's habit) was "did you mean 'region'?", though the job has its
    ``region:``: following it wrote the region twice."""
    sandbox.write_job("version: 2\n" + sandbox.job_path.read_text())
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(
        result, 2, "job.yaml:1:", "unknown key 'version'", "remove it", "keys allowed here"
    )
    assert "did you mean" not in line


def test_a_key_nearly_one_written_beside_it_says_it_is_written_twice(
    sandbox: Sandbox, cli: Any
) -> None:
    """SYNTHETIC job: ``nodta:`` beside ``nodata:`` is still that key, said as written
    twice."""
    sandbox.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "nodata": 0, "nodta": 1}]
    )
    result = cli("plan", sandbox.job_path)
    assert_clean_error(
        result,
        2,
        "unknown key 'sources.0.raster.nodta'",
        "did you mean 'nodata'?",
        "'nodata' is written too: keep one",
    )


def test_a_misspelt_key_alone_is_still_the_key_meant(sandbox: Sandbox, cli: Any) -> None:
    """SYNTHETIC job (control): ``nodta:`` with no ``nodata:`` is "did you mean 'nodata'?"
    alone, as before."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "nodta": 1}])
    result = cli("plan", sandbox.job_path)
    line = assert_clean_error(
        result, 2, "unknown key 'sources.0.raster.nodta'", "did you mean 'nodata'?"
    )
    assert "written too" not in line
