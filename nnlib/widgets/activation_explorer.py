"""Activation explorer (lesson 02): an activation f and its derivative f' side by side.

:func:`plot_activation` draws the static figure; :func:`activation_explorer`
returns the widget (a dropdown to pick the function, a slider for the input z)
that redraws it and reads out f(z) and f'(z).

Examples
--------
>>> from nnlib.widgets.activation_explorer import activation_explorer, plot_activation
>>> axes = plot_activation("sigmoid", z0=2.0)      # static figure
>>> box = activation_explorer()                    # in a notebook: display(box) or leave it last
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np

from nnlib.activations import ACTIVATIONS
from nnlib.widgets import show_figure

__all__ = ["SATURATED", "activation_explorer", "plot_activation", "saturation_label", "show_figure"]

#: Where f'(z) is below this fraction of its largest value, we shade the curve: there a unit passes
#: less than 1/20 of the learning signal it passes where it is steepest (an absolute threshold such
#: as 0.05 would shade z = 3 for the sigmoid, which still passes 18 % of its best).
SATURATED = 0.05


def _peak_slope(f_prime) -> float:
    """The largest f'(z) on the explorer's range of z (0.25 for the sigmoid, 1 for tanh and ReLU)."""
    return float(np.max(np.asarray(f_prime(np.linspace(*_Z_RANGE, 601)), dtype=float)))


def saturation_label() -> str:
    """The legend of the shaded regions."""
    return f"f'(z) < {SATURATED:.0%} of its max"

_Z_RANGE = (-6.0, 6.0)
_F_COLOR = "#1f77b4"
_DF_COLOR = "#ff7f0e"
_MARK_COLOR = "#d62728"


def _functions(functions: Mapping[str, tuple[Callable, Callable]] | None) -> dict:
    if functions is None:
        return {name: ACTIVATIONS[name] for name in ("sigmoid", "tanh", "relu")}
    functions = dict(functions)
    for name, pair in functions.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(callable(f) for f in pair)):
            raise TypeError(
                f"activation_explorer: functions[{name!r}] must be a pair (f, f_prime) of functions; "
                f"got {pair!r:.80}"
            )
    if not functions:
        raise ValueError("activation_explorer: functions must name at least one activation")
    return functions


def plot_activation(name: str, z0: float = 1.0, axes=None, functions=None):
    """Draw f (left) and f' (right) of one activation, with a marker at ``z0`` on both.

    Regions where f'(z) is below :data:`SATURATED` (5 %) of its largest value are shaded grey:
    there the unit is *saturated* (or, for ReLU, off) and passes less than 1/20 of the learning
    signal it passes at its steepest.

    Parameters
    ----------
    name : str
        Key of ``functions``, e.g. "sigmoid".
    z0 : float
        The input to mark; its values are written in the titles.
    axes : pair of matplotlib Axes, optional
        Where to draw; a new 8 x 2.8 inch figure when None.
    functions : mapping of name to (f, f_prime), optional
        The activations to choose from; nnlib's sigmoid, tanh and relu when None.

    Returns
    -------
    (Axes, Axes)
    """
    functions = _functions(functions)
    if name not in functions:
        raise ValueError(f"plot_activation: name must be one of {sorted(functions)}; got {name!r}")
    z0 = float(z0)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8), layout="constrained")
    ax_f, ax_df = axes
    f, f_prime = functions[name]
    z = np.linspace(*_Z_RANGE, 601)
    fz, dfz = np.asarray(f(z), dtype=float), np.asarray(f_prime(z), dtype=float)
    f0 = float(np.asarray(f(np.array([z0])))[0])
    df0 = float(np.asarray(f_prime(np.array([z0])))[0])

    ax_f.plot(z, fz, color=_F_COLOR, linewidth=2)
    ax_df.plot(z, dfz, color=_DF_COLOR, linewidth=2)
    flat = dfz < SATURATED * float(dfz.max())
    for ax in (ax_f, ax_df):
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.axvline(0, color="0.6", linewidth=0.8)
        if flat.any():
            ax.fill_between(z, 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                            color="0.85", linewidth=0, label=saturation_label())
        ax.set_xlim(*_Z_RANGE)
        ax.set_xlabel("z")
    ax_f.plot([z0], [f0], "o", color=_MARK_COLOR, zorder=3)
    ax_df.plot([z0], [df0], "o", color=_MARK_COLOR, zorder=3)
    ax_f.set_title(f"{name}: f({z0:.2f}) = {f0:.4f}", fontsize="medium")
    ax_df.set_title(f"{name}': f'({z0:.2f}) = {df0:.4f}", fontsize="medium")
    ax_f.set_ylabel("f(z)")
    ax_df.set_ylabel("f'(z)")
    top = max(1.05, float(dfz.max()) * 1.1)
    ax_df.set_ylim(-0.05, top)
    if flat.any():
        ax_df.legend(loc="upper left", fontsize="x-small", framealpha=0.8)
    return ax_f, ax_df


def activation_explorer(functions=None, name: str = "sigmoid", z0: float = 1.0):
    """Widget: pick an activation, slide z, and read f(z) and f'(z) on both curves.

    Parameters
    ----------
    functions : mapping of name to (f, f_prime), optional
        The activations to choose from (e.g. your own); nnlib's sigmoid, tanh and relu when None.
    name : str
        The activation shown first.
    z0 : float
        The first value of the slider, in [-6, 6].

    Returns
    -------
    ipywidgets.VBox
        Children: a row with the dropdown and the slider, a readout line, and the
        Output that holds the figure.
    """
    import ipywidgets as widgets  # imported here: nnlib itself does not need a widget frontend

    functions = _functions(functions)
    if name not in functions:
        raise ValueError(f"activation_explorer: name must be one of {sorted(functions)}; got {name!r}")
    dropdown = widgets.Dropdown(options=list(functions), value=name, description="f")
    slider = widgets.FloatSlider(value=float(z0), min=_Z_RANGE[0], max=_Z_RANGE[1], step=0.1,
                                 description="z", continuous_update=True, readout_format=".1f")
    readout = widgets.HTML()
    out = widgets.Output()

    def redraw(_change=None):
        f, f_prime = functions[dropdown.value]
        z = np.array([slider.value])
        f0 = float(np.asarray(f(z))[0])
        df0 = float(np.asarray(f_prime(z))[0])
        peak = _peak_slope(f_prime)
        share = f" ({df0 / peak:.0%} of its largest slope)" if peak > 0 else ""
        note = " (saturated)" if df0 < SATURATED * peak else ""
        readout.value = (f"<code>{dropdown.value}({slider.value:.2f}) = {f0:.4f}</code>, "
                         f"<code>{dropdown.value}'({slider.value:.2f}) = {df0:.4f}</code>{share}{note}")
        fig, axes = plt.subplots(1, 2, figsize=(8, 2.8), layout="constrained")
        plot_activation(dropdown.value, slider.value, axes, functions)
        show_figure(out, fig)

    dropdown.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([dropdown, slider]), readout, out])
