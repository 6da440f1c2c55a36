"use strict";
// Renders a payload with the dashboard's own app.js + track_record.js on a minimal fake DOM (no browser) and
// prints what a person would read: {badges, sections: {id: text}, rows: {id: [row text]}}.
// usage: node render_with_node.js <dashboard dir> <payload.json>
const fs = require("fs");
const path = require("path");
const vm = require("vm");

class FakeNode {
  constructor(tag) { this.tag = tag; this.children = []; this.attrs = {}; this.className = ""; this.style = {}; this.hidden = false; }
  setAttribute(k, v) { this.attrs[k] = v; }
  append(...c) { this.children.push(...c); }
  replaceChildren(...c) { this.children = [...c]; }
  set textContent(v) { this.children = [String(v)]; }
  get text() { return this.children.map(c => (c instanceof FakeNode ? c.text : String(c))).join(" ").replace(/\s+/g, " ").trim(); }
  rows() { return this.children.flatMap(c => (c instanceof FakeNode ? (c.tag === "tr" ? [c.text] : c.rows()) : [])); }
}

const byId = {};
const node = id => (byId[id] = byId[id] || new FakeNode("div"));
const context = {
  console, Node: FakeNode, URLSearchParams, location: { search: "" },
  document: {
    createElement: tag => new FakeNode(tag), createElementNS: (_ns, tag) => new FakeNode(tag),
    getElementById: node, querySelector: sel => node(sel), querySelectorAll: () => [],  // markDrift: no rows
  },
  fetch: () => new Promise(() => {}), setInterval: () => 0,
};
vm.createContext(context);
const [dir, payloadPath] = process.argv.slice(2);
for (const file of ["track_record.js", "options.js", "app.js"]) vm.runInContext(fs.readFileSync(path.join(dir, file), "utf8"), context, { filename: file });
const payload = JSON.parse(fs.readFileSync(payloadPath, "utf8"));
context.payload = payload;
vm.runInContext("render(payload)", context);
const sections = {}, rows = {};
for (const [id, n] of Object.entries(byId)) if (id.startsWith("#")) { const key = id.slice(1).split(" ")[0]; sections[key] = n.text; rows[key] = n.rows(); }
console.log(JSON.stringify({ badges: node("badges").children.map(c => c.text), meta: node("meta").text, sections, rows }));
