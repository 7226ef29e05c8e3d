#!/usr/bin/env python3
"""Real-browser check of every lesson: JupyterLab + headless Chromium run each notebook and try every widget control.

Starts `jupyter lab` the way the Makefile's `lab` target does (plus --no-browser, a free loopback port and no
token), drives Debian's /usr/bin/chromium through Playwright and, for each lesson (`notebooks/week*_*.ipynb`, or
the notebooks named on the command line):

* opens it, waits for the kernel, runs all cells (Run > Run All Cells);
* checks that no cell shows an error (a traceback), unless the cell is tagged ``raises-exception``;
* checks that every widget renders as a widget (no "Loading widget...", no text repr such as ``VBox(children=...``)
  and that no widget sits in an error state (a "⚠️" message) once the notebook has run;
* runs axe-core (vendored by `make web-deps`) on the page after Run All, and again once every control was used: no
  critical or serious violation in the course's own content (outputs, widget views, prose), and every chart's alt
  text says what it shows; the widget library's and JupyterLab's own findings are listed;
* checks that every control of every widget has an accessible name (its visible label or text);
* tries every control of every widget (slider, dropdown, toggle buttons, checkbox, radio, button) with the keyboard
  alone (focus, then arrow keys, Enter or Space, as a keyboard user does): each must either
  change what the widget shows (text, images, enabled state; the control's own readout does not count) or be
  visibly disabled. "No change" is decided only after the kernel has finished every message the control sent it
  (followed through the kernel connection's messages, so a busy machine cannot make a slow control look dead);
* checks that no widget label, readout, button or dropdown text is cut off (scrollWidth > clientWidth with hidden
  overflow), that no word breaks across two lines, that widgets show no raw long decimals (0.333333), and that
  every emoji mark has words beside it (where no emoji font is installed the mark is an empty box);
* saves screenshots (page after Run All, each widget before and after its controls were tried) and the kernel's
  peak memory (VmHWM) and CPU time.

Writes ``build/browser/report.json`` (rewritten after every notebook, so a run cut short keeps the verdicts it
reached; ``complete`` is true once every notebook has run) and screenshots under ``build/browser/<notebook>/``
(``--out`` to change).
Prints PASS/FAIL/WARN lines; exits 1 on any failure, 2 if playwright or chromium is missing. The server runs in a
staged copy of the course (the notebooks copied, everything else symlinked) with a fresh HOME, as a Binder or hub
user has: the repository is never written to, and the server is always shut down.
Needs: playwright (pinned in requirements.txt) and Debian's chromium (as root: apt-get update && apt-get install -y
chromium fonts-noto-color-emoji).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DEFAULT_OUT = ROOT / "build" / "browser"
INSTALL_HINT = ("as root on Debian/Ubuntu: apt-get update && apt-get install -y chromium fonts-noto-color-emoji "
                "(the test uses /usr/bin/chromium; Playwright's own browser download is not used)")

# Seconds allowed for one control to show its effect (buttons may call the model several times).
CONTROL_TIMEOUT = {"button": 240.0}
CONTROL_TIMEOUT_DEFAULT = 90.0
# A control counts as "no visible change" once the kernel has finished every message the action sent it (its idle
# status names that message as parent) and the page has then stayed unchanged this long. Reading the status bar alone
# is not enough: on a busy machine it still says Idle before the kernel has even received the widget's message.
QUIET_S = 2.0
# An action that sends the kernel nothing (a control handled in the page alone) settles after this long.
NOTHING_SENT_S = 15.0


# The accessibility audit (axe-core, vendored from npm by `make web-deps`): violations inside the course's own content
# (cell outputs, widget views, rendered prose) are the course's to fix; the rest (the JupyterLab or website frame) are
# listed separately. Critical and serious ones fail the course's content.
AXE = ROOT / "site" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")
LAB_COURSE_SCOPE = ".jp-OutputArea-output, .jp-MarkdownOutput"
# JupyterLab's <body> is 0 px high with overflow hidden (its panels are positioned absolutely), so axe-core takes every
# element as clipped away and skips its checks of what is on screen (color-contrast: not one output text measured).
# The audit gives such a body the window's height while axe runs, then puts it back.
AXE_JS = r"""async (scope) => {
  const body = document.body, flat = body.getBoundingClientRect().height === 0, before = body.style.height;
  if (flat) body.style.height = '100vh';
  let result;
  try { result = await axe.run(document, {resultTypes: ['violations', 'incomplete']}); }
  finally { if (flat) body.style.height = before; }
  const rows = [], undecided = [];
  const find = (n) => { try { return document.querySelector(n.target[n.target.length - 1]); } catch (e) { return null; } };
  for (const v of result.violations) for (const n of v.nodes) {
    const el = find(n);
    rows.push({rule: v.id, impact: n.impact || v.impact, help: v.help, target: n.target.join(' '),
               html: (n.html || '').slice(0, 200), course: !!(el && el.closest(scope))});
  }
  for (const v of result.incomplete) if (v.id === 'color-contrast') for (const n of v.nodes) {
    const el = find(n);
    if (el && el.closest(scope)) undecided.push(n.target[n.target.length - 1]);
  }
  return {rows: rows, undecided: undecided};
}"""

# axe-core cannot measure the contrast of text it cannot see: in JupyterLab the notebook scrolls inside its own panel,
# so every output below the fold comes back "incomplete" for color-contrast, not as a pass. Each such element is
# scrolled into view and measured again on its own; what axe still cannot decide (text over an image, say) is listed.
CONTRAST_JS = r"""async (selectors) => {
  const rows = [];
  const body = document.body, flat = body.getBoundingClientRect().height === 0, before = body.style.height;
  if (flat) body.style.height = '100vh';
  try { for (const sel of selectors) {
    let el = null;
    try { el = document.querySelector(sel); } catch (e) { el = null; }
    if (!el) continue;
    el.scrollIntoView({block: 'center'});
    const r = await axe.run(el, {runOnly: ['color-contrast'], resultTypes: ['violations', 'incomplete']});
    for (const [kind, list] of [['violation', r.violations], ['undecided', r.incomplete]]) for (const v of list)
      for (const n of v.nodes) rows.push({rule: v.id, impact: n.impact || v.impact, help: v.help, kind: kind,
        target: n.target.join(' '), html: (n.html || '').slice(0, 200), course: true,
        why: ((n.any || [])[0] || {}).message || ''});
  } } finally { if (flat) body.style.height = before; }
  return rows;
}"""
MAX_CONTRAST_RECHECKS = 400
# How far the page (or JupyterLab's notebook panel, which scrolls on its own) reaches below the window: the audit makes
# the window that much taller while axe runs, so every output is on screen (up to MAX_AUDIT_HEIGHT px).
HIDDEN_BELOW_JS = """() => {
  let extra = Math.max(0, document.documentElement.scrollHeight - window.innerHeight);
  for (const el of document.querySelectorAll('.jp-WindowedPanel-outer, .jp-NotebookPanel-notebook, .jp-Notebook'))
    extra = Math.max(extra, el.scrollHeight - el.clientHeight);
  return extra;
}"""
MAX_AUDIT_HEIGHT = 32000


# Every chart in the course's content has alt text that says something: "Chart" alone means the chart has no title
# and no axis labels (plots.alt_text builds it from them), so give the chart a title where it is drawn.
IMAGES_JS = r"""(scope) => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
  return Array.from(document.querySelectorAll('img')).filter(i => i.closest(scope)).map(i => {
    const cell = i.closest('.jp-Cell');
    return {cell: cell ? cells.indexOf(cell) : -1, alt: i.getAttribute('alt')};
  });
}"""
NO_WORDS = re.compile(r"\s*(Chart)?\s*:?\s*")


def accessibility(page, course_scope: str) -> dict:
    """axe-core on the open page: ``{"course": [...], "other": [...]}`` violations (rule, impact, help, target, html),
    course = inside ``course_scope``; course text whose contrast axe left undecided (out of view) is measured again in
    view (``contrast_rechecked`` elements; what is still undecided: ``contrast_undecided``)."""
    if not AXE.exists():
        raise SystemExit(f"axe-core is not installed ({AXE}): run `make web-deps`.")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    size = page.viewport_size
    extra = page.evaluate(HIDDEN_BELOW_JS)
    if size and extra > 0:  # on screen all at once: axe measures only what a screen would show
        page.set_viewport_size({"width": size["width"], "height": min(size["height"] + extra, MAX_AUDIT_HEIGHT)})
        page.wait_for_timeout(500)
    try:
        found = page.evaluate(AXE_JS, course_scope)
    finally:
        if size and extra > 0:
            page.set_viewport_size(size)
            page.wait_for_timeout(300)
    rows, undecided = found["rows"], list(dict.fromkeys(found["undecided"]))
    rechecked = page.evaluate(CONTRAST_JS, undecided[:MAX_CONTRAST_RECHECKS]) if undecided else []
    rows += [{k: v for k, v in r.items() if k not in ("kind", "why")} for r in rechecked if r["kind"] == "violation"]
    still = [r for r in rechecked if r["kind"] == "undecided"] + [{"rule": "color-contrast", "target": t, "why": "not rechecked"}
                                                                  for t in undecided[MAX_CONTRAST_RECHECKS:]]
    return {"course": [r for r in rows if r["course"]], "other": [r for r in rows if not r["course"]],
            "contrast_undecided": still, "contrast_rechecked": len(undecided)}


def serious(rows: list[dict]) -> list[dict]:
    """The critical and serious violations among ``rows``."""
    return [r for r in rows if r["impact"] in SERIOUS]


def lessons() -> list[Path]:
    """Every lesson notebook in the course (notebooks/weekNN_*.ipynb), in week order."""
    return sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb"))


class Report:
    """PASS/FAIL/WARN lines for one notebook, printed as they happen and kept for report.json."""

    def __init__(self, name: str):
        self.name = name
        self.checks: list[dict] = []
        self.warnings: list[str] = []
        self.timings: dict[str, float] = {}
        self.controls: list[dict] = []
        self.kernel: dict = {}
        self.accessibility: dict = {}

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.checks.append({"ok": bool(ok), "check": what, "detail": detail})
        print(f"{'PASS' if ok else 'FAIL'} [{self.name}] {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def warn(self, what: str) -> None:
        self.warnings.append(what)
        print(f"WARN [{self.name}] {what}", flush=True)

    @property
    def failed(self) -> list[str]:
        return [c["check"] for c in self.checks if not c["ok"]]

    def as_dict(self) -> dict:
        return {"notebook": self.name, "passed": not self.failed, "checks": self.checks, "warnings": self.warnings,
                "controls": self.controls, "timings_s": {k: round(v, 2) for k, v in self.timings.items()},
                "kernel": self.kernel, "accessibility": self.accessibility}


# ---------------------------------------------------------------- server

def lab_command(port: int, first_notebook: str) -> list[str]:
    """The Makefile's `lab` recipe with $(BIN) resolved to this interpreter's bin dir, plus headless server flags."""
    recipe = None
    lines = (ROOT / "Makefile").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^lab\s*:", line) and i + 1 < len(lines) and lines[i + 1].startswith("\t"):
            recipe = lines[i + 1].strip()
            break
    if not recipe or "jupyter lab" not in recipe:
        recipe = f"$(BIN)/jupyter lab $(LAB_FLAGS) {first_notebook}"
    recipe = recipe.replace("$(LAB_FLAGS)", "--ServerApp.root_dir=.")  # --allow-root is added below when needed
    cmd = shlex.split(recipe.replace("$(BIN)", str(Path(sys.executable).parent)))
    cmd += ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",  # loopback, no token: lets the check close sessions over REST
            "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: execution counts of cells whose input is hidden
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers/CI run as root; jupyter refuses root without this
        cmd.append("--allow-root")
    return cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(tmp: Path) -> dict:
    """Throwaway JupyterLab settings/workspace dirs: no autosave (notebooks must stay stripped), no news popups,
    no notebook windowing. The developer's own ~/.jupyter settings are not touched."""
    settings = tmp / "user-settings"
    for rel, body in {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
        # JupyterLab 4 virtualises long notebooks (off-screen cells leave the DOM); keep every cell in the DOM.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))
    for sub in ("workspaces", "runtime"):
        (tmp / sub).mkdir(exist_ok=True)
    return {"settings": settings, "workspaces": tmp / "workspaces", "runtime": tmp / "runtime"}


def stage(tmp: Path, notebooks: list[Path]) -> Path:
    """A copy of the course for the server to run in: the notebooks under test are copied, everything else is a
    symlink to the real file. JupyterLab's saves and the notebooks' outputs/ land in the copy, so the repository (which
    other people may be editing meanwhile) is never written to."""
    root = tmp / "course"
    targets = {nb.resolve() for nb in notebooks}
    needed = {parent for nb in targets for parent in nb.parents if parent == ROOT or ROOT in parent.parents}

    def fill(src: Path, dst: Path) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        for entry in src.iterdir():
            if entry.name in (".ipynb_checkpoints", "outputs"):
                continue
            if entry.resolve() in targets:
                shutil.copy2(entry, dst / entry.name)
            elif entry.resolve() in needed:
                fill(entry, dst / entry.name)
            else:
                (dst / entry.name).symlink_to(entry)

    fill(ROOT, root)
    return root


def wait_for_server(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "api/status", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def kernel_pids(runtime_dir: Path) -> list[int]:
    """PIDs of kernels whose connection file lives in our private runtime dir (so only kernels we started)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ipykernel" in cmdline and str(runtime_dir) in cmdline:
            pids.append(int(entry.name))
    return pids


def kernel_usage(pid: int) -> dict:
    """Peak resident memory (VmHWM, MiB) and CPU seconds (user + system) of one kernel process so far."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                out[{"VmHWM:": "peak_rss_mib", "VmRSS:": "rss_mib"}[key + ":"]] = round(int(value.split()[0]) / 1024, 1)
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)
    except (OSError, ValueError, IndexError):
        pass
    return out


def api(url: str, path: str, method: str = "GET"):
    req = urllib.request.Request(url + path, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else None


def shutdown_kernels(url: str) -> None:
    """Close every session (and so its kernel) the server has: the next notebook starts from a clean server."""
    try:
        for s in api(url, "api/sessions") or []:
            api(url, f"api/sessions/{s['id']}", "DELETE")
    except OSError as exc:
        print(f"  could not shut down sessions: {exc}")


def stop_server(proc: subprocess.Popen, runtime_dir: Path) -> tuple[bool, str]:
    """SIGTERM the server (it stops its kernels), SIGKILL our own process group if it hangs; reap stray kernels."""
    if proc.poll() is None:
        for target, sig, wait in ((proc.pid, signal.SIGTERM, 30), (-proc.pid, signal.SIGKILL, 5)):
            try:
                os.kill(target, sig)
                proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
    for pid in kernel_pids(runtime_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = kernel_pids(runtime_dir)
    return proc.poll() is not None and not left, f"jupyter exit code {proc.poll()}, leftover kernels {left or 'none'}"


# ---------------------------------------------------------------- page helpers (JavaScript run in the page)

KERNEL_IDLE_JS = """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                         .some(e => /^(?!No Kernel).+\\|\\s*Idle$/.test(e.textContent.trim()))"""

# The prompt of every code cell: "[*]:" queued or running, "[n]:" run, "[ ]:" not run. Read from the notebook model
# (window.jupyterapp, exposed by --LabApp.expose_app_in_browser): a cell whose input is hidden (the course's check
# cells) shows an empty placeholder instead of its prompt, so the page alone cannot say whether it ran.
PROMPTS_JS = """() => {
  const app = window.jupyterapp;
  const nb = app && app.shell && app.shell.currentWidget && app.shell.currentWidget.content;
  if (nb && nb.widgets && nb.model) {
    return nb.widgets.filter(w => w.model.type === 'code').map(w => {
      const area = w.inputArea;
      const shown = area && area.promptNode ? area.promptNode.textContent.trim() : '';
      if (shown === '[*]:') return shown;
      const n = w.model.executionCount;
      return (n === null || n === undefined) ? '[ ]:' : `[${n}]:`;
    });
  }
  return Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell.jp-CodeCell .jp-InputPrompt'))
              .map(e => e.textContent.trim());
}"""

# Widget roots: a top-level output of a cell whose content is a widget view. Each gets data-bc-root=N.
ROOTS_JS = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
  const roots = [];
  cells.forEach((cell, ci) => {
    cell.querySelectorAll(':scope .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output').forEach(out => {
      if (!out.querySelector(':scope > .jupyter-widgets')) return;
      const id = roots.length;
      out.setAttribute('data-bc-root', String(id));
      roots.push({id: id, cell: ci, controls: out.querySelectorAll('input,select,button,.noUi-handle').length});
    });
  });
  return {cells: cells.length, roots: roots};
}"""

# The controls of one widget root, each tagged data-bc-ctl="root-k".
CONTROLS_JS = """(rid) => {
  const root = document.querySelector(`[data-bc-root="${rid}"]`);
  if (!root) return [];
  const out = [];
  const add = (el, kind, label, name) => {
    const id = `${rid}-${out.length}`;
    el.setAttribute('data-bc-ctl', id);
    out.push({id: id, kind: kind, label: (label || '').trim().slice(0, 80), name: (name === undefined ? label || '' : name).trim().slice(0, 80)});
  };
  const labelOf = (el) => { const l = el.querySelector(':scope > .widget-label'); return l ? l.textContent : ''; };
  const seen = new Set();
  root.querySelectorAll('.widget-slider, .widget-hslider, .widget-vslider').forEach(el => {
    if (seen.has(el) || !el.querySelector('.noUi-handle')) return; seen.add(el);
    add(el, 'slider', labelOf(el));
  });
  root.querySelectorAll('.widget-dropdown, .widget-select').forEach(el => {
    if (el.querySelector('select')) add(el, 'dropdown', labelOf(el) || el.querySelector('select').value,
        labelOf(el) || el.querySelector('select').getAttribute('aria-label') || el.querySelector('select').title || '');
  });
  root.querySelectorAll('.widget-toggle-buttons').forEach(el => add(el, 'toggle buttons', labelOf(el) ||
      Array.from(el.querySelectorAll('button')).map(b => b.textContent).join(' / ')));
  root.querySelectorAll('button.widget-toggle-button').forEach(el => {
    if (!el.closest('.widget-toggle-buttons')) add(el, 'toggle', el.textContent);
  });
  root.querySelectorAll('.widget-checkbox').forEach(el => add(el, 'checkbox', el.textContent));
  root.querySelectorAll('.widget-radio-box').forEach(el => add(el, 'radio', el.textContent));
  root.querySelectorAll('button.widget-button').forEach(el => add(el, 'button', el.textContent || el.title || el.getAttribute('aria-label')));
  return out;
}"""

# What the widget shows, except the control being tried (its own readout/selection does not count as an effect).
SNAPSHOT_JS = """([rid, cid]) => {
  const root = document.querySelector(`[data-bc-root="${rid}"]`);
  if (!root) return null;
  const skip = cid ? document.querySelector(`[data-bc-ctl="${cid}"]`) : null;
  const hash = (s) => { let h = 0; for (let i = 0; i < s.length; i++) { h = (h * 31 + s.charCodeAt(i)) | 0; } return h; };
  const parts = [];
  const walk = (n) => {
    if (n === skip) return;
    if (n.nodeType === 3) { parts.push(n.nodeValue); return; }
    if (n.nodeType !== 1) return;
    if (n.tagName === 'IMG' || n.tagName === 'IMAGE') { const s = n.getAttribute('src') || n.getAttribute('href') || ''; parts.push(`[img ${s.length} ${hash(s)}]`); }
    if (n.tagName === 'SVG' || n.tagName === 'svg') { parts.push(`[svg ${hash(n.outerHTML)}]`); return; }
    if (n.tagName === 'CANVAS') { try { parts.push(`[canvas ${hash(n.toDataURL())}]`); } catch (e) {} }
    if (n.hasAttribute('disabled') || n.disabled) parts.push('[disabled]');
    if (n.tagName === 'SELECT' || n.tagName === 'INPUT' || n.tagName === 'TEXTAREA') parts.push(`[value ${n.value} ${n.checked ? 'on' : ''}]`);
    if (n.classList.contains('mod-active')) parts.push('[active]');
    const st = n.getAttribute('style');
    if (st && /display|visibility/.test(st)) parts.push(`[style ${st}]`);
    for (const c of n.childNodes) walk(c);
  };
  walk(root);
  return parts.join('|');
}"""

DISABLED_JS = """(cid) => {
  const el = document.querySelector(`[data-bc-ctl="${cid}"]`);
  if (!el) return null;
  const inputs = Array.from(el.matches('button,select,input') ? [el] : el.querySelectorAll('button,select,input'));
  const slider = el.querySelector('.noUi-target');
  const disabled = slider ? slider.hasAttribute('disabled') : (inputs.length > 0 && inputs.every(i => i.disabled));
  let opacity = 1, node = el;
  while (node && node.nodeType === 1) { opacity *= parseFloat(getComputedStyle(node).opacity || '1'); node = node.parentElement; }
  const target = slider || inputs[0] || el;
  const cs = getComputedStyle(target);
  const inner = target.querySelector ? target.querySelector('.noUi-handle') : null;
  const handleOpacity = inner ? parseFloat(getComputedStyle(inner).opacity || '1') : 1;
  return {disabled: disabled, opacity: opacity * parseFloat(cs.opacity || '1') * handleOpacity, cursor: cs.cursor};
}"""

# Text problems inside one widget root: cut-off labels, words broken across lines, raw long decimals, lone emoji.
LAYOUT_JS = """(rid) => {
  const root = document.querySelector(`[data-bc-root="${rid}"]`);
  if (!root) return null;
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const cut = [];
  root.querySelectorAll('.widget-label, .widget-label-basic, .widget-readout, button, .widget-html-content, .widget-html, .jp-OutputArea-output pre').forEach(el => {
    if (!visible(el) || !el.textContent.trim()) return;
    const cs = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    if (hides && el.scrollWidth > el.clientWidth + 1)
      cut.push(`${el.textContent.trim().slice(0, 60)} (needs ${el.scrollWidth}px, has ${el.clientWidth}px)`);
  });
  const canvas = document.createElement('canvas').getContext('2d');
  root.querySelectorAll('select').forEach(sel => {
    if (!visible(sel) || sel.multiple || sel.selectedIndex < 0) return;
    const cs = getComputedStyle(sel);
    canvas.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const text = sel.options[sel.selectedIndex].text;
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16;
    const need = canvas.measureText(text).width;
    if (need > room + 1) cut.push(`dropdown ${text.slice(0, 60)} (needs ${Math.ceil(need)}px, has ${Math.floor(room)}px)`);
  });
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const host = node.parentElement;
    if (!host || !visible(host) || host.closest('pre, code, select, .widget-readout, .jp-RenderedImage')) continue;
    const re = /[\\p{L}\\p{N}][\\p{L}\\p{N}'’\\-.,%]*[\\p{L}\\p{N}]/gu;
    let m;
    while ((m = re.exec(node.nodeValue)) && broken.length < 20) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1 && !/-/.test(m[0])) broken.push(m[0].slice(0, 40));
    }
  }
  const text = root.innerText || '';
  const decimals = Array.from(new Set(text.match(/(?<![\\d.$])\\d[\\d,]*\\.\\d{5,}(?![\\d])/g) || [])).slice(0, 10);
  const lone = [];
  for (const line of text.split('\\n')) {
    if (!/\\p{Extended_Pictographic}/u.test(line)) continue;
    const rest = line.replace(/[\\p{Extended_Pictographic}\\u{FE0F}\\u{200D}\\s]/gu, '');
    if (!/\\p{L}{2,}/u.test(rest)) lone.push(line.trim().slice(0, 40));
  }
  const warning = /⚠️|⚠/.test(text) ? text.split('\\n').filter(l => /⚠/.test(l)).slice(0, 3) : [];
  return {cut: cut, broken: broken, decimals: decimals, lone_emoji: lone, warning: warning};
}"""

# Problems anywhere in the notebook's outputs (error tracebacks, text fallbacks of widgets, stderr, long decimals).
OUTPUTS_JS = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
  const errors = [], fallbacks = [], stderr = [], decimals = [];
  const fb = /(Loading widget\\.\\.\\.|Error displaying widget|\\b(?:VBox|HBox|Box|IntSlider|FloatSlider|Dropdown|Button|Output|HTML|ToggleButtons|Tab)\\((?:children|value|description|layout)=|object at 0x[0-9a-f]+>)/;
  cells.forEach((cell, ci) => {
    cell.querySelectorAll('.jp-OutputArea-output').forEach(out => {
      const t = out.innerText || '';
      const mime = out.getAttribute('data-mime-type') || '';
      if (mime === 'application/vnd.jupyter.stderr') {
        if (/Traceback \\(most recent call last\\)|^\\w*(Error|Exception)\\b.*:/m.test(t)) errors.push({cell: ci, text: t.slice(-500)});
        else if (t.trim() && !out.closest('.jupyter-widgets')) stderr.push({cell: ci, text: t.trim().slice(0, 200)});
      }
      if (fb.test(t) && !out.querySelector('.jupyter-widgets')) fallbacks.push({cell: ci, text: t.slice(0, 200)});
      if (!out.closest('.jupyter-widgets') && !out.querySelector('.jupyter-widgets')) {
        const d = t.match(/(?<![\\d.$])\\d[\\d,]*\\.\\d{5,}(?![\\d])/g);
        if (d) decimals.push({cell: ci, values: Array.from(new Set(d)).slice(0, 5)});
      }
    });
  });
  return {errors: errors, fallbacks: fallbacks, stderr: stderr, decimals: decimals,
          widget_views: document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length};
}"""


