"""dashboard/options.js renders the chain's market view, or the reason without one (run under node with a tiny
DOM stub; skipped without node). The page loads it and the dashboard copies it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from aegismatrix.dashboard import PAGE_FILES

DASHBOARD = Path(__file__).parents[2] / "src" / "aegismatrix" / "dashboard"
STUB = """
class N { constructor(t){this.t=t;this.kids=[];this.attrs={};} append(...c){this.kids.push(...c);}
  setAttribute(k,v){this.attrs[k]=v;}
  get text(){return this.kids.map(k=>typeof k==="string"?k:k.text).join("");} }
globalThis.document = {createElement: t => new N(t), createElementNS: (_, t) => new N(t)};
globalThis.Node = N;
"""
MARKET = {"date": "2022-12-23", "source": "option_chain_daily (NSE settlement prices)", "iv_30d": 0.15,
          "iv_rank": 0.2, "iv_percentile": 0.3, "iv_rank_source": "option_chain_atm_iv_30d",
          "expiries": [{"expiry": "2022-12-29", "calendar_days": 6, "forward": 17860.0, "atm_iv": 0.141,
                        "risk_reversal_25d": -0.02, "butterfly_25d": 0.004, "straddle_points": 259.5,
                        "expected_move_fraction": 0.0145, "pcr_oi": 0.59, "pcr_volume": 0.92,
                        "call_wall_strike": 18000.0, "put_wall_strike": 17000.0, "max_pain": 18000.0,
                        "smile": [{"strike": 17500.0, "iv": 0.16}, {"strike": 18000.0, "iv": 0.136}]}],
          "ladder": [{"expiry": "2022-12-29", "strike": 17500.0, "side": "put", "p_touch": 0.2,
                      "p_touch_market": 0.26, "p_expire_beyond": 0.05, "p_expire_beyond_market": 0.13,
                      "premium": 33.3, "traded": 1.0, "iv": 0.165, "richness": 2.6, "market_reason": None}]}


def _render(seller: dict) -> str:
    script = (STUB + (DASHBOARD / "track_record.js").read_text() + (DASHBOARD / "options.js").read_text()
              + "\n" + (DASHBOARD / "app.js").read_text().split("function renderHeader")[0]
              + f"\nconst out = [renderOptions({json.dumps(seller)})].flat();"
              + "\nconsole.log(out.map(n => n.text).join('|'));")
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_market_view_and_reason():
    text = _render({"option_chain": {"reason": None, "market": MARKET}})
    assert "Chain of 2022-12-23" in text and "18,000" in text and "2.60" in text
    why = "no option chain for the decision date 2022-12-30"
    reason = _render({"option_chain": {"reason": why, "market": None}})
    assert "Option chain n/a: no option chain for the decision date 2022-12-30" in reason


def test_page_loads_options_js():
    page = (DASHBOARD / "index.html").read_text()
    assert "options.js" in PAGE_FILES and page.index('src="options.js"') < page.index('src="app.js"')
    assert 'id="options"' in page and "renderOptions(d.seller)" in (DASHBOARD / "app.js").read_text()
