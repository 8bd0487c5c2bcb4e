"""The scalar autodiff engine ``Value`` and ``draw_graph`` (lessons 05 and 09)."""

from __future__ import annotations

import gc
import math
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from nnlib import Dense, Value, draw_graph, init_mlp, loss_and_gradients, numerical_derivative

# --------------------------------------------------------------------------- #
# hand values


def test_value_basic_hand_values():
    x, y = Value(2.0), Value(-3.0)
    z = x * y + x  # -4; dz/dx = y + 1 = -2, dz/dy = x = 2
    z.backward()
    assert z.data == -4.0 and z.grad == 1.0
    assert x.grad == -2.0 and y.grad == 2.0


def test_value_used_twice_accumulates():
    x = Value(3.0)
    out = x * x + x  # 12; d/dx = 2x + 1 = 7
    out.backward()
    assert out.data == 12.0
    assert x.grad == 7.0


def test_intermediate_used_twice():
    x, y = Value(2.0), Value(5.0)
    a = x * y
    out = a + a * a  # a + a^2 with a = xy = 10: d/da = 1 + 2a = 21
    out.backward()
    assert out.data == 110.0
    assert a.grad == 21.0
    assert x.grad == 21.0 * 5.0 and y.grad == 21.0 * 2.0


def test_value_fields_and_repr():
    v = Value(3, label="w")
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v.label == "w"
    assert "w" in repr(v) and "data=3" in repr(v)


def test_numpy_scalars_are_accepted():
    assert Value(np.float64(1.5)).data == 1.5
    assert Value(np.int64(2)).data == 2.0
    assert (Value(1.0) + np.float64(2.0)).data == 3.0


# --------------------------------------------------------------------------- #
# every operation's gradient against a centered difference

# name, Value-version, float-version, point
UNARY = [
    ("x + 2.5", lambda x: x + 2.5, lambda x: x + 2.5, 0.7),
    ("2.5 + x", lambda x: 2.5 + x, lambda x: 2.5 + x, 0.7),
    ("x + 2 (int)", lambda x: x + 2, lambda x: x + 2, 0.7),
    ("x - 2.5", lambda x: x - 2.5, lambda x: x - 2.5, 0.7),
    ("2.5 - x", lambda x: 2.5 - x, lambda x: 2.5 - x, 0.7),
    ("x * -3", lambda x: x * -3, lambda x: x * -3, 0.7),
    ("-3 * x", lambda x: -3 * x, lambda x: -3 * x, 0.7),
    ("x / 4", lambda x: x / 4, lambda x: x / 4, 0.7),
    ("4 / x", lambda x: 4 / x, lambda x: 4 / x, 0.7),
    ("x ** 3", lambda x: x**3, lambda x: x**3, -1.3),
    ("x ** -2", lambda x: x**-2, lambda x: x**-2, 1.3),
    ("x ** 0.5", lambda x: x**0.5, lambda x: x**0.5, 1.3),
    ("2 ** x", lambda x: 2**x, lambda x: 2**x, 1.3),
    ("-x", lambda x: -x, lambda x: -x, 0.7),
    ("exp", lambda x: x.exp(), math.exp, 0.7),
    ("log", lambda x: x.log(), math.log, 0.7),
    ("tanh", lambda x: x.tanh(), math.tanh, 0.7),
    ("relu(+)", lambda x: x.relu(), lambda x: max(x, 0.0), 0.7),
    ("relu(-)", lambda x: x.relu(), lambda x: max(x, 0.0), -0.7),
    ("sigmoid(+)", lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), 0.7),
    ("sigmoid(-)", lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), -2.1),
    ("compound", lambda x: (x * 2 + 1).tanh() * x.exp() - 3 / (1 + x**2), None, 0.4),
]


def _compound(x):
    return math.tanh(x * 2 + 1) * math.exp(x) - 3 / (1 + x**2)


