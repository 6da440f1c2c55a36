"use strict";
// Option-chain panel (issue 22): payload.seller.option_chain.market, the decision date's own NSE chain: IV rank,
// smile summary per expiry, the nearest expiry's smile (inline SVG) and the strike ladder's market columns beside
// the model's. Without a chain of that date: the reason, never a guess. Uses el(), num(), pct() from app.js and
// svg() from track_record.js (called only once the payload has arrived).

function smileChart(smile, forward) {
  const W = 560, H = 170, P = 30;
  const pts = (smile || []).filter(p => p.iv !== null && p.iv !== undefined);
  if (pts.length < 2) return el("p", { class: "muted" }, "Smile: fewer than two strikes with an implied volatility");
  const ks = pts.map(p => p.strike), vs = pts.map(p => p.iv);
  const kLo = Math.min(...ks), kHi = Math.max(...ks), vLo = Math.min(...vs), vHi = Math.max(...vs);
  const x = k => P + (W - 2 * P) * (k - kLo) / ((kHi - kLo) || 1);
  const y = v => H - P - (H - 2 * P) * (v - vLo) / ((vHi - vLo) || 1);
  const line = svg("polyline", { class: "tr-line model", fill: "none",
    points: pts.map(p => x(p.strike).toFixed(1) + "," + y(p.iv).toFixed(1)).join(" ") });
  const fwd = forward ? svg("line", { class: "tr-band", x1: x(forward), x2: x(forward), y1: P, y2: H - P }) : null;
  const axis = [svg("text", { x: 2, y: y(vHi) + 4, class: "tr-axis" }, pct(vHi, 0)),
    svg("text", { x: 2, y: y(vLo), class: "tr-axis" }, pct(vLo, 0)),
    svg("text", { x: P, y: H - 6, class: "tr-axis" }, num(kLo, 0)),
    svg("text", { x: W - P - 40, y: H - 6, class: "tr-axis" }, num(kHi, 0))];
  return el("figure", { class: "tr-chart" },
    el("figcaption", { class: "small muted" }, "Smile: Black-76 IV per strike (line: the parity forward)"),
    svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "implied volatility smile" }, fwd, line, axis));
}

function expiryTable(expiries) {
  const head = ["Expiry", "Days", "Forward", "ATM IV", "RR 25Δ", "BF 25Δ", "Straddle", "PCR OI", "PCR vol",
    "Call wall", "Put wall", "Max pain"].map(h => el("th", {}, h));
  const rows = expiries.map(e => el("tr", {}, el("td", {}, e.expiry), el("td", {}, num(e.calendar_days, 0)),
    el("td", {}, num(e.forward, 0)), el("td", {}, pct(e.atm_iv)), el("td", {}, pct(e.risk_reversal_25d)),
    el("td", {}, pct(e.butterfly_25d)), el("td", {}, num(e.straddle_points, 1) + " (" + pct(e.expected_move_fraction) + ")"),
    el("td", {}, num(e.pcr_oi)), el("td", {}, num(e.pcr_volume)), el("td", {}, num(e.call_wall_strike, 0)),
    el("td", {}, num(e.put_wall_strike, 0)), el("td", {}, num(e.max_pain, 0))));
  return el("table", { class: "grid", id: "chain-expiries" }, el("thead", {}, el("tr", {}, head)), el("tbody", {}, rows));
}

function ladderTable(ladder) {
  if (!ladder || !ladder.length) return el("p", { class: "muted" }, "Strike ladder: no rows for this date");
  const head = ["Expiry", "Strike", "Side", "P(touch) model", "market", "P(expire beyond) model", "market",
    "Premium", "IV", "Richness"].map(h => el("th", {}, h));
  const rows = ladder.map(r => el("tr", { title: r.market_reason || "" }, el("td", {}, r.expiry), el("td", {}, num(r.strike, 0)),
    el("td", {}, r.side), el("td", {}, pct(r.p_touch)), el("td", {}, pct(r.p_touch_market)),
    el("td", {}, pct(r.p_expire_beyond)), el("td", {}, pct(r.p_expire_beyond_market)),
    el("td", {}, r.premium === null ? "–" : num(r.premium) + (r.traded ? "" : " (settle, untraded)")),
    el("td", {}, pct(r.iv)), el("td", {}, r.richness === null ? (r.market_reason || "–") : num(r.richness))));
  return el("table", { class: "grid", id: "chain-ladder" }, el("thead", {}, el("tr", {}, head)), el("tbody", {}, rows));
}

function renderOptions(seller) {
  const chain = (seller || {}).option_chain || {};
  const m = chain.market;
  if (!m) return el("p", { class: "muted", id: "chain-reason" },
    "Option chain n/a: " + (chain.reason || "no chain of the decision date (market view needs option_chain_daily)"));
  const first = m.expiries[0] || {};
  return [
    el("p", {}, "Chain of ", el("strong", { id: "chain-date" }, m.date), " · ", m.source,
      " · IV 30d ", pct(m.iv_30d), " · rank ", pct(m.iv_rank, 0), " · percentile ", pct(m.iv_percentile, 0),
      el("span", { class: "small muted" }, " (" + (m.iv_rank_source || "–") + ")")),
    el("p", { class: "small muted" }, "Market probabilities are risk-neutral (they carry the premium sellers are paid); " +
      "the model's are real-world. Richness = market / model P(expire beyond)."),
    expiryTable(m.expiries),
    smileChart(first.smile, first.forward),
    ladderTable(m.ladder)];
}
