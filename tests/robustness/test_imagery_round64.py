"""Round 64: imagery.

An Azure URL that names its storage account
(``abfss://<container>@<account>.dfs.core.windows.net/<path>``, as adlfs, Spark and
Databricks write a Data Lake Storage Gen2 file; ``az://<container>@<account>.blob...``):

* as a STAC item's asset href it was mapped whole to
  ``/vsiadls/<container>@<account>.../<path>``, the account read as part of the
  container's name, and failed on the store's answer ("no credentials", or the store's
  404), where a config's ``path:`` of the same form is refused with the setting to give
  (round 63); now one mapping for both: read as ``/vsiadls/<container>/<path>`` where the
  environment names that account (a connection string's ``AccountName``, or
  ``AZURE_STORAGE_ACCOUNT``), else refused naming the item, the asset, the account and
  the setting, before any request;
* a config's ``path:`` of that form was refused even where the environment names that
  account; now read;
* the config's refusal quoted the URL as ``abfss://***@survey01...``: the container
  before ``@`` was masked as a URL's user (``prospect/redact.py``); now a container's
  name is kept (a password, a token, a SAS ``sig=`` are masked as before).

A STAC catalogue kept in a bucket (``stac: s3://survey64/items.json``, ``/vsis3/...``,
``az://...``), beside its scenes: "STAC file not found; check 'stac:' in the config" (read
as a local path), also of a private bucket read unsigned and of a container read without
keys; now read through GDAL with the store's settings (its items' relative hrefs in the
bucket), its refusals said as a raster's, and read anew when rewritten in the bucket.

A STAC search whose API ignores CQL2 ``filter``, checked locally
(``stac_search.py::_holds``): a yes/no property compared with a yes/no
(``earthsearch:boa_offset_applied: {eq: false}``) kept every item as "not comparable"
(those with the BOA offset applied in the composite); now compared. A yes/no property
compared with text or a number (``eq: "false"``, ``eq: 0``) kept every item the same;
now refused naming the property, an item's value and the form to write.

SYNTHETIC: round 61b's loopback S3 endpoint and HTTP server, the latter played as an
Azure Blob endpoint (``AZURE_STORAGE_CONNECTION_STRING`` with ``BlobEndpoint=``, as GDAL
reaches Azurite), round 61b's one-item Landsat 8 catalogue, round 38's 20 x 20
``SR_B4``-like GeoTIFFs, round 62b's keyless environment, round 30's loopback STAC API
answering three items whatever the filter; account names and keys made up (Azurite's
published key).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import RasterSource
from prospect.errors import ConfigError
from prospect.ingest.stac_search import resolve_search
from prospect.redact import redact
from tests.robustness import test_imagery_round61b as r61b
from tests.robustness import test_imagery_round62b as r62b
from tests.robustness.conftest import Sandbox, run_in_process
from tests.robustness.test_imagery_round30 import StacApi, _api_items, serving
from tests.robustness.test_imagery_round38 import GRID, WINDOW, _band
from tests.robustness.test_imagery_round61b import DN_03, ID, _catalogue, _planned, _Served, _source
from tests.robustness.test_imagery_round62 import _failure, _raster
from tests.robustness.test_imagery_round62b import AZURE_KEYS
from tests.robustness.test_imagery_round63 import EMULATOR_KEY

blob = r61b.blob
"""Round 61b's loopback HTTP server (fixture)."""
keyless = r62b.keyless
"""Round 62b's environment without any object store's keys (fixture)."""

SETTINGS = ("(with AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_ACCESS_KEY, or "
            "AZURE_STORAGE_CONNECTION_STRING) in the environment")
HREFS = {
    "abfss": "abfss://imagery@survey01.dfs.core.windows.net/landsat/SR_B4_abfss.TIF",
    "az": "az://imagery@survey01.blob.core.windows.net/landsat/SR_B4_az.TIF",
}
"""Asset hrefs naming the storage account survey01, as adlfs and Spark write them."""
SR = {"scale": 2.75e-05, "offset": -0.2}


