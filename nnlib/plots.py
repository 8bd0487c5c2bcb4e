"""Pictures for the lessons: decision regions, training curves, digits, gradients.

All functions share one small style so that figures look alike across lessons:

- Functions that draw on a single Axes take ``ax=None``. With ``None`` they
  create a small figure of their own; pass an Axes to draw into a subplot you
  made yourself. They return the Axes they drew on.
- Functions that need several Axes (``plot_history``, ``plot_digits``) return
  the Figure.
- Class ``k`` is always drawn in ``CLASS_COLORS[k]``.
- Nothing is shown or saved here: Jupyter displays the returned figure, and a
  script can call ``fig.savefig(...)`` itself.

Examples
--------
>>> import numpy as np
>>> from nnlib.data import make_moons
>>> X, y = make_moons(200, noise=0.1, rng=np.random.default_rng(0))
>>> ax = plot_decision_regions(lambda P: (P[:, 1] < 0.25).astype(int), X, y)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

__all__ = [
    "CLASS_COLORS",
    "plot_decision_regions",
    "plot_digits",
    "plot_gradient_norms",
    "plot_history",
    "plot_loss_surface",
]

# One colour per class id, matplotlib's "tab10" palette. A tuple so that no
# lesson can change it by accident and make later figures disagree.
CLASS_COLORS = (
    "#1f77b4",  # 0 blue
    "#ff7f0e",  # 1 orange
    "#2ca02c",  # 2 green
    "#d62728",  # 3 red
    "#9467bd",  # 4 purple
    "#8c564b",  # 5 brown
    "#e377c2",  # 6 pink
    "#7f7f7f",  # 7 grey
    "#bcbd22",  # 8 olive
    "#17becf",  # 9 cyan
)

# Colours with a fixed meaning that is not a class.
_LOSS_COLOR = "#222222"
_WRONG_COLOR = "#d62728"
_RIGHT_COLOR = "#222222"

_FIGSIZE = (4.0, 3.2)  # inches; small enough for two figures side by side in a notebook
_REGION_ALPHA = 0.25  # light backgrounds so the data points stay readable
_GRID_PADDING = 0.1  # the decision-region grid extends 10% beyond the data on each side


# --------------------------------------------------------------------------- #
# Argument checks, with messages that name the function, the rule and the value.
# --------------------------------------------------------------------------- #


def axes_or_new(fn: str, ax, figsize: tuple[float, float] = _FIGSIZE) -> Axes:
    """Return ``ax``, or a fresh Axes on a new figure of ``figsize`` when ``ax`` is None.

    Shared by every drawing function of the course (plots, widgets, course map).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(
            f"{fn}: ax must be a matplotlib Axes or None; got {type(ax).__name__} {ax!r}"
        )
    return ax


def _as_float_array(fn: str, name: str, value) -> np.ndarray:
    """Return ``value`` as a float64 array; TypeError if it does not hold real numbers."""
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{fn}: {name} must be a rectangular array of numbers; {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must hold real numbers; got dtype={arr.dtype}")
    return arr.astype(np.float64)


def _as_class_ids(fn: str, name: str, value, n: int) -> np.ndarray:
    """Return ``value`` as an int64 array of shape (n,) with ids in [0, len(CLASS_COLORS))."""
    arr = np.asarray(value)
    if arr.dtype.kind == "b":  # e.g. predict returning (p > 0.5): False/True are classes 0/1
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{fn}: {name} must hold integer class ids; got dtype={arr.dtype}. "
            "Use .argmax(axis=1) for class scores or (p > 0.5).astype(int) for probabilities"
        )
    if arr.shape != (n,):
        raise ValueError(f"{fn}: {name} must have shape ({n},); got {name}.shape={arr.shape}")
    if n and (arr.min() < 0 or arr.max() >= len(CLASS_COLORS)):
        bad = int(np.flatnonzero((arr < 0) | (arr >= len(CLASS_COLORS)))[0])
        raise ValueError(
            f"{fn}: {name} must be class ids in [0, {len(CLASS_COLORS)}); "
            f"got {name}[{bad}]={int(arr[bad])}"
        )
    return arr.astype(np.int64)


def _check_int(fn: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}; got {name}={value}")
    return int(value)


# --------------------------------------------------------------------------- #
# Plots
# --------------------------------------------------------------------------- #


