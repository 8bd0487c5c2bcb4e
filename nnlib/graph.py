"""Computation graphs: the order to evaluate them in (lesson 03), and a scalar autodiff engine,
``Value``, with a drawing of its graph (lessons 05 and 09).

:func:`forward_order` orders the nodes of a graph given by name so that each comes after
the nodes it reads, and refuses a graph with a cycle: that order is what makes a network
*feed-forward*. Each ``Value`` remembers the values it was computed from and a small
function that pushes its gradient back to them. Every operation's backward rule sits
right next to its forward computation. ``backward()`` visits the graph in reverse
topological order (the same kind of order), so each node has received its whole
gradient before it passes it on.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping


def forward_order(inputs) -> list:
    """An order in which a computation graph can be evaluated: each node after every node it reads.

    Parameters
    ----------
    inputs : dict
        Maps each node's name to the names of the nodes it reads (its inputs), e.g.
        ``{"x": [], "h1": ["x"], "h2": ["h1"], "out": ["h2", "h1"]}``. Every node is a key;
        the graph's inputs map to an empty list.

    Returns
    -------
    list of every node's name, each after all of its inputs (a topological order). Among
    the valid orders it returns the depth-first one: a node right after its last input
    is done, trying the nodes in the dict's order.

    Raises
    ------
    ValueError
        If the graph has a cycle (the message names it: no node on it can be computed
        first), or a node reads a name that is not a node.
    TypeError
        If ``inputs`` is not a dict of name -> list of names.

    Examples
    --------
    >>> forward_order({"out": ["h", "x"], "h": ["x"], "x": []})
    ['x', 'h', 'out']
    """
    if not isinstance(inputs, Mapping):
        raise TypeError(f"forward_order: inputs must be a dict of node name -> names of its inputs; "
                        f"got {type(inputs).__name__}")
    for name, reads in inputs.items():
        if isinstance(reads, str) or not isinstance(reads, list | tuple):
            raise TypeError(f"forward_order: inputs[{name!r}] must be a list of node names; "
                            f"got {type(reads).__name__} {reads!r:.40}")
    order, cycle = _depth_first(inputs)
    if cycle is not None:
        raise ValueError(
            f"forward_order: the graph has a cycle, {' -> '.join(map(str, cycle))}: no node on it "
            "can be computed first. A feed-forward network has none (a recurrent one is unrolled "
            "in time first)"
        )
    return order


def _depth_first(inputs) -> tuple[list, list | None]:
    """``(order, None)`` for an acyclic graph; ``(partial order, cycle)`` at the first cycle met.

    The cycle is listed in the direction data flows, its first node repeated at the end:
    ``["h1", "h2", "h1"]``. An iterative depth-first search: deep graphs need no recursion.
    """
    order, done, on_path = [], set(), set()
    for start in inputs:
        if start in done:
            continue
        path, pending = [start], [iter(inputs[start])]
        on_path.add(start)
        while path:
            node = next(pending[-1], _END)
            if node is _END:  # every input of path[-1] is placed: place it
                finished = path.pop()
                pending.pop()
                on_path.discard(finished)
                done.add(finished)
                order.append(finished)
            elif node in on_path:  # path[-1] reads a node that is still waiting for it
                return order, [node, *reversed(path[path.index(node):])]
            elif node not in done:
                if node not in inputs:
                    raise ValueError(f"forward_order: {path[-1]!r} reads {node!r}, which is not a node: "
                                     "every node must be a key of inputs (the graph's inputs with [])")
                path.append(node)
                pending.append(iter(inputs[node]))
                on_path.add(node)
    return order, None


_END = object()  # marks an exhausted list of inputs in forward_order


def _no_backward():
    """Leaves have nothing to pass on."""


class Value:
    """A scalar that records how it was computed, for reverse-mode differentiation.

    Parameters
    ----------
    data : int or float (not bool, not an array)
    label : str, a name shown by :func:`draw_graph`

    Attributes
    ----------
    data : float, the value computed in the forward pass
    grad : float, dL/d(this value) after ``L.backward()``; starts at 0
    """

    __slots__ = ("_backward", "_op", "_prev", "data", "grad", "label")

    def __init__(self, data, label="", _prev=(), _op=""):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            hint = " (use float(x) for a numpy 0-d array)" if hasattr(data, "shape") else ""
            raise TypeError(
                "Value: data must be a real number (int or float); "
                f"got {type(data).__name__} {data!r:.60}{hint}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op
        self._backward = _no_backward

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.4g}, grad={self.grad:.4g})"

    # -- binary operations: out = self (op) other ---------------------------------
    def __add__(self, other):
        other = _as_value(other, "+")
        out = Value(self.data + other.data, _prev=(self, other), _op="+")

        def _backward():  # d(x + y)/dx = d(x + y)/dy = 1: the gradient is distributed unchanged
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other, "*")
        out = Value(self.data * other.data, _prev=(self, other), _op="*")

        def _backward():  # d(xy)/dx = y, d(xy)/dy = x: the inputs are swapped
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(
                f"Value.__pow__: the exponent must be an int or float; got {type(exponent).__name__}"
            )
        x = self.data
        if x == 0 and exponent < 0:
            raise ZeroDivisionError(
                f"Value.__pow__: 0 ** k is undefined for k < 0 (a division by zero); got k={exponent:g}"
            )
        if x < 0 and not float(exponent).is_integer():
            raise ValueError(
                "Value.__pow__: a negative base needs a whole-number exponent (else the power is complex); "
                f"got ({x:g}) ** {exponent:g}"
            )
        out = Value(x**exponent, _prev=(self,), _op=f"**{exponent:g}")

        def _backward():  # d(x^k)/dx = k x^(k-1); 0 for k = 0, even at x = 0
            if exponent == 0:
                return
            if self.data == 0 and exponent < 1:
                raise ZeroDivisionError(
                    "Value.__pow__ backward: d(x ** k)/dx = k x ** (k - 1) is infinite at x = 0 for k < 1; "
                    f"got k={exponent:g}"
                )
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-_as_value(other, "-"))

    def __truediv__(self, other):
        other = _as_value(other, "/")
        if other.data == 0:
            raise ZeroDivisionError(f"Value /: the divisor must be nonzero; got {self.data:g} / 0")
        return self * other**-1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_value(other, "-") - self

    def __rtruediv__(self, other):
        return _as_value(other, "/") / self

    def __rpow__(self, base):  # base ** self, for a number base > 0
        if isinstance(base, bool) or not isinstance(base, numbers.Real):
            raise TypeError(f"Value.__rpow__: the base must be an int or float; got {type(base).__name__}")
        if base <= 0:
            raise ValueError(f"Value.__rpow__: the base must be > 0; got {base}")
        out = Value(base**self.data, _prev=(self,), _op=f"{base:g}**")

        def _backward():  # d(c^x)/dx = c^x ln(c)
            self.grad += out.data * math.log(base) * out.grad

        out._backward = _backward
        return out

    # -- unary functions --------------------------------------------------------
    def exp(self):
        out = Value(math.exp(self.data), _prev=(self,), _op="exp")

        def _backward():  # d(e^x)/dx = e^x
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"Value.log: data must be > 0; got {self.data}")
        out = Value(math.log(self.data), _prev=(self,), _op="log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), _prev=(self,), _op="tanh")

        def _backward():  # d tanh(x)/dx = 1 - tanh(x)^2
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        out = Value(s, _prev=(self,), _op="sigmoid")

        def _backward():  # d sigma(x)/dx = sigma(x)(1 - sigma(x))
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), _prev=(self,), _op="relu")

        def _backward():  # 1 where x > 0, else 0
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    # -- the backward pass ------------------------------------------------------
    def topological_order(self):
        """Every node this value depends on, inputs before the nodes computed from them.

        See :func:`topological_order`.
        """
        return topological_order(self)

    def backward(self):
        """Compute d(self)/d(node) for every node of the graph, into ``node.grad``.

        Leaves (inputs and parameters) *accumulate* with ``+=``: call
        :meth:`zero_grad` before a second backward pass, or the gradients add up.
        Intermediate nodes are reset first, so they hold this pass's gradient only.
        """
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0  # dL/dL
        for node in reversed(order):
            node._backward()

    def zero_grad(self):
        """Set ``grad = 0`` on every node of the graph below (and including) this one."""
        for node in self.topological_order():
            node.grad = 0.0


def topological_order(root) -> list:
    """Every node ``root`` depends on, and ``root`` last, each after all of its inputs.

    The order ``Value.backward()`` walks in reverse: when a node passes its gradient
    on, every node that reads it has already sent its share. Works on any node with
    an ``_prev`` tuple of inputs (a ``Value``). Iterative depth-first search, a node
    placed once all its inputs are: a graph 100,000 nodes deep needs no recursion.
    Nodes are told apart by identity, never by their data.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in visited)
    return order


