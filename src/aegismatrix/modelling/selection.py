"""Choosing one served model among candidates for the same signal (e.g. the seller's vol
forecasters, the buyer's NIFTY-only and pooled breakout models): on walk-forward scores only, never
on the final test block.

The rules themselves (issue 23) work on per-row losses of a candidate and its baseline over the rows
whose labels have matured, so the same function decides in training (all out-of-sample rows) and in
the selection backtest (only the rows before each re-selection step,
modelling/selection_backtest.py):
- `ci`: the project's original rule: moving-block bootstrap CI of the skill above 0 and skill > 0 on
  the last `test_fraction` of the rows (the "final test").
- `dm`: one-sided Diebold-Mariano test of the loss differential with Newey-West (HAC) errors at
  `alpha`.
- `last_k`: skill > 0 in each of the last `k` blocks of `block` rows (edge that persists, not an
  average).
- `shrink`: a weight on the candidate in a combination with the baseline, fitted on the window's
  rows with a penalty per unit weight (serves a blend, the default `selection.rule`; `edge` is then
  weight > 0).
Any rule may look at the last `window` rows only (a rolling re-selection window) instead of all of
them.
"""

from __future__ import annotations

import numpy as np

from aegismatrix.modelling.headline import walk_forward_loss
from aegismatrix.modelling.metrics import EPS, block_bootstrap_skill

RULE = ("edge by selection.rule (conf/base/parameters_selection.yml) and lowest walk-forward loss, "
        "or highest penalised blend skill under `shrink` (final test block not used for the choice)")
RULE_KINDS = ("ci", "dm", "last_k", "shrink", "baseline")
SHRINK_GRID = np.linspace(0.0, 1.0, 11)


def choose_candidate(candidates: list[str], metrics: dict[str, dict]) -> str:
    """The candidate with edge and the lowest walk-forward loss (under a `shrink` rule: the highest
    penalised skill of its blend); the first one (serving its baseline) if none has edge."""
    def rank(m: dict) -> tuple[float, float]:
        value = walk_forward_loss(m)
        blend = -float(m.get("selection_rule", {}).get("penalised_skill", 0.0))
        return blend, np.inf if value is None else float(value)

    scored = [(rank(metrics[name]), name) for name in candidates if metrics[name]["edge"]]
    return min(scored)[1] if scored else candidates[0]


def served_weight(metrics_or_meta: dict) -> float:
    """The weight of the model in what is served (the rest is its primary baseline's): 0 without
    edge, the `shrink` rule's weight, else 1. Reads a metrics record or a frozen bundle's meta."""
    if not metrics_or_meta.get("edge"):
        return 0.0
    if "blend_weight" in metrics_or_meta:
        return float(metrics_or_meta["blend_weight"])
    return float(metrics_or_meta.get("selection_rule", {}).get("weight", 1.0))


def served_name(chosen: str, metrics: dict) -> str:
    """What a signal records as its model: the chosen candidate,
    or `baseline:<primary>` without edge."""
    return chosen if metrics["edge"] else f"baseline:{metrics['primary_baseline']}"


def candidate_table(metrics: dict[str, dict]) -> dict[str, dict]:
    """Status and walk-forward loss of each candidate, for the selection record."""
    return {n: {"status": m["status"], "metric": m["metric"],
                "walk_forward_loss": walk_forward_loss(m),
                "served_weight": served_weight(m), "selection_rule": m.get("selection_rule"),
                **({"pool": m["pool"]} if "pool" in m else {})} for n, m in metrics.items()}


def skill_of(model_loss: np.ndarray, base_loss: np.ndarray) -> float:
    return float(1.0 - model_loss.sum() / max(base_loss.sum(), EPS))


def newey_west_t(diff: np.ndarray, lags: int) -> float:
    """t statistic of mean(diff) with a Bartlett-kernel (Newey-West) long-run variance."""
    n = len(diff)
    if n < 2:
        return 0.0
    centred = diff - diff.mean()
    lrv = centred @ centred / n
    for lag in range(1, min(lags, n - 1) + 1):
        lrv += 2.0 * (1.0 - lag / (lags + 1.0)) * (centred[lag:] @ centred[:-lag]) / n
    return float(diff.mean() / np.sqrt(max(lrv, EPS) / n))


def _dm_edge(model_loss, base_loss, horizon: int, spec: dict) -> tuple[bool, dict]:
    from scipy.stats import norm  # lazy: training only

    t = newey_west_t(base_loss - model_loss, max(horizon, 5))
    return bool(t > norm.ppf(1.0 - float(spec.get("alpha", 0.05)))), {"dm_t": t}


