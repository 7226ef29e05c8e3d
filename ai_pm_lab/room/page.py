"""The facilitator's page: plain HTML and a little JavaScript that asks for the room's summary every few seconds and
redraws it without a reload. Learner text (names, whys) is only ever set as text, never as HTML."""

PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI PM Lab: the room</title>
<style>
  body { font-family: system-ui, sans-serif; font-size: 20px; line-height: 1.4; margin: 1.5rem; color: #111; background: #fff; }
  h1 { font-size: 1.8rem; margin: 0 0 .5rem 0; }
  h2 { font-size: 1.4rem; margin: 1.5rem 0 .5rem 0; border-bottom: 2px solid #ccc; }
  h3 { font-size: 1.15rem; margin: 1rem 0 .3rem 0; }
  .bar-row { display: flex; align-items: center; gap: .6rem; margin: .15rem 0; }
  .bar-label { min-width: 14rem; }
  .bar { height: 1.1rem; background: #1f6feb; }
  .bar.pass { background: #1a7f37; } .bar.notyet { background: #bf8700; } .bar.none { background: #8c959f; }
  table { border-collapse: collapse; margin: .3rem 0; }
  th, td { text-align: left; padding: .25rem .8rem .25rem 0; border-bottom: 1px solid #ddd; vertical-align: top; }
  .controls { display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0 1rem 0; }
  .muted { color: #555; }
  .why { margin: .2rem 0; }
  #error { color: #a40e26; font-weight: 600; }
  label, button, a { font-size: 1.05rem; }
  input[type=checkbox] { width: 1.3rem; height: 1.3rem; vertical-align: middle; }
</style>
</head>
<body>
<h1>The room</h1>
<div class="controls" role="group" aria-label="Page controls">
  <label><input type="checkbox" id="hide-names" aria-label="Hide learners' names"> Hide names</label>
  <a href="#" id="export" role="button" aria-label="Export every result as CSV">Export CSV</a>
  <span class="muted" aria-live="polite">Updated: <span id="updated">never</span></span>
  <span id="error" role="alert"></span>
</div>
<main>
<section aria-labelledby="h-learners"><h2 id="h-learners">Who joined: <span id="learner-count">0</span></h2>
  <p id="learners" class="muted"></p></section>
<section aria-labelledby="h-exercises"><h2 id="h-exercises">Exercises</h2>
  <p class="muted">Green: passed. Amber: not yet. Grey: not started.</p><div id="exercises"></div></section>
<section aria-labelledby="h-decisions"><h2 id="h-decisions">Decisions and their why</h2><div id="decisions"></div></section>
<section aria-labelledby="h-knowledge"><h2 id="h-knowledge">Knowledge checks: before and after</h2><div id="knowledge"></div></section>
</main>
<script>
(function () {
  "use strict";
  var REFRESH_MS = 3000;
  var params = new URLSearchParams(window.location.search);
  var key = params.get("key");
  if (key) {  // keep the facilitator key out of the address bar (the page may be projected)
    sessionStorage.setItem("roomKey", key);
    params.delete("key");
    var rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : ""));
  }
  key = sessionStorage.getItem("roomKey");
  var hide = document.getElementById("hide-names");
  hide.checked = localStorage.getItem("roomHideNames") === "1";
  var base = window.location.pathname.replace(/[^\/]*$/, "");
  function headers() { return key ? {"Authorization": "Bearer " + key} : {}; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function pct(x) { return x === null || x === undefined ? "–" : Math.round(100 * x) + "%"; }
  function bar(label, parts, total) {
    var row = el("div", null, "bar-row");
    row.appendChild(el("span", label, "bar-label"));
    parts.forEach(function (p) {
      var b = el("span", null, "bar " + p[1]);
      b.style.width = (total ? 20 * p[0] / total : 0) + "rem";
      b.title = p[2] + ": " + p[0];
      b.setAttribute("aria-label", p[2] + ": " + p[0]);
      row.appendChild(b);
    });
    row.appendChild(el("span", parts.map(function (p) { return p[2] + " " + p[0]; }).join(", "), "muted"));
    return row;
  }
  function draw(s) {
    document.getElementById("learner-count").textContent = s.learners.length;
    document.getElementById("learners").textContent = s.learners.map(function (l) { return l.name; }).join(", ") || "Nobody yet.";
    document.body.setAttribute("data-total", s.total_results);
    var ex = document.getElementById("exercises"); ex.replaceChildren();
    s.exercises.forEach(function (r) {
      var n = r.passed + r.not_yet + r.not_started;
      ex.appendChild(bar(r.exercise, [[r.passed, "pass", "passed"], [r.not_yet, "notyet", "not yet"],
                                      [r.not_started, "none", "not started"]], n));
    });
    if (!s.exercises.length) ex.appendChild(el("p", "No checks yet.", "muted"));
    var dec = document.getElementById("decisions"); dec.replaceChildren();
    s.decisions.forEach(function (d) {
      dec.appendChild(el("h3", d.exercise + (d.part ? " (" + d.part + ")" : "")));
      var total = 0; Object.keys(d.choices).forEach(function (c) { total += d.choices[c]; });
      Object.keys(d.choices).sort().forEach(function (c) { dec.appendChild(bar(c, [[d.choices[c], "", "chose"]], total)); });
      d.whys.forEach(function (w) {
        var p = el("p", null, "why");
        p.appendChild(el("strong", w.name + " → " + w.choice + ": "));
        p.appendChild(document.createTextNode(w.why));
        dec.appendChild(p);
      });
    });
    if (!s.decisions.length) dec.appendChild(el("p", "No decisions yet.", "muted"));
    var kn = document.getElementById("knowledge"); kn.replaceChildren();
    s.knowledge.forEach(function (w) {
      var g = w.gain;
      var gain = g.mean === null ? "no learner has done both checks yet" :
        (g.mean >= 0 ? "+" : "") + Math.round(100 * g.mean) + " points (" + g.n + " learners" +
        (g.low === null ? "" : "; " + Math.round(100 * g.confidence) + "% interval " + Math.round(100 * g.low) +
         " to " + Math.round(100 * g.high)) + ")";
      kn.appendChild(el("h3", "Week " + w.week + ": learning gain " + gain));
      var t = el("table"); var head = el("tr");
      ["Question", "Right before", "Right after"].forEach(function (h) { var th = el("th", h); th.scope = "col"; head.appendChild(th); });
      t.appendChild(head);
      w.questions.forEach(function (q) {
        var tr = el("tr");
        var cell = el("td", q.prompt || q.question); cell.title = q.question; tr.appendChild(cell);
        tr.appendChild(el("td", pct(q.before) + " of " + q.before_n));
        tr.appendChild(el("td", pct(q.after) + " of " + q.after_n));
        t.appendChild(tr);
      });
      kn.appendChild(t);
    });
    if (!s.knowledge.length) kn.appendChild(el("p", "No knowledge checks yet.", "muted"));
    document.getElementById("updated").textContent = new Date().toLocaleTimeString();
  }
  function refresh() {
    fetch(base + "api/summary" + (hide.checked ? "?hide=1" : ""), {headers: headers(), credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("the room answered " + r.status); return r.json(); })
      .then(function (s) { document.getElementById("error").textContent = ""; draw(s); })
      .catch(function (e) { document.getElementById("error").textContent = "Could not refresh: " + e.message; });
  }
  hide.addEventListener("change", function () { localStorage.setItem("roomHideNames", hide.checked ? "1" : "0"); refresh(); });
  document.getElementById("export").addEventListener("click", function (ev) {
    ev.preventDefault();
    fetch(base + "export.csv" + (hide.checked ? "?hide=1" : ""), {headers: headers(), credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("the room answered " + r.status); return r.blob(); })
      .then(function (b) {
        var a = document.createElement("a"); a.href = URL.createObjectURL(b); a.download = "room.csv";
        document.body.appendChild(a); a.click(); a.remove();
      })
      .catch(function (e) { document.getElementById("error").textContent = "Could not export: " + e.message; });
  });
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
</script>
</body>
</html>
"""
