"""A requests.Session that serves recorded Yahoo chart-API JSON, so the real yfinance code path runs
offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "yahoo"


def chart_json(name: str) -> dict:
    """A recorded chart-API response from tests/fixtures/yahoo."""
    return json.loads((FIXTURES / name).read_text())


class ScriptedAdapter(BaseAdapter):
    """Answers chart requests from a handler; cookie/crumb endpoints get a harmless 200."""

    def __init__(self, chart: Callable[[requests.PreparedRequest], tuple[int, dict] | Exception]) -> None:
        super().__init__()
        self.chart, self.chart_calls = chart, 0

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003, D102
        if "/v8/finance/chart/" not in request.url:
            return self._response(request, 200, "crumb-for-tests")
        self.chart_calls += 1
        answer = self.chart(request)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return self._response(request, status, json.dumps(body))

    @staticmethod
    def _response(request, status: int, text: str) -> requests.Response:
        resp = requests.Response()
        resp.status_code, resp._content, resp.url, resp.request = status, text.encode(), request.url, request
        resp.headers["Content-Type"] = "application/json"
        return resp

    def close(self) -> None:  # noqa: D102
        pass


def make_session(chart) -> tuple[requests.Session, ScriptedAdapter]:
    """A Session whose https traffic goes to a ScriptedAdapter."""
    session, adapter = requests.Session(), ScriptedAdapter(chart)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


DNS_ERROR = requests.ConnectionError(
    "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Max retries exceeded "
    "(Caused by NameResolutionError(\"Failed to resolve 'query2.finance.yahoo.com'\"))"
)


@pytest.fixture(autouse=True)
def _fresh_yfinance_state():
    """yfinance memoises responses process-wide (lru_cache on its singleton); start each test clean."""
    from yfinance.data import YfData

    clear = getattr(YfData.cache_get, "cache_clear", None)
    if clear:
        clear()
    yield
    if clear:
        clear()
