"""`python -m aegismatrix prune --keep 5`: remove old versions of versioned datasets, never the
served release's.

Every folder under `data/` whose children are Kedro version folders (`2026-12-01T10.00.00.000Z`)
keeps its newest `--keep` versions plus every version named by the latest release and by each
`--keep-release` id; release manifests keep the newest `--keep` plus those releases. `--dry-run`
lists what would go.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from aegismatrix.releases.manifest import LATEST, VERSION, latest_release_id

RELEASES = Path("data") / "06_models" / "releases"


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` with a Kedro pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        toml = folder / "pyproject.toml"
        if toml.exists() and "[tool.kedro]" in toml.read_text():
            return folder
    raise SystemExit(f"no Kedro project (pyproject.toml with [tool.kedro]) at or above {here}")


def protected_versions(releases: Path, keep_releases: list[str]) -> tuple[set[str], set[str]]:
    """(release ids to keep, dataset versions they name):
    the served release is always among them."""
    ids = {i for i in [latest_release_id(releases), *keep_releases] if i}
    versions: set[str] = set()
    for release_id in ids:
        path = releases / f"{release_id}.json"
        if path.exists():
            versions |= set(json.loads(path.read_text()).get("datasets", {}).values())
    return ids, versions


def _version_folders(data: Path) -> dict[Path, list[Path]]:
    """Dataset folder -> its version subfolders, newest first."""
    out: dict[Path, list[Path]] = {}
    for child in data.rglob("*"):
        if child.is_dir() and VERSION.match(child.name):
            out.setdefault(child.parent, []).append(child)
    return {parent: sorted(found, key=lambda p: p.name, reverse=True) for parent, found in out.items()}


def plan(root: Path, keep: int, keep_releases: list[str]) -> list[Path]:
    """Paths to delete: versions beyond `keep` per dataset and old release manifests, none the
    release needs."""
    releases = root / RELEASES
    ids, versions = protected_versions(releases, keep_releases)
    doomed = [v for found in _version_folders(root / "data").values() for v in found[keep:]
              if v.name not in versions]
    manifests = sorted((p for p in releases.glob("*.json") if VERSION.match(p.stem)), reverse=True)
    doomed += [p for p in manifests[keep:] if p.stem not in ids and p.name != LATEST]
    return doomed


def main(argv: list[str] | None = None) -> int:
    # the first paragraph of the module docstring, its lines joined
    parser = argparse.ArgumentParser(prog="python -m aegismatrix prune",
                                     description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--keep", type=int, default=5,
                        help="newest versions kept per dataset (default 5)")
    parser.add_argument("--keep-release", action="append", default=[],
                        help="also keep this release id's versions")
    parser.add_argument("--dry-run", action="store_true",
                        help="list what would be removed, remove nothing")
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    root = project_root()
    doomed = plan(root, args.keep, args.keep_release)
    size = sum(f.stat().st_size for p in doomed for f in ([p] if p.is_file() else p.rglob("*"))
               if f.is_file())
    for path in doomed:
        print(("would remove " if args.dry_run else "removing ") + str(path.relative_to(root)))
        if not args.dry_run:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    served = latest_release_id(root / RELEASES)
    print(f"{'would free' if args.dry_run else 'freed'} {size / 1e6:.1f} MB in {len(doomed)} "
          f"paths; served release {served or '(none yet)'} kept")
    return 0
