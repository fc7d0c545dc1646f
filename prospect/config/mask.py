"""Mask config: which cells of the region are land (the rest is masked in every layer)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from prospect.config._base import StrictModel, VectorPath

__all__ = ["MaskConfig"]


class MaskConfig(StrictModel):
    """Land mask of a job: cells outside the outline are no-data in every cube variable.

    Attributes
    ----------
    outline
        A shipped outline (``configs/outlines/<name>.geojson``, one per shipped region).
        Default: the job's shipped region (or the ``base`` of a region override).
    path
        Instead of a shipped outline, a vector file of land polygons (GeoJSON, TopoJSON,
        GeoPackage...); a file without a CRS is taken as WGS 84 lon/lat. As a vector
        source's path: a ``.zip`` or a GDAL archive name (``/vsizip/land.zip/land.shp``).
    layer, names, name_column
        The layer of ``path``, and only the features whose ``name_column`` is in ``names``.
    """

    outline: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    path: VectorPath | None = None
    layer: str | None = Field(default=None, min_length=1)
    names: list[str] | None = Field(default=None, min_length=1)
    name_column: str = Field(default="name", min_length=1)

    @field_validator("names", mode="before")
    @classmethod
    def _one_name_as_list(cls, value: object) -> object:
        """One name written without brackets (``names: Netherlands``) is a list of it: it
        was "Input should be a valid list". A number (``names: [20]``, the code of a
        province in a code column) is the name as the column's value reads
        (:func:`prospect.io.vector.unit_name`: ``20``, ``7.5``): it was "Input should be a
        valid string", though the outline's numbers are matched as text (YAML's ``020``
        is refused by the loader, so no octal reaches here)."""
        from prospect.io.vector import unit_name

        one = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in one):
            return value  # (pydantic refuses the rest, naming it)
        return [v if isinstance(v, str) else unit_name(v) for v in one]

    @field_validator("outline")
    @classmethod
    def _outline_shipped(cls, value: str | None) -> str | None:
        """An unknown outline was found by the ingest stage (``prospect plan`` said nothing)."""
        from prospect.outlines import list_outlines, shipped_outlines_said

        if value is not None and value not in list_outlines():
            raise ValueError(f"no shipped outline {value!r}; {shipped_outlines_said()}; or "
                             "give a file with 'path'")
        return value

    @model_validator(mode="after")
    def _one_outline(self) -> MaskConfig:
        if self.outline is not None and self.path is not None:
            raise ValueError("give 'outline' (a shipped outline) or 'path' (a file), not both")
        if self.path is None and (self.layer or self.names):
            raise ValueError("'layer' and 'names' select features of 'path'; give 'path' too")
        return self