def _account_refused(stac: str, href: str, other: str = "") -> str:
    return (f"{stac}: item {ID!r}, asset 'red': {href} is an Azure URL that names its "
            "storage account (survey01), which GDAL takes from the environment"
            f"{other}: set AZURE_STORAGE_ACCOUNT=survey01 {SETTINGS}, and run again")


# -- an Azure href naming its account: one mapping with the config's -----------------------


@pytest.mark.parametrize("composite", [True, False], ids=["composite", "plain"])
@pytest.mark.parametrize("scheme", ["abfss", "az"])
def test_an_azure_href_naming_its_account_is_refused_with_the_setting(
    tmp_path: Path, keyless: None, scheme: str, composite: bool
) -> None:
    """SYNTHETIC: an item whose asset href is ``abfss://imagery@survey01.dfs...`` (or
    ``az://...@survey01.blob...``), no account in the environment: read as
    ``/vsiadls/imagery@survey01.dfs.core.windows.net/...`` ("no credentials"; with keys,
    the store's 404 of a container of that name); now refused before any request, naming
    the item, the asset, the account and the setting, as the config's ``path:`` is."""
    stac = _catalogue(tmp_path, HREFS[scheme])
    message = _failure(lambda: _planned(_source(stac, composite), composite))
    assert message == _account_refused(stac, HREFS[scheme]), message


def test_an_azure_href_naming_another_account_than_the_environments_is_refused(
    tmp_path: Path, keyless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: the environment names account survey02, the item's href survey01: it
    was read from survey02's container ``imagery@survey01.dfs.core.windows.net``; now
    refused naming both accounts."""
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "survey02")
    monkeypatch.setenv("AZURE_NO_SIGN_REQUEST", "YES")
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    monkeypatch.setenv("GDAL_HTTP_PROXY", "127.0.0.1:9")  # no request leaves the machine
    stac = _catalogue(tmp_path, HREFS["abfss"])
    message = _failure(lambda: _planned(_source(stac, True), True))
    assert message == _account_refused(stac, HREFS["abfss"],
                                       "; the environment names account survey02"), message


def _emulated(server: _Served, monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    """GDAL's Azure reads sent to ``server`` as the account ``account`` (as to Azurite)."""
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "0")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", (
        f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={EMULATOR_KEY};"
        f"BlobEndpoint={server.url}/{account};"))


@pytest.mark.parametrize("scheme", ["az", "abfss"])
def test_an_azure_href_naming_the_environments_account_is_read(
    tmp_path: Path, keyless: None, blob: _Served, monkeypatch: pytest.MonkeyPatch,
    scheme: str
) -> None:
    """SYNTHETIC: the environment's connection string names account survey01, the item's
    href ``az://imagery@survey01.blob...`` (``abfss://...@survey01.dfs...``): read from
    container ``imagery@survey01.blob.core.windows.net`` (the store's 404: the item lost,
    "could not be read"); now from container ``imagery``: reflectance 0.3 in every cell."""
    _emulated(blob, monkeypatch, "survey01")
    _band(blob.root / "survey01" / "imagery" / "landsat" / f"SR_B4_{scheme}.TIF", DN_03)
    stac = _catalogue(tmp_path, HREFS[scheme])
    layers = _planned(_source(stac, True), True)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values