# Counts, per notebook page, the shell messages sent to the kernel and the ones it has finished (an idle status whose
# parent is that message), through the kernel connection's anyMessage signal (both directions).
TRACK_KERNEL_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  const ctx = panel && panel.sessionContext;
  if (!ctx) return false;
  const st = window.__bcTrack = window.__bcTrack || {sent: [], done: new Set()};
  const hook = kernel => {
    if (!kernel || kernel.__bcHooked) return;
    kernel.__bcHooked = true;
    kernel.anyMessage.connect((_, a) => {
      const m = a.msg;
      if (a.direction === 'send' && m.channel === 'shell') st.sent.push(m.header.msg_id);
      else if (a.direction === 'recv' && m.header.msg_type === 'status' && m.content.execution_state === 'idle'
               && m.parent_header && m.parent_header.msg_id) st.done.add(m.parent_header.msg_id);
    });
  };
  hook(ctx.session && ctx.session.kernel);
  if (!ctx.__bcHooked) { ctx.__bcHooked = true; ctx.kernelChanged.connect((_, c) => hook(c.newValue)); }
  return Boolean(ctx.session && ctx.session.kernel);
}"""
SENT_JS = "() => window.__bcTrack ? window.__bcTrack.sent.length : -1"
# [messages sent since mark, of which not yet finished]
PENDING_JS = """mark => {
  const st = window.__bcTrack;
  if (!st) return [-1, -1];
  const since = st.sent.slice(mark);
  return [since.length, since.filter(id => !st.done.has(id)).length];
}"""


def kernel_settled(page, mark: int, waited_s: float) -> bool:
    """True once the kernel has finished every message sent since `mark` (and was sent at least one), or, when nothing
    was sent, after NOTHING_SENT_S; falls back to the status bar if the tracker is missing."""
    try:
        sent, pending = page.evaluate(PENDING_JS, mark)
    except Exception:
        return False
    if sent < 0:
        return kernel_idle(page)
    if sent == 0:
        return waited_s >= NOTHING_SENT_S
    return pending == 0 and kernel_idle(page)


def kernel_idle(page) -> bool:
    try:
        return bool(page.evaluate(KERNEL_IDLE_JS))
    except Exception:
        return False


def wait_idle(page, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if kernel_idle(page):
            return True
        page.wait_for_timeout(250)
    return False


def shot(target, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.screenshot(path=str(path))
    except Exception as exc:  # a missing screenshot is not itself a failure of the lab
        print(f"  screenshot {path} failed: {str(exc).splitlines()[0]}")


def run_all(page, rep: Report, timeout_s: float) -> bool:
    """Run > Run All Cells; done when no cell is queued/running, the kernel is idle, and every code cell has run
    (or an error stopped the run)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    t = time.monotonic()
    idle_since = None
    while time.monotonic() - t < timeout_s:
        page.wait_for_timeout(500)
        prompts = page.evaluate(PROMPTS_JS)
        running = any(p == "[*]:" for p in prompts)
        all_ran = bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        if not running and kernel_idle(page):
            idle_since = idle_since or time.monotonic()
            if all_ran or time.monotonic() - idle_since > 5:  # stopped early (an error) and stayed idle
                rep.timings["run all"] = time.monotonic() - t
                not_run = sum(1 for p in prompts if not re.fullmatch(r"\[\d+\]:", p))
                return rep.check(all_ran, "Run All Cells runs every code cell",
                                 f"{len(prompts)} code cells in {rep.timings['run all']:.1f}s"
                                 + (f"; {not_run} did not run" if not_run else ""))
        else:
            idle_since = None
    rep.timings["run all"] = time.monotonic() - t
    return rep.check(False, "Run All Cells runs every code cell", f"still running after {timeout_s:.0f}s")


