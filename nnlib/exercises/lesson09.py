"""Exercises and concept questions of lesson 09, backpropagation through a whole MLP.

Both exercises are judged against the reference, and when the output differs,
against a list of known mistakes (``Exercise.mistakes``): each is re-enacted on
the same case, and if the learner's output matches one of them, the feedback
names it ("the gradients are in reverse order", "you skipped
activation_backward", ...). A bug that no re-enactment matches still gets the
generic diagnosis of ``nnlib.judge`` (which also names plain tuples in place of
Dense and a wrong number of layers).
"""

from __future__ import annotations

import itertools

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.layers import activation_backward, dense_backward
from nnlib.losses import LOSSES
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
    def case(name, sizes, n, hidden="relu", output="identity"):
        return Case(name, _random_net(rng, sizes, n, hidden, output), {"hidden": hidden, "output": output})

    return [
        # Equal widths first: shape slips (passing the wrong dA down) then give wrong values, not an
        # exception, and the feedback can name them.
        case("3 layers of equal width 5-5-5-5, relu hidden", (5, 5, 5, 5), 6),
        case("2 layers 4-6-3, relu hidden", (4, 6, 3), 5),
        case("3 layers 6-5-4-3, tanh hidden", (6, 5, 4, 3), 7),
        case("1 layer 3-2 (only the output layer)", (3, 2), 4),
        case("2 layers 3-8-2, sigmoid hidden", (3, 8, 2), 6),
        case("2 layers 4-5-1, sigmoid output", (4, 5, 1), 5, output="sigmoid"),
        case("2 layers 3-4-2, identity hidden (a linear net), tanh output", (3, 4, 2), 4,
             hidden="identity", output="tanh"),
        case("batch of 1, 2 layers 3-4-2", (3, 4, 2), 1),
    ]


def _bug_reversed(dout, caches, params, hidden="relu", output="identity"):
    return mlp_backward(dout, caches, params, hidden, output)[::-1]


def _bug_output_uses_hidden(dout, caches, params, hidden="relu", output="identity"):
    return mlp_backward(dout, caches, params, hidden, output=hidden)


def _bug_no_activation_backward(dout, caches, params, hidden="relu", output="identity"):
    return mlp_backward(dout, caches, params, hidden="identity", output="identity")


def _bug_no_hidden_activation_backward(dout, caches, params, hidden="relu", output="identity"):
    return mlp_backward(dout, caches, params, hidden="identity", output=output)


def _backward_loop(dout, caches, params, hidden, output, next_da):
    """mlp_backward with a chosen rule for the gradient handed to the layer below."""
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[i].Z, output if i == len(params) - 1 else hidden)
        dX, dW, db = dense_backward(dZ, caches[i], params[i].W)
        grads[i] = Dense(dW, db)
        dA = next_da(dA, dZ, dX)
    return grads


def _bug_passes_dz_down(dout, caches, params, hidden="relu", output="identity"):
    return _backward_loop(dout, caches, params, hidden, output, lambda dA, dZ, dX: dZ)


def _bug_da_never_updated(dout, caches, params, hidden="relu", output="identity"):
    return _backward_loop(dout, caches, params, hidden, output, lambda dA, dZ, dX: dA)


def _bug_extra_mean(dout, caches, params, hidden="relu", output="identity"):
    n = len(dout)
    return [Dense(g.W / n, g.b / n) for g in mlp_backward(dout, caches, params, hidden, output)]


def _bug_db_mean(dout, caches, params, hidden="relu", output="identity"):
    n = len(dout)
    return [Dense(g.W, g.b / n) for g in mlp_backward(dout, caches, params, hidden, output)]


def _bug_plain_tuples(dout, caches, params, hidden="relu", output="identity"):
    return [tuple(g) for g in mlp_backward(dout, caches, params, hidden, output)]


