"""Settings own the environment: each variable read one way, .env honoured, a bad value is a clear error."""
import pytest

from ai_pm_lab import embeddings, settings
from ai_pm_lab.errors import ConfigurationError


def test_threads_from_environment_or_dotenv_with_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.THREADS_VAR, raising=False)
    assert 1 <= settings.threads() <= 4 and 1 <= settings.threads(default_max=2) <= 2
    (tmp_path / ".env").write_text(f"{settings.THREADS_VAR}=3\n")
    assert settings.threads() == 3 and embeddings.embedding_threads() == 3  # .env is honoured by every reader
    monkeypatch.setenv(settings.THREADS_VAR, "1")
    assert settings.threads() == 1 and embeddings.embedding_threads() == 1  # the environment wins over .env
    for bad in ("two", "0", "65", "-1", "1.5"):
        monkeypatch.setenv(settings.THREADS_VAR, bad)
        with pytest.raises(ConfigurationError, match=settings.THREADS_VAR):
            settings.threads()
        with pytest.raises(ConfigurationError, match="between 1 and 64"):
            embeddings.embedding_threads()


def test_embedding_cache_dir_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.EMBED_CACHE_VAR, raising=False)
    assert settings.embed_cache_dir() is None
    monkeypatch.setenv(settings.EMBED_CACHE_VAR, str(tmp_path / "vectors"))
    assert settings.embed_cache_dir() == str(tmp_path / "vectors")


def test_one_thread_parser_serves_the_local_model_embeddings_and_scikit_learn(monkeypatch):
    from ai_pm_lab.framing import data_strategy
    from ai_pm_lab.llm import local

    monkeypatch.setenv(settings.THREADS_VAR, "3")
    assert data_strategy.threads() == 3 and local.llama_settings()["n_threads"] == 3
    monkeypatch.setenv(settings.THREADS_VAR, "three")  # used to be ignored silently by the scikit-learn fits
    with pytest.raises(ConfigurationError, match="between 1 and 64"):
        data_strategy.threads()
    monkeypatch.delenv(settings.THREADS_VAR)
    assert data_strategy.threads() == 1  # the fits are tiny: one thread unless asked


def test_context_window_and_spend_cap_are_read_in_settings(monkeypatch):
    monkeypatch.delenv(settings.N_CTX_VAR, raising=False)
    assert settings.n_ctx() == settings.DEFAULT_N_CTX
    monkeypatch.setenv(settings.N_CTX_VAR, "4096")
    assert settings.n_ctx() == 4096
    for bad in ("4k", "100", "9000"):
        monkeypatch.setenv(settings.N_CTX_VAR, bad)
        with pytest.raises(ConfigurationError, match=settings.N_CTX_VAR):
            settings.n_ctx()
    monkeypatch.setenv(settings.SPEND_CAP_VAR, "$0.50")
    assert settings.spend_cap() == 0.5
    for bad in ("half a dollar", "-1", "nan", "inf"):
        monkeypatch.setenv(settings.SPEND_CAP_VAR, bad)
        with pytest.raises(ConfigurationError, match=settings.SPEND_CAP_VAR):
            settings.spend_cap()


def test_one_list_of_provider_variables_and_one_answer_to_which_backends_are_configured(monkeypatch):
    from ai_pm_lab.catalog.__main__ import main as catalog_main
    from ai_pm_lab.llm.backends import configured_backends

    assert {"GEMINI_API_KEY", "GEMINI_BASE_URL", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"} <= set(settings.PROVIDER_VARS)
    assert set(settings.KEY_VARS.values()) | set(settings.BASE_URL_VARS.values()) <= set(settings.PROVIDER_VARS)
    assert configured_backends() == ["local"] and settings.choose_backend() == "local"
    monkeypatch.setenv("GEMINI_API_KEY", "test-not-a-real-key")
    assert configured_backends() == ["local", "gemini"] and configured_backends(hosted_only=True) == ["gemini"]
    assert settings.choose_backend() == "gemini"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a local server needs no key
    assert configured_backends(hosted_only=True) == ["openai", "gemini"] and settings.choose_backend() == "openai"
    assert catalog_main(["--offline"]) == 0  # the catalog command asks the same function (nothing live when offline)


def test_a_missing_llama_cpp_is_a_configuration_error_that_names_the_fix():
    import subprocess
    import sys

    code = ("import sys; sys.modules['llama_cpp'] = None\n"  # as if llama-cpp-python were not installed
            "import ai_pm_lab as lab\n"
            "from ai_pm_lab.errors import ConfigurationError\n"
            "try:\n    lab.generate('hi', backend='local', max_tokens=2)\n"
            "except ConfigurationError as exc:\n    print('CONFIG', exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("CONFIG") and "llama-cpp-python" in done.stdout and "make lab" in done.stdout, done.stderr
