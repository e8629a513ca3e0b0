"""Settings: TOML file, environment, unknown keys, the documented example."""

from __future__ import annotations

import tomllib

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError
from tests.conftest import ROOT


def test_example_config_loads_and_documents_every_field():
    example = ROOT / "config.example.toml"
    settings = load_settings(example)
    assert settings == Settings()
    data = tomllib.loads(example.read_text())
    text = example.read_text()
    for section, model in Settings.model_fields.items():
        for field in model.annotation.model_fields:
            assert field in data[section], f"{section}.{field} missing from config.example.toml"
            assert f"\n{field} = " in text or f"[{section}.{field}]" in text


def test_unknown_key_is_an_error_naming_it(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm]\nmodle = 'x'\n")
    with pytest.raises(ConfigError, match="llm.modle"):
        load_settings(cfg)


def test_environment_overrides_file(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm]\nmodel = 'from-file'\n[store]\npath = 'a'\n")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "from-env")
    monkeypatch.setenv("ASSISTANT_STORE", "/tmp/env-store")
    monkeypatch.setenv("ASSISTANT_STORE_URL", "http://127.0.0.1:9")
    s = load_settings(cfg)
    assert (s.llm.model, s.store.path, s.store.url) == ("from-env", "/tmp/env-store",
                                                         "http://127.0.0.1:9")


def test_bad_value_and_missing_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[chunking]\nmax_tokens = 9000\n")
    with pytest.raises(ConfigError, match="chunking.max_tokens"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_config_toml_in_working_directory_is_read(tmp_path):
    (tmp_path / "config.toml").write_text("[retrieval]\ntop_k = 5\n")
    assert load_settings().retrieval.top_k == 5
