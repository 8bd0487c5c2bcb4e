"""Functions that exercise cases pass as arguments, and the exercises' harnesses.

Numpy and the standard library only, importing nothing from nnlib: the grader
ships this file's source into its sandbox, and a case refers to one of these
functions by name (``numerical_derivative(f, x)`` with ``f = cubic``). So every
callable in a case is either a numpy function or defined here, at the top
level, and so is every ``Exercise.harness``.
"""

import numpy as np


def cubic(x):
    """f(x) = x³ - 2x + 1, so f'(x) = 3x² - 2 and f''(x) = 6x."""
    return x**3 - 2 * x + 1


def softplus(x):
    """f(x) = log(1 + eˣ), whose derivative is the sigmoid."""
    return np.log1p(np.exp(x))


# --------------------------------------------------------------------------- #
# Harnesses (``Exercise.harness``): run a learner's function in a small scenario
# built from plain case data, and return plain numbers to judge.
# --------------------------------------------------------------------------- #


class Node:
    """A bare node of a scalar computation graph, with the fields of nnlib's ``Value``.

    ``data`` (the value), ``grad`` (dL/d this node), ``_prev`` (the inputs, in order; an
    input used twice appears twice) and ``_op``. It has no methods: the learner's backward
    rule or order, judged on these nodes, cannot lean on nnlib's own ``_backward`` closures
    or ``Value.topological_order`` in place of the code it is meant to be.
    """

    __slots__ = ("_op", "_prev", "data", "grad", "label")

    def __init__(self, data, _prev=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Node({self.label or self._op}: data={self.data:.4g}, grad={self.grad:.4g})"


#: The forward computation of each operation a scenario can build.
NODE_OPS = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "tanh": lambda a: float(np.tanh(a)),
    "exp": lambda a: float(np.exp(a)),
    "relu": lambda a: max(a, 0.0),
}


def node_rule(fn, env, op, leaves, operands, out_grad):
    """Run a learner's backward rule ``fn(out)`` for one node ``out = op(*operands)``.

    ``leaves`` maps each input's name to ``(data, grad)``: the grad it holds before the
    rule runs (nonzero where another consumer already sent its share). Returns each
    input's grad afterwards, ``{"a.grad": ..., "b.grad": ...}``.
    """
    nodes = {}
    for name, (data, grad) in leaves.items():
        nodes[name] = Node(data, label=name)
        nodes[name].grad = float(grad)
    args = tuple(nodes[name] for name in operands)
    out = Node(NODE_OPS[op](*(a.data for a in args)), _prev=args, _op=op, label="out")
    out.grad = float(out_grad)
    fn(out)
    return {f"{name}.grad": node.grad for name, node in nodes.items()}


def _positions(result, index):
    """Where each item of ``result`` sits among the graph's nodes (-1: not a node), as floats."""
    if isinstance(result, str | bytes | dict) or not hasattr(result, "__iter__"):
        return {"not a list": np.asarray(1.0)}
    return {"order": np.array([float(index.get(_key(item), -1)) for item in result], dtype=float)}


def _key(item):
    return item if isinstance(item, str) else id(item)


def graph_order(fn, env, program):
    """Build a ``Node`` graph from ``program`` and judge ``fn(root)``, an order of its nodes.

    ``program`` is a list of ``(name, op, arg)``: ``op`` "leaf" with ``arg`` its number,
    or an operation of :data:`NODE_OPS` with ``arg`` the names of its inputs. The last
    entry is the root. Returns ``{"order": position of each returned node in program}``.
    """
    nodes = {}
    for name, op, arg in program:
        if op == "leaf":
            nodes[name] = Node(arg, label=name)
        else:
            args = tuple(nodes[a] for a in arg)
            nodes[name] = Node(NODE_OPS[op](*(a.data for a in args)), _prev=args, _op=op, label=name)
    root = nodes[program[-1][0]]
    index = {id(node): i for i, node in enumerate(nodes.values())}
    return _positions(fn(root), index)


def named_order(fn, env, inputs):
    """Judge ``fn(inputs)``, an order of a graph given by name (``{name: [names it reads]}``).

    Returns the position of each returned name among ``sorted(inputs)``; or, when ``fn``
    raises ValueError (as it must for a cycle), which node names its message contains.
    """
    names = sorted(inputs)
    try:
        result = fn(inputs)
    except ValueError as err:
        message = str(err)
        return {"ValueError names": np.array([float(name in message) for name in names])}
    return _positions(result, {name: i for i, name in enumerate(names)})


def training_run(fn, env, *args, **kwargs):
    """Harness of ``train_neuron``: call ``fn`` and return its ``(w, b, losses)`` as float64 arrays.

    The lesson asks for the final w, the final b and the loss before each step; whether
    they come back as arrays, lists, tuples or numpy scalars is the learner's choice.
    """
    out = fn(*args, **kwargs)
    if not isinstance(out, tuple | list) or len(out) != 3:
        what = f"a {type(out).__name__} of {len(out)} items" if isinstance(out, tuple | list) else \
            f"a {type(out).__name__}"
        raise TypeError(f"the result must be (w, b, losses), 3 items; got {what}")
    w, b, losses = out
    return tuple(np.asarray(part, dtype=np.float64) for part in (w, b, losses))

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