# After focusing a control: it has the focus, and the Tab key could have brought it there (tabIndex 0 or more).
TABBABLE_JS = "() => { const a = document.activeElement; return !!a && a !== document.body && a.tabIndex >= 0; }"
# How a control looks (its outline, shadow, border and background): a keyboard user sees where the focus is only if
# focusing changes one of them.
FOCUS_LOOK_JS = """e => { const c = getComputedStyle(e);
  return [c.outlineStyle, c.outlineColor, c.outlineWidth, c.boxShadow, c.borderColor, c.backgroundColor].join('|'); }"""


def try_control(page, rid: int, ctl: dict, rep: Report) -> dict:
    """Act on one control and wait for the widget to show an effect; returns a result row."""
    cid, kind = ctl["id"], ctl["kind"]

    def focus(locator) -> None:
        before = locator.evaluate(FOCUS_LOOK_JS)
        locator.focus()
        if not page.evaluate(TABBABLE_JS):
            raise RuntimeError("it cannot take the keyboard focus (the Tab key never reaches it)")
        row["focus_visible"] = locator.evaluate(FOCUS_LOOK_JS) != before

    row = {"widget": rid, "control": kind, "label": ctl["label"], "result": "", "seconds": 0.0}
    el = page.locator(f'[data-bc-ctl="{cid}"]')
    if el.count() == 0:
        row["result"] = "gone (the widget was redrawn)"
        return row
    state = page.evaluate(DISABLED_JS, cid)
    if state and state["disabled"]:
        visibly = state["opacity"] < 0.95 or state["cursor"] == "not-allowed"
        row["result"] = "disabled" + ("" if visibly else " but looks enabled")
        row["ok"] = visibly
        return row
    try:
        el.scroll_into_view_if_needed(timeout=10_000)
    except Exception:
        pass
    before = page.evaluate(SNAPSHOT_JS, [rid, cid])
    mark = page.evaluate(SENT_JS)
    t = time.monotonic()
    try:
        if kind == "slider":
            handle = el.locator(".noUi-handle").first
            now, low = (float(handle.get_attribute(a) or 0) for a in ("aria-valuenow", "aria-valuemin"))
            # Towards the low end where there is room: fewer samples, smaller N, smaller k keep the model calls of
            # the buttons tried afterwards small. Any move must change the view either way.
            down = now > low
            focus(handle)
            handle.press("PageDown" if down else "PageUp")
            if float(handle.get_attribute("aria-valuenow") or 0) == now:
                handle.press("ArrowLeft" if down else "ArrowRight")
            row["moved"] = f"{now:g} -> {float(handle.get_attribute('aria-valuenow') or 0):g}"
        elif kind == "dropdown":  # keys only, as a keyboard user does: focus, then arrow to the next option
            select = el.locator("select").first
            n = select.locator("option").count()
            current = select.evaluate("s => s.selectedIndex")
            focus(select)
            # Open the list first (Alt+ArrowDown), then arrow and Enter: JupyterLab takes a bare ArrowDown on a focused
            # output for its own command-mode shortcut (select the cell below), so the select never changes by it.
            select.press("Alt+ArrowDown")
            page.keyboard.press("ArrowDown" if current < n - 1 else "ArrowUp")
            page.keyboard.press("Enter")
            row["moved"] = select.evaluate("s => s.options[s.selectedIndex].text")[:60]
        elif kind == "toggle buttons":
            choice = el.locator("button:not(.mod-active)").first
            row["moved"] = choice.inner_text()[:60]
            focus(choice)
            choice.press("Enter")
        elif kind == "checkbox":
            focus(el.locator("input").first)
            el.locator("input").first.press("Space")
        elif kind == "radio":
            focus(el.locator("input:not(:checked)").first)
            el.locator("input:not(:checked)").first.press("Space")
        else:  # button, toggle
            focus(el)
            el.press("Enter")
        row["keys"] = True
    except Exception as exc:
        row.update(result=f"could not operate: {str(exc).splitlines()[0]}", ok=False)
        return row
    timeout = CONTROL_TIMEOUT.get(kind, CONTROL_TIMEOUT_DEFAULT)
    changed, idle_since = False, None
    while time.monotonic() - t < timeout:
        page.wait_for_timeout(250)
        if page.evaluate(SNAPSHOT_JS, [rid, cid]) != before:
            changed = True
            break
        if kernel_settled(page, mark, time.monotonic() - t):
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= QUIET_S:
                break
        else:
            idle_since = None
    # let the kernel finish (a button may keep drawing after its first visible change)
    while time.monotonic() - t < timeout and not kernel_settled(page, mark, time.monotonic() - t):
        page.wait_for_timeout(250)
    last, stable_since = page.evaluate(SNAPSHOT_JS, [rid, cid]), time.monotonic()
    while time.monotonic() - stable_since < 1.0 and time.monotonic() - t < timeout:
        page.wait_for_timeout(250)
        now = page.evaluate(SNAPSHOT_JS, [rid, cid])
        if now != last:
            last, stable_since = now, time.monotonic()
    row["seconds"] = round(time.monotonic() - t, 2)
    changed = changed or last != before
    row["result"] = "changes the view" if changed else "NO VISIBLE CHANGE"
    row["ok"] = changed
    if last and "Traceback (most recent call last)" in last and "Traceback (most recent call last)" not in (before or ""):
        row.update(result="shows a traceback", ok=False)
    return row


