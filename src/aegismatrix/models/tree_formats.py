"""Readers of the three boosting libraries' own saved models into a NumPy `trees.Forest`:
XGBoost's UBJSON, LightGBM's text model, CatBoost's JSON. None imports its library.

Each reader refuses what it does not evaluate (categorical splits, linear trees, other objectives)
with an error naming the model part, instead of predicting something else.
"""

from __future__ import annotations

import json

import numpy as np

from aegismatrix.models.trees import Forest, Tables, Tree

# --- XGBoost -------------------------------------------------------------------------------------

_UBJ_NUMBERS = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4",
                b"D": ">f8"}
_XGB_LINKS = {"multi:softprob": "softmax", "multi:softmax": "softmax",
              "binary:logistic": "sigmoid", "reg:squarederror": "identity",
              "reg:absoluteerror": "identity", "reg:pseudohubererror": "identity"}


def read_ubjson(data: bytes):
    """Decode UBJSON (the subset XGBoost writes: typed and counted containers, big-endian)."""
    value, end = _ubj_value(memoryview(data), 0)
    if end != len(data):
        raise ValueError(f"UBJSON: {len(data) - end} trailing bytes")
    return value


def _ubj_value(buf, pos, typed=None):
    """One value at `pos` (its marker byte first, unless the container is typed)."""
    marker = typed
    if marker is None:
        marker, pos = bytes(buf[pos:pos + 1]), pos + 1
    if marker in _UBJ_NUMBERS:
        dtype = np.dtype(_UBJ_NUMBERS[marker])
        return np.frombuffer(buf[pos:pos + dtype.itemsize], dtype)[0].item(), pos + dtype.itemsize
    if marker == b"S":
        size, pos = _ubj_value(buf, pos)
        return bytes(buf[pos:pos + size]).decode(), pos + size
    if marker in (b"T", b"F", b"Z"):
        return {b"T": True, b"F": False, b"Z": None}[marker], pos
    if marker in (b"[", b"{"):
        kind, count, pos = _ubj_header(buf, pos)
        if marker == b"[" and kind in _UBJ_NUMBERS:  # typed numeric array: one frombuffer
            dtype = np.dtype(_UBJ_NUMBERS[kind])
            end = pos + count * dtype.itemsize
            return np.frombuffer(buf[pos:end], dtype).astype(dtype.newbyteorder("=")), end
        return _ubj_items(buf, pos, kind, count, is_object=marker == b"{")
    raise ValueError(f"UBJSON: unsupported marker {marker!r} at byte {pos - 1}")


def _ubj_header(buf, pos):
    """A container's optional `$type` and `#count`."""
    kind = count = None
    if bytes(buf[pos:pos + 1]) == b"$":
        kind, pos = bytes(buf[pos + 1:pos + 2]), pos + 2
    if bytes(buf[pos:pos + 1]) == b"#":
        count, pos = _ubj_value(buf, pos + 1)
    return kind, count, pos


def _ubj_items(buf, pos, kind, count, is_object):
    closer = b"}" if is_object else b"]"
    keys, values = [], []
    while (len(values) < count) if count is not None else bytes(buf[pos:pos + 1]) != closer:
        if is_object:
            size, pos = _ubj_value(buf, pos)
            keys.append(bytes(buf[pos:pos + size]).decode())
            pos += size
        value, pos = _ubj_value(buf, pos, kind)
        values.append(value)
    pos += count is None  # the closing marker
    return (dict(zip(keys, values)) if is_object else values), pos


def from_xgboost(model: bytes) -> Forest:
    """An XGBoost booster saved with `save_raw("ubj")` (or `"json"`)."""
    doc = json.loads(model) if model[:1] == b"{" and model[1:2] == b'"' else read_ubjson(model)
    learner = doc["learner"]
    objective = learner["objective"]["name"]
    if objective not in _XGB_LINKS:
        raise ValueError(f"XGBoost model: objective {objective!r} is not evaluated in NumPy")
    booster = learner["gradient_booster"]
    if booster.get("name") != "gbtree":
        raise ValueError(f"XGBoost model: booster {booster.get('name')!r} is not a tree ensemble")
    params = learner["learner_model_param"]
    n_outputs = max(1, int(params.get("num_class", 0)), int(params.get("num_target", 1)))
    base = np.broadcast_to(np.asarray(json.loads(params["base_score"].replace("E", "e")),
                                      dtype=float), (n_outputs,))
    if objective == "binary:logistic":  # a probability there: its logit, in double as XGBoost
        base = np.log(base / (1.0 - base))
    base = base.astype(np.float32)
    model_trees = booster["model"]["trees"]
    owner = np.asarray(booster["model"]["tree_info"], dtype=int)
    trees = [_xgb_tree(t, n_outputs, int(k)) for t, k in zip(model_trees, owner)]
    return Forest(Tables.of(trees, n_outputs), base.astype(float), _XGB_LINKS[objective],
                  strict=True, float32=True)


