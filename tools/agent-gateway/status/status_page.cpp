#include "tools/agent-gateway/status/status_page.hpp"

namespace sr::gateway {

namespace {

// Everything the page shows comes from /status and /inventory; text is set
// with textContent, never innerHTML, so names from agents cannot inject markup.
// /inventory needs the admin token: the operator types it into the page,
// which keeps it in sessionStorage (this tab only) and sends it as a bearer
// token; without it the page shows /status alone. It asks with ?stale=1 so
// that, while agents stream, it shows the last summary instead of nothing.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agent-gateway status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
  table { border-collapse: collapse; margin: .5em 0 1em; }
  th, td { padding: .25em .7em; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: #17733a; } .bad { color: #b3261e; } .dim { color: #777; }
  svg { background: #fafafa; border: 1px solid #eee; }
  #err { color: #b3261e; }
</style>
</head>
<body>
<h1>agent-gateway status</h1>
<p class="dim">Refreshed every 5 s from <a href="/status">/status</a> and /inventory. <span id="when"></span> <span id="err"></span></p>
<form id="tokenform"><label>Admin token (for the inventory counts): <input id="token" type="password" autocomplete="off"></label> <button>use</button> <span id="invnote" class="dim"></span></form>
<div id="tenants"></div>
<script>
"use strict";
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
  return e;
};
const table = (head, rows) => el("table", {}, el("tr", {}, ...head.map(h => el("th", {}, h))), ...rows);
const num = v => el("td", {class: "n"}, v == null ? "" : Number(v).toLocaleString());
const ago = (now, t) => !t ? "never" : (now - t < 90 ? (now - t) + " s ago" : Math.round((now - t) / 60) + " min ago");
const resultCell = r => el("td", {class: r === "ok" ? "ok" : (r === "failed" ? "bad" : "")}, r || "");

// Devices over the recent runs of one source: a small SVG line.
function chart(runs) {
  const w = 160, h = 36, svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h);
  if (!runs || runs.length === 0) return svg;
  const max = Math.max(1, ...runs.map(r => r.devices));
  const step = runs.length > 1 ? (w - 8) / (runs.length - 1) : 0;
  const pts = runs.map((r, i) => [4 + i * step, h - 4 - (h - 8) * r.devices / max]);
  const line = document.createElementNS(svgNS, "polyline");
  line.setAttribute("points", pts.map(p => p.join(",")).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#1a5fb4"); line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  runs.forEach((r, i) => {
    const c = document.createElementNS(svgNS, "circle");
    c.setAttribute("cx", pts[i][0]); c.setAttribute("cy", pts[i][1]); c.setAttribute("r", 2);
    c.setAttribute("fill", r.result === "failed" ? "#b3261e" : "#1a5fb4");
    const t = document.createElementNS(svgNS, "title");
    t.textContent = r.at + ": " + r.devices + " devices (" + r.result + ")";
    c.append(t); svg.append(c);
  });
  return svg;
}

function render(status, inventory) {
  const now = status.server_time;
  const root = document.getElementById("tenants");
  const names = new Set([...Object.keys(status.tenants || {}), ...Object.keys((inventory && inventory.tenants) || {})]);
  const out = [];
  for (const name of [...names].sort()) {
    const t = (status.tenants || {})[name] || {agents: [], sources: {}, streams: {}};
    const inv = inventory && inventory.tenants ? inventory.tenants[name] : null;
    out.push(el("h2", {}, "tenant " + name));
    out.push(table(["agent", "state", "last seen", "version", "host", "config acked", "last stream"],
      (t.agents || []).map(a => el("tr", {},
        el("td", {}, a.agent_id), el("td", {class: a.state === "online" ? "ok" : "bad"}, a.state),
        el("td", {}, ago(now, a.last_seen)), el("td", {}, a.version), el("td", {}, a.hostname),
        el("td", {}, (a.config_acked || "").slice(0, 13)),
        el("td", {}, a.last_stream ? a.last_stream.result + ", " + a.last_stream.devices + " devices, " + ago(now, a.last_stream.at) : "")))));
    const sources = Object.entries(t.sources || {}).sort();
    out.push(table(["source", "type", "agent", "last run", "result", "devices", "error", "devices over recent runs"],
      sources.map(([sname, s]) => el("tr", {},
        el("td", {}, sname), el("td", {}, s.type), el("td", {}, s.agent_id), el("td", {}, s.last_run || "never"),
        resultCell(s.result), num(s.devices),
        el("td", {class: "bad"}, s.error ? (s.stage ? s.stage + ": " : "") + s.error : (s.send_error || "")),
        el("td", {}, chart(s.runs))))));
    if (inv) {
      const by = Object.entries(inv.by_source || {}).sort();
      out.push(table(["canonical devices", "count"],
        [el("tr", {}, el("td", {}, "all sources"), num(inv.devices)),
         ...by.map(([src, n]) => el("tr", {}, el("td", {}, "reported by " + src), num(n))),
         el("tr", {}, el("td", {}, "unavailable (is_available false or missing)"), num(inv.unavailable || 0)),
         el("tr", {}, el("td", {}, "deleted (metadata _deleted = \"true\")"), num(inv.deleted || 0))]));
    }
  }
  root.replaceChildren(...out);
  document.getElementById("when").textContent = "Last update: " + new Date().toLocaleTimeString() + ".";
}

let lastInventory = null;
async function fetchInventory() {
  const token = sessionStorage.getItem("sr-admin-token");
  const note = document.getElementById("invnote");
  if (!token) { note.textContent = "inventory counts need the admin token"; return null; }
  const r = await fetch("/inventory?stale=1&limit=1000", {headers: {"Authorization": "Bearer " + token}});
  if (r.ok) { lastInventory = await r.json(); note.textContent = lastInventory.stale ? "inventory counts updating" : ""; }
  else if (r.status === 503) note.textContent = "inventory counts updating";
  else { lastInventory = null; note.textContent = "inventory: HTTP " + r.status + " (token refused?)"; }
  return lastInventory;
}
document.getElementById("tokenform").addEventListener("submit", ev => {
  ev.preventDefault();
  sessionStorage.setItem("sr-admin-token", document.getElementById("token").value);
  document.getElementById("token").value = "";
  refresh();
});

async function refresh() {
  try {
    const status = await (await fetch("/status")).json();
    const inventory = await fetchInventory();
    render(status, inventory);
    document.getElementById("err").textContent = "";
  } catch (e) {
    document.getElementById("err").textContent = "cannot reach the gateway: " + e;
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html() { return kPage; }

}  // namespace sr::gateway
