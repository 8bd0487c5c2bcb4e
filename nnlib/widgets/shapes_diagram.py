"""Shapes diagram (lesson 08): the three products of a dense layer's backward pass, to scale.

For :math:`Z = XW + b` with X (N, D_in), W (D_in, D_out), b (D_out,) and the
upstream gradient dZ (N, D_out), each gradient has the shape of what it is the
gradient of, and only one arrangement of the factors produces that shape::

    dX = dZ @ W.T        (N, D_in)     = (N, D_out) @ (D_out, D_in)
    dW = X.T @ dZ        (D_in, D_out) = (D_in, N)  @ (N, D_out)
    db = dZ.sum(axis=0)  (D_out,)      = the N rows of dZ added up

:func:`draw_backward_shapes` draws every matrix as a grid of cells (one cell
per number), so the matching inner dimensions can be counted;
:func:`shapes_explorer` is the widget with sliders for N, D_in and D_out.
:func:`draw_layer_flow` draws one layer's forward pass and, under it, its
backward pass, with the shape of every array.

Examples
--------
>>> from nnlib.widgets.shapes_diagram import draw_backward_shapes, shapes_explorer
>>> ax = draw_backward_shapes(n=4, d_in=3, d_out=2)   # static figure
>>> box = shapes_explorer()                           # in a notebook: leave it last in the cell
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Rectangle

from nnlib.widgets import show_figure

__all__ = ["MAX_SIZE", "draw_backward_shapes", "draw_layer_flow", "shapes_explorer"]

#: Largest N, D_in or D_out drawn: beyond it the cells get too small to count.
MAX_SIZE = 8

# One colour per quantity; its gradient shares it (dX is drawn like X).
_COLORS = {"X": "#1f77b4", "W": "#ff7f0e", "dZ": "#2ca02c", "b": "#9467bd"}
_GAP = 0.9  # horizontal space between a matrix and the operator next to it, in cells
_ROW_GAP = 2.2  # vertical space between two equations, in cells (room for the labels)
_CAPTION_WIDTH = 6.5  # room for the code caption at the right, in cells


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"draw_backward_shapes: {name} must be an int; got {type(value).__name__} {value!r}")
    if not 1 <= value <= MAX_SIZE:
        raise ValueError(f"draw_backward_shapes: {name} must be in [1, {MAX_SIZE}]; got {name}={value}")
    return int(value)


def _matrix(ax, x0: float, top: float, rows: int, cols: int, color: str, name: str, shape: str) -> float:
    """Draw a rows x cols grid of cells with its top-left corner at (x0, top); return its right edge."""
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x0 + j, top - i - 1), 1, 1, facecolor=color, edgecolor="white",
                                   linewidth=1.2, alpha=0.85))
    center = x0 + cols / 2
    ax.text(center, top + 0.25, name, ha="center", va="bottom", fontsize=11, fontweight="bold")
    ax.text(center, top - rows - 0.2, shape, ha="center", va="top", fontsize=8, color="0.25")
    return x0 + cols


def _operator(ax, x0: float, middle: float, symbol: str, width: float = 1.0) -> float:
    ax.text(x0 + _GAP + width / 2, middle, symbol, ha="center", va="center", fontsize=13)
    return x0 + 2 * _GAP + width


def _equations(n: int, d_in: int, d_out: int) -> list:
    """Each equation: a code caption, and parts that are operators or matrices.

    A matrix is (name, rows, cols, colour key, shape label).
    """
    dz = ("dZ", n, d_out, "dZ", f"(N, D_out)\n({n}, {d_out})")
    return [
        ("dX = dZ @ W.T", [("dX", n, d_in, "X", f"(N, D_in)\n({n}, {d_in})"), "=", dz, "@",
                           ("W.T", d_out, d_in, "W", f"(D_out, D_in)\n({d_out}, {d_in})")]),
        ("dW = X.T @ dZ", [("dW", d_in, d_out, "W", f"(D_in, D_out)\n({d_in}, {d_out})"), "=",
                           ("X.T", d_in, n, "X", f"(D_in, N)\n({d_in}, {n})"), "@", dz]),
        ("db = dZ.sum(axis=0)", [("db", 1, d_out, "b", f"(D_out,)\n({d_out},)"), "=", r"$\sum_n$", dz]),
    ]


def _width(parts) -> float:
    return sum(p[2] if isinstance(p, tuple) else 2 * _GAP + 1 for p in parts)


def draw_backward_shapes(n: int = 4, d_in: int = 3, d_out: int = 2, ax=None):
    """Draw dX = dZ Wᵀ, dW = Xᵀ dZ and db = Σ_n dZ[n, :] with every matrix to scale.

    Parameters
    ----------
    n, d_in, d_out : int in [1, MAX_SIZE]
        Batch size N, input width D_in and output width D_out.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the diagram when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    n, d_in, d_out = _check_size("n", n), _check_size("d_in", d_in), _check_size("d_out", d_out)
    equations = _equations(n, d_in, d_out)
    heights = [max(p[1] for p in parts if isinstance(p, tuple)) for _, parts in equations]
    # Room for the widest shape label under a narrow matrix, and for the code caption.
    width = max(_width(parts) for _, parts in equations) + _CAPTION_WIDTH + 1.5
    height = sum(heights) + _ROW_GAP * len(equations) + 0.5
    if ax is None:
        _, ax = plt.subplots(figsize=(min(0.3 * width, 9.0), min(0.3 * height, 6.0)), layout="constrained")
    top = 0.0
    for (caption, parts), rows_here in zip(equations, heights, strict=True):
        middle = top - rows_here / 2
        x = 0.0
        for part in parts:
            if isinstance(part, tuple):
                name, rows, cols, color, shape = part
                # Centre each matrix vertically on the equation's middle line.
                x = _matrix(ax, x, middle + rows / 2, rows, cols, _COLORS[color], name, shape)
            else:
                x = _operator(ax, x, middle, part)
        ax.text(width - _CAPTION_WIDTH, middle, caption, ha="left", va="center", fontsize=9,
                family="monospace", color="0.15")
        top -= rows_here + _ROW_GAP
    ax.set_xlim(-1.2, width)
    ax.set_ylim(top + _ROW_GAP - 1.0, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"N = {n}, D_in = {d_in}, D_out = {d_out}", fontsize=9)
    return ax