def _xgb_tree(tree: dict, n_outputs: int, output: int) -> Tree:
    if len(tree.get("categories_nodes", [])) or any(np.asarray(tree["split_type"]) != 0):
        raise ValueError(f"XGBoost tree {tree.get('id')}: categorical splits are not evaluated")
    left = np.asarray(tree["left_children"], dtype=np.intp)
    is_leaf = left < 0
    condition = np.asarray(tree["split_conditions"], dtype=np.float32).astype(float)
    value = np.zeros((len(left), n_outputs))
    value[is_leaf, output] = condition[is_leaf]  # a leaf keeps its value in split_conditions
    return Tree(feature=np.where(is_leaf, -1, np.asarray(tree["split_indices"], dtype=np.intp)),
                threshold=np.where(is_leaf, 0.0, condition), left=np.where(is_leaf, 0, left),
                right=np.maximum(np.asarray(tree["right_children"], dtype=np.intp), 0),
                nan_left=np.asarray(tree["default_left"], dtype=bool), value=value,
                cover=np.asarray(tree["sum_hessian"], dtype=np.float32).astype(float))


# --- LightGBM ------------------------------------------------------------------------------------

def from_lightgbm(text: str) -> Forest:
    """A LightGBM booster's `model_to_string()`."""
    header, *blocks = text.split("\nTree=")
    head = _lgbm_fields(header)
    objective = head.get("objective", "regression").split()
    n_outputs = int(head.get("num_tree_per_iteration", "1"))
    if "average_output" in header.splitlines():
        raise ValueError("LightGBM model: average_output (random forest) is not evaluated")
    link = _lgbm_link(objective)
    trees = []
    for i, block in enumerate(blocks):
        fields = _lgbm_fields(block.split("\nend of trees")[0])
        trees.append(_lgbm_tree(fields, n_outputs, i % n_outputs, i))
    return Forest(Tables.of(trees, n_outputs), np.zeros(n_outputs), link, strict=False)


def _lgbm_link(objective: list[str]) -> str:
    name = objective[0]
    if name == "multiclass":
        return "softmax"
    if name == "binary" and "sigmoid:1" in objective:
        return "sigmoid"
    if name in ("regression", "regression_l1", "huber", "fair", "quantile", "mape"):
        return "identity"
    raise ValueError(f"LightGBM model: objective {' '.join(objective)!r} is not evaluated in NumPy")


