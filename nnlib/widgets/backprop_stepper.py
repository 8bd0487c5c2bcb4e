r"""Step through the forward and backward pass of a small ``Value`` graph (lesson 05).

:func:`backprop_steps` turns a graph into a list of steps: first each node's
value is computed from its inputs (forward), then, from the seed
:math:`\partial L / \partial L = 1`, each node passes its gradient back to its
inputs (backward), one node per step, with the chain-rule product spelled out::

    dL/dx = dL/dq · ∂q/∂x = dL/dq · y = 1 · 3 = 3

:func:`draw_backprop_step` draws one step (the static figure);
:func:`backprop_stepper` returns the widget (Prev / Next buttons and a slider).
:func:`draw_gate` draws the backward of one add, multiply or max gate.
"""

from __future__ import annotations

from typing import NamedTuple

from nnlib.gates import add_backward, max_backward, multiply_backward
from nnlib.graph import Value, graph_layout
from nnlib.widgets import show_figure

_SHORT = {"sigmoid": "σ"}  # keeps the boxes narrow
_CURRENT, _RECEIVING, _LEAF, _PLAIN = "#ffd59e", "#cfe2ff", "#dff0d8", "white"


class Step(NamedTuple):
    """One step of the stepper.

    Attributes
    ----------
    phase : "start", "forward" or "backward"
    node : the node computed (forward) or passing its gradient back (backward); None at the start
    targets : the nodes that receive a gradient in this step (backward), else ()
    text : what happens, one line per computation
    data : id(node) -> value known after this step, None while not computed yet
    grad : id(node) -> gradient known after this step, None while not reached yet
    """

    phase: str
    node: Value | None
    targets: tuple
    text: str
    data: dict
    grad: dict


def _fmt(v: float, factor: bool = True) -> str:
    """4 significant digits; a negative factor in parentheses so that products read well."""
    s = f"{v:.4g}"
    return f"({s})" if factor and v < 0 else s


def _names(order) -> dict:
    """A name per node: its label, else its value for a constant, else n1, n2, ..."""
    names, k = {}, 0
    for node in order:
        if node.label:
            names[id(node)] = node.label
        elif not node._prev:
            names[id(node)] = f"{node.data:g}"
        else:
            k += 1
            names[id(node)] = f"n{k}"
    return names


def local_derivatives(node: Value, names: dict) -> list[tuple[Value, float, str]]:
    r"""``(input, ∂node/∂input, formula)`` for each input of ``node``, in order.

    The formula names the local derivative symbolically, e.g. ``"y"`` for
    :math:`\partial (x y) / \partial x` or ``"1 - q²"`` for tanh.
    """
    op, prev, out = node._op, node._prev, names[id(node)]
    if op == "+":
        return [(prev[0], 1.0, "1"), (prev[1], 1.0, "1")]
    if op == "*":
        a, b = prev
        return [(a, b.data, names[id(b)]), (b, a.data, names[id(a)])]
    if op.startswith("**"):
        k = float(op[2:])
        (a,) = prev
        return [(a, k * a.data ** (k - 1), f"{k:g}·{names[id(a)]}^{k - 1:g}")]
    (a,) = prev
    x = names[id(a)]
    if op == "exp":
        return [(a, node.data, out)]
    if op == "log":
        return [(a, 1 / a.data, f"1/{x}")]
    if op == "tanh":
        return [(a, 1 - node.data**2, f"1 - {out}²")]
    if op == "sigmoid":
        return [(a, node.data * (1 - node.data), f"{out}(1 - {out})")]
    if op == "relu":
        return [(a, float(a.data > 0), f"[{x} > 0]")]
    raise ValueError(f"local_derivatives: unknown operation {op!r} of node {out!r}")


def _inputs_in_reading_order(root: Value) -> list[Value]:
    """The graph's inputs as they appear in the expression, left to right (x, y, z, w)."""
    found, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node._prev:
            found.append(node)
        stack.extend(reversed(node._prev))  # the first input is visited first
    return found