_FORWARD_COLOR = "#222222"
_BACKWARD_COLOR = "#d62728"


def _node(ax, x: float, y: float, text: str, color: str, width: float = 1.7) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.42), width, 0.84, boxstyle="round,pad=0.05",
                                facecolor=color, edgecolor="0.3", linewidth=0.8, alpha=0.35))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, start, end, label: str, color: str, above: bool) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 1.4,
                            "shrinkA": 0, "shrinkB": 0})
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + (0.22 if above else -0.22))
    ax.text(*middle, label, ha="center", va="bottom" if above else "top", fontsize=8.5, color=color)


def draw_layer_flow(ax=None):
    """One dense layer, forward (top, left to right) and backward (bottom, right to left).

    Every array is labelled with its shape, and every gradient sits under the array
    it is the gradient of, with the same shape. The backward arrows name the function
    that computes them and what it reads from the forward pass; dW and db come out of
    dZ (with the cached X), beside dX, which goes on to the layer below.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw; a new 8.5 x 3.6 inch figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 3.6), layout="constrained")
    light = dict(_COLORS)
    top, bottom = 2.4, 0.0
    xs = {"X": 0.9, "Z": 4.6, "A": 7.9, "L": 10.7}
    # forward
    _node(ax, xs["X"], top, "X\n(N, D_in)", light["X"])
    _node(ax, xs["Z"], top, "Z\n(N, D_out)", light["dZ"])
    _node(ax, xs["A"], top, "A\n(N, D_out)", light["dZ"])
    _node(ax, xs["L"], top, "L\na number", "#dddddd", width=1.3)
    _node(ax, 2.0, top + 1.35, "W (D_in, D_out)", light["W"], width=2.0)
    _node(ax, 3.9, top + 1.35, "b (D_out,)", light["b"], width=1.5)
    _arrow(ax, (xs["X"] + 0.9, top), (xs["Z"] - 0.9, top), "Z = X W + b", _FORWARD_COLOR, above=False)
    for x in (2.0, 3.9):
        ax.annotate("", xy=(2.75, top + 0.05), xytext=(x, top + 0.9),
                    arrowprops={"arrowstyle": "-|>", "color": "0.4", "linewidth": 1.0})
    _arrow(ax, (xs["Z"] + 0.9, top), (xs["A"] - 0.9, top), "A = f(Z)", _FORWARD_COLOR, above=True)
    _arrow(ax, (xs["A"] + 0.9, top), (xs["L"] - 0.7, top), "more layers,\nthe loss", _FORWARD_COLOR,
           above=True)
    # backward
    _node(ax, xs["X"], bottom, "dX\n(N, D_in)", light["X"])
    _node(ax, xs["Z"], bottom, "dZ\n(N, D_out)", light["dZ"])
    _node(ax, xs["A"], bottom, "dA\n(N, D_out)", light["dZ"])
    grads = {"dW": (3.55, "dW (D_in, D_out)", light["W"], 2.0), "db": (5.75, "db (D_out,)", light["b"], 1.5)}
    for x, text, color, width in grads.values():
        _node(ax, x, bottom - 1.5, text, color, width=width)
    _arrow(ax, (xs["L"] - 0.7, bottom), (xs["A"] + 0.9, bottom), "from the\nlayers above", _BACKWARD_COLOR,
           above=True)
    _arrow(ax, (xs["A"] - 0.9, bottom), (xs["Z"] + 0.9, bottom), "activation_backward\n(reads Z)",
           _BACKWARD_COLOR, above=True)
    _arrow(ax, (xs["Z"] - 0.9, bottom), (xs["X"] + 0.9, bottom), "dense_backward\n(reads W)",
           _BACKWARD_COLOR, above=True)
    for x, *_ in grads.values():  # dW and db come out of dZ, like dX
        ax.annotate("", xy=(x, bottom - 1.5 + 0.47), xytext=(xs["Z"] + (x - xs["Z"]) * 0.25, bottom - 0.47),
                    arrowprops={"arrowstyle": "-|>", "color": _BACKWARD_COLOR, "linewidth": 1.2,
                                "shrinkA": 0, "shrinkB": 0})
    # dW also needs the layer's input, which the forward pass cached
    ax.text(3.62, bottom - 0.8, "(reads X)", fontsize=8.5, color=_BACKWARD_COLOR, ha="right", va="center")
    ax.text(6.8, bottom - 1.5, "update W and b (lesson 07)", ha="left", va="center", fontsize=8.5,
            color=_BACKWARD_COLOR)
    ax.text(-0.1, top + 1.35, "forward", fontsize=9, fontweight="bold", va="center")
    ax.text(-0.1, bottom - 2.3, "backward", fontsize=9, fontweight="bold", va="center",
            color=_BACKWARD_COLOR)
    ax.set_xlim(-0.2, 11.6)
    ax.set_ylim(bottom - 2.55, top + 1.9)
    ax.axis("off")
    ax.set_title("one dense layer: forward pass (top) and backward pass (bottom)", fontsize=10)
    return ax


def shapes_explorer(n: int = 4, d_in: int = 3, d_out: int = 2):
    """Widget: sliders for N, D_in and D_out redraw the backward shapes diagram.

    Returns
    -------
    ipywidgets.VBox
        Children: a row of three IntSliders and the Output that holds the figure.
    """
    import ipywidgets as widgets  # imported here: nnlib itself does not need a widget frontend

    sliders = [widgets.IntSlider(value=_check_size(label, value), min=1, max=MAX_SIZE, description=label)
               for label, value in (("N", n), ("D_in", d_in), ("D_out", d_out))]
    out = widgets.Output()

    def redraw(_change=None):
        ax = draw_backward_shapes(*(s.value for s in sliders))
        show_figure(out, ax.figure)

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(sliders), out])
