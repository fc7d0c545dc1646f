"""Round 65: imagery.

Azure URLs that GDAL reads otherwise than they say (``prospect/io/remote.py``,
``azure_account_refusal``, the one mapping of a config's ``path:`` and an item's href):

* a URL of a sovereign cloud (``abfss://imagery@survey01.dfs.core.chinacloudapi.cn/...``,
  Azure Government's ``.core.usgovcloudapi.net``) was read under the environment's account
  at the public cloud's endpoint (``survey01.blob.core.windows.net``: another account of
  that name, or none); a public cloud's URL where the environment's connection string
  names another cloud's ``EndpointSuffix`` likewise. Now refused before any request,
  naming both clouds and the connection string to set;
* an Azure Data Lake Storage Gen1 URL (``adl://<store>.azuredatalakestore.net/<path>``,
  retired on 29 February 2024) was mapped to ``/vsiadls/<store>.azuredatalakestore.net/``,
  the store read as a Gen2 file system; a config's ``path:`` of that form was taken for a
  local file. Now refused naming the retirement and the Gen2 form.

A stac-geoparquet catalogue (``stac: items.parquet``, as ``rustac``, ``stac-geoparquet``
and STAC APIs export items) was "cannot read as STAC JSON: 'utf-8' codec can't decode
byte ..."; now read (``prospect/ingest/stac_parquet.py``, pyarrow), a Parquet file of
another table refused naming the columns it lacks, one in a bucket refused naming how to
convert it.

The warning of a search whose API ignores CQL2 ``filter`` wrote a yes/no as Python does
(``whose earthsearch:boa_offset_applied True fails eq: False``), a form the config does
not take; now as the item's JSON and the config write it (``true``, ``false``).

SYNTHETIC: round 61b's one-item Landsat 8 catalogue (written by ``rustac`` as
stac-geoparquet here, with a made-up footprint), round 38's 20 x 20 ``SR_B4``-like GeoTIFFs,
round 62b's keyless environment, round 64's loopback STAC API answering three items
whatever the filter; account names and keys made up; no request leaves the machine
(``GDAL_HTTP_PROXY`` on a closed loopback port).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.vsi import gdal_name
from prospect.errors import DataWarning, InputFileError
from prospect.ingest.stac_search import resolve_search
from tests.robustness import test_imagery_round62b as r62b
from tests.robustness import test_imagery_round64 as r64
from tests.robustness.conftest import Sandbox, run_in_process
from tests.robustness.test_imagery_round38 import GRID, WINDOW, _band
from tests.robustness.test_imagery_round61b import DN_03, ID, _catalogue, _planned, _source
from tests.robustness.test_imagery_round62 import _failure
from tests.robustness.test_imagery_round63 import EMULATOR_KEY

keyless = r62b.keyless
"""Round 62b's environment without any object store's keys (fixture)."""
boa_api = r64.boa_api
"""Round 64's loopback STAC API answering three items whatever the filter (fixture)."""

SR = {"scale": 2.75e-05, "offset": -0.2}
PUBLIC = "AZURE_STORAGE_ACCOUNT={} (with AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_ACCESS_KEY, " \
    "or AZURE_STORAGE_CONNECTION_STRING) in the environment"
CLOUDS = {"china": ("core.chinacloudapi.cn", "Azure China"),
          "government": ("core.usgovcloudapi.net", "Azure Government")}


def _connection(suffix: str) -> str:
    return (f"AZURE_STORAGE_CONNECTION_STRING='AccountName=survey01;AccountKey=<key>;"
            f"EndpointSuffix={suffix}' (or SharedAccessSignature=<token> for "
            "AccountKey=<key>) in the environment")


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    monkeypatch.setenv("GDAL_HTTP_PROXY", "127.0.0.1:9")  # no request leaves the machine


def _refused_path(written: str) -> str:
    with pytest.raises(ValueError) as err:
        gdal_name(written, None)
    message = str(err.value)
    assert "\n" not in message, message
    return message


