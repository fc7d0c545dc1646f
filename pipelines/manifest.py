"""Run manifests: inputs with checksums, config, versions, per-stage timings and outputs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

from pipelines.context import StageResult
from prospect.config import JobConfig

__all__ = ["Manifest", "file_sha256", "library_versions"]

TRACKED = ("prospect", "numpy", "dask", "distributed", "xarray", "zarr", "rasterio",
           "rioxarray", "scikit-learn", "skops", "geopandas", "pyproj", "numba")


def file_sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries whose behaviour shapes the outputs."""
    out = {"python": platform.python_version()}
    for name in TRACKED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


class Manifest:
    """The ``manifest.json`` of one output directory, rewritten atomically after each stage."""

    def __init__(self, out_dir: Path, job: JobConfig, *, job_path: Path | None = None) -> None:
        self.path = Path(out_dir) / "manifest.json"
        previous = self._read()
        same_job = previous.get("config_hash") == job.config_hash()
        self.data: dict[str, Any] = {
            "job": job.name,
            "config_path": str(job_path) if job_path else None,
            "config_hash": job.config_hash(),
            "config": job.model_dump(mode="json"),
            "synthetic": job.synthetic,
            "versions": library_versions(),
            "host": platform.node(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "run_id": uuid.uuid4().hex[:12],
            "stages": previous.get("stages", {}) if same_job else {},
            "inputs": previous.get("inputs", {}) if same_job else {},
        }

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def record_inputs(self, files: dict[str, str]) -> None:
        """Record input files (label -> path) with their SHA-256."""
        for label, p in files.items():
            path = Path(p)
            if path.is_file():
                self.data["inputs"][label] = {"path": str(path), "sha256": file_sha256(path)}

    def record(self, result: StageResult, *, status: str = "done") -> None:
        """Record one stage's outcome and write the manifest."""
        self.record_inputs(result.inputs)
        self.data["stages"][result.name] = {
            "status": status,
            "seconds": result.seconds,
            "skipped": result.skipped,
            "outputs": result.outputs,
            "metrics": result.metrics,
            "notes": result.notes,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.write()

    def write(self) -> None:
        """Write atomically (temp file, then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True, default=str))
        os.replace(tmp, self.path)
