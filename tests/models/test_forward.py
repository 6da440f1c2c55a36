"""models/forward.py runs the torch networks forward in NumPy: it must agree with torch itself, and
restoring and predicting a torch-trained model must not import torch (a serving run's ~2 s)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from aegismatrix.models import forward
from aegismatrix.models.base import get_estimator

torch = pytest.importorskip("torch")
torch_training = pytest.importorskip("aegismatrix.models.torch_training")


def _randomise(net, seed: int) -> None:
    """Weights and batch-norm statistics far from their initial values (a trained-looking net)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            noise = torch.randn(tensor.shape, generator=gen) * 0.5
            tensor.copy_(noise.abs() + 0.5 if name.endswith("running_var") else noise)


@pytest.mark.parametrize("layers", [1, 2])
def test_bilstm_attention_forward_matches_torch(layers):
    net = torch_training.BiLSTMAttention(5, 3, hidden=8, layers=layers, dropout=0.3).eval()
    _randomise(net, seed=layers)
    windows = np.random.default_rng(1).normal(size=(40, 12, 5)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(windows)).numpy()
    got = forward.bilstm_attention(torch_training.numpy_weights(net), windows, layers)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_mlp_forward_matches_torch_with_batch_norm_statistics():
    net = torch_training.mlp(6, [7, 4], dropout=0.2).eval()
    _randomise(net, seed=3)
    x = np.random.default_rng(2).normal(size=(50, 6)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).squeeze(-1).numpy()
    got = forward.mlp(torch_training.numpy_weights(net), x, n_hidden=2)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


SMALL = {"window": 6, "hidden": 4, "layers": 1, "epochs": 2, "batch_size": 32}


def test_a_restored_torch_model_predicts_without_importing_torch(tmp_path):
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    y = (X["a"] > 0).to_numpy().astype(int)
    est = get_estimator("bilstm_attention")(SMALL, seed=1, n_classes=2).fit(X, y)
    state, blobs = est.state()
    (tmp_path / "model.safetensors").write_bytes(blobs["model.safetensors"])
    X.to_csv(tmp_path / "x.csv", index=False)
    np.save(tmp_path / "expected.npy", est.predict(X))
    script = textwrap.dedent(f"""
        import sys, pathlib, numpy as np, pandas as pd
        from aegismatrix.models.base import get_estimator
        folder = pathlib.Path({str(tmp_path)!r})
        blobs = {{"model.safetensors": (folder / "model.safetensors").read_bytes()}}
        est = get_estimator("bilstm_attention").from_state({SMALL!r}, 1, 2, {state!r}, blobs)
        got = est.predict(pd.read_csv(folder / "x.csv"))
        np.testing.assert_array_equal(got, np.load(folder / "expected.npy"))
        print("torch imported:", "torch" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "torch imported: False" in result.stdout
