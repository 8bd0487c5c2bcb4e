"""How signals flow through a deep network, forward and backward (lessons 09 and 11).

- :func:`draw_backward_pass`: a diagram of the backward pass of an MLP, which
  gradient goes where.
- :func:`activation_stds` and :func:`draw_activation_stds`: the spread of the
  activations layer after layer, for a choice of activation and initialization.
- :func:`layer_statistics` and :func:`draw_gradient_flow`: activation spread and
  per-layer gradient norms of one deep net, side by side.
- :func:`gradient_flow_explorer`: the same, with controls for the activation,
  the initialization and the depth.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from nnlib.mlp import gradient_norms, init_mlp, loss_and_gradients, mlp_forward
from nnlib.plots import CLASS_COLORS, plot_gradient_norms
from nnlib.widgets import show_figure

#: Initializations offered by the explorer: label -> (init, weight_std).
INIT_CHOICES = {
    "normal, std 0.01": ("normal", 0.01),
    "normal, std 1": ("normal", 1.0),
    "xavier": ("xavier", None),
    "he": ("he", None),
}

_FORWARD_COLOR = "#1f77b4"
_BACKWARD_COLOR = "#d62728"


def _arrow(ax, start, end, color, text=None, text_offset=(0.0, 0.0), **text_kwargs):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color, lw=1.5))
    if text:
        x = (start[0] + end[0]) / 2 + text_offset[0]
        y = (start[1] + end[1]) / 2 + text_offset[1]
        ax.text(x, y, text, ha="center", va="center", color=color, fontsize=9, **text_kwargs)


def draw_backward_pass(ax=None, n_layers=3):
    r"""Diagram of an MLP's forward pass (top, blue) and backward pass (bottom, red).

    Each layer box holds :math:`Z = XW + b,\ A = f(Z)`; between layers the forward
    pass hands on :math:`A^{(l)}`, the backward pass :math:`dA^{(l)}`; below each
    layer, its gradients :math:`dW^{(l)}, db^{(l)}` drop out.

    Parameters
    ----------
    ax : matplotlib Axes, optional (a new 9 x 3 inch figure when None)
    n_layers : int, 1 to 4

    Returns
    -------
    matplotlib Axes
    """
    if isinstance(n_layers, bool) or not isinstance(n_layers, int) or not 1 <= n_layers <= 4:
        raise ValueError(f"draw_backward_pass: n_layers must be an int from 1 to 4; got {n_layers!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.1), layout="constrained")
    step, box_w, box_h = 2.8, 2.0, 1.1
    xs = [step * (i + 1) for i in range(n_layers)]
    # Input and loss nodes at both ends.
    ax.text(0.3, 0, "X\n$= A^{(0)}$", ha="center", va="center", fontsize=10)
    loss_x = step * (n_layers + 1) - 0.2
    ax.text(loss_x, 0, "loss\n$L$", ha="center", va="center", fontsize=10,
            bbox={"boxstyle": "round,pad=0.3", "fc": "#f4f4f4", "ec": "0.4"})
    for i, x in enumerate(xs, start=1):
        ax.add_patch(FancyBboxPatch((x - box_w / 2, -box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.05", fc="white", ec="0.3"))
        act = "$f_{\\mathrm{out}}$" if i == n_layers else "$f$"
        ax.text(x, 0.22, f"layer {i}", ha="center", va="center", fontsize=9, weight="bold")
        ax.text(x, -0.17, f"$Z^{{({i})}} = A^{{({i - 1})}}W^{{({i})}} + b^{{({i})}}$\n$A^{{({i})}}$ = {act}"
                f"$(Z^{{({i})}})$", ha="center", va="center", fontsize=8)
        # The gradients of this layer's parameters drop out below it.
        _arrow(ax, (x, -box_h / 2 - 0.05), (x, -1.45), _BACKWARD_COLOR)
        ax.text(x, -1.7, f"$dW^{{({i})}},\\ db^{{({i})}}$", ha="center", va="center",
                color=_BACKWARD_COLOR, fontsize=10)
    # Forward hand-offs (above the middle line) and backward ones (below it).
    lefts = [0.65, *(x + box_w / 2 for x in xs)]
    rights = [*(x - box_w / 2 for x in xs), loss_x - 0.45]
    for i, (left, right) in enumerate(zip(lefts, rights, strict=True)):
        if i == 0:
            _arrow(ax, (left + 0.05, 0.25), (right - 0.05, 0.25), _FORWARD_COLOR)
        else:
            name = f"$A^{{({i})}}$" + (" (logits)" if i == n_layers else "")
            _arrow(ax, (left + 0.05, 0.25), (right - 0.05, 0.25), _FORWARD_COLOR, name, (0, 0.32))
            if i == n_layers:  # two short lines, so that the label stays clear of the boxes beside it
                _arrow(ax, (right - 0.05, -0.25), (left + 0.05, -0.25), _BACKWARD_COLOR,
                       f"$dA^{{({i})}}$\n= dout", (0.05, -0.45))
            else:
                _arrow(ax, (right - 0.05, -0.25), (left + 0.05, -0.25), _BACKWARD_COLOR, f"$dA^{{({i})}}$",
                       (0, -0.3))
    ax.text(-0.2, 1.2, "forward: inputs → loss", color=_FORWARD_COLOR, fontsize=9, ha="left")
    ax.text(loss_x + 0.5, 1.2, "backward: loss → inputs", color=_BACKWARD_COLOR, fontsize=9, ha="right")
    ax.set_xlim(-0.3, loss_x + 0.6)
    ax.set_ylim(-2.0, 1.45)
    ax.set_axis_off()
    ax.set_title(f"the forward and the backward pass of a {n_layers}-layer MLP", fontsize=10)
    return ax


def activation_stds(activation, init, *, depth=10, width=64, n=100, weight_std=None, seed=0,
                    init_fn=init_mlp):
    r"""Standard deviation of the activations :math:`A^{(l)}` of each layer of a deep random net.

    Every layer (the last one too) is ``width`` wide and uses ``activation``; the
    inputs are standard normal, shape (n, width). ``init_fn(sizes, rng, init, weight_std)``
    makes the parameters (pass your own ``init_mlp`` to use it).

    Returns
    -------
    ndarray (depth,): the std of :math:`A^{(1)}, \dots, A^{(\mathrm{depth})}`
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width))
    params = init_fn([width] * (depth + 1), rng, init, weight_std)
    out, caches = mlp_forward(X, params, hidden=activation, output=activation)
    # Layer l's output is the input X of layer l + 1; the last one is the network's output.
    return np.array([np.std(c.X) for c in caches[1:]] + [np.std(out)])


