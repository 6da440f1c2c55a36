"""Chronological splits: expanding walk-forward folds
plus a final untouched test, with purge and embargo.

Folds are cut on the labelled rows (sorted by date) but returned as positions in the full
model-input frame, so purge and embargo count trading days even when labels are sparse (e.g.
breakout days only). A training row whose label window t+1 .. t+h reaches into the test block is
purged, and `embargo` more days are left out as a buffer against serial correlation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fold:
    """One chronological split;
    `name` is 'fold_<k>' for walk-forward folds and 'test' for the final block."""

    name: str
    train: np.ndarray
    test: np.ndarray


def purge(positions: np.ndarray, block_start: int, horizon: int, embargo: int) -> np.ndarray:
    """The positions whose label window ends before `block_start` minus the embargo."""
    return positions[positions < block_start - horizon - embargo]


def walk_forward_folds(positions: np.ndarray, n_folds: int = 5, test_fraction: float = 0.2,
                       min_train: int = 250, horizon: int = 1, embargo: int = 5, **_) -> list[Fold]:
    """Expanding-window folds over the development period, then the final test block (last
    `test_fraction`)."""
    positions = np.asarray(positions)
    n = len(positions)
    test_start = int(round(n * (1.0 - test_fraction)))
    boundaries = np.linspace(min_train, test_start, n_folds + 1).round().astype(int)
    if boundaries[1] - boundaries[0] < 10 or n - test_start < 10:
        raise ValueError(
            f"walk_forward_folds: {n} labelled rows are too few for {n_folds} folds after "
            f"min_train={min_train} and a {test_fraction:.0%} "
            "test block; lower splits.min_train or n_folds"
        )
    blocks = [(f"fold_{k + 1}", boundaries[k], boundaries[k + 1]) for k in range(n_folds)]
    blocks.append(("test", test_start, n))
    return [Fold(name, purge(positions, positions[start], horizon, embargo), positions[start:end])
            for name, start, end in blocks]


def inner_split(train: np.ndarray, horizon: int, embargo: int,
                validation_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Split training positions into inner-train and a purged
    inner-validation block (tuning, calibration)."""
    val_start = int(round(len(train) * (1.0 - validation_fraction)))
    validation = train[val_start:]
    fit = purge(train, validation[0], horizon, embargo) if len(validation) else train
    if len(fit) < 20 or len(validation) < 10:
        raise ValueError(f"inner_split: {len(train)} training rows "
                         "are too few to tune and calibrate on")
    return fit, validation
