"""Functions that exercise cases pass as arguments (``numerical_derivative(f, x)``...).

Numpy only, imports nothing from nnlib: the grader hands them to its sandbox by
source, like the case arrays, so every callable in a case is either a numpy
function or defined here.
"""

import numpy as np


def cubic(x):
    """f(x) = x³ - 2x + 1, so f'(x) = 3x² - 2 and f''(x) = 6x."""
    return x**3 - 2 * x + 1


def softplus(x):
    """f(x) = log(1 + eˣ), whose derivative is the sigmoid."""
    return np.log1p(np.exp(x))


# --------------------------------------------------------------------------- #
# Harnesses of lessons 10 and 11: each calls the learner's function in the scenario the lesson
# states (two epochs from one generator, a replay from the same seed, another seed, ...) and
# returns plain data; the verdicts are made by the exercise's verifier, from that data alone.


def _listed(result):
    """A generator's (or list's) items as a list; None stays None, so that the verifier can say so."""
    if result is None:
        return None
    try:
        return list(result)
    except TypeError:
        return result


def minibatch_epochs(fn, env, X, y, batch_size, rng, *, other_rng):
    """``iterate_minibatches`` run as lesson 10 pins it down.

    "first" and "second": two epochs drawn from ``rng`` one after the other; "replay": an epoch
    from a copy of ``rng`` as it was before (the same seed); "other": an epoch from another
    seed; "next_draw": ``rng.random()`` after the two epochs, which equals a fresh copy's first
    draw only if the function never drew from ``rng``.
    """
    import copy

    replay_rng = copy.deepcopy(rng)
    first = _listed(fn(X, y, batch_size, rng))
    if first is None:
        return {"returned_none": 1.0}
    if not isinstance(first, list):
        return {"first": first}
    second = _listed(fn(X, y, batch_size, rng))
    return {"first": first, "second": second, "replay": _listed(fn(X, y, batch_size, replay_rng)),
            "other": _listed(fn(X, y, batch_size, other_rng)), "next_draw": rng.random()}


def train_run(fn, env, params, X, y, *, epochs, lr, batch_size, rng, hidden=None, callback=True):
    """``train`` run as lesson 10 pins it down, with what the verifier needs to judge it.

    "result": what train returned. "callback": for each call of the callback, (epoch, the
    lengths of history's "loss" and "accuracy" lists, their last values), recorded as the call
    happened, so that a train which hands the callback a copy of its history is judged right.
    "batches": for each epoch, the row indices of the batches that ``iterate_minibatches(X, y,
    batch_size, rng)`` yields, replayed on a copy of ``rng`` with the ``iterate_minibatches`` that
    train itself calls; "draws": a copy of ``rng``'s next draw after k = 0, 1, ..., epochs + 1
    such epochs; "next_draw": ``rng``'s next draw after train (so the verifier can count the
    shuffles train drew).
    """
    import copy

    import numpy as np

    start = copy.deepcopy(rng)
    batcher = getattr(fn, "__globals__", {}).get("iterate_minibatches", env.get("iterate_minibatches"))
    seen = []

    def record(epoch, current, history):
        try:
            losses, accuracies = list(history["loss"]), list(history["accuracy"])
            seen.append([float(epoch), float(len(losses)), float(len(accuracies)),
                         float(losses[-1]) if losses else np.nan,
                         float(accuracies[-1]) if accuracies else np.nan])
        except Exception:  # not a dict of lists: recorded as unreadable
            seen.append([float(epoch) if isinstance(epoch, int | float) else np.nan] + [np.nan] * 4)

    kwargs = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "rng": rng}
    if hidden is not None:
        kwargs["hidden"] = hidden
    if callback:
        kwargs["callback"] = record
    result = fn(params, X, y, **kwargs)
    next_draw = rng.random()

    rows = np.arange(len(X))
    index_X = rows.reshape(-1, 1).astype(np.float64)
    batches, draws = [], []
    replay = copy.deepcopy(start)
    for k in range(epochs + 2):
        draws.append(copy.deepcopy(replay).random())
        try:
            epoch = [np.asarray(yb, dtype=np.int64) for _, yb in batcher(index_X, rows, batch_size, replay)]
        except Exception:  # the learner's iterate_minibatches may be unwritten or broken
            epoch = None
        if k < epochs:
            batches.append(epoch if epoch is not None else [])
    return {"result": result, "callback": seen or [], "batches": batches, "draws": draws,
            "next_draw": next_draw}


def init_runs(fn, env, sizes, rng, *, other_rng, **kwargs):
    """``init_mlp`` run three ways: from ``rng``, from a copy of it (the same seed), from another seed.

    "next_draw" is ``rng.random()`` afterwards: it equals a fresh copy's first draw only if
    the function never drew from the generator it was given.
    """
    import copy

    again_rng = copy.deepcopy(rng)
    params = fn(sizes, rng, **kwargs)
    return {"params": params, "again": fn(sizes, again_rng, **kwargs),
            "other": fn(sizes, other_rng, **kwargs), "next_draw": rng.random()}


def without_arguments(fn, env, *args, **kwargs):
    """Call a function that takes no arguments (it returns settings); the case's data are for the verifier."""
    return fn()
