"""Tile delivery as partner agencies and their clients meet it, round 41: agency keys
whose ``expires`` is written in ISO 8601's basic form (``20990630``, as ``date +%Y%m%d``
writes it) read as a Unix time in 1970, so the key was refused on every request (and
``serve-key --expires 20990630`` said "in the past"); expiries written ``2099/06/30`` or
as a Unix time; ``BGCOLOR`` in CSS's short form (``#fff``), as a CSS colour name or with
CSS's alpha digits; and XYZ tiles asked at TiTiler's scales (``{y}@1x.png``, ``@3x``).

A live ``prospect serve`` (uvicorn on loopback, in this process) serves a SYNTHETIC COG in
EPSG:4326 over the Netherlands (5-6 E, 52-53 N, a west-to-east ramp in ppm) as a public
layer and as a private one, with one SYNTHETIC agency key granted the private layer; the
serve configs of the ``--check`` cases and ``serve-key`` run through the real CLI in this
process. Each non-control case failed before the fix; all data here are SYNTHETIC.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.robustness.conftest import assert_clean_error, run_in_process
from tests.robustness.test_serving_round35 import _cog  # 200 x 200 cells, 5-6 E, 52-53 N
from tiles.auth import hash_key
from tiles.testing import live_server

KEY = "pk_" + "Synthetic0Round41Key_for-tests-only_0000000"
"""A SYNTHETIC agency key granted the private layer, expiring ``20990630``."""
DIGEST = hash_key(KEY)
RATED = "pk_" + "Synthetic0Round41Rate_for-tests-only_000000"
"""A SYNTHETIC agency key granted the private layer, limited to ``2/min``."""
MAP = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "ramp",
       "STYLES": "", "CRS": "EPSG:4326", "BBOX": "52.5,5.5,53.5,6.5", "WIDTH": "32",
       "HEIGHT": "32", "FORMAT": "image/png", "TRANSPARENT": "FALSE"}
"""An opaque WMS 1.3.0 GetMap half over the ramp, half over no data (the background)."""
TILE = "/tiles/ramp/8/131/84"
"""An XYZ tile over the ramp, without its extension."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``prospect serve`` of the SYNTHETIC ramp, public and private, one agency key whose
    ``expires`` is written ``20990630`` (ISO 8601's basic form, a YAML integer)."""
    root = tmp_path_factory.mktemp("round41")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    (root / "serve.yaml").write_text(
        "title: Round 41 (synthetic)\n"
        "layers:\n"
        "  - {name: ramp, cog: ramp.tif, public: true, title: Ramp, units: ppm}\n"
        "  - {name: private, cog: ramp.tif, title: Private}\n"
        "keys:\n"
        f"  - agency: Partner survey\n    key_sha256: {DIGEST}\n    layers: [private]\n"
        "    expires: 20990630\n")
    with live_server(root / "serve.yaml") as live, live.client() as client:
        yield client


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the SYNTHETIC ramp COG, for serve configs of one key each."""
    root = tmp_path_factory.mktemp("round41_configs")
    _cog(root / "ramp.tif", np.tile(np.linspace(0.05, 0.95, 200, dtype="f4"), (200, 1)),
         float("nan"))
    return root


@pytest.fixture(scope="module")
def rated(configs: Path) -> Any:
    """``prospect serve`` of the SYNTHETIC ramp as a private layer, with one agency key
    limited to ``requests_per_minute: 2/min``."""
    (configs / "rated.yaml").write_text(
        "layers:\n  - {name: private, cog: ramp.tif}\nkeys:\n"
        f"  - agency: Rated survey\n    key_sha256: {hash_key(RATED)}\n"
        "    layers: [private]\n    requests_per_minute: 2/min\n")
    with live_server(configs / "rated.yaml") as live, live.client() as client:
        yield client


def _check(root: Path, expires: str, name: str, key: str = "expires") -> Any:
    """``prospect serve CONFIG --check`` of one private layer and one key whose ``key``
    (``expires``, ``requests_per_minute``) is ``expires`` (written into the YAML as it
    stands)."""
    path = root / f"{name}.yaml"
    path.write_text("layers:\n  - {name: private, cog: ramp.tif}\nkeys:\n"
                    f"  - agency: Partner survey\n    key_sha256: {DIGEST}\n"
                    f"    layers: [private]\n    {key}: {expires}\n")
    return run_in_process("serve", path, "--check")


# -- agency keys' expiry in ISO 8601's basic form -------------------------------------------

def test_a_key_expiring_in_iso_basic_form_reads_its_layer(served: Any) -> None:
    """``expires: 20990630`` (ISO 8601's basic form of 2099-06-30) was read as a Unix time,
    1970-08-23: every request with the key was refused 403 "API key expired" for 73
    years before its date. Now it is that date, and the key reads its layer."""
    answer = served.get("/tiles/private/8/131/84.png", headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("expires", ["20990630", "'20990630'", "20990630T120000Z"])
def test_serve_check_reads_an_iso_basic_expiry_as_that_date(
        configs: Path, expires: str) -> None:
    """``prospect serve --check`` warned that such a key "expired on 1970-08-23 14:43 UTC"
    (the integer and the quoted text alike), and refused ``20990630T120000Z`` saying "the
    unit is no part of the value: write 20990630 alone" (``T120000Z`` read as a unit). Now
    each is 2099-06-30, and the config is OK without a word of expiry."""
    result = _check(configs, expires, "basic")
    text = result.out + result.err
    assert result.code == 0, text[-1500:]
    assert "expired" not in text and "config and layers OK" in text, text[-1500:]


def test_serve_key_takes_an_iso_basic_expiry(cli: Any) -> None:
    """``prospect serve-key 'Partner survey' --expires 20990630`` was refused "that is in
    the past, so the key would be refused at once" (1970-08-23): no key could be made for
    the date as the agency's system wrote it. Now the key is made, with that expiry."""
    result = cli("serve-key", "Partner survey", "--expires", "20990630")
    assert result.code == 0, (result.out + result.err)[-1500:]
    assert "key_sha256:" in result.out and 'expires: "20990630"' in result.out


def test_a_unix_time_as_expiry_is_refused_naming_its_date(configs: Path) -> None:
    """``expires: 4102444800`` (a Unix time) was taken silently, as a bare number is read
    by no one reading the config the same way (``20990630`` was a Unix time too). Now a
    number that is no date is refused, naming the date it would be as a Unix time and the
    ISO 8601 form to write."""
    line = assert_clean_error(_check(configs, "4102444800", "unix"), 2, "keys.0.expires",
                              "is a number, not a date", "2100-01-01T00:00Z", "YYYY-MM-DD")
    assert "Traceback" not in line


@pytest.mark.parametrize(("expires", "fix"), [
    ("2099/06/30", "write 2099-06-30"), ("30-06-2099", "write 2099-06-30"),
    ("2099.6.30", "write 2099-06-30"), ("01-06-2099", "cannot be told apart")])
def test_an_expiry_written_otherwise_names_its_iso_date(
        configs: Path, expires: str, fix: str) -> None:
    """``2099/06/30``, ``30-06-2099`` (day first, as European forms write it) and
    ``2099.6.30`` were refused in pydantic's words ("invalid date separator, expected
    `-`", "invalid character in year"), without what to write. Now the refusal names the
    date in ISO 8601; ``01-06-2099`` says that its day and month cannot be told apart."""
    assert_clean_error(_check(configs, expires, "other"), 2, "keys.0.expires", fix,
                       "ISO 8601")


def test_serve_key_names_the_iso_date_of_an_expiry_written_otherwise(cli: Any) -> None:
    """``serve-key --expires 2099/06/30`` was "Input should be a valid datetime or date,
    invalid date separator, expected `-` (ISO 8601, e.g. 2027-06-30)". Now it names the
    date to write, once, without pydantic's "Value error," prefix."""
    line = assert_clean_error(cli("serve-key", "Partner survey", "--expires", "2099/06/30"),
                              2, "--expires", "write 2099-06-30 (YYYY-MM-DD)")
    assert "Value error" not in line and line.count("ISO 8601") == 1, line


def test_control_iso_extended_expiries_and_a_past_one_read_as_before(configs: Path) -> None:
    """Control: ``2099-06-30`` and ``2099-06-30T12:00:00Z`` are OK as before, and a past
    ``2020-01-01`` is still warned of as expired."""
    for expires in ("2099-06-30", "2099-06-30T12:00:00Z"):
        result = _check(configs, expires, "extended")
        assert result.code == 0 and "expired" not in result.err, result.err[-1500:]
    past = _check(configs, "2020-01-01", "past")
    assert past.code == 0 and "expired on 2020-01-01 00:00 UTC" in " ".join(past.err.split())


# -- a key's rate limit written as rate limiters write it ----------------------------------

def test_a_rate_limit_written_per_minute_limits_the_key(rated: Any) -> None:
    """``requests_per_minute: 2/min`` (flask-limiter's and slowapi's way to write a rate)
    was refused "Input should be a valid integer, unable to parse string as an integer":
    the server did not start. Now it is 2: the third request in the minute is a 429."""
    statuses = [rated.get("/tiles/private/8/131/84.png", headers={"X-API-Key": RATED})
                for _ in range(3)]
    assert [a.status_code for a in statuses] == [200, 200, 429], statuses[-1].text[:300]
    assert "rate limit of 2 requests per minute" in statuses[-1].text


@pytest.mark.parametrize(("rate", "fix"), [
    ("100/hour", "write requests_per_minute: 2 (the nearest)"),
    ("60/day", "write requests_per_minute: 1 (the nearest)")])
def test_a_rate_of_no_whole_count_a_minute_names_the_nearest(
        configs: Path, rate: str, fix: str) -> None:
    """``100/hour`` (1.67 a minute) and ``60/day`` were "unable to parse string as an
    integer". Now the refusal says what a minute's count is and the number to write."""
    assert_clean_error(_check(configs, rate, "hourly", "requests_per_minute"), 2,
                       "keys.0.requests_per_minute", fix, "requests a minute")


def test_control_a_rate_limit_written_as_a_number_or_in_no_form_read(configs: Path) -> None:
    """Control: ``requests_per_minute: 60`` is OK as before; ``sixty`` is refused as
    before (not a number)."""
    result = _check(configs, "60", "plain", "requests_per_minute")
    assert result.code == 0, result.err[-1500:]
    assert_clean_error(_check(configs, "sixty", "words", "requests_per_minute"), 2,
                       "keys.0.requests_per_minute", "valid integer")


# -- BGCOLOR as web pages write it ----------------------------------------------------------

@pytest.mark.parametrize(("css", "hex_colour"), [("#fff", "0xFFFFFF"), ("#123", "0x112233")])
def test_a_css_short_background_colour_draws_the_map(
        served: Any, css: str, hex_colour: str) -> None:
    """``BGCOLOR=#fff`` (CSS's short form, as a page's layer options write it beside
    ``#102030``, which is read) was refused "must be a colour written 0xRRGGBB": the map a
    400. Now the same map as ``BGCOLOR=0xFFFFFF``, each digit doubled as CSS reads it."""
    answer = served.get("/wms", params={**MAP, "BGCOLOR": css})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content == served.get("/wms", params={**MAP, "BGCOLOR": hex_colour}).content


@pytest.mark.parametrize(("written", "fix"), [
    ("navy", "write BGCOLOR=0x000080"), ("White", "write BGCOLOR=0xFFFFFF"),
    ("#10203080", "write BGCOLOR=0x102030, or TRANSPARENT=TRUE")])
def test_a_css_colour_name_or_alpha_is_told_the_value_to_write(
        served: Any, written: str, fix: str) -> None:
    """A CSS colour name (``navy``) or CSS's alpha digits (``#10203080``) were refused with
    the form alone, "e.g. 0xFFFFFF for white", leaving the page's author to look up
    navy's digits. The refusal now gives the value to write (a background has no alpha:
    TRANSPARENT is the WMS's way)."""
    answer = served.get("/wms", params={**MAP, "BGCOLOR": written})
    assert answer.status_code == 400
    assert 'locator="BGCOLOR"' in answer.text and fix in answer.text, answer.text[:500]


@pytest.mark.parametrize("written", ["rgb(16,32,48)", "#ff", "0x1020304"])
def test_control_a_background_colour_in_no_form_read_is_still_refused(
        served: Any, written: str) -> None:
    """Control: ``rgb()``, two digits and seven digits are refused as before, without a
    value to write."""
    answer = served.get("/wms", params={**MAP, "BGCOLOR": written})
    assert answer.status_code == 400
    assert f"BGCOLOR must be a colour written 0xRRGGBB (e.g. 0xFFFFFF for white), got " \
           f"{written!r}<" in answer.text, answer.text[:500]


# -- XYZ tiles at TiTiler's scales -----------------------------------------------------------

@pytest.mark.parametrize("suffix", ["@1x.png", "@1X.png", "@1x.webp"])
def test_a_tile_at_scale_one_is_sent_to_its_url(served: Any, suffix: str) -> None:
    """``{y}@1x.png`` (TiTiler's TileJSON and MapLibre templates written for it name scale
    1 so) was refused as no tile URL: every tile of such a layer a 400. Now a 301 to the
    tile's one URL (``{y}.png``), whose 256 px tile it then gets."""
    answer = served.get(TILE + suffix, follow_redirects=False)
    assert answer.status_code == 301, answer.text[:300]
    ext = suffix.rsplit(".", 1)[1]
    assert answer.headers["location"].endswith(f"{TILE}.{ext}")
    tile = served.get(TILE + suffix, follow_redirects=True)
    assert tile.status_code == 200 and tile.content == served.get(f"{TILE}.{ext}").content
    assert Image.open(io.BytesIO(tile.content)).size == (256, 256)


@pytest.mark.parametrize("scale", ["3", "4", "1.5"])
def test_a_tile_at_another_scale_is_told_to_ask_2x(served: Any, scale: str) -> None:
    """``{y}@3x.png`` (TiTiler's scales 3 and 4, a phone's pixel ratio) was told "tile URLs
    are /tiles/{layer}/{z}/{x}/{y}.png (or .webp, or {y}@2x.png)", as if the suffix were
    no part of the URL. Now the refusal names the scale and the tile to ask in its place."""
    answer = served.get(f"{TILE}@{scale}x.png")
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert f"scale @{scale}x are not drawn here" in message and "ask 84@2x.png" in message


def test_control_2x_tiles_and_wmts_rows_with_a_scale_are_as_before(served: Any) -> None:
    """Control: ``@2x`` is the 512 px tile as before, and a WMTS KVP ``TILEROW=84@1x`` is
    still refused as no integer (WMTS has no scale suffix)."""
    tile = served.get(f"{TILE}@2x.png")
    assert tile.status_code == 200
    assert Image.open(io.BytesIO(tile.content)).size == (512, 512)
    kvp = served.get("/wmts", params={
        "SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0", "LAYER": "ramp",
        "STYLE": "default", "TILEMATRIXSET": "WebMercatorQuad", "TILEMATRIX": "8",
        "TILEROW": "84@1x", "TILECOL": "131", "FORMAT": "image/png"})
    assert kvp.status_code == 400 and "TILEROW='84@1x'" in kvp.text, kvp.text[:400]
