"""Present to your team: a launch memo (Markdown + PNG charts) and the same content as a short slide deck (a generated
notebook exported to reveal.js HTML by nbconvert), written under output_dir("capstone") and re-created on each run."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import matplotlib
import pandas as pd

from ai_pm_lab.capstone.improve import improvement_status
from ai_pm_lab.capstone.launch import LIVE, REHEARSAL, canary_mode, canary_verdict, compare, shadow_summary
from ai_pm_lab.errors import InputTypeError
from ai_pm_lab.llm import describe_backend
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import format_rate

MEMO_NAME = "launch_memo.md"
DECK_NOTEBOOK = "launch_deck.ipynb"
DECK_HTML = "launch_deck.slides.html"
CHART_DIR = "charts"


@dataclass
class LaunchFacts:
    """Everything the memo and deck say, as measured in the run (no sentence carries a number it was not given)."""

    project: str
    backend: str
    documents: int
    skipped: int
    criteria_markdown: str
    gate_table: pd.DataFrame
    gate_passed: bool
    comparison: pd.DataFrame  # AI vs FAQ metrics on the test questions
    shadow: pd.DataFrame  # shadow_summary
    canary: pd.DataFrame
    canary_verdict: str
    gaps: pd.DataFrame
    improvement: pd.DataFrame  # before / after / change
    added: list = field(default_factory=list)
    dashboard_png: str | None = None
    improvement_status: str = ""  # "measured: ..." or "not run yet: ..." with how to run it
    calibration: str = ""  # what the answerability-gate calibration on this folder did (capstone.calibrate)
    canary_mode: str = "live"  # "live" (the launch gate passed) or "rehearsal" (it did not: no user got the AI)
    recommendation: str = ""  # the learner's own words; the memo shows the evidence next to it and never writes one


def launch_facts(project, pipeline, criteria, gate, ai_metrics: dict, faq_metrics: dict, shadow, canary: pd.DataFrame,
                 gaps: pd.DataFrame, improved: dict | None = None, dashboard=None, calibration=None, *,
                 recommendation: str | None = "") -> LaunchFacts:
    """Collect one capstone run's results into LaunchFacts (what the memo and the deck say). ``improved`` may be None
    or a loop that did not run (the memo then says "not run yet" and how to run it). ``recommendation`` is the
    learner's own text: the memo quotes it and puts the gate's evidence next to it (blank: "not written yet")."""
    if recommendation is not None and not isinstance(recommendation, str):
        raise InputTypeError(f"recommendation must be your text in quotes, not {type(recommendation).__name__}.")
    ran = bool(improved) and improved.get("ran", True)
    modes = set(canary["mode"]) if "mode" in canary.columns else {canary_mode(None)[0]}
    return LaunchFacts(
        project=project.name, backend=describe_backend().splitlines()[0].rstrip("."), documents=len(pipeline.documents),
        skipped=len(pipeline.report.skipped), criteria_markdown=criteria.to_markdown(), gate_table=gate.table(),
        gate_passed=bool(gate.passed), comparison=compare(ai_metrics, faq_metrics), shadow=shadow_summary(shadow),
        canary=canary, canary_verdict=canary_verdict(canary), gaps=gaps,
        improvement=improved["table"] if ran else pd.DataFrame(columns=["before", "after", "change"]),
        added=list(improved["added"]) if ran else [],
        dashboard_png=str(dashboard.png) if dashboard is not None and getattr(dashboard, "png", None) else None,
        improvement_status=(improved or {}).get("status") or (improvement_status(project) if not ran else "measured"),
        calibration=_as_markdown(calibration.summary()) if calibration is not None else "",
        canary_mode=REHEARSAL if REHEARSAL in modes else LIVE, recommendation=(recommendation or "").strip())


def _as_markdown(summary: str) -> str:
    """A summary's first line as a sentence and its indented lines as a bullet list."""
    first, *rest = summary.splitlines()
    return first + ("\n\n" + "\n".join(f"- {line.strip()}" for line in rest) if rest else "")


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "n/a"
    if isinstance(x, (bool,)):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return f"{x:.3g}"
    return str(x)


