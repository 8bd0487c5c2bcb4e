"""The nnlib contract (DESIGN.md section 2), checked for every public function.

- pure: inputs unchanged after every call, and outputs are new arrays;
- a backward function returns one gradient per input, with the input's shape;
- float32 in -> float32 out;
- bad input -> ValueError / TypeError naming the function and the observed values,
  never an assert, a numpy broadcasting accident or a silent wrong answer.
"""

from __future__ import annotations

import ast
import copy
import inspect
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib import (
    Dense,
    DenseCache,
    Value,
    accuracy,
    activation_backward,
    binary_cross_entropy,
    collapse_linear,
    dead_relu_fraction,
    dense_backward,
    dense_forward,
    dense_preactivation,
    draw_graph,
    forward_order,
    gradient_check,
    gradient_norms,
    identity,
    identity_derivative,
    init_mlp,
    iterate_minibatches,
    line_through,
    loss_and_gradients,
    mlp_backward,
    mlp_forward,
    mse_loss,
    mse_loss_backward,
    neuron_gradients,
    numerical_derivative,
    numerical_gradient,
    preactivation,
    predict,
    rel_error,
    relu,
    relu_derivative,
    sgd_step,
    sigmoid,
    sigmoid_cross_entropy,
    sigmoid_cross_entropy_backward,
    sigmoid_derivative,
    signed_distance,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    softmax_jacobian,
    tanh,
    tanh_derivative,
    topological_order,
    train,
    train_neuron,
    two_class_logit,
)

CORE_MODULES = (
    "activations", "losses", "neuron", "layers", "mlp", "optim", "training", "graph", "gradcheck",
)  # fmt: skip
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "identity")


# --------------------------------------------------------------------------- #
# sample arguments for every public function (fresh arrays on every call)


def _r(seed=0):
    return np.random.default_rng(seed)


def _net(sizes=(3, 4, 2), dtype=np.float64):
    rng = _r(1)
    return [
        Dense(rng.normal(size=(a, b)).astype(dtype), rng.normal(size=b).astype(dtype))
        for a, b in itertools.pairwise(sizes)
    ]


def _forward_state(hidden="tanh", dtype=np.float64):
    params = _net(dtype=dtype)
    X = _r(2).normal(size=(5, 3)).astype(dtype)
    out, caches = mlp_forward(X, params, hidden)
    return params, X, out, caches


def _value_graph():
    x, y = Value(2.0, label="x"), Value(-1.0, label="y")
    out = (x * y + x).tanh()
    out.backward()
    return out


