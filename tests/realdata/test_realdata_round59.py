"""Round 59: the GTK till table's concentrations of 0 beside a flag, read as a reviewer would.

The GTK regional till geochemistry of the Central Lapland Belt (``../shared/data/
gtk_till_geochem_central_lapland``) writes each element's value with a qualifier column
beside it (``Zr_ppm_511`` and ``Zr_511P_T``): ``<`` below the detection limit, the value
then written as 0, and ``!``, a flag of its own, on values read as measured. Sixteen of
the ``!`` values of Zr, seven of Th and one of Cr are 0 as well: no measured
concentration of zirconium, thorium or chromium in till is 0 ppm (the lowest unflagged
values are 1.14, 0.36 and 7.8 ppm); the table writes 0 where it gives no number. They were
read as measured 0 ppm, kriged and labelled as such, the warning counting them among
"other flags ... read as measured". A 0 of a concentration beside a flag that is no limit
is now read as missing, and the warning names them apart.

The real-data cases read the real table through the library's point reader and through
``prospect ingest`` (a SYNTHETIC job over the real table, skipped without
``../shared/data``); the other cases write SYNTHETIC tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

pytestmark = [pytest.mark.realdata]

GTK = "gtk_till_geochem_central_lapland/IOCG_CLB_Till_Geochem_reg_511p.gpkg"


def _read(path: Path, columns: list[str], **kwargs: object) -> tuple[dict[str, np.ndarray],
                                                                      list[str]]:
    from prospect.errors import DataWarning
    from prospect.io.points import read_points

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_points(path, columns=columns, **kwargs)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    return table.values, said


@pytest.fixture(scope="module")
def gtk(shared_data: Path) -> Path:
    path = shared_data / GTK
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_the_gtk_zeros_beside_a_flag_are_no_measured_concentration(gtk: Path) -> None:
    """Zr: 166 '<' (0, below the limit) and 53 '!', 16 of those 0: now 182 missing."""
    values, said = _read(gtk, ["Zr_ppm_511", "Th_ppm_511", "Cr_ppm_511"], to_crs="EPSG:3067")
    assert int(np.isnan(values["Zr_ppm_511"]).sum()) == 166 + 16
    assert int(np.isnan(values["Th_ppm_511"]).sum()) == 19 + 7
    assert int(np.isnan(values["Cr_ppm_511"]).sum()) == 1
    for column in ("Zr_ppm_511", "Th_ppm_511", "Cr_ppm_511"):
        assert not (values[column] == 0).any(), column
    # the measured '!' values are kept: Zr's least is 0.011 ppm
    assert float(np.nanmin(values["Zr_ppm_511"])) == pytest.approx(0.011)
    zr = [s for s in said if "'Zr_ppm_511'" in s]
    assert len(zr) == 1, said
    assert "16 are 0 beside another flag in column 'Zr_511P_T' ('!' on 16; features 27, 28, " \
        in zr[0], zr[0]
    assert "read as missing, not as 0" in zr[0]
    assert "37 carry other flags in column 'Zr_511P_T' ('!' on 37)" in zr[0]
    assert "\n" not in zr[0] and "Traceback" not in zr[0]


def test_the_gtk_lithium_and_its_flags_read_as_before_control(gtk: Path) -> None:
    """Li: 30 '!' values, none 0 (1.71 to 9.98 ppm): all 1 112 kept, as before."""
    values, said = _read(gtk, ["Li_ppm_511"], to_crs="EPSG:3067")
    li = values["Li_ppm_511"]
    assert int(np.isfinite(li).sum()) == 1112
    assert float(li.min()) == pytest.approx(1.71) and float(li.max()) == pytest.approx(63.7)
    assert float(np.median(li)) == pytest.approx(11.2)
    assert [s for s in said if "'Li_ppm_511'" in s and "0 beside" in s] == []
    assert any("30 carry other flags in column 'Li_511P_T' ('!' on 30)" in s for s in said)


def _job(folder: Path, path: Path, column: str) -> Path:
    """A SYNTHETIC job over the real GTK table: one element kriged on a 2 km grid."""
    config = folder / "gtk.yaml"
    config.write_text(yaml.safe_dump({
        "name": "gtk-till-r59",
        "description": "SYNTHETIC job over real data: GTK till kriged",
        "region": {"name": "central-lapland", "crs": "EPSG:3067", "resolution": 2000,
                   "bounds": [346000, 7458000, 414000, 7540000], "chunks": [41, 34]},
        "sources": [{"kind": "points", "name": "till", "path": str(path),
                     "columns": [column], "interpolate": ["kriging"],
                     "units": {column: "ppm"}}],
    }))
    return config


def _ingest(tmp_path: Path, gtk: Path, column: str) -> tuple[subprocess.CompletedProcess[str],
                                                               Path]:
    config = _job(tmp_path, gtk, column)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(config), "-o", str(out),
         "--workers", "1"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    return result, out


def test_a_job_kriging_gtk_thorium_leaves_the_flagged_zeros_out(gtk: Path,
                                                                  tmp_path: Path) -> None:
    """``prospect ingest``: the Th surface was kriged from 1 093 values, seven of them a
    flagged 0 ppm; now from 1 086, the seven named in the stage's warning."""
    import xarray as xr

    result, out = _ingest(tmp_path, gtk, "Th_ppm_511")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    said = " ".join((result.stdout + result.stderr).split())
    assert "7 are 0 beside another flag in column 'Th_511P_T' ('!' on 7;" in said, said[-3000:]
    ds = xr.open_zarr(out / "cube.zarr")
    settings = json.loads(ds["till_Th_ppm_511"].attrs["provenance"])
    assert settings["points"] == 1112
    assert settings["values"] == 1112 - 19 - 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gtk.yaml", "out"]