def _definition(node: Value, names: dict) -> str:
    """How a node is computed, in its inputs' names: "q = x · y", "a = sigmoid(z)"; a leaf's name."""
    out, op, prev = names[id(node)], node._op, node._prev
    if not prev:
        return out
    if op in ("+", "*"):
        return f"{out} = {names[id(prev[0])]} {'+' if op == '+' else '·'} {names[id(prev[1])]}"
    if op.startswith("**"):
        return f"{out} = {names[id(prev[0])]}^{op[2:]}"
    return f"{out} = {_SHORT.get(op, op)}({names[id(prev[0])]})"


def _forward_text(node: Value, names: dict) -> str:
    out, op, prev = names[id(node)], node._op, node._prev
    value = _fmt(node.data, factor=False)
    if op in ("+", "*"):
        sym = "+" if op == "+" else "·"
        a, b = prev
        return (f"{out} = {names[id(a)]} {sym} {names[id(b)]} = {_fmt(a.data)} {sym} {_fmt(b.data)}"
                f" = {value}")
    (a,) = prev
    if op.startswith("**"):
        return f"{out} = {names[id(a)]}^{op[2:]} = {_fmt(a.data)}^{op[2:]} = {value}"
    return f"{out} = {op}({names[id(a)]}) = {op}({_fmt(a.data)}) = {value}"


def backprop_steps(root: Value) -> list[Step]:
    """The forward and backward pass of ``root``'s graph, one node per step.

    Step 0 shows the inputs; then one forward step per computed node, in
    topological order; then the seed dL/dL = 1; then one backward step per
    computed node, in reverse topological order, in which the node passes its
    gradient to each of its inputs. An input used more than once *accumulates*
    (``+=``) the contributions; the final gradients equal those of
    ``root.backward()``. The graph itself is not modified.

    Parameters
    ----------
    root : Value, the output (the loss L)

    Returns
    -------
    list of :class:`Step`
    """
    if not isinstance(root, Value):
        raise TypeError(f"backprop_steps: root must be a Value; got {type(root).__name__}")
    order = root.topological_order()
    names = _names(order)
    uses = {id(n): 0 for n in order}  # how many edges leave each node: > 1 means it accumulates
    for node in order:
        for child in node._prev:
            uses[id(child)] += 1
    data = {id(n): (n.data if not n._prev else None) for n in order}
    grad = {id(n): None for n in order}
    inputs = _inputs_in_reading_order(root)
    leaves = ", ".join(f"{names[id(n)]} = {_fmt(n.data, factor=False)}" for n in inputs)
    steps = [Step("start", None, (), f"inputs: {leaves}", dict(data), dict(grad))]
    for node in order:
        if node._prev:
            data[id(node)] = node.data
            steps.append(Step("forward", node, (), _forward_text(node, names), dict(data), dict(grad)))
    top = names[id(root)]
    grad[id(root)] = 1.0
    steps.append(Step("backward", root, (), f"seed: d{top}/d{top} = 1", dict(data), dict(grad)))
    for node in reversed(order):
        if not node._prev:
            continue
        out = names[id(node)]
        lines = []
        for child, local, formula in local_derivatives(node, names):
            name = names[id(child)]
            contribution = grad[id(node)] * local
            product = f"{_fmt(grad[id(node)])} · {_fmt(local)} = {_fmt(contribution, factor=False)}"
            if uses[id(child)] > 1:
                grad[id(child)] = (grad[id(child)] or 0.0) + contribution
                lines.append(f"d{top}/d{name} += d{top}/d{out} · ∂{out}/∂{name} = d{top}/d{out} · {formula}"
                             f" = {product}   (d{top}/d{name} is now {_fmt(grad[id(child)], factor=False)})")
            else:
                grad[id(child)] = contribution
                lines.append(f"d{top}/d{name} = d{top}/d{out} · ∂{out}/∂{name} = d{top}/d{out} · {formula}"
                             f" = {product}")
        steps.append(Step("backward", node, tuple(node._prev), "\n".join(lines), dict(data), dict(grad)))
    return steps