# -- a sovereign cloud's URL ---------------------------------------------------------------


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
@pytest.mark.parametrize("cloud", ["china", "government"])
def test_a_sovereign_cloud_href_is_refused_where_gdal_reads_the_public_cloud(
    tmp_path: Path, keyless: None, monkeypatch: pytest.MonkeyPatch, cloud: str,
    composite: bool
) -> None:
    """SYNTHETIC: the environment names account survey01 (``AZURE_STORAGE_ACCOUNT``, a
    key), the item's href ``abfss://imagery@survey01.dfs.core.chinacloudapi.cn/...``: read
    at ``survey01.blob.core.windows.net``, the public cloud's account of that name (here
    the network's failure); now refused before any request, naming both clouds and the
    connection string that names the URL's."""
    suffix, name = CLOUDS[cloud]
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "survey01")
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", EMULATOR_KEY)
    _offline(monkeypatch)
    href = f"abfss://imagery@survey01.dfs.{suffix}/landsat/SR_B4.TIF"
    stac = _catalogue(tmp_path, href)
    message = _failure(lambda: _planned(_source(stac, composite), composite))
    assert message == (
        f"{stac}: item {ID!r}, asset 'red': {href} is an Azure URL of {name} ({suffix}), "
        "account survey01, which GDAL reads in Azure's public cloud (core.windows.net), "
        f"the environment naming no other: set {_connection(suffix)}, and run again"), message


def test_a_sovereign_cloud_path_without_an_account_names_the_connection_string(
    keyless: None
) -> None:
    """SYNTHETIC: a config's ``path: abfss://imagery@survey01.dfs.core.chinacloudapi.cn/...``
    without an account in the environment was told to set ``AZURE_STORAGE_ACCOUNT``, which
    reads the public cloud; now the connection string with the URL's ``EndpointSuffix``."""
    message = _refused_path("abfss://imagery@survey01.dfs.core.chinacloudapi.cn/s2/B04.tif")
    assert message == (
        "an Azure URL that names its storage account (survey01) in Azure China "
        "(core.chinacloudapi.cn), which GDAL takes from the environment: write "
        f"/vsiadls/imagery/s2/B04.tif and set {_connection('core.chinacloudapi.cn')}"), message


def test_a_public_cloud_path_where_the_environment_names_another_cloud_is_refused(
    keyless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the connection string names survey01 at ``EndpointSuffix=
    core.usgovcloudapi.net``, the config's ``path:`` the public cloud's survey01: read at
    Azure Government's; now refused naming both."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
        f"DefaultEndpointsProtocol=https;AccountName=survey01;AccountKey={EMULATOR_KEY};"
        "EndpointSuffix=core.usgovcloudapi.net"))
    message = _refused_path("abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif")
    assert message == (
        "an Azure URL of Azure's public cloud (core.windows.net), account survey01, which "
        "GDAL reads in Azure Government (core.usgovcloudapi.net), as the environment's "
        "EndpointSuffix says: write /vsiadls/imagery/s2/B04.tif and set "
        f"{_connection('core.windows.net')}"), message


# -- Azure Data Lake Storage Gen1 -----------------------------------------------------------

GEN1 = "adl://survey65.azuredatalakestore.net/landsat/SR_B4.TIF"
GEN1_SAID = (
    "an Azure Data Lake Storage Gen1 URL (adl://), a service Microsoft retired on 29 "
    "February 2024, which GDAL does not read (store survey65): its data, moved to a Gen2 "
    "storage account, are read as abfss://<container>@<account>.dfs.core.windows.net/"
    f"<path>: write that form and set {PUBLIC.format('<account>')}")


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_a_gen1_href_is_refused_naming_the_retirement(
    tmp_path: Path, keyless: None, monkeypatch: pytest.MonkeyPatch, composite: bool
) -> None:
    """SYNTHETIC: an item's href ``adl://survey65.azuredatalakestore.net/...`` was read as
    ``/vsiadls/survey65.azuredatalakestore.net/...`` (a Gen2 file system of the store's
    name: "no credentials"); now refused before any request, naming the retirement and
    the Gen2 form."""
    _offline(monkeypatch)
    stac = _catalogue(tmp_path, GEN1)
    message = _failure(lambda: _planned(_source(stac, composite), composite))
    assert message == f"{stac}: item {ID!r}, asset 'red': {GEN1} is {GEN1_SAID}, and run again"


