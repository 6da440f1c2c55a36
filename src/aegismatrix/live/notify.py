"""Notifications of the day through apprise (Telegram, e-mail, ... by URL), off by default.

Events: `new_close_signal` (a close run published a session not announced before),
`safe_range_touched` (while the session runs, the day's high or low reached a bound of the last
close signal's safe ranges; once per session, tenor and side), `failed_run` (a job exited non-zero;
once per job slot), `stale_data` (a published payload says `data.stale`; once per job slot)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
EVENTS = ("new_close_signal", "safe_range_touched", "failed_run", "stale_data")


class Notifier:
    """Sends an event's message to every configured apprise
    URL when notifications and that event are on."""

    def __init__(self, config: dict | None) -> None:
        config = config or {}
        self.urls = [str(u) for u in config.get("urls") or []]
        self.enabled = bool(config.get("enabled", False)) and bool(self.urls)
        self.events = set(config.get("events") or EVENTS)
        unknown = self.events - set(EVENTS)
        if unknown:
            raise ValueError("notifications.events: unknown "
                             f"{sorted(unknown)}; known {list(EVENTS)}")
        self.sent: list[tuple[str, str]] = []

    def send(self, event: str, title: str, body: str) -> bool:
        """Notify; False when off for this event or when every URL failed (logged, never raised)."""
        if not self.enabled or event not in self.events:
            return False
        import apprise

        sender = apprise.Apprise()
        for url in self.urls:
            if not sender.add(url):
                log.warning("notifications: apprise refused a URL of scheme %s",
                            url.split(":", 1)[0])
        ok = bool(sender.notify(title=title, body=body))
        (log.info if ok else log.warning)("notification %s %s: %s", event,
                                          "sent" if ok else "FAILED", title)
        self.sent.append((event, title))
        return ok


def safe_ranges(payload: dict) -> list[dict]:
    """The seller's safe ranges of a payload as {tenor_days, lower, upper} (finite bounds only)."""
    out = []
    for item in (payload.get("seller") or {}).get("safe_ranges") or []:
        if item.get("lower") is not None and item.get("upper") is not None:
            out.append({"tenor_days": item.get("tenor_days"), "lower": float(item["lower"]),
                        "upper": float(item["upper"])})
    return out


def payload_events(kind: str, slot: str, payload: dict, memory: dict) -> list[tuple[str, str, str]]:
    """(event, title, body) of a published payload after a job of `kind`;
    updates `memory` (what was told)."""
    events, data = [], payload.get("data") or {}
    as_of = payload.get("data_as_of")
    if data.get("stale") and memory.get("stale_slot") != slot:
        memory["stale_slot"] = slot
        reasons = data.get("stale_reasons") or data.get("warnings") or ["data.stale is true"]
        events.append(("stale_data", f"AegisMatrix: stale data ({as_of})", "; ".join(reasons)))
    if kind == "close" and as_of != memory.get("close_as_of"):
        ranges = safe_ranges(payload)
        memory.update(close_as_of=as_of, ranges=ranges, touched=[])
        spot = (payload.get("market") or {}).get("spot")
        lines = [f"{r['tenor_days']}d safe range {r['lower']:.0f} - {r['upper']:.0f}" for r in ranges]
        events.append(("new_close_signal", f"AegisMatrix close signal {as_of}",
                       "\n".join([f"close {spot}", *lines])))
    if kind == "intraday":
        events += _touches(data.get("live"), memory)
    return events


def _touches(live: dict | None, memory: dict) -> list[tuple[str, str, str]]:
    """Bounds of the last close signal's safe ranges that
    the session's high/low reached (once each)."""
    if not live:
        return []
    out, told = [], memory.setdefault("touched", [])
    high, low = live.get("high", live["price"]), live.get("low", live["price"])
    for rng in memory.get("ranges") or []:
        for side, hit in (("upper", high >= rng["upper"]), ("lower", low <= rng["lower"])):
            key = f"{live['date']}:{rng['tenor_days']}:{side}"
            if hit and key not in told:
                told.append(key)
                out.append(("safe_range_touched",
                            f"AegisMatrix: {rng['tenor_days']}d safe range {side} bound touched",
                            f"{live['date']} {live.get('time')}: high {high}, low {low}, "
                            f"last {live['price']}; "
                            f"range {rng['lower']:.0f} - {rng['upper']:.0f} (close signal "
                            f"{memory.get('close_as_of')})"))
    return out
