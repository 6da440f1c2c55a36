"""Tree ensembles evaluated in NumPy: prediction and path-dependent TreeSHAP for XGBoost, LightGBM
and CatBoost models read from their own saved files (`models/tree_formats.py`), so a serving run
imports none of the three libraries (XGBoost and LightGBM each pull in scikit-learn, CatBoost pulls
in IPython: about 1.7 s a run together).

The TreeSHAP here is Lundberg et al.'s path-dependent algorithm written per leaf: a leaf's value,
weighted by `o_j` (the row satisfies every split on feature j along the path) or `z_j` (the share
of training cover that went down the path at feature j's splits), is a product game, whose
Shapley values have a closed form in the elementary symmetric sums of the (o_j, z_j). Paths are
padded with null players (o = z = 1), which leave every other player's value unchanged, so all
leaves share one width and the whole forest is a handful of array operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import factorial

import numpy as np
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from aegismatrix.models.base import pad_absent_classes

# the most (row, leaf, depth) cells one TreeSHAP block holds (memory stays under ~100 MB)
_SHAP_BLOCK_CELLS = 1_000_000
_LGBM_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold


@dataclass
class Tree:
    """One tree as node arrays, root at 0; a leaf has feature -1 and its values in `value`."""

    feature: np.ndarray  # int, -1 at leaves
    threshold: np.ndarray  # left when x < threshold (Forest.strict) or x <= threshold
    left: np.ndarray
    right: np.ndarray
    nan_left: np.ndarray  # bool: where a missing value goes
    value: np.ndarray  # (nodes, outputs) leaf values; zero at internal nodes and other classes
    cover: np.ndarray  # training cover (hessian sum, row count or weight) per node
    zero_missing: np.ndarray | None = None  # LightGBM's "zero is missing" splits (bool)


@dataclass
class Forest:
    """A sum of trees per output, a base margin and a link (identity, sigmoid, softmax)."""

    tables: Tables
    base: np.ndarray  # (n_outputs,) margin before the first tree
    link: str
    strict: bool  # XGBoost splits on x < t, LightGBM and CatBoost on x <= t
    float32: bool = False  # XGBoost sums its trees in float32
    _paths: LeafPaths | None = field(default=None, repr=False)

    @property
    def n_outputs(self) -> int:
        return self.tables.value.shape[1]

    def header(self) -> dict:
        """What `to_bytes` does not hold (JSON-able)."""
        return {"link": self.link, "strict": self.strict, "float32": self.float32}

    def to_bytes(self) -> bytes:
        """The node tables and base margin as safetensors (non-executable): a restored model
        reads them in a millisecond instead of re-reading the library's own file."""
        arrays = {name: np.ascontiguousarray(getattr(self.tables, name)) for name in TABLE_ARRAYS}
        return save_arrays({**arrays, "base": np.asarray(self.base, dtype=float)})

    @classmethod
    def from_bytes(cls, data: bytes, header: dict) -> Forest:
        arrays = load_arrays(data)
        tables = Tables(**{name: arrays[name] for name in TABLE_ARRAYS})
        return cls(tables, arrays["base"], header["link"], bool(header["strict"]),
                   bool(header["float32"]))

    def margin(self, X) -> np.ndarray:
        """(rows, n_outputs) raw scores: the trees summed in their saved order, in the library's
        precision (a tree of another output adds nothing)."""
        X = _as_float(X)
        leaf = self.tables.walk(X, self.strict)  # (trees, rows) flat node index
        dtype = np.float32 if self.float32 else float
        out = np.empty((len(X), self.n_outputs), dtype=dtype)
        for k in range(self.n_outputs):
            mine = self.tables.by_output[k]
            values = self.tables.value[leaf[mine], k].astype(dtype)
            # reducing the leading axis adds tree after tree, the libraries' order
            out[:, k] = np.add.reduce(values, axis=0, initial=dtype(self.base[k]))
        return out

    def predict(self, X) -> np.ndarray:
        """(rows,) for one output, else (rows, n_outputs), after the link."""
        raw = self.margin(X).astype(float)
        if self.link == "softmax":
            raw = np.exp(raw - raw.max(axis=1, keepdims=True))
            raw = raw / raw.sum(axis=1, keepdims=True)
        elif self.link == "sigmoid":
            raw = 1.0 / (1.0 + np.exp(-raw))
        elif self.link != "identity":
            raise ValueError(f"unknown link {self.link!r}")
        return raw[:, 0] if self.n_outputs == 1 else raw

    def contributions(self, X) -> np.ndarray:
        """(rows, n_outputs, features) path-dependent TreeSHAP values, the bias term left out."""
        X = _as_float(X)
        if self._paths is None:
            self._paths = LeafPaths.of(self.tables)
        step = max(1, _SHAP_BLOCK_CELLS // max(1, self._paths.feature.size))
        blocks = [self._paths.shap(X[i:i + step], self.strict) for i in range(0, len(X), step)]
        return np.concatenate(blocks) if blocks else np.zeros((0, self.n_outputs, X.shape[1]))


def _as_float(X) -> np.ndarray:
    """The libraries read float32 features; compared in float64, the same decisions."""
    return np.asarray(X, dtype=np.float32).astype(float)


def _goes_left(tables, at, x: np.ndarray, strict: bool) -> np.ndarray:
    threshold = tables.threshold[at]
    left = x < threshold if strict else x <= threshold
    if tables.any_zero_missing:  # LightGBM: |x| <= 1e-35f is missing on these splits
        zero = tables.zero_missing[at] & (np.abs(x) <= _LGBM_ZERO)
        left = np.where(zero, tables.nan_left[at], left)
    missing = np.isnan(x)
    return np.where(missing, tables.nan_left[at], left) if missing.any() else left


TABLE_ARRAYS = ("feature", "threshold", "left", "right", "nan_left", "zero_missing", "value",
                "cover", "roots")


@dataclass
class Tables:
    """All trees' nodes in flat arrays: tree t's node i sits at t * width + i."""

    feature: np.ndarray  # -1 at leaves
    threshold: np.ndarray
    left: np.ndarray  # flat index of the child; a leaf points to itself
    right: np.ndarray
    nan_left: np.ndarray
    zero_missing: np.ndarray
    value: np.ndarray  # (nodes, outputs)
    cover: np.ndarray
    roots: np.ndarray  # (trees,) flat index of each root

    def __post_init__(self):
        self.any_zero_missing = bool(self.zero_missing.any())
        width = len(self.feature) // max(1, len(self.roots))
        per_tree = self.value.reshape(len(self.roots), width, -1)
        # the trees adding to each output, in order (a tree all 0.0 for an output adds nothing)
        self.by_output = [np.flatnonzero((per_tree[:, :, k] != 0).any(axis=1))
                          for k in range(self.value.shape[1])]
        self.depth = self._depth()

    @classmethod
    def of(cls, trees: list[Tree], n_outputs: int) -> Tables:
        width = max([len(t.feature) for t in trees] + [1])
        roots = np.arange(len(trees)) * width

        def flat(name, fill, dtype):
            out = np.full(len(trees) * width, fill, dtype=dtype)
            for root, tree in zip(roots, trees):
                column = getattr(tree, name)
                if column is not None:
                    out[root:root + len(column)] = column
            return out

        feature = flat("feature", -1, np.int64)
        here = np.arange(len(feature))
        offset = np.repeat(roots, width)
        left = np.where(feature >= 0, flat("left", 0, np.int64) + offset, here)
        right = np.where(feature >= 0, flat("right", 0, np.int64) + offset, here)
        value = np.zeros((len(feature), n_outputs))
        for root, tree in zip(roots, trees):
            value[root:root + len(tree.value)] = tree.value
        return cls(feature, flat("threshold", 0.0, float), left, right,
                   flat("nan_left", False, bool), flat("zero_missing", False, bool), value,
                   flat("cover", 0.0, float), roots.astype(np.int64))

    def _depth(self) -> int:
        """Splits on the longest root-to-leaf path."""
        node, depth = self.roots[self.feature[self.roots] >= 0], 0
        while len(node):
            node = np.concatenate([self.left[node], self.right[node]])
            node, depth = node[self.feature[node] >= 0], depth + 1
        return depth

    def walk(self, X: np.ndarray, strict: bool) -> np.ndarray:
        """(trees, rows): the leaf each row reaches in each tree, all trees a level at a time."""
        XT = np.ascontiguousarray(X.T)
        node = np.repeat(self.roots[:, None], len(X), axis=1)
        column = np.arange(len(X))
        for _ in range(self.depth):
            x = XT[np.maximum(self.feature[node], 0), column]
            node = np.where(_goes_left(self, node, x, strict), self.left[node], self.right[node])
        return node


@dataclass
class LeafPaths:
    """Every leaf of a forest with its root-to-leaf path, padded to one depth with null players."""

    node: np.ndarray  # (leaves, depth) flat index of the splits along the path (0 where padded)
    went_left: np.ndarray  # (leaves, depth) the branch the path takes
    feature: np.ndarray  # (leaves, depth), -1 where padded
    zero_share: np.ndarray  # (leaves, depth) z_j merged over repeats of feature j; 1 elsewhere
    first: np.ndarray  # (leaves, depth) the first split on its feature: the one real player
    same: np.ndarray  # (leaves, depth, depth) splits on the same feature
    value: np.ndarray  # (leaves, n_outputs)
    tables: Tables

    @classmethod
    def of(cls, tables: Tables) -> LeafPaths:
        depth = max(tables.depth, 1)
        node, went_left, ratio, leaves = _enumerate_paths(tables, depth)
        feature = np.where(ratio >= 0, tables.feature[node], -1)
        ratio = np.where(ratio >= 0, ratio, 1.0)
        same = (feature[:, :, None] == feature[:, None, :]) & (feature[:, :, None] >= 0)
        earlier = np.tril(np.ones((depth, depth), dtype=bool), -1)
        first = (feature >= 0) & ~(same & earlier).any(axis=2)
        zero_share = np.where(first, np.where(same, ratio[:, None, :], 1.0).prod(axis=2), 1.0)
        return cls(node, went_left, feature, zero_share, first, same, tables.value[leaves], tables)

    def shap(self, X: np.ndarray, strict: bool) -> np.ndarray:
        """(rows, n_outputs, features): each leaf's product game, solved in closed form."""
        one = self._one_share(X, strict)  # (depth, rows, leaves)
        zero = np.broadcast_to(self.zero_share.T[:, None, :], one.shape)
        depth = len(one)
        poly = np.zeros((depth + 1,) + one.shape[1:])  # prod_j (z_j + o_j t), by power of t
        poly[0] = 1.0
        for j in range(depth):
            poly[1:j + 2] = poly[1:j + 2] * zero[j] + poly[:j + 1] * one[j]
            poly[0] *= zero[j]
        rest = _divide_out(poly, zero, one)  # prod_{j != i}, (i, power, rows, leaves)
        weights = np.array([factorial(k) * factorial(depth - 1 - k) / factorial(depth)
                            for k in range(depth)])
        cells = (one - zero) * np.tensordot(weights, rest, axes=([0], [1]))
        return self._by_feature(cells, X.shape[1])

    def _one_share(self, X: np.ndarray, strict: bool) -> np.ndarray:
        """o_j per (position, row, leaf): 1 when the row follows every split on feature j."""
        x = X[:, np.maximum(self.feature, 0)]  # (rows, leaves, depth)
        left = _goes_left(self.tables, self.node, x, strict)
        follows = np.moveaxis((left == self.went_left) | (self.feature < 0), 2, 0)
        merged = follows.copy()
        depth = len(merged)
        for i in range(depth):
            for j in range(i + 1, depth):  # a repeat of the feature at i: both must hold
                repeat = self.same[:, i, j] & self.first[:, i]
                if repeat.any():
                    merged[i][:, repeat] &= follows[j][:, repeat]
        return np.where(self.first.T[:, None, :], merged, True).astype(float)

    def _by_feature(self, cells: np.ndarray, n_features: int) -> np.ndarray:
        """Sum the (position, row, leaf) cells of each feature, for each output."""
        feature = self.feature.T.ravel()  # (position, leaf) order, as cells
        order = np.argsort(feature, kind="stable")
        order = order[feature[order] >= 0]
        used, starts = np.unique(feature[order], return_index=True)
        rows = cells.shape[1]
        out = np.zeros((rows, self.value.shape[1], n_features))
        for k in range(self.value.shape[1]):
            flat = np.moveaxis(cells * self.value[:, k], 1, 0).reshape(rows, -1)
            if len(order):
                out[:, k, used] = np.add.reduceat(flat[:, order], starts, axis=1)
        return out


def _divide_out(poly: np.ndarray, zero: np.ndarray, one: np.ndarray) -> np.ndarray:
    """The product without factor i, for every i: synthetic division by (z_i + t) where o_i = 1
    (stable: 0 <= z_i <= 1), division by z_i where o_i = 0 (zero where z_i = 0, a factor whose
    cell is 0 anyway)."""
    depth = len(zero)
    rest = np.empty((depth, depth) + poly.shape[1:])
    rest[:, depth - 1] = poly[depth]
    for m in range(depth - 1, 0, -1):
        rest[:, m - 1] = poly[m] - zero * rest[:, m]
    scaled = np.divide(poly[None, :depth], zero[:, None], out=np.zeros_like(rest),
                       where=zero[:, None] > 0)
    return np.where(one[:, None] > 0, rest, scaled)


def _enumerate_paths(tables: Tables, depth: int):
    """Root-to-leaf paths of all trees, a level at a time: (node, went_left, cover ratio; -1 where
    padded) per (leaf, level), and each path's leaf."""
    node = tables.roots
    path_node = np.zeros((len(node), depth), dtype=np.intp)
    path_left = np.ones((len(node), depth), dtype=bool)
    path_ratio = np.full((len(node), depth), -1.0)
    done = []
    for level in range(depth + 1):
        leaf = tables.feature[node] < 0
        done.append((path_node[leaf], path_left[leaf], path_ratio[leaf], node[leaf]))
        node, path_node, path_left, path_ratio = (a[~leaf] for a in (node, path_node, path_left,
                                                                     path_ratio))
        if not len(node):
            break
        children = np.concatenate([tables.left[node], tables.right[node]])
        path_node, path_left = np.tile(path_node, (2, 1)), np.tile(path_left, (2, 1))
        path_ratio = np.tile(path_ratio, (2, 1))
        path_node[:, level] = np.tile(node, 2)
        path_left[:, level] = np.repeat([True, False], len(node))
        cover = np.tile(tables.cover[node], 2)
        path_ratio[:, level] = np.divide(tables.cover[children], cover,
                                         out=np.zeros(len(children)), where=cover > 0)
        node = children
    return tuple(np.concatenate(part) for part in zip(*done))


FOREST_FILE = "forest.safetensors"


class TreeEnsemble:
    """What the XGBoost, LightGBM and CatBoost estimators share: a `forest` read from the
    library's saved model, through which fitted and restored models alike predict and explain.
    A bundle keeps both the library's own file and the forest's tables (read back in a
    millisecond, where re-reading the library's file costs 10-80 ms a model)."""

    explainer = "tree"
    # trees are invariant to monotone scaling; keeps SHAP values in feature units
    scale_inputs = False
    forest: Forest | None = None  # None: one class seen in training, nothing was fitted
    _library_model = None

    @property
    def booster(self):
        """The library's own model, for training's shap.TreeExplainer: the one fitted in this
        process, else read back from the saved file (imports the library; serving never asks)."""
        if self._library_model is None and self.forest is not None:
            self._library_model = self._load_library_model()
        return self._library_model

    def _load_library_model(self):
        raise NotImplementedError

    def forest_state(self) -> tuple[dict, dict[str, bytes]]:
        if self.forest is None:
            return {}, {}
        return {"forest": self.forest.header()}, {FOREST_FILE: self.forest.to_bytes()}

    @staticmethod
    def restore_forest(state: dict, blobs: dict[str, bytes], read_library_file) -> Forest:
        """The saved tables; from a bundle saved before they were, the library's own file."""
        if FOREST_FILE in blobs:
            return Forest.from_bytes(blobs[FOREST_FILE], state["forest"])
        return read_library_file()

    def forest_predict(self, X) -> np.ndarray:
        return self.forest.predict(X.to_numpy(dtype=np.float32))

    def class_probabilities(self, X) -> np.ndarray:
        """(rows, n_classes): the forest's probabilities over the classes seen in training, the
        absent ones padded back (certain of the one class when only one was seen)."""
        if self.forest is None:
            return pad_absent_classes(np.ones((len(X), 1)), self.present_, self.n_classes)
        proba = self.forest_predict(X)
        if proba.ndim == 1:  # a binary objective gives P(second class) only
            proba = np.column_stack([1.0 - proba, proba])
        return pad_absent_classes(proba, self.present_, self.n_classes)

    def tree_contributions(self, X) -> np.ndarray:
        """(rows, features) TreeSHAP values, for the class each row predicts (the values
        shap.TreeExplainer and the libraries' own TreeSHAP give)."""
        if self.forest is None:  # a constant model: nothing contributes
            return np.zeros(X.shape)
        values = self.forest.contributions(X.to_numpy(dtype=np.float32))
        if values.shape[1] == 1:  # regression or a binary margin
            return values[:, 0]
        predicted = self.predict(X)[:, self.present_].argmax(axis=1)
        return values[np.arange(len(X)), predicted]
