"""A live training plot: loss and accuracy curves redrawn in place while ``train`` runs (lesson 10).

Pass :meth:`LivePlot.update` as the callback of :func:`nnlib.training.train`::

    live = LivePlot(epochs=40, test=(X_test, y_test))
    params, history = train(params, X_train, y_train, epochs=40, lr=0.5, batch_size=32,
                            rng=rng, callback=live.update)

After every epoch it records the training loss and accuracy from ``history`` and,
given a test set, the test loss and accuracy of the current parameters; then it
redraws one figure *in place* (an IPython display handle), so the notebook shows
a single picture that grows epoch by epoch instead of a new one per epoch. The
saved notebook keeps only the final picture. :func:`draw_training_curves` is the
drawing function, also used for static figures.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nnlib.losses import softmax_cross_entropy
from nnlib.mlp import mlp_forward
from nnlib.training import accuracy

__all__ = ["LivePlot", "draw_training_curves"]

_COLORS = {"train": "#1f77b4", "test": "#ff7f0e"}  # the class colours 0 and 1 of nnlib.plots
_OTHER_COLOR = "#2ca02c"


def _count(fn: str, name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{fn}: {name} must be an int >= {minimum}; got {name}={value!r}")
    return int(value)


def _style(name: str) -> dict:
    """Train curves solid blue, test curves dashed orange, anything else green."""
    split = name.split()[0] if name.split() else ""
    color = _COLORS.get(split, _OTHER_COLOR)
    return {"color": color, "linestyle": "--" if split == "test" else "-", "label": split or name}


def _curve_values(fn: str, curves) -> dict[str, np.ndarray]:
    if not isinstance(curves, Mapping):
        raise TypeError(f"{fn}: curves must be a dict name -> list of values; got {type(curves).__name__}")
    values = {}
    for name, curve in curves.items():
        array = np.asarray(curve, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f"{fn}: curves[{name!r}] must be 1-D, one value per epoch; "
                             f"got shape {array.shape}")
        if str(name).endswith("accuracy") and np.any((array < 0) | (array > 1)):
            raise ValueError(f"{fn}: curves[{name!r}] must hold fractions in [0, 1]; "
                             f"got min {array.min():g}, max {array.max():g}")
        values[str(name)] = array
    return values


def _set_y_limits(loss_ax: Axes, accuracy_ax: Axes, values: dict[str, np.ndarray]) -> None:
    losses = [v[np.isfinite(v)] for name, v in values.items() if name.endswith("loss") and len(v)]
    top = max((float(v.max()) for v in losses if len(v)), default=1.0)
    loss_ax.set_ylim(0.0, 1.05 * top if top > 0 else 1.0)
    accuracies = [v for name, v in values.items() if name.endswith("accuracy") and len(v)]
    # Zoom in on the range the accuracies cover: 0.90 and 0.97 must look different.
    low = min((float(v.min()) for v in accuracies), default=0.0)
    bottom = max(0.0, np.floor(low * 20) / 20 - 0.02)
    # Room above 1.0, so that a perfect accuracy does not hide under the top spine.
    accuracy_ax.set_ylim(bottom, 1.0 + max(0.02, 0.05 * (1.0 - bottom)))


def draw_training_curves(curves: Mapping[str, object], loss_ax: Axes, accuracy_ax: Axes,
                         epochs: int | None = None) -> dict:
    """Draw loss curves on ``loss_ax`` and accuracy curves on ``accuracy_ax``, against the epoch.

    Parameters
    ----------
    curves : mapping name -> sequence of floats, one value per epoch from epoch 1, e.g.
        ``{"train loss": [...], "test loss": [...], "train accuracy": [...], "test accuracy": [...]}``.
        Names ending in "loss" go to ``loss_ax``, names ending in "accuracy" (fractions in
        [0, 1]) to ``accuracy_ax``; "train ..." is drawn solid blue, "test ..." dashed orange.
    loss_ax, accuracy_ax : matplotlib Axes; they are cleared first
    epochs : int, optional; the x-axis spans epochs 1 to ``epochs`` (so a curve that is still
        growing does not rescale the axis); by default the longest curve

    Returns
    -------
    dict name -> matplotlib Line2D, the line drawn for each non-empty curve

    Raises
    ------
    TypeError
        If an axis is not a matplotlib Axes or ``curves`` is not a mapping.
    ValueError
        If a curve is not 1-D, or an accuracy is outside [0, 1].
    """
    fn = "draw_training_curves"
    for name, ax in (("loss_ax", loss_ax), ("accuracy_ax", accuracy_ax)):
        if not isinstance(ax, Axes):
            raise TypeError(f"{fn}: {name} must be a matplotlib Axes; got {type(ax).__name__}")
    values = _curve_values(fn, curves)
    longest = max((len(v) for v in values.values()), default=0)
    epochs = longest if epochs is None else _count(fn, "epochs", epochs)

    lines = {}
    for ax, kind in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        ax.clear()
        drawn = [(name, v) for name, v in values.items() if name.endswith(kind) and len(v)]
        for name, v in drawn:
            (lines[name],) = ax.plot(np.arange(1, len(v) + 1), v, linewidth=1.5, **_style(name))
        ax.set_xlim(0.5, max(epochs, 1) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(kind)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(fontsize="small", frameon=False)
    _set_y_limits(loss_ax, accuracy_ax, values)
    return lines


class LivePlot:
    """Loss and accuracy curves that redraw in place after each epoch of :func:`nnlib.training.train`.

    Parameters
    ----------
    epochs : int >= 1, the number of epochs of the training run (fixes the x-axis)
    test : optional pair ``(X_test, y_test)``; the test loss and accuracy of the current
        params are then measured after every epoch (with ``mlp_forward`` and ``hidden``)
    hidden : activation of the network's hidden layers, as given to ``train``
    every : redraw every ``every`` epochs (and always after the last). A redraw costs a few
        hundredths of a second, so by default the figure is redrawn about 8 times per run
    figsize : size of the figure in inches
    show : display the figure in the notebook; with False the plot only records the curves
        (``curves``) until :meth:`redraw` is called

    Attributes
    ----------
    curves : dict name -> list, "train loss", "train accuracy" (from ``history``) and, with
        ``test``, "test loss", "test accuracy"; one value per epoch seen so far
    figure : matplotlib Figure with the loss Axes and the accuracy Axes
    redraws : how many times the figure was drawn
    """

    def __init__(self, epochs: int, test=None, hidden: str = "relu", every: int | None = None,
                 figsize: tuple[float, float] = (8.0, 2.8), show: bool = True):
        fn = "LivePlot"
        self.epochs = _count(fn, "epochs", epochs)
        # By default about 8 redraws per run: enough to watch it learn, cheap enough not to slow it.
        self.every = max(1, round(self.epochs / 8)) if every is None else _count(fn, "every", every)
        if test is not None:
            if not (isinstance(test, tuple | list) and len(test) == 2):
                raise TypeError(f"{fn}: test must be a pair (X_test, y_test); got {type(test).__name__}")
            test = (np.asarray(test[0]), np.asarray(test[1]))
        self.test = test
        self.hidden = hidden
        self.show = bool(show)
        self.curves: dict[str, list[float]] = {"train loss": [], "train accuracy": []}
        if test is not None:
            self.curves.update({"test loss": [], "test accuracy": []})
        # A bare Figure, not pyplot's: Jupyter then does not show it again at the end of the cell.
        # Fixed margins instead of a layout engine: a redraw is then about twice as fast.
        self.figure = Figure(figsize=figsize)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.86, wspace=0.25)
        self._loss_ax, self._accuracy_ax = self.figure.subplots(1, 2)
        self._lines: dict = {}
        self._handle = None
        self._displayed = False
        self.redraws = 0

    def update(self, epoch: int, params, history: Mapping[str, list]) -> None:
        """Record epoch ``epoch`` (counted from 1) and redraw when it is time; the ``train`` callback."""
        seen = len(self.curves["train loss"])
        if epoch != seen + 1:
            raise ValueError(
                f"LivePlot.update: expected epoch {seen + 1} (epochs count from 1, one call per epoch); "
                f"got epoch={epoch!r}. Make a new LivePlot for each training run"
            )
        if epoch > self.epochs:
            raise ValueError(f"LivePlot.update: got epoch {epoch}, but this plot was made for "
                             f"epochs={self.epochs}; make a new LivePlot for each training run")
        self.curves["train loss"].append(float(history["loss"][-1]))
        self.curves["train accuracy"].append(float(history["accuracy"][-1]))
        if self.test is not None:
            X_test, y_test = self.test
            logits, _ = mlp_forward(X_test, params, self.hidden)
            self.curves["test loss"].append(float(softmax_cross_entropy(logits, y_test)))
            self.curves["test accuracy"].append(accuracy(logits, y_test))
        if self.show and (epoch % self.every == 0 or epoch == self.epochs):
            self.redraw()

    def title(self) -> str:
        """One line on the latest epoch, e.g. ``epoch 12/40 · train loss 0.0831 · test accuracy 0.9694``."""
        seen = len(self.curves["train loss"])
        if seen == 0:
            return f"epoch 0/{self.epochs}"
        parts = [f"epoch {seen}/{self.epochs}", f"train loss {self.curves['train loss'][-1]:.4f}"]
        if self.test is not None:
            parts.append(f"test accuracy {self.curves['test accuracy'][-1]:.4f}")
        else:
            parts.append(f"train accuracy {self.curves['train accuracy'][-1]:.4f}")
        return " · ".join(parts)

    def redraw(self) -> None:
        """Draw the curves so far; with ``show``, display the figure or replace the one displayed."""
        if self._lines.keys() == {name for name, v in self.curves.items() if v}:
            # Only the data changed: move the existing lines (much cheaper than drawing anew).
            for name, line in self._lines.items():
                line.set_data(np.arange(1, len(self.curves[name]) + 1), self.curves[name])
            _set_y_limits(self._loss_ax, self._accuracy_ax, _curve_values("LivePlot", self.curves))
        else:
            self._lines = draw_training_curves(self.curves, self._loss_ax, self._accuracy_ax,
                                               epochs=self.epochs)
        self.figure.suptitle(self.title(), fontsize="medium")
        self.redraws += 1
        if not self.show:
            return
        from IPython.display import Image, display  # only needed in a notebook

        image = Image(data=self.png())
        if not self._displayed:
            # Outside a notebook display() prints a placeholder and returns no handle to update.
            self._handle = display(image, display_id=True)
            self._displayed = True
        elif self._handle is not None:
            self._handle.update(image)

    def png(self, dpi: int = 100) -> bytes:
        """The figure as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()