def plot_decision_regions(
    predict: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax: Axes | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Axes:
    """Colour the plane by the class a model predicts, and show the data on top.

    The model is asked for a class at every point of a ``resolution`` x
    ``resolution`` grid that covers the data plus a 10% margin; each region is
    filled with the light version of its class colour. The examples are then
    drawn as points in the full class colour, so misclassified points stand
    out as dots on a background of another colour.

    Parameters
    ----------
    predict : callable
        Maps an array of shape (M, 2) float64 to class ids of shape (M,)
        (integers, or booleans for 0/1). Called once with all M =
        ``resolution ** 2`` grid points, e.g.
        ``lambda P: net.forward(P).argmax(axis=1)``.
    X : array_like, shape (N, 2)
        The examples, two features each.
    y : array_like of int, shape (N,)
        Their true class ids, 0 to 9.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 4 x 3.2 inch figure when None.
    resolution : int, default 200
        Grid points per axis, resolution >= 2. Lower it for a slow model.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``predict`` is not callable, ``X`` does not hold numbers, ``y`` or
        the predictions are not integer ids, or ``ax`` is not an Axes.
    ValueError
        If ``X`` is not (N, 2) with N >= 1 finite rows, ``y`` has the wrong
        length, a class id is outside [0, 10), ``resolution < 2``, or
        ``predict`` returns the wrong shape.
    """
    fn = "plot_decision_regions"
    if not callable(predict):
        raise TypeError(f"{fn}: predict must be callable; got {type(predict).__name__}")
    X = _as_float_array(fn, "X", X)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] < 1:
        raise ValueError(
            f"{fn}: X must have shape (N, 2) with N >= 1, two features per example; "
            f"got X.shape={X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{fn}: X must be finite; got {int(np.sum(~np.isfinite(X)))} NaN/inf")
    y = _as_class_ids(fn, "y", y, len(X))
    resolution = _check_int(fn, "resolution", resolution, minimum=2)
    ax = axes_or_new(fn, ax)

    low, high = X.min(axis=0), X.max(axis=0)
    # A single point (zero span) still gets a visible square around it.
    pad = np.where(high > low, _GRID_PADDING * (high - low), 1.0)
    grid_x1, grid_x2 = np.meshgrid(
        np.linspace(low[0] - pad[0], high[0] + pad[0], resolution),
        np.linspace(low[1] - pad[1], high[1] + pad[1], resolution),
    )
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    regions = _as_class_ids(fn, "predict(grid)", predict(grid), len(grid))

    n_classes = int(max(y.max(), regions.max())) + 1
    # Levels halfway between the integer ids give exactly one colour band per class.
    ax.contourf(
        grid_x1,
        grid_x2,
        regions.reshape(grid_x1.shape),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=ListedColormap(CLASS_COLORS[:n_classes]),
        alpha=_REGION_ALPHA,
    )
    # Big dots for a handful of points (XOR), small ones so that hundreds do not merge.
    dot_size = 40 if len(X) <= 50 else 16
    for k in np.unique(y):
        in_class = y == k
        ax.scatter(
            X[in_class, 0],
            X[in_class, 1],
            s=dot_size,
            color=CLASS_COLORS[k],
            edgecolors="white",
            linewidths=0.5,
            label=f"class {k}",
        )
    ax.set_xlim(grid_x1[0, 0], grid_x1[0, -1])
    ax.set_ylim(grid_x2[0, 0], grid_x2[-1, 0])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize="x-small", framealpha=0.8)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_history(
    history: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    log_loss: bool = False,
    title: str | None = None,
) -> Figure:
    """Plot training curves: loss on the left axis, accuracies on the right.

    Keys ending in ``"loss"`` (``"loss"``, ``"test_loss"``, ...) are drawn
    against the left y-axis; keys ending in ``"accuracy"`` against a second
    y-axis on the right that always spans [0, 1]. Other keys (a learning rate,
    say) are ignored, and not checked. The x-axis is the epoch, 1 to E.

    Parameters
    ----------
    history : mapping of str to sequence of float
        Equal-length sequences of per-epoch values, e.g.
        ``{"loss": [...], "train_accuracy": [...], "test_accuracy": [...]}``.
        At least one key must end in "loss" or "accuracy". NaN and inf
        (a diverged run) are allowed and leave gaps in the curve.
    ax : matplotlib.axes.Axes, optional
        Where to draw the loss; a new 4 x 3.2 inch figure when None.
    log_loss : bool, default False
        Use a log scale for the loss axis, which shows slow late progress
        better. Every finite loss must then be > 0.
    title : str, optional
        A title above the legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the loss Axes and its twin accuracy Axes.

    Raises
    ------
    TypeError
        If ``history`` is not a mapping, a value does not hold numbers, or
        ``ax`` is not an Axes.
    ValueError
        If nothing can be plotted, the sequences are empty or differ in length,
        an accuracy is outside [0, 1], or ``log_loss`` meets a loss <= 0.
    """
    fn = "plot_history"
    if not isinstance(history, Mapping):
        raise TypeError(
            f"{fn}: history must be a dict of per-epoch lists; got {type(history).__name__}"
        )
    loss_keys = [key for key in history if str(key).endswith("loss")]
    accuracy_keys = [key for key in history if str(key).endswith("accuracy")]
    if not loss_keys and not accuracy_keys:
        raise ValueError(
            f"{fn}: history needs a key ending in 'loss' or 'accuracy'; "
            f"got keys {sorted(map(str, history))}"
        )
    curves = {
        key: _as_float_array(fn, f"history[{key!r}]", history[key])
        for key in loss_keys + accuracy_keys
    }
    lengths = {key: curve.shape for key, curve in curves.items()}
    if any(len(shape) != 1 for shape in lengths.values()) or len(set(lengths.values())) != 1:
        raise ValueError(
            f"{fn}: history values must be 1-D sequences of the same length; got shapes {lengths}"
        )
    n_epochs = len(next(iter(curves.values())))
    if n_epochs == 0:
        raise ValueError(f"{fn}: history must hold at least 1 epoch; got empty sequences")
    for key in accuracy_keys:
        values = curves[key][np.isfinite(curves[key])]
        if np.any((values < 0) | (values > 1)):
            raise ValueError(
                f"{fn}: accuracies must be fractions in [0, 1]; got history[{key!r}] with "
                f"min={values.min():g}, max={values.max():g} (divide percentages by 100)"
            )
    if log_loss:
        for key in loss_keys:
            values = curves[key][np.isfinite(curves[key])]
            if np.any(values <= 0):
                raise ValueError(
                    f"{fn}: log_loss=True needs losses > 0; got history[{key!r}] with "
                    f"min={values.min():g}"
                )
    loss_ax = axes_or_new(fn, ax)

    epochs = np.arange(1, n_epochs + 1)
    # Markers make a short run (even a single epoch) visible; on long runs they clutter.
    marker = "o" if n_epochs <= 30 else None
    # Loss curves are dark, and dashed after the first, so they never look like an accuracy.
    for i, key in enumerate(loss_keys):
        loss_ax.plot(
            epochs,
            curves[key],
            color=_LOSS_COLOR,
            linestyle="-" if i == 0 else "--",
            marker=marker,
            markersize=3,
            label=key,
        )
    loss_ax.set_xlabel("epoch")
    loss_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if loss_keys:
        loss_ax.set_ylabel("loss")
        if log_loss:
            loss_ax.set_yscale("log")

    # Accuracies share the epoch axis but need their own [0, 1] scale.
    acc_ax = loss_ax.twinx() if loss_keys else loss_ax
    for i, key in enumerate(accuracy_keys):
        acc_ax.plot(
            epochs,
            curves[key],
            color=CLASS_COLORS[i % len(CLASS_COLORS)],
            marker=marker,
            markersize=3,
            label=key,
        )
    if accuracy_keys:
        # A little room above 1: an accuracy of 1.0 would otherwise hide under the top spine.
        acc_ax.set_ylim(0.0, 1.05)
        acc_ax.set_yticks(np.linspace(0.0, 1.0, 6))
        acc_ax.set_ylabel("accuracy")

    # One legend for both axes, above the plot where it can never hide a curve.
    handles, names = loss_ax.get_legend_handles_labels()
    if acc_ax is not loss_ax:
        more_handles, more_names = acc_ax.get_legend_handles_labels()
        handles, names = handles + more_handles, names + more_names
    acc_ax.legend(
        handles,
        names,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=2,
        fontsize="x-small",
        frameon=False,
    )
    if title is not None:
        loss_ax.set_title(title, fontsize=10, pad=18)  # above the legend
    return loss_ax.figure


