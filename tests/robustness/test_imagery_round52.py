"""Round 52: imagery.

1. A ``uint16`` copy of surface reflectance x 10000 (3500 for 0.35) under a Landsat
   Collection 2 Level-2 name (``..._SR_B4.TIF``) or item: the product's own data type, so
   ``_check_not_rescaled`` never looked at it, and Collection 2's pair (2.75e-5 x DN -
   0.2) read it -0.104, exit 0 (rounds 50 and 51 left it). Collection 2's DNs of a scene
   sit around 7273..43636 (reflectance 0..1): 90 % of a scene's cells below 5455 (-0.05)
   are no scene's DNs. A large file with no overview is read in five small windows, not
   whole.
2. A STAC search whose API applies CQL2 ``filter`` to a misspelt property
   (``eo:cloudcover``) answered no item: "found no items ...; widen the dates or relax
   'properties'", naming no property (round 51 left it; widening the dates found none
   either), and a bound no item of the window passes was said the same way.

SYNTHETIC one-band GeoTIFFs named as USGS names its files and SYNTHETIC STAC items, read
through the plain source's and the composite's real planning and computing (round 42's
helpers), a SYNTHETIC loopback STAC API applying CQL2 ``filter`` as written (round 36's
five items), and in-process ``prospect ingest``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from prospect.errors import ConfigError, DataError
from prospect.ingest.stac_search import resolve_search
from tests.robustness.conftest import TINY_REGION, Sandbox, assert_clean_error
from tests.robustness.test_imagery_round30 import GRID, StacApi, serving
from tests.robustness.test_imagery_round36 import FIVE, _search
from tests.robustness.test_imagery_round38 import _item
from tests.robustness.test_imagery_round42 import ORIGIN, _composite, _file, _plain

SR = {"scale": 2.75e-5, "offset": -0.2}
"""Collection 2's surface reflectance pair, stated with no ``unit``."""
L2 = "LC08_L2SP_198024_20210301_20210310_02_T1"
"""A SYNTHETIC Landsat 8 Collection 2 Level-2 product id."""


