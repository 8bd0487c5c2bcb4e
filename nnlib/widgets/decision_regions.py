"""Figures and widget of lesson 03 (forward propagation).

- :func:`draw_forward_shapes`: the shapes of every array in a forward pass, as boxes and arrows.
- :func:`draw_computation_graphs`: feed-forward or not, as graphs: an MLP, a skip connection,
  a recurrent loop and the loop unrolled in time, each numbered in an order that computes it.
- :func:`plot_network_regions`: the decision regions of a small network on 2-D data, with the
  lines where its first-layer units switch on.
- :func:`xor_playground`: a widget with one slider per parameter of a 2-2-1 network, redrawing its
  decision regions on the four XOR points.

Examples
--------
>>> import numpy as np
>>> from nnlib import Dense, xor
>>> ax = draw_forward_shapes((2, 4, 1))
>>> params = [Dense(np.ones((2, 2)), np.array([0.0, -1.0])),
...           Dense(np.array([[1.0], [-2.0]]), np.array([-0.5]))]
>>> X, y = xor()
>>> ax = plot_network_regions(params, X, y)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from nnlib.graph import forward_order
from nnlib.mlp import Dense, mlp_forward
from nnlib.plots import plot_decision_regions
from nnlib.widgets import show_figure

__all__ = ["COMPUTATION_GRAPHS", "draw_computation_graphs", "draw_forward_shapes", "network_predict",
           "plot_network_regions", "xor_playground"]

_DATA_COLOR = "#dbe9f6"  # light blue: arrays that flow through the network
_PARAM_COLOR = "#fde3c8"  # light orange: parameters
_EDGE_COLOR = "0.35"
_UNIT_LINE_COLOR = "0.3"


def _box(ax, x, y, text, color, width=1.2, height=0.72):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.03,rounding_size=0.12",
                                facecolor=color, edgecolor=_EDGE_COLOR, linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax, start, end, label=None):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": _EDGE_COLOR, "linewidth": 1.2,
                            "shrinkA": 0, "shrinkB": 0})
    if label:
        ax.text((start[0] + end[0]) / 2, start[1] + 0.1, label, ha="center", va="bottom", fontsize=8.5)


def draw_forward_shapes(sizes, hidden="relu", output="identity", ax=None, batch="N", title=None):
    """Draw the forward pass of an MLP as boxes labelled with each array's shape.

    The top row holds what flows through the network (X, then Z and A of each layer), the
    bottom row the parameters W and b of each layer, which join the arrow X -> Z of their
    layer. Arrows only point forward: the graph has no cycles.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, e.g. (2, 4, 1); at least two.
    hidden, output : str
        Names of the hidden and output activations, written on the arrows Z -> A.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the network when None.
    batch : str
        The symbol of the batch size in the shapes.
    title : str, optional
        By default "the forward pass of a 2-4-1 network: the shape of every array".

    Returns
    -------
    matplotlib.axes.Axes
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"draw_forward_shapes: sizes needs at least 2 widths >= 1; got {sizes}")
    n_layers = len(sizes) - 1
    step, half = 2.3, 0.6  # distance between boxes; half a box width
    if ax is None:
        _, ax = plt.subplots(figsize=(0.85 * step * 2 * n_layers + 1.2, 2.1), layout="constrained")
    top, bottom = 1.0, 0.0
    _box(ax, 0, top, f"$X$\n({batch}, {sizes[0]})", _DATA_COLOR)
    for layer in range(1, n_layers + 1):
        d_in, d_out = sizes[layer - 1], sizes[layer]
        x_z, x_a = (2 * layer - 1) * step, 2 * layer * step
        activation = output if layer == n_layers else hidden
        sup = f"^{{({layer})}}" if n_layers > 1 else ""  # one layer: plain Z = XW + b
        _box(ax, x_z, top, f"$Z{sup}$\n({batch}, {d_out})", _DATA_COLOR)
        name = f"$A{sup}$" + (" = out" if layer == n_layers > 1 else "")
        _box(ax, x_a, top, f"{name}\n({batch}, {d_out})", _DATA_COLOR)
        _arrow(ax, (x_z - step + half, top), (x_z - half, top), f"$@\\,W{sup} + b{sup}$")
        _arrow(ax, (x_z + half, top), (x_a - half, top), activation)
        x_param = x_z - step / 2
        _box(ax, x_param, bottom, f"$W{sup}$ ({d_in}, {d_out})\n$b{sup}$ ({d_out},)",
             _PARAM_COLOR, width=1.45)
        _arrow(ax, (x_param, bottom + 0.36), (x_param, top - 0.02))
    ax.set_xlim(-0.75, 2 * n_layers * step + 0.75)
    ax.set_ylim(-0.45, 1.5)
    if title is None:
        what = (f"one dense layer, {sizes[0]} inputs to {sizes[1]} units" if n_layers == 1
                else f"a {'-'.join(map(str, sizes))} network")
        title = f"the forward pass of {what}: the shape of every array"
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


