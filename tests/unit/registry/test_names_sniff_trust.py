"""Safe names, format sniffing and the trusted-type policy."""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prospect.errors import SecurityError
from prospect.registry import check_name, check_version, sniff_format
from prospect.registry.trust import is_builtin_trusted, split_untrusted

BAD = ["../x", "..", ".", "/etc/passwd", "..\\x", "a/b", "a\\b", "C:x", "", ".hidden",
       "x\x00y", "a..b", "s3://bucket/x", "-rf", " x", "x" * 101]


@pytest.mark.parametrize("value", BAD)
def test_bad_names_and_versions_refused(value: str) -> None:
    with pytest.raises(SecurityError):
        check_name(value)
    with pytest.raises(SecurityError):
        check_version(value)


@pytest.mark.parametrize("value", ["li-rf", "lithium_2025", "v1.2.3", "1", "rf+calibrated"])
def test_good_names_accepted(value: str) -> None:
    assert check_name(value) == value and check_version(value) == value


@given(st.text(min_size=1, max_size=40))
def test_accepted_names_stay_inside_the_root(text: str) -> None:
    root = Path("/registry/root")
    try:
        check_name(text)
    except SecurityError:
        return
    joined = (root / text).resolve()
    assert joined.parent == root.resolve() and joined.name == text


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_are_recognised(protocol: int) -> None:
    assert sniff_format(pickle.dumps({"a": [1, 2]}, protocol=protocol)).startswith("pickle")


@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3),
                                      ("lzma", 3)])
def test_joblib_files_are_not_zip(compress: object) -> None:
    buf = io.BytesIO()
    joblib.dump({"w": np.arange(3)}, buf, compress=compress)
    kind = sniff_format(buf.getvalue())
    assert kind != "zip"
    assert "pickle" in kind or "joblib" in kind, kind


def test_other_formats() -> None:
    assert sniff_format(b"PK\x03\x04rest") == "zip"
    assert sniff_format(gzip.compress(b"x")).startswith("gzip")
    assert sniff_format(b"") == "empty"
    assert sniff_format(b"\x00\x01") == "unknown"


def test_trusted_types_are_classes_under_the_prefixes() -> None:
    assert is_builtin_trusted("sklearn.tree._tree.Tree")
    assert is_builtin_trusted("sklearn.ensemble._forest.RandomForestClassifier")
    assert is_builtin_trusted("prospect.models.woe.WeightsOfEvidenceClassifier")
    assert not is_builtin_trusted("sklearn.utils.validation.check_array")  # a function
    assert not is_builtin_trusted("sklearn.nope.Missing")
    assert not is_builtin_trusted("os.system")
    assert not is_builtin_trusted("builtins.eval")
    assert not is_builtin_trusted("sklearnx.Evil")
    assert not is_builtin_trusted("prospect.registry.files.LoadedModel")
    accepted, refused = split_untrusted(
        ["sklearn.tree._tree.Tree", "posix.system", "mymod.Thing"], trusted=["mymod.Thing"]
    )
    assert accepted == ["sklearn.tree._tree.Tree", "mymod.Thing"]
    assert refused == ["posix.system"]
