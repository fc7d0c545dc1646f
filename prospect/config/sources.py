"""Source configs: what ingest reads and how it puts it on the region grid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from prospect.config._base import ConfigPath, StrictModel

__all__ = ["PointSource", "RasterSource", "SourceConfig", "VectorSource"]

Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]


class RasterSource(StrictModel):
    """Raster layers: one file per band (``bands``) or one multi-band file (``path``).

    Each band becomes one cube variable, named by the key in ``bands`` or by
    ``band_names`` for a multi-band file.
    """

    kind: Literal["raster"] = "raster"
    name: Name
    sensor: str | None = None
    bands: dict[Name, ConfigPath] | None = None
    path: ConfigPath | None = None
    band_names: list[Name] | None = None
    crs: str | None = Field(
        default=None, description="CRS to assume when a file carries none (explicit choice)"
    )
    values: Literal["continuous", "categorical"] = "continuous"
    units: str = "1"
    long_name: str | None = None
    scale: float = 1.0
    offset: float = 0.0

    @model_validator(mode="after")
    def _one_layout(self) -> RasterSource:
        if (self.bands is None) == (self.path is None):
            raise ValueError("give either 'bands' (one file per band) or 'path' (one file)")
        if self.bands is not None and not self.bands:
            raise ValueError("'bands' is empty; map at least one band name to a file")
        return self

    def band_files(self) -> dict[str, tuple[Path, int]]:
        """Cube variable name -> (file, 1-based band index)."""
        if self.bands is not None:
            return {name: (p, 1) for name, p in self.bands.items()}
        assert self.path is not None
        names = self.band_names or [self.name]
        return {name: (self.path, i + 1) for i, name in enumerate(names)}


class VectorSource(StrictModel):
    """Polygons (geology units) rasterised to codes, and/or lines or contacts to distances."""

    kind: Literal["vector"] = "vector"
    name: Name
    path: ConfigPath
    layer: str | None = None
    attribute: str | None = Field(
        default=None, description="column with the unit name/code; rasterised as categories"
    )
    crs: str | None = None
    distance_to_contacts: bool = False
    faults_layer: str | None = None


class PointSource(StrictModel):
    """A point table (wells, samples): CSV with lon/lat or x/y columns, or a vector file."""

    kind: Literal["points"] = "points"
    name: Name
    path: ConfigPath
    layer: str | None = None
    x: str = "lon"
    y: str = "lat"
    crs: str = "EPSG:4326"
    columns: list[str] = Field(default_factory=list)
    distance: bool = False


SourceConfig = Annotated[RasterSource | VectorSource | PointSource, Field(discriminator="kind")]
