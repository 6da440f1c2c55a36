"use strict";
// AegisMatrix dashboard: renders aegismatrix.json (contract: docs/payload.md) with plain DOM calls.

const STALE_CACHE_HOURS = 24;
const REFRESH_MS = 5 * 60 * 1000;  // while the session is live (refreshWhileOpen)

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "style") node.style.cssText = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

const num = (x, d = 2, min = d) => (x === null || x === undefined ? "–" :
  Number(x).toLocaleString("en-IN", { minimumFractionDigits: min, maximumFractionDigits: d }));
const pct = (p, d = 1) => (p === null || p === undefined ? "–" : num(p * 100, d) + "%");
const signed = (x, d = 2) => (x > 0 ? "+" : "") + num(x, d);

function sourceBadge(source) {
  const text = { model: "model", baseline: "baseline · no edge", heuristic: "heuristic" }[source] || String(source);
  return el("span", { class: "badge src-" + source, title: "model_source: " + source }, text);
}

function kv(rows) {
  return el("table", { class: "kv" }, rows.map(([k, v, badge]) =>
    el("tr", {}, el("th", {}, k), el("td", {}, v, badge ? " " : null, badge || null))));
}

function drivers(title, list) {
  if (!list || !list.length) return el("div", { class: "drivers muted" }, title + ": no drivers (baseline or heuristic)");
  return el("div", { class: "drivers" }, el("div", { class: "drivers-title" }, title),
    el("ol", {}, list.map(d => el("li", {},
      el("code", {}, d.feature), " = ", num(d.value, 4, 0), " ",
      el("span", { class: d.contribution >= 0 ? "pos" : "neg" }, "(" + signed(d.contribution, 4) + ")")))));
}

function probBar(p) {
  const seg = (cls, v, label) => el("div", { class: "seg " + cls, style: "width:" + (v * 100).toFixed(1) + "%",
    title: label + " " + pct(v) }, v >= 0.12 ? pct(v, 0) : "");
  return el("div", { class: "pbar" }, seg("down", p.p_down, "DOWN"), seg("neutral", p.p_neutral, "NEUTRAL"), seg("up", p.p_up, "UP"));
}

function sessionMeta(d) {
  // The session clock at the fetch and the decision instant (issue 24): never read from the browser's clock.
  const st = d.data.session, at = d.market.decision_at;
  const parts = st ? [" · ", el("span", { id: "session-state", "data-state": st.state }, SESSION_STATES[st.state] || st.state)] : [];
  if (at) parts.push(" · ", el("span", {}, "decided at ", el("strong", { id: "decision-at" }, at)));
  return parts;
}

