"""The versioned registry on a local disk and behind an fsspec URL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import fsspec
import numpy as np
import pytest

from prospect.errors import ModelError, SecurityError
from prospect.registry import ModelRegistry, save_model


@pytest.fixture
def model_dir(tmp_path: Path, fitted, card, schema) -> Path:
    est, _ = fitted
    return save_model(est, tmp_path / "trained", card=card, schema=schema)


def test_local_publish_list_load(tmp_path: Path, model_dir: Path, fitted) -> None:
    est, X = fitted
    reg = ModelRegistry(tmp_path / "reg")
    assert reg.names() == []
    assert reg.publish(model_dir, "li-rf") == "1"
    assert reg.publish(model_dir, "li-rf") == "2"
    assert reg.publish(model_dir, "li-rf", version="10") == "10"
    assert reg.publish(model_dir, "other", version="2025.1") == "2025.1"
    assert reg.names() == ["li-rf", "other"]
    assert reg.versions("li-rf") == ["1", "2", "10"]
    assert reg.latest("li-rf") == "10"
    assert reg.publish(model_dir, "li-rf") == "11"
    loaded = reg.load("li-rf", "2")
    np.testing.assert_array_equal(loaded.estimator.predict(X), est.predict(X))
    assert reg.card("li-rf")["mineral"] == "lithium"
    assert "# Model card: lithium" in reg.markdown("li-rf", "1")
    assert not [p for p in (tmp_path / "reg" / "li-rf").iterdir() if p.name.startswith(".")]


def test_versions_are_immutable(tmp_path: Path, model_dir: Path) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model_dir, "m", version="1")
    before = (tmp_path / "reg" / "m" / "1" / "model.skops").read_bytes()
    with pytest.raises(ModelError, match="immutable"):
        reg.publish(model_dir, "m", version="1")
    target = tmp_path / "reg" / "m" / "1" / "model.skops"
    assert target.read_bytes() == before
    assert not os.access(target, os.W_OK) or os.geteuid() == 0
    assert oct(target.stat().st_mode & 0o777) == oct(0o444)


def test_unknown_model_and_version(tmp_path: Path, model_dir: Path) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model_dir, "m")
    with pytest.raises(ModelError, match="no model named 'x'; models here: m"):
        reg.load("x")
    with pytest.raises(ModelError, match="no version '7'; versions: 1"):
        reg.load("m", "7")


def test_incomplete_version_is_hidden(tmp_path: Path, model_dir: Path) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model_dir, "m")
    half = tmp_path / "reg" / "m" / "2"
    half.mkdir()
    (half / "model.skops").write_bytes(b"PK\x03\x04")
    assert reg.versions("m") == ["1"]
    assert reg.publish(model_dir, "m") == "3"


def test_tampered_registry_file_is_refused(tmp_path: Path, model_dir: Path) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model_dir, "m")
    schema = tmp_path / "reg" / "m" / "1" / "schema.json"
    os.chmod(schema, 0o644)
    schema.write_text(schema.read_text().replace("EPSG:32619", "EPSG:32620"))
    with pytest.raises(SecurityError, match=r"schema\.json: sha256"):
        reg.load("m")
    with pytest.raises(SecurityError):
        reg.card("m")


def test_fsspec_memory_registry(model_dir: Path, fitted, tmp_path: Path) -> None:
    est, X = fitted
    url = f"memory://reg-{uuid.uuid4().hex[:8]}"
    reg = ModelRegistry(url)
    assert not reg.is_local
    assert reg.publish(model_dir, "li-rf") == "1"
    assert reg.publish(model_dir, "li-rf") == "2"
    assert ModelRegistry(url).versions("li-rf") == ["1", "2"]
    np.testing.assert_array_equal(reg.load("li-rf").estimator.predict(X), est.predict(X))
    with pytest.raises(ModelError, match="immutable"):
        reg.publish(model_dir, "li-rf", version="1")
    fetched = reg.fetch("li-rf", "1", tmp_path / "fetched")
    assert (fetched / "card.md").is_file()
    fs = fsspec.filesystem("memory")
    path = f"{reg.root}/li-rf/2/model.skops"
    fs.pipe_file(path, fs.cat_file(path)[:-10] + b"0123456789")
    with pytest.raises(SecurityError, match=r"model\.skops"):
        reg.load("li-rf", "2")


def test_file_url_registry(tmp_path: Path, model_dir: Path) -> None:
    reg = ModelRegistry(f"file://{tmp_path / 'reg'}")
    assert reg.is_local
    reg.publish(model_dir, "m")
    assert (tmp_path / "reg" / "m" / "1" / "checksums.json").is_file()


def test_fingerprint_pins_a_version(tmp_path: Path, model_dir: Path) -> None:
    from prospect.registry import model_fingerprint

    reg = ModelRegistry(tmp_path / "reg")
    reg.publish(model_dir, "m")
    fp = reg.fingerprint("m")
    assert fp == model_fingerprint(model_dir) and len(fp) == 64
    assert reg.load("m", fingerprint=fp.upper()).fingerprint == fp
    with pytest.raises(SecurityError, match="not the expected"):
        reg.load("m", fingerprint="0" * 64)
