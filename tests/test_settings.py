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
