"""Training of the torch networks (BiLSTM with attention, MLP): imported by `fit` only.

Prediction never needs torch: the fitted weights leave here as NumPy arrays and models/forward.py
runs the same networks forward. Training cannot silently diverge: gradients are clipped, early
stopping keeps the best weights on a purged validation block, and a NaN or infinite loss stops
training with a clear error.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from aegismatrix.logs import fit_label
from aegismatrix.models.base import EpochCallback
from aegismatrix.models.torch_base import NonFiniteLossError

logger = logging.getLogger(__name__)

class BiLSTMAttention(nn.Module):
    """Bidirectional LSTM, additive attention pooling over time steps, linear head to `n_outputs`
    logits."""

    def __init__(self, n_features: int, n_outputs: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, num_layers=layers, batch_first=True,
                            bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.attention = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.Tanh(),
                                       nn.Linear(hidden, 1))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(x)
        weights = torch.softmax(self.attention(states).squeeze(-1), dim=1)
        pooled = (weights.unsqueeze(-1) * states).sum(dim=1)
        return self.head(pooled)


def mlp(n_features: int, hidden: list[int], dropout: float) -> nn.Sequential:
    """(Linear, BatchNorm1d, ReLU, Dropout) per hidden layer, then a Linear to one output."""
    layers, width = [], n_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, 1))


def numpy_weights(net: nn.Module) -> dict[str, np.ndarray]:
    """The network's weights as NumPy arrays (what models/forward.py predicts with and the bundle
    saves)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}


class EarlyStopping:
    """Keep the best weights on the validation rows; stop after `patience` epochs without
    improvement."""

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = int(patience), min_delta
        self.best, self.best_state, self.stale = np.inf, None, 0

    def should_stop(self, net: nn.Module, validation_loss: float) -> bool:
        """Record the weights when the loss improves; True once it has not improved for `patience`
        epochs."""
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


def _row_loss(out: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "cross_entropy":
        return nn.functional.cross_entropy(out, targets, reduction="none")
    return (out.squeeze(-1) - targets) ** 2  # squared error on one output


def _validation_loss(net: nn.Module, windows: torch.Tensor, targets: torch.Tensor, loss: str,
                     kind: str) -> float:
    net.eval()
    with torch.no_grad():
        value = _row_loss(net(windows), targets, loss).mean().item()
    if not np.isfinite(value):
        raise NonFiniteLossError(f"{kind}: validation loss became {value}; lower `lr`")
    return value


def _sequence_epoch(net, opt, windows, targets, weights, order, p: dict, loss: str, kind: str,
                    epoch: int) -> float:
    """One pass over the fit rows in `order`; the mean weighted training loss."""
    net.train()
    total, size = 0.0, int(p["batch_size"])
    for start in range(0, len(order), size):
        batch = order[start:start + size]
        opt.zero_grad()
        rows = _row_loss(net(windows[batch]), targets[batch], loss)
        value = (rows * weights[batch]).sum() / weights[batch].sum()
        if not torch.isfinite(value):
            raise NonFiniteLossError(
                f"{kind}: training loss became {value.item()} at epoch {epoch + 1}; "
                "check the input scaling and lower `lr` (the model was not saved)")
        value.backward()
        nn.utils.clip_grad_norm_(net.parameters(), float(p["clip"]))
        opt.step()
        total += value.item() * len(batch)
    return total / len(order)


def fit_sequence(windows: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                 rows: tuple[np.ndarray, np.ndarray], n_outputs: int, p: dict, seed: int,
                 loss: str, kind: str,
                 on_epoch: EpochCallback | None = None) -> tuple[dict[str, np.ndarray], float]:
    """Train a BiLSTMAttention on `windows` (fit rows, validation rows) with AdamW, a cosine
    schedule and early stopping; the best weights and their validation loss."""
    torch.set_num_threads(int(p["threads"]))
    fit_rows, val_rows = rows
    x, y = torch.from_numpy(windows), torch.from_numpy(targets)
    w = torch.as_tensor(np.asarray(weights, dtype=np.float32))
    torch.manual_seed(seed)
    net = BiLSTMAttention(windows.shape[2], n_outputs, int(p["hidden"]), int(p["layers"]),
                          float(p["dropout"]))
    opt = torch.optim.AdamW(net.parameters(), lr=float(p["lr"]),
                            weight_decay=float(p["weight_decay"]))
    epochs = int(p["epochs"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    gen = torch.Generator().manual_seed(seed)
    stopper = EarlyStopping(p["patience"], min_delta=1e-4)
    for epoch in range(epochs):
        order = fit_rows[torch.randperm(len(fit_rows), generator=gen).numpy()]
        train_loss = _sequence_epoch(net, opt, x, y, w, order, p, loss, kind, epoch)
        schedule.step()
        val_loss = _validation_loss(net, x[val_rows], y[val_rows], loss, kind)
        logger.info("%s %s epoch %d/%d: train loss %.4f, validation loss %.4f",
                    fit_label() or "(no fold)", kind, epoch + 1, epochs, train_loss, val_loss)
        if on_epoch is not None:
            on_epoch(epoch, val_loss)
        if stopper.should_stop(net, val_loss):
            break
    return numpy_weights(stopper.restore_best(net)), float(stopper.best)


def fit_mlp(values: np.ndarray, target: np.ndarray, fit_end: int, val_start: int, p: dict,
            seed: int, on_epoch: EpochCallback | None = None) -> dict[str, np.ndarray]:
    """Train the MLP on rows [0, fit_end) with early stopping on rows [val_start, end); its best
    weights."""
    torch.set_num_threads(int(p["threads"]))
    x, y = torch.from_numpy(values), torch.from_numpy(target)
    torch.manual_seed(seed)
    net = mlp(values.shape[1], [int(h) for h in p["hidden"]], float(p["dropout"]))
    opt = torch.optim.AdamW(net.parameters(), lr=float(p["lr"]),
                            weight_decay=float(p["weight_decay"]))
    gen = torch.Generator().manual_seed(seed)
    stopper = EarlyStopping(p["patience"], min_delta=1e-5)
    size = int(p["batch_size"])
    for epoch in range(int(p["epochs"])):
        net.train()
        order = torch.randperm(fit_end, generator=gen)
        for start in range(0, fit_end, size):
            batch = order[start:start + size]
            if len(batch) < 2:  # batch norm needs two rows
                continue
            opt.zero_grad()
            loss = nn.functional.mse_loss(net(x[batch]).squeeze(-1), y[batch])
            if not torch.isfinite(loss):
                raise NonFiniteLossError(f"mlp_regressor: training loss became {loss.item()} "
                                         f"at epoch {epoch + 1}")
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), float(p["clip"]))
            opt.step()
        net.eval()
        with torch.no_grad():
            val = nn.functional.mse_loss(net(x[val_start:]).squeeze(-1), y[val_start:]).item()
        logger.debug("%s mlp_regressor epoch %d: validation mse %.4f",
                     fit_label() or "(no fold)", epoch + 1, val)
        if on_epoch is not None:
            on_epoch(epoch, val)
        if stopper.should_stop(net, val):
            break
    return numpy_weights(stopper.restore_best(net))
