"""Fuzzing round 36, the lead's cases: hand-overs of the round's areas.

Each case fails on the code before this round unless its docstring says "control".
SYNTHETIC files throughout."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Sandbox, assert_clean_error
from .test_rasters_round36 import silent_server

__all__ = ["silent_server"]


def test_a_presigned_url_in_an_error_keeps_the_sentences_colon(
        sandbox: Sandbox, cli: Any, scheduler: str, silent_server: int) -> None:
    """The rasters area's hand-over: a geology map given by a presigned URL
    (``?X-Amz-Credential=...&X-Amz-Signature=...``) on a server that never answers. The
    error's URL is redacted, and the redaction took the ``:`` that ends the URL in the
    sentence with the signature: ``X-Amz-Signature=*** cannot read over the network``.
    Now the mask stops before the sentence's punctuation, and no secret is shown."""
    url = (f"http://127.0.0.1:{silent_server}/g.gpkg?X-Amz-Credential=AKIAEXAMPLE"
           "&X-Amz-Signature=0123secret")
    sandbox.write_job(sources=[{"kind": "vector", "name": "geology", "path": url,
                                "attribute": "unit",
                                "remote": {"timeout_s": 1, "retries": 0}}])
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    line = assert_clean_error(result, 1, "X-Amz-Signature=***: cannot read over the network")
    assert "AKIAEXAMPLE" not in line and "0123secret" not in line


@pytest.mark.parametrize(("text", "said"), [
    ("https://h/x.tif?sig=abc.", "https://h/x.tif?sig=***."),
    ("(see https://h/x.tif?token=abc), then", "(see https://h/x.tif?token=***), then"),
    ("https://h/x.tif?sig=a:b&band=1", "https://h/x.tif?sig=***&band=1"),
], ids=["full-stop", "parenthesis", "colon-inside"])
def test_redaction_leaves_the_punctuation_after_a_url(text: str, said: str) -> None:
    """The sentence's punctuation after a secret value (a full stop, a closing
    parenthesis) stays; a colon inside the value is masked with it (control for the
    last)."""
    from prospect.redact import redact

    assert redact(text) == said
