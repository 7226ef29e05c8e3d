#!/usr/bin/env python
"""Render every weekly lesson as a reveal.js slide deck with nbconvert (build/slides/weekNN_*.slides.html).

Which cell goes where: a cell's own ``slideshow.slide_type`` metadata wins (set it in JupyterLab's property
inspector). Otherwise: a markdown cell opening with a ``#``/``##`` heading starts a slide, ``###`` a sub-slide;
the launch link and hidden course checks (tags ``launch-link``, ``check``) are skipped; a code cell longer than
LONG_CODE lines is skipped (demo it live in the notebook); other code appears as a fragment; and a cell that would
overflow the current slide (more than SLIDE_CHARS characters on it) opens a sub-slide instead. The notebook files
are not modified.

    python tools/make_slides.py                    # every lesson, from the stripped notebooks (code, no outputs)
    python tools/make_slides.py --execute          # run each lesson first, so charts and tables are on the slides
    python tools/make_slides.py --vendor-reveal    # download reveal.js once with npm: decks then work offline
    python tools/make_slides.py notebooks/week02_strengths_limits_cost.ipynb
"""
from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "slides"
REVEAL_VERSION = "4.0.2"  # the version nbconvert's reveal template is written for
REVEAL_CDN = f"https://unpkg.com/reveal.js@{REVEAL_VERSION}"
LONG_CODE = 12
SLIDE_CHARS = 1100
SKIP_TAGS = {"launch-link", "check"}


def lessons() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb"))


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def slide_types(nb) -> list[str]:
    """The reveal.js role of every cell: slide, subslide, fragment, skip or '-' (continue the current slide)."""
    kinds, used = [], 0
    for cell in nb.cells:
        explicit = cell.metadata.get("slideshow", {}).get("slide_type")
        size = len(cell.source)
        if explicit:
            kind = explicit
        elif SKIP_TAGS & set(cell.metadata.get("tags", [])) or not cell.source.strip():
            kind = "skip"
        elif cell.cell_type == "markdown":
            head = _first_line(cell.source)
            if head.startswith(("# ", "## ")):
                kind = "slide"
            elif head.startswith("### ") or used + size > SLIDE_CHARS:
                kind = "subslide"
            else:
                kind = "-"
        elif cell.cell_type == "code":
            if len(cell.source.splitlines()) > LONG_CODE:
                kind = "skip"
            else:
                kind = "subslide" if used + size > SLIDE_CHARS else "fragment"
        else:
            kind = "skip"
        if kind in ("slide", "subslide"):
            used = size
        elif kind not in ("skip", "notes"):
            used += size
        kinds.append(kind)
    return kinds


def tagged(nb):
    """A copy of the notebook with every cell's slide type set (explicit metadata kept as it is)."""
    nb = copy.deepcopy(nb)
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
    return nb


# What the decks load. nbconvert's reveal template needs require.js and jQuery next to reveal.js; --vendor-reveal
# fetches all three from npm (npm pack: no global install) so a room without network can still present.
VENDOR = {  # npm package@version: (folder under out_dir/vendor, file the decks load, CDN address)
    f"reveal.js@{REVEAL_VERSION}": ("reveal.js", "dist/reveal.js", REVEAL_CDN),
    "requirejs@2.3.7": ("requirejs", "require.js", "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.7/require.min.js"),
    "jquery@2.2.4": ("jquery", "dist/jquery.min.js", "https://cdnjs.cloudflare.com/ajax/libs/jquery/2.2.4/jquery.min.js"),
}


def vendored(out_dir: Path) -> bool:
    return all((out_dir / "vendor" / folder / file).exists() for folder, file, _ in VENDOR.values())


def exporter_options(out_dir: Path) -> dict:
    """Where the decks find reveal.js, require.js and jQuery: next to them if vendored (offline), else CDNs."""
    if vendored(out_dir):
        (reveal, _, _), (req, req_file, _), (jq, jq_file, _) = VENDOR.values()
        return {"reveal_url_prefix": f"vendor/{reveal}", "require_js_url": f"vendor/{req}/{req_file}",
                "jquery_url": f"vendor/{jq}/{jq_file}"}
    (_, _, reveal), (_, _, req), (_, _, jq) = VENDOR.values()
    return {"reveal_url_prefix": reveal, "require_js_url": req, "jquery_url": jq}


def vendor_reveal(out_dir: Path) -> Path:
    """Fetch reveal.js, require.js and jQuery from npm into out_dir/vendor."""
    if not shutil.which("npm"):
        raise SystemExit("npm is not installed: install Node.js (Debian: apt-get install -y npm), or present online "
                         "(the decks then load reveal.js from a CDN).")
    for spec, (folder, _, _) in VENDOR.items():
        target = out_dir / "vendor" / folder
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
            archive = next(Path(tmp).glob("*.tgz"))
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path(tmp) / "package", target)
    return out_dir / "vendor"


def build(path: Path, out_dir: Path = OUT, execute: bool = False) -> Path:
    """Render one lesson to out_dir/<name>.slides.html and return the path."""
    import nbformat
    from nbconvert import SlidesExporter

    nb = nbformat.read(path, as_version=4)
    if execute:
        from nbclient import NotebookClient

        NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = SlidesExporter(reveal_theme="simple", reveal_scroll=True, reveal_transition="none",
                              **exporter_options(out_dir))
    body, _ = exporter.from_notebook_node(tagged(nb), resources={"metadata": {"name": path.stem}})
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="lessons to render (default: every notebooks/weekNN_*.ipynb)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--execute", action="store_true", help="run each lesson first so outputs appear on the slides")
    ap.add_argument("--vendor-reveal", action="store_true", help="download reveal.js with npm so decks work offline")
    args = ap.parse_args(argv)
    if args.vendor_reveal:
        print(f"reveal.js, require.js and jQuery in {vendor_reveal(args.out)}")
    for path in [p.resolve() for p in args.notebooks] or lessons():
        target = build(path, args.out, args.execute)
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    if not vendored(args.out):
        print("note: the decks load reveal.js from a CDN; for a room without network run: make slides-offline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
