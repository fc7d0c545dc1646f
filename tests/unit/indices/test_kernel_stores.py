"""Plain and non-temporal stores give the same bytes.

With 64 or more indices and a large, 64-byte aligned output whose rows hold a multiple of
16 pixels, the fused kernel stores with non-temporal stores inside its vectorised loops
(``numba_backend.STREAM_MIN_INDICES``, ``streamable``). ``test_kernel_bytes.py``'s rows of
2900 pixels keep plain stores; this test pins the streaming path to the same bytes on
rows of 2896, and checks that outputs which do not qualify are refused by the streaming
driver and take plain stores. SYNTHETIC inputs (``test_kernel_bytes._inputs``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from _index_inputs import HUNDRED
from _index_inputs import HUNDRED_DIGESTS as DIGESTS
from _index_inputs import hundred_inputs as _inputs

from prospect.indices import numba_backend, plan_indices
from prospect.indices.numba_backend import compute_numba, streamable


@pytest.mark.slow
def test_streaming_stores_same_bytes_as_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba_backend, "streaming_pays", lambda: True)  # whatever the CPU
    plan = plan_indices(HUNDRED, sensor="sentinel2")
    arrays = _inputs(len(plan.inputs), np.float32)
    plain = compute_numba(plan.exprs, plan.inputs, arrays, parallel=False)
    assert not streamable(plain)  # rows of 2900 pixels: plain stores
    assert hashlib.sha256(plain.tobytes()).hexdigest() == DIGESTS["float32"]

    cut = [np.ascontiguousarray(a[:, :2896]) for a in arrays]
    expect = np.ascontiguousarray(plain[:, :, :2896])
    streamed = compute_numba(plan.exprs, plan.inputs, cut, parallel=False)
    assert streamable(streamed)  # allocated on a 64-byte line, 111 MB
    assert streamed.tobytes() == expect.tobytes()

    # an output one float off its line: plain stores, same bytes
    raw = np.full(expect.size + 16, 7.0, np.float32)
    start = (-raw.ctypes.data % 64) // 4 + 1
    out = raw[start:start + expect.size].reshape(expect.shape)
    assert not streamable(out)
    compute_numba(plan.exprs, plan.inputs, cut, parallel=False, out=out)
    assert out.tobytes() == expect.tobytes()

    # the streaming driver itself refuses such an output rather than fault
    source = numba_backend.kernel_source(plan.exprs, plan.inputs, [None] * len(plan.inputs),
                                         stream=True)
    kernel = numba_backend._load(source).kernel_serial
    with pytest.raises(ValueError, match="aligned"):
        kernel(*cut, out, True)


def test_streaming_follows_the_cpu_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-loop non-temporal stores only where they were measured to pay (Intel); on an AMD
    Zen 3 they took 5.5 times as long, so an unknown vendor keeps plain stores."""
    try:
        numba_backend.streaming_pays.cache_clear()
        monkeypatch.setattr(numba_backend, "STREAM_VENDORS", ("NoSuchVendor",))
        assert numba_backend.streaming_pays() is False
        numba_backend.streaming_pays.cache_clear()
        monkeypatch.setattr(numba_backend, "STREAM_VENDORS", ("GenuineIntel", "AuthenticAMD",
                                                              "GenuineIotel", "CentaurHauls"))
        on_x86 = "vendor_id" in Path("/proc/cpuinfo").read_text(errors="replace")
        assert numba_backend.streaming_pays() is on_x86
    finally:
        numba_backend.streaming_pays.cache_clear()
