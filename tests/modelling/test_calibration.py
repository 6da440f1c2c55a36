"""Calibration is fitted on held-out training rows and must not collapse on short or one-sided blocks."""

import numpy as np

from aegismatrix.modelling.calibration import Calibrator


def test_sigmoid_recovers_a_miscalibrated_model():
    rng = np.random.default_rng(0)
    true_p = rng.uniform(0.05, 0.95, 4000)
    y = (rng.uniform(size=4000) < true_p).astype(int)
    raw = true_p**3  # systematically under-confident for the positive class
    proba = np.column_stack([1 - raw, raw])
    calibrated = Calibrator("sigmoid").fit(proba, y).transform(proba)
    assert np.abs(calibrated[:, 1] - true_p).mean() < np.abs(raw - true_p).mean() / 2


def test_a_class_absent_from_validation_is_not_forced_to_zero():
    rng = np.random.default_rng(1)
    proba = rng.dirichlet([2, 2, 2], size=60)
    y = rng.integers(0, 2, size=60)  # class 2 never occurs in this short block
    calibrated = Calibrator("sigmoid").fit(proba, y).transform(proba)
    assert calibrated[:, 2].mean() > 0.05  # shrunk toward the observed rate, never collapsed to ~0
    assert np.corrcoef(calibrated[:, 2], proba[:, 2])[0, 1] > 0.9  # and it still follows the model


def test_separable_block_does_not_give_certainties():
    p = np.r_[np.full(30, 0.2), np.full(30, 0.8)]
    y = np.r_[np.zeros(30), np.ones(30)].astype(int)
    calibrated = Calibrator("sigmoid").fit(np.column_stack([1 - p, p]), y).transform(
        np.column_stack([1 - p, p]))
    assert calibrated[:, 1].min() > 0.01 and calibrated[:, 1].max() < 0.99


def test_few_positives_shift_the_level_of_a_class_weighted_model():
    rng = np.random.default_rng(2)
    raw = rng.uniform(0.3, 0.7, 120)  # balanced class weights inflate a ~6% event to ~50%
    y = (rng.uniform(size=120) < 0.06).astype(int)
    y[:3] = 1
    calibrated = Calibrator("sigmoid").fit(np.column_stack([1 - raw, raw]), y).transform(
        np.column_stack([1 - raw, raw]))
    assert calibrated[:, 1].mean() < 0.25  # the level moves toward the observed rate ...
    assert (np.argsort(calibrated[:, 1]) == np.argsort(raw)).all()  # ... and the ranking is kept


def test_expected_calibration_error_is_zero_for_calibrated_and_large_for_overconfident_probabilities():
    from aegismatrix.modelling.calibration import expected_calibration_error

    rng = np.random.default_rng(3)
    p_up = rng.uniform(0.05, 0.95, size=20000)
    y = (rng.uniform(size=p_up.size) < p_up).astype(float)  # outcomes drawn at the stated probabilities
    calibrated = np.column_stack([1 - p_up, p_up])
    overconfident = np.column_stack([1 - (p_up > 0.5), (p_up > 0.5)]).astype(float)
    assert expected_calibration_error(y, calibrated) < 0.02
    assert expected_calibration_error(y, overconfident) > 0.2
    y[:10] = np.nan  # unlabelled rows are ignored
    assert np.isfinite(expected_calibration_error(y, calibrated))