#: The graphs of :func:`draw_computation_graphs`: title -> (inputs of each node, position of each node).
#: Each node maps to the nodes it reads, as :func:`nnlib.graph.forward_order` takes them.
COMPUTATION_GRAPHS = {
    "an MLP: a chain": (
        {"x": [], "h1": ["x"], "h2": ["h1"], "out": ["h2"]},
        {"x": (0, 0), "h1": (1, 0), "h2": (2, 0), "out": (3, 0)},
    ),
    "a skip connection: still feed-forward": (
        {"x": [], "h1": ["x"], "h2": ["h1"], "out": ["h2", "h1"]},
        {"x": (0, 0), "h1": (1, 0), "h2": (2, 0), "out": (3, 0)},
    ),
    "recurrent: h reads itself, a cycle": (
        {"x": [], "h": ["x", "h"], "y": ["h"]},
        {"x": (0, 0), "h": (1.5, 0), "y": (3, 0)},
    ),
    "the loop unrolled in time: feed-forward": (
        {"x1": [], "h1": ["x1"], "y1": ["h1"], "x2": [], "h2": ["x2", "h1"], "y2": ["h2"],
         "x3": [], "h3": ["x3", "h2"], "y3": ["h3"]},
        {"x1": (0, -0.9), "h1": (0, 0), "y1": (0, 0.9), "x2": (1.5, -0.9), "h2": (1.5, 0),
         "y2": (1.5, 0.9), "x3": (3, -0.9), "h3": (3, 0), "y3": (3, 0.9)},
    ),
}


def draw_computation_graphs(axes=None):
    """Four computation graphs side by side: which are feed-forward, and in what order to compute them.

    Each node is numbered with its place in :func:`nnlib.graph.forward_order`: every node
    comes after the nodes it reads. The MLP and the network with a skip connection (out reads
    h1 directly too) have such an order; the recurrent network, whose h reads its own
    previous value, has a cycle and none ("?"); unrolled in time, with one copy of h per
    step, it is feed-forward again.

    Parameters
    ----------
    axes : four matplotlib Axes, optional; a new 12 x 2.9 inch figure when None

    Returns
    -------
    list of the four Axes, titled
    """
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(12, 2.9), layout="constrained")
    axes = list(axes)
    if len(axes) != len(COMPUTATION_GRAPHS):
        raise ValueError(f"draw_computation_graphs: needs {len(COMPUTATION_GRAPHS)} axes; got {len(axes)}")
    for ax, (title, (inputs, pos)) in zip(axes, COMPUTATION_GRAPHS.items(), strict=True):
        try:
            order = forward_order(inputs)
        except ValueError:  # a cycle: no order exists
            order = []
        _draw_named_graph(ax, inputs, pos, {name: k for k, name in enumerate(order, start=1)})
        verdict = f"order: {', '.join(order)}" if order else "no order: h must come before h"
        ax.set_title(f"{title}\n{verdict}", fontsize=8.5)
    return axes