def _ci_edge(model_loss, base_loss, horizon: int, spec: dict) -> tuple[bool, dict]:
    n_test = max(int(round(len(model_loss) * float(spec.get("test_fraction", 0.2)))), 1)
    low, high = block_bootstrap_skill(model_loss, base_loss, max(horizon, 5),
                                      int(spec.get("n_boot", 200)),
                                      float(spec.get("level", 0.9)), int(spec.get("seed", 7)))
    test = skill_of(model_loss[-n_test:], base_loss[-n_test:])
    return bool(low > 0 and test > 0), {"ci_low": low, "ci_high": high, "test_skill": test}


def _last_k_edge(model_loss, base_loss, horizon: int, spec: dict) -> tuple[bool, dict]:
    k, block = int(spec.get("k", 3)), int(spec.get("block", 252))
    if len(model_loss) < k * block:
        return False, {"block_skills": []}
    skills = [skill_of(model_loss[len(model_loss) - (i + 1) * block: len(model_loss) - i * block],
                       base_loss[len(base_loss) - (i + 1) * block: len(base_loss) - i * block])
              for i in range(k)]
    return bool(min(skills) > 0), {"block_skills": skills[::-1]}


EDGE_TESTS = {"ci": _ci_edge, "dm": _dm_edge, "last_k": _last_k_edge}


def windowed(values: np.ndarray, spec: dict) -> np.ndarray:
    """The last `window` rows (rolling re-selection) or all of them (expanding)."""
    window = spec.get("window")
    return values[-int(window):] if window else values


def configured_rule(selection: dict | None) -> tuple[str, dict]:
    """(name, spec) of `selection.rule` among `selection.rules`; the original CI rule when none is
    configured. Every kind can serve: ci, dm, last_k and baseline serve the model or its baseline;
    shrink a blend."""
    if not selection:
        return "ci", {"kind": "ci"}
    name = selection["rule"]
    if name not in selection.get("rules", {}):
        raise ValueError(f"selection.rule {name!r} is not one of selection.rules "
                         f"{sorted(selection.get('rules', {}))}")
    spec = selection["rules"][name]
    if spec["kind"] not in RULE_KINDS:
        raise ValueError(f"selection.rule {name!r}: unknown kind "
                         f"{spec['kind']!r}; choose from {RULE_KINDS}")
    return name, spec


def rule_edge(model_loss: np.ndarray, base_loss: np.ndarray, horizon: int, spec: dict) -> tuple[bool, dict]:
    """Whether the rule `spec` ({kind, window, ...}) would serve the candidate over its baseline,
    with the numbers it decided on; `model_loss` / `base_loss` are per-row losses of matured rows in
    time order."""
    kind = spec["kind"]
    if kind == "baseline":
        return False, {"n": len(model_loss), "reason": "rule serves the baseline"}
    if kind not in EDGE_TESTS:
        raise ValueError(f"selection rule kind {kind!r} decides no edge; choose from "
                         f"{sorted(EDGE_TESTS)}")
    model_loss, base_loss = windowed(model_loss, spec), windowed(base_loss, spec)
    if len(model_loss) < int(spec.get("min_rows", 60)):
        return False, {"n": len(model_loss), "reason": "too few matured rows"}
    edge, info = EDGE_TESTS[kind](model_loss, base_loss, horizon, spec)
    return edge, {"n": len(model_loss), "skill": skill_of(model_loss, base_loss), **info}


def blend_edge(y: np.ndarray, model: np.ndarray, base: np.ndarray, loss, spec: dict) -> tuple[bool, dict]:
    """The `shrink` rule on one candidate: its penalised blend weight with the baseline over the
    window's rows (time order); `loss(y, pred)` gives per-row losses."""
    rows = windowed(np.arange(len(y)), spec)
    if len(rows) < int(spec.get("min_rows", 60)):
        return False, {"n": len(rows), "weight": 0.0, "reason": "too few matured rows"}
    base_sum = float(loss(y[rows], base[rows]).sum())
    w, score = shrink_weight(
        lambda w: (float(loss(y[rows], w * model[rows] + (1.0 - w) * base[rows]).sum()), base_sum), spec)
    return w > 0, {"n": len(rows), "weight": w, "penalised_skill": score}


def shrink_weight(loss_of_blend, spec: dict) -> tuple[float, float]:
    """(weight, penalised skill): the grid weight w on the candidate maximising skill(w) - penalty x
    w, where `loss_of_blend(w)` gives the blend's and the baseline's summed loss on the window's
    rows."""
    best = (0.0, 0.0)
    for w in SHRINK_GRID[1:]:
        blend, base = loss_of_blend(float(w))
        score = 1.0 - blend / max(base, EPS) - float(spec.get("penalty", 0.01)) * w
        if score > best[1]:
            best = (float(w), float(score))
    return best
