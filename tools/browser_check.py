#!/usr/bin/env python3
"""Real-browser check: `make lab`'s JupyterLab opens week 1, runs it, and the widgets respond in Chromium.

Starts `jupyter lab` the way the Makefile's `lab` target does (plus --no-browser, a free loopback port and no
token), drives Debian's /usr/bin/chromium through Playwright, runs every cell, moves the temperature slider with
the keyboard and clicks a decision-tree toggle, and checks that the rendered text changes. Screenshots go to
/tmp/browser_check/. Prints PASS/FAIL lines; exits 1 on any failure, 2 if playwright or chromium is missing.
The server is always shut down, and the notebook file is left exactly as it was (autosave is off; any change
is undone). Needs: `pip install playwright` in .venv and `apt-get install -y chromium` (as root).
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
NOTEBOOK = "notebooks/week01_foundations.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path("/tmp/browser_check")

results: list[tuple[bool, str, str]] = []


def report(ok: bool, name: str, detail: str = "") -> bool:
    """Record and print one PASS/FAIL line."""
    results.append((ok, name, detail))
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
    return ok


def lab_command(port: int) -> list[str]:
    """The Makefile's `lab` recipe with $(BIN) resolved to this interpreter's bin dir, plus headless server flags."""
    recipe = None
    lines = (ROOT / "Makefile").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^lab\s*:", line) and i + 1 < len(lines) and lines[i + 1].startswith("\t"):
            recipe = lines[i + 1].strip()
            break
    if not recipe or "jupyter lab" not in recipe:
        recipe = f"$(BIN)/jupyter lab {NOTEBOOK}"
    recipe = recipe.replace("$(LAB_FLAGS)", "--ServerApp.root_dir=.")  # --allow-root is added below when needed
    cmd = shlex.split(recipe.replace("$(BIN)", str(Path(sys.executable).parent)))
    cmd += ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.token=", "--ServerApp.password="]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers/CI run as root; jupyter refuses root without this
        cmd.append("--allow-root")
    return cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(tmp: Path) -> dict:
    """Throwaway JupyterLab settings/workspace dirs: no autosave (the notebook must stay stripped), no news popups,
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
    (tmp / "workspaces").mkdir(exist_ok=True)
    (tmp / "runtime").mkdir(exist_ok=True)
    return {"settings": settings, "workspaces": tmp / "workspaces", "runtime": tmp / "runtime"}


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


def notebook_url_path(runtime_dir: Path) -> str:
    """The notebook's path relative to the server's root_dir (from jpserver-*.json: a file argument makes its folder the root)."""
    for info in runtime_dir.glob("jpserver-*.json"):
        root = Path(json.loads(info.read_text())["root_dir"])
        return (ROOT / NOTEBOOK).resolve().relative_to(root.resolve()).as_posix()
    return NOTEBOOK


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


def stop_server(proc: subprocess.Popen, runtime_dir: Path) -> None:
    """SIGTERM the server (it stops its kernels), SIGKILL our own process group if it hangs; reap stray kernels."""
    if proc.poll() is None:
        # SIGTERM is what Ctrl-C/`kill` gives `make lab`: jupyter_server shuts its kernels down and exits 0.
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
    report(proc.poll() is not None and not left, "server shut down",
           f"jupyter exit code {proc.poll()}, leftover kernels {left or 'none'}")


# ---------------------------------------------------------------- browser steps

def output_of(page, code_snippet: str):
    """The output area of the first code cell whose source contains code_snippet."""
    cell = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=code_snippet)).first
    return cell.locator(".jp-Cell-outputArea").first


def shot(page_or_locator, name: str) -> None:
    path = SHOTS / name
    try:
        page_or_locator.screenshot(path=str(path))
        print(f"  screenshot {path}")
    except Exception as exc:  # a missing screenshot is not itself a failure of the lab
        print(f"  screenshot {path} failed: {exc}")


def wait_idle(page, timeout_ms: int) -> None:
    """Wait for the status bar's kernel item to read "<kernel name> | Idle" (not "No Kernel | ...")."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                      .some(e => /^(?!No Kernel).+\\|\\s*Idle$/.test(e.textContent.trim()))""",
        timeout=timeout_ms,
    )


def settle(page, locator, quiet_s: float = 1.5, timeout_s: float = 30) -> str:
    """Text of locator once the kernel is Idle and the text has not changed for quiet_s seconds."""
    deadline = time.monotonic() + timeout_s
    last, since = locator.inner_text(), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = locator.inner_text()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            try:
                wait_idle(page, 5_000)
                return last
            except Exception:
                continue
    return last