def plot_digits(
    images,
    labels,
    predicted=None,
    ncols: int = 8,
    title: str | None = None,
) -> Figure:
    """Show digit images in a grid, each titled with its label (and prediction).

    Without ``predicted`` each image is titled with its label, e.g. ``"7"``.
    With ``predicted`` the title reads ``"pred 3 / true 8"``, in red when the
    prediction is wrong, so the mistakes of a classifier are easy to spot.

    Parameters
    ----------
    images : array_like, shape (N, 64) or (N, 8, 8)
        N >= 1 images, flattened or not, e.g. rows of ``load_digits()[0]``.
        All images share one grey scale, from the smallest to the largest
        pixel value (white to black), so unscaled [0, 16] and scaled [0, 1]
        pixels look the same. Pass a slice such as ``X[:32]``: one small Axes
        is made per image.
    labels : array_like of int, shape (N,)
        True digit of each image.
    predicted : array_like of int, shape (N,), optional
        Predicted digit of each image.
    ncols : int, default 8
        Images per row of the grid, ncols >= 1.
    title : str, optional
        Title above the whole grid.

    Returns
    -------
    matplotlib.figure.Figure
        A figure with exactly N Axes, one image each.

    Raises
    ------
    TypeError
        If ``images`` does not hold numbers or the labels are not integers.
    ValueError
        If there are no images, the images are not 8x8, the label counts do
        not match, or ``ncols < 1``.
    """
    fn = "plot_digits"
    images = _as_float_array(fn, "images", images)
    if images.ndim == 0 or len(images) == 0:
        raise ValueError(f"{fn}: need at least 1 image to plot; got images.shape={images.shape}")
    if images.shape[1:] not in ((64,), (8, 8)):
        raise ValueError(
            f"{fn}: images must have shape (N, 64) or (N, 8, 8); got images.shape={images.shape}"
        )
    n_images = len(images)
    labels = _as_class_ids(fn, "labels", labels, n_images)
    if predicted is not None:
        predicted = _as_class_ids(fn, "predicted", predicted, n_images)
    ncols = _check_int(fn, "ncols", ncols, minimum=1)

    images = images.reshape(n_images, 8, 8)
    low, high = float(images.min()), float(images.max())
    if high == low:  # a blank image: any non-empty range will do
        high = low + 1.0

    ncols = min(ncols, n_images)
    nrows = math.ceil(n_images / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(1.0 * ncols, 1.15 * nrows + (0.3 if title else 0.0)),
        squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        if i >= n_images:
            # Remove the unused cells of the last row: the figure has exactly N Axes.
            ax.remove()
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=low, vmax=high)
        ax.set_xticks([])
        ax.set_yticks([])
        if predicted is None:
            ax.set_title(str(labels[i]), fontsize="small")
        else:
            wrong = predicted[i] != labels[i]
            ax.set_title(
                f"pred {predicted[i]} / true {labels[i]}",
                fontsize="x-small",
                color=_WRONG_COLOR if wrong else _RIGHT_COLOR,
                fontweight="bold" if wrong else "normal",
            )
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_gradient_norms(
    norms: Sequence[float] | Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    log: bool = True,
    title: str | None = None,
) -> Axes:
    """Bar chart of the gradient norm of each layer, from the input side.

    Vanishing gradients show up as bars that shrink towards the first layers,
    by orders of magnitude, hence the log scale by default. Pass a dict to
    compare networks side by side with grouped bars, e.g.
    ``{"sigmoid": sigmoid_norms, "relu": relu_norms}``.

    Parameters
    ----------
    norms : sequence of float, shape (L,), or mapping of str to such sequences
        Gradient norm of layers 1 to L, each >= 0. In a mapping every network
        must have the same L; its keys name the networks in the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 4 x 3.2 inch figure when None.
    labels : sequence of str, shape (L,), optional
        Names of the layers under the bars; "1" to "L" when None.
    log : bool, default True
        Use a log scale for the y-axis. Zero-height bars are then not drawn,
        and at least one norm must be > 0.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, holding L bars (L x G for G networks).

    Raises
    ------
    TypeError
        If a norm is not a number or ``ax`` is not an Axes.
    ValueError
        If there are no layers or no networks, the networks differ in depth,
        a norm is negative or not finite, ``labels`` has the wrong length, or
        ``log`` is True and every norm is 0.
    """
    fn = "plot_gradient_norms"
    groups = dict(norms) if isinstance(norms, Mapping) else {None: norms}
    if not groups:
        raise ValueError(f"{fn}: norms must name at least 1 network; got an empty dict")
    bars = {name: _as_float_array(fn, _norms_name(name), values) for name, values in groups.items()}
    for name, values in bars.items():
        if values.ndim != 1 or len(values) == 0:
            raise ValueError(
                f"{fn}: {_norms_name(name)} must be a 1-D sequence with one norm per layer; "
                f"got shape {values.shape}"
            )
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(
                f"{fn}: gradient norms must be finite and >= 0; "
                f"got {_norms_name(name)}={values.tolist()}"
            )
    depths = {str(name): len(values) for name, values in bars.items()}
    if len(set(depths.values())) != 1:
        raise ValueError(f"{fn}: every network must have the same number of layers; got {depths}")
    if log and not any(np.any(values > 0) for values in bars.values()):
        raise ValueError(f"{fn}: log=True needs at least one norm > 0; got all zeros")
    n_layers = len(next(iter(bars.values())))
    if labels is None:
        labels = [str(layer) for layer in range(1, n_layers + 1)]
    elif isinstance(labels, str) or len(labels) != n_layers:
        raise ValueError(
            f"{fn}: labels must be a sequence of {n_layers} layer names; got labels={labels!r}"
        )
    ax = axes_or_new(fn, ax)

    positions = np.arange(1, n_layers + 1)
    # The G bars of one layer share a slot of width 0.8 centred on the layer number.
    width = 0.8 / len(bars)
    for g, (name, values) in enumerate(bars.items()):
        offset = (g - (len(bars) - 1) / 2) * width
        ax.bar(
            positions + offset,
            values,
            width=width,
            color=CLASS_COLORS[g % len(CLASS_COLORS)],
            label=name,
        )
    ax.set_xticks(positions, [str(label) for label in labels])
    ax.set_xlabel("layer")
    ax.set_ylabel("gradient norm")
    if log:
        ax.set_yscale("log")
        # Start the axis a clear step below the shortest bar: with an automatic bottom just under
        # it, a bar of 0.095 on an axis from 0.09 looks like no gradient at all.
        smallest = min(float(values[values > 0].min()) for values in bars.values() if np.any(values > 0))
        bottom = 10.0 ** np.floor(np.log10(smallest))
        if smallest < 2 * bottom:
            bottom /= 10
        ax.set_ylim(bottom, ax.get_ylim()[1])
        ax.yaxis.set_minor_formatter(NullFormatter())  # decades only: minor labels crowd a short axis
    if isinstance(norms, Mapping):
        # Raise the top of the y-axis by a quarter of its range (in decades on a
        # log axis) so that a one-row legend fits above the tallest bar.
        bottom, top = ax.get_ylim()
        top = top * (top / bottom) ** 0.25 if log else top + 0.25 * (top - bottom)
        ax.set_ylim(bottom, top)
        ax.legend(loc="upper left", ncols=len(bars), fontsize="x-small", framealpha=0.8)
    if title is not None:
        ax.set_title(title)
    return ax


