// escalator live demo: follows the run through server-sent events and
// draws it. The server annotates each trace event (its arrow, its step),
// so this script only keeps what is on screen up to date. No library,
// nothing fetched from elsewhere; DOM built with createElement (the page's
// Content-Security-Policy allows no inline style or script).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  // Paul Tol's bright palette: one colour per VNF, safe for colour-blind eyes.
  const VNF_COLORS = ["#AA3377", "#CCBB44", "#66CCEE", "#4477AA", "#EE6677", "#228833", "#BBBBBB"];
  const VNF_INK = ["#fff", "#000", "#000", "#fff", "#000", "#fff", "#000"];
  const VNF_TINT = ["#eccfe0", "#f1ecc8", "#d6f1fa", "#c7d6e6", "#fad4d9", "#c3e2c8", "#ececec"];
  const STATE_WORDS = {
    normal: ["●", "In service"], upgraded: ["✓", "Upgraded"], maintenance: ["◑", "Maintenance"],
    upgrading: ["↻", "Upgrading"], verifying: ["⋯", "Verifying"], failed: ["✗", "Failed"],
  };
  const STATE_COLORS = { normal: "#d9d9d9", upgraded: "#009E73", maintenance: "#E69F00", upgrading: "#0072B2", verifying: "#56B4E9", failed: "#D55E00" };
  const MAX_ROWS = 400;

  let cfg = null;        // /api/config
  let run = null;        // the run's info (the "run" event)
  let snap = null;       // the latest snapshot (the "state" event)
  let current = 0;       // the highlighted step
  let live = false;      // false while a (re)connection replays the trace
  let busy = false;      // a control request is on its way
  let lanes = {};        // node -> [[atMs, state], ...] for the timeline
  let versions = {};     // node -> version, from the trace
  let marks = [];        // timeline milestones
  let lastAt = 0;        // the latest scenario time seen
  const nodeEls = new Map();

  // --- helpers ---
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clock(ms) {
    const s = Math.floor(ms / 1000);
    const p = (n) => String(n).padStart(2, "0");
    return p(Math.floor(s / 3600)) + ":" + p(Math.floor(s / 60) % 60) + ":" + p(s % 60);
  }
  function count(n) { return Math.round(n).toLocaleString("en-US"); }
  function speedText(x) { return (Math.round(x * 100) / 100) + "×"; }
  function announce(text) { $("announce").textContent = text; }
  function notice(text) {
    const n = $("notice");
    n.textContent = text;
    n.hidden = !text;
    clearTimeout(notice.timer);
    if (text) notice.timer = setTimeout(() => { n.hidden = true; }, 8000);
  }
  function nodeState(n) { return n.state === "normal" && n.upgraded ? "upgraded" : n.state; }

  async function post(path, body) {
    if (busy) return;
    busy = true;
    updateButtons();
    try {
      const r = await fetch("/api/" + path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
      });
      if (!r.ok) {
        let detail = r.statusText;
        try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
        notice(detail);
        return;
      }
      notice("");
      onRun(await r.json());
    } catch (e) {
      notice("The demo server cannot be reached: " + e.message);
    } finally {
      busy = false;
      updateButtons();
    }
  }

  // --- setup ---
  async function init() {
    const r = await fetch("/api/config");
    cfg = await r.json();
    const lifes = $("lifelines");
    lifes.append(el("span"), el("span"));
    const lane = el("span", "lanes");
    cfg.lifelines.forEach((name, i) => {
      const l = el("span", "life", name);
      l.style.setProperty("left", (12.5 + 25 * i) + "%");
      lane.append(l);
    });
    lifes.append(lane);
    for (const s of cfg.scenarios) {
      const o = el("option", "", s.name + " (" + s.flow + ")");
      o.value = s.name;
      $("scenario").append(o);
    }
    for (const f of cfg.faults) {
      const b = el("button", "fault", "⚡ " + f.label);
      b.type = "button";
      b.id = "fault-" + f.id;
      b.dataset.fault = f.id;
      b.title = f.help;
      b.disabled = true;
      b.addEventListener("click", () => post("faults", { fault: f.id }));
      $("faults").append(b);
    }
    $("start").addEventListener("click", () => post("start"));
    $("pause").addEventListener("click", () => post("pause"));
    $("resume").addEventListener("click", () => post("resume"));
    $("speed").addEventListener("change", (e) => post("speed", { speed: Number(e.target.value) }));
    $("scenario").addEventListener("change", (e) => {
      const s = cfg.scenarios.find((x) => x.name === e.target.value);
      if (s) $("seed").value = s.seed;
    });
    $("restart-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const seed = $("seed").value === "" ? 0 : Number($("seed").value);
      if (!Number.isInteger(seed) || seed < 0) { notice("The seed is a whole number, 0 or more."); return; }
      post("restart", { scenario: $("scenario").value, seed: seed });
    });
    document.addEventListener("keydown", onKey);
    window.addEventListener("resize", () => drawTimeline());
    connect();
  }

  function onKey(e) {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLButtonElement || t instanceof HTMLTextAreaElement) return;
    if (e.key === " ") {
      e.preventDefault();
      if (!run) return;
      if (run.state === "running") post("pause");
      else if (run.state === "paused") post("resume");
      else if (run.state === "ready") post("start");
    } else if (e.key === "+" || e.key === "=" || e.key === "-" || e.key === "−") {
      if (!run || !cfg) return;
      const up = e.key === "+" || e.key === "=";
      const speeds = cfg.speeds;
      const next = up ? speeds.find((s) => s > run.speed) : [...speeds].reverse().find((s) => s < run.speed);
      if (next) post("speed", { speed: next });
    }
  }

  function connect() {
    const es = new EventSource("/api/events");
    es.addEventListener("open", () => { live = false; });
    es.addEventListener("run", (e) => onRun(JSON.parse(e.data)));
    es.addEventListener("trace", (e) => onItem(JSON.parse(e.data)));
    es.addEventListener("state", (e) => { onState(JSON.parse(e.data)); live = true; });
    es.addEventListener("error", () => {
      // EventSource reconnects by itself and sends the last event id it
      // saw, so the server replays only what this page missed.
      const s = $("status");
      s.textContent = "reconnecting";
      s.className = "status";
    });
  }

  // --- the run ---
  function reset() {
    current = 0; lanes = {}; versions = {}; marks = []; lastAt = 0; snap = null;
    $("sequence").replaceChildren();
    $("milestones").replaceChildren();
    $("nodes").replaceChildren();
    nodeEls.clear();
    $("services").tBodies[0].replaceChildren();
    $("clock").textContent = "00:00:00";
  }

  function onRun(info) {
    if (!run || info.id !== run.id) {
      reset();
      run = info;
      drawSteps();
      $("scenario").value = info.scenario;
      $("seed").value = info.seed;
    }
    run = info;
    $("run-scenario").textContent = info.scenario;
    $("run-flow").textContent = info.flow + " → " + info.target;
    $("run-seed").textContent = info.seed;
    $("run-speed").textContent = speedText(info.speed);
    $("desc").textContent = info.description || "";
    const s = $("status");
    let word = info.state, cls = info.state;
    if (info.state === "ended") {
      word = info.error ? "error" : (info.verdict || "ended") + (info.outcome ? " · " + info.outcome : "");
      cls = info.error ? "error" : (info.verdict === "pass" || info.verdict === "xfail" ? "pass" : "fail");
    }
    s.textContent = word;
    s.className = "status " + cls;
    if (info.error) notice(info.error);
    // An ended run says how it ended, in the terms `escalator run` uses.
    const res = $("result");
    res.hidden = !(info.state === "ended" && info.summary);
    res.textContent = info.summary || "";
    res.className = "result" + (cls === "pass" ? "" : " fail");
    const sel = $("speed");
    const speeds = cfg.speeds.includes(info.speed) ? cfg.speeds : [...cfg.speeds, info.speed].sort((a, b) => a - b);
    if (sel.options.length !== speeds.length || Number(sel.value) !== info.speed) {
      sel.replaceChildren(...speeds.map((x) => { const o = el("option", "", speedText(x)); o.value = x; return o; }));
      sel.value = String(info.speed);
    }
    updateButtons();
  }

  function updateButtons() {
    const st = run ? run.state : "";
    $("start").disabled = busy || st !== "ready";
    $("pause").disabled = busy || st !== "running";
    $("resume").disabled = busy || st !== "paused";
    $("speed").disabled = busy || !["ready", "running", "paused"].includes(st);
    $("restart").disabled = busy;
    for (const b of $("faults").children) b.disabled = busy || !["running", "paused"].includes(st);
  }

  function drawSteps() {
    const ol = $("steps");
    ol.replaceChildren();
    const steps = (cfg.steps || {})[run.flow];
    $("steps-h").textContent = steps ? "Flow " + run.flow + ", step by step" : "The flow, step by step";
    if (!steps) {
      ol.append(el("li", "none", "Flow " + run.flow + " follows none of the design's seed flows."));
      return;
    }
    for (const s of steps) {
      const li = el("li");
      li.dataset.step = s.n;
      li.append(el("span", "n", String(s.n)), el("span", "title", s.title), el("span", "text", s.text));
      ol.append(li);
    }
    highlightStep();
  }

  function highlightStep() {
    for (const li of $("steps").children) {
      const on = Number(li.dataset.step) === current;
      li.classList.toggle("now", on);
      if (on) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    }
  }

  // --- trace items ---
  function onItem(it) {
    lastAt = Math.max(lastAt, it.at);
    if (it.kind === "node.added") versions[it.subject] = it.fields.version;
    if (it.kind === "node.version") versions[it.subject] = it.fields.to;
    if (it.kind === "node.added" || it.kind === "node.state") {
      const node = it.subject;
      let st = it.kind === "node.added" ? "normal" : it.fields.to;
      if (st === "normal" && run && versions[node] === run.target) st = "upgraded";
      (lanes[node] = lanes[node] || []).push([it.at, st]);
    }
    if ((it.current || 0) !== current) {
      // A new step: its messages, from this one on, are the ones to read.
      current = it.current || 0;
      highlightStep();
      for (const r of $("sequence").querySelectorAll(".msg.now")) r.classList.remove("now");
      if (live) {
        const s = ((cfg.steps || {})[run.flow] || []).find((x) => x.n === current);
        if (s) announce("Step " + s.n + ": " + s.title + ". " + s.text);
      }
    }
    if (it.msg) addRow(it);
    if (it.mark) addMark(it);
    if (live && it.tone === "fault") announce(it.text);
    scheduleTimeline();
  }

  function addRow(it) {
    const m = it.msg;
    const li = el("li", "msg");
    li.dataset.seq = it.seq;
    li.dataset.kind = it.kind;
    if (it.step) li.dataset.step = it.step;
    if (it.tone) li.classList.add("tone-" + it.tone);
    if (it.step && it.step === it.current) li.classList.add("now");
    li.title = it.t + "  " + it.text;
    li.append(el("span", "t", it.t), el("span", "badge", it.step ? String(it.step) : ""));
    const lane = el("span", "lane");
    const x = (i) => 12.5 + 25 * i;
    const arrow = el("span", "arrow");
    const label = el("span", "mlabel", m.label);
    if (m.from === m.to) {
      // A step of its own: the label on the side with more room.
      const left = m.from >= cfg.lifelines.length / 2;
      arrow.classList.add("self");
      if (left) {
        arrow.classList.add("left");
        arrow.style.setProperty("right", (100 - x(m.from)) + "%");
        label.classList.add("end");
        label.style.setProperty("left", "calc(" + x(m.from) + "% - 1.9rem)");
        label.style.setProperty("max-width", "calc(" + x(m.from) + "% - 2rem)");
      } else {
        arrow.style.setProperty("left", x(m.from) + "%");
        label.style.setProperty("left", "calc(" + x(m.from) + "% + 1.9rem)");
        label.style.setProperty("max-width", "calc(" + (100 - x(m.from)) + "% - 2rem)");
      }
    } else {
      const a = Math.min(x(m.from), x(m.to)), b = Math.max(x(m.from), x(m.to));
      arrow.classList.add(m.to > m.from ? "ltr" : "rtl");
      arrow.style.setProperty("left", a + "%");
      arrow.style.setProperty("width", (b - a) + "%");
      // Centred on the arrow, and never wider than the lane allows there.
      const mid = (a + b) / 2;
      label.classList.add("mid");
      label.style.setProperty("left", mid + "%");
      label.style.setProperty("max-width", 2 * Math.min(mid, 100 - mid) + "%");
    }
    lane.append(arrow, label);
    const said = el("span", "sr", cfg.lifelines[m.from] + (m.from === m.to ? "" : " to " + cfg.lifelines[m.to]) + ": ");
    li.append(lane);
    li.prepend(said);
    const list = $("sequence");
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    list.append(li);
    while (list.children.length > MAX_ROWS) list.firstElementChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function addMark(it) {
    marks.push(it);
    const li = el("li", it.mark);
    li.dataset.kind = it.kind;
    li.append(el("span", "t", it.t), el("span", "", it.text));
    $("milestones").prepend(li);
  }

  // --- snapshots ---
  function onState(s) {
    snap = s;
    lastAt = Math.max(lastAt, s.at);
    $("clock").textContent = s.t;
    drawNodes(s);
    drawServices(s);
    scheduleTimeline();
  }

  function vnfStyle(e, color) {
    const i = color >= 0 ? color % VNF_COLORS.length : VNF_COLORS.length - 1;
    e.style.setProperty("--vnf", VNF_COLORS[i]);
    e.style.setProperty("--vnf-ink", VNF_INK[i]);
    e.style.setProperty("--vnf-tint", VNF_TINT[i]);
  }

  function drawNodes(s) {
    const ul = $("nodes");
    for (const n of s.nodes) {
      let card = nodeEls.get(n.id);
      if (!card) {
        card = el("li", "node");
        card.dataset.node = n.id;
        const head = el("div", "node-head");
        head.append(el("span", "node-name", n.id), el("span", "node-state"));
        const meta = el("div", "node-meta");
        meta.append(el("span", "node-version"), el("span", "zone", n.zone));
        card.append(head, meta, el("ul", "vms"));
        card.setAttribute("aria-label", "node " + n.id);
        nodeEls.set(n.id, card);
        ul.append(card);
      }
      const st = nodeState(n);
      const [sym, word] = STATE_WORDS[st] || ["?", st];
      card.className = "node st-" + st;
      card.dataset.state = st;
      card.dataset.version = n.version;
      card.querySelector(".node-state").textContent = sym + " " + word;
      card.querySelector(".node-version").textContent = "version " + n.version + (n.upgraded || !run ? "" : "  (→ " + run.target + ")");
      const vms = card.querySelector(".vms");
      vms.replaceChildren(...n.vms.map((v) => {
        const role = v.role || "vm";
        const c = el("li", "vm role-" + role);
        c.dataset.vm = v.id;
        c.dataset.role = role;
        if (v.state === "down") c.classList.add("down");
        if (v.state === "migrating") c.classList.add("migrating");
        vnfStyle(c, v.color);
        const roleWord = v.state === "down" ? "down" : v.state === "migrating" ? "migrating" : role === "active" ? "ACTIVE" : role;
        c.append(el("span", "", v.id), el("span", "role", roleWord));
        c.title = v.id + ": " + (v.vnf ? "VNF " + v.vnf + ", " : "") + role + ", " + v.state + (v.carrying ? ", serving traffic" : "");
        return c;
      }));
    }
  }

  function drawServices(s) {
    const tb = $("services").tBodies[0];
    const rows = s.vnfs.map((v) => {
      const tr = el("tr");
      tr.dataset.vnf = v.name;
      if (v.lost >= 0.5) tr.classList.add("lost");
      const name = el("td");
      const nm = el("span", "name");
      const sw = el("span", "swatch");
      vnfStyle(sw, v.color);
      nm.append(sw, el("span", "", v.name));
      name.append(nm, el("span", "mode", v.mode + ", " + v.up + "/" + v.instances + " up"));
      const now = el("td");
      const losing = v.rate > 0;
      now.append(el("span", losing ? "losing" : "ok", losing ? "✗ losing " + count(v.rate) + "/s" : "✓ serving"));
      const meter = el("span", "meter" + (losing ? " low" : ""));
      meter.setAttribute("role", "img");
      meter.setAttribute("aria-label", Math.round(v.serving * 100) + "% of the load served now");
      const bar = el("span");
      bar.style.setProperty("width", Math.round(v.serving * 100) + "%");
      meter.append(bar);
      now.append(meter);
      const avail = el("td", "num", (Math.floor(v.availability * 1e5) / 1e3).toFixed(3) + " %");
      const lost = el("td", "num lostn", count(v.lost));
      tr.append(name, now, avail, lost);
      return tr;
    });
    tb.replaceChildren(...rows);
  }

  // --- the session timeline ---
  let timelineQueued = false;
  function scheduleTimeline() {
    if (timelineQueued) return;
    timelineQueued = true;
    requestAnimationFrame(() => { timelineQueued = false; drawTimeline(); });
  }

  function niceStep(span) {
    const mins = [1, 2, 5, 10, 15, 30, 60, 120, 240];
    for (const m of mins) if (span / (m * 60000) <= 8) return m * 60000;
    return 480 * 60000;
  }

  function drawTimeline() {
    const box = $("timeline-box");
    const t = $("timeline");
    const nodes = Object.keys(lanes);
    const width = Math.max(400, box.clientWidth);
    const left = 104, right = 16, top = 22, row = 19;
    const height = top + row * nodes.length + 24;
    t.setAttribute("viewBox", "0 0 " + width + " " + height);
    t.setAttribute("width", width);
    t.setAttribute("height", height);
    const end = Math.max(lastAt, 60000);
    const x = (ms) => left + (width - left - right) * ms / end;
    const kids = [];
    const axis = svg("g", { class: "axis" });
    const step = niceStep(end);
    for (let ms = 0; ms <= end; ms += step) {
      axis.append(svg("line", { x1: x(ms), x2: x(ms), y1: top - 4, y2: top + row * nodes.length }));
      axis.append(svg("text", { x: x(ms), y: height - 6, "text-anchor": "middle" }, clock(ms)));
    }
    kids.push(axis);
    nodes.forEach((node, i) => {
      const y = top + row * i;
      const g = svg("g", { class: "lane" });
      g.append(svg("text", { x: 4, y: y + row - 5 }, node));
      const segs = lanes[node];
      segs.forEach(([at, st], k) => {
        const until = k + 1 < segs.length ? segs[k + 1][0] : lastAt;
        if (until <= at && k + 1 < segs.length) return;
        const r = svg("rect", { x: x(at), y: y + 2, width: Math.max(1.5, x(until) - x(at)), height: row - 4, fill: STATE_COLORS[st] || "#ccc" });
        r.append(svg("title", {}, node + ": " + (STATE_WORDS[st] || ["", st])[1] + " from " + clock(at)));
        g.append(r);
      });
      kids.push(g);
    });
    const ms = svg("g", { class: "marks" });
    const glyph = { session: "▶", batch: "", fault: "⚡", reaction: "!", end: "■" };
    for (const m of marks) {
      const g = svg("g", { class: "mark " + m.mark });
      g.append(svg("line", { x1: x(m.at), x2: x(m.at), y1: 12, y2: top + row * nodes.length }));
      if (glyph[m.mark]) g.append(svg("text", { x: x(m.at), y: 12, "text-anchor": "middle" }, glyph[m.mark]));
      g.append(svg("title", {}, m.t + " " + m.text));
      ms.append(g);
    }
    kids.push(ms);
    const now = svg("g", { class: "now" });
    now.append(svg("line", { x1: x(lastAt), x2: x(lastAt), y1: top - 6, y2: top + row * nodes.length + 2 }));
    kids.push(now);
    const desc = svg("desc", {}, "Each node's state over scenario time: grey in service, orange maintenance, blue upgrading, light blue verifying, green upgraded, red failed; markers for batches, faults and the session's end.");
    t.replaceChildren(desc, ...kids);
  }

  init().catch((e) => notice("The demo could not start: " + e.message));
})();
