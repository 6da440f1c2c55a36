"""The moving-block bootstrap interval of the skill score (the draws of arch.bootstrap)."""

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


def test_balanced_accuracy_with_a_class_absent_from_the_test_window_is_silent():
    """Issue 26 (9): sklearn's "y_pred contains classes not in y_true" printed once per fold."""
    import warnings

    import numpy as np
    import pytest
    from sklearn.metrics import balanced_accuracy_score

    from aegismatrix.modelling.metrics import classification_metrics

    y = np.array([0, 0, 2, 2, 2])
    proba = np.array([[.1, .8, .1], [.7, .2, .1], [.1, .1, .8], [.1, .1, .8], [.6, .3, .1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = classification_metrics(y, proba, ["down", "neutral", "up"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = balanced_accuracy_score(y, proba.argmax(axis=1))
    assert out["balanced_accuracy"] == pytest.approx(expected) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_block_indices_are_arch_moving_block_draws():
    """The vectorised indices equal arch's MovingBlockBootstrap draws for the same seed, so the
    intervals are unchanged (short series, blocks longer than the series, odd block counts)."""
    from arch.bootstrap import MovingBlockBootstrap

    from aegismatrix.modelling.metrics import moving_block_indices

    for n, block, seed in [(1, 1, 0), (4, 4, 7), (9, 5, 7), (63, 21, 3), (250, 10, 11),
                           (1203, 5, 7)]:
        arch = MovingBlockBootstrap(block, np.arange(n), seed=np.random.default_rng(seed))
        expected = np.stack([pos for (pos,), _ in arch.bootstrap(40)])
        np.testing.assert_array_equal(moving_block_indices(n, block, 40, seed), expected)


def test_macro_recall_is_sklearns_balanced_accuracy():
    from sklearn.metrics import recall_score

    from aegismatrix.modelling.metrics import macro_recall

    rng = np.random.default_rng(5)
    for _ in range(300):
        k, m = int(rng.integers(2, 5)), int(rng.integers(2, 300))
        y, pred = rng.integers(0, k, m), rng.integers(0, k + 1, m)
        if len(np.unique(y)) > 1:
            expected = recall_score(y, pred, labels=np.unique(y), average="macro", zero_division=0)
            assert macro_recall(y, pred) == float(expected)


def test_ranking_scores_are_sklearns():
    """binary_roc_auc, average_precision and ovr_roc_auc give sklearn's floats, ties and constant
    (baseline-like) scores included."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from aegismatrix.modelling.metrics import average_precision, binary_roc_auc, ovr_roc_auc

    rng = np.random.default_rng(11)
    for case in range(300):
        k, m = 2 + case % 2, int(rng.integers(3, 400))
        y = np.r_[np.arange(k), rng.integers(0, k, m)]
        proba = rng.dirichlet(np.ones(k), len(y))
        if case % 3 == 1:  # ties
            proba = np.round(proba, 1)
            proba[:, -1] = 1 - proba[:, :-1].sum(axis=1)
        elif case % 3 == 2:  # one probability vector for every row
            proba = np.tile(proba[0], (len(y), 1))
        if k == 2:
            assert binary_roc_auc(y == 1, proba[:, 1]) == float(roc_auc_score(y, proba[:, 1]))
            expected = float(average_precision_score(y, proba[:, 1]))
            assert average_precision(y == 1, proba[:, 1]) == expected
        else:
            assert ovr_roc_auc(y, proba) == float(roc_auc_score(y, proba, multi_class="ovr"))