def _bug_only_dw(dout, caches, params, hidden="relu", output="identity"):
    return [g.W for g in mlp_backward(dout, caches, params, hidden, output)]


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
    Mistake("the layer below received dZ of this layer; its upstream gradient is dX = dZ @ W.T, the "
            "first result of dense_backward: set dA = dX", _bug_passes_dz_down),
    Mistake("every layer received the same dout: after dense_backward, set dA = dX so that the layer "
            "below gets its own upstream gradient", _bug_da_never_updated),
    Mistake("every gradient is divided by N once too often: dout already holds the 1/N of the mean "
            "loss, and dense_backward sums over the batch", _bug_extra_mean),
    Mistake("db is averaged over the batch: dense_backward's db sums dZ over axis 0 (the 1/N is already "
            "in dout)", _bug_db_mean),
    Mistake("return Dense(dW, db) for each layer (so that .W and .b work), not a plain tuple or list",
            _bug_plain_tuples),
    Mistake("each layer's gradient must be Dense(dW, db); you returned one array per layer (only the "
            "weight gradient?)", _bug_only_dw),
)


# --------------------------------------------------------------------------- #
# loss_and_gradients
# --------------------------------------------------------------------------- #


def _net(rng, sizes, scale=1.0):
    return [
        Dense(rng.normal(size=(d_in, d_out)) * scale / np.sqrt(d_in), rng.normal(size=d_out) * 0.5)
        for d_in, d_out in itertools.pairwise(sizes)
    ]


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
        case("large logits (hundreds): stable losses needed", (3, 4, 3), 4, labels(4, 3), scale=300.0,
             loss="softmax_cross_entropy", hidden="tanh"),
    ]


def _variant(params, X, y, loss, hidden, output="identity", dout_scale=1.0, loss_scale=1.0):
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden, output)
    grads = mlp_backward(dout_scale * loss_backward(logits, y), caches, params, hidden, output)
    return loss_scale * loss_fn(logits, y), grads


def _bug_missing_mean(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return _variant(params, X, y, loss, hidden, dout_scale=len(X))


def _bug_sum_loss(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return _variant(params, X, y, loss, hidden, loss_scale=len(X))


def _bug_hidden_ignored(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return _variant(params, X, y, loss, "relu")


def _bug_output_activation(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return _variant(params, X, y, loss, hidden, output=hidden)


def _bug_backward_without_output(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    """Forward right, but mlp_backward called with output=hidden."""
    loss_fn, loss_backward = LOSSES[loss]
    logits, caches = mlp_forward(X, params, hidden)
    return loss_fn(logits, y), mlp_backward(loss_backward(logits, y), caches, params, hidden, output=hidden)


def _bug_wrong_sign(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    value, grads = _variant(params, X, y, loss, hidden)
    return value, [Dense(-g.W, -g.b) for g in grads]


def _bug_swapped(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return loss_and_gradients(params, X, y, loss, hidden)[::-1]


def _bug_grads_only(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return loss_and_gradients(params, X, y, loss, hidden)[1]


def _bug_loss_only(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    return loss_and_gradients(params, X, y, loss, hidden)[0]


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
            _bug_wrong_sign),
    Mistake("the result is (grads, loss); return (loss, grads) in that order", _bug_swapped),
    Mistake("you returned only the gradients; return a tuple (loss, grads)", _bug_grads_only),
    Mistake("you returned a single number or array; return a tuple (loss, grads)", _bug_loss_only),
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
        task="forward pass with logits, the loss, its gradient, then mlp_backward; return (loss, grads)",
        reference=loss_and_gradients,
        make_cases=_loss_and_gradients_cases,
        arg_names=("params", "X", "y"),
        prerequisites=(
            "activation_backward", "dense_backward", "Dense", "mlp_forward", "mlp_backward",
            "softmax_cross_entropy", "softmax_cross_entropy_backward", "mse_loss", "mse_loss_backward",
            "sigmoid_cross_entropy", "sigmoid_cross_entropy_backward", "LOSSES", "ACTIVATIONS",
        ),
        mistakes=_LOSS_AND_GRADIENTS_MISTAKES,
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
