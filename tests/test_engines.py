"""Which engine a call uses: ``auto`` resolved from the settings and the environment, every name
checked against the registry (config file, environment, CLI), and the test run itself kept
from a developer's keys and endpoints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.answering.engines import engine_names, resolve_engine
from assistant.config import load_settings
from assistant.errors import ConfigError
from tests.conftest import provider_variables
from tests.fake_openai_server import FakeOpenAIServer, answer

QUESTION = "What range of speedups over baselines is reported for ReaLHF?"


def test_the_suite_runs_with_no_provider_variable_set(tmp_path):
    assert provider_variables(os.environ) == []
    assert Assistant(store=tmp_path / "store").engine_name() == "extractive"


def test_provider_variables_cover_keys_endpoints_and_settings():
    names = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "ASSISTANT_LLM_ENGINE",
             "CHROMA_SERVER_AUTHN_CREDENTIALS", "https_proxy", "ALL_PROXY", "PATH", "HOME",
             "TEST_CHROMA_URL", "ORT_DISABLE_TELEMETRY"]
    assert provider_variables(names) == names[:7]


@pytest.mark.parametrize(("env", "llm", "expected"), [
    ({}, {}, "extractive"),
    ({"OPENAI_API_KEY": "sk-test"}, {}, "openai"),
    ({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, {}, "openai"),
    ({}, {"base_url": "http://127.0.0.1:9/v1"}, "openai"),
    ({"MY_KEY": "sk-test"}, {"api_key_env": "MY_KEY"}, "openai"),
    ({"OPENAI_API_KEY": "sk-test"}, {"api_key_env": "MY_KEY"}, "extractive"),
    ({"OPENAI_API_KEY": "sk-test"}, {"engine": "extractive"}, "extractive"),
    ({}, {"engine": "local"}, "local"),
], ids=["offline", "key", "env-endpoint", "config-endpoint", "named-key", "other-key",
        "explicit", "explicit-local"])
def test_auto_picks_openai_only_when_an_endpoint_or_key_is_configured(
        tmp_path, monkeypatch, env, llm, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(None, store={"path": str(tmp_path / "store")}, llm=llm)
    assert resolve_engine(settings.llm) == expected
    assert Assistant(settings=settings).engine_name() == expected


def test_a_request_beats_the_configured_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    a = Assistant(store=tmp_path / "store", llm="extractive")
    assert a.engine_name() == "extractive"
    assert a.engine_name("auto") == "openai"
    assert a.engine("auto").name == "openai"


def test_auto_with_an_endpoint_in_the_environment_answers_through_it(sample_library,
                                                                     monkeypatch):
    with FakeOpenAIServer() as server:
        server.script(answer("ReaLHF reports speedups of 2.0-10.6x [1]."))
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        a = Assistant(settings=sample_library.settings, embedder=sample_library.library.embedder)
        ans = a.ask(QUESTION)
        a.close()
    assert ans.engine == "openai" and "2.0-10.6" in ans.text
    assert len(server.requests) == 1 and server.requests[0].path.endswith("/chat/completions")


def test_auto_without_one_answers_offline(sample_library):
    ans = sample_library.ask(QUESTION)
    assert ans.engine == "extractive" and ans.citations


@pytest.mark.parametrize("how", ["override", "file", "environment"])
def test_an_unknown_engine_is_refused_naming_every_registered_one(tmp_path, monkeypatch, how):
    if how == "override":
        load = lambda: load_settings(None, llm={"engine": "gpt-9"})  # noqa: E731
    elif how == "file":
        cfg = tmp_path / "c.toml"
        cfg.write_text('[llm]\nengine = "gpt-9"\n')
        load = lambda: load_settings(cfg)  # noqa: E731
    else:
        monkeypatch.setenv("ASSISTANT_LLM_ENGINE", "gpt-9")
        load = lambda: load_settings(None)  # noqa: E731
    with pytest.raises(ConfigError) as err:
        load()
    message = str(err.value)
    assert "llm.engine" in message and "'gpt-9'" in message
    assert message.endswith(", ".join(engine_names())), message
    assert {"auto", "extractive", "local", "openai"} <= set(engine_names())


def test_cli_engine_choices_are_the_registry(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(tmp_path / "s"), "ask", "x",
         "--llm", "gpt-9"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "(choose from " + ", ".join(repr(n) for n in engine_names()) + ")" in proc.stderr