def _draw_named_graph(ax, inputs, pos, step):
    """Nodes as circles at ``pos``, an arrow from each input to its reader, ``step`` numbers beside."""
    circles = {}
    for name, (x, y) in pos.items():
        color = _DATA_COLOR if inputs[name] else _PARAM_COLOR
        circles[name] = ax.text(x, y, name, ha="center", va="center", fontsize=9, zorder=3,
                                bbox={"boxstyle": "circle,pad=0.3", "fc": color, "ec": _EDGE_COLOR})
        ax.text(x + 0.3, y + 0.3, str(step[name]) if step else "?", ha="center", va="center",
                fontsize=7.5, color="#b03a2e", zorder=4)
    for name, reads in inputs.items():
        for source in reads:
            (x0, y0), (x1, y1) = pos[source], pos[name]
            if source == name:  # a self-loop: an arc leaving the bottom and coming back
                ax.annotate("", xy=(x1 - 0.17, y1 - 0.17), xytext=(x1 + 0.17, y1 - 0.17), zorder=2,
                            arrowprops={"arrowstyle": "-|>", "color": "#b03a2e", "lw": 1.4,
                                        "connectionstyle": "arc3,rad=-1.9", "shrinkA": 0, "shrinkB": 0})
                continue
            # an edge that jumps over a node of its row (a skip connection) bends above the row
            skip = y0 == y1 and any(y == y0 and min(x0, x1) < x < max(x0, x1) for x, y in pos.values())
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=2,
                        arrowprops={"arrowstyle": "-|>", "color": _EDGE_COLOR, "lw": 1.1,
                                    "shrinkA": 12, "shrinkB": 12,
                                    "connectionstyle": f"arc3,rad={-0.45 if skip else 0.0}"})
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")


def network_predict(params, hidden="relu", forward=None):
    """A ``predict(P) -> class ids`` function for :func:`nnlib.plots.plot_decision_regions`.

    With one output unit the class is ``output > 0`` (the output is a logit: identity
    activation); with several, the class is the index of the largest output.
    """
    forward = mlp_forward if forward is None else forward

    def predict(P):
        out, _ = forward(P, params, hidden, "identity")
        out = np.asarray(out)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)

    return predict


