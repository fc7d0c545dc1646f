"""Model-loading benchmark: what safety costs against the field's usual ``joblib.load``.

The same fitted random forest (a size typical of a Prospect model) is saved twice: with
``joblib.dump`` (what peers ship, and what runs arbitrary code on load) and with
:func:`prospect.registry.save_model` (skops + card + schema + checksums). Loading is then
timed alternately: ``joblib.load`` vs :func:`prospect.registry.load_model` (format sniffing,
SHA-256 of every file, skops type audit, skops load). File sizes are reported too.

Usage: ``python benchmarks/bench_model_load.py [--quick]``. The last line is
``RESULT model_load safe_vs_joblib=<prospect/joblib time> ...``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier

from prospect.registry import load_model, save_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trees and repeats")
    args = parser.parse_args()
    trees, repeats = (50, 3) if args.quick else (200, 7)
    rng = np.random.default_rng(0)
    X = rng.random((3000, 17)).astype("float32")
    y = (X[:, 0] + 0.5 * X[:, 3] + 0.2 * rng.standard_normal(3000) > 0.8).astype(int)
    est = RandomForestClassifier(n_estimators=trees, min_samples_leaf=2, random_state=0,
                                 n_jobs=1).fit(X, y)
    schema = {"variables": [{"name": f"f{i}", "units": "1", "dtype": "float32",
                             "prospect_kind": "continuous", "provenance": {}}
                            for i in range(17)], "crs": "EPSG:32619", "resolution": 10.0}
    with tempfile.TemporaryDirectory() as tmp:
        jl = Path(tmp) / "model.joblib"
        joblib.dump(est, jl)
        model_dir = save_model(est, Path(tmp) / "model", card={"mineral": "lithium",
                                                               "synthetic": True},
                               schema=schema)
        size_joblib = jl.stat().st_size
        size_skops = sum(p.stat().st_size for p in model_dir.iterdir())
        t_joblib: list[float] = []
        t_safe: list[float] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            a = joblib.load(jl)
            t_joblib.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = load_model(model_dir).estimator
            t_safe.append(time.perf_counter() - t0)
        assert np.array_equal(a.predict_proba(X[:200]), b.predict_proba(X[:200]))
    mj, ms = statistics.median(t_joblib), statistics.median(t_safe)
    print(f"random forest: {trees} trees, 17 features; {repeats} alternating loads each")
    print(f"joblib.load           median {mj * 1000:8.1f} ms   file {size_joblib / 1e6:6.2f} MB")
    print(f"prospect load_model   median {ms * 1000:8.1f} ms   files {size_skops / 1e6:6.2f} MB")
    print(f"RESULT model_load safe_vs_joblib={ms / mj:.2f} joblib_ms={mj * 1000:.1f} "
          f"prospect_ms={ms * 1000:.1f} size_ratio={size_skops / size_joblib:.2f} trees={trees}")


if __name__ == "__main__":
    main()