def _md_table(df: pd.DataFrame, *, index: bool = True, percent_rows=()) -> str:
    cols = ([df.index.name or ""] if index else []) + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in df.iterrows():
        cells = [str(idx)] if index else []
        for v in row.values:
            cells.append(format_rate(v) if idx in percent_rows and isinstance(v, (int, float)) and not isinstance(v, bool) else _fmt(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def make_charts(facts: LaunchFacts, folder: Path) -> dict:
    """The memo's charts as PNG files: AI vs FAQ, shadow agreement, canary stages, improvement before/after."""
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}

    fig, ax = plt.subplots(figsize=(8, 3.2))
    rows = [r for r in facts.comparison.index if r in ("questions handled correctly", "wrong answers", "declined")]
    facts.comparison.loc[rows].plot.barh(ax=ax)
    ax.set_xlim(0, 1)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_xlabel("share of test questions")
    ax.set_title("AI assistant vs today's keyword FAQ (test questions)")
    fig.tight_layout()
    paths["comparison"] = folder / "ai_vs_faq.png"
    fig.savefig(paths["comparison"], dpi=110)
    plt.close(fig)

    agree = facts.shadow.attrs.get("agreement")
    if agree is not None and int(agree.sum()) > 0:
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        agree.plot.barh(ax=ax, color=["#4c9", "#39c", "#e93", "#c44"])
        ax.set_xlabel("requests in the shadow day")
        ax.set_title("Shadow mode: who handled each request correctly")
        fig.tight_layout()
        paths["shadow"] = folder / "shadow_agreement.png"
        fig.savefig(paths["shadow"], dpi=110)
        plt.close(fig)

    if len(facts.canary):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        # Okabe-Ito green / grey / vermilion stay apart for colour-blind readers (tests/test_accessibility.py), and each
        # bar also says its decision in words, so the colour is never the only way to read it.
        colors = {"proceed": "#009E73", "wait": "#BBBBBB", "roll back": "#D55E00"}
        judged = facts.canary["wrong answers"].notna()
        stages = facts.canary["stage"].tolist()
        bars = ax.bar([s for s, j in zip(stages, judged) if j], facts.canary.loc[judged, "wrong answers"].astype(float),
                      color=[colors.get(d, "#999") for d, j in zip(facts.canary["decision"], judged) if j])
        ax.bar_label(bars, labels=[str(d) for d, j in zip(facts.canary["decision"], judged) if j], fontsize=8, padding=2)
        ax.margins(y=0.2)  # room above the tallest bar for its words
        for s, j, d in zip(stages, judged, facts.canary["decision"]):
            if not j:
                ax.bar([s], [0.0])
                ax.annotate("no requests yet", (s, 0.0), ha="center", va="bottom", fontsize=8, color="#666")
        limit = facts.gate_table.set_index("metric").loc["wrong answers", "target / limit"] if "wrong answers" in set(
            facts.gate_table["metric"]) else None
        if limit is not None:
            ax.axhline(float(limit), color="#D55E00", linestyle="--", label="guardrail limit")
            ax.legend(loc="upper left")
        ax.set_ylabel("wrong answers (AI arm)")
        ax.set_title("Canary rehearsal: would have " + facts.canary_verdict.rsplit("would have ", 1)[-1]
                     if facts.canary_mode == REHEARSAL else f"Canary: {facts.canary_verdict}")
        fig.tight_layout()
        paths["canary"] = folder / "canary.png"
        fig.savefig(paths["canary"], dpi=110)
        plt.close(fig)

    if len(facts.improvement):
        fig, ax = plt.subplots(figsize=(9.5, 3.4))
        facts.improvement[["before", "after"]].plot.barh(ax=ax)
        ax.set_xlim(0, 1)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.set_xlabel("share")
        ax.set_ylabel("")
        ax.set_title("Before vs after adding the missing content")
        fig.tight_layout()
        paths["improvement"] = folder / "improvement.png"
        fig.savefig(paths["improvement"], dpi=110)
        plt.close(fig)
    return {k: Path(v) for k, v in paths.items()}


def memo_sections(facts: LaunchFacts, charts: dict, *, rel: str = CHART_DIR) -> list[tuple[str, str]]:
    """(title, Markdown body) of each memo section; the deck shows one section per slide."""
    verdict = "GO" if facts.gate_passed else "NO GO"
    failures = facts.gate_table[~facts.gate_table["passed"]]["metric"].tolist()
    shadow = facts.shadow
    top_gap = facts.gaps.iloc[0] if len(facts.gaps) else None

    def img(key, alt):
        return f"\n\n![{alt}]({rel}/{charts[key].name})" if key in charts else ""

    imp = facts.improvement
    rollout = ("**Rollout: stopped.** The launch gate did not pass, so no user was switched to the AI; the canary below "
               "ran as a rehearsal only." if facts.canary_mode == REHEARSAL else
               "**Rollout: canary started** after the launch gate passed.")
    improvement = (_md_table(imp, percent_rows=tuple(imp.index)) + img("improvement", "improvement")
                   if len(imp) else f"**Not run yet.** {facts.improvement_status.split(': ', 1)[-1][:1].upper()}"
                   f"{facts.improvement_status.split(': ', 1)[-1][1:]}")
    sections = [
        ("Decision", (f"**Recommendation:** {facts.recommendation}" if facts.recommendation else
                      "**Recommendation: not written yet.** Write yours in `my_recommendation` (launch or not, and "
                      "why, quoting the figures below) and rerun the memo cell.")
                     + f"\n\n**Evidence, eval gate: {verdict}** on the test questions. "
                     + ("Every success criterion was reached and no guardrail was crossed."
                        if facts.gate_passed else f"Not met: {', '.join(failures)}.")
                     + f"\n\n{rollout}\n\nCanary replay: {facts.canary_verdict}. Model: {facts.backend}."
                     + ("\n\nImprovement loop: not run yet (how to run it: see below)." if not len(imp) else "")),
        ("Success criteria (agreed before measuring)", facts.criteria_markdown),
        ("Eval gate", _md_table(facts.gate_table.set_index("metric")[["kind", "target / limit", "measured", "passed"]])
         + (f"\n\nAnswerability gate: {facts.calibration}" if facts.calibration else "")
         + img("comparison", "AI vs FAQ")),
        ("Shadow mode", f"For one day the keyword FAQ kept serving users while the AI answered the same "
                        f"{shadow.attrs.get('requests', 0)} requests in the background.\n\n"
                        + _md_table(shadow, percent_rows=tuple(shadow.index)) + img("shadow", "shadow agreement")),
        ("Canary rehearsal (no user got the AI)" if facts.canary_mode == REHEARSAL else "Canary rollout",
         _md_table(facts.canary.set_index("stage")[["requests on AI", "wrong answers", "decision"]])
         + img("canary", "canary")),
        ("What users could not get", (f"The biggest group of declined requests: **{top_gap['gap']}** "
                                      f"({top_gap['requests']} requests; e.g. \"{top_gap['example']}\")."
                                      if top_gap is not None else "No request was declined.")
         + (f"\n\nContent added: {', '.join(facts.added)}." if facts.added else "")),
        ("Improvement loop: before vs after", improvement),
        ("Asks and next steps", "- Decide on the recommendation above, with its evidence, with support and legal in the room.\n"
                                "- Keep the event log on; review declined questions every week and add content for the largest group.\n"
                                "- Re-run this notebook with a stronger model (an API key or a local server) and compare the same tables."),
    ]
    if facts.dashboard_png:
        sections.insert(5, ("Monitoring", f"![dashboard]({rel}/{Path(facts.dashboard_png).name})"))
    return sections


def write_memo(facts: LaunchFacts, folder=None) -> dict:
    """Write launch_memo.md and its charts (the folder's old memo, deck and charts are removed first); returns paths."""
    folder = Path(folder) if folder is not None else output_dir("capstone")
    folder.mkdir(parents=True, exist_ok=True)
    for name in (MEMO_NAME, DECK_NOTEBOOK, DECK_HTML):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / CHART_DIR, ignore_errors=True)
    charts = make_charts(facts, folder / CHART_DIR)
    if facts.dashboard_png and Path(facts.dashboard_png).is_file():
        target = folder / CHART_DIR / Path(facts.dashboard_png).name
        if Path(facts.dashboard_png).resolve() != target.resolve():
            shutil.copy(facts.dashboard_png, target)
        charts["dashboard"] = target
    sections = memo_sections(facts, charts)
    head = ["# Launch memo: AI support assistant", "",
            f"*{facts.project} · {date.today().isoformat()} · {facts.documents} documents indexed, {facts.skipped} file(s) skipped*", ""]
    body = [f"## {title}\n\n{text}\n" for title, text in sections]
    memo = folder / MEMO_NAME
    memo.write_text("\n".join(head + body), encoding="utf-8")
    return {"memo": memo, "charts": sorted(charts.values()), "sections": sections}


