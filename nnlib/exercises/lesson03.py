"""Exercises and concept questions of lesson 03, forward propagation."""

import itertools

import numpy as np

from nnlib.activations import ACTIVATIONS, relu
from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.layers import DenseCache, dense_forward
from nnlib.mlp import Dense, mlp_forward


def _layer(rng, d_in, d_out, dtype=np.float64):
    return Dense(rng.normal(size=(d_in, d_out)).astype(dtype), rng.normal(size=d_out).astype(dtype))


def _dense_forward_cases(rng):
    def case(name, n, d_in, d_out, activation, dtype=np.float64):
        W, b = _layer(rng, d_in, d_out, dtype)
        return Case(f'activation="{activation}", {name}',
                    (rng.normal(size=(n, d_in)).astype(dtype), W, b, activation))

    return [
        case("4 examples, 3 inputs, 2 units", 4, 3, 2, "relu"),
        case("5 examples, 4 inputs, 3 units", 5, 4, 3, "sigmoid"),
        case("3 examples, 2 inputs, 5 units", 3, 2, 5, "tanh"),
        case("logits: 6 examples, 3 inputs, 4 units", 6, 3, 4, "identity"),
        case("batch of 1", 1, 3, 4, "relu"),
        case("square W (a transposed W would go unnoticed otherwise)", 4, 3, 3, "sigmoid"),
        case("float32 stays float32", 4, 3, 2, "tanh", np.float32),
    ]


def _mlp_forward_cases(rng):
    def case(name, n, sizes, hidden=None, output=None):
        params = [_layer(rng, d_in, d_out) for d_in, d_out in itertools.pairwise(sizes)]
        args = (rng.normal(size=(n, sizes[0])), params)
        if hidden is not None:
            args += (hidden,) if output is None else (hidden, output)
        where = " -> ".join(str(s) for s in sizes)
        return Case(f"{name} ({where})", args)

    return [
        case('1 layer, hidden="relu", output="identity"', 4, (3, 2), "relu", "identity"),
        case('2 layers, hidden="relu", output="identity"', 5, (3, 4, 2), "relu", "identity"),
        case('3 layers, hidden="tanh", output="sigmoid"', 4, (2, 5, 3, 1), "tanh", "sigmoid"),
        case('2 layers, hidden="sigmoid", output="tanh"', 3, (4, 3, 2), "sigmoid", "tanh"),
        case('2 layers, hidden="identity", output="relu"', 6, (2, 3, 3), "identity", "relu"),
        case("batch of 1, 2 layers", 1, (3, 4, 2), "relu", "identity"),
        case("non-square layers, 3 layers", 2, (5, 7, 3, 4), "relu", "identity"),
        case('defaults (hidden="relu", output="identity" not passed), 2 layers', 4, (2, 6, 3)),
    ]


def _dense_without_bias(X, W, b, activation="relu"):
    Z = X @ W
    return ACTIVATIONS[activation][0](Z), DenseCache(X, Z)


def _dense_caching_a(X, W, b, activation="relu"):
    A, _ = dense_forward(X, W, b, activation)
    return A, DenseCache(X, A)


def _dense_always_relu(X, W, b, activation="relu"):
    Z = X @ W + b
    return relu(Z), DenseCache(X, Z)


def _mlp(X, params, hidden, output, layer=dense_forward):
    """mlp_forward with a chosen activation per position, for re-enacting mistakes."""
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, cache = layer(A, W, b, output if i == len(params) - 1 else hidden)
        caches.append(cache)
    return A, caches


