r"""Gradient descent on a parabola, and what the learning rate does to it (lesson 07).

On :math:`L(w) = (w - 3)^2` the gradient is :math:`2(w - 3)`, so one step
:math:`w \leftarrow w - \eta \cdot 2(w - 3)` multiplies the distance to the
minimum by :math:`1 - 2\eta`: the walk crawls for a tiny η, oscillates for
0.5 < η < 1, and diverges for η > 1. :func:`draw_quadratic_path` and
:func:`draw_loss_curves` make the static figures; :func:`learning_rate_explorer`
redraws both under sliders for η (log scale) and the number of steps. (The
parabola has no data, so there are steps but no epochs; lesson 07 defines an
epoch when a neuron meets a training set.)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnlib.plots import axes_or_new
from nnlib.widgets import show_figure

__all__ = [
    "CURVE_COLORS",
    "MINIMUM",
    "descend_quadratic",
    "draw_loss_curves",
    "draw_quadratic_path",
    "learning_rate_explorer",
    "quadratic_gradient",
    "quadratic_loss",
]

#: The minimiser w* of the lesson's loss L(w) = (w - 3)^2.
MINIMUM = 3.0
_VIEW = (-2.0, 8.0)  # the w-range drawn: the minimum ± 5
#: The colour of run k in :func:`draw_loss_curves`; give a path the colour of its loss curve.
CURVE_COLORS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e")
_START_COLOR = "#222222"
_NOTE_COLOR = "#555555"


def quadratic_loss(w):
    """L(w) = (w - 3)^2, elementwise."""
    return (np.asarray(w, dtype=np.float64) - MINIMUM) ** 2


def quadratic_gradient(w):
    """dL/dw = 2 (w - 3), elementwise."""
    return 2.0 * (np.asarray(w, dtype=np.float64) - MINIMUM)


def _real(fn: str, name: str, value, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{fn}: {name} must be a finite real number; got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{fn}: {name} must be > 0; got {name}={value}")
    return float(value)


def _steps(fn: str, steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"{fn}: steps must be an int >= 0; got steps={steps!r}")
    return int(steps)


def descend_quadratic(w0: float, lr: float, steps: int) -> np.ndarray:
    r"""Run gradient descent on L(w) = (w - 3)^2: :math:`w_{t+1} = w_t - \eta \cdot 2(w_t - 3)`.

    Parameters
    ----------
    w0 : float, the starting point;  lr : float > 0, the learning rate η
    steps : int >= 0, the number of steps

    Returns
    -------
    ndarray (steps + 1,): w_0, w_1, ..., w_steps (inf once it overflows)
    """
    fn = "descend_quadratic"
    w = _real(fn, "w0", w0)
    lr = _real(fn, "lr", lr, positive=True)
    steps = _steps(fn, steps)
    path = [w]
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging walk may overflow
        for _ in range(steps):
            w = float(w - lr * quadratic_gradient(w))
            if not np.isfinite(w):
                w = np.inf  # inf - inf would be NaN: once overflowed, stay at inf
            path.append(w)
    return np.array(path)


def draw_quadratic_path(ws, ax: Axes | None = None, title: str | None = None,
                        color: str = CURVE_COLORS[0]) -> Axes:
    """Draw L(w) = (w - 3)^2 and the steps w_0 -> w_1 -> ... on it.

    Steps that leave the view (-2 <= w <= 8) are cut off and a note says so.

    Parameters
    ----------
    ws : array_like (T,), the visited points, e.g. from :func:`descend_quadratic`
    ax : Axes, optional (a new 4 x 3 inch figure when None)
    title : str, optional
    color : the colour of the path: the colour of the same run's curve in :func:`draw_loss_curves`
        (``CURVE_COLORS[k]`` for its k-th run), so that the figures read together

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "draw_quadratic_path"
    ws = np.asarray(ws, dtype=np.float64)
    if ws.ndim != 1 or ws.size == 0:
        raise ValueError(f"{fn}: ws must be a non-empty 1-D sequence of points; got shape {ws.shape}")
    ax = axes_or_new(fn, ax, (4, 3))
    grid = np.linspace(*_VIEW, 200)
    ax.plot(grid, quadratic_loss(grid), color="#222222", linewidth=1.2)
    inside = np.isfinite(ws) & (ws >= _VIEW[0]) & (ws <= _VIEW[1])
    shown = ws[: int(np.argmin(inside))] if not inside.all() else ws
    with np.errstate(over="ignore"):
        losses = quadratic_loss(shown)
    ax.plot(shown, losses, color=color, linewidth=0.9, marker="o", markersize=3.5, alpha=0.9)
    if len(shown):
        ax.plot(shown[0], losses[0], marker="o", markersize=6, color=_START_COLOR)
        ax.annotate("$w_0$", (shown[0], losses[0]), xytext=(-12, 4), textcoords="offset points",
                    ha="right", fontsize=9, color=_START_COLOR)
    ax.axvline(MINIMUM, color="#888888", linewidth=0.8, linestyle=":")
    if len(shown) < len(ws):
        ax.text(0.5, 0.93, f"left the view after {len(shown) - 1} steps", transform=ax.transAxes,
                ha="center", fontsize=8, color=_NOTE_COLOR)
    ax.set_xlim(*_VIEW)
    ax.set_ylim(-1.0, 27.0)
    ax.set_xlabel("w")
    ax.set_ylabel("L(w) = (w − 3)²")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def draw_loss_curves(curves: Mapping[str, object], ax: Axes | None = None, title: str | None = None,
                     log: bool = True, xlabel: str = "steps done") -> Axes:
    """Draw the loss against the number of steps for one or several runs, on a log scale by default.

    Parameters
    ----------
    curves : mapping label -> array_like (T,), the loss after 0, 1, ..., T - 1 steps; run k is drawn
        in ``CURVE_COLORS[k]``
    ax : Axes, optional (a new 4 x 3 inch figure when None)
    title : str, optional;  log : bool, log-scaled loss axis
    xlabel : the x-axis label ("epochs done" where each step is an epoch over a training set)

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "draw_loss_curves"
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{fn}: curves must be a non-empty dict label -> losses; got {curves!r:.60}")
    ax = axes_or_new(fn, ax, (4, 3))
    for i, (label, losses) in enumerate(curves.items()):
        losses = np.asarray(losses, dtype=np.float64)
        if losses.ndim != 1:
            raise ValueError(f"{fn}: curves[{label!r}] must be 1-D; got shape {losses.shape}")
        # A log axis cannot show 0; a reached minimum is drawn at the smallest float instead.
        shown = np.maximum(losses, np.finfo(np.float64).tiny) if log else losses
        ax.plot(np.arange(len(losses)), shown, color=CURVE_COLORS[i % len(CURVE_COLORS)], linewidth=1.2,
                marker="o" if len(losses) <= 30 else None, markersize=2.5, label=str(label))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.legend(fontsize="x-small", frameon=False)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax


def _describe(ws: np.ndarray, lr: float) -> str:
    """One HTML line on what this learning rate does, with the numbers."""
    factor = 1 - 2 * lr
    last = ws[-1]
    if abs(factor) < 1:
        verdict = "converges" + (", jumping across the minimum each step" if factor < 0 else "")
    elif factor == -1:
        verdict = "bounces between two points forever"
    else:
        verdict = "diverges"
    state = (f"w = {last:.4f}, L = {float(quadratic_loss(last)):.3g}" if np.isfinite(last) and abs(last) < 1e6
             else f"|w − 3| = {abs(last - MINIMUM):.3g}")
    return (f"η = {lr:.3g}: each step multiplies w − 3 by 1 − 2η = {factor:.3g}, "
            f"so the walk <b>{verdict}</b>.<br>After {len(ws) - 1} steps: {state}")


def learning_rate_explorer(w0: float = 0.0, lr: float = 0.1, steps: int = 20):
    """Sliders for the learning rate (log scale) and the steps; redraws the path and the loss curve.

    Returns
    -------
    ipywidgets.VBox
        Its ``children`` are the slider row, a readout (HTML) and the ``Output``
        holding the figure.
    """
    import ipywidgets as widgets  # only needed for the live widget

    fn = "learning_rate_explorer"
    w0 = _real(fn, "w0", w0)
    lr = _real(fn, "lr", lr, positive=True)
    steps = _steps(fn, steps)
    lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=np.log10(1.5), step=0.05,
                                       description="η", readout_format=".3f", continuous_update=False,
                                       layout=widgets.Layout(width="320px"))
    steps_slider = widgets.IntSlider(value=steps, min=1, max=60, description="steps",
                                      continuous_update=False, layout=widgets.Layout(width="320px"))
    readout = widgets.HTML()
    out = widgets.Output()

    def redraw(_change=None):
        ws = descend_quadratic(w0, lr_slider.value, steps_slider.value)
        with np.errstate(over="ignore"):
            losses = quadratic_loss(ws)
        fig = Figure(figsize=(8, 3), layout="constrained")
        path_ax, loss_ax = fig.subplots(1, 2)
        draw_quadratic_path(ws, ax=path_ax, title=f"path on L(w), η = {lr_slider.value:.3g}")
        draw_loss_curves({f"η = {lr_slider.value:.3g}": losses}, ax=loss_ax, title="loss per step")
        show_figure(out, fig)
        readout.value = _describe(ws, lr_slider.value)

    lr_slider.observe(redraw, names="value")
    steps_slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([lr_slider, steps_slider]), readout, out])
