"""Mini-batch training of an MLP classifier (lesson 10)."""

from __future__ import annotations

import numpy as np

from nnlib._validate import as_float_array, as_labels, require_int, require_ndim, require_positive
from nnlib.losses import softmax_cross_entropy
from nnlib.mlp import loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step


def _check_rng(fn: str, rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{fn}: rng must be a np.random.Generator such as np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )


def iterate_minibatches(X, y, batch_size, rng):
    """Shuffled mini-batches ``(X_batch, y_batch)`` covering every example once.

    Parameters
    ----------
    X : (N, D);  y : (N,) or (N, K), paired with X row by row
    batch_size : int >= 1; the last batch holds the N % batch_size leftovers, if any
    rng : np.random.Generator, used for one permutation per call

    Returns
    -------
    a generator of ``(X_batch, y_batch)``: X_batch (B, D), y_batch (B,) or (B, K), with
    B = batch_size except maybe for the last. Bad arguments raise at once, at the call,
    not at the first batch.
    """
    _check_rng("iterate_minibatches", rng)
    batch_size = require_int("iterate_minibatches", "batch_size", batch_size, 1)
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            "iterate_minibatches: X and y must have the same number of rows; "
            f"got X.shape={X.shape}, y.shape={y.shape}"
        )
    return _minibatches(X, y, batch_size, rng)


def _minibatches(X, y, batch_size, rng):
    """The generator behind :func:`iterate_minibatches`, which checked the arguments."""
    order = rng.permutation(len(X))  # shuffle so each batch is a fair sample
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def accuracy(logits, labels) -> float:
    """Fraction of rows whose largest logit is at the true label.

    Parameters
    ----------
    logits : (N, C) scores (or probabilities: the argmax is the same)
    labels : (N,) integer class ids

    Returns
    -------
    float in [0, 1]
    """
    logits = as_float_array("accuracy", "logits", logits)
    require_ndim("accuracy", "logits", logits, 2, "(N, C)")
    labels = as_labels("accuracy", labels, logits.shape[0], logits.shape[1])
    if len(labels) == 0:
        raise ValueError("accuracy: need at least one example; got N=0")
    return float(np.mean(logits.argmax(axis=1) == labels))


def train(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    """Train an MLP classifier with mini-batch SGD on softmax cross-entropy.

    Each epoch shuffles the data, takes one :func:`sgd_step` per mini-batch, and
    then records the mean training loss and the training accuracy.

    Parameters
    ----------
    params : list of Dense, the initial parameters (not modified)
    X : (N, D) inputs;  y : (N,) integer labels
    epochs : int >= 1;  lr : float > 0;  batch_size : int >= 1
    rng : np.random.Generator for the shuffling
    hidden : activation of the hidden layers
    callback : optional ``callback(epoch, params, history)`` called after each epoch
        (epoch counts from 1), e.g. to plot progress or measure test accuracy

    Returns
    -------
    params : list of Dense, the trained parameters
    history : dict with lists "loss" (mean over the epoch's batches, weighted by
        batch size) and "accuracy" (on X, y after the epoch), one entry per epoch
    """
    epochs = require_int("train", "epochs", epochs, 1)
    require_positive("train", "lr", lr)
    X = as_float_array("train", "X", X)
    require_ndim("train", "X", X, 2, "(N, D)")
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        logits, _ = mlp_forward(X, params, hidden)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(logits, y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def early_stopping(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    r"""Train with :func:`train` and keep the parameters of the epoch with the lowest validation loss.

    After each epoch the callback measures the softmax cross-entropy and the accuracy on the
    validation set ``(X_val, y_val)``, held out of the training data; the parameters of the
    epoch whose validation loss is the lowest (the first such epoch on a tie) are kept. This
    is *early stopping*: the network of that epoch is the one that generalizes best, as far
    as the validation set can tell.

    Parameters
    ----------
    params, X, y, epochs, lr, batch_size, rng, hidden : as for :func:`train`
    X_val : (M, D) validation inputs;  y_val : (M,) their integer labels

    Returns
    -------
    best_params : list of Dense, the parameters after epoch ``best_epoch``
    report : dict with "best_epoch" (int, counted from 1), "val_loss" and "val_accuracy"
        (lists, one entry per epoch) and "gap", the generalization gap at the best epoch:
        training accuracy minus validation accuracy, :math:`a_{train} - a_{val}`
    """
    X_val = as_float_array("early_stopping", "X_val", X_val)
    require_ndim("early_stopping", "X_val", X_val, 2, "(M, D)")
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    best = {"params": params}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] < min(report["val_loss"][:-1], default=np.inf):
            best["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return best["params"], report