function renderHeader(d) {
  document.getElementById("meta").replaceChildren(
    el("span", {}, "Data as of ", el("strong", { id: "data-as-of" }, d.data_as_of)), " · ",
    el("span", {}, "generated ", el("strong", {}, d.generated_at.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC"))), " · ",
    el("span", {}, "source ", el("strong", { id: "data-source" }, d.data.source)), ...sessionMeta(d));
  const badges = [];
  if (String(d.data.source).toLowerCase() === "synthetic")
    badges.push(el("span", { class: "warn" }, "⚠ SYNTHETIC DATA: not real market prices"));
  const ages = Object.values(d.data.provenance || {}).map(p => p.cache_age_hours).filter(a => typeof a === "number");
  const maxAge = ages.length ? Math.max(...ages) : 0;
  if (d.data.stale === true || maxAge > STALE_CACHE_HOURS)
    badges.push(el("span", { class: "warn" }, "⚠ STALE CACHE: data " + num(maxAge, 1) + " h old"));
  for (const w of splitWarnings(d).served) badges.push(el("span", { class: "note" }, w));
  document.getElementById("badges").replaceChildren(...badges);
}

// A validation finding of one symbol ("<key> <check> (<action>, <n> rows, e.g. <dates>): <message>", from the
// data-quality report) is about history rows; unless its dates reach data_as_of no served signal rests on it, so
// it goes to the data-quality section at the bottom. Everything else (baselines served, values unavailable,
// synthetic fallback, data_as_of behind the index) stays above the signals.
const FINDING = /^\S+ \S+ \((warn|drop|repair|fail)\w*, \d+ rows/;

function splitWarnings(d) {
  const perSymbol = new Set(Object.values(d.data.provenance || {}).flatMap(p => p.warnings || []));
  const served = [], quality = [];
  for (const w of d.data.warnings || []) {
    const history = perSymbol.has(w) && FINDING.test(w) && !w.includes(String(d.data_as_of));
    (history ? quality : served).push(w);
  }
  return { served, quality };
}

function renderDataQuality(d) {
  const quality = splitWarnings(d).quality;
  if (!quality.length) return el("p", { class: "muted" }, "No data-quality notices.");
  return [el("p", { class: "muted small" }, "Findings on history rows that no served signal uses (full list: the data quality report)."),
    el("ul", { class: "quality" }, quality.map(w => el("li", {}, w)))];
}

const DECISION_TIMES = { close: "after the NSE close", preopen: "pre-open, 09:00 IST next session",
  intraday: "intraday (live spot; daily signals of the last completed session)" };
const SESSION_STATES = { open: "NSE session open", closing: "NSE closing (final close pending)",
  pre_open: "NSE pre-open", closed_before: "NSE opens later today", closed_after: "NSE closed for the day",
  holiday: "NSE holiday", weekend: "weekend" };
const LIVE_STATES = ["pre_open", "open", "closing"];  // the page refreshes itself only in these (issue 24)

function overnightRows(o) {
  // The US session the decision time allowed (issue 14); a US holiday is shown, never filled in.
  if (!o) return [];
  const rows = [["US session", el("span", {}, o.us_date, o.fresh_session ? "" : el("span", { class: "muted small" }, " · no new US session (holiday)"))],
    ["S&P 500 return", pct(o.sp500_return, 2)], ["Cboe VIX", num(o.us_vix) + " (" + signed(100 * (o.us_vix_change || 0), 1) + "%)"]];
  const g = o.expected_gap;
  if (g) rows.push(["Expected gap", el("span", { id: "expected-gap" }, signed(g.points, 0) + " pts (" + pct(g.value, 2) + ")",
    el("div", { class: "muted small" }, num(g.lower_points, 0) + " – " + num(g.upper_points, 0) + " pts, " + pct(g.interval_coverage, 0) + " interval")),
    sourceBadge(g.model_source)]);
  return rows;
}

function renderMarket(m) {
  return kv([
    ["Decision time", el("strong", { id: "decision-time", title: m.decision_at || "" }, DECISION_TIMES[m.decision_time] || "after the NSE close (not stated)")],
    ["Spot", el("span", { class: "big", id: "spot" }, num(m.spot))],
    ["Change", el("span", { class: m.change >= 0 ? "pos" : "neg" }, signed(m.change) + " (" + signed(m.change_pct) + "%)")],
    ["India VIX", num(m.vix)],
    ["Vol regime", el("span", { class: "regime r-" + m.vol_regime }, m.vol_regime)],
    ...overnightRows(m.overnight),
    ...ivContextRows(m.iv_context),
  ]);
}

function ivContextRows(iv) {
  if (!iv) return [];
  const spread = iv.implied_minus_realised;
  return [["IV rank / percentile (252d)", pct(iv.vix_rank, 0) + " / " + pct(iv.vix_percentile, 0) +
    (iv.reason ? " (" + iv.reason + ")" : "")],
  ["Implied − realised vol", spread === null ? "–" : el("span", { class: spread >= 0 ? "pos" : "neg" },
    signed(spread * 100, 1) + " vol pts"), el("span", { class: "muted small" }, "RV 21d " + pct(iv.realised_vol_21d))]];
}

const EVENT_NAMES = { union_budget: "Budget", rbi_policy: "RBI", election_result: "Election result", fomc: "FOMC" };

// the option market's probability beside the model's (issue 22), only where a chain priced it
const marketPct = p => (p === null || p === undefined ? "" : " · mkt " + pct(p));

function ladderNote(rungs) {
  const reasons = [...new Set(rungs.map(r => r.market_reason).filter(r => r))];
  return reasons.length ? el("p", { class: "muted small" }, "Market columns n/a: " + reasons.join("; ")) : [];
}

function expiryRow(x, alsoMonthly) {
  const events = x.events.length ? x.events.map(e => (EVENT_NAMES[e.kind] || e.kind) + " " + e.session.slice(5)).join(", ") : "none";
  const kind = x.expiry_kind + (x.expiry_rank > 1 ? " #" + x.expiry_rank : "") + (alsoMonthly ? " · monthly" : "");
  return el("tr", { class: "expiry" },
    el("td", {}, x.expiry), el("td", {}, kind),
    el("td", {}, x.trading_days + "d / " + x.calendar_days + "cd"),
    el("td", {}, num(x.lower, 0) + " – " + num(x.upper, 0)),
    el("td", {}, num(x.strike_lower, 0) + " PE / " + num(x.strike_upper, 0) + " CE"),
    el("td", {}, pct(x.p_touch) + marketPct(x.p_touch_market)),
    el("td", {}, pct(x.p_expire_beyond) + marketPct(x.p_expire_beyond_market)), el("td", {}, events),
    el("td", {}, el("span", { class: "badge src-" + (x.model_source === "calibrated" ? "model" : "heuristic") }, x.model_source)));
}

// A monthly expiry on the day of a listed weekly one is the same contract day: one row, "weekly #2 · monthly".
function expiryRows(expiries) {
  const merged = new Set(expiries.filter(x => x.expiry_kind === "monthly" && x.same_expiry_as).map(x => x.expiry));
  return expiries.filter(x => !(x.expiry_kind === "monthly" && x.same_expiry_as))
    .map(x => expiryRow(x, x.expiry_kind === "weekly" && merged.has(x.expiry)));
}

function renderExpiries(s) {
  if (!s.expiries || !s.expiries.length) return el("p", { class: "muted" }, "Expiries n/a: " + (s.expiries_reason || "none"));
  const head = ["Expiry", "Kind", "Sessions / cal. days", "Range", "Strikes", "P(touch)", "P(expire beyond)", "Events", "Source"];
  const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {}, head.map(h => el("th", {}, h)))),
    el("tbody", {}, expiryRows(s.expiries)));
  const first = s.expiries.find(x => x.strike_ladder && x.strike_ladder.length);
  if (!first) return table;
  const ladder = el("table", { class: "grid ladder" },
    el("thead", {}, el("tr", {}, ["Strike", "Side", "From spot", "P(touch)", "P(expire beyond)", "Mkt P(touch)",
      "Mkt P(expire beyond)", "Premium", "IV", "Richness"].map(h => el("th", {}, h)))),
    el("tbody", {}, first.strike_ladder.map(r => el("tr", { class: "ladder-row" },
      el("td", {}, num(r.strike, 0)), el("td", {}, r.side === "call" ? "CE" : "PE"),
      el("td", {}, signed(r.distance_points, 0)), el("td", {}, pct(r.p_touch)), el("td", {}, pct(r.p_expire_beyond)),
      el("td", {}, pct(r.p_touch_market)), el("td", {}, pct(r.p_expire_beyond_market)), el("td", {}, num(r.premium, 1)),
      el("td", {}, pct(r.iv)), el("td", {}, num(r.richness, 2))))));
  return [table, el("h3", {}, "Strike ladder · " + first.expiry), ladder, ladderNote(first.strike_ladder),
    el("p", { class: "muted small" }, "Touch: traded beyond the strike (highs/lows) by expiry; expire beyond: expiry close beyond it. " +
      "Out-of-sample frequencies of past windows with the same sessions to expiry, scaled by India VIX. " +
      "Mkt: the option chain of the same date and expiry (risk-neutral; premium = settlement price); " +
      "richness = market / model P(expire beyond).")];
}