def _as_value(x, op: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"Value {op}: the other operand must be a Value or a number; got {type(x).__name__}")
    return Value(x)


def graph_layout(root: Value, spacing: float = 2.6) -> dict:
    """Positions that read left to right: ``id(node) -> (x, y)``, each node left of its consumers.

    A computed node sits in the column of its longest path from an input; an
    input sits just left of the earliest node that uses it (so a weight added
    late does not stretch across the figure, through other boxes). Rows follow
    the tree from the output back: the inputs of a node are spread above and
    below it. Columns are ``spacing`` apart. Shared by :func:`draw_graph` and
    the backprop stepper of lesson 05.
    """
    order = root.topological_order()
    depth = {}
    for node in order:
        if node._prev:
            depth[id(node)] = 1 + max((depth.get(id(c), 0) for c in node._prev if c._prev), default=0)
    for node in order:
        if node._prev:  # an input's column: one left of the earliest node that uses it
            for child in node._prev:
                if not child._prev:
                    depth[id(child)] = min(depth.get(id(child), depth[id(node)] - 1), depth[id(node)] - 1)
    depth.setdefault(id(root), 0)  # a graph that is a single input
    height = {id(root): 0.0}
    for node in reversed(order):  # the output first, then each node's inputs around it
        unique = list({id(c): c for c in node._prev}.values())  # x * x has one input, twice
        for i, child in enumerate(unique):
            height.setdefault(id(child), height[id(node)] + 0.65 * (len(unique) - 1 - 2 * i))
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for col, nodes in columns.items():
        nodes.sort(key=lambda n: -height[id(n)])
        y_prev = None
        for node in nodes:  # push apart nodes of one column that would overlap
            y = height[id(node)] if y_prev is None else min(height[id(node)], y_prev - 1.3)
            pos[id(node)] = (col * spacing, y)
            y_prev = y
    return pos