def draw_backprop_step(steps: list[Step], k: int, ax=None):
    """Draw the graph as it stands after step ``k`` of :func:`backprop_steps`.

    The current node is orange, the nodes receiving a gradient blue, the
    inputs green; values not computed yet show "?". The step's computation is
    written under the graph.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if not steps:
        raise ValueError("draw_backprop_step: steps is empty; build it with backprop_steps(root)")
    if not 0 <= k < len(steps):
        raise ValueError(f"draw_backprop_step: k must be in [0, {len(steps) - 1}]; got k={k}")
    step = steps[k]
    root = next(s.node for s in steps if s.phase == "backward")  # the seeded node
    order = root.topological_order()
    if len(order) > 40:
        raise ValueError(f"draw_backprop_step: graphs of at most 40 nodes are readable; "
                         f"got {len(order)} nodes")
    names = _names(order)
    pos = graph_layout(root)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.6))
    current = id(step.node) if step.node is not None else None
    receiving = {id(t) for t in step.targets}
    boxes = {}
    size = 8 if len({p[0] for p in pos.values()}) < 6 else 7  # many columns: a smaller font
    for node in order:
        x, y = pos[id(node)]
        value, g = step.data[id(node)], step.grad[id(node)]
        text = (f"{_definition(node, names)}\n"
                f"data {'?' if value is None else f'{value:.4g}'}\n"
                f"grad {'?' if g is None else f'{g:.4g}'}")
        fill = (_CURRENT if id(node) == current else _RECEIVING if id(node) in receiving
                else _LEAF if not node._prev else _PLAIN)
        boxes[id(node)] = ax.text(x, y, text, ha="center", va="center", fontsize=size, family="monospace",
                                  color="0.55" if value is None else "black", zorder=3,
                                  bbox={"boxstyle": "round,pad=0.35", "fc": fill, "ec": "0.3"})
    for node in order:
        x, y = pos[id(node)]
        active = id(node) == current and step.phase != "start"
        backward = active and step.phase == "backward"  # the gradient flows right to left
        color = ("#c0392b" if backward else "#2c6fbb") if active else "0.6"
        for i, child in enumerate(node._prev):
            # arrows join the boxes' edges: (1, 0.5) is the middle of a box's right side
            ends = {"xy": (0, 0.5), "xycoords": boxes[id(node)], "xytext": (1, 0.5),
                    "textcoords": boxes[id(child)]}
            if backward:
                ends = {"xy": (1, 0.5), "xycoords": boxes[id(child)], "xytext": (0, 0.5),
                        "textcoords": boxes[id(node)]}
            twice = sum(c is child for c in node._prev) > 1  # x * x: bend the two arrows apart
            bend = (0.3 if i == 0 else -0.3) * (-1 if backward else 1) if twice else 0.0
            ax.annotate("", **ends, zorder=2,
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2 if active else 1,
                                    "mutation_scale": 12 if active else 10, "shrinkA": 4, "shrinkB": 4,
                                    "connectionstyle": f"arc3,rad={bend}"})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    n_lines = step.text.count("\n") + 1
    bottom = min(ys) - 1.0 - 0.42 * n_lines
    ax.text(min(xs) - 1.0, min(ys) - 0.95, step.text, ha="left", va="top", fontsize=8,
            family="monospace")
    ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
    ax.set_ylim(bottom, max(ys) + 0.9)
    ax.set_title(f"step {k} of {len(steps) - 1}: {step.phase}", fontsize=9)
    ax.set_axis_off()
    return ax


def backprop_stepper(root: Value, figsize=(8, 3.6)):
    """A widget that steps through the forward and backward pass of ``root``'s graph.

    Parameters
    ----------
    root : Value, a small graph (at most about a dozen nodes stays readable)
    figsize : size of the drawn figure

    Returns
    -------
    ipywidgets.VBox: ``children[0]`` holds the Prev button, the step slider and
    the Next button; ``children[1]`` is the Output the graph is drawn into.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    steps = backprop_steps(root)
    slider = widgets.IntSlider(value=0, min=0, max=len(steps) - 1, description="step",
                               continuous_update=True, layout=widgets.Layout(width="360px"))
    prev_button = widgets.Button(description="◀ Prev", layout=widgets.Layout(width="80px"))
    next_button = widgets.Button(description="Next ▶", layout=widgets.Layout(width="80px"))
    out = widgets.Output()

    def redraw(_change=None):
        fig, ax = plt.subplots(figsize=figsize)
        draw_backprop_step(steps, slider.value, ax)
        show_figure(out, fig, dpi=90, bbox_inches="tight")

    def go(delta):
        slider.value = min(max(slider.value + delta, 0), len(steps) - 1)

    prev_button.on_click(lambda _b: go(-1))
    next_button.on_click(lambda _b: go(+1))
    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([prev_button, slider, next_button]), out])