def _sample_calls():
    """name -> (function, args, kwargs). Each call builds new arrays."""
    rng = _r(3)
    X = rng.normal(size=(5, 3))
    W = rng.normal(size=(3, 2))
    b = rng.normal(size=2)
    Z = rng.normal(size=(5, 2))
    dA = rng.normal(size=(5, 2))
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    probs = sigmoid(rng.normal(size=5))
    targets = rng.integers(0, 2, size=5).astype(float)
    params, Xm, out, caches = _forward_state()
    grads = mlp_backward(np.ones_like(out), caches, params, "tanh")
    w = rng.normal(size=3)
    return {
        "preactivation": (preactivation, (X[0], w, np.float64(0.5)), {}),
        "dense_preactivation": (dense_preactivation, (X, W, b), {}),
        "signed_distance": (signed_distance, (X, w, 0.5), {}),
        "line_through": (line_through, (X[0, :2], X[1, :2]), {}),
        "collapse_linear": (collapse_linear, (W, b, Z[:2], b), {}),
        "softmax_jacobian": (softmax_jacobian, (logits[0],), {}),
        "two_class_logit": (two_class_logit, (Z,), {}),
        "sigmoid": (sigmoid, (Z,), {}),
        "tanh": (tanh, (Z,), {}),
        "relu": (relu, (Z,), {}),
        "identity": (identity, (Z,), {}),
        "softmax": (softmax, (logits,), {}),
        "sigmoid_derivative": (sigmoid_derivative, (Z,), {}),
        "tanh_derivative": (tanh_derivative, (Z,), {}),
        "relu_derivative": (relu_derivative, (Z,), {}),
        "identity_derivative": (identity_derivative, (Z,), {}),
        "dense_forward": (dense_forward, (X, W, b, "sigmoid"), {}),
        "activation_backward": (activation_backward, (dA, Z, "tanh"), {}),
        "dense_backward": (dense_backward, (dA, DenseCache(X, X @ W + b), W), {}),
        "mse_loss": (mse_loss, (Z, dA), {}),
        "mse_loss_backward": (mse_loss_backward, (Z, dA), {}),
        "binary_cross_entropy": (binary_cross_entropy, (probs, targets), {}),
        "sigmoid_cross_entropy": (sigmoid_cross_entropy, (X[:, 0], targets), {}),
        "sigmoid_cross_entropy_backward": (sigmoid_cross_entropy_backward, (X[:, 0], targets), {}),
        "softmax_cross_entropy": (softmax_cross_entropy, (logits, labels), {}),
        "softmax_cross_entropy_backward": (softmax_cross_entropy_backward, (logits, labels), {}),
        "neuron_gradients": (neuron_gradients, (X, targets, w, 0.1), {}),
        "train_neuron": (train_neuron, (X, targets, w, 0.1), {"lr": 0.5, "epochs": 3}),
        "init_mlp": (init_mlp, ([3, 4, 2], _r(4)), {"init": "xavier"}),
        "mlp_forward": (mlp_forward, (Xm, params, "relu", "sigmoid"), {}),
        "mlp_backward": (mlp_backward, (np.ones_like(out), caches, params, "tanh"), {}),
        "predict": (predict, (Xm, params), {}),
        "loss_and_gradients": (loss_and_gradients, (params, Xm, labels % 2), {}),
        "gradient_norms": (gradient_norms, (grads,), {}),
        "dead_relu_fraction": (dead_relu_fraction, (caches,), {}),
        "sgd_step": (sgd_step, (params, grads, 0.1), {}),
        "accuracy": (accuracy, (logits, labels), {}),
        "iterate_minibatches": (iterate_minibatches, (X, labels, 2, _r(5)), {}),
        "train": (
            train,
            (params, Xm, labels % 2),
            {"epochs": 2, "lr": 0.1, "batch_size": 2, "rng": _r(6), "hidden": "tanh"},
        ),
        "numerical_derivative": (numerical_derivative, (math.tanh, 0.3), {}),
        "numerical_gradient": (numerical_gradient, (lambda t: float(np.sum(t**2)), W), {}),
        "rel_error": (rel_error, (Z, dA), {}),
        "gradient_check": (gradient_check, (lambda t: float(np.sum(t**2)), W, 2 * W), {}),
        "draw_graph": (draw_graph, (_value_graph(),), {}),
        "forward_order": (forward_order, ({"x": [], "h": ["x"], "out": ["h", "x"]},), {}),
        "topological_order": (topological_order, (_value_graph(),), {}),
    }


SAMPLE_NAMES = sorted(_sample_calls())


def _call(fn, args, kwargs):
    result = fn(*args, **kwargs)
    if inspect.isgenerator(result):
        result = list(result)
    return result


def test_every_public_core_function_has_a_sample():
    """New public functions must join the contract tests (add them to _sample_calls)."""
    public = {
        name
        for name in nnlib.__all__
        if inspect.isfunction(getattr(nnlib, name))
        and getattr(nnlib, name).__module__.removeprefix("nnlib.") in CORE_MODULES
    }
    assert public, "no public core functions found"
    assert public - set(SAMPLE_NAMES) == set()


# --------------------------------------------------------------------------- #
# purity


