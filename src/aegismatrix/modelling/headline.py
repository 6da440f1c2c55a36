"""One typed summary of a model's out-of-sample metrics, used by every engine summary, report,
benchmark and the payload (so "which number is the score" is decided once)."""

from __future__ import annotations

from typing import TypedDict


class Headline(TypedDict):
    """A model's score next to its primary baseline on the same out-of-sample rows."""

    name: str
    metric: str
    model_score: float | None
    primary_baseline: str
    baseline_score: float | None
    skill: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    test_skill: float | None
    status: str
    n_oos: int
    n_test: int
    skill_vs_each_baseline: dict[str, float]


def score_key(metric: str) -> str:
    """The key of `metric` in a score block (squared error is reported as its root)."""
    return "rmse" if metric in ("rmse", "mse") else metric


def headline(metrics: dict) -> Headline:
    """The headline of a template `metrics` record (modelling.evaluation.summarise)."""
    overall, test = metrics["overall"], metrics["test"]
    metric, base, key = metrics["metric"], metrics["primary_baseline"], score_key(metrics["metric"])
    skill = overall["skill"]
    return Headline(
        name=metrics.get("name", ""), metric=metric, model_score=overall["model"].get(key),
        primary_baseline=base, baseline_score=overall["baselines"][base].get(key),
        skill=skill["value"], ci_low=skill["ci_low"], ci_high=skill["ci_high"],
        ci_level=skill["level"],
        test_skill=test["skill"]["value"], status=metrics["status"], n_oos=overall["n"],
        n_test=test["n"],
        skill_vs_each_baseline=overall["skill_vs_each_baseline"],
    )


def walk_forward_loss(metrics: dict) -> float | None:
    """The model's walk-forward loss (final test block excluded): what model selection may look
    at."""
    return metrics["walk_forward"]["model"].get(score_key(metrics["metric"]))
