"""The static dashboard page (index.html, app.js, style.css) that reads aegismatrix.json."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aegismatrix.releases.manifest import write_text_atomic

PAGE_FILES = ("index.html", "app.js", "style.css", "track_record.js", "options.js")
PAYLOAD_NAME = "aegismatrix.json"


def render_dashboard(payload_path: str | Path, out_dir: str | Path) -> Path:
    """Copy the page and the payload (as aegismatrix.json) into out_dir; returns the index.html
    path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    package = resources.files("aegismatrix.dashboard")
    for name in PAGE_FILES:
        (out / name).write_bytes(package.joinpath(name).read_bytes())
    source, target = Path(payload_path), out / PAYLOAD_NAME
    if not target.exists() or not source.samefile(target):
        # unique temp name: overlapping runs are safe
        write_text_atomic(target, source.read_text(encoding="utf-8"))
    return out / "index.html"
