"""The MLP (lessons 03, 07, 09-11): init, forward, backward, SGD, accuracy, mini-batches.

Training itself (``train``, the digits capstone) is tested in test_training.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from nnlib import (
    Dense,
    DenseCache,
    accuracy,
    dead_relu_fraction,
    gradient_check,
    gradient_norms,
    init_mlp,
    iterate_minibatches,
    loss_and_gradients,
    mlp_backward,
    mlp_forward,
    predict,
    sgd_step,
)
from nnlib.gradcheck import KINK_TOL

# A hand-set 2-2-1 net.  Z1 = X W1 + b1 = [[3, 0], [-1, 0]];  relu -> [[3, 0], [0, 0]];
# out = A1 W2 + b2 = [[3*2 + 0*5 + 1], [0 + 0 + 1]] = [[7], [1]]
X_HAND = np.array([[1.0, 2.0], [-1.0, 0.0]])
NET_HAND = [
    Dense(np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
    Dense(np.array([[2.0], [5.0]]), np.array([1.0])),
]


# --------------------------------------------------------------------------- #
# init_mlp


def test_init_mlp_shapes_and_types(rng):
    params = init_mlp([4, 3, 5, 2], rng)
    assert [p.W.shape for p in params] == [(4, 3), (3, 5), (5, 2)]
    assert [p.b.shape for p in params] == [(3,), (5,), (2,)]
    for p in params:
        assert isinstance(p, Dense)
        assert p.W.dtype == np.float64 and p.b.dtype == np.float64
        assert_array_equal(p.b, 0.0)
        assert np.all(p.W != 0)


@pytest.mark.parametrize(
    ("init", "kwargs", "stds"),
    [
        ("he", {}, [np.sqrt(2 / 400), np.sqrt(2 / 300)]),
        ("xavier", {}, [np.sqrt(2 / 700), np.sqrt(2 / 500)]),
        ("normal", {}, [0.01, 0.01]),
        ("normal", {"weight_std": 0.5}, [0.5, 0.5]),
    ],
)
def test_init_mlp_stds(init, kwargs, stds):
    params = init_mlp((400, 300, 200), np.random.default_rng(0), init=init, **kwargs)
    for p, std in zip(params, stds, strict=True):
        # 60 000+ samples: the sample std is within 1 % of the truth
        assert p.W.std() == pytest.approx(std, rel=0.02)
        assert abs(p.W.mean()) < 0.02 * std


def test_init_mlp_is_reproducible():
    a = init_mlp([3, 4, 2], np.random.default_rng(7))
    b = init_mlp([3, 4, 2], np.random.default_rng(7))
    c = init_mlp([3, 4, 2], np.random.default_rng(8))
    for pa, pb in zip(a, b, strict=True):
        assert_array_equal(pa.W, pb.W)
    assert not np.array_equal(a[0].W, c[0].W)


def test_init_mlp_refuses_weight_std_with_he(rng):
    with pytest.raises(ValueError, match="weight_std"):
        init_mlp([3, 2], rng, init="he", weight_std=0.1)


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 2]])
def test_init_mlp_refuses_bad_sizes(sizes, rng):
    with pytest.raises(ValueError, match="init_mlp"):
        init_mlp(sizes, rng)


# --------------------------------------------------------------------------- #
# forward and predict


def test_mlp_forward_hand_net():
    out, caches = mlp_forward(X_HAND, NET_HAND)  # relu hidden, identity output
    assert_array_equal(out, [[7.0], [1.0]])
    assert len(caches) == 2 and all(isinstance(c, DenseCache) for c in caches)
    assert_array_equal(caches[0].Z, [[3.0, 0.0], [-1.0, 0.0]])
    assert_array_equal(caches[1].X, [[3.0, 0.0], [0.0, 0.0]])  # the relu output feeds layer 2
    assert_array_equal(caches[1].Z, out)


def test_mlp_forward_hand_net_other_activations():
    out, _ = mlp_forward(X_HAND, NET_HAND, hidden="identity")
    assert_array_equal(out, [[7.0], [-1.0]])  # [-1, 0] @ [2, 5] + 1
    out, _ = mlp_forward(X_HAND, NET_HAND, hidden="tanh")
    assert_allclose(out, [[2 * np.tanh(3) + 1], [-2 * np.tanh(1) + 1]], rtol=1e-15)
    out, _ = mlp_forward(X_HAND, NET_HAND, output="sigmoid")
    assert_allclose(out, 1 / (1 + np.exp(-np.array([[7.0], [1.0]]))), rtol=1e-15)


def test_mlp_forward_matches_composition(rng):
    params = init_mlp([3, 5, 4, 2], rng)
    X = rng.normal(size=(6, 3))
    out, _ = mlp_forward(X, params, hidden="tanh", output="sigmoid")
    A = X
    for W, b in params[:-1]:
        A = np.tanh(A @ W + b)
    expected = 1 / (1 + np.exp(-(A @ params[-1].W + params[-1].b)))
    assert_allclose(out, expected, rtol=1e-13)


def test_predict():
    net2 = [NET_HAND[0], Dense(np.array([[2.0, 0.0], [5.0, 1.0]]), np.array([1.0, 2.0]))]
    # logits [[7, 2], [1, 2]] -> classes [0, 1]
    assert_array_equal(predict(X_HAND, net2), [0, 1])
    # one output: class 1 where the logit is > 0; logits [[6 + b2], [b2]]
    net1 = [NET_HAND[0], Dense(NET_HAND[1].W, np.array([-5.5]))]  # logits [[0.5], [-5.5]]
    assert_array_equal(predict(X_HAND, net1), [1, 0])
    assert predict(X_HAND, net1).dtype == np.int64
    net0 = [NET_HAND[0], Dense(NET_HAND[1].W, np.array([-6.0]))]  # logits [[0], [-6]]: 0 is not > 0
    assert_array_equal(predict(X_HAND, net0), [0, 0])


# --------------------------------------------------------------------------- #
# backward: the whole net against finite differences


def _flat_check(params, loss_of_params, grads, numgrad, tol):
    """gradient_check (and an independent numerical gradient) for every W and b."""
    for layer in range(len(params)):
        for field in ("W", "b"):

            def f(t, layer=layer, field=field):
                trial = list(params)
                trial[layer] = params[layer]._replace(**{field: t})
                return loss_of_params(trial)

            x = getattr(params[layer], field)
            analytic = getattr(grads[layer], field)
            report = gradient_check(f, x, analytic, tol=tol)
            assert report.ok, f"layer {layer} d{field}: {report}"
            assert_allclose(analytic, numgrad(f, x), rtol=1e-5, atol=1e-8, err_msg=f"layer {layer} d{field}")


@pytest.mark.parametrize("sizes", [(3, 4, 2), (3, 4, 5, 2)], ids=["2-layer", "3-layer"])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_mlp_backward_gradient_check(sizes, hidden, output, numgrad):
    rng = np.random.default_rng(sum(sizes) + len(hidden) + len(output))
    params = [Dense(W, rng.normal(scale=0.5, size=W.shape[1])) for W, _ in init_mlp(sizes, rng, "xavier")]
    X = rng.normal(size=(4, sizes[0]))
    G = rng.normal(size=(4, sizes[-1]))  # L = sum(G * out), so dL/dout = G

    def loss_of_params(p):
        out, _ = mlp_forward(X, p, hidden, output)
        return float(np.sum(G * out))

    _, caches = mlp_forward(X, params, hidden, output)
    grads = mlp_backward(G, caches, params, hidden, output)
    assert len(grads) == len(params) and all(isinstance(g, Dense) for g in grads)
    _flat_check(params, loss_of_params, grads, numgrad, KINK_TOL if hidden == "relu" else 1e-7)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse", "sigmoid_cross_entropy"])
def test_loss_and_gradients_gradient_check(loss, numgrad):
    rng = np.random.default_rng(5)
    n_out = 1 if loss == "sigmoid_cross_entropy" else 3
    params = init_mlp([2, 5, n_out], rng, "xavier")
    X = rng.normal(size=(6, 2))
    y = {
        "softmax_cross_entropy": rng.integers(0, 3, size=6),
        "mse": rng.normal(size=(6, 3)),
        "sigmoid_cross_entropy": rng.integers(0, 2, size=(6, 1)).astype(float),
    }[loss]
    value, grads = loss_and_gradients(params, X, y, loss=loss, hidden="tanh")
    assert type(value) is float

    def loss_of_params(p):
        return loss_and_gradients(p, X, y, loss=loss, hidden="tanh")[0]

    assert value == loss_of_params(params)
    _flat_check(params, loss_of_params, grads, numgrad, 1e-7)


def test_mlp_backward_hand_net():
    # dout = 1 for both rows; output identity, hidden relu
    _, caches = mlp_forward(X_HAND, NET_HAND)
    grads = mlp_backward(np.ones((2, 1)), caches, NET_HAND)
    # layer 2: dW2 = A1^T dout = [[3], [0]]; db2 = 2
    assert_array_equal(grads[1].W, [[3.0], [0.0]])
    assert_array_equal(grads[1].b, [2.0])
    # dA1 = dout W2^T = [[2, 5], [2, 5]]; relu'(Z1) = [[1, 0], [0, 0]] -> dZ1 = [[2, 0], [0, 0]]
    assert_array_equal(grads[0].W, [[2.0, 0.0], [4.0, 0.0]])  # X^T dZ1
    assert_array_equal(grads[0].b, [2.0, 0.0])


# --------------------------------------------------------------------------- #
# training health


def test_gradient_norms_hand_values():
    grads = [
        Dense(np.array([[3.0, 0.0], [4.0, 0.0]]), np.array([100.0, 100.0])),  # ||dW|| = 5; b ignored
        Dense(np.array([[0.0], [2.0]]), np.array([-50.0])),
    ]
    norms = gradient_norms(grads)
    assert isinstance(norms, np.ndarray)
    assert_allclose(norms, [5.0, 2.0], rtol=1e-15)


def test_dead_relu_fraction_hand_net():
    # Z1 = [[3, 0], [-1, 0]]: unit 0 fires once, unit 1 never (<= 0 on every row) -> 1/2 dead
    _, caches = mlp_forward(X_HAND, NET_HAND)
    assert_array_equal(dead_relu_fraction(caches), [0.5])


def test_dead_relu_fraction_per_hidden_layer():
    x = np.zeros((2, 1))
    caches = [
        DenseCache(x, np.array([[1.0, -1.0, 0.0], [2.0, -3.0, -1.0]])),  # units 1, 2 dead: 2/3
        DenseCache(x, np.array([[0.5, -1.0], [-0.5, -2.0]])),  # unit 1 dead: 1/2
        DenseCache(x, np.array([[-1.0], [-1.0]])),  # the output layer is not counted
    ]
    assert_allclose(dead_relu_fraction(caches), [2 / 3, 0.5], rtol=1e-15)


# --------------------------------------------------------------------------- #
# sgd_step


def test_sgd_step_hand_values():
    params = [Dense(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0]))]
    grads = [Dense(np.full((2, 2), 2.0), np.array([4.0, -4.0]))]
    new = sgd_step(params, grads, 0.5)
    assert isinstance(new, list) and isinstance(new[0], Dense)
    assert_array_equal(new[0].W, [[0.0, 1.0], [2.0, 3.0]])
    assert_array_equal(new[0].b, [-1.0, 1.0])
    assert_array_equal(params[0].W, [[1.0, 2.0], [3.0, 4.0]])  # pure
    assert new[0].W is not params[0].W


def test_sgd_step_goes_downhill(rng):
    params = init_mlp([2, 4, 3], rng)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 3, size=10)
    loss0, grads = loss_and_gradients(params, X, y)
    loss1, _ = loss_and_gradients(sgd_step(params, grads, 1e-3), X, y)
    assert loss1 < loss0


# --------------------------------------------------------------------------- #
# accuracy


def test_accuracy_hand_values():
    logits = np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.5], [2.0, 1.0]])  # argmax 1, 0, 1, 0
    acc = accuracy(logits, np.array([1, 0, 0, 0]))
    assert acc == 0.75 and type(acc) is float
    assert accuracy(logits, [1, 0, 1, 0]) == 1.0
    assert accuracy(logits, [0, 1, 0, 1]) == 0.0


def test_accuracy_refuses_an_empty_batch():
    with pytest.raises(ValueError, match="accuracy"):
        accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int))


# --------------------------------------------------------------------------- #
# iterate_minibatches


def _batches(n=10, batch_size=4, seed=0, y_cols=None):
    X = np.arange(n)[:, None] * np.array([1.0, 10.0])
    y = np.arange(n) if y_cols is None else np.arange(n)[:, None] * np.ones(y_cols)
    return list(iterate_minibatches(X, y, batch_size, np.random.default_rng(seed)))


def test_minibatches_cover_every_example_once():
    batches = _batches()
    assert [len(yb) for _, yb in batches] == [4, 4, 2]  # the last batch holds the leftovers
    ys = np.concatenate([yb for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(10))
    for Xb, yb in batches:  # rows stay paired
        assert_array_equal(Xb[:, 0], yb)
        assert_array_equal(Xb[:, 1], 10 * yb)


def test_minibatches_are_shuffled_and_seeded():
    order = np.concatenate([yb for _, yb in _batches(n=50, batch_size=7)])
    assert not np.array_equal(order, np.arange(50))
    again = np.concatenate([yb for _, yb in _batches(n=50, batch_size=7)])
    assert_array_equal(order, again)
    other = np.concatenate([yb for _, yb in _batches(n=50, batch_size=7, seed=1)])
    assert not np.array_equal(order, other)


def test_minibatches_reshuffle_each_epoch():
    X, y = np.zeros((30, 1)), np.arange(30)
    rng = np.random.default_rng(3)
    epoch1 = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 8, rng)])
    epoch2 = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 8, rng)])
    assert not np.array_equal(epoch1, epoch2)
    assert sorted(epoch2.tolist()) == list(range(30))


@pytest.mark.parametrize(("batch_size", "sizes"), [(1, [1] * 5), (5, [5]), (100, [5]), (2, [2, 2, 1])])
def test_minibatch_sizes(batch_size, sizes):
    assert [len(yb) for _, yb in _batches(n=5, batch_size=batch_size)] == sizes


def test_minibatches_with_2d_targets():
    batches = _batches(n=6, batch_size=4, y_cols=3)
    assert [yb.shape for _, yb in batches] == [(4, 3), (2, 3)]
    for Xb, yb in batches:
        assert_array_equal(yb[:, 2], Xb[:, 0])


def test_minibatches_are_not_views_of_the_data():
    X, y = np.arange(8.0).reshape(4, 2), np.arange(4)
    for Xb, _ in iterate_minibatches(X, y, 2, np.random.default_rng(0)):
        Xb[:] = -1
    assert_array_equal(X, np.arange(8.0).reshape(4, 2))


def test_pairwise_layers_chain():
    # every layer's input width is the previous layer's output width
    params = init_mlp([7, 6, 5, 4], np.random.default_rng(0))
    for a, b in itertools.pairwise(params):
        assert a.W.shape[1] == b.W.shape[0] == a.b.shape[0]
