"""Loss explorer (lesson 04): fit a line with one weight and watch the loss curve.

The model is :math:`\\hat y_n = w x_n + b` with b fixed, the loss the mean
squared error over the N points. :func:`plot_fit_and_loss` draws the static
figure (the data with the line and its errors on the left, the loss as a
function of w on the right, with the current w marked); :func:`loss_explorer`
returns the widget, a slider for w that redraws it.

Examples
--------
>>> import numpy as np
>>> from nnlib.widgets.loss_explorer import loss_explorer, plot_fit_and_loss
>>> x = np.linspace(-1, 1, 8); y = 2 * x
>>> axes = plot_fit_and_loss(x, y, w=0.5)      # static figure
>>> box = loss_explorer(x, y)                   # in a notebook: leave it last in the cell
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np

from nnlib.losses import mse_loss
from nnlib.plots import plot_loss_surface
from nnlib.widgets import show_figure

__all__ = ["loss_curve", "loss_explorer", "plot_fit_and_loss"]

_W_RANGE = (-1.0, 4.0)
_DATA_COLOR = "#1f77b4"
_LINE_COLOR = "#d62728"
_ERROR_COLOR = "#7f7f7f"


def _check_data(fn: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 1:
        raise ValueError(f"{fn}: x and y must be 1-D with the same length N >= 1; "
                         f"got x.shape={x.shape}, y.shape={y.shape}")
    return x, y


def _check_range(fn: str, w_range) -> tuple[float, float]:
    low, high = (float(v) for v in w_range)
    if not low < high:
        raise ValueError(f"{fn}: w_range must be (low, high) with low < high; got {w_range!r}")
    return low, high


def loss_curve(x, y, b: float = 0.0, w_range=_W_RANGE, loss_fn: Callable = mse_loss, num: int = 201):
    """The loss of the model w·x + b at ``num`` values of w, every other number held fixed.

    Parameters
    ----------
    x, y : array_like, (N,) inputs and targets
    b : float, the fixed bias
    w_range : (low, high), the weights to sweep
    loss_fn : callable (y_pred, y) -> float, e.g. your ``mse_loss``
    num : int, how many weights

    Returns
    -------
    ws, losses : ndarrays (num,)
    """
    x, y = _check_data("loss_curve", x, y)
    ws = np.linspace(*_check_range("loss_curve", w_range), num)
    losses = np.array([loss_fn(w * x + b, y) for w in ws])
    return ws, losses


def plot_fit_and_loss(x, y, w: float, b: float = 0.0, axes=None, w_range=_W_RANGE,
                       loss_fn: Callable = mse_loss):
    """Draw the fit of w·x + b to the data (left) and the loss as a function of w (right).

    The vertical grey segments on the left are the errors :math:`\\hat y_n - y_n`;
    the loss is the mean of their squares, marked at the current w on the right.

    Parameters
    ----------
    x, y : array_like, (N,) inputs and targets
    w : float, the current weight
    b : float, the fixed bias
    axes : pair of matplotlib Axes, optional; a new 8 x 3 inch figure when None
    w_range : (low, high), the sweep of the loss curve
    loss_fn : callable (y_pred, y) -> float

    Returns
    -------
    (Axes, Axes)
    """
    x, y = _check_data("plot_fit_and_loss", x, y)
    w, b = float(w), float(b)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    ax_fit, ax_loss = axes
    y_pred = w * x + b
    loss = float(loss_fn(y_pred, y))

    ax_fit.vlines(x, y, y_pred, color=_ERROR_COLOR, linewidth=1, label="errors $\\hat y - y$")
    ax_fit.scatter(x, y, s=22, color=_DATA_COLOR, zorder=3, label="data $(x, y)$")
    grid = np.linspace(x.min(), x.max(), 2)
    line = f"$\\hat y = {w:.2f}\\,x{b:+.2f}$" if b else f"$\\hat y = {w:.2f}\\,x$"
    ax_fit.plot(grid, w * grid + b, color=_LINE_COLOR, linewidth=2, label=line)
    ax_fit.set_xlabel("x")
    ax_fit.set_ylabel("y")
    ax_fit.legend(fontsize="x-small", loc="upper left", framealpha=0.8)
    ax_fit.set_title(f"MSE = {loss:.3f}", fontsize="medium")

    ws, losses = loss_curve(x, y, b, w_range, loss_fn)
    plot_loss_surface(ws, losses, ax=ax_loss, current=(w, loss), xlabel="w", ylabel="MSE loss")
    ax_loss.set_title("loss as a function of w", fontsize="medium")
    return ax_fit, ax_loss


def loss_explorer(x, y, b: float = 0.0, w0: float = 0.0, w_range=_W_RANGE, loss_fn: Callable = mse_loss):
    """Widget: slide w and watch the line, its errors and the point on the loss curve move.

    Parameters
    ----------
    x, y : array_like, (N,) inputs and targets
    b : float, the fixed bias
    w0 : float, the first value of the slider (inside ``w_range``)
    w_range : (low, high), the slider's range and the loss curve's sweep
    loss_fn : callable (y_pred, y) -> float, e.g. your ``mse_loss``

    Returns
    -------
    ipywidgets.VBox
        Children: the slider, a readout line, and the Output that holds the figure.
    """
    import ipywidgets as widgets  # imported here: nnlib itself does not need a widget frontend

    x, y = _check_data("loss_explorer", x, y)
    low, high = _check_range("loss_explorer", w_range)
    if not low <= w0 <= high:
        raise ValueError(f"loss_explorer: w0 must lie in w_range {w_range!r}; got w0={w0!r}")
    slider = widgets.FloatSlider(value=float(w0), min=low, max=high, step=0.05, description="w",
                                 continuous_update=True, readout_format=".2f")
    readout = widgets.HTML()
    out = widgets.Output()

    def redraw(_change=None):
        loss = float(loss_fn(slider.value * x + b, y))
        readout.value = f"<code>w = {slider.value:.2f}</code>: <code>MSE = {loss:.4f}</code>"
        fig, axes = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
        plot_fit_and_loss(x, y, slider.value, b, axes, (low, high), loss_fn)
        show_figure(out, fig)

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, readout, out])
