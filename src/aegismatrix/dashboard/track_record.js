"use strict";
// Track-record panel (issue 15): payload.track_record from the scorecard; inline SVG charts, no remote scripts.
// Uses el(), num(), pct() from app.js (loaded after this file; called only once the payload has arrived).

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

// A line chart of one or more series [{points: [{date, value}], cls}] with an optional shaded band [lo, hi].
function lineChart(series, band, title) {
  const W = 560, H = 160, P = 28;
  const values = series.flatMap(s => s.points.map(p => p.value)).concat(band || []);
  if (!values.length) return el("p", { class: "muted" }, title + ": no matured rows yet");
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const n = Math.max(...series.map(s => s.points.length));
  const x = i => P + (W - 2 * P) * (n > 1 ? i / (n - 1) : 0.5);
  const y = v => H - P - (H - 2 * P) * (v - lo) / span;
  const paths = series.map(s => svg("polyline", { class: "tr-line " + s.cls, fill: "none",
    points: s.points.map((p, i) => x(i).toFixed(1) + "," + y(p.value).toFixed(1)).join(" ") }));
  const shade = band ? svg("rect", { class: "tr-band", x: P, width: W - 2 * P, y: y(band[1]), height: Math.max(1, y(band[0]) - y(band[1])) }) : null;
  const first = series[0].points[0], last = series[0].points[series[0].points.length - 1];
  const axis = [svg("text", { x: 2, y: y(hi) + 4, class: "tr-axis" }, num(hi * 100, 0) + "%"),
    svg("text", { x: 2, y: y(lo), class: "tr-axis" }, num(lo * 100, 0) + "%"),
    first ? svg("text", { x: P, y: H - 6, class: "tr-axis" }, first.date) : null,
    last ? svg("text", { x: W - P - 70, y: H - 6, class: "tr-axis" }, last.date) : null];
  return el("figure", { class: "tr-chart" }, el("figcaption", { class: "small muted" }, title),
    svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, shade, paths, axis));
}

function driftBadge(flag) {
  return el("span", { class: "badge tr-drift", title: "realised " + pct(flag.observed) + " over the last " + flag.n +
    " matured rows, outside the 95% band " + pct(flag.band[0]) + "–" + pct(flag.band[1]) + " around " + pct(flag.expected) },
    "drift");
}

function rangeRows(tr) {
  const drift = Object.fromEntries((tr.drift || []).map(f => [f.signal, f]));
  return (tr.safe_ranges || []).map(r => {
    const flag = drift["seller.safe_range/" + r.tenor_days + "d"];
    return el("tr", { class: "tr-range" }, el("td", {}, r.tenor_days + "d"),
      el("td", {}, pct(r.breach_rate), r.ci95 ? el("span", { class: "small muted" }, " [" + pct(r.ci95[0]) + ", " + pct(r.ci95[1]) + "]") : null),
      el("td", {}, pct(r.target)), el("td", {}, String(r.n_matured)), el("td", {}, String(r.n_pending)),
      el("td", {}, flag ? driftBadge(flag) : el("span", { class: "muted" }, "in band")));
  });
}

function renderTrackRecord(tr) {
  if (!tr || !tr.available) return el("p", { class: "muted" }, "No track record yet: " + ((tr && tr.reason) || "this payload has none"));
  const table = el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["Safe range", "Realised breach [95%]", "Target", "Matured", "Pending", "Drift"].map(h => el("th", {}, h)))),
    el("tbody", {}, rangeRows(tr)));
  const charts = (tr.safe_ranges || []).map(r => lineChart([{ points: r.rolling_63 || [], cls: "tr-rate" }],
    r.target === null ? null : [Math.max(0, r.target - 0.05), r.target + 0.05],
    r.tenor_days + "-day range: 63-session rolling breach rate vs target ±5 pts"));
  const vol = (tr.vol && tr.vol.series) || [];
  charts.push(lineChart([{ points: vol.map(p => ({ date: p.date, value: p.forecast })), cls: "tr-forecast" },
    { points: vol.map(p => ({ date: p.date, value: p.realised })), cls: "tr-realised" }], null,
    "21-day vol: forecast (blue) vs realised (black)"));
  return [el("p", { class: "small muted" }, tr.ledger_rows + " ledger rows scored to " + tr.market_last_date +
    "; vol RMSE / naive trailing vol " + num(tr.vol_rmse_ratio_to_naive, 3)), table, el("div", { class: "tr-charts" }, charts)];
}

// A signal with a drift flag says so next to its value: mark the seller's safe-range rows.
function markDrift(tr) {
  const flagged = new Set(((tr && tr.drift) || []).map(f => f.signal));
  document.querySelectorAll("#seller tr.safe-range").forEach(row => {
    const tenor = row.cells[0].textContent.trim();
    if (flagged.has("seller.safe_range/" + tenor)) row.cells[0].append(" ", driftBadge(tr.drift.find(f => f.signal === "seller.safe_range/" + tenor)));
  });
}