def check_widget(page, rid: int, cell: int, rep: Report, shots: Path, controls: bool) -> None:
    """Layout/text checks on one widget root, then every control, with before/after screenshots."""
    root = page.locator(f'[data-bc-root="{rid}"]')
    try:
        root.scroll_into_view_if_needed(timeout=10_000)
    except Exception:
        pass
    shot(root, shots / f"widget{rid:02d}_cell{cell:02d}_before.png")
    layout = page.evaluate(LAYOUT_JS, rid) or {}
    name = f"widget {rid} (cell {cell})"
    rep.check(not layout.get("warning"), f"{name} is not showing an error after Run All", "; ".join(layout.get("warning", [])))
    problems = [("cut off", layout.get("cut")), ("words broken across lines", layout.get("broken")),
                ("raw long decimals", layout.get("decimals")), ("emoji without a text mark", layout.get("lone_emoji"))]
    for what, found in problems:
        rep.check(not found, f"{name}: no {what}", "; ".join(found or [])[:600])
    if not controls:
        return
    ctls = page.evaluate(CONTROLS_JS, rid)
    unnamed = [c["kind"] for c in ctls if not c.get("name")]
    rep.check(not unnamed, f"{name}: every control has an accessible name", ", ".join(unnamed))
    order = {"slider": 0, "dropdown": 1, "toggle buttons": 2, "toggle": 3, "checkbox": 4, "radio": 5, "button": 6}
    for ctl in sorted(ctls, key=lambda c: order.get(c["kind"], 9)):
        row = try_control(page, rid, ctl, rep)
        row["cell"] = cell
        rep.controls.append(row)
        if row.get("focus_visible") is False:
            rep.warn(f"{name} {row['control']} {row['label']!r}: nothing shows where the keyboard focus is")
        if "ok" in row:
            rep.check(row["ok"], f"{name} {row['control']} {row['label']!r} {'is visibly disabled' if row['result'].startswith('disabled') else 'changes what the widget shows'}",
                      f"{row['result']}" + (f" ({row['moved']})" if row.get("moved") else "") + f" in {row['seconds']:.1f}s")
        else:
            print(f"  skip [{rep.name}] {name} {row['control']} {row['label']!r}: {row['result']}")
    if ctls:  # what the controls revealed (problems already reported above are not repeated)
        after = page.evaluate(LAYOUT_JS, rid) or {}
        for what, key in (("cut off", "cut"), ("words broken across lines", "broken"), ("raw long decimals", "decimals"),
                          ("emoji without a text mark", "lone_emoji")):
            found = [x for x in after.get(key) or [] if x not in (layout.get(key) or [])]
            rep.check(not found, f"{name}: no {what} after its controls were used", "; ".join(found)[:600])
        shot(root, shots / f"widget{rid:02d}_cell{cell:02d}_after.png")