def test_a_gen1_config_path_is_refused_naming_the_retirement(
    tmp_path: Path, keyless: None
) -> None:
    """SYNTHETIC job: ``path: adl://survey65.azuredatalakestore.net/...`` was taken for a
    local file; now refused at load, exit 2, one line naming the retirement, nothing
    written beside the job."""
    box = Sandbox(tmp_path / "box")
    box.write_job(sources=[{"kind": "raster", "name": "red", "units": "1", "path": GEN1}])
    result = run_in_process("plan", box.job_path)
    assert result.code == 2, result
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert repr(GEN1) in line and line.endswith(GEN1_SAID), line
    assert box.untouched()


# -- a stac-geoparquet catalogue ------------------------------------------------------------


def _geoparquet(root: Path, **properties: Any) -> str:
    """Round 61b's one-item catalogue as ``root/items.parquet``, written by rustac (its
    ``red`` asset ``./LC08/SR_B4.TIF``, reflectance 0.3 in every cell)."""
    rustac = pytest.importorskip("rustac")
    _band(root / "LC08" / "SR_B4.TIF", DN_03)
    item = json.loads(Path(_catalogue(root, "./LC08/SR_B4.TIF")).read_text())["features"][0]
    item["geometry"] = {"type": "Polygon", "coordinates": [
        [[4.0, 52.0], [5.0, 52.0], [5.0, 53.0], [4.0, 53.0], [4.0, 52.0]]]}
    item["bbox"] = [4.0, 52.0, 5.0, 53.0]
    item["properties"].update(properties)
    path = root / "items.parquet"
    rustac.write_sync(str(path), [item])
    return str(path)


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
def test_a_stac_geoparquet_catalogue_is_read(tmp_path: Path, composite: bool) -> None:
    """SYNTHETIC: ``stac: items.parquet`` (rustac's stac-geoparquet of one Landsat 8
    item) was "cannot read as STAC JSON: 'utf-8' codec can't decode byte ..."; now read:
    reflectance 0.3 in every cell, as from the item collection it was written from."""
    stac = _geoparquet(tmp_path)
    layers = _planned(_source(stac, composite), composite)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values


def test_a_stac_geoparquet_item_keeps_its_times_and_assets(tmp_path: Path) -> None:
    """SYNTHETIC: the item read back from stac-geoparquet is the one written: its
    ``datetime`` (RFC 3339 in UTC), footprint, bbox and asset's ``raster:bands``."""
    from prospect.ingest.stac import _items

    stac = _geoparquet(tmp_path, **{"eo:cloud_cover": 12.5})
    written = json.loads((tmp_path / "items.json").read_text())["features"][0]
    item = _items(stac)[0]
    assert item.id == ID
    assert item.properties["datetime"] == written["properties"]["datetime"]
    assert item.properties["eo:cloud_cover"] == 12.5
    assert item.bbox == [4.0, 52.0, 5.0, 53.0]
    assert item.assets["red"].extra_fields["raster:bands"] == \
        written["assets"]["red"]["raster:bands"]


def test_a_parquet_file_of_another_table_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a Parquet table of points given as ``stac:`` was "cannot read as STAC
    JSON: 'utf-8' codec can't decode byte 0x..."; now refused naming the columns a
    stac-geoparquet table has and how to convert."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from prospect.ingest.stac import _items

    path = tmp_path / "wells.parquet"
    pq.write_table(pa.table({"x": [1.0], "y": [2.0]}), path)
    with pytest.raises(InputFileError) as err:
        _items(str(path))
    assert str(err.value) == (
        f"{path}: a Parquet file without the column(s) ['id', 'assets'] of a "
        "stac-geoparquet item table, so no STAC items; give the stac-geoparquet export of "
        "the items (one row an item), or convert it to an item collection (rustac "
        "translate items.parquet items.json, or stac_geoparquet.arrow.stac_table_to_items) "
        "and give that as 'stac:'"), err.value