function renderDirection(dir) {
  const head = el("tr", {}, ["Horizon", "P(down / neutral / up)", "Label", "Conviction", "Expected |move|", "Interval", "Source"]
    .map(h => el("th", {}, h)));
  const rows = dir.horizons.map(h => el("tr", {},
    el("td", {}, h.horizon_days + "d", el("div", { class: "muted small" }, "band ±" + pct(h.neutral_band, 2))),
    el("td", { class: "barcell" }, probBar(h)),
    el("td", {}, el("span", { class: "label l-" + h.label }, h.label)),
    el("td", {}, pct(h.conviction, 0)),
    el("td", {}, num(h.expected_abs_move_points, 0) + " pts"),
    el("td", {}, num(h.move_lower_points, 0) + " – " + num(h.move_upper_points, 0) + " pts",
      h.interval_coverage ? el("div", { class: "muted small" }, pct(h.interval_coverage, 0) + " coverage") : null),
    el("td", {}, sourceBadge(h.model_source),
      h.served_by ? el("div", { class: "muted small", title: "the model that served these probabilities" }, h.served_by) : null)));
  const drv = dir.horizons.filter(h => h.top_drivers && h.top_drivers.length)
    .map(h => drivers("Drivers " + h.horizon_days + "d" + (h.drivers_from ? " (" + h.drivers_from + ")" : ""), h.top_drivers));
  return [el("table", { class: "grid" }, el("thead", {}, head), el("tbody", {}, rows)), el("div", { class: "driver-row" }, drv)];
}

