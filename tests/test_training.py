"""nnlib.training, lesson 10's reference: mini-batches, accuracy, the training loop, the digits capstone."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.data import load_digits, make_blobs, train_test_split
from nnlib.losses import softmax_cross_entropy
from nnlib.mlp import Dense, init_mlp, loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step
from nnlib.training import accuracy, iterate_minibatches, train

# -- iterate_minibatches ---------------------------------------------------------------------


def _numbered(n, d=3):
    """X whose row i is (i*d, ..., i*d + d - 1), and y = 10 i: both name their row."""
    return np.arange(n * d, dtype=np.float64).reshape(n, d), 10 * np.arange(n)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 80), batch_size=st.integers(1, 100), seed=st.integers(0, 2**32 - 1))
def test_every_example_exactly_once_in_batches_of_the_right_size(n, batch_size, seed):
    X, y = _numbered(n)
    batches = list(iterate_minibatches(X, y, batch_size, np.random.default_rng(seed)))
    sizes = [len(xb) for xb, _ in batches]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest else [])  # the leftovers come last, not dropped
    rows = np.concatenate([xb[:, 0] for xb, _ in batches]) / 3
    assert sorted(rows.astype(int).tolist()) == list(range(n))
    for xb, yb in batches:  # X and y stay paired
        np.testing.assert_array_equal(yb, 10 * (xb[:, 0] / 3).astype(int))


def test_the_order_is_shuffled_and_reproducible():
    X, y = _numbered(100)
    first = [yb for _, yb in iterate_minibatches(X, y, 16, np.random.default_rng(5))]
    again = [yb for _, yb in iterate_minibatches(X, y, 16, np.random.default_rng(5))]
    other = [yb for _, yb in iterate_minibatches(X, y, 16, np.random.default_rng(6))]
    order = np.concatenate(first)
    assert not np.array_equal(order, y)  # shuffled
    np.testing.assert_array_equal(order, np.concatenate(again))  # same seed, same batches
    assert not np.array_equal(order, np.concatenate(other))
    # the shuffle is rng.permutation(N): one draw per epoch, documented in the lesson's hints
    np.testing.assert_array_equal(order, y[np.random.default_rng(5).permutation(100)])


def test_each_epoch_draws_a_new_order_from_the_same_rng():
    X, y = _numbered(30)
    rng = np.random.default_rng(0)
    epoch1 = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, rng)])
    epoch2 = np.concatenate([yb for _, yb in iterate_minibatches(X, y, 7, rng)])
    assert not np.array_equal(epoch1, epoch2)


def test_minibatches_keep_2d_targets_and_dtypes_and_leave_the_input_alone():
    X = np.arange(24, dtype=np.float32).reshape(8, 3)
    y = np.column_stack([np.arange(8.0), -np.arange(8.0)])
    X0, y0 = X.copy(), y.copy()
    batches = list(iterate_minibatches(X, y, 3, np.random.default_rng(1)))
    assert [yb.shape for _, yb in batches] == [(3, 2), (3, 2), (2, 2)]
    assert all(xb.dtype == np.float32 for xb, _ in batches)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_batch_size_larger_than_n_gives_one_batch():
    X, y = _numbered(5)
    batches = list(iterate_minibatches(X, y, 64, np.random.default_rng(0)))
    assert len(batches) == 1 and len(batches[0][0]) == 5


# -- accuracy ----------------------------------------------------------------------------------


def test_accuracy_is_the_fraction_of_rows_with_the_largest_logit_at_the_label():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.1, 0.2, 0.3], [5.0, -1.0, 4.0]])
    value = accuracy(logits, np.array([0, 2, 2, 1]))
    assert value == 0.5 and isinstance(value, float)
    assert accuracy(logits, np.array([0, 1, 2, 0])) == 1.0
    assert accuracy(logits, np.array([1, 0, 0, 2])) == 0.0


def test_accuracy_is_the_same_on_probabilities_and_on_logits():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 7)) * 3
    labels = rng.integers(0, 7, size=50)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert accuracy(probs, labels) == accuracy(logits, labels)


# -- train -------------------------------------------------------------------------------------


def _blobs(rng, n_per_class=30, std=0.6):
    return make_blobs(n_per_class, [[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]], std, rng)


def test_train_returns_one_history_entry_per_epoch_and_params_shaped_like_the_input():
    rng = np.random.default_rng(0)
    X, y = _blobs(rng)
    params = init_mlp([2, 8, 3], rng)
    trained, history = train(params, X, y, epochs=7, lr=0.3, batch_size=16, rng=rng)
    assert set(history) == {"loss", "accuracy"}
    assert len(history["loss"]) == len(history["accuracy"]) == 7
    assert all(isinstance(v, float) for v in history["loss"] + history["accuracy"])
    assert [(p.W.shape, p.b.shape) for p in trained] == [(p.W.shape, p.b.shape) for p in params]
    assert all(isinstance(p, Dense) for p in trained)


def test_train_learns_an_easy_problem():
    rng = np.random.default_rng(1)
    X, y = _blobs(rng)
    _, history = train(init_mlp([2, 8, 3], rng), X, y, epochs=20, lr=0.3, batch_size=10, rng=rng)
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert history["accuracy"][-1] >= 0.95


def test_train_does_not_modify_its_params_or_data():
    rng = np.random.default_rng(2)
    X, y = _blobs(rng)
    params = init_mlp([2, 5, 3], rng)
    before = copy.deepcopy((params, X, y))
    train(params, X, y, epochs=3, lr=0.5, batch_size=8, rng=rng)
    for layer, old in zip(params, before[0], strict=True):
        np.testing.assert_array_equal(layer.W, old.W)
        np.testing.assert_array_equal(layer.b, old.b)
    np.testing.assert_array_equal(X, before[1])
    np.testing.assert_array_equal(y, before[2])


def test_history_follows_the_documented_definitions():
    """loss: the epoch's batch losses weighted by size / N; accuracy: on all of X after the epoch."""
    rng = np.random.default_rng(3)
    X, y = _blobs(rng, n_per_class=11)  # N = 33: batches of 8, 8, 8, 8, 1
    params = init_mlp([2, 6, 3], rng)
    seed = 99
    trained, history = train(params, X, y, epochs=2, lr=0.2, batch_size=8, rng=np.random.default_rng(seed))

    manual, shuffle = params, np.random.default_rng(seed)
    for epoch in range(2):
        total = 0.0
        for Xb, yb in iterate_minibatches(X, y, 8, shuffle):
            loss, grads = loss_and_gradients(manual, Xb, yb)
            manual = sgd_step(manual, grads, 0.2)
            total += loss * len(yb)
        assert history["loss"][epoch] == pytest.approx(total / len(X), rel=1e-12)
        assert history["accuracy"][epoch] == accuracy(mlp_forward(X, manual)[0], y)
    for a, b in zip(trained, manual, strict=True):
        np.testing.assert_allclose(a.W, b.W, rtol=1e-12)