def test_a_stac_geoparquet_catalogue_in_a_bucket_is_refused_with_the_conversion(
    keyless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: ``stac: s3://survey65/items.parquet`` was read as UTF-8 text (here GDAL's
    "no credentials"; with keys "cannot read as STAC JSON"); now refused before any request,
    naming how to make it readable."""
    from prospect.ingest.stac import _items

    _offline(monkeypatch)
    with pytest.raises(InputFileError) as err:
        _items("s3://survey65/items.parquet")
    assert str(err.value) == (
        "s3://survey65/items.parquet: a stac-geoparquet catalogue is read from a local "
        "file only; copy it here, or convert it to an item collection (rustac translate "
        "items.parquet items.json, or stac_geoparquet.arrow.stac_table_to_items) and give "
        "that as 'stac:'"), err.value


# -- the API-ignores-filter warning ---------------------------------------------------------


@pytest.mark.parametrize(("properties", "said"), [
    ({"eq": False}, "'S2_0', whose earthsearch:boa_offset_applied true fails eq: false"),
    ({"in": [False]}, "'S2_0', whose earthsearch:boa_offset_applied true fails in: [false]"),
], ids=["eq", "in"])
def test_the_filter_warning_writes_a_yes_no_as_json(
    boa_api: str, tmp_path: Path, properties: dict[str, Any], said: str
) -> None:
    """SYNTHETIC: the warning of an API that ignores ``filter`` said "whose
    earthsearch:boa_offset_applied True fails eq: False" (Python's spelling, which the
    config does not take); now ``true`` and ``false`` as the item and the config write."""
    from prospect.config.sources import RasterSource

    source = RasterSource.model_validate({
        "name": "s2",
        "stac_search": {"url": boa_api, "collections": ["sentinel-2-l2a"],
                        "datetime": "2024-01-01/2024-03-31",
                        "properties": {"earthsearch:boa_offset_applied": properties}},
        "assets": {"red": "red"}, "composite": {"method": "median"},
    })
    with pytest.warns(DataWarning) as caught:
        resolve_search(source, GRID, tmp_path)
    messages = [str(w.message) for w in caught if "CQL2 'filter'" in str(w.message)]
    assert len(messages) == 1 and f"(e.g. {said})" in messages[0], messages
    assert "True" not in messages[0] and "False" not in messages[0], messages


# -- controls -------------------------------------------------------------------------------


def test_control_azure_urls_of_the_environments_cloud_map_as_before(
    keyless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """control: a China URL where the connection string names survey01 at
    ``EndpointSuffix=core.chinacloudapi.cn``, a public one under ``AZURE_STORAGE_ACCOUNT``,
    and one under an emulator's ``BlobEndpoint`` map to ``/vsiadls/imagery/...``."""
    written = "abfss://imagery@survey01.dfs.{}/s2/B04.tif"
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
        f"AccountName=survey01;AccountKey={EMULATOR_KEY};EndpointSuffix=core.chinacloudapi.cn"))
    assert gdal_name(written.format("core.chinacloudapi.cn"), None) == \
        "/vsiadls/imagery/s2/B04.tif"
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
        f"DefaultEndpointsProtocol=http;AccountName=survey01;AccountKey={EMULATOR_KEY};"
        "BlobEndpoint=http://127.0.0.1:10000/survey01;"))
    assert gdal_name(written.format("core.windows.net"), None) == "/vsiadls/imagery/s2/B04.tif"
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "survey01")
    assert gdal_name(written.format("core.windows.net"), None) == "/vsiadls/imagery/s2/B04.tif"


def test_control_a_json_catalogue_reads_as_before(tmp_path: Path) -> None:
    """control: the same item as an item collection (``items.json``) reads reflectance
    0.3, as before."""
    _band(tmp_path / "LC08" / "SR_B4.TIF", DN_03)
    stac = _catalogue(tmp_path, "./LC08/SR_B4.TIF")
    layers = _planned(_source(stac, True), True)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values

