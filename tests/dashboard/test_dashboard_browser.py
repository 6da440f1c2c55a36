"""The dashboard page rendered by headless Chromium shows what a trader needs (skipped without a browser)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aegismatrix.dashboard import render_dashboard
from aegismatrix.payload.publish import publish_payload
from tests.payload.example import example_payload

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None,
                                   reason="no chromium binary on PATH (apt-get install chromium)")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """Collects the text a person sees (no script/style, no hidden subtrees) overall and per table row."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.rows: list[str] = []
        self._stack: list[tuple[str, bool, int]] = []

    def _hidden(self) -> bool:
        return any(h for _, h, _ in self._stack)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        hidden = tag in {"script", "style", "head"} or any(k == "hidden" for k, _ in attrs)
        self._stack.append((tag, hidden, len(self.chunks)))

    def handle_endtag(self, tag):
        while self._stack:
            name, _, start = self._stack.pop()
            if name == tag:
                if tag == "tr" and not self._hidden():
                    self.rows.append(" ".join(self.chunks[start:]))
                return

    def handle_data(self, data):
        if data.strip() and not self._hidden():
            self.chunks.append(" ".join(data.split()))

    @property
    def text(self) -> str:
        return " ".join(self.chunks)


class QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler without access logs."""

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve(tmp_path):
    """Serve a folder on 127.0.0.1 (free port) in a thread; yields a function folder -> base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def render(url: str, profile: Path) -> VisibleText:
    """Load a URL in headless Chromium and parse the rendered DOM."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--dump-dom", "--virtual-time-budget=5000", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True).stdout
    parser = VisibleText()
    parser.feed(out)
    return parser


def _site(tmp_path: Path, payload: dict | None) -> Path:
    site = tmp_path / "site"
    if payload is None:
        render_dashboard(publish_payload(example_payload(), tmp_path / "p.json"), site)
        (site / "aegismatrix.json").unlink()
    else:
        render_dashboard(publish_payload(payload, tmp_path / "model_output" / "aegismatrix.json"), site)
    return site


def _row(page: VisibleText, start: str) -> str:
    rows = [r for r in page.rows if r.startswith(start)]
    assert len(rows) == 1, (start, page.rows)
    return rows[0]


@needs_browser
def test_page_shows_the_example_signals(tmp_path, serve):
    payload = example_payload()
    page = render(serve(_site(tmp_path, payload)) + "/index.html", tmp_path / "profile")
    text = page.text
    assert "Could not load" not in text
    assert "Data as of 2025-06-13" in text and "source synthetic" in text
    assert "SYNTHETIC DATA" in text and "STALE CACHE" not in text
    assert "24,718.60" in text and "-105.30 (-0.42%)" in text and "14.12" in text
    for h in payload["direction"]["horizons"]:
        row = _row(page, f"{h['horizon_days']}d band")
        assert h["label"] in row.split(), row
        assert ("no edge" in row) == (h["model_source"] == "baseline"), row
        assert f"{h['expected_abs_move_points']:,.0f} pts" in row
        assert ("served_by" not in h) or h["served_by"] in row.split(), row  # which model served the horizon
    assert "Drivers 5d (direction.xgb_h5)" in text
    assert _row(page, "5d 23,950").split() == ["5d", "23,950", "25,480", "9.0%", "10.0%"]
    assert _row(page, "21d 23,020").split() == ["21d", "23,020", "26,390", "11.0%", "10.0%"]
    assert "no edge" in _row(page, "Spike bias") and "CALL" in _row(page, "Spike bias")
    assert "n/a: no option-chain CSV supplied" in _row(page, "Max pain")
    assert "11.8% ann." in _row(page, "Vol forecast 21d") and "21.0%" in _row(page, "Trap probability")
    assert "09:15–09:45 63 pts" in text
    assert "+0.22 (sellers' edge)" in _row(page, "Theta edge")
    assert "iv_rv_spread = 0.037 (-0.0310)" in text
    assert ("no edge" in _row(page, "direction.stack_h1 ")
            and "no edge" not in _row(page, "direction.stack_h2 "))


@needs_browser
def test_src_param_stale_cache_and_null_signals(tmp_path, serve):
    payload = example_payload()
    payload["data"].update(source="yahoo", stale=False, warnings=[])
    for prov in payload["data"]["provenance"].values():
        prov.update(source="cache", cache_age_hours=30.5, warnings=[])
    payload["buyer"].update(gamma_windows=None, gamma_windows_reason="no intraday bars in the loaded window")
    payload["seller"]["max_pain"] = {"value": 24500.0, "reason": None}
    site = _site(tmp_path, payload)
    (site / "aegismatrix.json").rename(site / "variant.json")
    page = render(serve(site) + "/index.html?src=variant.json", tmp_path / "profile")
    assert "STALE CACHE: data 30.5 h old" in page.text and "SYNTHETIC" not in page.text
    assert "Gamma windows n/a: no intraday bars in the loaded window" in page.text
    assert _row(page, "Max pain").split() == ["Max", "pain", "24,500"]


@needs_browser
def test_missing_json_shows_an_error(tmp_path, serve):
    page = render(serve(_site(tmp_path, None)) + "/index.html", tmp_path / "profile")
    assert "Could not load signals." in page.text
    assert "Failed to fetch aegismatrix.json: HTTP 404" in page.text
    assert "24,718.60" not in page.text and "Direction" not in page.text


@needs_browser
def test_payload_breaking_the_contract_shows_an_error(tmp_path, serve):
    site = _site(tmp_path, None)
    (site / "aegismatrix.json").write_text('{"schema_version": "1.0.0", "market": {"spot": 1}}')
    page = render(serve(site) + "/index.html", tmp_path / "profile")
    assert "aegismatrix.json does not match the payload contract: missing data_as_of" in page.text
    assert "Market" not in page.text


def test_render_dashboard_copies_page_next_to_payload(tmp_path):
    payload_path = publish_payload(example_payload(), tmp_path / "aegismatrix.json")
    index = render_dashboard(payload_path, tmp_path)
    assert index == tmp_path / "index.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aegismatrix.json", "app.js", "index.html",
                                                          "options.js", "style.css", "track_record.js"]


@needs_browser
def test_page_shows_expiry_table_strike_ladder_and_iv_context(tmp_path, serve):
    page = render(serve(_site(tmp_path, example_payload())) + "/index.html", tmp_path / "profile")
    assert _row(page, "2025-06-19").split() == ["2025-06-19", "weekly", "4d", "/", "6cd", "23,994", "–",
                                                "25,443", "23,950", "PE", "/", "25,450", "CE", "6.8%", "·",
                                                "mkt", "11.4%", "3.2%", "·", "mkt", "5.7%", "FOMC", "06-19",
                                                "calibrated"]
    assert _row(page, "2025-06-26").split()[:2] == ["2025-06-26", "monthly"]
    assert "Strike ladder · 2025-06-19" in page.text
    assert _row(page, "24,200").split() == ["24,200", "PE", "-519", "31.0%", "19.0%", "36.0%", "22.0%",
                                            "41.5", "16.2%", "1.16"]  # the market beside the model (issue 22)
    assert _row(page, "25,250").split() == ["25,250", "CE", "+531", "8.0%", "4.0%", "–", "–", "–", "–", "–"]
    assert "Market columns n/a: this strike has no settlement price or IV" in page.text
    assert _row(page, "IV rank").endswith("18% / 31%")
    assert "+3.9 vol pts" in _row(page, "Implied − realised vol")


@needs_browser
def test_page_says_why_expiries_are_missing(tmp_path, serve):
    payload = example_payload()
    payload["seller"].update(expiries=[], expiries_reason="no seller_expiry_ranges (seller engine not run)")
    page = render(serve(_site(tmp_path, payload)) + "/index.html", tmp_path / "profile")
    assert "Expiries n/a: no seller_expiry_ranges (seller engine not run)" in page.text