@pytest.mark.parametrize(("name", "fv", "ff", "x0"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_gradient(name, fv, ff, x0):
    ff = ff or _compound
    x = Value(x0)
    out = fv(x)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(ff(x0), rel=1e-15, abs=1e-300)
    out.backward()
    numeric = numerical_derivative(ff, x0)
    h = 1e-6  # an independent centered difference
    independent = (ff(x0 + h) - ff(x0 - h)) / (2 * h)
    assert x.grad == pytest.approx(numeric, rel=1e-8, abs=1e-12)
    assert x.grad == pytest.approx(independent, rel=1e-7, abs=1e-10)


BINARY = [
    ("x + y", lambda x, y: x + y),
    ("x - y", lambda x, y: x - y),
    ("x * y", lambda x, y: x * y),
    ("x / y", lambda x, y: x / y),
    ("x**2 * y - y / x", lambda x, y: x**2 * y - y / x),
]


@pytest.mark.parametrize(("name", "f"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_op_gradients(name, f):
    x0, y0 = 1.7, -0.6
    x, y = Value(x0), Value(y0)
    out = f(x, y)
    assert out.data == pytest.approx(f(x0, y0), rel=1e-15)
    out.backward()
    assert x.grad == pytest.approx(numerical_derivative(lambda t: f(t, y0), x0), rel=1e-8)
    assert y.grad == pytest.approx(numerical_derivative(lambda t: f(x0, t), y0), rel=1e-8)


def test_hand_gradients_of_unary_functions():
    x = Value(0.0)
    x.sigmoid().backward()
    assert x.grad == 0.25
    x = Value(0.0)
    x.tanh().backward()
    assert x.grad == 1.0
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0  # the kink: 0, as relu_derivative
    x = Value(2.0)
    x.log().backward()
    assert x.grad == 0.5


def test_sigmoid_and_tanh_are_stable():
    for z in (-1000.0, 1000.0):
        s, t = Value(z).sigmoid(), Value(z).tanh()
        assert s.data == (1.0 if z > 0 else 0.0)
        assert t.data == math.copysign(1.0, z)


# --------------------------------------------------------------------------- #
# backward(): accumulation, zero_grad, deep graphs


def test_backward_twice_doubles_leaves_exactly():
    x, y = Value(1.3), Value(-0.4)
    mid = (x * y).tanh()
    out = mid * x + y.exp()
    out.backward()
    first = (x.grad, y.grad, mid.grad)
    out.backward()
    assert x.grad == 2 * first[0] and y.grad == 2 * first[1]
    assert mid.grad == first[2]  # intermediate nodes hold this pass's gradient only
    assert out.grad == 1.0


def test_zero_grad_resets_every_node():
    x, y = Value(1.3), Value(-0.4)
    mid = x * y
    out = mid + x
    out.backward()
    assert x.grad != 0 and y.grad != 0 and mid.grad != 0
    out.zero_grad()
    assert x.grad == y.grad == mid.grad == out.grad == 0.0
    out.backward()
    assert x.grad == pytest.approx(-0.4 + 1) and y.grad == pytest.approx(1.3)


def test_topological_order_puts_inputs_first():
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    c = b * a
    order = c.topological_order()
    assert len(order) == 5 and len({id(v) for v in order}) == 5
    pos = {id(v): i for i, v in enumerate(order)}
    for node in order:
        for child in node._prev:
            assert pos[id(child)] < pos[id(node)]


def test_deep_chain_needs_no_recursion():
    depth = 100_000
    assert sys.getrecursionlimit() < depth  # otherwise this test proves nothing
    gc.disable()  # only for speed: 10^5 closures would trigger many collections
    try:
        x = Value(1.5)
        out = x
        for _ in range(depth):
            out = out.relu()
        out.backward()  # no RecursionError
        assert x.grad == 1.0
        out.zero_grad()
        assert x.grad == 0.0
    finally:
        gc.enable()
    del out  # nor in deleting a 100,000-deep chain
    gc.collect()


# --------------------------------------------------------------------------- #
# errors


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("abc", ["str", "'abc'"]),
        (True, ["bool", "True"]),
        (np.array([1.0]), ["ndarray", "float(x)"]),
        (np.array(1.0), ["ndarray", "float(x)"]),
        (None, ["NoneType"]),
        ([1.0], ["list"]),
        (1 + 2j, ["complex"]),
    ],
    ids=["str", "bool", "array", "0-d array", "None", "list", "complex"],
)
def test_value_refuses_non_numbers(bad, words):
    with pytest.raises(TypeError) as err:
        Value(bad)
    msg = str(err.value)
    assert msg.startswith("Value:") and "real number" in msg
    for word in words:
        assert word in msg


def test_operations_refuse_non_numbers():
    x = Value(2.0)
    for op in (lambda: x + "a", lambda: "a" * x, lambda: x - None, lambda: x / [1], lambda: x + True):
        with pytest.raises(TypeError, match="Value"):
            op()
    with pytest.raises(TypeError, match="exponent"):
        x ** Value(2.0)
    with pytest.raises(TypeError, match="base"):
        "a" ** x
    with pytest.raises(ValueError, match="> 0"):
        (-2) ** x
    with pytest.raises(ValueError, match=r"Value.log.*-1"):
        Value(-1.0).log()


# --------------------------------------------------------------------------- #
# the Value engine and the vectorized code agree on a whole net


def _value_net_loss(params, X, y, hidden):
    """Softmax cross-entropy of an MLP, written with Values only, one scalar at a time."""
    vparams = [
        Dense([[Value(float(w)) for w in row] for row in W], [Value(float(v)) for v in b]) for W, b in params
    ]
    total = Value(0.0)
    for x_row, label in zip(X, y, strict=True):
        a = [Value(float(v)) for v in x_row]
        for i, (W, b) in enumerate(vparams):
            z = [sum((a[k] * W[k][j] for k in range(len(a))), b[j]) for j in range(len(b))]
            last = i == len(vparams) - 1
            a = z if last else [getattr(zj, hidden)() for zj in z]
        log_sum_exp = sum(zj.exp() for zj in a).log()
        total = total + (log_sum_exp - a[label])
    return total / len(y), vparams


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_value_engine_matches_loss_and_gradients(hidden):
    rng = np.random.default_rng(11)
    params = init_mlp([3, 4, 3], rng, "xavier")
    params = [Dense(W, rng.normal(scale=0.3, size=b.shape)) for W, b in params]
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)

    loss, vparams = _value_net_loss(params, X, y, hidden)
    loss.backward()
    expected_loss, grads = loss_and_gradients(params, X, y, "softmax_cross_entropy", hidden=hidden)
    assert loss.data == pytest.approx(expected_loss, rel=1e-12)
    for (W, b), g in zip(vparams, grads, strict=True):
        assert_allclose([[w.grad for w in row] for row in W], g.W, rtol=1e-10, atol=1e-14)
        assert_allclose([v.grad for v in b], g.b, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- #
# draw_graph


def _texts(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]  # annotations (arrows) have no text


def test_draw_graph_one_box_per_node(agg):
    import matplotlib.axes

    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    z = x * y + x
    z.label = "z"
    z.backward()
    ax = draw_graph(z)
    assert isinstance(ax, matplotlib.axes.Axes)
    boxes = [t for t in _texts(ax) if "data" in t]
    assert len(boxes) == len(z.topological_order()) == 4
    assert "x\ndata 2\ngrad -2" in boxes
    assert "y\ndata -3\ngrad 2" in boxes
    assert "z\ndata -4\ngrad 1" in boxes
    ops = [t for t in _texts(ax) if "data" not in t]
    assert sorted(ops) == ["*", "+"]
    assert ax.get_title() == "computational graph of z"


def _graph_of_the_lesson():
    """L = tanh(x·y + z): the figure of lesson 05 where an edge crossed a box and the tanh badge hid L."""
    x, y, z = Value(1.5, label="x"), Value(-0.5, label="y"), Value(1.0, label="z")
    q = x * y
    q.label = "q"
    n = q + z
    n.label = "n"
    L = n.tanh()
    L.label = "L"
    L.backward()
    return L


def _other_graphs():
    a = Value(3.0, label="a")
    twice = a * a + a
    twice.label = "L"
    b, c = Value(0.7, label="b"), Value(-1.3, label="c")
    neuron = (b * c + b * 2.0 + c).tanh()
    neuron.label = "out"
    return [twice, neuron]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_draw_graph_nothing_overlaps_and_no_edge_crosses_a_box(index, agg):
    """Boxes and op circles never overlap; an arrow touches only the two things it joins."""
    root = [_graph_of_the_lesson(), *_other_graphs()][index]
    if index == 0:  # the lesson's figure size; the others in the figure draw_graph sizes itself
        fig, ax = agg.subplots(figsize=(7, 2.8))
        draw_graph(root, ax=ax)
    else:
        ax = draw_graph(root)
        fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shapes = {id(t): t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_text()}
    items = list(shapes.items())
    for i, (_, a) in enumerate(items):
        for _, b in items[i + 1:]:
            assert not a.overlaps(b), (a, b)
    names = {id(t): t.get_text() for t in ax.texts}
    for arrow in (t for t in ax.texts if not t.get_text()):
        joined = {id(arrow.xycoords), id(arrow._textcoords)}  # the box or circle at each end
        path = arrow.arrow_patch.get_path().interpolated(40)
        points = arrow.arrow_patch.get_transform().transform(path.vertices)
        for key, extent in shapes.items():
            if key in joined:
                continue
            inside = [(x, y) for x, y in points if extent.x0 < x < extent.x1 and extent.y0 < y < extent.y1]
            assert not inside, f"an arrow crosses {names[key]!r}"


def test_graph_layout_puts_an_input_next_to_its_first_consumer():
    from nnlib.graph import graph_layout

    L = _graph_of_the_lesson()
    pos = graph_layout(L, spacing=3.0)
    x_of = {node.label: pos[id(node)][0] for node in L.topological_order()}
    assert x_of == {"x": 0.0, "y": 0.0, "q": 3.0, "z": 3.0, "n": 6.0, "L": 9.0}  # z beside q, not under x


def test_draw_graph_options(agg):
    x = Value(2.0, label="x")
    out = (x * 3).exp()
    _, ax = agg.subplots()
    assert draw_graph(out, ax=ax, show_grad=False, highlight=x) is ax
    assert not any("grad" in t for t in _texts(ax))
    colors = {t.get_text(): t.get_bbox_patch().get_facecolor() for t in ax.texts if "data" in t.get_text()}
    assert len(colors) == 4
    marked = colors.pop("x\ndata 2")
    assert all(marked != c for c in colors.values())  # the highlighted node stands out from every other


def test_draw_graph_errors(agg):
    with pytest.raises(TypeError, match="draw_graph"):
        draw_graph(3.0)
    big = Value(0.0)
    for _ in range(70):
        big = big.relu()
    with pytest.raises(ValueError, match="60"):
        draw_graph(big)