def draw_activation_stds(curves, ax=None, title=None, log=True):
    """Plot per-layer activation spreads, one line per setting, on a log (or linear) scale.

    Parameters
    ----------
    curves : dict label -> sequence of stds (layer 1 first), e.g. from :func:`activation_stds`
    ax : matplotlib Axes, optional;  title : str, optional
    log : a log y-axis (for spreads that collapse or explode); with False a linear one from 0,
        where curves that stay between 0.1 and 1 are told apart (a collapsing one drops to 0)

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    for i, (label, stds) in enumerate(curves.items()):
        stds = np.asarray(stds, dtype=np.float64)
        layers = np.arange(1, len(stds) + 1)
        color = CLASS_COLORS[i % len(CLASS_COLORS)]
        ax.plot(layers, stds, marker="o", markersize=3, color=color, label=label)
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, 1.1 * max(float(np.max(stds)) for stds in curves.values()))
    ax.set_xlabel("layer $l$")
    ax.set_ylabel("std of $A^{(l)}$")
    ax.legend(fontsize="x-small", framealpha=0.8)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def layer_statistics(activation, init, *, depth=8, width=64, n=100, n_classes=10, weight_std=None, seed=0):
    """Forward and backward pass of a deep random classifier; the health of each layer.

    The defaults keep every matrix product small (N * D_in * D_out < 5e5), where numpy's BLAS
    stays single-threaded and fast even on a busy machine.

    The net has ``depth`` hidden layers of ``width`` units with ``activation`` and a
    linear output layer of ``n_classes`` logits; inputs are standard normal, labels
    random; the loss is softmax cross-entropy.

    Returns
    -------
    stds : ndarray (depth,), std of each hidden layer's activations
    norms : ndarray (depth + 1,), the gradient norm of each layer's weights, first layer first
    loss : float, the loss at initialization
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width))
    y = rng.integers(0, n_classes, size=n)
    params = init_mlp([width] * (depth + 1) + [n_classes], rng, init, weight_std)
    _, caches = mlp_forward(X, params, hidden=activation)
    loss, grads = loss_and_gradients(params, X, y, hidden=activation)
    stds = np.array([np.std(c.X) for c in caches[1:]])  # the input of layer l + 1 is A^(l)
    return stds, gradient_norms(grads), loss


