"""One neuron's pre-activation, drawn (lesson 01): a diagram, the batch shapes, and its plane.

A neuron with weights w and bias b computes the pre-activation z = w·x + b. In
two dimensions the inputs where z = 0 form a line perpendicular to w, at distance
|b| / ‖w‖ from the origin, and z grows in the direction of w, by ‖w‖ per unit of
distance. :func:`draw_neuron_plane` draws exactly that; :func:`neuron_playground`
redraws it under sliders for w1, w2, b and a probe point.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from nnlib.plots import axes_or_new
from nnlib.widgets import show_figure

__all__ = ["draw_batch_shapes", "draw_neuron_diagram", "draw_neuron_plane", "neuron_playground"]

_HIGHLIGHT = "#ff7f0e"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _vector(fn: str, name: str, value, size: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or (size is not None and arr.shape != (size,)):
        want = f"({size},)" if size is not None else "(D,)"
        raise ValueError(f"{fn}: {name} must have shape {want}; got {name}.shape={arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{fn}: {name} must be finite; got {name}={arr.tolist()}")
    return arr


def _scalar(fn: str, name: str, value) -> float:
    if np.ndim(value) != 0 or not np.isfinite(value):
        raise ValueError(f"{fn}: {name} must be one finite number; got {name}={value!r}")
    return float(value)


def draw_neuron_diagram(x, w, b, ax: Axes | None = None) -> Axes:
    """Draw one neuron: inputs x_i on weighted edges w_i into a sum node with bias b, and z out.

    Parameters
    ----------
    x, w : array_like (D,), 1 <= D <= 6: the input and the weights
    b : float, the bias
    ax : Axes, optional (a new 5 x 2.6 inch figure when None)

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "draw_neuron_diagram"
    x = _vector(fn, "x", x)
    w = _vector(fn, "w", w, x.size)
    b = _scalar(fn, "b", b)
    if not 1 <= x.size <= 6:
        raise ValueError(f"{fn}: draw between 1 and 6 inputs; got {x.size}")
    ax = axes_or_new(fn, ax, (5, 2.6))
    z = float(x @ w + b)

    node, radius = np.array([3.2, 0.0]), 0.45
    ys = np.linspace(1.0, -1.0, x.size) if x.size > 1 else np.zeros(1)
    for i, (xi, wi, yi) in enumerate(zip(x, w, ys, strict=True)):
        sub = str(i + 1).translate(_SUBSCRIPTS)
        ax.add_patch(Circle((0.0, yi), 0.22, facecolor="#dbe9f6", edgecolor="#1f77b4"))
        ax.text(-0.35, yi, f"x{sub} = {xi:g}", ha="right", va="center", fontsize=9)
        start, end = np.array([0.22, yi]), node - radius * (node - [0, yi]) / np.hypot(*(node - [0, yi]))
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#555555"})
        edge = end - start
        normal = np.array([-edge[1], edge[0]]) / np.hypot(*edge)  # the label sits above its edge
        ax.text(*(start + 0.4 * edge + 0.13 * normal), f"w{sub} = {wi:g}", ha="center", va="center",
                fontsize=8, color="#1f77b4", rotation=np.degrees(np.arctan2(edge[1], edge[0])),
                rotation_mode="anchor")
    ax.add_patch(Circle(node, radius, facecolor="#fde4cc", edgecolor="#d9650b", linewidth=1.5))
    ax.text(*node, "Σ", ha="center", va="center", fontsize=16)
    ax.annotate("", xy=node - np.array([0.0, radius]), xytext=node - np.array([0.0, 1.25]),
                arrowprops={"arrowstyle": "-|>", "color": "#555555"})
    ax.text(node[0], -1.35, f"b = {b:g}", ha="center", va="top", fontsize=9)
    ax.annotate("", xy=node + np.array([1.5, 0.0]), xytext=node + np.array([radius, 0.0]),
                arrowprops={"arrowstyle": "-|>", "color": "#555555"})
    ax.text(node[0] + 1.6, 0, f"z = {z:.2f}", ha="left", va="center", fontsize=10, fontweight="bold")
    terms = " + ".join(f"({wi:g})({xi:g})" for xi, wi in zip(x, w, strict=True))
    ax.set_title(f"z = w·x + b = {terms} + ({b:g}) = {z:.2f}", fontsize=9)
    ax.set_xlim(-1.9, 6.0)
    ax.set_ylim(-1.8, 1.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _grid(ax: Axes, x0: float, y0: float, rows: int, cols: int, cell: float, name: str,
          shape_text: str, rows_lit=(), cols_lit=()) -> None:
    """A matrix as a grid of cells, top-left corner at (x0, y0); some rows/columns highlighted."""
    for r in range(rows):
        for c in range(cols):
            lit = r in rows_lit or c in cols_lit
            ax.add_patch(Rectangle((x0 + c * cell, y0 - (r + 1) * cell), cell, cell,
                                   facecolor=_HIGHLIGHT if lit else "#f2f2f2", alpha=0.8 if lit else 1.0,
                                   edgecolor="#555555", linewidth=0.8))
    ax.text(x0 + cols * cell / 2, y0 - rows * cell - 0.15, f"{name}\n{shape_text}", ha="center",
            va="top", fontsize=8)


def draw_batch_shapes(n: int = 4, d_in: int = 3, d_out: int = 2, highlight=(1, 0),
                      ax: Axes | None = None) -> Axes:
    """Draw Z = X @ W + b as grids of cells, with the row, column and entry of one Z[n, j] lit.

    Parameters
    ----------
    n, d_in, d_out : int, 1..8: batch size N, inputs D_in, neurons D_out
    highlight : (n, j), the entry of Z whose ingredients are lit
    ax : Axes, optional (a new 6 x 2.4 inch figure when None)

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "draw_batch_shapes"
    for name, value in (("n", n), ("d_in", d_in), ("d_out", d_out)):
        if not isinstance(value, int | np.integer) or not 1 <= value <= 8:
            raise ValueError(f"{fn}: {name} must be an int in 1..8; got {name}={value!r}")
    row, col = highlight
    if not (0 <= row < n and 0 <= col < d_out):
        raise ValueError(f"{fn}: highlight must index Z of shape ({n}, {d_out}); got {highlight}")
    ax = axes_or_new(fn, ax, (6, 2.4))
    cell, gap, top = 0.4, 0.7, 0.0
    x = 0.0
    _grid(ax, x, top, n, d_in, cell, "X", f"(N, D_in) = ({n}, {d_in})", rows_lit=(row,))
    x += d_in * cell + gap
    ax.text(x - gap / 2, top - cell * 1.5, "@", ha="center", va="center", fontsize=14)
    _grid(ax, x, top, d_in, d_out, cell, "W", f"(D_in, D_out) = ({d_in}, {d_out})", cols_lit=(col,))
    x += d_out * cell + gap
    ax.text(x - gap / 2, top - cell * 1.5, "+", ha="center", va="center", fontsize=14)
    _grid(ax, x, top, 1, d_out, cell, "b", f"(D_out,) = ({d_out},)", cols_lit=(col,))
    x += d_out * cell + gap
    ax.text(x - gap / 2, top - cell * 1.5, "=", ha="center", va="center", fontsize=14)
    for r in range(n):  # Z: only the one entry is lit
        for c in range(d_out):
            lit = (r, c) == (row, col)
            ax.add_patch(Rectangle((x + c * cell, top - (r + 1) * cell), cell, cell,
                                   facecolor=_HIGHLIGHT if lit else "#f2f2f2", edgecolor="#555555",
                                   linewidth=0.8))
    ax.text(x + d_out * cell / 2, top - n * cell - 0.15, f"Z\n(N, D_out) = ({n}, {d_out})", ha="center",
            va="top", fontsize=8)
    x += d_out * cell
    ax.set_title(f"Z[{row}, {col}] = X[{row}, :] · W[:, {col}] + b[{col}]  (one neuron, one example)",
                 fontsize=9)
    depth = max(n, d_in) * cell + 0.9
    ax.set_xlim(-0.5, x + 0.5)
    ax.set_ylim(-depth, 0.15)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _arrow_start(foot: np.ndarray, direction: np.ndarray, extent: float, avoid) -> np.ndarray:
    """Where the w arrow starts: on the line z = 0, one unit beside its foot, so that it runs
    parallel to the dashed distance segment instead of on top of it (away from ``avoid``)."""
    along = np.array([-direction[1], direction[0]])  # a unit vector along the line
    options = [foot + along, foot - along]
    if avoid is not None:
        options.sort(key=lambda start: -float(np.linalg.norm(start - avoid)))
    inside = [start for start in options if np.all(np.abs(start + direction) < 0.9 * extent)
              and np.all(np.abs(start) < 0.9 * extent)]
    return (inside or options)[0]


def draw_neuron_plane(w, b, probe=None, ax: Axes | None = None, extent: float = 3.0,
                      zlim: float = 6.0, colorbar: bool = True, points=()) -> Axes:
    """Colour the input plane by z = w·x + b; draw the line z = 0, the direction of w and |b|/‖w‖.

    The colour scale is fixed to [-zlim, zlim] (red: z > 0, blue: z < 0) so that
    two pictures compare; thin contour lines mark z = ±1, ±2, ...: their spacing
    is 1/‖w‖, so a longer w makes z grow faster. The dashed segment from the origin
    to the line is the distance |b|/‖w‖, whose value is in the title; the w arrow starts on
    the line, beside that segment.

    Parameters
    ----------
    w : array_like (2,), the weights;  b : float, the bias
    probe : array_like (2,), optional: a point x marked with its value of z
    ax : Axes, optional (a new 4 x 3.4 inch figure when None)
    extent : float > 0, the view is [-extent, extent]^2
    zlim : float > 0, the colour scale's limit
    colorbar : bool, draw a colour bar labelled z
    points : sequence of (label, (x1, x2)), optional: more points to mark, e.g. ("p", (1, 0))

    Returns
    -------
    matplotlib.axes.Axes
    """
    fn = "draw_neuron_plane"
    w = _vector(fn, "w", w, 2)
    b = _scalar(fn, "b", b)
    extent, zlim = _scalar(fn, "extent", extent), _scalar(fn, "zlim", zlim)
    if extent <= 0 or zlim <= 0:
        raise ValueError(f"{fn}: extent and zlim must be > 0; got extent={extent}, zlim={zlim}")
    marks = [(str(label), _vector(fn, f"points[{i}]", point, 2)) for i, (label, point) in enumerate(points)]
    probe = None if probe is None else _vector(fn, "probe", probe, 2)
    ax = axes_or_new(fn, ax, (4, 3.4))

    ticks = np.linspace(-extent, extent, 201)
    x1, x2 = np.meshgrid(ticks, ticks)
    z = w[0] * x1 + w[1] * x2 + b
    image = ax.imshow(z, extent=(-extent, extent, -extent, extent), origin="lower", cmap="RdBu_r",
                      vmin=-zlim, vmax=zlim, interpolation="bilinear")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="z", shrink=0.9)
    norm = float(np.hypot(*w))
    if norm > 0:
        levels = [k for k in range(int(np.floor(z.min())), int(np.ceil(z.max())) + 1) if k != 0]
        ax.contour(x1, x2, z, levels=levels, colors="#444444", linewidths=0.4, alpha=0.5)
        ax.contour(x1, x2, z, levels=[0.0], colors="black", linewidths=2.0)
        foot = -b * w / norm**2  # the point of the line z = 0 closest to the origin
        direction = w / norm
        title = f"w = ({w[0]:.1f}, {w[1]:.1f}), b = {b:.1f}"
        if np.all(np.abs(foot) < extent):
            if b != 0:
                ax.plot([0, foot[0]], [0, foot[1]], linestyle="--", color="black", linewidth=1.0)
            title += f"\ndashed: |b|/‖w‖ = {abs(b) / norm:.2f}"
            start = _arrow_start(foot, direction, extent, probe)
        else:
            start = np.zeros(2)  # the line is out of view: show w from the origin
            ax.text(0.03, 0.03, "line z = 0 out of view", transform=ax.transAxes, fontsize=8)
        ax.annotate("", xy=start + direction, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
        ax.text(*(start + 1.25 * direction), "w", fontsize=11, fontweight="bold", ha="center", va="center")
    else:
        title = f"w = (0, 0): z = b = {b:.1f} everywhere"
    ax.plot(0, 0, marker="+", color="black", markersize=8)
    if probe is not None:
        z_probe = float(probe @ w + b)
        ax.plot(*probe, marker="o", markersize=7, markerfacecolor="white", markeredgecolor="black")
        ax.text(probe[0] + 0.2, probe[1] + 0.2, f"z = {z_probe:.2f}", fontsize=9,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
    for label, point in marks:
        ax.plot(*point, marker="o", markersize=6, color="black")
        ax.text(point[0] + 0.15, point[1] - 0.15, label, fontsize=10, fontweight="bold", ha="left", va="top",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title, fontsize=10)
    return ax


def _readout(w, b, probe) -> str:
    """The numbers behind the picture, as HTML."""
    z = float(np.dot(w, probe) + b)
    norm = float(np.hypot(*w))
    text = (f"z at the probe = w₁x₁ + w₂x₂ + b = ({w[0]:.1f})({probe[0]:.1f}) + ({w[1]:.1f})({probe[1]:.1f}) "
            f"+ ({b:.1f}) = <b>{z:.2f}</b>")
    if norm > 0:
        text += (f"<br>line z = 0: distance from the origin |b|/‖w‖ = {abs(b) / norm:.2f}; "
                 f"z changes by ‖w‖ = {norm:.2f} per unit step along w")
    else:
        text += "<br>w = 0: z equals b everywhere, there is no line z = 0"
    return text


def neuron_playground(w=(1.0, 2.0), b: float = -2.0, probe=(1.0, 1.0)):
    """Sliders for w1, w2, b and a probe point; redraws :func:`draw_neuron_plane` on every change.

    Returns
    -------
    ipywidgets.VBox
        Its ``children`` are the slider row, the probe row, the readout (an HTML
        widget with z at the probe) and the ``Output`` holding the figure.
    """
    import ipywidgets as widgets  # only needed for the live widget

    w = _vector("neuron_playground", "w", w, 2)
    probe = _vector("neuron_playground", "probe", probe, 2)

    def slider(description, value, low, high):
        return widgets.FloatSlider(value=value, min=low, max=high, step=0.1, description=description,
                                   continuous_update=False, readout_format=".1f",
                                   layout=widgets.Layout(width="230px"),
                                   style={"description_width": "40px"})

    sliders = {
        "w1": slider("w₁", w[0], -3.0, 3.0),
        "w2": slider("w₂", w[1], -3.0, 3.0),
        "b": slider("b", _scalar("neuron_playground", "b", b), -4.0, 4.0),
        "p1": slider("probe x₁", probe[0], -3.0, 3.0),
        "p2": slider("probe x₂", probe[1], -3.0, 3.0),
    }
    for key in ("p1", "p2"):
        sliders[key].style.description_width = "70px"
        sliders[key].layout.width = "260px"
    readout = widgets.HTML()
    out = widgets.Output()

    def redraw(_change=None):
        weights = np.array([sliders["w1"].value, sliders["w2"].value])
        point = np.array([sliders["p1"].value, sliders["p2"].value])
        bias = sliders["b"].value
        fig = Figure(figsize=(4.6, 3.8), layout="constrained")
        draw_neuron_plane(weights, bias, probe=point, ax=fig.subplots())
        show_figure(out, fig)
        readout.value = _readout(weights, bias, point)

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return widgets.VBox([
        widgets.HBox([sliders["w1"], sliders["w2"], sliders["b"]]),
        widgets.HBox([sliders["p1"], sliders["p2"]]),
        readout,
        out,
    ])