# The widget library draws a slider's handle (role="slider") without a name of its own; the course names every slider
# with a visible label (checked per control above). axe-core's finding on the handle is listed as the library's.
WIDGET_LIBRARY = (("aria-input-field-name", "noUi-handle"),)
# JupyterLab's theme draws links in rendered Markdown blue with no underline, which axe-core finds too close to the
# text around them (link-in-text-block). The link is the course's, its look is the theme's (the course website
# underlines links): a link the course styled itself (a style attribute) stays the course's.
JUPYTERLAB_THEME = ("link-in-text-block",)


def theme_finding(row: dict) -> bool:
    return row["rule"] in JUPYTERLAB_THEME and "style=" not in row["html"]


def audit(page, rep: Report, after_controls: bool = False) -> None:
    """axe-core after Run All (and again once every control was used: what the controls revealed): the course's content
    must have no critical or serious violation; the widget library's and JupyterLab's own are listed in the report,
    not failed."""
    if not AXE.exists():
        if not after_controls:
            rep.warn(f"accessibility audit skipped: {AXE} is missing (make web-deps)")
        return
    found = accessibility(page, LAB_COURSE_SCOPE)
    library = [r for r in found["course"] if any(rule == r["rule"] and mark in r["html"] for rule, mark in WIDGET_LIBRARY)]
    theme = [r for r in found["course"] if theme_finding(r)]
    course = [r for r in found["course"] if r not in library and r not in theme]
    images = page.evaluate(IMAGES_JS, LAB_COURSE_SCOPE)
    empty = [r for r in images if r["alt"] is None or NO_WORDS.fullmatch(r["alt"])]
    if after_controls:  # only what the controls brought to the screen; the rest was reported after Run All
        seen = {(r["rule"], r["html"]) for r in rep.accessibility.get("course", [])}
        new = [r for r in course if (r["rule"], r["html"]) not in seen]
        rep.accessibility["after_controls"] = new
        bad = serious(new)
        rep.check(not bad, "no critical or serious accessibility violation in what the widgets show once their "
                  "controls were used (axe-core)", "; ".join(f"{r['rule']} ({r['impact']}): {r['html'][:100]}" for r in bad[:5]))
        old = {(r["cell"], r["alt"]) for r in rep.accessibility.get("images", [])}
        empty = [r for r in empty if (r["cell"], r["alt"]) not in old]
        rep.check(not empty, "every chart the controls drew has alt text that says what it shows",
                  "; ".join(f"cell {r['cell']}: alt={r['alt']!r}" for r in empty[:8]))
        return
    rep.accessibility = {"course": course, "widget_library": library, "jupyterlab": found["other"], "jupyterlab_theme": theme,
                         "contrast_rechecked": found["contrast_rechecked"], "contrast_undecided": found["contrast_undecided"]}
    if found["contrast_undecided"]:
        print(f"INFO [{rep.name}] contrast axe-core could not decide for {len(found['contrast_undecided'])} course "
              f"element(s) even in view (listed in the report): {found['contrast_undecided'][0].get('why', '')[:120]}")
    bad = serious(course)
    rep.check(not bad, "no critical or serious accessibility violation in the course's content (axe-core)",
              "; ".join(f"{r['rule']} ({r['impact']}): {r['html'][:100]}" for r in bad[:5]))
    rep.accessibility["images"] = images  # every image's alt text, to read
    rep.check(not empty, "every chart in the course's content has alt text that says what it shows",
              "; ".join(f"cell {r['cell']}: alt={r['alt']!r}" for r in empty[:8]))
    for where, rows in (("the widget library", library), ("JupyterLab", found["other"]),
                        ("JupyterLab's theme on the course's content", theme)):
        rules = sorted({f"{r['rule']} ({r['impact']})" for r in rows})
        if rules:
            print(f"INFO [{rep.name}] accessibility findings of {where} (listed, not the course's): {', '.join(rules)}")