function renderSeller(s) {
  const src = s.model_source || {};
  const ranges = el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["Tenor", "Lower", "Upper", "Breach P", "Target"].map(h => el("th", {}, h)))),
    el("tbody", {}, s.safe_ranges.map(r => el("tr", { class: "safe-range" },
      el("td", {}, r.tenor_days + "d"), el("td", {}, num(r.lower, 0)), el("td", {}, num(r.upper, 0)),
      el("td", {}, pct(r.breach_probability)), el("td", {}, pct(r.target_breach_probability))))));
  const mp = s.max_pain.value === null ? el("span", { class: "muted" }, "n/a: " + s.max_pain.reason) : num(s.max_pain.value, 0);
  return [
    kv([
      ["Vol forecast 21d", pct(s.vol_forecast_21d) + " ann.", sourceBadge(src.vol_forecast_21d)],
      ["Vol regime (next 21d)", el("span", {}, el("span", { class: "regime r-" + s.vol_regime }, s.vol_regime),
        el("span", { class: "muted small" }, "  low " + pct(s.p_vol_low, 0) + " · med " + pct(s.p_vol_medium, 0) +
          " · high " + pct(s.p_vol_high, 0))), sourceBadge(src.vol_regime)],
      ["Trap probability (5d)", pct(s.trap_probability), sourceBadge(src.trap_probability)],
      ["Max pain", mp],
    ]),
    el("h3", {}, "Safe ranges ", sourceBadge(src.safe_ranges)), ranges,
    Object.entries(s.top_drivers || {}).map(([k, v]) => drivers("Drivers: " + k, v)),
  ];
}

function renderBuyer(b) {
  const src = b.model_source || {};
  const gw = b.gamma_windows === null ? el("p", { class: "muted" }, "Gamma windows n/a: " + b.gamma_windows_reason)
    : el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["Window (IST)", "Typical |move|"].map(h => el("th", {}, h)))),
      el("tbody", {}, b.gamma_windows.map(w => el("tr", {}, el("td", {}, w.start + "–" + w.end),
        el("td", {}, num(w.typical_abs_move_points, 0) + " pts")))));
  return [
    kv([
      ["Breakout probability", pct(b.breakout_probability), sourceBadge(src.breakout_probability)],
      ["Spike bias", el("span", { class: "bias b-" + b.spike_bias }, b.spike_bias.toUpperCase()),
        sourceBadge(src.spike_up_probability)],
      ["P(up / down breakout)", pct(b.p_breakout_up) + " / " + pct(b.p_breakout_down)],
      ["P(spike closes up)", pct(b.spike_up_probability)],
      ["Theta ratio forecast", num(b.theta_ratio_forecast), sourceBadge(src.theta_ratio_forecast)],
      ["Theta edge", el("span", { class: b.theta_edge >= 0 ? "pos" : "neg" }, signed(b.theta_edge) +
        (b.theta_edge >= 0 ? " (sellers' edge)" : " (buyers' edge)"))],
    ]),
    el("h3", {}, "Gamma windows ", src.gamma_windows ? sourceBadge(src.gamma_windows) : null), gw,
    Object.entries(b.top_drivers || {}).map(([k, v]) => drivers("Drivers: " + k, v)),
  ];
}

