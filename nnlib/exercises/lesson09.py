"""Exercises and concept questions of lesson 09, backpropagation through a whole MLP.

Both exercises are judged against the reference, and when the output differs,
against a list of known mistakes (``Exercise.mistakes``): each is re-enacted on
the same case, and if the learner's output matches one of them, the feedback
names it ("the gradients are in reverse order", "you skipped
activation_backward", ...). A bug that no re-enactment matches still gets the
generic diagnosis of ``nnlib.judge`` (which also names plain tuples in place of
Dense and a wrong number of layers).

Every mistake and every correct variant below is a self-contained function, as a
learner would write it: it uses numpy and the exercise's prerequisites only (the
grader's sandbox has nothing else).
"""

from __future__ import annotations

import itertools

import numpy as np

from nnlib.activations import ACTIVATIONS
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.layers import activation_backward, dense_backward
from nnlib.losses import (
    LOSSES,
    mse_loss,
    mse_loss_backward,
    sigmoid_cross_entropy,
    sigmoid_cross_entropy_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from nnlib.mlp import Dense, loss_and_gradients, mlp_backward, mlp_forward

# --------------------------------------------------------------------------- #
# mlp_backward
# --------------------------------------------------------------------------- #


def _random_net(rng, sizes, n, hidden="relu", output="identity", scale=1.0):
    """Parameters, caches and an upstream gradient of a random net: one mlp_backward case."""
    params = [
        Dense(rng.normal(size=(d_in, d_out)) * scale / np.sqrt(d_in), rng.normal(size=d_out) * 0.5)
        for d_in, d_out in itertools.pairwise(sizes)
    ]
    X = rng.normal(size=(n, sizes[0]))
    _, caches = mlp_forward(X, params, hidden, output)
    dout = rng.normal(size=(n, sizes[-1])) / n  # the 1/N of a mean loss, as a loss backward gives
    return dout, caches, params


def _mlp_backward_cases(rng):
    def case(name, sizes, n, hidden, output):
        return Case(name, _random_net(rng, sizes, n, hidden, output), {"hidden": hidden, "output": output})

    return [
        # Equal widths first: shape slips (passing the wrong dA down) then give wrong values, not an
        # exception, and the feedback can name them. A tanh output tells apart the mistakes that
        # differ only in the output layer's derivative.
        case("3 layers of equal width 5-5-5-5, relu hidden, tanh output", (5, 5, 5, 5), 6, "relu", "tanh"),
        case("2 layers 4-6-3, relu hidden, identity output", (4, 6, 3), 5, "relu", "identity"),
        case("3 layers 6-5-4-3, tanh hidden", (6, 5, 4, 3), 7, "tanh", "identity"),
        case("1 layer 3-2 (only the output layer)", (3, 2), 4, "relu", "identity"),
        case("2 layers 3-8-2, sigmoid hidden", (3, 8, 2), 6, "sigmoid", "identity"),
        case("2 layers 4-5-1, tanh hidden, sigmoid output", (4, 5, 1), 5, "tanh", "sigmoid"),
        case("2 layers 3-4-2, identity hidden (a linear net), tanh output", (3, 4, 2), 4, "identity", "tanh"),
        case("batch of 1, 2 layers 3-4-2, sigmoid hidden", (3, 4, 2), 1, "sigmoid", "identity"),
    ]


# Known mistakes. Each is a whole mlp_backward with one slip, as a learner writes it.


def _bug_reversed(dout, caches, params, hidden="relu", output="identity"):
    grads = []
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads.append(Dense(dW, db))  # last layer first, never reversed
    return grads


def _bug_no_activation_backward(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dA, dW, db = dense_backward(dA, caches[i], params[i].W)  # dA used as dZ
        grads[i] = Dense(dW, db)
    return grads


def _bug_no_hidden_activation_backward(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output) if i == len(params) - 1 else dA
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return grads


def _bug_output_uses_hidden(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, hidden)  # the output layer too
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return grads


def _bug_hidden_always_relu(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else "relu")
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return grads


def _bug_derivative_at_a(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        activation = output if i == len(params) - 1 else hidden
        f, f_prime = ACTIVATIONS[activation]
        dZ = dA * f_prime(f(caches[i].Z))  # f' of the layer's output A, not of Z
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return grads


def _bug_passes_dz_down(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        _, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
        dA = dZ
    return grads


def _bug_da_never_updated(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        dZ = activation_backward(dout, caches[i].Z, output if i == len(params) - 1 else hidden)
        _, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return grads


def _bug_extra_mean(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW / len(dout), db / len(dout))
    return grads


def _bug_db_mean(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, _ = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, dZ.mean(axis=0))
    return grads


def _bug_wrong_sign(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(-dW, -db)  # "descent" applied here already
    return grads


def _bug_plain_tuples(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = (dW, db)
    return grads


def _bug_only_dw(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dA, dW, _ = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = dW
    return grads


_ACTIVATION_BACKWARD = "activation_backward(dA, caches[i].Z, activation)"

_MLP_BACKWARD_MISTAKES = (
    Mistake("the gradients are in reverse order: you walk the layers backward, but grads[i] must belong "
            "to params[i] (first layer first); fill grads[i] = Dense(dW, db) by index, or reverse the "
            "list at the end", _bug_reversed),
    Mistake("the activation's derivative is missing: each layer needs dZ = "
            f"{_ACTIVATION_BACKWARD} before dense_backward", _bug_no_activation_backward),
    Mistake("the hidden layers skip their activation's derivative: "
            f"dZ = {_ACTIVATION_BACKWARD} with activation = hidden", _bug_no_hidden_activation_backward),
    Mistake("the output layer was treated with the hidden activation: the last layer uses `output`, "
            "every other layer `hidden`", _bug_output_uses_hidden),
    Mistake("every hidden layer was treated as ReLU: pass the activation the net used, `hidden`, to "
            "activation_backward", _bug_hidden_always_relu),
    Mistake("the derivative was taken at the layer's output A = f(Z); f' belongs at the pre-activation: "
            "activation_backward(dA, caches[i].Z, activation), with Z from the cache", _bug_derivative_at_a),
    Mistake("the layer below received dZ of this layer; its upstream gradient is dX = dZ @ W.T, the "
            "first result of dense_backward: set dA = dX", _bug_passes_dz_down),
    Mistake("every layer received the same dout: after dense_backward, set dA = dX so that the layer "
            "below gets its own upstream gradient", _bug_da_never_updated),
    Mistake("every gradient is divided by N once too often: dout already holds the 1/N of the mean "
            "loss, and dense_backward sums over the batch", _bug_extra_mean),
    Mistake("db is averaged over the batch: dense_backward's db sums dZ over axis 0 (the 1/N is already "
            "in dout)", _bug_db_mean),
    Mistake("every gradient has the wrong sign: return dL/dθ itself (sgd_step subtracts it)",
            _bug_wrong_sign),
    Mistake("return Dense(dW, db) for each layer (so that .W and .b work), not a plain tuple or list",
            _bug_plain_tuples),
    Mistake("each layer's gradient must be Dense(dW, db); you returned one array per layer (only the "
            "weight gradient?)", _bug_only_dw),
)


# Correct variants in other styles.


def _ok_append_then_reverse(dout, caches, params, hidden="relu", output="identity"):
    grads = []
    dA = dout
    for i in range(len(params) - 1, -1, -1):
        activation = output if i == len(params) - 1 else hidden
        dZ = activation_backward(dA, caches[i].Z, activation)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads.append(Dense(dW, db))
    return grads[::-1]


def _ok_formulas_written_out(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        X, Z = caches[i]
        f_prime = ACTIVATIONS[output if i == len(params) - 1 else hidden][1]
        dZ = dA * f_prime(Z)
        grads[i] = Dense(X.T @ dZ, dZ.sum(axis=0))
        dA = dZ @ params[i].W.T
    return grads


def _ok_recursive(dout, caches, params, hidden="relu", output="identity"):
    def back(i, dA):
        if i < 0:
            return []
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dX, dW, db = dense_backward(dZ, caches[i], params[i].W)
        return [*back(i - 1, dX), Dense(dW, db)]

    return back(len(params) - 1, dout)


def _ok_insert_at_front(dout, caches, params, hidden="relu", output="identity"):
    grads = []
    dA = dout
    layer = len(params)
    while layer > 0:
        layer -= 1
        name = output if layer == len(params) - 1 else hidden
        dA, dW, db = dense_backward(activation_backward(dA, caches[layer].Z, name), caches[layer],
                                    params[layer].W)
        grads.insert(0, Dense(dW, db))
    return grads


def _ok_einsum(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        grads[i] = Dense(np.einsum("ni,nj->ij", caches[i].X, dZ), np.einsum("nj->j", dZ))
        dA = np.einsum("nj,ij->ni", dZ, params[i].W)
    return grads


def _ok_zip_reversed(dout, caches, params, hidden="relu", output="identity"):
    activations = [hidden] * (len(params) - 1) + [output]
    grads = []
    dA = dout
    for cache, layer, activation in reversed(list(zip(caches, params, activations, strict=True))):
        dZ = activation_backward(dA, cache.Z, activation)
        dA, dW, db = dense_backward(dZ, cache, layer.W)
        grads = [Dense(dW, db), *grads]
    return grads


_MLP_BACKWARD_VARIANTS = (
    Variant("a list appended from the last layer, reversed at the end", _ok_append_then_reverse),
    Variant("the formulas written out with ACTIVATIONS, without the lesson 08 helpers",
            _ok_formulas_written_out),
    Variant("recursion from the last layer", _ok_recursive),
    Variant("a while loop, inserting each layer's gradient at the front", _ok_insert_at_front),
    Variant("np.einsum for the products", _ok_einsum),
    Variant("zip over caches, params and a list of activations, reversed", _ok_zip_reversed),
)


# --------------------------------------------------------------------------- #
# loss_and_gradients
# --------------------------------------------------------------------------- #


def _net(rng, sizes, scale=1.0):
    return [
        Dense(rng.normal(size=(d_in, d_out)) * scale / np.sqrt(d_in), rng.normal(size=d_out) * 0.5)
        for d_in, d_out in itertools.pairwise(sizes)
    ]


#: The largest logit of the "large logits" case is above this: np.exp overflows beyond ln(max float) ≈ 709.8.
OVERFLOW_LOGIT = 710.0


def _loss_and_gradients_cases(rng):
    def labels(n, c):
        return rng.integers(0, c, size=n)

    def case(name, sizes, n, y, scale=1.0, **kwargs):
        return Case(name, (_net(rng, sizes, scale), rng.normal(size=(n, sizes[0])), y), kwargs)

    return [
        case("softmax cross-entropy, 2 layers 4-5-3, relu", (4, 5, 3), 6, labels(6, 3),
             loss="softmax_cross_entropy", hidden="relu"),
        case("softmax cross-entropy, 3 layers 5-6-4-3, tanh", (5, 6, 4, 3), 8, labels(8, 3),
             loss="softmax_cross_entropy", hidden="tanh"),
        case("mse, 2 layers 3-4-2, sigmoid hidden", (3, 4, 2), 5, rng.normal(size=(5, 2)),
             loss="mse", hidden="sigmoid"),
        case("sigmoid cross-entropy, 2 layers 3-6-1, relu", (3, 6, 1), 7,
             rng.integers(0, 2, size=(7, 1)).astype(np.float64), loss="sigmoid_cross_entropy", hidden="relu"),
        case("1 layer 4-3 (softmax regression)", (4, 3), 5, labels(5, 3), loss="softmax_cross_entropy"),
        case("batch of 1, 2 layers 3-4-2", (3, 4, 2), 1, labels(1, 2), loss="softmax_cross_entropy",
             hidden="tanh"),
        case("default loss and hidden (softmax cross-entropy, relu)", (4, 6, 5), 6, labels(6, 5)),
        case("large logits (above 710, where np.exp overflows): a stable softmax is needed", (3, 4, 3), 4,
             labels(4, 3), scale=2000.0, loss="softmax_cross_entropy", hidden="tanh"),
    ]


def _bug_missing_mean(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    dout = loss_backward(logits, y) * len(X)  # "undoing" a mean that is already right
    return loss_fn(logits, y), mlp_backward(dout, caches, params, hidden, "identity")


def _bug_sum_loss(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    grads = mlp_backward(loss_backward(logits, y), caches, params, hidden, "identity")
    return loss_fn(logits, y) * len(X), grads


def _bug_hidden_ignored(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params)  # hidden left at its default, relu
    return loss_fn(logits, y), mlp_backward(loss_backward(logits, y), caches, params)


def _bug_output_activation(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, hidden)  # the last layer squashed too
    return loss_fn(logits, y), mlp_backward(loss_backward(logits, y), caches, params, hidden, hidden)


def _bug_backward_without_output(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    return loss_fn(logits, y), mlp_backward(loss_backward(logits, y), caches, params, hidden, hidden)


def _bug_lag_wrong_sign(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    grads = mlp_backward(-loss_backward(logits, y), caches, params, hidden, "identity")
    return loss_fn(logits, y), grads


def _bug_swapped(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    return mlp_backward(loss_backward(logits, y), caches, params, hidden, "identity"), loss_fn(logits, y)


def _bug_grads_only(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_backward = LOSSES[loss][1]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    return mlp_backward(loss_backward(logits, y), caches, params, hidden, "identity")


def _bug_loss_only(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, _ = LOSSES[loss]
    return loss_fn(mlp_forward(X, params, hidden, "identity")[0], y)


def _bug_unstable_softmax(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    logits, caches = mlp_forward(X, params, hidden, "identity")
    if loss != "softmax_cross_entropy":
        loss_fn, loss_backward = LOSSES[loss]
        return loss_fn(logits, y), mlp_backward(loss_backward(logits, y), caches, params, hidden, "identity")
    with np.errstate(over="ignore", invalid="ignore"):  # the learner silenced the warnings
        exp = np.exp(logits)  # no shift by the row's max
        probs = exp / exp.sum(axis=1, keepdims=True)
    n = len(y)
    value = float(-np.mean(np.log(probs[np.arange(n), y])))
    dout = probs.copy()
    dout[np.arange(n), y] -= 1
    return value, mlp_backward(dout / n, caches, params, hidden, "identity")


_LOSS_AND_GRADIENTS_MISTAKES = (
    Mistake("every gradient is N times too large: the loss is a mean, so dL/dlogits carries a 1/N; use "
            "the loss's own backward, LOSSES[loss][1](logits, y)", _bug_missing_mean),
    Mistake("the loss is N times too large: it is a mean over the batch, not a sum", _bug_sum_loss),
    Mistake("the hidden layers used ReLU: pass `hidden` on to mlp_forward and mlp_backward",
            _bug_hidden_ignored),
    Mistake("the output layer applied the hidden activation: the network's output must be raw logits "
            "(output='identity'); the loss applies softmax or sigmoid itself", _bug_output_activation),
    Mistake("mlp_backward was told the output layer used the hidden activation: pass output='identity', "
            "as in the forward pass", _bug_backward_without_output),
    Mistake("every gradient has the wrong sign: return dL/dθ itself (sgd_step subtracts it)",
            _bug_lag_wrong_sign),
    Mistake("the result is (grads, loss); return (loss, grads) in that order", _bug_swapped),
    Mistake("you returned only the gradients; return a tuple (loss, grads)", _bug_grads_only),
    Mistake("you returned a single number or array; return a tuple (loss, grads)", _bug_loss_only),
    Mistake("np.exp overflows for logits above about 709 (inf / inf is NaN): use the loss's stable "
            "functions, LOSSES[loss], or shift every row by its max before np.exp", _bug_unstable_softmax),
)


def _ok_named_losses(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    logits, caches = mlp_forward(X, params, hidden, "identity")
    if loss == "softmax_cross_entropy":
        value, dout = softmax_cross_entropy(logits, y), softmax_cross_entropy_backward(logits, y)
    elif loss == "mse":
        value, dout = mse_loss(logits, y), mse_loss_backward(logits, y)
    else:
        value, dout = sigmoid_cross_entropy(logits, y), sigmoid_cross_entropy_backward(logits, y)
    return value, mlp_backward(dout, caches, params, hidden, "identity")


def _ok_own_stable_softmax(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    logits, caches = mlp_forward(X, params, hidden, "identity")
    if loss == "softmax_cross_entropy":
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(y))
        value = -log_probs[rows, y].mean()
        dout = np.exp(log_probs)
        dout[rows, y] -= 1
        dout /= len(y)
    else:
        value, dout = LOSSES[loss][0](logits, y), LOSSES[loss][1](logits, y)
    return float(value), mlp_backward(dout, caches, params, hidden, "identity")


def _ok_layer_loop(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, "identity")
    grads = [None] * len(params)
    dA = loss_backward(logits, y)
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, "identity" if i == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
    return loss_fn(logits, y), grads


def _ok_positional_and_list(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    pair = LOSSES.get(loss)
    out, caches = mlp_forward(X, params, hidden)  # output defaults to identity
    grads = mlp_backward(pair[1](out, y), caches, params, hidden)
    return [pair[0](out, y), grads]  # a list instead of a tuple


def _ok_backward_first(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    logits, caches = mlp_forward(X, params, hidden=hidden, output="identity")
    grads = mlp_backward(LOSSES[loss][1](logits, y), caches, params, hidden=hidden, output="identity")
    value = LOSSES[loss][0](logits, y)
    return value, grads


_LOSS_AND_GRADIENTS_VARIANTS = (
    Variant("each loss and its backward called by name", _ok_named_losses),
    Variant("an own stable softmax cross-entropy (shift by the max, log-sum-exp) and its gradient",
            _ok_own_stable_softmax),
    Variant("the layers walked by hand with activation_backward and dense_backward", _ok_layer_loop),
    Variant("defaults for output, LOSSES.get, a list [loss, grads]", _ok_positional_and_list),
    Variant("keyword arguments, the gradients before the loss", _ok_backward_first),
)


EXERCISES = (
    Exercise(
        id="mlp_backward",
        lesson="09",
        task="walk the layers from the last to the first; return grads, a list of Dense(dW, db) "
        "shaped like params",
        reference=mlp_backward,
        make_cases=_mlp_backward_cases,
        arg_names=("dout", "caches", "params"),
        prerequisites=("activation_backward", "dense_backward", "Dense", "ACTIVATIONS"),
        mistakes=_MLP_BACKWARD_MISTAKES,
        variants=_MLP_BACKWARD_VARIANTS,
        hints=(
            "Go through the layers in reverse, i = L-1, ..., 0. Each layer turns the gradient at its "
            "output, dA, into dZ (through its activation), then into dW, db and the gradient at its "
            "input, which is the next dA.",
            "Start with dA = dout. For layer i: the activation is `output` for the last layer and "
            "`hidden` otherwise; dZ = activation_backward(dA, caches[i].Z, activation); "
            "dA, dW, db = dense_backward(dZ, caches[i], params[i].W); store grads[i] = Dense(dW, db).",
            "grads = [None] * len(params); dA = dout; for i in reversed(range(len(params))): "
            "activation = output if i == len(params) - 1 else hidden; "
            "dZ = activation_backward(dA, caches[i].Z, activation); "
            "dA, dW, db = dense_backward(dZ, caches[i], params[i].W); grads[i] = Dense(dW, db). "
            "return grads",
        ),
    ),
    Exercise(
        id="loss_and_gradients",
        lesson="09",
        task="the loss of the network's logits and the gradient of every parameter; return (loss, grads)",
        reference=loss_and_gradients,
        make_cases=_loss_and_gradients_cases,
        arg_names=("params", "X", "y"),
        prerequisites=(
            "activation_backward", "dense_backward", "Dense", "mlp_forward", "mlp_backward",
            "softmax_cross_entropy", "softmax_cross_entropy_backward", "mse_loss", "mse_loss_backward",
            "sigmoid_cross_entropy", "sigmoid_cross_entropy_backward", "LOSSES", "ACTIVATIONS",
        ),
        mistakes=_LOSS_AND_GRADIENTS_MISTAKES,
        variants=_LOSS_AND_GRADIENTS_VARIANTS,
        hints=(
            "Three steps: run the network forward to its logits, measure the loss, then send the "
            "loss's gradient with respect to the logits backward through the network.",
            "LOSSES[loss] is the pair (loss_fn, loss_backward). mlp_forward(X, params, hidden, "
            "output='identity') gives (logits, caches); loss_backward(logits, y) is dout, already "
            "divided by N; mlp_backward does the rest.",
            "loss_fn, loss_backward = LOSSES[loss]; logits, caches = mlp_forward(X, params, hidden, "
            "output='identity'); grads = mlp_backward(loss_backward(logits, y), caches, params, hidden, "
            "output='identity'); return loss_fn(logits, y), grads",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q09_1",
        lesson="09",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "dZ^(l) is the gradient at layer l's own pre-activation, shaped (N, D_l). The layer "
            "below produced A^(l-1), which reaches Z^(l) only through W^(l): its gradient is dZ^(l) "
            "W^(l)ᵀ, shaped (N, D_(l-1)).",
            "b": "Layer l-1's output A^(l-1) is layer l's input X, so dL/dA^(l-1) is dense_backward's "
            "dX = dZ^(l) W^(l)ᵀ. This hand-off is what makes it *back*-propagation: each layer needs "
            "the gradient computed by the layer above it.",
            "c": "dW^(l) = A^(l-1)ᵀ dZ^(l) is the gradient for layer l's own weights, shaped like W^(l) "
            "(D_(l-1), D_l). It goes into grads and to the optimizer, not to the layer below.",
            "d": "dout = dL/dA^(L) belongs to the last layer only. Layer l-1 influences the loss through "
            "every layer above it, so its upstream gradient must include W^(l) and the activation "
            "derivatives in between.",
        },
    ),
)