def draw_graph(root, ax=None, highlight=None, show_grad=True, title=None):
    """Draw the computational graph of ``root`` with matplotlib (no graphviz needed).

    Inputs are on the left, ``root`` on the right; each box shows a node's label,
    ``data`` and (if ``show_grad``) ``grad``. As in micrograd's drawing, the operation
    that produced a node is a small circle just left of its box: the node's inputs
    point into the circle, the circle into the node.

    Parameters
    ----------
    root : Value
    ax : matplotlib Axes, optional (a new figure is made if None)
    highlight : Value or iterable of Value, optional: nodes drawn in orange
    show_grad : bool
    title : str, optional; by default "computational graph of <root's label>"

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a Value; got {type(root).__name__}")
    order = root.topological_order()
    if len(order) > 60:
        raise ValueError(f"draw_graph: graphs of at most 60 nodes are readable; got {len(order)} nodes")
    if isinstance(highlight, Value):
        highlight = (highlight,)
    marked = {id(v) for v in (highlight or ())}
    spacing = 3.0
    pos = graph_layout(root, spacing)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    if ax is None:
        n_cols, height = len(set(xs)), max(ys) - min(ys)
        _, ax = plt.subplots(figsize=(min(2.1 * n_cols + 0.6, 14), min(0.75 * height + 1.6, 8)))
    boxes = {}
    for node in order:
        text = (f"{node.label}\n" if node.label else "") + f"data {node.data:.4g}"
        if show_grad:
            text += f"\ngrad {node.grad:.4g}"
        color = "#ffd59e" if id(node) in marked else ("#dff0d8" if not node._prev else "white")
        boxes[id(node)] = ax.text(*pos[id(node)], text, ha="center", va="center", fontsize=8,
                                  family="monospace", zorder=3,
                                  bbox={"boxstyle": "round,pad=0.35", "fc": color, "ec": "0.3"})
    arrow = {"arrowstyle": "-|>", "color": "0.45", "lw": 1, "mutation_scale": 10, "shrinkA": 3, "shrinkB": 3}
    for node in order:
        if not node._prev:
            continue
        x, y = pos[id(node)]
        op = ax.text(x - 0.5 * spacing, y, node._op, ha="center", va="center", fontsize=7, color="0.2",
                     zorder=3, bbox={"boxstyle": "circle,pad=0.25", "fc": "#eef", "ec": "0.6"})
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[id(node)], xytext=(1, 0.5), textcoords=op,
                    arrowprops=arrow, zorder=2)
        for i, child in enumerate(node._prev):
            twice = sum(c is child for c in node._prev) > 1  # x * x: bend the two arrows apart
            bend = (0.3 if i == 0 else -0.3) if twice else 0.0
            ax.annotate("", xy=(0, 0.5), xycoords=op, xytext=(1, 0.5), textcoords=boxes[id(child)], zorder=2,
                        arrowprops={**arrow, "connectionstyle": f"arc3,rad={bend}"})
    ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    name = root.label or "the output"
    ax.set_title(f"computational graph of {name}" if title is None else title, fontsize=9)
    ax.set_axis_off()
    return ax
