#!/usr/bin/env python
"""Build the course website (`make site`): the lessons executed once on the local model, with their outputs and each
widget's last view, the facilitator pages, a page per week, search, and a launch link on every lesson.

Steps: (1) execute each lesson with no provider key in the environment (so the site shows the default local model),
keeping widget state, into ``build/executed/`` (a copy whose source has not changed since is reused: one execution
serves every build); (2) stage the pages in ``build/site-src/`` (README as the home page, ``docs/``, the capacity
page, the executed lessons with a JupyterHub launch line under the Binder one); (3) run Sphinx with MyST-NB
(``site/conf.py``; notebooks are not executed again) into ``build/site/``. The widget renderer comes from npm
(``site/package.json``, installed by ``make web-deps``): nothing is fetched while building or reading the site.

    python tools/build_site.py                      # all eight lessons
    python tools/build_site.py --lessons week01     # a quick build from one lesson (the site test does this)
    python tools/build_site.py --hub https://hub.example.org   # launch links for a room's JupyterHub (nbgitpuller)
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import launch_links  # noqa: E402

from ai_pm_lab import settings  # noqa: E402

SITE = ROOT / "site"
VENDOR = {  # file in site/node_modules -> name under _static/vendor
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
}
WIDGET_ASSETS = "@jupyter-widgets/html-manager/dist"  # the renderer's icon fonts (Font Awesome) ...
WIDGET_ASSETS_URL = "notebooks/@jupyter-widgets"  # ... which it fetches beside the page that shows a widget (a lesson)
DEFAULT_EXECUTED = ROOT / "build" / "executed"
DEFAULT_SRC = ROOT / "build" / "site-src"
DEFAULT_OUT = ROOT / "build" / "site"
SOURCE_KEY = "ai_pm_lab_site"  # notebook metadata: the sha256 of the source an executed copy was made from
BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)")  # README's Binder badge: an external image
LINK = re.compile(r"(\]\()([^)\s#]+)((?:#[^)\s]*)?\))")  # a markdown link's target (without its #anchor)
HUB_MARK = "<!-- hub-link: added by tools/build_site.py -->"
EXECUTE_TIMEOUT_S = 900  # per cell; the heaviest lesson cell runs a few minutes on a busy machine
REPLY_GRACE_S = 30  # after a cell's output has ended (the kernel said idle), how long to wait for its execute reply
ATTEMPTS = 2  # a lesson whose run stalls (no reply at all within the timeout) is run once more from the start
DOC_PAGES = ("docs", "deploy/capacity.md", "DEVELOPERS.md")


def lessons(names=None) -> list[Path]:
    """The lesson notebooks to publish: all eight, or those whose file name starts with one of ``names``."""
    found = sorted((ROOT / "notebooks").glob("week*_*.ipynb"))
    if not names:
        return found
    chosen = [nb for nb in found if any(nb.name.startswith(n) for n in names)]
    unknown = [n for n in names if not any(nb.name.startswith(n) for nb in found)]
    if unknown:
        raise SystemExit(f"No lesson starts with {', '.join(unknown)}: use names like week01 "
                         f"(lessons: {', '.join(nb.stem for nb in found)}).")
    return chosen


@functools.cache
def package_digest() -> str:
    """The sha256 of the course package (code and data), read once per build."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "ai_pm_lab").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def digest(lesson: Path) -> str:
    """The sha256 of a lesson and of the course package it runs: an executed copy records it, so a changed lesson, or
    a change in the package, executes the lesson again."""
    return hashlib.sha256(lesson.read_bytes() + package_digest().encode()).hexdigest()


def keyless_env() -> dict:
    """This process's environment without any provider key or backend override: the site shows the local model."""
    return {k: v for k, v in os.environ.items() if k not in settings.PROVIDER_VARS}


