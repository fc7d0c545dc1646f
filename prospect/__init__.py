"""Prospect: satellite imagery and survey layers to prospectivity maps.

The library holds pure computation with I/O at its edges. Batch jobs and the CLI live in
:mod:`pipelines`; tile delivery lives in :mod:`tiles`.
"""

from __future__ import annotations

from prospect.errors import ProspectError

__all__ = ["ProspectError", "__version__"]
__version__ = "0.1.0"
