"""Batch jobs: stages, run manifests, dask client set-up and the ``prospect`` CLI."""