_GATES = {
    "add": ("+", "distributes dz to both inputs", lambda x, y: x + y),
    "multiply": ("×", "swaps the inputs", lambda x, y: x * y),
    "max": ("max", "routes dz to the winner", max),
}


def draw_gate(ax, gate: str, x: float, y: float, dz: float):
    """Draw one gate z = f(x, y): values above the wires (black), gradients below (red).

    Parameters
    ----------
    ax : matplotlib Axes
    gate : "add", "multiply" or "max"
    x, y : the inputs;  dz : the upstream gradient dL/dz

    Returns
    -------
    matplotlib Axes
    """
    if gate not in _GATES:
        raise ValueError(f"draw_gate: gate must be one of {', '.join(map(repr, _GATES))}; got {gate!r}")
    symbol, nickname, forward = _GATES[gate]
    z = forward(x, y)
    dx, dy = {"add": lambda: add_backward(dz), "multiply": lambda: multiply_backward(dz, x, y),
              "max": lambda: max_backward(dz, x, y)}[gate]()
    red = "#c0392b"
    for name, value, grad, yy in (("x", x, dx, 0.7), ("y", y, dy, -0.7)):
        # a horizontal wire (values above it, gradients below), then a short bend into the gate
        ax.plot([-2.2, -0.9, -0.3], [yy, yy, yy * 0.3], color="0.3", lw=1)
        ax.text(-2.3, yy, name, ha="right", va="center", fontsize=10)
        ax.text(-1.55, yy + 0.08, f"{value:g}", ha="center", va="bottom", fontsize=9)
        ax.text(-1.55, yy - 0.08, f"{grad:g}", ha="center", va="top", fontsize=9, color=red)
    ax.annotate("", xy=(2.1, 0), xytext=(0.45, 0), arrowprops={"arrowstyle": "-|>", "color": "0.3"})
    ax.text(2.2, 0, "z", ha="left", va="center", fontsize=10)
    ax.text(1.3, 0.08, f"{z:g}", ha="center", va="bottom", fontsize=9)
    ax.text(1.3, -0.08, f"{dz:g}", ha="center", va="top", fontsize=9, color=red)
    ax.text(0, 0, symbol, ha="center", va="center", fontsize=9 if gate == "max" else 13,
            bbox={"boxstyle": "circle,pad=0.3", "fc": "#eef", "ec": "0.4"})
    ax.set_title(f"{gate}: {nickname}", fontsize=10)
    ax.set_xlim(-2.7, 2.6)
    ax.set_ylim(-1.2, 1.2)
    ax.set_axis_off()
    return ax
