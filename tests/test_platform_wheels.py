"""Which pinned requirements have no wheel on Windows / macOS: the tool's matching, and its live answer = the README's."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import platform_wheels  # noqa: E402

# How the README's setup section names each platform the tool checks.
README_LABELS = {"Windows": "win_amd64", "Mac with Apple silicon": "macosx_arm64", "Intel Mac": "macosx_x86_64"}


def test_wheel_matching_follows_pips_tags():
    files = [
        "demo-1.0-py3-none-any.whl",                       # pure Python: every platform
        "native-2.0-cp310-abi3-win_amd64.whl",             # abi3 from 3.10 runs on 3.11
        "native-2.0-cp312-cp312-macosx_11_0_arm64.whl",    # another Python: no
        "native-2.0-cp311-cp311-macosx_15_0_x86_64.whl",   # needs macOS 15: not on 14
        "native-1.9-cp311-cp311-macosx_11_0_arm64.whl",    # another version: no
        "native-2.0.tar.gz",
    ]
    targets = platform_wheels.platform_tags()
    assert all(platform_wheels.wheels_for("demo", Version("1.0"), files, targets).values())
    native = platform_wheels.wheels_for("native", Version("2.0"), files, targets)
    assert native == {"win_amd64": ["native-2.0-cp310-abi3-win_amd64.whl"], "macosx_arm64": [], "macosx_x86_64": []}
    universal = platform_wheels.wheels_for("native", Version("2.0"), ["native-2.0-cp311-cp311-macosx_10_9_universal2.whl"],
                                           targets)
    assert universal["macosx_arm64"] and universal["macosx_x86_64"] and not universal["win_amd64"]


def test_pinned_reads_exact_pins_and_skips_options(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nllama-cpp-python==0.3.36 --config-settings=x=y\nfoo==1.2  # why\nbar>=2\n-e .\n"
                   "--extra-index-url https://example.invalid\n")
    assert platform_wheels.pinned(req) == [("llama-cpp-python", Version("0.3.36")), ("foo", Version("1.2"))]


def readme_no_wheel() -> dict[str, set[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    stated = {}
    for label, platform in README_LABELS.items():
        match = re.search(rf"{re.escape(label)}: ((?:`[^`]+`(?:, )?)+)", text)
        assert match, f"README.md's setup section should list the packages with no wheel for '{label}'"
        stated[platform] = set(re.findall(r"`([^`]+)`", match.group(1)))
    return stated


def test_the_readme_states_what_the_index_has_today():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "platform_wheels.py"), "--json"], capture_output=True,
                          text=True, timeout=180)
    if done.returncode == 2:
        pytest.skip(f"package index unreachable from here: {done.stderr.strip()[:300]}")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert len(result["packages"]) == len(platform_wheels.pinned()) > 30
    measured = {platform: set(names) for platform, names in result["no_wheel"].items()}
    assert measured == readme_no_wheel(), "update README.md's setup section from: python tools/platform_wheels.py"