def draw_gradient_flow(stds, norms, axes=None, title=None):
    """Two panels: activation std per hidden layer (left), gradient norm per layer (right).

    Parameters
    ----------
    stds : sequence (depth,);  norms : sequence (depth + 1,)
    axes : two matplotlib Axes, optional (a new 8 x 2.8 inch figure when None)
    title : str, optional, above both panels

    Returns
    -------
    matplotlib Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8, 2.8), layout="constrained")
    else:
        fig = axes[0].figure
    stds = np.asarray(stds, dtype=np.float64)
    norms = np.asarray(norms, dtype=np.float64)
    axes[0].plot(np.arange(1, len(stds) + 1), stds, marker="o", markersize=3, color=_FORWARD_COLOR)
    axes[0].set_yscale("log")
    low, high = np.min(stds), np.max(stds)
    if 0 < low and high < 100 * low:  # less than two decades: widen so that decade ticks show
        axes[0].set_ylim(low / 10, high * 10)
    axes[0].set_xlabel("hidden layer $l$")
    axes[0].set_ylabel("std of $A^{(l)}$")
    axes[0].set_title("forward: activations", fontsize=10)
    if np.all(np.isfinite(norms)) and np.any(norms > 0):
        plot_gradient_norms(norms, ax=axes[1])
        positive = norms[norms > 0]
        if positive.max() < 100 * positive.min():  # a narrow log axis would exaggerate small differences
            axes[1].set_ylim(positive.min() / 30, positive.max() * 30)
    else:
        axes[1].text(0.5, 0.5, "gradients are not finite", ha="center", transform=axes[1].transAxes)
    axes[1].set_title(r"backward: $\Vert dW^{(l)} \Vert$ per layer", fontsize=10)
    if title is not None:
        fig.suptitle(title, fontsize=10)
    return fig


def gradient_flow_explorer(width=64, n=100, seed=0):
    """Widget: choose an activation, an initialization and a depth; see both panels redrawn.

    Returns
    -------
    ipywidgets.VBox whose ``.children`` are (controls HBox, depth slider, Output); the
    Output holds the figure of the current setting.
    """
    import ipywidgets as widgets

    activation = widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="relu",
                                  description="activation")
    init = widgets.Dropdown(options=list(INIT_CHOICES), value="normal, std 0.01", description="init")
    depth = widgets.IntSlider(value=8, min=2, max=20, description="hidden layers",
                              style={"description_width": "initial"})
    out = widgets.Output()

    def redraw(_change=None):
        init_name, weight_std = INIT_CHOICES[init.value]
        stds, norms, loss = layer_statistics(activation.value, init_name, depth=depth.value, width=width,
                                             n=n, weight_std=weight_std, seed=seed)
        fig = draw_gradient_flow(stds, norms, title=f"{activation.value}, {init.value}, "
                                 f"{depth.value} hidden layers of {width}: initial loss {loss:.3f}")
        show_figure(out, fig)

    for control in (activation, init, depth):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([activation, init]), depth, out])
