"""The website builder's own rules, without a browser: links, the home page, and a lesson run that survives a lost
execute reply (tests/test_site.py checks the built site in Chromium)."""
from __future__ import annotations

import asyncio
import sys

import nbformat
from nbclient import NotebookClient

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402


def test_links_to_unpublished_files_point_at_the_repository():
    published = {"docs/deploy.md", "notebooks/week01_foundations.ipynb"}
    text = "[deploy](deploy.md) [data](../ai_pm_lab/data/models.csv) [week 1](../notebooks/week01_foundations.ipynb#top) [web](https://x.org)"
    out = build_site.rewrite_links(text, "docs/facilitator_guide.md", published)
    assert "[deploy](deploy.md)" in out and "[week 1](../notebooks/week01_foundations.ipynb#top)" in out
    assert f"[data]({build_site.repository_link('ai_pm_lab/data/models.csv')})" in out and "(https://x.org)" in out


def test_the_home_page_lists_every_page_and_drops_the_external_badge_image():
    page = build_site.home_page("[![Launch](https://mybinder.org/badge.svg)](https://mybinder.org/v2/x) text", ["a", "b"])
    assert "[Launch](https://mybinder.org/v2/x)" in page and "badge.svg" not in page
    assert ":hidden:" in page and "\na\nb\n" in page


def test_a_lesson_run_goes_on_when_a_cells_execute_reply_never_arrives(monkeypatch, tmp_path):
    """The kernel's output ends (idle) but the reply is lost: the cell still counts as done after the grace period."""
    async def never(*args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(NotebookClient, "_async_poll_for_reply", never)
    monkeypatch.setattr(build_site, "REPLY_GRACE_S", 0.5)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)"), nbformat.v4.new_code_cell("x = 1")])
    build_site.LessonClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[0].outputs[0]["text"] == "42\n"
