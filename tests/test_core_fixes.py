"""Regression tests for the core bugs of issue 9 and for the fast paths added with it.

Each bad input must raise ValueError/TypeError in the house style
"function: rule; got observed values", naming the function the learner called.
The fast paths (checks done once in loss_and_gradients, the shared softmax, the
skipped input gradient of the first layer, the outer product for N = 1) must give
exactly the numbers of the plain public functions.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from nnlib import (
    Dense,
    DenseCache,
    Value,
    activation_backward,
    binary_cross_entropy,
    dead_relu_fraction,
    dense_backward,
    dense_forward,
    init_mlp,
    iterate_minibatches,
    loss_and_gradients,
    mlp_backward,
    mlp_forward,
    mse_loss,
    mse_loss_backward,
    neuron_gradients,
    sgd_step,
    sigmoid_cross_entropy,
    sigmoid_cross_entropy_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    train,
    train_neuron,
)


def _net(sizes=(3, 4, 2), seed=0, dtype=np.float64):
    params = init_mlp(list(sizes), np.random.default_rng(seed), "xavier")
    rng = np.random.default_rng(seed + 1)
    return [Dense(W.astype(dtype), rng.normal(size=b.shape).astype(dtype)) for W, b in params]


def _raises(exc, call, *fragments):
    with pytest.raises(exc) as err:
        call()
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# --------------------------------------------------------------------------- #
# (1) a layer that does not fit inside mlp_forward: name mlp_forward and the layer


def test_mlp_forward_names_the_layer_that_does_not_fit():
    params = [Dense(np.zeros((3, 4)), np.zeros(4)), Dense(np.zeros((3, 2)), np.zeros(2))]
    message = _raises(ValueError, lambda: mlp_forward(np.zeros((5, 3)), params), "mlp_forward:")
    assert message == ("mlp_forward: params[1].W.shape[0] must equal the width of layer 0's output (4); "
                       "got params[1].W.shape=(3, 2)")
    assert "dense_forward" not in message


def test_mlp_forward_names_the_first_layer_and_bad_biases():
    params = _net((3, 4, 2))
    _raises(ValueError, lambda: mlp_forward(np.zeros((5, 2)), params),
            "mlp_forward: params[0].W.shape[0] must equal X.shape[1] (2)", "params[0].W.shape=(3, 4)")
    bad_b = [params[0], Dense(params[1].W, np.zeros(3))]
    _raises(ValueError, lambda: mlp_forward(np.zeros((5, 3)), bad_b),
            "mlp_forward: params[1].b must have shape (D_out,) = (2,)", "params[1].b.shape=(3,)")
    flat_W = [Dense(np.zeros(3), np.zeros(3))]
    _raises(ValueError, lambda: mlp_forward(np.zeros((5, 3)), flat_W), "mlp_forward: params[0].W must be 2-D")
    _raises(ValueError, lambda: loss_and_gradients(params, np.zeros((5, 2)), np.zeros(5, dtype=int)),
            "loss_and_gradients: params[0].W.shape[0] must equal X.shape[1] (2)")


# --------------------------------------------------------------------------- #
# (2) a wrong-shaped dout or caches that do not fit: mlp_backward says so


def test_mlp_backward_checks_dout():
    params = _net((3, 4, 2))
    _, caches = mlp_forward(np.ones((5, 3)), params)
    message = _raises(ValueError, lambda: mlp_backward(np.ones((5, 3)), caches, params),
                      "mlp_backward: dout and caches[-1].Z must have the same shape",
                      "dout.shape=(5, 3)", "caches[-1].Z.shape=(5, 2)")
    assert "activation_backward" not in message
    _raises(ValueError, lambda: mlp_backward(np.ones(10), caches, params), "mlp_backward", "dout.shape=(10,)")


def test_mlp_backward_checks_caches_against_params():
    params = _net((3, 4, 2))
    _, caches = mlp_forward(np.ones((5, 3)), params)
    _, other = mlp_forward(np.ones((5, 3)), _net((3, 6, 2)))
    _raises(ValueError, lambda: mlp_backward(np.ones((5, 2)), other, params),
            "mlp_backward: caches[0] must fit params[0].W.shape=(3, 4)", "caches[0].Z.shape=(5, 6)")
    _, fewer = mlp_forward(np.ones((4, 3)), params)
    _raises(ValueError, lambda: mlp_backward(np.ones((5, 2)), [caches[0], fewer[1]], params),
            "mlp_backward: caches[1] must fit", "N=5", "caches[1].X.shape=(4, 4)")


# --------------------------------------------------------------------------- #
# (3) binary targets must be in [0, 1]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda y: binary_cross_entropy(np.full(3, 0.5), y), "binary_cross_entropy"),
        (lambda y: sigmoid_cross_entropy(np.zeros(3), y), "sigmoid_cross_entropy"),
        (lambda y: sigmoid_cross_entropy_backward(np.zeros(3), y), "sigmoid_cross_entropy_backward"),
        (lambda y: neuron_gradients(np.ones((3, 2)), y, np.zeros(2), 0.0), "neuron_gradients"),
        (lambda y: train_neuron(np.ones((3, 2)), y, np.zeros(2), 0.0, lr=0.1, epochs=1), "train_neuron"),
    ],
)
@pytest.mark.parametrize(("y", "shown"), [([0.0, 1.0, 2.0], "y[2]=2.0"), ([0.0, -0.5, 1.0], "y[1]=-0.5"),
                                          ([np.nan, 0.0, 1.0], "y[0]=nan")])
def test_binary_targets_must_be_in_0_1(call, name, y, shown):
    _raises(ValueError, lambda: call(np.array(y)), f"{name}: y must be in [0, 1]", shown)


def test_sigmoid_cross_entropy_is_never_negative_for_valid_targets():
    z = np.array([-30.0, -1.0, 0.0, 2.0, 40.0])
    for y in (np.zeros(5), np.ones(5), np.full(5, 0.3)):
        assert sigmoid_cross_entropy(z, y) >= 0


# --------------------------------------------------------------------------- #
# (4) a batch of N = 0 examples: no NaN, no RuntimeWarning, a ValueError


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: mse_loss(np.zeros((0, 3)), np.zeros((0, 3))), "mse_loss: need at least one example; "
                                                               "got y_pred.shape=(0, 3)"),
        (lambda: mse_loss_backward(np.zeros(0), np.zeros(0)), "mse_loss_backward: need at least one example"),
        (lambda: softmax_cross_entropy(np.zeros((0, 4)), np.zeros(0, dtype=int)),
         "softmax_cross_entropy: need at least one example; got logits.shape=(0, 4)"),
        (lambda: softmax_cross_entropy_backward(np.zeros((0, 4)), np.zeros(0, dtype=int)),
         "softmax_cross_entropy_backward: need at least one example"),
        (lambda: binary_cross_entropy(np.zeros(0), np.zeros(0)), "binary_cross_entropy: need at least one"),
        (lambda: sigmoid_cross_entropy(np.zeros(0), np.zeros(0)), "sigmoid_cross_entropy: need at least one"),
        (lambda: neuron_gradients(np.zeros((0, 2)), np.zeros(0), np.zeros(2), 0.0),
         "neuron_gradients: need at least one example; got X.shape=(0, 2)"),
        (lambda: loss_and_gradients(_net((3, 2)), np.zeros((0, 3)), np.zeros(0, dtype=int)),
         "softmax_cross_entropy: need at least one example"),
    ],
)
def test_empty_batches_are_refused(call, fragment):
    with np.errstate(all="raise"):  # a NaN from a mean of nothing would raise FloatingPointError
        _raises(ValueError, call, fragment)


# --------------------------------------------------------------------------- #
# (5) init_mlp: sizes must be a sequence, weight_std > 0


@pytest.mark.parametrize("sizes", [5, None, 3.0, "64"])
def test_init_mlp_sizes_must_be_a_sequence(sizes):
    _raises(TypeError, lambda: init_mlp(sizes, np.random.default_rng(0)),
            "init_mlp: sizes must be a sequence of layer widths", type(sizes).__name__)


@pytest.mark.parametrize(("std", "exc", "fragment"), [
    (-0.1, ValueError, "weight_std=-0.1"), (0.0, ValueError, "weight_std=0.0"),
    (float("nan"), ValueError, "weight_std=nan"), (float("inf"), ValueError, "weight_std=inf"),
    ("0.1", TypeError, "str"),
])
def test_init_mlp_weight_std_must_be_positive(std, exc, fragment):
    _raises(exc, lambda: init_mlp([3, 2], np.random.default_rng(0), init="normal", weight_std=std),
            "init_mlp: weight_std must be", fragment)


def test_init_mlp_weight_std_is_used():
    params = init_mlp((200, 300), np.random.default_rng(0), init="normal", weight_std=0.5)
    assert 0.49 < params[0].W.std() < 0.51
    assert init_mlp(range(3, 0, -1), np.random.default_rng(0))[1].W.shape == (2, 1)  # any iterable


# --------------------------------------------------------------------------- #
# (6) Dense and DenseCache holding lists instead of arrays


def test_lists_inside_dense_and_densecache_work():
    params = _net((3, 4, 2))
    as_lists = [Dense(p.W.tolist(), p.b.tolist()) for p in params]
    grads = [Dense(np.ones_like(p.W), np.ones_like(p.b)) for p in params]
    grads_as_lists = [Dense(g.W.tolist(), g.b.tolist()) for g in grads]
    expected = sgd_step(params, grads, 0.1)
    for got in (sgd_step(as_lists, grads, 0.1), sgd_step(params, grads_as_lists, 0.1)):
        for g, e in zip(got, expected, strict=True):
            assert_array_equal(g.W, e.W)
            assert_array_equal(g.b, e.b)

    X = np.arange(15.0).reshape(5, 3) / 10
    _, cache = dense_forward(X, params[0].W, params[0].b, "relu")
    list_cache = DenseCache(cache.X.tolist(), cache.Z.tolist())
    for got, want in zip(dense_backward(np.ones((5, 4)), list_cache, params[0].W.tolist()),
                         dense_backward(np.ones((5, 4)), cache, params[0].W), strict=True):
        assert_array_equal(got, want)

    out, caches = mlp_forward(X, params, "tanh")
    list_caches = [DenseCache(c.X.tolist(), c.Z.tolist()) for c in caches]
    assert_array_equal(dead_relu_fraction(list_caches), dead_relu_fraction(caches))
    for got, want in zip(mlp_backward(np.ones_like(out), list_caches, as_lists, "tanh"),
                         mlp_backward(np.ones_like(out), caches, params, "tanh"), strict=True):
        assert_array_equal(got.W, want.W)


def test_non_numbers_inside_dense_are_type_errors():
    params = _net((3, 2))
    grads = [Dense(np.zeros((3, 2)), ["a", "b"])]
    _raises(TypeError, lambda: sgd_step(params, grads, 0.1), "sgd_step: grads[0].db must hold real numbers")
    _raises(TypeError, lambda: sgd_step([Dense(None, params[0].b)], grads, 0.1), "sgd_step: params[0].W")
    no_X = DenseCache(None, np.ones((1, 2)))
    _raises(TypeError, lambda: dense_backward(np.ones((1, 2)), no_X, np.ones((3, 2))),
            "dense_backward: cache.X")
    _raises(TypeError, lambda: dead_relu_fraction([DenseCache(np.ones((1, 2)), "Z"), DenseCache(1, 1)]),
            "dead_relu_fraction: caches[0].Z")


def test_dense_backward_checks_the_cache_shapes():
    flat_Z = DenseCache(np.ones((1, 3)), np.ones(2))
    _raises(ValueError, lambda: dense_backward(np.ones(2), flat_Z, np.ones((3, 2))),
            "dense_backward: dZ must be 2-D")
    _raises(ValueError, lambda: dense_backward(np.ones((1, 2)), DenseCache(np.ones(3), np.ones((1, 2))),
                                               np.ones((3, 2))),
            "dense_backward: cache.X must be 2-D", "reshape(1, -1)")


# --------------------------------------------------------------------------- #
# (7) iterate_minibatches checks its arguments at the call


@pytest.mark.parametrize(("kwargs", "exc", "fragment"), [
    ({"batch_size": 0}, ValueError, "batch_size=0"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"rng": 42}, TypeError, "np.random.Generator"),
    ({"y": np.zeros(3)}, ValueError, "X.shape=(4, 2), y.shape=(3,)"),
])
def test_iterate_minibatches_checks_eagerly(kwargs, exc, fragment):
    args = {"X": np.zeros((4, 2)), "y": np.zeros(4), "batch_size": 2, "rng": np.random.default_rng(0)}
    args |= kwargs
    _raises(exc, lambda: iterate_minibatches(**args), "iterate_minibatches:", fragment)  # no next() needed


def test_iterate_minibatches_still_shuffles_lazily_with_the_rng():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    rng = np.random.default_rng(3)
    batches = iterate_minibatches(X, y, 2, rng)
    assert inspect.isgenerator(batches)
    assert rng.bit_generator.state == np.random.default_rng(3).bit_generator.state  # nothing drawn yet
    order = np.concatenate([yb for _, yb in batches])
    assert_array_equal(order, np.random.default_rng(3).permutation(5))


# --------------------------------------------------------------------------- #
# (8) Value edge cases


def test_value_power_zero_has_derivative_zero_even_at_zero():
    for x0 in (0.0, 2.0, -3.0):
        x = Value(x0)
        y = x**0
        y.backward()
        assert y.data == 1.0 and x.grad == 0.0


def test_value_negative_base_with_fractional_exponent():
    _raises(ValueError, lambda: Value(-2) ** 0.5,
            "Value.__pow__: a negative base needs a whole-number exponent", "(-2) ** 0.5")
    x = Value(-2.0)
    (x**3).backward()
    assert x.grad == 12.0  # whole exponents of negative numbers are fine


def test_value_division_by_zero_names_value():
    _raises(ZeroDivisionError, lambda: 1 / Value(0), "Value /: the divisor must be nonzero", "1 / 0")
    _raises(ZeroDivisionError, lambda: Value(3.0) / 0, "Value /", "3 / 0")
    _raises(ZeroDivisionError, lambda: Value(3.0) / Value(0.0), "Value /")
    _raises(ZeroDivisionError, lambda: Value(0.0) ** -1, "Value.__pow__: 0 ** k is undefined for k < 0")
    y = Value(0.0) ** 0.5  # sqrt(0) is fine, its slope is not
    _raises(ZeroDivisionError, y.backward, "Value.__pow__ backward", "infinite at x = 0")


# --------------------------------------------------------------------------- #
# the fast paths give the public functions' numbers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "identity"])
def test_loss_and_gradients_equals_its_parts(dtype, hidden):
    params = _net((5, 7, 3), dtype=dtype)
    X = np.random.default_rng(2).normal(size=(6, 5)).astype(dtype)
    labels = np.array([0, 2, 1, 1, 0, 2])
    value, grads = loss_and_gradients(params, X, labels, hidden=hidden)
    logits, caches = mlp_forward(X, params, hidden)
    assert value == softmax_cross_entropy(logits, labels)
    expected = mlp_backward(softmax_cross_entropy_backward(logits, labels), caches, params, hidden)
    for g, e in zip(grads, expected, strict=True):
        assert g.W.dtype == g.b.dtype == dtype
        assert_array_equal(g.W, e.W)
        assert_array_equal(g.b, e.b)


def test_dense_backward_input_grad_false_skips_dX_only():
    rng = np.random.default_rng(4)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    _, cache = dense_forward(X, W, b, "tanh")
    dZ = rng.normal(size=(5, 2))
    dX, dW, db = dense_backward(dZ, cache, W)
    none, dW2, db2 = dense_backward(dZ, cache, W, input_grad=False)
    assert none is None
    assert_array_equal(dW, dW2)
    assert_array_equal(db, db2)
    assert_allclose(dX, dZ @ W.T)


def test_dense_backward_with_one_example_is_the_outer_product():
    rng = np.random.default_rng(5)
    X, W, dZ = rng.normal(size=(1, 4)), rng.normal(size=(4, 3)), rng.normal(size=(1, 3))
    _, cache = dense_forward(X, W, np.zeros(3), "identity")
    _, dW, db = dense_backward(dZ, cache, W)
    assert_array_equal(dW, np.outer(X[0], dZ[0]))
    assert dW.shape == (4, 3) and dW.flags.c_contiguous
    assert_array_equal(db, dZ[0])


def test_activation_backward_identity_is_a_copy_of_dA():
    dA = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    dZ = activation_backward(dA, np.zeros((2, 3), dtype=np.float32), "identity")
    assert_array_equal(dZ, dA)
    assert dZ.dtype == np.float32 and not np.shares_memory(dZ, dA)


def test_float32_stays_float32_through_training():
    rng = np.random.default_rng(6)
    params = _net((4, 8, 3), dtype=np.float32)
    X = rng.normal(size=(12, 4)).astype(np.float32)
    for loss, y in (("softmax_cross_entropy", rng.integers(0, 3, 12)),
                    ("mse", rng.normal(size=(12, 3))),  # float64 targets
                    ("mse", rng.integers(0, 2, size=(12, 3)))):  # integer targets
        _, grads = loss_and_gradients(params, X, y, loss=loss)
        stepped = sgd_step(params, grads, 0.1)  # a Python float lr
        assert {a.dtype for layer in grads + stepped for a in layer} == {np.dtype(np.float32)}, loss
    one = [params[0], Dense(params[1].W[:, :1].copy(), params[1].b[:1].copy())]
    _, grads = loss_and_gradients(one, X, rng.integers(0, 2, size=(12, 1)).astype(float),
                                  loss="sigmoid_cross_entropy")
    assert {a.dtype for layer in grads for a in layer} == {np.dtype(np.float32)}
    assert mse_loss_backward(np.zeros(3, np.float32), np.ones(3)).dtype == np.float32
    trained, _ = train(params, X, rng.integers(0, 3, 12), epochs=2, lr=0.1, batch_size=5, rng=rng)
    assert {a.dtype for layer in trained for a in layer} == {np.dtype(np.float32)}


def test_checked_params_are_not_copied():
    params = _net((3, 4, 2))
    X = np.ones((2, 3))
    _, caches = mlp_forward(X, params)
    assert caches[0].X is X  # the input itself, as dense_forward stores it
    grads = mlp_backward(np.ones((2, 2)), caches, params)
    new = sgd_step(params, grads, 0.5)
    assert all(n.W is not p.W for n, p in zip(new, params, strict=True))  # pure: new arrays
