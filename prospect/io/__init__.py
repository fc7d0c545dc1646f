"""I/O at the edges: zarr cubes, GeoTIFF/COG rasters. Nothing else in the library touches files."""
