"""Which pinned requirements have a wheel for Windows and macOS? Asks the package index, downloads no wheel.

    python tools/platform_wheels.py          # a table, then the packages with no wheel per platform
    python tools/platform_wheels.py --json   # the same as JSON (tests/test_platform_wheels.py reads it)

For every `name==version` line of requirements.txt (options and `-e .` skipped) it reads the index's file list for
that project (PEP 691 JSON, else the PEP 503 HTML page) and matches each wheel's tags against CPython 3.11 on
win_amd64, macOS 14 arm64 and macOS 14 x86_64 (a pure-Python `py3-none-any` wheel counts). A package without a wheel
is built from its sdist on install, which needs a compiler. Only the pinned packages are checked: a package with
wheels may still depend on one without (pip resolves those at install time).
Exit code: 0 with a report, 2 when the index cannot be reached.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

from packaging import tags
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
PYPI_SIMPLE = "https://pypi.org/simple"
PYTHON = (3, 11)
MACOS = (14, 0)  # a current macOS: wheels for 14.0 and every older release count
TIMEOUT_S = 20
WORKERS = 8


def platform_tags() -> dict[str, set[tags.Tag]]:
    """The tags pip accepts for CPython 3.11 on each target platform."""
    interpreter = f"cp{PYTHON[0]}{PYTHON[1]}"
    platforms = {
        "win_amd64": ["win_amd64"],
        "macosx_arm64": list(tags.mac_platforms(MACOS, "arm64")),
        "macosx_x86_64": list(tags.mac_platforms(MACOS, "x86_64")),
    }
    return {
        name: set(tags.cpython_tags(PYTHON, platforms=plats))
        | set(tags.compatible_tags(PYTHON, interpreter=interpreter, platforms=plats))
        for name, plats in platforms.items()
    }


def pinned(path: Path = REQUIREMENTS) -> list[tuple[str, Version]]:
    """(name, version) for every `name==version` requirement line; options, `-e .` and comments skipped."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            req = Requirement(line.split()[0])
        except InvalidRequirement:
            continue
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if exact:
            found.append((req.name, Version(exact[0])))
    return found


def index_url() -> str:
    """pip's index (PIP_INDEX_URL or `pip config`'s index-url), else PyPI; extra and local indexes are not read."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        try:
            out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        match = re.search(r"^[\w:]*\.index-url='([^']+)'", out, re.MULTILINE)
        url = match.group(1) if match else PYPI_SIMPLE
    return url.rstrip("/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.names.append(href.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def filenames(name: str, index: str) -> list[str]:
    """Every file the index lists for a project (raises OSError when the index cannot be reached)."""
    url = f"{index}/{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1", "User-Agent": "ai-pm-lab platform_wheels"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            body = response.read().decode("utf-8")
            if "json" in response.headers.get("Content-Type", ""):
                return [f["filename"] for f in json.loads(body)["files"]]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # the index does not have this project: no wheel anywhere
            return []
        raise
    parser = _Links()
    parser.feed(body)
    return parser.names


def wheels_for(name: str, version: Version, files: list[str], targets: dict[str, set]) -> dict[str, list[str]]:
    """For each target platform, the wheels of exactly this version that pip would accept there."""
    found = {platform: [] for platform in targets}
    for filename in files:
        if not filename.endswith(".whl"):
            continue
        try:
            wheel_name, wheel_version, _, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if wheel_name != canonicalize_name(name) or wheel_version != version:
            continue
        for platform, accepted in targets.items():
            if wheel_tags & accepted:
                found[platform].append(filename)
    return found


def report(requirements: list[tuple[str, Version]] | None = None, index: str | None = None) -> dict:
    """{index, python, macos, packages: [{name, version, sdist, wheels: {platform: [files]}}], no_wheel: {platform:
    [names]}} for the pinned requirements."""
    requirements = pinned() if requirements is None else requirements
    index = index or index_url()
    targets = platform_tags()
    with ThreadPoolExecutor(WORKERS) as pool:
        listings = list(pool.map(lambda req: filenames(req[0], index), requirements))
    packages = []
    for (name, version), files in zip(requirements, listings):
        wheels = wheels_for(name, version, files, targets)
        sdist = any(f.endswith((".tar.gz", ".zip")) and str(version) in f for f in files)
        packages.append({"name": name, "version": str(version), "sdist": sdist, "wheels": wheels})
    no_wheel = {platform: sorted(p["name"] for p in packages if not p["wheels"][platform]) for platform in targets}
    return {"index": index, "python": ".".join(map(str, PYTHON)), "macos": ".".join(map(str, MACOS)),
            "packages": packages, "no_wheel": no_wheel}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        result = report()
    except (OSError, urllib.error.URLError, TimeoutError) as exc:
        print(f"UNREACHABLE: the package index could not be read ({exc})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    platforms = list(result["no_wheel"])
    print(f"Index {result['index']}, CPython {result['python']}, macOS {result['macos']}+: wheel found?")
    print(f"{'package':28} {'version':12} " + " ".join(f"{p:14}" for p in platforms))
    for p in result["packages"]:
        marks = " ".join(f"{'yes' if p['wheels'][plat] else 'NO':14}" for plat in platforms)
        print(f"{p['name']:28} {p['version']:12} {marks}")
    sdist = {p["name"]: p["sdist"] for p in result["packages"]}
    for plat, names in result["no_wheel"].items():
        shown = [f"{n} ({'builds from source: needs a compiler' if sdist[n] else 'no source either: cannot install'})"
                 for n in names]
        print(f"No wheel on {plat}: {', '.join(shown) or 'none'}")
    print("(pinned requirements only; their own dependencies are resolved by pip at install time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
