"""Every weekly lesson renders to a reveal.js deck (tools/make_slides.py, `make slides`), with the slide rules applied."""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_slides  # noqa: E402

LESSONS = make_slides.lessons()


def test_there_are_lessons_to_render():
    assert len(LESSONS) >= 4


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return {path: make_slides.build(path, out) for path in LESSONS}


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_renders_to_a_reveal_deck(decks, path):
    text = decks[path].read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    kinds = make_slides.slide_types(nb)
    slides = kinds.count("slide") + kinds.count("subslide")
    assert "reveal" in text and "Reveal.initialize" in text
    assert text.count("<section") >= slides >= 3, f"{path.name}: {slides} slides"
    title = re.sub(r"^#\s*", "", next(line for c in nb.cells if c.cell_type == "markdown"
                                      and "launch-link" not in c.metadata.get("tags", [])
                                      for line in c.source.splitlines() if line.startswith("# ")))
    assert html.escape(title.split("·")[-1].strip())[:30] in text, title
    assert "Course check (hidden from learners)" not in text, "hidden checks stay off the slides"
    assert "Open this notebook on Binder" not in text, "the launch link stays off the slides"
    assert "PM takeaways" in text, "the takeaways belong on the slides"


def md(text, **meta):
    return nbformat.v4.new_markdown_cell(text, metadata=meta)


def code(text, **meta):
    return nbformat.v4.new_code_cell(text, metadata=meta)


def test_slide_rules():
    nb = nbformat.v4.new_notebook(cells=[
        md("launch", tags=["launch-link"]),
        md("# Title\nintro"),
        code("x = 1"),
        code("\n".join(f"line{i} = {i}" for i in range(make_slides.LONG_CODE + 1))),
        code("assert x", tags=["check"]),
        md("## Section"),
        md("### Detail"),
        md("more text"),
        md("x" * (make_slides.SLIDE_CHARS + 1)),
        md("pinned", slideshow={"slide_type": "notes"}),
    ])
    assert make_slides.slide_types(nb) == ["skip", "slide", "fragment", "skip", "skip", "slide", "subslide", "-",
                                           "subslide", "notes"]
    tagged = make_slides.tagged(nb)
    assert [c.metadata["slideshow"]["slide_type"] for c in tagged.cells] == make_slides.slide_types(nb)
    assert "slideshow" not in nb.cells[1].metadata, "the notebook itself is not modified"


def test_decks_use_vendored_assets_when_present(tmp_path):
    assert make_slides.exporter_options(tmp_path)["reveal_url_prefix"].startswith("https://")
    for folder, file, _ in make_slides.VENDOR.values():
        (tmp_path / "vendor" / folder / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "vendor" / folder / file).write_text("//")
    options = make_slides.exporter_options(tmp_path)
    assert options["reveal_url_prefix"] == "vendor/reveal.js"
    assert all(not v.startswith("http") for v in options.values())