def run_checks(page, url: str, nb_url_path: str, timings: dict, run_timeout: float) -> None:
    t = time.monotonic()
    page.goto(f"{url}lab/tree/{nb_url_path}", wait_until="domcontentloaded")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    tab = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").first.inner_text()
    timings["open notebook"] = time.monotonic() - t
    if not report("week01_foundations" in tab, "JupyterLab opens week 1", f"current tab {tab!r}"):
        return
    shot(page, "01_opened.png")

    t = time.monotonic()
    try:
        wait_idle(page, 120_000)
        timings["kernel idle"] = time.monotonic() - t
        report(True, "kernel reaches Idle", f"{timings['kernel idle']:.1f}s")
    except Exception as exc:
        report(False, "kernel reaches Idle", str(exc).splitlines()[0])
        shot(page, "02_kernel_not_idle.png")
        return

    n_code = page.locator(".jp-NotebookPanel .jp-CodeCell").count()
    t = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    # Done = every code cell shows an execution number, none shows [*], and the kernel is idle again.
    try:
        page.wait_for_function(
            """(n) => {
                const prompts = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt'))
                                     .map(e => e.textContent.trim());
                return prompts.length === n && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
            }""",
            arg=n_code, timeout=int(run_timeout * 1000),
        )
        wait_idle(page, 60_000)
        timings["run all cells"] = time.monotonic() - t
        done = True
    except Exception as exc:
        timings["run all cells"] = time.monotonic() - t
        done = False
        report(False, "Run All Cells finishes", str(exc).splitlines()[0])
    tracebacks = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)")
    errors = [tracebacks.nth(i).inner_text()[-400:] for i in range(tracebacks.count())]
    if done:
        report(not errors, "Run All Cells finishes without errors",
               f"{n_code} code cells in {timings['run all cells']:.1f}s" + (f"; errors: {errors}" if errors else ""))
    shot(page, "03_ran_all.png")
    if not done:
        return

    # Widgets must render as widgets, not as text fallbacks.
    fallbacks = page.locator(".jp-OutputArea-output",
                             has_text=re.compile(r"Loading widget|TemperatureExplorer\(|DecisionTreeWidget\(|VBox\(children"))
    n_widgets = page.locator(".jp-OutputArea-output .jupyter-widgets").count()
    report(fallbacks.count() == 0 and n_widgets > 0, "widgets render as widgets (no text fallback)",
           f"{n_widgets} rendered widget views, {fallbacks.count()} text fallbacks"
           + (f": {fallbacks.first.inner_text()[:200]!r}" if fallbacks.count() else ""))

    # --- temperature slider -> entropy label
    temp_out = output_of(page, "TemperatureExplorer(")
    slider = temp_out.locator(".widget-slider", has=page.locator("label", has_text=re.compile(r"^temperature$"))).first
    entropy = temp_out.locator(".widget-html", has_text="Entropy").first
    readout = slider.locator(".widget-readout")
    try:
        slider.scroll_into_view_if_needed(timeout=10_000)
        before_text, before_value = entropy.inner_text(timeout=10_000), readout.inner_text()
    except Exception as exc:
        report(False, "temperature widget rendered", str(exc).splitlines()[0])
    else:
        chart_img = temp_out.locator(".widget-output img").first
        chart_before = chart_img.get_attribute("src", timeout=10_000) or ""
        report(chart_before.startswith("data:image/png"), "temperature widget rendered",
               f"slider at {before_value}, label {before_text!r}, chart image present: {bool(chart_before)}")
        shot(temp_out, "04_temperature_before.png")
        t = time.monotonic()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        for _ in range(6):  # 6 steps of 0.05: 1.00 -> 1.30
            handle.press("ArrowRight")
        try:
            page.wait_for_function(
                "([el, before]) => el.innerText !== before", arg=[entropy.element_handle(), before_text], timeout=30_000)
        except Exception:
            pass
        timings["slider -> entropy"] = time.monotonic() - t
        # The bar chart is redrawn into an Output widget by the same callback: its image must change too.
        try:
            page.wait_for_function(
                """([root, before]) => { const img = root.querySelector('.widget-output img');
                                          return img && img.getAttribute('src') !== before; }""",
                arg=[temp_out.element_handle(), chart_before], timeout=30_000)
            chart_changed = True
        except Exception:
            chart_changed = False
        timings["slider -> chart"] = time.monotonic() - t
        # Each key press is its own kernel update: let the kernel finish them all before reading the final label.
        after_text = settle(page, entropy)
        after_value = readout.inner_text()
        report(after_text != before_text and after_value != before_value, "temperature slider changes the entropy label",
               f"{before_value} -> {after_value}; {before_text!r} -> {after_text!r} "
               f"(first change {timings['slider -> entropy']:.2f}s after the key presses)")
        report(chart_changed, "temperature slider redraws the bar chart",
               f"chart image {'changed' if chart_changed else 'unchanged after 30s'} "
               f"({timings['slider -> chart']:.2f}s after the key presses)")
        shot(temp_out, "05_temperature_after.png")

    # --- decision tree toggle -> recommendation
    tree_out = output_of(page, "DecisionTreeWidget()")
    verdict = tree_out.locator(".widget-html", has_text=re.compile("✅|⛔")).first
    first_no = tree_out.locator(".widget-toggle-buttons").first.locator("button", has_text=re.compile(r"^No$"))
    try:
        verdict.scroll_into_view_if_needed(timeout=10_000)
        before = verdict.inner_text(timeout=10_000)
    except Exception as exc:
        report(False, "decision tree widget rendered", str(exc).splitlines()[0])
        return
    # The notebook's own next cell sets "tolerates variability" to No from the kernel: the view must show it.
    report("Consider a hybrid" in before, "decision tree shows the kernel-side change (kernel -> browser)",
           before.splitlines()[-1] if before else "")
    shot(tree_out, "06_tree_before.png")
    t = time.monotonic()
    first_no.click()
    try:
        page.wait_for_function(
            "([el, before]) => el.innerText !== before", arg=[verdict.element_handle(), before], timeout=30_000)
    except Exception:
        pass
    after = verdict.inner_text()
    timings["toggle -> recommendation"] = time.monotonic() - t
    report(after != before and "traditional software" in after, "decision-tree toggle 'No' changes the recommendation",
           f"{before.splitlines()[-1]!r} -> {after.splitlines()[-1]!r} in {timings['toggle -> recommendation']:.2f}s")
    shot(tree_out, "07_tree_after.png")
    shot(page, "08_final.png")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-timeout", type=float, default=600, help="seconds allowed for Run All Cells (default 600)")
    args = ap.parse_args(argv)

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("FAIL playwright is not installed: .venv/bin/pip install playwright (a dev tool, not in requirements.txt)")
        return 2
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL {CHROMIUM} is missing: as root, apt-get update && apt-get install -y chromium")
        return 2

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    nb_path = ROOT / NOTEBOOK
    nb_before = nb_path.read_bytes()
    checkpoints = nb_path.parent / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    timings: dict[str, float] = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="browser_check_") as tmpdir:
        dirs = lab_settings(Path(tmpdir))
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        cmd = lab_command(port) + [f"--LabApp.user_settings_dir={dirs['settings']}",
                                   f"--LabApp.workspaces_dir={dirs['workspaces']}"]
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(dirs["runtime"]))
        print("starting:", " ".join(cmd), flush=True)
        log_path = SHOTS / "jupyter.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                t = time.monotonic()
                up = wait_for_server(url, proc, 90)
                timings["server start"] = time.monotonic() - t
                if report(up, "jupyter lab server starts", f"{url} in {timings['server start']:.1f}s (log {log_path})"):
                    with sync_playwright() as pw:
                        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                        try:
                            page = browser.new_page(viewport={"width": 1400, "height": 1000})
                            page.set_default_timeout(30_000)
                            console_errors = []
                            page.on("pageerror", lambda e: console_errors.append(str(e)))
                            try:
                                run_checks(page, url, notebook_url_path(dirs["runtime"]), timings, args.run_timeout)
                            except Exception as exc:
                                report(False, "browser session", f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                                shot(page, "99_error.png")
                            if console_errors:
                                print(f"  page errors seen: {console_errors[:5]}")
                        finally:
                            browser.close()
            finally:
                stop_server(proc, dirs["runtime"])
                if nb_path.read_bytes() != nb_before:
                    nb_path.write_bytes(nb_before)
                    print(f"  {NOTEBOOK} had been modified by the session: restored")
                if checkpoints.exists() and not had_checkpoints:  # JupyterLab made it when opening the notebook
                    shutil.rmtree(checkpoints, ignore_errors=True)
                report(nb_path.read_bytes() == nb_before, "notebook file unchanged", NOTEBOOK)
    timings["total"] = time.monotonic() - start
    print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    failed = [name for ok, name, _ in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
