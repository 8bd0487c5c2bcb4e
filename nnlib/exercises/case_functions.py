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


def record_epochs(epoch, params, history):
    """A training callback for train()'s cases: writes what it sees into history.

    The returned history then shows when the callback ran and how long history was
    at each call (the grader only gets back what the learner's function returns).
    """
    history.setdefault("callback_epochs", []).append(epoch)
    history.setdefault("callback_history_length", []).append(len(history.get("loss", [])))


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