def _assert_same(before, after, path):
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray), path
        assert before.dtype == after.dtype and before.shape == after.shape, path
        assert np.array_equal(before, after), f"{path} was modified"
    elif isinstance(before, Value):
        old = [(v.data, v.grad) for v in before.topological_order()]
        new = [(v.data, v.grad) for v in after.topological_order()]
        assert old == new, f"{path} (a Value graph) was modified"
    elif isinstance(before, list | tuple):
        assert type(before) is type(after) and len(before) == len(after), f"{path} changed length"
        for i, (x, y) in enumerate(zip(before, after, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(before, np.random.Generator) or callable(before):
        pass  # a generator's state is meant to advance
    else:
        assert before == after, path


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_inputs_are_unchanged(name, agg):
    fn, args, kwargs = _sample_calls()[name]
    snapshot = copy.deepcopy((args, kwargs))
    _call(fn, args, kwargs)
    _assert_same(snapshot[0], args, f"{name} args")
    for key in kwargs:
        _assert_same(snapshot[1][key], kwargs[key], f"{name} {key}=")


def _arrays(obj, skip_caches=True):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, DenseCache) and skip_caches:
        return  # a cache holds the layer's input by design
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _arrays(item, skip_caches)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _arrays(item, skip_caches)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_outputs_are_new_arrays(name, agg):
    fn, args, kwargs = _sample_calls()[name]
    result = _call(fn, args, kwargs)
    inputs = list(_arrays([args, kwargs], skip_caches=False))
    for out in _arrays(result):
        for inp in inputs:
            assert not np.shares_memory(out, inp), f"{name} returned (a view of) one of its inputs"


def test_identity_output_can_be_changed_safely():
    z = np.array([1.0, 2.0])
    a = identity(z)
    a[0] = 99.0
    assert z[0] == 1.0


# --------------------------------------------------------------------------- #
# gradient shapes (non-square everywhere, so a transpose cannot hide)


def test_backward_gradient_shapes():
    rng = _r(7)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    A, cache = dense_forward(X, W, b, "relu")
    for act in ACTIVATION_NAMES:
        assert activation_backward(np.ones((5, 2)), cache.Z, act).shape == (5, 2)
    dX, dW, db = dense_backward(np.ones_like(A), cache, W)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    assert mse_loss_backward(np.ones((5, 2)), np.zeros((5, 2))).shape == (5, 2)
    assert sigmoid_cross_entropy_backward(np.ones((5, 1)), np.zeros((5, 1))).shape == (5, 1)
    assert sigmoid_cross_entropy_backward(np.ones(5), np.zeros(5)).shape == (5,)
    assert softmax_cross_entropy_backward(np.ones((5, 4)), np.zeros(5, dtype=int)).shape == (5, 4)
    _, dw, db1 = neuron_gradients(X, np.ones(5), np.ones(3), 0.0)
    assert dw.shape == (3,) and isinstance(db1, float)
    assert numerical_gradient(lambda t: float(np.sum(t)), np.ones((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("hidden", ACTIVATION_NAMES)
def test_mlp_gradients_are_shaped_like_params(hidden):
    params = _net((3, 4, 5, 2))
    X = _r(8).normal(size=(6, 3))
    out, caches = mlp_forward(X, params, hidden)
    grads = mlp_backward(np.ones_like(out), caches, params, hidden)
    _, grads2 = loss_and_gradients(params, X, np.array([0, 1, 1, 0, 1, 0]), hidden=hidden)
    for g_list in (grads, grads2):
        assert len(g_list) == len(params)
        for g, p in zip(g_list, params, strict=True):
            assert isinstance(g, Dense)
            assert g.W.shape == p.W.shape and g.b.shape == p.b.shape


# --------------------------------------------------------------------------- #
# dtypes: float32 in -> float32 out; integers -> float64


@pytest.mark.parametrize(
    "fn",
    [sigmoid, tanh, relu, identity, softmax, sigmoid_derivative, tanh_derivative, relu_derivative,
     identity_derivative],
    ids=lambda f: f.__name__,
)  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_preserve_dtype(fn, dtype):
    z = np.array([[-2.0, 0.0, 3.0]], dtype=dtype)
    assert fn(z).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_and_mlp_preserve_dtype(dtype):
    rng = _r(9)
    X = rng.normal(size=(4, 3)).astype(dtype)
    W = rng.normal(size=(3, 2)).astype(dtype)
    b = rng.normal(size=2).astype(dtype)
    assert dense_preactivation(X, W, b).dtype == dtype
    for act in ACTIVATION_NAMES:
        A, cache = dense_forward(X, W, b, act)
        assert A.dtype == dtype and cache.Z.dtype == dtype, act
        assert activation_backward(np.ones_like(A), cache.Z, act).dtype == dtype, act
    dX, dW, db = dense_backward(np.ones((4, 2), dtype=dtype), cache, W)
    assert dX.dtype == dW.dtype == db.dtype == dtype
    logits = rng.normal(size=(4, 3)).astype(dtype)
    assert softmax_cross_entropy_backward(logits, np.array([0, 1, 2, 0])).dtype == dtype

    params, _, out, caches = _forward_state("relu", dtype)
    assert out.dtype == dtype and all(c.Z.dtype == dtype for c in caches)
    for g in mlp_backward(np.ones_like(out), caches, params, "relu"):
        assert g.W.dtype == dtype and g.b.dtype == dtype


def test_integer_input_becomes_float64():
    X = np.array([[1, 2], [3, 4]])
    W = np.array([[1, 0], [0, 1]])
    A, cache = dense_forward(X, W, np.array([0, 0]), "relu")
    assert A.dtype == np.float64 and cache.X.dtype == np.float64


# --------------------------------------------------------------------------- #
# bad input: the right exception, naming the function and the observed values


def _params_and_grads():
    params = _net((4, 3, 2))
    grads = [Dense(np.zeros_like(p.W), np.zeros_like(p.b)) for p in params]
    return params, grads


def _sgd(lr=0.1, **change):
    params, grads = _params_and_grads()
    for key, value in change.items():
        i = int(key[-1])
        grads[i] = grads[i]._replace(**{key[0]: value})
    return sgd_step(params, grads, lr)


Z4 = np.zeros((3, 4))
X22 = np.zeros((2, 2))
X2, W2, B2 = np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4)

BAD_INPUTS = [
    # --- shapes of X and W
    ("dense_forward X/W", lambda: dense_forward(np.zeros((32, 784)), np.zeros((256, 10)), np.zeros(10)),
     ValueError, ["dense_forward", "X.shape=(32, 784), W.shape=(256, 10)"]),
    ("dense_preactivation X/W",
     lambda: dense_preactivation(np.zeros((32, 784)), np.zeros((256, 10)), np.zeros(10)),
     ValueError, ["dense_preactivation", "X.shape=(32, 784)", "W.shape=(256, 10)"]),
    ("neuron_gradients X/w", lambda: neuron_gradients(np.zeros((4, 3)), np.zeros(4), np.zeros(2), 0.0),
     ValueError, ["neuron_gradients", "X.shape=(4, 3)", "w.shape=(2,)"]),
    ("preactivation x/w", lambda: preactivation(np.zeros(3), np.zeros(4), 0.0),
     ValueError, ["preactivation", "x.shape=(3,)", "w.shape=(4,)"]),
    ("dense_backward W",
     lambda: dense_backward(np.zeros((2, 4)), DenseCache(X2, np.zeros((2, 4))), np.zeros((4, 3))),
     ValueError, ["dense_backward", "W.shape=(4, 3)", "(3, 4)"]),
    ("dense_backward cache", lambda: dense_backward(np.zeros((2, 4)), (X2, np.zeros((2, 4))), W2),
     TypeError, ["dense_backward", "DenseCache", "tuple"]),
    # --- 1-D where 2-D is needed
    ("dense_forward 1-D", lambda: dense_forward(np.zeros(3), W2, B2),
     ValueError, ["dense_forward", "X.shape=(3,)", "X.reshape(1, -1)"]),
    ("dense_preactivation 1-D", lambda: dense_preactivation(np.zeros(3), W2, B2),
     ValueError, ["dense_preactivation", "reshape(1, -1)"]),
    ("mlp_forward 1-D", lambda: mlp_forward(np.zeros(4), _net((4, 3, 2))),
     ValueError, ["mlp_forward", "X.shape=(4,)", "X.reshape(1, -1)"]),
    ("predict 1-D", lambda: predict(np.zeros(4), _net((4, 3, 2))),
     ValueError, ["X.shape=(4,)", "X.reshape(1, -1)"]),
    ("neuron_gradients 1-D", lambda: neuron_gradients(np.zeros(3), np.zeros(1), np.zeros(3), 0.0),
     ValueError, ["neuron_gradients", "X.reshape(1, -1)"]),
    ("softmax_cross_entropy 1-D", lambda: softmax_cross_entropy(np.zeros(4), np.array([1])),
     ValueError, ["softmax_cross_entropy", "logits.shape=(4,)", "logits.reshape(1, -1)"]),
    ("accuracy 1-D", lambda: accuracy(np.zeros(4), np.array([1])),
     ValueError, ["accuracy", "logits.reshape(1, -1)"]),
    # --- labels
    ("label too large", lambda: softmax_cross_entropy(Z4, np.array([0, 4, 1])),
     ValueError, ["softmax_cross_entropy", "labels[1]=4", "C=4"]),
    ("label negative", lambda: softmax_cross_entropy_backward(Z4, np.array([0, 1, -1])),
     ValueError, ["softmax_cross_entropy_backward", "labels[2]=-1"]),
    ("accuracy label", lambda: accuracy(Z4, [9, 0, 0]),
     ValueError, ["accuracy", "labels[0]=9"]),
    ("float labels", lambda: softmax_cross_entropy(Z4, np.array([0.0, 1.0, 2.0])),
     TypeError, ["softmax_cross_entropy", "dtype=float64", "astype(int)"]),
    ("bool labels", lambda: accuracy(Z4, np.array([True, False, True])),
     TypeError, ["accuracy", "dtype=bool"]),
    ("str labels", lambda: softmax_cross_entropy(Z4, ["a", "b", "c"]),
     TypeError, ["softmax_cross_entropy", "integer class ids"]),
    ("NaN labels", lambda: softmax_cross_entropy(Z4, np.array([0.0, np.nan, 1.0])),
     ValueError, ["softmax_cross_entropy", "NaN", "index 1"]),
    ("one-hot labels", lambda: softmax_cross_entropy(Z4, np.eye(4, dtype=int)[:3]),
     ValueError, ["softmax_cross_entropy", "labels.shape=(3, 4)", "(3,)"]),
    ("too few labels", lambda: softmax_cross_entropy(Z4, np.array([0, 1])),
     ValueError, ["labels.shape=(2,)", "(3,)"]),
    # --- b of the wrong length
    ("b length", lambda: dense_forward(X2, W2, np.zeros(3)),
     ValueError, ["dense_forward", "b.shape=(3,)", "(4,)"]),
    ("b 2-D", lambda: dense_preactivation(X2, W2, np.zeros((1, 4))),
     ValueError, ["dense_preactivation", "b.shape=(1, 4)"]),
    ("preactivation b", lambda: preactivation(np.zeros(2), np.zeros(2), np.zeros(2)),
     ValueError, ["preactivation", "b.shape=(2,)"]),
    ("neuron b str", lambda: neuron_gradients(np.zeros((2, 2)), np.zeros(2), np.zeros(2), "1.5"),
     TypeError, ["neuron_gradients", "'1.5'"]),
    ("neuron b None", lambda: train_neuron(X22, np.zeros(2), np.zeros(2), None, lr=0.1, epochs=1),
     TypeError, ["train_neuron", "None"]),
    # --- learning rates
    ("lr 0", lambda: _sgd(0), ValueError, ["sgd_step", "lr=0"]),
    ("lr < 0", lambda: _sgd(-0.1), ValueError, ["sgd_step", "lr=-0.1"]),
    ("lr NaN", lambda: _sgd(float("nan")), ValueError, ["sgd_step", "lr=nan"]),
    ("lr inf", lambda: _sgd(math.inf), ValueError, ["sgd_step", "lr=inf"]),
    ("lr bool", lambda: _sgd(True), TypeError, ["sgd_step", "bool"]),
    ("lr str", lambda: _sgd("0.1"), TypeError, ["sgd_step", "str", "'0.1'"]),
    ("lr None", lambda: _sgd(None), TypeError, ["sgd_step", "NoneType"]),
    ("train_neuron lr", lambda: train_neuron(X22, np.zeros(2), np.zeros(2), 0.0, lr=-1, epochs=1),
     ValueError, ["train_neuron", "lr=-1"]),
    ("train_neuron epochs", lambda: train_neuron(X22, np.zeros(2), np.zeros(2), 0.0, lr=1, epochs=0),
     ValueError, ["train_neuron", "epochs=0"]),
    # --- Value from a non-number
    ("Value str", lambda: Value("abc"), TypeError, ["Value", "str", "'abc'"]),
    ("Value bool", lambda: Value(True), TypeError, ["Value", "bool"]),
    ("Value array", lambda: Value(np.array([1.0])), TypeError, ["Value", "ndarray"]),
    # --- unknown names: the message lists the valid ones
    ("activation name", lambda: dense_forward(X2, W2, B2, "softmax"),
     ValueError, ["dense_forward", "'softmax'", "'sigmoid'", "'tanh'", "'relu'", "'identity'"]),
    ("activation_backward name", lambda: activation_backward(Z4, Z4, "Relu"),
     ValueError, ["activation_backward", "'Relu'", "'relu'"]),
    ("hidden name", lambda: mlp_forward(np.zeros((2, 4)), _net((4, 3, 2)), hidden="leaky_relu"),
     ValueError, ["mlp_forward", "'leaky_relu'", "'relu'", "'tanh'"]),
    ("mlp_backward name", lambda: mlp_backward(np.zeros((2, 2)), [], _net((4, 3, 2)), output="softmax"),
     ValueError, ["mlp_backward", "'softmax'", "'identity'"]),
    ("loss name", lambda: loss_and_gradients(_net((4, 3, 2)), np.zeros((2, 4)), [0, 1], loss="cross_entropy"),
     ValueError, ["loss_and_gradients", "'cross_entropy'", "'softmax_cross_entropy'", "'mse'",
                  "'sigmoid_cross_entropy'"]),
    ("init name", lambda: init_mlp([3, 2], _r(), init="glorot"),
     ValueError, ["init_mlp", "'glorot'", "'he'", "'xavier'", "'normal'"]),
    # --- rng
    ("init_mlp RandomState", lambda: init_mlp([3, 2], np.random.RandomState(0)),
     TypeError, ["init_mlp", "np.random.Generator", "RandomState"]),
    ("init_mlp int rng", lambda: init_mlp([3, 2], 0), TypeError, ["init_mlp", "default_rng", "int"]),
    ("init_mlp None rng", lambda: init_mlp([3, 2], None), TypeError, ["init_mlp", "NoneType"]),
    ("minibatches rng", lambda: list(iterate_minibatches(X2, np.zeros(2), 1, 42)),
     TypeError, ["iterate_minibatches", "np.random.Generator", "int"]),
    # --- parameters and gradients that do not fit
    ("sgd dW shape", lambda: _sgd(W0=np.zeros((3, 4))),
     ValueError, ["sgd_step", "grads[0].dW", "(3, 4) vs (4, 3)"]),
    ("sgd db shape", lambda: _sgd(b1=np.zeros((1, 2))),
     ValueError, ["sgd_step", "grads[1].db", "(1, 2) vs (2,)"]),
    ("sgd grads count", lambda: sgd_step(*[_params_and_grads()[0], _params_and_grads()[1][:1]], 0.1),
     ValueError, ["sgd_step", "1 grads for 2 layers"]),
    ("mlp_backward caches count",
     lambda: mlp_backward(_forward_state()[2], _forward_state()[3][:1], _forward_state()[0], "tanh"),
     ValueError, ["mlp_backward", "1 caches for 2 layers"]),
    ("mlp_backward tuple caches",
     lambda: mlp_backward(_forward_state()[2], [tuple(c) for c in _forward_state()[3]], _forward_state()[0]),
     TypeError, ["mlp_backward", "DenseCache", "tuple"]),
    ("mlp_forward no params", lambda: mlp_forward(X2, []), TypeError, ["mlp_forward", "params"]),
    ("mlp_forward array params", lambda: mlp_forward(X2, [W2]),
     TypeError, ["mlp_forward", "params[0]", "ndarray"]),
    ("init_mlp weight_std", lambda: init_mlp([3, 2], _r(), weight_std=0.1),
     ValueError, ["init_mlp", "weight_std", "'he'"]),
    ("init_mlp sizes", lambda: init_mlp([3], _r()), ValueError, ["init_mlp", "at least 2"]),
    ("init_mlp size 0", lambda: init_mlp([3, 0, 2], _r()), ValueError, ["init_mlp", "sizes[1]=0"]),
    ("init_mlp size float", lambda: init_mlp([3, 2.0], _r()), TypeError, ["init_mlp", "sizes[1]", "float"]),
    ("gradient_norms", lambda: gradient_norms("grads"), TypeError, ["gradient_norms"]),
    ("dead_relu_fraction", lambda: dead_relu_fraction([X2]), TypeError, ["dead_relu_fraction", "DenseCache"]),
    # --- no broadcasting between arrays that must have one shape
    ("mse (N,) vs (N,1)", lambda: mse_loss(np.zeros(4), np.zeros((4, 1))),
     ValueError, ["mse_loss", "y_pred.shape=(4,)", "y.shape=(4, 1)"]),
    ("mse_backward (N,1) vs (N,)", lambda: mse_loss_backward(np.zeros((4, 1)), np.zeros(4)),
     ValueError, ["mse_loss_backward", "(4, 1)", "(4,)"]),
    ("bce (N,) vs (N,1)", lambda: binary_cross_entropy(np.zeros(4), np.zeros((4, 1))),
     ValueError, ["binary_cross_entropy", "p.shape=(4,)", "y.shape=(4, 1)"]),
    ("sigmoid_ce (N,) vs (N,1)", lambda: sigmoid_cross_entropy(np.zeros(4), np.zeros((4, 1))),
     ValueError, ["sigmoid_cross_entropy", "z.shape=(4,)"]),
    ("sigmoid_ce_backward", lambda: sigmoid_cross_entropy_backward(np.zeros((4, 1)), np.zeros(4)),
     ValueError, ["sigmoid_cross_entropy_backward", "z.shape=(4, 1)"]),
    ("activation_backward shapes", lambda: activation_backward(np.zeros((4, 1)), np.zeros(4), "relu"),
     ValueError, ["activation_backward", "dA.shape=(4, 1)", "Z.shape=(4,)"]),
    ("dense_backward dZ", lambda: dense_backward(np.zeros((2, 1)), DenseCache(X2, np.zeros((2, 4))), W2),
     ValueError, ["dense_backward", "dZ.shape=(2, 1)", "cache.Z.shape=(2, 4)"]),
    ("neuron y (N,1)", lambda: neuron_gradients(np.zeros((4, 3)), np.zeros((4, 1)), np.zeros(3), 0.0),
     ValueError, ["neuron_gradients", "y.shape=(4, 1)"]),
    ("preactivation x (D,1)", lambda: preactivation(np.zeros(3), np.zeros((3, 1)), 0.0),
     ValueError, ["preactivation", "w.shape=(3, 1)"]),
    ("rel_error shapes", lambda: rel_error(np.zeros(3), np.zeros((3, 1))),
     ValueError, ["rel_error", "(3, 1)"]),
    ("minibatch rows", lambda: list(iterate_minibatches(np.zeros((5, 2)), np.zeros(4), 2, _r())),
     ValueError, ["iterate_minibatches", "X.shape=(5, 2)", "y.shape=(4,)"]),
    # --- values and types
    ("bce p > 1", lambda: binary_cross_entropy(np.array([0.5, 1.5]), np.zeros(2)),
     ValueError, ["binary_cross_entropy", "max=1.5"]),
    ("sigmoid str", lambda: sigmoid("abc"), TypeError, ["sigmoid", "'abc'"]),
    ("relu mixed list", lambda: relu([1.0, "a"]), TypeError, ["relu", "dtype"]),
    ("tanh ragged", lambda: tanh([[1.0], [1.0, 2.0]]), TypeError, ["tanh", "rectangular"]),
    ("softmax complex", lambda: softmax(np.array([1j, 2.0])), TypeError, ["softmax", "complex"]),
    ("softmax scalar", lambda: softmax(1.0), ValueError, ["softmax", "scalar"]),
    ("dense_forward None", lambda: dense_forward(None, W2, B2), TypeError, ["dense_forward", "X", "None"]),
    ("batch_size 0", lambda: list(iterate_minibatches(X2, np.zeros(2), 0, _r())),
     ValueError, ["iterate_minibatches", "batch_size=0"]),
    ("batch_size float", lambda: list(iterate_minibatches(X2, np.zeros(2), 2.5, _r())),
     TypeError, ["iterate_minibatches", "batch_size", "float"]),
    ("accuracy N=0", lambda: accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int)),
     ValueError, ["accuracy", "N=0"]),
    ("gradient_check float32", lambda: gradient_check(np.sum, np.ones(3, np.float32), np.ones(3)),
     TypeError, ["gradient_check", "float64", "float32"]),
    ("gradient_check tol", lambda: gradient_check(np.sum, np.ones(3), np.ones(3), tol=-1.0),
     ValueError, ["gradient_check", "tol=-1.0"]),
    ("numerical_derivative h", lambda: numerical_derivative(math.exp, 1.0, h=-1e-5),
     ValueError, ["numerical_derivative", "h=-1e-05"]),
    ("numerical_derivative x", lambda: numerical_derivative(math.exp, "1"),
     TypeError, ["numerical_derivative", "str"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "thunk", "exc", "words"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_explained(case, thunk, exc, words):
    with pytest.raises(Exception) as err:
        thunk()
    assert err.type is exc, f"{case}: expected {exc.__name__}, got {err.type.__name__}: {err.value}"
    msg = str(err.value)
    missing = [w for w in words if w not in msg]
    assert not missing, f"{case}: {missing} not in message {msg!r}"


def test_no_assert_statements_in_core_modules():
    """User errors must never surface as AssertionError (or vanish under python -O)."""
    root = Path(nnlib.__file__).parent
    for module in (*CORE_MODULES, "_validate"):
        tree = ast.parse((root / f"{module}.py").read_text())
        asserts = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, f"nnlib/{module}.py uses assert at lines {asserts}"