def check_notebook(page, url: str, nb: Path, root_dir: Path, out: Path, runtime_dir: Path, args) -> Report:
    rep = Report(nb.stem)
    shots = out / nb.stem
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    allowed_errors = {i for i, c in enumerate(cells) if "raises-exception" in c.get("metadata", {}).get("tags", [])
                      or "NBVAL_RAISES_EXCEPTION" in "".join(c["source"])}
    t = time.monotonic()
    rel = nb.relative_to(root_dir).as_posix()
    page.goto(f"{url}lab/tree/{rel}?reset", wait_until="domcontentloaded")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=90_000)
    tab = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").first.inner_text()
    rep.timings["open"] = time.monotonic() - t
    if not rep.check(nb.name in tab, "JupyterLab opens the notebook", f"current tab {tab!r}"):
        return rep
    if not rep.check(wait_idle(page, 180), "kernel reaches Idle"):
        shot(page, shots / "kernel_not_idle.png")
        return rep
    rep.check(bool(page.evaluate(TRACK_KERNEL_JS)), "the check can follow the kernel's messages")
    ran = run_all(page, rep, args.run_timeout)
    pids = kernel_pids(runtime_dir)
    if pids:
        rep.kernel["after_run_all"] = kernel_usage(pids[0])
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    shot(page, shots / "00_after_run_all.png")
    found = page.evaluate(OUTPUTS_JS)
    dom_cells = page.evaluate("() => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length")
    rep.check(dom_cells == len(cells), "every cell is in the page", f"{dom_cells} of {len(cells)}")
    errors = [e for e in found["errors"] if e["cell"] not in allowed_errors]
    rep.check(not errors, "no cell shows an error",
              "; ".join(f"cell {e['cell']}: {e['text'][-300:]!r}" for e in errors[:3]))
    rep.check(not found["fallbacks"] and (found["widget_views"] > 0 or not any(
        "widgets" in "".join(c["source"]) for c in cells)), "widgets render as widgets (no text fallback)",
        f"{found['widget_views']} widget views, {len(found['fallbacks'])} text fallbacks"
        + "".join(f"; cell {f['cell']}: {f['text'][:120]!r}" for f in found["fallbacks"][:3]))
    for s in found["stderr"][:5]:
        rep.warn(f"cell {s['cell']} writes to stderr: {s['text'][:160]!r}")
    audit(page, rep)
    for d in found["decimals"][:8]:
        rep.warn(f"cell {d['cell']} output shows raw long decimals: {', '.join(d['values'])}")
    if not ran:
        return rep
    info = page.evaluate(ROOTS_JS)
    t = time.monotonic()
    for r in info["roots"]:
        check_widget(page, r["id"], r["cell"], rep, shots, controls=not args.no_controls and r["controls"] > 0)
    rep.timings["controls"] = time.monotonic() - t
    if info["roots"] and not args.no_controls:
        audit(page, rep, after_controls=True)
    pids = kernel_pids(runtime_dir)
    if pids:
        rep.kernel["end"] = kernel_usage(pids[0])
    shot(page, shots / "99_final.png")
    return rep