def plot_network_regions(params, X, y, hidden="relu", ax=None, forward=None, title=None,
                         show_units=True, resolution=200):
    """Decision regions of a network on 2-D data, titled with how many points it gets right.

    Parameters
    ----------
    params : list of Dense
        The network; its first layer must take 2 inputs.
    X : ndarray (N, 2);  y : ndarray (N,) of class ids
    hidden : str
        Activation of the hidden layers (the output layer gives logits).
    ax : matplotlib Axes, optional
    forward : callable, optional
        ``forward(X, params, hidden, output) -> (out, caches)``; nnlib's mlp_forward when None.
    title : str, optional
        Text before "k of N correct".
    show_units : bool
        Draw, dashed, the line where each first-layer unit's pre-activation is 0
        (where a ReLU unit switches on).
    resolution : int
        Grid points per axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    params = [Dense(*layer) for layer in params]
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or params[0].W.shape[0] != 2:
        raise ValueError(
            f"plot_network_regions: needs 2-D data and a first layer with 2 inputs; "
            f"got X.shape={X.shape}, params[0].W.shape={params[0].W.shape}"
        )
    predict = network_predict(params, hidden, forward)
    correct = int(np.sum(predict(X) == y))
    label = f"{correct} of {len(y)} correct"
    ax = plot_decision_regions(predict, X, y, ax=ax, resolution=resolution,
                               title=f"{title}: {label}" if title else label)
    if show_units:
        (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
        W, b = params[0]
        xs = np.array([x_lo, x_hi])
        for j in range(W.shape[1]):
            w1, w2, bias = W[0, j], W[1, j], b[j]
            style = {"linestyle": "--", "color": _UNIT_LINE_COLOR, "linewidth": 1,
                     "label": "hidden unit: z = 0" if j == 0 else None}
            if abs(w2) > 1e-12:  # w1 x1 + w2 x2 + b = 0  ->  x2 = -(w1 x1 + b) / w2
                ax.plot(xs, -(w1 * xs + bias) / w2, **style)
            elif abs(w1) > 1e-12:
                ax.axvline(-bias / w1, **style)
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.legend(loc="best", fontsize="x-small", framealpha=0.8)
    return ax


def xor_playground(params=None, hidden="relu", forward=None):
    """Widget: one slider per parameter of a 2-2-1 network, and its decision regions on XOR.

    Parameters
    ----------
    params : list of two Dense, optional
        Initial weights, W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,); all zeros when None.
    hidden : str
        Initial hidden activation (a dropdown switches between relu, tanh and sigmoid).
    forward : callable, optional
        ``forward(X, params, hidden, output) -> (out, caches)``; nnlib's mlp_forward when None.

    Returns
    -------
    ipywidgets.VBox
        Children: a row with the sliders, the dropdown and the Output holding the figure; and a
        readout line. The sliders are also listed in the box's ``sliders`` attribute, keyed by
        name ("W1[0,0]", ..., "b2[0]").
    """
    import ipywidgets as widgets  # imported here: nnlib itself does not need a widget frontend

    from nnlib.data import xor

    if params is None:
        params = [Dense(np.zeros((2, 2)), np.zeros(2)), Dense(np.zeros((2, 1)), np.zeros(1))]
    params = [Dense(*(np.asarray(a, dtype=float) for a in layer)) for layer in params]
    shapes = [(layer.W.shape, layer.b.shape) for layer in params]
    if shapes != [((2, 2), (2,)), ((2, 1), (1,))]:
        raise ValueError(f"xor_playground: params must be a 2-2-1 network; got shapes {shapes}")
    X, y = xor()

    def slider(name, value):
        return widgets.FloatSlider(value=float(value), min=-3.0, max=3.0, step=0.1, description=name,
                                   readout_format=".1f", continuous_update=False,
                                   layout=widgets.Layout(width="230px"),
                                   style={"description_width": "55px"})

    sliders = {}
    for layer, (W, b) in enumerate(params, start=1):
        for (i, j), value in np.ndenumerate(W):
            sliders[f"W{layer}[{i},{j}]"] = slider(f"W{layer}[{i},{j}]", value)
        for (j,), value in np.ndenumerate(b):
            sliders[f"b{layer}[{j}]"] = slider(f"b{layer}[{j}]", value)
    dropdown = widgets.Dropdown(options=["relu", "tanh", "sigmoid"], value=hidden, description="hidden",
                                layout=widgets.Layout(width="180px"), style={"description_width": "55px"})
    readout = widgets.HTML()
    out = widgets.Output()

    def current():
        W1 = np.array([[sliders[f"W1[{i},{j}]"].value for j in range(2)] for i in range(2)])
        b1 = np.array([sliders[f"b1[{j}]"].value for j in range(2)])
        W2 = np.array([[sliders[f"W2[{i},0]"].value] for i in range(2)])
        b2 = np.array([sliders["b2[0]"].value])
        return [Dense(W1, b1), Dense(W2, b2)]

    def redraw(_change=None):
        net = current()
        logits = np.asarray((mlp_forward if forward is None else forward)(X, net, dropdown.value,
                                                                          "identity")[0])[:, 0]
        correct = int(np.sum((logits > 0) == y))
        readout.value = ("outputs on (0,0), (0,1), (1,0), (1,1): "
                         + ", ".join(f"{v:+.2f}" for v in logits)
                         + f" &rarr; <b>{correct} of 4 correct</b>" + (" (solved!)" if correct == 4 else ""))
        fig, ax = plt.subplots(figsize=(4, 3.2), layout="constrained")
        plot_network_regions(net, X, y, dropdown.value, ax=ax, forward=forward, resolution=100)
        show_figure(out, fig)

    for control in (*sliders.values(), dropdown):
        control.observe(redraw, names="value")
    columns = widgets.HBox([
        widgets.VBox([widgets.HTML("<b>layer 1</b>")] + [s for k, s in sliders.items() if k[1] == "1"]),
        widgets.VBox([widgets.HTML("<b>layer 2</b>")] + [s for k, s in sliders.items() if k[1] == "2"]
                     + [dropdown]),
    ])
    redraw()
    box = widgets.VBox([widgets.HBox([columns, out]), readout])
    box.sliders = sliders
    return box