def write_deck(facts: LaunchFacts, folder=None, *, sections=None) -> dict:
    """The memo as slides: a generated notebook (one slide per section) exported to reveal.js HTML with nbconvert."""
    import nbformat
    from nbconvert import SlidesExporter

    folder = Path(folder) if folder is not None else output_dir("capstone")
    charts_dir = folder / CHART_DIR
    if sections is None:
        charts = {p.stem: p for p in charts_dir.glob("*.png")} if charts_dir.is_dir() else {}
        sections = memo_sections(facts, {"comparison": charts.get("ai_vs_faq"), "shadow": charts.get("shadow_agreement"),
                                         "canary": charts.get("canary"), "improvement": charts.get("improvement")}
                                 if charts else {})
    nb = nbformat.v4.new_notebook()
    title = nbformat.v4.new_markdown_cell(f"# AI support assistant: launch review\n\n{facts.project}\n\n"
                                          f"{date.today().isoformat()}")
    title.metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells.append(title)
    for heading, text in sections:
        cell = nbformat.v4.new_markdown_cell(f"## {heading}\n\n{text}")
        cell.metadata["slideshow"] = {"slide_type": "slide"}
        nb.cells.append(cell)
    deck_nb = folder / DECK_NOTEBOOK
    deck_html = folder / DECK_HTML
    for p in (deck_nb, deck_html):
        p.unlink(missing_ok=True)
    nbformat.write(nb, deck_nb)
    body, _ = SlidesExporter().from_notebook_node(nb)
    deck_html.write_text(body, encoding="utf-8")
    return {"notebook": deck_nb, "slides": deck_html, "slides_count": len(nb.cells)}


def present(facts: LaunchFacts, folder=None) -> dict:
    """Write the memo (with charts) and the deck; returns every path written."""
    memo = write_memo(facts, folder)
    deck = write_deck(facts, folder, sections=memo["sections"])
    return {"memo": memo["memo"], "charts": memo["charts"], "deck": deck["slides"], "deck_notebook": deck["notebook"],
            "slides": deck["slides_count"]}
