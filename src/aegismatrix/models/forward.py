"""The torch networks' forward passes in NumPy, from their saved weights (float32, as torch computes).

Training needs torch (gradients); prediction does not. Every prediction of a BiLSTM or MLP, in
training folds and in serving, runs here, so a serving run never imports torch (~2 s), and a
restored model predicts exactly what it predicted when it was fitted. The weight names are those of
the torch modules' `state_dict()` (models/torch_training.py); tests/models/test_forward.py checks
both agree with torch.
"""

from __future__ import annotations

import numpy as np

Weights = dict[str, np.ndarray]
# torch.nn.BatchNorm1d's default epsilon
BATCH_NORM_EPS = 1e-5


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # never overflows, unlike 1 / (1 + exp(-x))


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _linear(x: np.ndarray, weights: Weights, name: str) -> np.ndarray:
    return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]


def lstm_direction(x: np.ndarray, weights: Weights, suffix: str, reverse: bool) -> np.ndarray:
    """One direction of one LSTM layer over (batch, time, features) -> (batch, time, hidden); gate
    order i, f, g, o as in torch.nn.LSTM."""
    w_hh = weights[f"lstm.weight_hh_{suffix}"]
    bias = weights[f"lstm.bias_ih_{suffix}"] + weights[f"lstm.bias_hh_{suffix}"]
    gates_in = x @ weights[f"lstm.weight_ih_{suffix}"].T + bias
    batch, steps, hidden = x.shape[0], x.shape[1], w_hh.shape[1]
    h = np.zeros((batch, hidden), dtype=x.dtype)
    c = np.zeros((batch, hidden), dtype=x.dtype)
    out = np.empty((batch, steps, hidden), dtype=x.dtype)
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        i, f, g, o = np.split(gates_in[:, t] + h @ w_hh.T, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def bilstm_attention(weights: Weights, windows: np.ndarray, layers: int) -> np.ndarray:
    """Logits of torch_training.BiLSTMAttention (eval mode: no dropout) for (batch, time, features)
    windows."""
    states = windows
    for layer in range(layers):
        forward = lstm_direction(states, weights, f"l{layer}", reverse=False)
        backward = lstm_direction(states, weights, f"l{layer}_reverse", reverse=True)
        states = np.concatenate([forward, backward], axis=2)
    scores = _linear(np.tanh(_linear(states, weights, "attention.0")), weights, "attention.2")
    attention = softmax(scores[..., 0], axis=1)
    pooled = (attention[..., None] * states).sum(axis=1)
    return _linear(pooled, weights, "head.1")


def mlp(weights: Weights, x: np.ndarray, n_hidden: int) -> np.ndarray:
    """torch_training.mlp in eval mode: (Linear, BatchNorm1d on running statistics, ReLU) per hidden
    layer, then the output Linear; returns (rows,)."""
    for layer in range(n_hidden):
        linear, norm = 4 * layer, 4 * layer + 1  # Linear, BatchNorm1d, ReLU, Dropout per layer
        x = _linear(x, weights, str(linear))
        scale = weights[f"{norm}.weight"] / np.sqrt(weights[f"{norm}.running_var"] + BATCH_NORM_EPS)
        x = (x - weights[f"{norm}.running_mean"]) * scale + weights[f"{norm}.bias"]
        x = np.maximum(x, 0.0)
    return _linear(x, weights, str(4 * n_hidden))[:, 0]
