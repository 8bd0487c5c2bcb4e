"""A scalar autodiff engine, ``Value``, and a drawing of its graph (lessons 05 and 09).

Each ``Value`` remembers the values it was computed from and a small function
that pushes its gradient back to them. Every operation's backward rule sits
right next to its forward computation. ``backward()`` visits the graph in
reverse topological order, so each node has received its whole gradient
before it passes it on.
"""

from __future__ import annotations

import math
import numbers


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

        def _backward():  # d(x + y)/dx = d(x + y)/dy = 1: the gradient is routed unchanged
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

        Iterative depth-first search: a graph 100,000 nodes deep needs no recursion.
        """
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if id(child) not in visited)
        return order

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


def _as_value(x, op: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"Value {op}: the other operand must be a Value or a number; got {type(x).__name__}")
    return Value(x)


def draw_graph(root, ax=None, highlight=None, show_grad=True):
    """Draw the computational graph of ``root`` with matplotlib (no graphviz needed).

    Inputs are on the left, ``root`` on the right; each box shows a node's label,
    ``data`` and (if ``show_grad``) ``grad``; the operation that produced it sits
    on the arrow.

    Parameters
    ----------
    root : Value
    ax : matplotlib Axes, optional (a new figure is made if None)
    highlight : Value or iterable of Value, optional: nodes drawn in orange
    show_grad : bool

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a Value; got {type(root).__name__}")
    order = root.topological_order()
    if len(order) > 60:
        raise ValueError(f"draw_graph: graphs of at most 60 nodes are readable; got {len(order)} nodes")
    if isinstance(highlight, Value):
        highlight = (highlight,)
    marked = {id(v) for v in (highlight or ())}

    depth = {}  # column = longest path from a leaf
    for node in order:
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for col, nodes in columns.items():
        for row, node in enumerate(nodes):
            pos[id(node)] = (col * 2.6, -(row - (len(nodes) - 1) / 2) * 1.3)

    if ax is None:
        n_cols, n_rows = len(columns), max(len(v) for v in columns.values())
        _, ax = plt.subplots(figsize=(min(2.3 * n_cols + 0.5, 14), min(1.0 * n_rows + 1.0, 8)))
    for node in order:
        x, y = pos[id(node)]
        for child in node._prev:
            cx, cy = pos[id(child)]
            ax.add_patch(
                FancyArrowPatch((cx + 0.85, cy), (x - 0.85, y), arrowstyle="-|>", mutation_scale=10,
                                color="0.45", lw=1)
            )
        if node._op:
            ax.text(x - 1.05, y + 0.28, node._op, ha="center", fontsize=8, color="0.2",
                    bbox={"boxstyle": "circle,pad=0.15", "fc": "#eef", "ec": "0.6"})
        text = (f"{node.label}\n" if node.label else "") + f"data {node.data:.4g}"
        if show_grad:
            text += f"\ngrad {node.grad:.4g}"
        color = "#ffd59e" if id(node) in marked else ("#dff0d8" if not node._prev else "white")
        ax.text(x, y, text, ha="center", va="center", fontsize=8, family="monospace",
                bbox={"boxstyle": "round,pad=0.35", "fc": color, "ec": "0.3"})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    ax.set_axis_off()
    return ax
