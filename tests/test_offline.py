"""The default run opens no socket except loopback: unit tests and week 1 pass with outbound network blocked."""
from __future__ import annotations

import os
import sys

import pytest
from notebook_support import ROOT, WEEK1, comparable, normalise, run_notebook

from ai_pm_lab import settings
from ai_pm_lab.testing import offline

# The whole unit suite runs offline, except this file (it would recurse), the real-browser check (a dev tool) and the
# tests that execute whole notebooks (week 1 runs offline below). Override with AI_PM_LAB_OFFLINE_TESTS="tests/a.py ...".
# test_clock.py re-runs other unit files (already run offline here) under a fake clock: once, in the main suite, is enough.
# test_platform_wheels.py asks the package index on purpose (it skips without it); test_week8_lesson_on_folder.py
# executes a whole lesson.
NOT_OFFLINE = {"test_offline.py", "test_browser_lab.py", "test_exercise_checks.py", "test_week1_on_openai_server.py",
               "test_clock.py", "test_platform_wheels.py", "test_week8_lesson_on_folder.py"}
OFFLINE_SUBSET = tuple(sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py") if p.name not in NOT_OFFLINE))


def test_blocker_refuses_non_loopback_and_allows_loopback():
    code = (
        "import socket, http.server, threading\n"
        "assert socket.AI_PM_LAB_OFFLINE\n"
        "srv = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)\n"
        "threading.Thread(target=srv.handle_request, daemon=True).start()\n"
        "socket.create_connection(('127.0.0.1', srv.server_address[1]), timeout=5).close()\n"
        "for host in ('api.openai.com', 'api.anthropic.com'):\n"
        "    try:\n"
        "        socket.getaddrinfo(host, 443)\n"
        "        raise SystemExit('lookup of ' + host + ' was not blocked')\n"
        "    except OSError as exc:\n"
        "        assert 'blocked' in str(exc), exc\n"
        "print('ok')\n"
    )
    proc, attempts, namespace = offline.run_offline([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr
    assert len(attempts) == 2 and all("resolve api." in a for a in attempts)  # the log catches what the code swallowed


def test_offline_environment_drops_provider_settings(tmp_path):
    env = offline.offline_env(tmp_path, tmp_path / "log", base={"OPENAI_API_KEY": "x", "PATH": "/bin", "PYTHONPATH": "/a"})
    assert "OPENAI_API_KEY" not in env and env["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), "/a"]


def test_offline_environment_drops_every_provider_variable_gemini_included(tmp_path):
    base = {var: "set" for var in settings.PROVIDER_VARS} | {"PATH": "/bin"}
    env = offline.offline_env(tmp_path, tmp_path / "log", base=base)
    assert {"GEMINI_API_KEY", "GEMINI_BASE_URL"} <= set(settings.PROVIDER_VARS)
    assert not set(settings.PROVIDER_VARS) & set(env) and env["PATH"] == "/bin"


def test_unit_suite_passes_offline():
    subset = os.environ.get("AI_PM_LAB_OFFLINE_TESTS", " ".join(OFFLINE_SUBSET)).split()
    present = [p for p in subset if (ROOT / p).is_file()]
    if not present:
        pytest.skip("none of the offline unit-test files exist yet")
    proc, attempts, namespace = offline.run_offline(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly", *present,
         # the repository scan is about files, not the network; it runs in the main suite
         "--deselect", "tests/test_secrets.py::test_no_committed_file_or_notebook_carries_a_key"], cwd=ROOT, timeout=900)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, f"unit tests failed offline (namespace={namespace}):\n{tail}"
    assert " passed" in proc.stdout
    assert attempts == [], f"the unit tests tried to reach the network: {attempts}"


@pytest.fixture(scope="module")
def week1_offline():
    """Week 1 executed once offline in a fresh kernel (shared by the offline and determinism tests)."""
    return run_notebook(WEEK1)


def test_week1_runs_offline_on_the_local_model(week1_offline):
    cells, attempts, namespace, _ = week1_offline
    assert attempts == [], f"week 1 tried to reach the network: {attempts}"
    text = "\n".join("\n".join(items) for items in comparable(cells))
    assert "error:" not in text
    assert "on this machine, free, no network" in text  # the backend line names the local model


def test_week1_is_deterministic_with_fixed_seeds(week1_offline):
    first = comparable(week1_offline[0])
    second_cells, attempts, _, _ = run_notebook(WEEK1)
    second = comparable(second_cells)
    assert attempts == []
    assert sum(len(c) for c in first) > 5, "week 1 produced almost no output to compare"
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second)):
        assert a == b, f"code cell {i} differs between two seeded runs:\n{second_cells[i]['source'][:200]}\n--- run 1\n{a}\n--- run 2\n{b}"


def test_normaliser_masks_timings_but_not_content():
    a = normalise("gpt via local · 48 prompt + 6 completion tokens · 0.42 s · $0.000001 · 118.3 tokens/s · 12 ms")
    b = normalise("gpt via local · 48 prompt + 6 completion tokens · 1.07 s · $0.000001 · 97 tokens/s · 3 ms")
    assert a == b and "48 prompt" in a and "$0.000001" in a
    assert normalise("seed 123: 'The Lost Unicorn'") != normalise("seed 123: 'An Amulet of Hope'")


def test_comparison_ignores_how_the_kernel_split_a_stream_but_not_what_it_says():
    one = [{"outputs": [{"stream": "stdout", "text": "line 1\nline 2\n"}, {"data": {"text/plain": "42"}}]}]
    two = [{"outputs": [{"stream": "stdout", "text": "line 1\n"}, {"stream": "stdout", "text": "line 2\n"},
                        {"data": {"text/plain": "42"}}]}]
    changed = [{"outputs": [{"stream": "stdout", "text": "line 1\nline 3\n"}, {"data": {"text/plain": "42"}}]}]
    noisy = [{"outputs": [{"stream": "stderr", "text": "warning"}, *one[0]["outputs"]]}]
    assert comparable(one) == comparable(two) == comparable(noisy)
    assert comparable(one) != comparable(changed)
    assert comparable(one) != comparable([{"outputs": one[0]["outputs"][:1]}])  # a missing display is a difference
