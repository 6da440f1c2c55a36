"""`python -m aegismatrix.benchmarks [--quick] [--output PATH]`: speed, scale, skill and parallelism
tables.

The full run writes docs/benchmarks.md; `--quick` runs a small version on tiny inputs and writes to
`--output` (or a temp file), never to the docs. `--sections selection` alone (the selection
backtest, issue 23) writes docs/selection.md instead, so it never replaces the other sections.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import parallel, scale, selection, skill, speed
from .common import (
    DEFAULT_REAL_DIR,
    OMP_WAIT_POLICY,
    PROJECT_ROOT,
    Table,
    TempProject,
    cpu_reference_s,
    load_average,
)
from .report import render_document

log = logging.getLogger("aegismatrix.benchmarks")
SECTIONS = ("speed", "scale", "skill", "parallel", "selection")
TARGETS = {"default_s": 180.0, "seller_s": 60.0, "inference_s": 10.0, "universe_s": 60.0,
           "universe_mb": 4096.0}


def _git_commit(ref: str = "HEAD") -> str:
    try:
        return subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", ref],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _verdict(value: float, limit: float) -> str:
    if value != value:
        return "not measured"
    return "met" if value <= limit else "not met"


def targets_table(variants: list[speed.Variant], scale_results: list[dict], quick: bool) -> Table:
    rows = []
    for v in variants:
        d, s = v.median("default"), v.median("seller")
        floor, inf, gap = v.inference_floor(), v.median("inference"), v.inference_gap()
        rows += [
            {"target": f"full default `kedro run` ({v.name})",
             "limit": f"<= {TARGETS['default_s']:.0f} s",
             "measured": (f"{d:.1f} s (CPU {v.median_cpu('default'):.1f} s)" if d == d
                          else v.errors.get("default", "-")),
             "verdict": _verdict(d, TARGETS["default_s"])},
            {"target": f"`kedro run --pipeline=seller` ({v.name})",
             "limit": f"<= {TARGETS['seller_s']:.0f} s",
             "measured": f"{s:.1f} s" if s == s else v.errors.get("seller", "-"),
             "verdict": _verdict(s, TARGETS["seller_s"])},
            {"target": f"`kedro run --pipeline=inference` after a training run ({v.name})",
             "limit": f"<= {TARGETS['inference_s']:.0f} s wall",
             "measured": (f"{inf:.1f} s (CPU {v.median_cpu('inference'):.1f} s; "
                          f"floor {floor:.1f} s, inference - floor {gap:.1f} s)" if inf == inf
                          else v.errors.get("inference", "-")),
             "verdict": _verdict(inf, TARGETS["inference_s"])},
        ]
    big = [r for r in scale_results
           if r["kind"] == "features" and r["symbols"] == 500 and float(r["years"]) == 20.0]
    if big and "features_s" in big[0]:
        r = big[0]
        ok = r["features_s"] <= TARGETS["universe_s"] and r["peak_mb"] <= TARGETS["universe_mb"]
        rows.append({"target": "500-symbol, 20-year universe feature build",
                     "limit": (f"<= {TARGETS['universe_s']:.0f} s and "
                               f"<= {TARGETS['universe_mb'] / 1024:.0f} GB"),
                     "measured": f"{r['features_s']:.1f} s, peak RSS {r['peak_mb'] / 1024:.2f} GB",
                     "verdict": "met" if ok else "not met"})
    else:
        rows.append({"target": "500-symbol, 20-year universe feature build",
                     "limit": (f"<= {TARGETS['universe_s']:.0f} s and "
                               f"<= {TARGETS['universe_mb'] / 1024:.0f} GB"),
                     "measured": big[0].get("error", "-") if big else "-",
                     "verdict": "not measured"})
    notes = ["Targets from issue 25 (an inference run <= 10 s wall on 2 cores after a training "
             "run, the default run <= 3 minutes), the developers' guide (seller) and issue 8 ('a "
             "few GB' read as 4 GB). Wall time on a shared machine grows with its load; CPU time "
             "(user + system) much less."]
    if quick:
        notes.append("Quick mode: engines, the default run, inference and the 500 x 20 point are "
                     "not run, so those targets read 'not measured'.")
    return Table("Targets next to the measurements", pd.DataFrame(rows), notes)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m aegismatrix.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small version on tiny inputs (for the test suite)")
    parser.add_argument("--output", type=Path,
                        help="Markdown file to write (default: docs/benchmarks.md; quick: a temp "
                             "file)")
    parser.add_argument("--repeats", type=int, help="runs per measurement (default 3; quick 1)")
    parser.add_argument("--real-dir", type=Path, default=DEFAULT_REAL_DIR,
                        help="real CSVs (nifty50.csv, indiavix.csv)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of " + ",".join(SECTIONS))
    parser.add_argument("--ref",
                        help="benchmark this git ref (git archive) instead of the working tree")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp project copies")
    parser.add_argument("--refresh", action="store_true",
                        help="selection: recompute the cached walk-forward predictions")
    return parser.parse_args(argv)


def _variants(args: argparse.Namespace, real_dir: Path, has_real: bool,
              notes: list[str]) -> list[speed.Variant]:
    """The temp projects to run: synthetic always, real data unless quick or absent."""
    variants = [speed.Variant("synthetic 5y", speed.SYNTHETIC_PARAMS,
                              TempProject("synthetic", args.ref, args.keep_tmp))]
    if has_real and not args.quick:
        variants.append(speed.Variant("real 2010-2022", speed.real_params(real_dir),
                                      TempProject("real", args.ref, args.keep_tmp)))
    else:
        notes.append(f"Real data not found at {real_dir}: real-data measurements skipped."
                     if not has_real
                     else "Quick mode: real-data runs skipped.")
    return variants


def _speed_section(variants: list[speed.Variant], built: dict, repeats: int, quick: bool,
                   notes: list[str]) -> list[Table]:
    from aegismatrix.market.synthetic import synthetic_market_daily

    syn_daily = synthetic_market_daily(years=5, seed=7)
    compute = {"synthetic 5y": {**speed.feature_compute_times(syn_daily, repeats),
                                "rows": len(syn_daily)}}
    for v in variants[1:]:
        daily = speed.latest_market_daily(v.project)
        if daily is not None:
            compute[v.name] = {**speed.feature_compute_times(daily, repeats), "rows": len(daily)}
    tables = [speed.speed_table(variants, built, repeats)]
    if not quick:
        tables.append(speed.inference_table(variants, speed.import_cost(repeats)))
    tables.append(speed.features_table(variants, compute))
    tables[0].notes += notes
    return tables


def _skill_section(variants: list[speed.Variant], quick: bool) -> list[Table]:
    if quick:
        note = ("Quick mode: one tiny template instance (`bench.quick_trap`, logistic, 3 synthetic "
                "years) instead of the engines on real data.")
        return [skill.skill_table(skill.quick_template_metrics(), note, [])]
    source = variants[1] if len(variants) > 1 else variants[0]
    namespaces = source.project.engine_namespaces()
    metrics = skill.collect_metrics(source.project, [ns for e in namespaces.values() for ns in e])
    note = (f"Engines trained by `kedro run` (default pipeline) on {source.name} in the temp "
            f"project; `MODEL_NAMESPACES` of: {', '.join(namespaces) or 'none'}.")
    extra = []
    if len(namespaces) < 3:
        missing = ", ".join(e for e in ("direction", "seller", "buyer") if e not in namespaces)
        extra.append(f"Engines without `MODEL_NAMESPACES` yet: {missing}.")
    if "default" in source.errors:
        extra.append(f"The default run failed ({source.errors['default']}); metrics of earlier "
                     "engine runs are used where present.")
    return [skill.skill_table(metrics, note, extra)]


def _parallel_section(variants: list[speed.Variant], built: dict, repeats: int,
                      quick: bool) -> list[Table]:
    syn = variants[0]
    pipeline = "data_ingestion" if quick else ("seller" if built.get("seller") else "feature_engineering")
    reuse = syn.walls.get(pipeline) if pipeline == "seller" else None
    return [parallel.runner_comparison(syn.project, pipeline, syn.params,
                                       1 if quick else min(repeats, 2), reuse),
            parallel.optuna_comparison(2 if quick else 30, 2 if quick else 20),
            parallel.openmp_comparison(2000 if quick else 10000, 30 if quick else 100,
                                       30 if quick else 120)]


def _preamble(args: argparse.Namespace, started: datetime, elapsed: float, load_start: str,
              cpu_start: float, repeats: int) -> list[str]:
    import kedro

    code = (f"git ref `{args.ref}` (commit `{_git_commit(args.ref)}`, committed files only)"
            if args.ref
            else f"working tree at commit `{_git_commit()}`")
    return [
        "Generated by `python -m aegismatrix.benchmarks" + (" --quick" if args.quick else "")
        + "`; rerun it to refresh. "
        "Every `kedro run` happens in a temporary copy of the project (conf/, src/, "
        "pyproject.toml) with `KEDRO_DISABLE_TELEMETRY=1`, so the repository's data/ is never "
        "touched.",
        "",
        f"- When: {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} minutes; code: {code}.",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, Kedro {kedro.__version__}; load average (1/5/15 min) "
        f"{load_start} at the start and {load_average()} at the end (the machine is shared, so "
        "absolute times are noisy; compare the ratios measured in the same run).",
        f"- CPU speed: a 10M-addition Python loop took {cpu_start:.2f} s at the start and "
        f"{cpu_reference_s():.2f} s at the end (`common.cpu_reference_s`; every time below moves "
        "with it).",
        f"- Repeats: medians of up to {repeats} runs per figure (runs over "
        f"{speed.REPEAT_ONLY_BELOW_S:.0f} s once). Subprocesses run with "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', OMP_WAIT_POLICY)} (see Parallelism).",
    ]


def _sections(args: argparse.Namespace, sections: list[str], repeats: int,
              variants: list[speed.Variant],
              notes: list[str]) -> tuple[list[tuple[str, list[Table]]], list[dict]]:
    """Measure every requested section; returns the document sections and the scale results."""
    doc_sections, scale_results, built = [], [], {}
    if "speed" in sections or "skill" in sections:
        for v in variants:
            log.info("speed: %s in %s", v.name, v.project.path)
            built = speed.measure_variant(v, repeats, args.quick)
    if "speed" in sections:
        doc_sections.append(("Speed", _speed_section(variants, built, repeats, args.quick, notes)))
    if "skill" in sections:
        doc_sections.append(("Skill", _skill_section(variants, args.quick)))
    if "parallel" in sections:
        doc_sections.append(("Parallelism", _parallel_section(variants, built, repeats,
                                                              args.quick)))
    if "scale" in sections:
        scale_results = scale.measure(args.quick)
        doc_sections.append(("Scale", scale.tables(scale_results)))
    # real data only: the rules need years of history
    if "selection" in sections and not args.quick:
        doc_sections.append(("Selection", selection.tables(args.real_dir.resolve(), args.refresh)))
    return doc_sections, scale_results


def run(args: argparse.Namespace) -> tuple[str, Path]:
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    repeats = args.repeats or (1 if args.quick else 3)
    real_dir = args.real_dir.resolve()
    has_real = (real_dir / "nifty50.csv").exists() and (real_dir / "indiavix.csv").exists()
    started, load_start, cpu_start = datetime.now(UTC), load_average(), cpu_reference_s()
    t0 = time.perf_counter()
    notes: list[str] = []
    needs_projects = any(s in sections for s in ("speed", "skill", "parallel"))
    variants = _variants(args, real_dir, has_real, notes) if needs_projects else []
    try:
        doc_sections, scale_results = _sections(args, sections, repeats, variants, notes)
    finally:
        for v in variants:
            v.project.cleanup()
    if sections != ["selection"]:
        doc_sections.insert(0, ("Targets", [targets_table(variants, scale_results, args.quick)]))
    preamble = _preamble(args, started, time.perf_counter() - t0, load_start, cpu_start, repeats)
    title = "Benchmarks: the selection backtest" if sections == ["selection"] else "Benchmarks"
    text = render_document(title + (" (quick)" if args.quick else ""), preamble, doc_sections)
    default_doc = "selection.md" if sections == ["selection"] else "benchmarks.md"
    output = args.output or (Path(tempfile.mkdtemp(prefix="aegis_bench_")) / "benchmarks_quick.md"
                             if args.quick else PROJECT_ROOT / "docs" / default_doc)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return text, output


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    for noisy in ("kedro", "optuna", "aegismatrix.features", "aegismatrix.modelling"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = parse_args(argv)
    text, output = run(args)
    print(text)
    print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
