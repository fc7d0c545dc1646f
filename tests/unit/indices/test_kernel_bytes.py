"""The fused kernel's 100-index output is byte for byte what it was before issue 19's tuning.

The SHA-256 digests below were computed with the kernel of main at 2a32eb1 (before common
sub-expressions, cache-sized tiles and streaming stores) on the same seeded SYNTHETIC input:
any change to the generated code must leave every output byte as it was.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from _index_inputs import HUNDRED, HUNDRED_DIGESTS, hundred_inputs

from prospect.indices import numba_backend, plan_indices
from prospect.indices.numba_backend import compute_numba


@pytest.mark.slow
@pytest.mark.parametrize(("case", "dtype", "nodata"), [
    ("float32", np.float32, None), ("uint16-nodata0", np.uint16, 0.0)])
def test_hundred_indices_bytes_unchanged(case: str, dtype: type, nodata: float | None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_indices(HUNDRED, sensor="sentinel2")
    assert len(plan.inputs) == 11
    arrays = hundred_inputs(len(plan.inputs), dtype)
    serial = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata)
    assert hashlib.sha256(serial.tobytes()).hexdigest() == HUNDRED_DIGESTS[case]
    if case == "float32":  # the parallel driver (278400 pixels: above PARALLEL_MIN_PIXELS)
        out = np.full_like(serial, 7.0)
        compute_numba(plan.exprs, plan.inputs, arrays, parallel=True, nodata=nodata, out=out)
        assert out.tobytes() == serial.tobytes()
        # the streaming-store path (scratch row + non-temporal copy), forced on
        monkeypatch.setattr(numba_backend, "STREAM_MIN_INDICES", 1)
        monkeypatch.setattr(numba_backend, "STREAM_MIN_BYTES", 1)
        monkeypatch.setattr(numba_backend, "streaming_pays", lambda: True)
        out = np.full_like(serial, 7.0)
        compute_numba(plan.exprs, plan.inputs, arrays, parallel=False, nodata=nodata, out=out)
        assert out.tobytes() == serial.tobytes()
