"""The moving-block bootstrap interval of the skill score (arch.bootstrap underneath)."""

from __future__ import annotations

import numpy as np

from aegismatrix.modelling.metrics import block_bootstrap_skill, skill_score


def test_interval_brackets_the_skill_and_excludes_zero_only_for_a_real_improvement():
    rng = np.random.default_rng(0)
    baseline = rng.gamma(2.0, 1.0, size=1500)
    better = baseline * 0.9  # 10% lower loss on every row
    low, high = block_bootstrap_skill(better, baseline, block=21, n_boot=300)
    assert low <= skill_score(better, baseline) <= high and low > 0
    noisy = baseline * rng.lognormal(-0.045, 0.3, size=1500)  # mean factor 1: no better on average
    low, high = block_bootstrap_skill(noisy, baseline, block=21, n_boot=300)
    assert low < 0 < high


def test_same_seed_same_interval():
    rng = np.random.default_rng(1)
    a, b = rng.random(500), rng.random(500)
    assert block_bootstrap_skill(a, b, seed=3) == block_bootstrap_skill(a, b, seed=3)
