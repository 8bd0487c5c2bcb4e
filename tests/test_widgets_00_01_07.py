"""Widgets and drawings of lessons 01 and 07: they draw what they claim and redraw on every change."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from nnlib.widgets.learning_rate_explorer import (
    MINIMUM,
    descend_quadratic,
    draw_loss_curves,
    draw_quadratic_path,
    learning_rate_explorer,
    quadratic_gradient,
    quadratic_loss,
)
from nnlib.widgets.neuron_playground import (
    draw_batch_shapes,
    draw_neuron_diagram,
    draw_neuron_plane,
    neuron_playground,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(out):
    """The PNG an ipywidgets Output currently shows."""
    assert len(out.outputs) == 1
    return out.outputs[0]["data"]["image/png"]


# --------------------------------------------------------------------------- #
# lesson 01: neuron playground
# --------------------------------------------------------------------------- #


def test_neuron_diagram_shows_the_sum():
    ax = draw_neuron_diagram([1.0, 2.0, -1.0], [0.5, -0.25, 1.0], 0.1)
    assert isinstance(ax, Axes)
    texts = [t.get_text() for t in ax.texts]
    assert "z = -0.90" in texts
    assert "x₂ = 2" in texts and "w₃ = 1" in texts and "b = 0.1" in texts


def test_neuron_diagram_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match=r"draw_neuron_diagram: w must have shape \(3,\); got w.shape"):
        draw_neuron_diagram([1.0, 2.0, 3.0], [1.0, 2.0], 0.0)


def test_batch_shapes_label_every_array():
    ax = draw_batch_shapes(n=4, d_in=3, d_out=2, highlight=(1, 0))
    texts = "\n".join(t.get_text() for t in ax.texts)
    for label in ("(N, D_in) = (4, 3)", "(D_in, D_out) = (3, 2)", "(D_out,) = (2,)", "(N, D_out) = (4, 2)"):
        assert label in texts
    assert ax.get_title().startswith("Z[1, 0] = X[1, :] · W[:, 0] + b[0]")
    with pytest.raises(ValueError, match="highlight must index Z"):
        draw_batch_shapes(n=2, d_in=3, d_out=2, highlight=(2, 0))


def test_neuron_plane_colours_z_and_marks_the_distance():
    ax = draw_neuron_plane([1.0, 2.0], -2.0, probe=(1.0, 1.0), colorbar=False)
    image = ax.images[0]
    z = np.asarray(image.get_array())
    # corners of the view: z = w·x + b at (-3, -3) and (3, 3)
    assert np.isclose(z[0, 0], -3 - 6 - 2) and np.isclose(z[-1, -1], 3 + 6 - 2)
    texts = [t.get_text() for t in ax.texts]
    assert "z = 1.00" in texts
    # the distance is in the title, where it cannot hide the line z = 0 (issue 15)
    assert ax.get_title() == f"w = (1.0, 2.0), b = -2.0\ndashed: |b|/‖w‖ = {2 / np.sqrt(5):.2f}"


def test_neuron_plane_with_zero_weights_has_no_line():
    ax = draw_neuron_plane([0.0, 0.0], 1.5, colorbar=False)
    assert ax.get_title() == "w = (0, 0): z = b = 1.5 everywhere"
    assert not ax.collections  # no contour lines


def test_neuron_plane_with_the_line_out_of_view_still_shows_w():
    ax = draw_neuron_plane([0.1, 0.0], 2.0, colorbar=False)  # line at x1 = -20
    texts = [t.get_text() for t in ax.texts]
    assert "line z = 0 out of view" in texts and "w" in texts


def test_neuron_plane_refuses_bad_input():
    with pytest.raises(ValueError, match=r"draw_neuron_plane: w must have shape \(2,\)"):
        draw_neuron_plane([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match="b must be one finite number"):
        draw_neuron_plane([1.0, 2.0], np.nan)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw_neuron_plane([1.0, 2.0], 0.0, ax="left")


def test_neuron_playground_redraws_when_a_slider_moves():
    box = neuron_playground(w=(1.0, 2.0), b=-2.0, probe=(1.0, 1.0))
    (w1, w2, b), (p1, _p2) = box.children[0].children, box.children[1].children
    readout, out = box.children[2], box.children[3]
    first = _png(out)
    assert "= <b>1.00</b>" in readout.value  # 1*1 + 2*1 - 2

    b.value = 0.5
    assert _png(out) != first
    assert "= <b>3.50</b>" in readout.value

    p1.value = -2.0
    assert "= <b>0.50</b>" in readout.value  # 1*(-2) + 2*1 + 0.5

    w1.value, w2.value = 0.0, 0.0
    assert "there is no line z = 0" in readout.value


# --------------------------------------------------------------------------- #
# lesson 07: learning-rate explorer
# --------------------------------------------------------------------------- #


def test_quadratic_and_its_gradient():
    w = np.array([0.0, 3.0, 5.0])
    np.testing.assert_allclose(quadratic_loss(w), [9.0, 0.0, 4.0])
    np.testing.assert_allclose(quadratic_gradient(w), [-6.0, 0.0, 4.0])
    # the gradient is the derivative of the loss (centered difference)
    h = 1e-6
    numeric = (quadratic_loss(w + h) - quadratic_loss(w - h)) / (2 * h)
    np.testing.assert_allclose(numeric, quadratic_gradient(w), atol=1e-6)


def test_descend_quadratic_follows_the_update_rule():
    ws = descend_quadratic(0.0, 0.1, 5)
    assert ws.shape == (6,)
    np.testing.assert_allclose(ws[1:] - MINIMUM, (1 - 2 * 0.1) * (ws[:-1] - MINIMUM))


def test_descend_quadratic_overflows_quietly(recwarn):
    ws = descend_quadratic(0.0, 1.5, 2000)
    assert np.isinf(ws[-1])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(("args", "error"), [((0.0, 0.0, 5), ValueError), ((0.0, -1.0, 5), ValueError),
                                             ((0.0, 0.1, -1), ValueError), ((np.nan, 0.1, 5), TypeError)])
def test_descend_quadratic_refuses_bad_arguments(args, error):
    with pytest.raises(error, match="descend_quadratic"):
        descend_quadratic(*args)


def test_quadratic_path_says_when_it_leaves_the_view():
    ax = draw_quadratic_path(descend_quadratic(0.0, 1.05, 20), title="diverges")
    assert "left the view after 5 steps" in [t.get_text() for t in ax.texts]
    ax = draw_quadratic_path(descend_quadratic(0.0, 0.1, 20))
    assert not [t for t in ax.texts if "left the view" in t.get_text()]


def test_loss_curves_one_line_per_run():
    ax = draw_loss_curves({"a": [1.0, 0.5, 0.0], "b": [1.0, 2.0, 4.0]})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    with pytest.raises(TypeError, match="draw_loss_curves: curves must be a non-empty dict"):
        draw_loss_curves({})


def test_learning_rate_explorer_redraws_when_a_slider_moves():
    box = learning_rate_explorer(w0=0.0, lr=0.1, steps=20)
    lr, steps = box.children[0].children
    readout, out = box.children[1], box.children[2]
    first = _png(out)
    assert "1 − 2η = 0.8" in readout.value and "<b>converges</b>" in readout.value

    lr.value = 0.75
    assert _png(out) != first
    assert "jumping across the minimum each step" in readout.value

    lr.value = 1.4
    assert "<b>diverges</b>" in readout.value

    steps.value = 60
    assert "After 60 steps" in readout.value