_DENSE_FORWARD_MISTAKES = (
    Mistake("the bias is missing: Z = X @ W + b", _dense_without_bias),
    Mistake("the cache holds A instead of Z: return DenseCache(X, Z) with the pre-activation Z = X @ W + b "
            "(the backward pass needs f'(Z))", _dense_caching_a),
    Mistake("the activation was not applied: A = f(Z), with f from ACTIVATIONS[activation]",
            lambda X, W, b, activation="relu": (X @ W + b, DenseCache(X, X @ W + b))),
    Mistake("ReLU was applied whatever the activation argument says: take f from ACTIVATIONS[activation]",
            _dense_always_relu),
)
_MLP_FORWARD_MISTAKES = (
    Mistake("the last layer used the hidden activation: only the last layer uses output, every other "
            "layer uses hidden", lambda X, params, hidden="relu", output="identity":
            _mlp(X, params, hidden, hidden)),
    Mistake("every layer used the output activation: the layers before the last use hidden",
            lambda X, params, hidden="relu", output="identity": _mlp(X, params, output, output)),
    Mistake("the biases are missing: each layer computes Z = A @ W + b",
            lambda X, params, hidden="relu", output="identity":
            _mlp(X, params, hidden, output, layer=_dense_without_bias)),
)


EXERCISES = (
    Exercise(
        id="dense_forward",
        lesson="03",
        task="return A = f(X @ W + b) and the cache DenseCache(X, Z)",
        reference=dense_forward,
        make_cases=_dense_forward_cases,
        arg_names=("X", "W", "b", "activation"),
        prerequisites=("ACTIVATIONS", "DenseCache", "identity", "relu", "sigmoid", "tanh"),
        rtol=1e-6,  # float32 case
        mistakes=_DENSE_FORWARD_MISTAKES,
        hints=(
            "Two steps: the pre-activation Z = X @ W + b (lesson 01), then the activation applied to "
            "every entry of Z. Return A together with DenseCache(X, Z): the backward pass will need "
            "the layer's input X and its pre-activation Z (not A).",
            "ACTIVATIONS[activation] is the pair (f, f_prime) for a name such as 'relu'; take f from "
            "it. Z has shape (N, D_out), like A. Return a tuple of two things: A, and the cache.",
            "f, _ = ACTIVATIONS[activation]; Z = X @ W + b; return f(Z), DenseCache(X, Z)",
        ),
    ),
    Exercise(
        id="mlp_forward",
        lesson="03",
        task="run dense_forward layer after layer; return the output and the list of caches",
        reference=mlp_forward,
        make_cases=_mlp_forward_cases,
        arg_names=("X", "params", "hidden", "output"),
        prerequisites=("dense_forward", "Dense", "DenseCache", "ACTIVATIONS"),
        mistakes=_MLP_FORWARD_MISTAKES,
        hints=(
            "Feed each layer's output into the next: A starts as X, and layer l turns it into "
            "dense_forward(A, W, b, activation). Only the last layer uses the output activation; "
            "every other layer uses hidden.",
            "Loop with for i, (W, b) in enumerate(params); the activation is output if "
            "i == len(params) - 1, else hidden. Append each layer's cache to a list, and return "
            "the last A together with that list.",
            "A, caches = X, []; for i, (W, b) in enumerate(params): activation = output if "
            "i == len(params) - 1 else hidden; A, cache = dense_forward(A, W, b, activation); "
            "caches.append(cache). Then return A, caches",
        ),
    ),
)


QUESTIONS = (
    Question(
        id="q03_1",
        lesson="03",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "That counts W1 (784 × 128) and W2 (128 × 10) but not the biases: every neuron has "
            "one, so b1 adds 128 numbers and b2 adds 10.",
            "b": "W1: 784 · 128 = 100,352, b1: 128, W2: 128 · 10 = 1,280, b2: 10. The batch size does "
            "not appear: the same W and b are applied to every example.",
            "c": "That is 32 times the right count. The parameters do not depend on the batch: the same "
            "W and b are applied to every row of X; only Z and A have N = 32 rows.",
            "d": "That counts the neurons (and inputs), not the connections: each of the 128 hidden "
            "neurons has one weight per input (784 of them) and a bias.",
        },
    ),
)
