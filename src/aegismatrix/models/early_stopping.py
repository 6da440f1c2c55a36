"""Early stopping for the torch models: keep the best weights on the validation rows, stop after `patience`."""

from __future__ import annotations

import numpy as np
from torch import nn


class EarlyStopping:
    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = int(patience), min_delta
        self.best, self.best_state, self.stale = np.inf, None, 0

    def should_stop(self, net: nn.Module, validation_loss: float) -> bool:
        """Record the weights when the loss improves; True once it has not improved for `patience` epochs."""
        if validation_loss < self.best - self.min_delta:
            self.best, self.stale = validation_loss, 0
            self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore_best(self, net: nn.Module) -> nn.Module:
        if self.best_state is not None:
            net.load_state_dict(self.best_state)
        return net.eval()