class LessonClient(NotebookClient):
    """nbclient, minus one stall seen here: now and then (about one lesson run in five on a busy machine, with ipykernel
    7 and widgets) a cell's execute reply never arrives although its output ended with the kernel's idle status, and
    nbclient waits for it until the cell timeout. Here a cell counts as done once its output has ended and the reply
    has had ``REPLY_GRACE_S`` more seconds; an error the cell raised is still caught from its outputs."""

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        reply = asyncio.ensure_future(super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                                     task_poll_kernel_alive))
        await asyncio.wait({reply, task_poll_output_msg}, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():
            try:
                return await asyncio.wait_for(asyncio.shield(reply), REPLY_GRACE_S)
            except asyncio.TimeoutError:
                reply.cancel()
                task_poll_kernel_alive.cancel()
                failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
                return {"parent_header": {"msg_id": msg_id}, "header": {"msg_type": "execute_reply"}, "metadata": {},
                        "content": {"status": "error" if failed else "ok", "execution_count": None}}
        return await reply


def execute(lesson: Path, executed_dir: Path, *, fresh: bool = False) -> Path:
    """Run ``lesson`` once (widget state kept) into ``executed_dir``, or reuse the copy made from the same source."""
    dest = executed_dir / lesson.name
    source = digest(lesson)
    if dest.exists() and not fresh:
        done = nbformat.read(dest, as_version=4)
        if done.metadata.get(SOURCE_KEY, {}).get("source_sha256") == source:
            return dest
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(keyless_env())
    os.environ[settings.OUTPUT_DIR_VAR] = str(executed_dir / "outputs")
    try:
        for attempt in range(1, ATTEMPTS + 1):
            nb = nbformat.read(lesson, as_version=4)
            try:
                LessonClient(nb, timeout=EXECUTE_TIMEOUT_S, kernel_name="python3", store_widget_state=True,
                             resources={"metadata": {"path": str(lesson.parent)}}).execute()
                break
            except (CellTimeoutError, DeadKernelError) as exc:
                if attempt == ATTEMPTS:
                    raise SystemExit(f"{lesson.name} stalled twice ({type(exc).__name__}); run make site again.") from None
                print(f"{lesson.name}: the run stalled ({type(exc).__name__}); running it once more.", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nb.metadata[SOURCE_KEY] = {"source_sha256": source}
    executed_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def hub_link(path: str, hub: str | None) -> str:
    """The markdown line that opens ``path`` on a room's JupyterHub through nbgitpuller (a template without a hub)."""
    if hub:
        return f"**In a workshop?** [Open this notebook on your room's JupyterHub]({launch_links.hub_url(path, hub)})."
    return ("**In a workshop?** Your facilitator's JupyterHub opens it with an nbgitpuller link: "
            f"`{launch_links.hub_url(path, 'https://YOUR-HUB')}`.")


def with_hub_cell(nb, path: str, hub: str | None):
    """The executed lesson with the JupyterHub launch line right after its Binder launch cell."""
    cells = [c for c in nb.cells if HUB_MARK not in "".join(c.get("source", ""))]
    at = next((i + 1 for i, c in enumerate(cells) if launch_links.TAG in c.get("metadata", {}).get("tags", [])), 0)
    cells.insert(at, nbformat.v4.new_markdown_cell(f"{HUB_MARK}\n{hub_link(path, hub)}"))
    nb.cells = cells
    return nb


def repository_link(target: str) -> str:
    """The repository's web address of a file the site does not publish (a data file, an exercise notebook)."""
    cfg = launch_links.config()
    return f"{cfg['url']}/blob/{cfg['branch']}/{target}"


def rewrite_links(text: str, page: str, published: set[str]) -> str:
    """Links from the page at ``page`` (a path relative to the repository) to files the site does not publish point
    to the repository instead, so every link on the site resolves; links to published pages stay relative."""
    def fix(m):
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
            return m.group(0)
        resolved = os.path.normpath(os.path.join(os.path.dirname(page), target))
        if resolved in published or resolved.startswith(".."):
            return m.group(0)
        return f"{m.group(1)}{repository_link(resolved)}{m.group(3)}"
    return LINK.sub(fix, text)


def home_page(readme: str, pages: list[str]) -> str:
    """README as the site's home page: the badge image (an external file) becomes a plain link, and a hidden table of
    contents lists every page so the sidebar shows the weeks and the facilitator pages."""
    text = BADGE.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", readme)
    toc = "\n".join(pages)
    return f"{text}\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\n```\n"


def stage(executed: list[Path], src: Path, *, hub: str | None = None) -> Path:
    """Lay out the pages for Sphinx in ``src`` (rewritten from scratch) and return it."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    for name in DOC_PAGES:
        path = ROOT / name
        target = src / name
        if path.is_dir():
            shutil.copytree(path, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    pages = []
    for nb_path in executed:
        rel = f"notebooks/{nb_path.name}"
        nb = with_hub_cell(nbformat.read(nb_path, as_version=4), rel, hub)
        nbformat.write(nb, src / rel)
        pages.append(rel.removesuffix(".ipynb"))
    published = {str(p.relative_to(src)) for p in src.rglob("*") if p.is_file()} | {"README.md"}
    for page in src.rglob("*.md"):
        rel = str(page.relative_to(src))
        page.write_text(rewrite_links(page.read_text(), rel, published))
    for page in (src / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(page, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = rewrite_links(cell.source, f"notebooks/{page.name}", published)
        nbformat.write(nb, page)
    facilitator = ["docs/facilitator_guide", *sorted(f"docs/facilitator/{p.stem}" for p in (src / "docs" / "facilitator").glob("*.md")),
                   "docs/knowledge_checks", "docs/deploy", "deploy/capacity"]
    others = sorted(str(p.relative_to(src).with_suffix("")) for p in src.rglob("*.md")
                    if str(p.relative_to(src).with_suffix("")) not in facilitator)
    readme = rewrite_links((ROOT / "README.md").read_text(), "README.md", published)
    (src / "index.md").write_text(home_page(readme, [*pages, *facilitator, *others]))
    shutil.copy2(SITE / "conf.py", src / "conf.py")
    shutil.copytree(SITE / "_static", src / "_static")
    modules = SITE / "node_modules"
    if not modules.is_dir():
        raise SystemExit("The widget renderer is not installed: run `make web-deps` (npm ci in site/) first.")
    for rel, name in VENDOR.items():
        (src / "_static" / "vendor").mkdir(parents=True, exist_ok=True)
        shutil.copy2(modules / rel, src / "_static" / "vendor" / name)
    shutil.copytree(modules / WIDGET_ASSETS, src / "_extra" / WIDGET_ASSETS_URL,
                    ignore=shutil.ignore_patterns("*.map", "*.js", "*.txt"))
    return src


def build(src: Path, out: Path) -> list[str]:
    """Run Sphinx on the staged pages into ``out``; returns its warnings (each one a line)."""
    if out.exists():
        shutil.rmtree(out)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "--keep-going",
                           "-D", "html_extra_path=_extra", str(src), str(out)],
                          capture_output=True, text=True, cwd=src)
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    if proc.returncode != 0 and not (out / "index.html").exists():
        raise SystemExit(f"Sphinx failed:\n{proc.stderr[-3000:]}")
    return warnings


def main(argv=None) -> int:
    """Execute (or reuse), stage and build; print where the site is and any Sphinx warning (exit 1 on a warning)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lessons", nargs="*", help="lesson names to publish (default: all), e.g. week01 week03")
    ap.add_argument("--executed", type=Path, default=DEFAULT_EXECUTED, help="where executed copies are kept")
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="where the pages are staged for Sphinx")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the website is written")
    ap.add_argument("--hub", help="a room's JupyterHub address, for the nbgitpuller launch links")
    ap.add_argument("--fresh", action="store_true", help="execute every lesson again, even when unchanged")
    args = ap.parse_args(argv)
    chosen = lessons(args.lessons)
    executed = [execute(nb, args.executed, fresh=args.fresh) for nb in tqdm(chosen, desc="Executing lessons", unit="lesson")]
    warnings = build(stage(executed, args.src, hub=args.hub), args.out)
    for line in warnings:
        print(line)
    print(f"Website: {args.out / 'index.html'} ({len(executed)} lessons, {len(warnings)} warnings). "
          f"Serve it with: python -m http.server -d {args.out}")
    return 1 if warnings else 0


if __name__ == "__main__":
    sys.exit(main())