def _lgbm_fields(block: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def _lgbm_tree(fields: dict[str, str], n_outputs: int, output: int, index: int) -> Tree:
    def numbers(name, dtype=float):
        return np.array(fields[name].split(), dtype=dtype) if fields.get(name) else np.array(
            [], dtype=dtype)

    if int(fields.get("num_cat", "0")) or int(fields.get("is_linear", "0")):
        raise ValueError(f"LightGBM tree {index}: categorical or linear trees are not evaluated")
    n_leaves = int(fields["num_leaves"])
    n_inner = n_leaves - 1
    leaf_value = numbers("leaf_value")
    value = np.zeros((n_inner + n_leaves, n_outputs))
    value[n_inner:, output] = leaf_value

    def child(name):  # a negative child is leaf ~child, numbered after the inner nodes
        raw = numbers(name, np.intp)
        return np.where(raw < 0, n_inner + ~raw, raw)

    decision = numbers("decision_type", np.intp)
    missing = (decision >> 2) & 3  # 0 none, 1 zero, 2 NaN
    default_left = (decision & 2) > 0
    threshold = numbers("threshold")
    # a missing value of a "none" split is read as 0.0, then compared
    nan_left = np.where(missing == 0, threshold >= 0.0, default_left)
    pad_int, pad_bool = np.zeros(n_leaves, np.intp), np.zeros(n_leaves, bool)
    return Tree(feature=np.concatenate([numbers("split_feature", np.intp),
                                        np.full(n_leaves, -1, np.intp)]),
                threshold=np.concatenate([threshold, np.zeros(n_leaves)]),
                left=np.concatenate([child("left_child"), pad_int]),
                right=np.concatenate([child("right_child"), pad_int]),
                nan_left=np.concatenate([nan_left, pad_bool]), value=value,
                cover=np.concatenate([numbers("internal_count"), numbers("leaf_count")])
                if n_inner else np.ones(1),
                zero_missing=np.concatenate([missing == 1, pad_bool]))


# --- CatBoost ------------------------------------------------------------------------------------

_CATBOOST_LINKS = {"MultiClass": "softmax", "Logloss": "sigmoid", "CrossEntropy": "sigmoid",
                   "RMSE": "identity", "MAE": "identity", "Quantile": "identity"}


def from_catboost(model: dict) -> Forest:
    """A CatBoost model saved with `save_model(..., format="json")`, loaded with `json.loads`."""
    loss = model["model_info"]["params"]["loss_function"]["type"]
    if loss not in _CATBOOST_LINKS:
        raise ValueError(f"CatBoost model: loss {loss!r} is not evaluated in NumPy")
    if model["features_info"].get("categorical_features"):
        raise ValueError("CatBoost model: categorical features are not evaluated in NumPy")
    floats = model["features_info"]["float_features"]
    column = {f["feature_index"]: f["flat_feature_index"] for f in floats}
    nan_left = {f["feature_index"]: f.get("nan_value_treatment") != "Max" for f in floats}
    scale, bias = model.get("scale_and_bias", [1.0, [0.0]])
    if scale != 1.0:
        raise ValueError(f"CatBoost model: scale {scale} is not evaluated in NumPy")
    bias = np.atleast_1d(np.asarray(bias, dtype=float))
    trees = [_oblivious_tree(t, column, nan_left, len(bias)) for t in model["oblivious_trees"]]
    return Forest(Tables.of(trees, len(bias)), bias, _CATBOOST_LINKS[loss], strict=False)


def _oblivious_tree(tree: dict, column: dict, nan_left: dict, n_outputs: int) -> Tree:
    """An oblivious tree (one split per level; leaf bit k = the row is above `splits[k]`) as a
    full binary tree in heap order. CatBoost's TreeSHAP puts the last split at the root (its
    values match only that way round), so heap leaf h is CatBoost's leaf h."""
    splits = tree["splits"] or []  # a depth-0 tree: one leaf
    if any(s["split_type"] != "FloatFeature" for s in splits):
        raise ValueError("CatBoost tree: only float-feature splits are evaluated in NumPy")
    n_leaves = 2 ** len(splits)
    n_inner = n_leaves - 1
    nodes = n_inner + n_leaves
    level = np.floor(np.log2(np.arange(nodes) + 1)).astype(int)  # children of i: 2i+1, 2i+2
    feature = np.full(nodes, -1, np.intp)
    threshold, to_nan_left = np.zeros(nodes), np.zeros(nodes, bool)
    for k, split in enumerate(reversed(splits)):
        at = np.flatnonzero(level[:n_inner] == k)
        feature[at] = column[split["float_feature_index"]]
        threshold[at] = split["border"]
        to_nan_left[at] = nan_left[split["float_feature_index"]]
    value = np.zeros((nodes, n_outputs))
    value[n_inner:] = np.asarray(tree["leaf_values"], dtype=float).reshape(n_leaves, n_outputs)
    cover = np.zeros(nodes)
    cover[n_inner:] = tree.get("leaf_weights", np.ones(n_leaves))
    for node in range(n_inner - 1, -1, -1):
        cover[node] = cover[2 * node + 1] + cover[2 * node + 2]
    children = np.where(feature >= 0, 2 * np.arange(nodes) + 1, 0)
    return Tree(feature, threshold, children, np.where(feature >= 0, children + 1, 0),
                to_nan_left, value, cover)
