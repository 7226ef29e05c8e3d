"""Keep each facilitator page's "PM lens boxes" section in step with its lesson.

A PM lens box is a markdown paragraph in a lesson that starts with ``**PM lens.**``. The facilitator page
``docs/facilitator/weekNN.md`` lists, under ``## PM lens boxes``, the first sentence of every box in lesson order.
``python tools/pm_lens.py`` rewrites those sections from the lessons; ``--check`` fails when a page disagrees
(tests/test_facilitator_kit.py runs the same comparison).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "docs" / "facilitator"
MARK = "**PM lens.**"
SECTION = "## PM lens boxes"
NEXT_SECTION = "## Discussion questions"
INTRO = ("The lesson stops at these boxes, in this order. Read the first sentence aloud and ask the room what it would "
         "change in their own product.")
ITEM = re.compile(r'^\d+\.\s+"(.*)"\s*$')
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')]?\s+(?=[A-Z\"*(])")


def lessons() -> list[Path]:
    """Every lesson notebook, in week order."""
    return sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb"))


def first_sentence(paragraph: str) -> str:
    """The box's first sentence, on one line (the text after the bold label, up to the first full stop)."""
    body = " ".join(paragraph[len(MARK):].split())
    match = SENTENCE_END.search(body)
    return body[: match.start()].strip() if match else body.strip()


def notebook_boxes(path: Path) -> list[str]:
    """The first sentence of each PM lens box in a lesson, in order."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for paragraph in re.split(r"\n\s*\n", text):
            paragraph = paragraph.strip()
            if paragraph.startswith(MARK):
                found.append(first_sentence(paragraph))
    return found


def page_boxes(text: str) -> list[str] | None:
    """The sentences a facilitator page lists under its PM lens section, or None when it has no such section."""
    if SECTION not in text:
        return None
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for line in section.splitlines() if (m := ITEM.match(line.strip()))]


def render(boxes: list[str]) -> str:
    """The section as Markdown."""
    items = "\n".join(f'{i}. "{b}"' for i, b in enumerate(boxes, 1))
    return f"{SECTION}\n\n{INTRO}\n\n{items}\n\n"


def write(page: Path, boxes: list[str]) -> bool:
    """Put the section on the page (replacing an old one, else before the discussion questions); True if it changed."""
    text = page.read_text(encoding="utf-8")
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        tail = rest.split("\n## ", 1)
        new = head + render(boxes) + ("## " + tail[1] if len(tail) > 1 else "")
    elif NEXT_SECTION in text:
        head, tail = text.split(NEXT_SECTION, 1)
        new = head + render(boxes) + NEXT_SECTION + tail
    else:
        new = text.rstrip("\n") + "\n\n" + render(boxes).rstrip("\n") + "\n"
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a facilitator page disagrees with its lesson")
    args = parser.parse_args(argv)
    bad = 0
    for lesson in lessons():
        page = KIT / f"{lesson.name[:6]}.md"
        boxes = notebook_boxes(lesson)
        if args.check:
            if page_boxes(page.read_text(encoding="utf-8")) != boxes:
                print(f"{page.relative_to(ROOT)}: PM lens boxes differ from {lesson.name}; run python tools/pm_lens.py")
                bad += 1
        elif write(page, boxes):
            print(f"wrote {page.relative_to(ROOT)} ({len(boxes)} boxes)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