def _big(path: Path, value: int, side: int = 600) -> Path:
    """A SYNTHETIC ``side`` x ``side`` uint16 file of ``value`` (a 20-cell fill-0 frame
    round it, as a scene's edge), tiled, with no overview, over the SYNTHETIC grid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.zeros((side, side), "uint16")
    data[20:-20, 20:-20] = value
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=1,
        dtype="uint16",
        crs="EPSG:32631",
        nodata=0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        transform=from_origin(ORIGIN[0] - 300.0, ORIGIN[1] + 300.0, 30.0, 30.0),
    ) as dst:
        dst.write(data, 1)
    return path


def _refused(call: Any, name: str, lo: float, hi: float) -> None:
    with pytest.raises(DataError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message, message
    assert f"{name} as the DNs of surface reflectance" in message, message
    assert (
        f"but 90 % of its uint16 values (from {lo:g} to {hi:g}) would read below -0.05" in message
    ), message
    assert "values another tool has rescaled (e.g. reflectance x 10000)" in message, message
    assert "'scale: 0.0001' for reflectance x 10000" in message, message


# -- 1. a uint16 reflectance x 10000 under Collection 2's name --------------------------------


@pytest.mark.parametrize(
    ("value", "how"),
    [(3500, "name"), (3500, "item"), (1200, "name"), (5000, "item")],
    ids=["x10000-name", "x10000-item", "x10000-dark-name", "x10000-bright-item"],
)
def test_a_uint16_x10000_copy_under_collection2s_name_is_refused(
    tmp_path: Path, value: int, how: str
) -> None:
    """SYNTHETIC: a uint16 reflectance x 10000 named ``..._SR_B4.TIF`` (by its name and
    Collection 2's ``scale:``/``offset:``, or by an item of the product stating its pair):
    read 2.75e-5 x 3500 - 0.2 = -0.104, exit 0; now refused as values another tool
    rescaled."""
    name = f"{L2}_SR_B4.TIF"
    path = _file(tmp_path / name, value, "uint16", 0)
    if how == "item":
        item = _item(L2, "2021-03-01", {"platform": "landsat-8"}, "red", path, dict(SR))
        call = lambda: _composite(tmp_path, [item], {"red": "red"})  # noqa: E731
    else:
        call = lambda: _plain(tmp_path, {"red": path}, **SR)  # noqa: E731
    _refused(call, name, value, value)


def test_a_large_uint16_x10000_copy_with_no_overview_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a 600 x 600 tiled uint16 x 10000 copy (3500) with no overview and a fill
    frame, read by its windows (not whole): refused as the 20 x 20 one is."""
    name = f"{L2}_SR_B4.TIF"
    path = _big(tmp_path / name, 3500)
    _refused(lambda: _plain(tmp_path, {"red": path}, **SR), name, 3500, 3500)


def test_cli_a_uint16_x10000_copy_is_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str
) -> None:
    """SYNTHETIC job: ``prospect ingest`` of a plain source of a uint16 x 10000 copy under
    Collection 2's name and pair: ingested -0.104, exit 0; now exit 1, one ``error:`` line,
    nothing written beside the job."""
    west, _south, _east, north = TINY_REGION["bounds"]
    name = f"{L2}_SR_B4.TIF"
    _file(
        sandbox.root / name,
        3500,
        "uint16",
        0,
        crs=TINY_REGION["crs"],
        origin=(west, north),
        res=20.0,
    )
    sandbox.write_job(sources=[{"kind": "raster", "name": "ls", **SR, "bands": {"red": name}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(
        result,
        1,
        name,
        "90 % of its uint16 values (from 3500 to 3500) would read below -0.05",
        "values another tool has rescaled",
    )
    assert sandbox.untouched()


def test_uint16_collection2_dns_read_as_before(tmp_path: Path) -> None:
    """control (SYNTHETIC): Collection 2's own uint16 DNs under its name read as before
    (20000 -> 0.35, a dark water scene's 7000 -> -0.0075, by name and by item), a large
    tiled scene of DNs with no overview (20000 -> 0.35), and the x 10000 copy renamed with
    ``scale: 0.0001`` reads 0.35."""
    name = f"{L2}_SR_B4.TIF"
    for value, want in ((20000, 0.35), (7000, -0.0075)):
        path = _file(tmp_path / "a" / name, value, "uint16", 0)
        assert _plain(tmp_path / "a", {"red": path}, **SR)["red"] == pytest.approx(want, abs=1e-5)
        item = _item(L2, "2021-03-01", {"platform": "landsat-8"}, "red", path, dict(SR))
        assert np.nanmedian(
            _composite(tmp_path / "a", [item], {"red": "red"})["red"]
        ) == pytest.approx(want, abs=1e-5)
    big = _big(tmp_path / "b" / name, 20000)
    assert np.nanmedian(_plain(tmp_path / "b", {"red": big}, **SR)["red"]) == pytest.approx(
        0.35, abs=1e-5
    )
    renamed = _file(tmp_path / "c" / "red_x10000.tif", 3500, "uint16", 0)
    assert _plain(tmp_path / "c", {"red": renamed}, scale=1e-4)["red"] == pytest.approx(
        0.35, abs=1e-5
    )


# -- 2. a search an API filters to nothing ---------------------------------------------------

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
}


def _passes(expr: dict[str, Any], props: dict[str, Any]) -> bool:
    """Whether ``props`` pass a CQL2-JSON ``expr`` of comparisons (and ``and``), as an API
    applying ``filter`` reads it: an item not stating a property fails its comparison."""
    if expr["op"] == "and":
        return all(_passes(e, props) for e in expr["args"])
    prop, bound = expr["args"]
    value = props.get(prop["property"])
    return value is not None and _OPS[expr["op"]](value, bound)


@pytest.fixture(scope="module")
def strict() -> Iterator[str]:
    """A SYNTHETIC STAC API on loopback answering round 36's five items (cloud 10, 80,
    20, 95, 5 %) in one page, applying CQL2 ``filter`` as written (collection ``empty``:
    none)."""

    class Strict(StacApi):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            items = [] if body.get("collections") == ["empty"] else FIVE
            if body.get("filter"):
                items = [i for i in items if _passes(body["filter"], i["properties"])]
            self._send({"type": "FeatureCollection", "features": items, "links": []})

    server = serving(Strict)
    yield next(server)
    server.close()


def _resolve(url: str, folder: Path, **extra: Any) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, ids, _ = resolve_search(_search(url, **extra), GRID, folder)
    return sorted(ids)


@pytest.mark.parametrize(
    ("prop", "near"),
    [("eo:cloudcover", "eo:cloud_cover"), ("cloud_cover", "eo:cloud_cover")],
    ids=["eo-cloudcover", "no-prefix"],
)
def test_a_misspelt_property_an_api_filters_to_nothing_is_named(
    strict: str, tmp_path: Path, prop: str, near: str
) -> None:
    """SYNTHETIC API applying ``filter``: ``eo:cloudcover: {lt: 30}`` answered no item,
    refused "found no items ...; widen the dates or relax 'properties'" naming no property;
    now refused naming it and the property the window's items state, nothing saved."""
    with pytest.raises(ConfigError) as err:
        _resolve(strict, tmp_path, properties={prop: {"lt": 30}})
    message = str(err.value)
    assert "\n" not in message, message
    assert f"stac_search.properties {prop!r}: none of the 5 item(s)" in message, message
    assert f"did you mean {near!r}?" in message, message
    assert not (tmp_path / "s2.json").exists()


def test_a_bound_no_item_passes_names_the_values_the_items_hold(
    strict: str, tmp_path: Path
) -> None:
    """SYNTHETIC API applying ``filter``: ``eo:cloud_cover: {lt: 1}`` over items of 5..95 %
    was "found no items" naming neither the bound nor the items' values; now the message
    names both."""
    with pytest.raises(DataError) as err:
        _resolve(strict, tmp_path, properties={"eo:cloud_cover": {"lt": 1}})
    message = str(err.value)
    assert "\n" not in message, message
    assert "found no items" in message, message
    assert "that pass stac_search.properties eo:cloud_cover lt: 1, though" in message, message
    assert "though it holds 5 item(s) without them (eo:cloud_cover from 5 to 95)" in message
    assert "relax 'properties'" in message, message
    assert not (tmp_path / "s2.json").exists()


def test_a_window_of_no_items_names_the_properties_searched(strict: str, tmp_path: Path) -> None:
    """SYNTHETIC API applying ``filter``, a collection of no items: the refusal said
    "relax 'properties'", which would have found none either; now it names the
    comparisons and says the window holds no item without them."""
    with pytest.raises(DataError) as err:
        _resolve(
            strict,
            tmp_path,
            collections=["empty"],
            properties={"eo:cloud_cover": {"lt": 30}},
        )
    message = str(err.value)
    assert "\n" not in message, message
    assert "with stac_search.properties eo:cloud_cover lt: 30; none without" in message
    assert "none without them either); widen the dates, the collections or the region" in (
        message
    ), message


def test_a_property_the_items_state_filters_as_before(strict: str, tmp_path: Path) -> None:
    """control (SYNTHETIC): ``eo:cloud_cover: {lt: 30}`` keeps the three clear items, and
    no property the five."""
    assert _resolve(strict, tmp_path / "a", properties={"eo:cloud_cover": {"lt": 30}}) == [
        "S2_0",
        "S2_2",
        "S2_4",
    ]
    assert len(_resolve(strict, tmp_path / "b")) == 5