def test_full_batch_training_is_gradient_descent_whatever_the_shuffle():
    rng = np.random.default_rng(4)
    X, y = _blobs(rng, n_per_class=10)
    params = init_mlp([2, 7, 3], rng)
    a, _ = train(params, X, y, epochs=4, lr=0.3, batch_size=len(X), rng=np.random.default_rng(0))
    b, _ = train(params, X, y, epochs=4, lr=0.3, batch_size=10_000, rng=np.random.default_rng(1))
    gd = params
    for _ in range(4):
        _, grads = loss_and_gradients(gd, X, y)
        gd = sgd_step(gd, grads, 0.3)
    for x1, x2, g in zip(a, b, gd, strict=True):
        np.testing.assert_allclose(x1.W, g.W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(x2.W, g.W, rtol=1e-9, atol=1e-12)


def test_the_callback_sees_each_epoch_once_from_1_after_the_history_is_updated():
    rng = np.random.default_rng(5)
    X, y = _blobs(rng, n_per_class=5)
    calls = []

    def callback(epoch, params, history):
        calls.append((epoch, len(history["loss"]), len(history["accuracy"]),
                      accuracy(mlp_forward(X, params)[0], y) == history["accuracy"][-1]))

    train(init_mlp([2, 4, 3], rng), X, y, epochs=4, lr=0.1, batch_size=4, rng=rng, callback=callback)
    assert calls == [(1, 1, 1, True), (2, 2, 2, True), (3, 3, 3, True), (4, 4, 4, True)]


def test_train_passes_the_hidden_activation_on():
    rng = np.random.default_rng(6)
    X, y = _blobs(rng, n_per_class=5)
    params = init_mlp([2, 4, 3], rng)
    relu_run, _ = train(params, X, y, epochs=2, lr=0.5, batch_size=15, rng=np.random.default_rng(0))
    tanh_run, tanh_history = train(params, X, y, epochs=2, lr=0.5, batch_size=15,
                                   rng=np.random.default_rng(0), hidden="tanh")
    assert not np.allclose(relu_run[0].W, tanh_run[0].W)
    assert tanh_history["accuracy"][-1] == accuracy(mlp_forward(X, tanh_run, "tanh")[0], y)


# -- the digits capstone -----------------------------------------------------------------------


def _digits_split():
    X, y = load_digits()
    return train_test_split(X / 16, y, 0.2, np.random.default_rng(0))


def test_the_capstone_recipe_reaches_97_percent_test_accuracy():
    """The recipe of lesson 10: 64-64-10 ReLU, inputs / 16, lr 0.5, batches of 32, 40 epochs."""
    X_train, X_test, y_train, y_test = _digits_split()
    rng = np.random.default_rng(1)
    params, history = train(init_mlp([64, 64, 10], rng), X_train, y_train,
                            epochs=40, lr=0.5, batch_size=32, rng=rng)
    logits, _ = mlp_forward(X_test, params)
    assert accuracy(logits, y_test) >= 0.97
    assert history["accuracy"][-1] >= 0.99
    assert softmax_cross_entropy(logits, y_test) < 0.15


def test_unscaled_digits_break_the_recipe():
    """What the lesson claims about skipping the division by 16: loss ~93 in epoch 1, then chance level."""
    X_train, X_test, y_train, y_test = _digits_split()
    rng = np.random.default_rng(1)
    params, history = train(init_mlp([64, 64, 10], rng), X_train * 16, y_train,
                            epochs=3, lr=0.5, batch_size=32, rng=rng)
    assert history["loss"][0] > 50
    assert accuracy(mlp_forward(X_test * 16, params)[0], y_test) < 0.2