def _norms_name(name: str | None) -> str:
    """How to refer to one group of norms in an error message."""
    return "norms" if name is None else f"norms[{name!r}]"


def plot_loss_surface(
    ws,
    losses,
    ax: Axes | None = None,
    current: tuple[float, float] | None = None,
    xlabel: str = "w",
    ylabel: str = "loss",
) -> Axes:
    """Plot the loss as a function of one weight, optionally marking where we are.

    A one-dimensional slice of the loss surface: every other parameter is
    held fixed while one weight sweeps through ``ws``. Marking ``current``
    shows where gradient descent stands and which way is downhill.

    Parameters
    ----------
    ws : array_like, shape (M,)
        Values of the weight, M >= 2, usually ``np.linspace(...)``.
    losses : array_like, shape (M,)
        Loss at each of those values.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 4 x 3.2 inch figure when None.
    current : (float, float), optional
        A point ``(w, loss)`` to mark with a red dot, e.g. the current weight.
    xlabel, ylabel : str, default "w" and "loss"
        Axis labels, e.g. ``xlabel="$w_1$"``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``ws``, ``losses`` or ``current`` does not hold numbers, or ``ax``
        is not an Axes.
    ValueError
        If ``ws`` and ``losses`` are not 1-D of the same length M >= 2, or
        ``current`` is not a pair of finite numbers.
    """
    fn = "plot_loss_surface"
    ws = _as_float_array(fn, "ws", ws)
    losses = _as_float_array(fn, "losses", losses)
    if ws.ndim != 1 or ws.shape != losses.shape or len(ws) < 2:
        raise ValueError(
            f"{fn}: ws and losses must be 1-D with the same length M >= 2; "
            f"got ws.shape={ws.shape}, losses.shape={losses.shape}"
        )
    if current is not None:
        point = _as_float_array(fn, "current", current)
        if point.shape != (2,) or not np.all(np.isfinite(point)):
            raise ValueError(
                f"{fn}: current must be a pair (w, loss) of finite numbers; got current={current!r}"
            )
    ax = axes_or_new(fn, ax)

    ax.plot(ws, losses, color=CLASS_COLORS[0], linewidth=2)
    if current is not None:
        # zorder above the curve, so the dot is never hidden by the line.
        ax.plot(
            point[0],
            point[1],
            "o",
            color=_WRONG_COLOR,
            markersize=7,
            zorder=3,
            label=f"current ({point[0]:.3g}, {point[1]:.3g})",
        )
        ax.legend(fontsize="x-small", framealpha=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
