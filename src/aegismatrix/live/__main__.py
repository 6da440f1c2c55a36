"""`python -m aegismatrix.live run-due [--config FILE] [--project DIR] [--dry-run]`: run what is due
now; `python -m aegismatrix.live status`: print the NSE session clock and what is due (nothing
runs)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from aegismatrix.live.run_due import DEFAULT_CONFIG, load_config, run_due
from aegismatrix.live.schedule import due_jobs, read_state
from aegismatrix.market.session import session_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aegismatrix.live", description=__doc__)
    parser.add_argument("command", choices=["run-due", "status"])
    parser.add_argument("--project", default=".",
                        help="project root (default: the working directory)")
    parser.add_argument("--config", default=None,
                        help=f"schedule file (default: <project>/{DEFAULT_CONFIG})")
    parser.add_argument("--dry-run", action="store_true", help="say what is due, run nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = Path(args.project).resolve()
    config = load_config(Path(args.config) if args.config else root / DEFAULT_CONFIG)
    if args.command == "status":
        clock = session_state()
        state = read_state(root / config.get("state_file",
                                             "data/08_reporting/live/run-due-state.json"))
        due = [j.name for j in due_jobs(config["jobs"], clock, state.get("jobs", {}))]
        print(json.dumps({"session": clock.as_dict(), "due": due}, indent=1))
        return 0
    return run_due(root, config, dry_run=args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