def write_report(out: Path, overall: Report, reports: list[Report], notebooks: list[Path], done: bool) -> None:
    """report.json after every notebook (``complete`` false and the notebooks still to run listed until the end), so a
    run that is killed or times out still shows the verdicts it reached."""
    checked = {r.name for r in reports}
    report = {"complete": done, "total_s": round(overall.timings.get("total", 0.0), 1), "server": overall.as_dict(),
              "notebooks": [r.as_dict() for r in reports],
              "not_yet_run": [nb.stem for nb in notebooks if nb.stem not in checked]}
    tmp = out / "report.json.tmp"
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    tmp.replace(out / "report.json")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="lesson notebooks (default: every notebooks/weekNN_*.ipynb)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report and screenshots (default {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("--run-timeout", type=float, default=1800, help="seconds allowed for Run All Cells (default 1800: a busy machine)")
    ap.add_argument("--no-controls", action="store_true", help="run and inspect only; do not try the controls")
    args = ap.parse_args(argv)
    missing = [p for p in args.notebooks if not Path(p).is_file()]
    if missing:
        ap.error(f"no such notebook: {', '.join(missing)} (the lessons: "
                 f"{', '.join(p.relative_to(ROOT).as_posix() for p in lessons())})")

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("SKIP playwright is not installed: .venv/bin/pip install -r requirements.txt (it pins playwright)")
        return 2
    if not os.access(CHROMIUM, os.X_OK):
        print(f"SKIP {CHROMIUM} is missing: {INSTALL_HINT}")
        return 2

    notebooks = [Path(p).resolve() for p in args.notebooks] or lessons()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").unlink(missing_ok=True)  # never read an earlier run's verdicts as this one's
    reports: list[Report] = []
    overall = Report("server")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="browser_check_") as tmpdir:
        dirs = lab_settings(Path(tmpdir))
        course = stage(Path(tmpdir), notebooks)
        home = Path(tmpdir) / "home"  # a fresh home, as a Binder or JupyterHub user gets: nothing cached, no config
        home.mkdir()
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        first = notebooks[0].relative_to(ROOT).as_posix() if notebooks else "notebooks"
        cmd = lab_command(port, first) + [f"--LabApp.user_settings_dir={dirs['settings']}",
                                          f"--LabApp.workspaces_dir={dirs['workspaces']}"]
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), HOME=str(home))
        env.pop("JUPYTER_CONFIG_DIR", None)
        env.pop("JUPYTER_DATA_DIR", None)
        print("starting:", " ".join(cmd), f"(in a staged copy of the course: {course})", flush=True)
        log_path = out / "jupyter.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                t = time.monotonic()
                up = wait_for_server(url, proc, 120)
                overall.timings["server start"] = time.monotonic() - t
                if overall.check(up, "jupyter lab server starts", f"{url} in {overall.timings['server start']:.1f}s (log {log_path})"):
                    with sync_playwright() as pw:
                        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                        try:
                            for nb in notebooks:
                                staged = course / nb.relative_to(ROOT)
                                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                                page.set_default_timeout(30_000)
                                page_errors: list[str] = []
                                page.on("pageerror", lambda e: page_errors.append(str(e)))
                                t = time.monotonic()
                                try:
                                    rep = check_notebook(page, url, staged, course, out, dirs["runtime"], args)
                                except Exception as exc:
                                    rep = reports[-1] if reports and reports[-1].name == nb.stem else Report(nb.stem)
                                    rep.check(False, "browser session", f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                                    shot(page, out / nb.stem / "error.png")
                                rep.timings["total"] = time.monotonic() - t
                                for e in page_errors[:5]:
                                    rep.warn(f"page error: {e[:200]}")
                                reports.append(rep)
                                write_report(out, overall, reports, notebooks, done=False)  # a run cut short keeps its verdicts
                                shutdown_kernels(url)
                                page.close()
                                print(f"  [{nb.stem}] " + ", ".join(f"{k} {v:.1f}s" for k, v in rep.timings.items())
                                      + (f"; kernel {rep.kernel.get('end') or rep.kernel.get('after_run_all')}" if rep.kernel else ""),
                                      flush=True)
                        finally:
                            browser.close()
            finally:
                ok, detail = stop_server(proc, dirs["runtime"])
                overall.check(ok, "server shut down", detail)
    overall.timings["total"] = time.monotonic() - start
    write_report(out, overall, reports, notebooks, done=True)
    failed = overall.failed + [f"{r.name}: {c}" for r in reports for c in r.failed]
    n_checks = len(overall.checks) + sum(len(r.checks) for r in reports)
    print("\nper notebook: " + "; ".join(f"{r.name} {r.timings.get('total', 0):.0f}s" for r in reports))
    print(f"total {overall.timings['total']:.0f}s · {n_checks - len(failed)} passed, {len(failed)} failed · report {out / 'report.json'}")
    for f in failed:
        print(f"  FAILED {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