def test_a_config_path_naming_the_environments_account_is_read(
    keyless: None, blob: _Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: ``path: az://imagery@survey01.blob.core.windows.net/s2/red.tif`` with the
    environment naming account survey01 was refused "write /vsiaz/imagery/s2/red.tif and
    set AZURE_STORAGE_ACCOUNT=survey01", though it is set; now read (the one mapping of
    the item's hrefs): the values of the file."""
    from prospect.ingest.rasters import plan_raster

    _emulated(blob, monkeypatch, "survey01")
    _band(blob.root / "survey01" / "imagery" / "s2" / "red.tif", DN_03)
    source = _raster("az://imagery@survey01.blob.core.windows.net/s2/red.tif")
    layers = plan_raster(source.model_copy(update=SR), GRID)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values


def test_the_config_refusal_quotes_the_container_unmasked(
    tmp_path: Path, keyless: None
) -> None:
    """SYNTHETIC job: the refusal of ``path: abfss://imagery@survey01.dfs...`` quoted the
    value as ``'abfss://***@survey01.dfs.core.windows.net/s2/B04.tif'`` (the container
    masked as a URL's user), though the form to write names it; now quoted as written,
    exit 2, one line, nothing written beside the job."""
    box = Sandbox(tmp_path / "box")
    written = "abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif"
    box.write_job(sources=[{"kind": "raster", "name": "red", "units": "1", "path": written}])
    result = run_in_process("plan", box.job_path)
    assert result.code == 2, result
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert repr(written) in line and "***" not in line, line
    assert line.endswith("write /vsiadls/imagery/s2/B04.tif and set AZURE_STORAGE_ACCOUNT="
                         f"survey01 {SETTINGS}"), line
    assert box.untouched()


@pytest.mark.parametrize(("text", "said"), [
    ("abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif",
     "abfss://imagery@survey01.dfs.core.windows.net/s2/B04.tif"),
    ("wasbs://imagery@survey01.blob.core.windows.net/s2/B04.tif?sv=2021-06-08&sig=c2ln",
     "wasbs://imagery@survey01.blob.core.windows.net/s2/B04.tif?sv=2021-06-08&sig=***"),
    ("/vsicurl?url=abfss%3A%2F%2Fimagery%40survey01.dfs.core.windows.net%2Fs2%2FB04.tif",
     "/vsicurl?url=abfss%3A%2F%2Fimagery%40survey01.dfs.core.windows.net%2Fs2%2FB04.tif"),
], ids=["abfss", "wasbs-sas", "encoded"])
def test_an_azure_container_is_not_masked_as_a_user(text: str, said: str) -> None:
    """The container before ``@`` of an Azure URL is a name, not credentials: it was
    written ``***``; now kept (a SAS ``sig=`` masked as before)."""
    assert redact(text) == said


# -- a STAC catalogue kept in a bucket ------------------------------------------------------

s3 = r61b.s3
"""Round 61b's loopback S3 endpoint (fixture)."""


def _bucket_catalogue(s3_root: Path, bucket: str, href: str) -> None:
    """Round 61b's one-item Landsat 8 catalogue as ``<bucket>/items.json``, its band a
    file of the bucket (reflectance 0.3)."""
    _band(s3_root / bucket / "LC08" / "SR_B4.TIF", DN_03)
    written = Path(_catalogue(s3_root / bucket, href))
    assert written == s3_root / bucket / "items.json"


@pytest.mark.parametrize("href", ["s3://survey64/LC08/SR_B4.TIF", "./LC08/SR_B4.TIF"],
                         ids=["absolute", "relative"])
@pytest.mark.parametrize("stac", ["s3://survey64/items.json", "/vsis3/survey64/items.json"],
                         ids=["s3-url", "vsis3"])
def test_a_stac_catalogue_in_a_bucket_is_read(
    s3: Path, monkeypatch: pytest.MonkeyPatch, href: str, stac: str
) -> None:
    """SYNTHETIC: ``stac: s3://survey64/items.json`` (a survey's item collection kept
    beside its scenes, read as its scenes are, unsigned here): "s3://survey64/items.json:
    STAC file not found; check 'stac:' in the config" (read as a local path); now read
    through GDAL with the store's settings, its items' absolute and relative hrefs in the
    bucket: reflectance 0.3 in every cell."""
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    _bucket_catalogue(s3, "survey64", href)
    layers = _planned(_source(stac, True), True)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values


def test_a_stac_catalogue_rewritten_in_its_bucket_is_read_as_it_is_now(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: ``items.json`` in a bucket read, then rewritten there (a new item id),
    then read again in the same process (a notebook's second plan): each read sees what
    the bucket holds then, not GDAL's cached copy."""
    from prospect.ingest.stac import read_stac_scenes

    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    _bucket_catalogue(s3, "survey64", "./LC08/SR_B4.TIF")
    first = [s.item_id for s in read_stac_scenes("s3://survey64/items.json", {"red": "red"})]
    document = s3 / "survey64" / "items.json"
    document.write_text(document.read_text().replace(ID, ID.replace("20210301", "20210317")))
    again = [s.item_id for s in read_stac_scenes("s3://survey64/items.json", {"red": "red"})]
    assert (first, again) == ([ID], [ID.replace("20210301", "20210317")]), (first, again)


def test_a_stac_catalogue_in_a_private_bucket_read_unsigned_is_said(
    s3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: ``stac: s3://private64/items.json`` read with ``AWS_NO_SIGN_REQUEST=YES``
    of a bucket that is not public (403 AccessDenied): "STAC file not found"; now the
    setting that made it unsigned and the keys to set, as of its scenes."""
    monkeypatch.setattr(r61b._PayerBucket, "_unpaid", lambda self: self.path.startswith(
        "/private64/"))
    monkeypatch.setenv("AWS_NO_SIGN_REQUEST", "YES")
    _bucket_catalogue(s3, "private64", "./LC08/SR_B4.TIF")
    message = _failure(lambda: _planned(_source("s3://private64/items.json", True), True))
    assert message == (
        "/vsis3/private64/items.json: cannot read over the network: HTTP 403: S3 refuses an "
        "unsigned read (AWS_NO_SIGN_REQUEST=YES) of bucket 'private64', which is not "
        "public; unset AWS_NO_SIGN_REQUEST and set AWS_PROFILE or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, and run again"), message


def test_a_stac_catalogue_in_an_azure_container_without_keys_is_said(keyless: None) -> None:
    """SYNTHETIC name: ``stac: az://imagery/items.json`` with no Azure settings: "STAC file
    not found"; now GDAL's "no credentials" with Azure's settings, as of a raster."""
    message = _failure(lambda: _planned(_source("az://imagery/items.json", True), True))
    assert message == f"/vsiaz/imagery/items.json: cannot read: no credentials ({AZURE_KEYS})", \
        message


# -- a yes/no property of a search whose API ignores filter -------------------------------

BOA = [True, False, True]
"""The items' ``earthsearch:boa_offset_applied`` (Earth Search v1's Sentinel-2 L2A)."""


@pytest.fixture(scope="module")
def boa_api() -> Iterator[str]:
    """A SYNTHETIC STAC API on loopback answering its three items whatever the search's
    ``filter``, each stating ``earthsearch:boa_offset_applied`` (true, false, true)."""
    items = _api_items(3)
    for item, applied in zip(items, BOA, strict=True):
        item["properties"]["earthsearch:boa_offset_applied"] = applied

    class Unfiltered(StacApi):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._send({"type": "FeatureCollection", "features": items, "links": []})

    server = serving(Unfiltered)
    yield next(server)
    server.close()


def _searched(url: str, folder: Path, properties: dict[str, Any]) -> list[str]:
    source = RasterSource.model_validate({
        "name": "s2",
        "stac_search": {"url": url, "collections": ["sentinel-2-l2a"],
                        "datetime": "2024-01-01/2024-03-31", "properties": properties},
        "assets": {"red": "red"}, "composite": {"method": "median"},
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(resolve_search(source, GRID, folder)[1])


@pytest.mark.parametrize(("properties", "kept"), [
    ({"eq": False}, ["S2_1"]), ({"neq": True}, ["S2_1"]), ({"in": [False]}, ["S2_1"]),
    ({"eq": True}, ["S2_0", "S2_2"]),
], ids=["eq-false", "neq-true", "in-false", "eq-true"])
def test_a_yes_no_property_is_compared_where_the_api_ignores_filter(
    boa_api: str, tmp_path: Path, properties: dict[str, Any], kept: list[str]
) -> None:
    """SYNTHETIC: ``earthsearch:boa_offset_applied: {eq: false}`` against an API that
    ignores ``filter``: all three items kept as "not comparable"; now those stating
    false only."""
    found = _searched(boa_api, tmp_path, {"earthsearch:boa_offset_applied": properties})
    assert found == kept, found


@pytest.mark.parametrize(("bound", "said", "example"), [
    ("false", "'false' is text", "eq: true"), (0, "0 is a number", "eq: true"),
], ids=["text", "number"])
def test_a_yes_no_property_compared_with_text_or_a_number_is_refused(
    boa_api: str, tmp_path: Path, bound: Any, said: str, example: str
) -> None:
    """SYNTHETIC: ``{eq: "false"}`` (quoted) or ``{eq: 0}`` against items stating a yes/no:
    every item kept as "not comparable" (an API applying the filter matches none); now
    refused naming the property, an item's value and the form to write."""
    with pytest.raises(ConfigError) as err:
        _searched(boa_api, tmp_path, {"earthsearch:boa_offset_applied": {"eq": bound}})
    message = str(err.value)
    assert message == (
        f"stac_search.properties 'earthsearch:boa_offset_applied' eq: {said}, but the "
        "items state earthsearch:boa_offset_applied as a yes/no (item 'S2_0': true), which "
        f"it cannot be compared with; write true or false, unquoted (e.g. {example})"), message


# -- controls -----------------------------------------------------------------------------


def test_control_credentials_in_urls_are_masked_as_before() -> None:
    """control: a user and password, a token as a user, a SAS ``sig=``, an Azure URL with
    a password and a percent-encoded URL's user are masked as before."""
    assert redact("https://me:hunter2@host/x.tif?sig=abc&band=1") == \
        "https://***@host/x.tif?sig=***&band=1"
    assert redact("https://ghp_token@github.com/x.tif") == "https://***@github.com/x.tif"
    assert redact("abfss://c:pw@a.dfs.core.windows.net/p.tif") == \
        "abfss://***@a.dfs.core.windows.net/p.tif"
    assert redact("/vsicurl?url=https%3A%2F%2Fu%3Ap%40h%2Fa.tif") == \
        "/vsicurl?url=https%3A%2F%2F***%40h%2Fa.tif"


def test_control_azure_names_without_an_account_map_as_before() -> None:
    """control: ``az://``, ``abfs://`` and ``abfss://`` without an account, in a STAC href
    and a config's ``path:``, are GDAL's ``/vsiaz/`` and ``/vsiadls/`` names, as before."""
    from prospect.config.vsi import gdal_name
    from prospect.ingest.stac import _gdal_href

    for written, name in (("az://imagery/s2/B04.tif", "/vsiaz/imagery/s2/B04.tif"),
                          ("abfs://imagery/s2/B04.tif", "/vsiadls/imagery/s2/B04.tif"),
                          ("abfss://imagery/s2/B04.tif", "/vsiadls/imagery/s2/B04.tif"),
                          ("s3://b/k.tif", "/vsis3/b/k.tif"), ("gs://b/k.tif", "/vsigs/b/k.tif")):
        assert _gdal_href(written) == name
        assert gdal_name(written, None) == name


def test_control_a_search_without_properties_keeps_every_item_as_before(
    boa_api: str, tmp_path: Path
) -> None:
    """control: a search without ``properties`` keeps the three items the API answered,
    and saves them (an item collection) in the folder, as before."""
    assert _searched(boa_api, tmp_path, {}) == ["S2_0", "S2_1", "S2_2"]
    saved = [p for p in tmp_path.iterdir()]
    assert [p.suffix for p in saved] == [".json"], saved
    assert json.loads(saved[0].read_text())["type"] == "FeatureCollection"


def test_control_a_plain_stac_item_reads_as_before(tmp_path: Path, blob: _Served) -> None:
    """control: an item whose href is a plain URL reads reflectance 0.3, as before."""
    _band(blob.root / "red.tif", DN_03)
    stac = _catalogue(tmp_path, f"{blob.url}/red.tif")
    layers = _planned(_source(stac, True), True)
    values = np.asarray(layers[0].compute(GRID, WINDOW))
    assert np.allclose(values, DN_03 * SR["scale"] + SR["offset"], atol=1e-6), values