function renderModels(models) {
  const head = el("tr", {}, ["Model", "Name", "Version", "Metric", "Score", "Baseline", "Skill", "Status"].map(h => el("th", {}, h)));
  const rows = Object.entries(models).map(([key, m]) => el("tr", {},
    el("td", {}, el("code", {}, key)), el("td", {}, m.name), el("td", { class: "small" }, m.version || "missing"),
    el("td", {}, m.oos.metric), el("td", {}, num(m.oos.score, 4, 0)),
    el("td", {}, m.oos.baseline + " " + num(m.oos.baseline_score, 4, 0)),
    el("td", {}, m.oos.skill === null ? "–" : signed(m.oos.skill * 100, 1) + "%"),
    el("td", {}, el("span", { class: "badge " + (m.status === "edge" ? "src-model" : "src-baseline") },
      m.status === "edge" ? "edge" : "no edge"))));
  return el("table", { class: "grid" }, el("thead", {}, head), el("tbody", {}, rows));
}

function render(d) {
  renderHeader(d);
  const put = (id, nodes) => document.querySelector("#" + id + " .body").replaceChildren(...[nodes].flat(2));
  put("market", renderMarket(d.market));
  put("direction", renderDirection(d.direction));
  put("seller", renderSeller(d.seller));
  put("expiries", renderExpiries(d.seller));
  put("options", renderOptions(d.seller));  // options.js (issue 22)
  put("buyer", renderBuyer(d.buyer));
  put("models", renderModels(d.models || {}));
  put("data-quality", renderDataQuality(d));
  put("track-record", renderTrackRecord(d.track_record));  // track_record.js (issue 15)
  markDrift(d.track_record);
  document.getElementById("error").hidden = true;
  document.getElementById("content").hidden = false;
}

function showError(message, src) {
  const box = document.getElementById("error");
  box.replaceChildren(el("strong", {}, "Could not load signals. "), message,
    el("div", { class: "small" }, "Serve this folder over HTTP (python -m http.server -d <folder>) and check that " + src + " exists."));
  box.hidden = false;
  document.getElementById("content").hidden = true;
  document.getElementById("meta").textContent = "No data";
}

async function load() {
  const src = new URLSearchParams(location.search).get("src") || "aegismatrix.json";
  let data;
  try {
    const resp = await fetch(src, { cache: "no-store" });
    if (!resp.ok) throw new Error("HTTP " + resp.status + " " + resp.statusText);
    data = await resp.json();
  } catch (e) {
    showError("Failed to fetch " + src + ": " + e.message, src);
    return;
  }
  const missing = ["data_as_of", "generated_at", "data", "market", "direction", "seller", "buyer"].filter(k => !(k in Object(data)));
  if (missing.length) return showError(src + " does not match the payload contract: missing " + missing.join(", "), src);
  try { render(data); } catch (e) { showError(src + " does not match the payload contract: " + e.message, src); }
}

async function refreshWhileOpen() {
  // Reload every REFRESH_MS while the payload says the NSE session is live; after the close it stays put.
  await load();
  const state = document.getElementById("session-state");
  if (state && LIVE_STATES.includes(state.dataset.state)) setTimeout(refreshWhileOpen, REFRESH_MS);
}

refreshWhileOpen();