def _table(folder: Path, rows: list[str], header: str = "x,y,Li_ppm,Li_ppm_Q") -> Path:
    path = folder / "samples.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _rows(cells: list[tuple[str, str]]) -> list[str]:
    return [f"{1000 + 100 * i},{2000 + 37 * (i % 5)},{v},{q}" for i, (v, q) in enumerate(cells)]


@pytest.mark.parametrize("code", ["!", "E", "est"])
def test_a_concentrations_zero_beside_a_flag_that_is_no_limit_is_missing(
        tmp_path: Path, code: str) -> None:
    """SYNTHETIC: a laboratory's 'estimated' flag on a 0 and on a 4.5 among 20 grades."""
    cells = [(str(10 + i), "") for i in range(18)] + [("0", code), ("4.5", code)]
    values, said = _read(_table(tmp_path, _rows(cells)), ["Li_ppm"],
                         x="x", y="y", crs="EPSG:28992", to_crs="EPSG:28992")
    li = values["Li_ppm"]
    assert np.isnan(li[18]) and li[19] == 4.5
    assert np.isfinite(li).sum() == 19
    text = " ".join(said)
    shown = code.casefold()  # (codes are read without case)
    assert f"1 are 0 beside another flag in column 'Li_ppm_Q' ({shown!r} on 1; line 20)" \
        in text, said
    assert f"1 carry other flags in column 'Li_ppm_Q' ({shown!r} on 1)" in text


def test_an_unflagged_zero_concentration_is_still_a_measurement_control(
        tmp_path: Path) -> None:
    """SYNTHETIC: a 0 without a flag, beside a flag column used elsewhere: kept as 0."""
    cells = [(str(10 + i), "") for i in range(18)] + [("0", ""), ("4.5", "!")]
    values, said = _read(_table(tmp_path, _rows(cells)), ["Li_ppm"],
                         x="x", y="y", crs="EPSG:28992", to_crs="EPSG:28992")
    assert values["Li_ppm"][18] == 0.0 and np.isfinite(values["Li_ppm"]).all()
    assert not [s for s in said if "0 beside" in s]


def test_a_flagged_zero_of_no_concentration_is_kept_control(tmp_path: Path) -> None:
    """SYNTHETIC: a temperature of 0 degC beside an 'estimated' flag is a temperature."""
    cells = [(str(10 + i), "") for i in range(18)] + [("0", "E"), ("4.5", "E")]
    path = _table(tmp_path, _rows(cells), header="x,y,T_C,T_C_Q")
    values, said = _read(path, ["T_C"], x="x", y="y", crs="EPSG:28992",
                         to_crs="EPSG:28992")
    assert values["T_C"][18] == 0.0 and np.isfinite(values["T_C"]).all()
    assert not [s for s in said if "0 beside" in s]


def test_a_zero_flagged_below_the_limit_reads_as_before_control(tmp_path: Path) -> None:
    """SYNTHETIC: GTK's own '<' beside a 0: below the detection limit, missing, as before."""
    cells = [(str(10 + i), "") for i in range(18)] + [("0", "<"), ("0", "<")]
    values, said = _read(_table(tmp_path, _rows(cells)), ["Li_ppm"],
                         x="x", y="y", crs="EPSG:28992", to_crs="EPSG:28992")
    assert np.isnan(values["Li_ppm"][18:]).all() and np.isfinite(values["Li_ppm"]).sum() == 18
    text = " ".join(said)
    assert "2 are flagged below the detection limit by column 'Li_ppm_Q'" in text
    assert "0 beside" not in text
