"""Tests for nnlib.plots: what each function draws, what it returns, what it refuses."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # no window, no display needed; must come before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import same_color, to_rgba
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from nnlib.plots import (
    CLASS_COLORS,
    plot_decision_regions,
    plot_digits,
    plot_gradient_norms,
    plot_history,
    plot_loss_surface,
)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure after each test so that tests cannot see each other's plots."""
    yield
    plt.close("all")


def _scatter_points(ax: Axes) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


# --------------------------------------------------------------------------- #
# plot_decision_regions
# --------------------------------------------------------------------------- #


def _three_points():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    y = np.array([0, 1, 1])
    return X, y


def test_palette_is_an_immutable_tuple_of_distinct_colours():
    assert isinstance(CLASS_COLORS, tuple)
    assert len(CLASS_COLORS) == 10
    assert len({to_rgba(c) for c in CLASS_COLORS}) == 10


def test_decision_regions_draws_regions_and_one_scatter_per_class():
    X, y = _three_points()
    ax = plot_decision_regions(lambda P: (P[:, 0] > 0.5).astype(int), X, y, title="demo")
    assert isinstance(ax, Axes)
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1
    scatters = _scatter_points(ax)
    assert len(scatters) == 2  # classes 0 and 1
    assert sum(len(s.get_offsets()) for s in scatters) == len(X)
    for k, scatter in enumerate(scatters):
        np.testing.assert_array_equal(scatter.get_offsets(), X[y == k])
        assert same_color(scatter.get_facecolor()[0], CLASS_COLORS[k])
    assert ax.get_title() == "demo"


def test_decision_regions_grid_covers_the_data_with_a_margin():
    X, y = _three_points()
    ax = plot_decision_regions(lambda P: np.zeros(len(P), dtype=int), X, y)
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    assert x_low < 0.0 and x_high > 2.0
    assert y_low < 0.0 and y_high > 1.0


def test_decision_regions_calls_predict_once_on_the_whole_grid():
    calls = []

    def predict(P):
        calls.append(P)
        return np.zeros(len(P), dtype=np.int64)

    X, y = _three_points()
    plot_decision_regions(predict, X, y, resolution=30)
    assert len(calls) == 1
    assert calls[0].shape == (30 * 30, 2) and calls[0].dtype == np.float64


def test_decision_regions_accepts_boolean_predictions_and_a_single_point():
    ax = plot_decision_regions(lambda P: P[:, 0] > 0, [[0.5, 0.5]], [1])
    assert len(_scatter_points(ax)) == 1
    x_low, x_high = ax.get_xlim()
    assert x_low < 0.5 < x_high  # a visible window around a lone point


def test_decision_regions_draws_into_a_given_axes():
    _, (left, right) = plt.subplots(1, 2)
    X, y = _three_points()
    returned = plot_decision_regions(lambda P: np.zeros(len(P), dtype=int), X, y, ax=right)
    assert returned is right
    assert len(_scatter_points(right)) == 2 and not left.collections
    assert len(plt.get_fignums()) == 1  # no extra figure was created


def _constant(value):
    return lambda P: np.full(len(P), value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"X": np.zeros((5, 3)), "y": np.zeros(5, dtype=int)},
            ValueError,
            "plot_decision_regions: X must have shape (N, 2) with N >= 1, two features per "
            "example; got X.shape=(5, 3)",
        ),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)}, ValueError, "X.shape=(0, 2)"),
        ({"X": [[0.0, np.nan]], "y": [0]}, ValueError, "X must be finite; got 1 NaN/inf"),
        ({"X": [["a", "b"]], "y": [0]}, TypeError, "X must hold real numbers; got dtype=<U1"),
        (
            {"y": np.zeros(2, dtype=int)},
            ValueError,
            "plot_decision_regions: y must have shape (3,); got y.shape=(2,)",
        ),
        ({"y": np.array([0.0, 1.0, 1.0])}, TypeError, "y must hold integer class ids"),
        ({"y": np.array([0, 1, 12])}, ValueError, "y must be class ids in [0, 10); got y[2]=12"),
        ({"y": np.array([0, -1, 1])}, ValueError, "got y[1]=-1"),
        ({"predict": "model"}, TypeError, "plot_decision_regions: predict must be callable"),
        (
            {"predict": lambda P: np.zeros((len(P), 1), dtype=int)},
            ValueError,
            "predict(grid) must have shape (400,); got predict(grid).shape=(400, 1)",
        ),
        (
            {"predict": _constant(0.7)},
            TypeError,
            "predict(grid) must hold integer class ids; got dtype=float64. Use .argmax(axis=1)",
        ),
        ({"resolution": 1}, ValueError, "resolution must be >= 2; got resolution=1"),
        ({"resolution": 20.0}, TypeError, "resolution must be an int; got float 20.0"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes or None; got str 'left'"),
    ],
)
def test_decision_regions_rejects_bad_arguments(kwargs, error, message):
    X, y = _three_points()
    arguments = {"predict": _constant(0), "X": X, "y": y, "resolution": 20, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        plot_decision_regions(**arguments)


# --------------------------------------------------------------------------- #
# plot_history
# --------------------------------------------------------------------------- #

HISTORY = {
    "loss": [1.0, 0.5, 0.3, 0.2],
    "train_accuracy": [0.5, 0.7, 0.8, 0.9],
    "test_accuracy": [0.5, 0.6, 0.7, 0.75],
}


def test_history_puts_loss_left_and_accuracies_right():
    fig = plot_history(HISTORY)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # the loss axes and its twin
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["loss"]
    assert [line.get_label() for line in acc_ax.get_lines()] == ["train_accuracy", "test_accuracy"]
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_ydata(), HISTORY["loss"])
    assert acc_ax.get_ylim() == (0.0, 1.05)  # room above 1.0, so a perfect accuracy stays visible
    assert acc_ax.get_yticks()[-1] == 1.0
    assert loss_ax.get_yscale() == "linear"
    assert loss_ax.get_xlabel() == "epoch"


def test_history_has_one_legend_naming_every_curve():
    fig = plot_history(HISTORY)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    assert [t.get_text() for t in legends[0].get_texts()] == list(HISTORY)


def test_history_log_loss_and_extra_keys():
    history = {**HISTORY, "test_loss": [1.1, 0.7, 0.6, 0.6], "learning_rate": [0.1, 0.05]}
    fig = plot_history(history, log_loss=True)
    loss_ax = fig.axes[0]
    assert loss_ax.get_yscale() == "log"
    # "learning_rate" ends in neither "loss" nor "accuracy": not drawn, not even checked.
    assert [line.get_label() for line in loss_ax.get_lines()] == ["loss", "test_loss"]


def test_history_with_accuracy_only_uses_a_single_axes():
    fig = plot_history({"accuracy": [0.2, 0.9]})
    assert len(fig.axes) == 1
    assert fig.axes[0].get_ylim() == (0.0, 1.05)


def test_history_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    assert plot_history(HISTORY, ax=ax) is fig
    assert ax.get_lines()[0].get_label() == "loss"


@pytest.mark.parametrize(
    ("history", "kwargs", "error", "message"),
    [
        ([1.0, 0.5], {}, TypeError, "plot_history: history must be a dict of per-epoch lists"),
        (
            {"lr": [0.1]},
            {},
            ValueError,
            "plot_history: history needs a key ending in 'loss' or 'accuracy'; got keys ['lr']",
        ),
        (
            {"loss": [1.0, 0.5], "accuracy": [0.5]},
            {},
            ValueError,
            "must be 1-D sequences of the same length; got shapes {'loss': (2,), 'accuracy': (1,)}",
        ),
        ({"loss": []}, {}, ValueError, "history must hold at least 1 epoch"),
        (
            {"loss": [1.0], "accuracy": [95.0]},
            {},
            ValueError,
            "accuracies must be fractions in [0, 1]; got history['accuracy'] with min=95, max=95",
        ),
        (
            {"loss": [1.0, 0.0]},
            {"log_loss": True},
            ValueError,
            "log_loss=True needs losses > 0; got history['loss'] with min=0",
        ),
        ({"loss": ["high"]}, {}, TypeError, "history['loss'] must hold real numbers"),
        ({"loss": [1.0]}, {"ax": 3}, TypeError, "ax must be a matplotlib Axes or None; got int 3"),
    ],
)
def test_history_rejects_bad_arguments(history, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        plot_history(history, **kwargs)


# --------------------------------------------------------------------------- #
# plot_digits
# --------------------------------------------------------------------------- #


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    images = np.random.default_rng(0).integers(0, 17, size=(n, 64)).astype(np.float64)
    return images, np.arange(n) % 10


def test_digits_one_image_axes_per_digit():
    images, labels = _digits(11)
    fig = plot_digits(images, labels, ncols=4, title="some digits")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 11  # the unused cell of the 3 x 4 grid is removed
    assert all(len(ax.get_images()) == 1 for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes] == [str(label) for label in labels]
    np.testing.assert_array_equal(fig.axes[3].get_images()[0].get_array(), images[3].reshape(8, 8))
    assert fig.get_suptitle() == "some digits"


def test_digits_accepts_8x8_images_and_fewer_images_than_ncols():
    images, labels = _digits(3)
    fig = plot_digits(images.reshape(3, 8, 8), labels)
    assert len(fig.axes) == 3


def test_digits_titles_mistakes_in_red():
    images, labels = _digits(4)
    predicted = labels.copy()
    predicted[2] = 9
    fig = plot_digits(images, labels, predicted=predicted)
    titles = [ax.title for ax in fig.axes]
    assert titles[2].get_text() == "pred 9 / true 2"
    assert titles[0].get_text() == "pred 0 / true 0"
    assert same_color(titles[2].get_color(), "#d62728")
    assert all(not same_color(titles[i].get_color(), "#d62728") for i in (0, 1, 3))


@pytest.mark.parametrize(
    ("images", "labels", "kwargs", "error", "message"),
    [
        (
            np.zeros((0, 64)),
            np.zeros(0, dtype=int),
            {},
            ValueError,
            "plot_digits: need at least 1 image to plot; got images.shape=(0, 64)",
        ),
        (
            np.zeros((2, 63)),
            [0, 1],
            {},
            ValueError,
            "plot_digits: images must have shape (N, 64) or (N, 8, 8); got images.shape=(2, 63)",
        ),
        (
            np.zeros((2, 64)),
            [0, 1, 2],
            {},
            ValueError,
            "labels must have shape (2,); got labels.shape=(3,)",
        ),
        (
            np.zeros((2, 64)),
            [0, 1],
            {"predicted": [0]},
            ValueError,
            "predicted must have shape (2,)",
        ),
        (np.zeros((2, 64)), [0.0, 1.0], {}, TypeError, "labels must hold integer class ids"),
        (np.zeros((2, 64)), [0, 1], {"ncols": 0}, ValueError, "ncols must be >= 1; got ncols=0"),
    ],
)
def test_digits_rejects_bad_arguments(images, labels, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        plot_digits(images, labels, **kwargs)


# --------------------------------------------------------------------------- #
# plot_gradient_norms
# --------------------------------------------------------------------------- #


def test_gradient_norms_one_bar_per_layer_on_a_log_axis():
    norms = [1e-6, 1e-4, 1e-2, 1.0]
    ax = plot_gradient_norms(norms, title="vanishing")
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 4
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], norms)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4"]
    assert ax.get_legend() is None
    assert ax.get_title() == "vanishing"


def test_gradient_norms_grouped_bars_for_several_networks():
    norms = {"sigmoid": [1e-5, 1e-3, 1e-1], "relu": [0.5, 0.4, 0.6]}
    ax = plot_gradient_norms(norms, labels=["in", "hidden", "out"], log=False)
    assert len(ax.patches) == 6
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sigmoid", "relu"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["in", "hidden", "out"]
    sigmoid_bars, relu_bars = ax.patches[:3], ax.patches[3:]
    assert same_color(sigmoid_bars[0].get_facecolor(), CLASS_COLORS[0])
    assert same_color(relu_bars[0].get_facecolor(), CLASS_COLORS[1])
    # The two bars of a layer sit side by side, not on top of each other.
    assert sigmoid_bars[0].get_x() + sigmoid_bars[0].get_width() <= relu_bars[0].get_x() + 1e-9


@pytest.mark.parametrize(
    ("norms", "kwargs", "error", "message"),
    [
        (
            [],
            {},
            ValueError,
            "norms must be a 1-D sequence with one norm per layer; got shape (0,)",
        ),
        ({}, {}, ValueError, "plot_gradient_norms: norms must name at least 1 network"),
        (
            [0.1, -0.2],
            {},
            ValueError,
            "plot_gradient_norms: gradient norms must be finite and >= 0; got norms=[0.1, -0.2]",
        ),
        ([0.1, np.nan], {}, ValueError, "got norms=[0.1, nan]"),
        (
            {"a": [0.1, 0.2], "b": [0.1]},
            {},
            ValueError,
            "every network must have the same number of layers; got {'a': 2, 'b': 1}",
        ),
        ([0.0, 0.0], {}, ValueError, "log=True needs at least one norm > 0; got all zeros"),
        (
            [0.1, 0.2],
            {"labels": ["a"]},
            ValueError,
            "labels must be a sequence of 2 layer names; got labels=['a']",
        ),
        (["big"], {}, TypeError, "norms must hold real numbers"),
    ],
)
def test_gradient_norms_rejects_bad_arguments(norms, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        plot_gradient_norms(norms, **kwargs)


def test_gradient_norms_allows_a_dead_layer_on_a_linear_axis():
    ax = plot_gradient_norms([0.0, 0.3], log=False)
    assert [bar.get_height() for bar in ax.patches] == [0.0, 0.3]


# --------------------------------------------------------------------------- #
# plot_loss_surface
# --------------------------------------------------------------------------- #


def test_loss_surface_draws_the_curve():
    ws = np.linspace(-1.0, 1.0, 21)
    ax = plot_loss_surface(ws, ws**2, xlabel="$w_1$")
    assert isinstance(ax, Axes)
    (curve,) = ax.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), ws)
    np.testing.assert_array_equal(curve.get_ydata(), ws**2)
    assert ax.get_xlabel() == "$w_1$" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is None


def test_loss_surface_marks_the_current_point():
    ws = np.linspace(-1.0, 1.0, 21)
    ax = plot_loss_surface(ws, ws**2, current=(0.5, 0.25))
    _, marker = ax.get_lines()
    np.testing.assert_array_equal(marker.get_xdata(), [0.5])
    np.testing.assert_array_equal(marker.get_ydata(), [0.25])
    assert marker.get_marker() == "o" and marker.get_linestyle() == "None"
    assert ax.get_legend() is not None


@pytest.mark.parametrize(
    ("ws", "losses", "kwargs", "error", "message"),
    [
        (
            [0.0, 1.0, 2.0],
            [0.0, 1.0],
            {},
            ValueError,
            "plot_loss_surface: ws and losses must be 1-D with the same length M >= 2; "
            "got ws.shape=(3,), losses.shape=(2,)",
        ),
        ([0.0], [0.0], {}, ValueError, "got ws.shape=(1,), losses.shape=(1,)"),
        (
            [0.0, 1.0],
            [0.0, 1.0],
            {"current": (0.5,)},
            ValueError,
            "current must be a pair (w, loss) of finite numbers; got current=(0.5,)",
        ),
        ([0.0, 1.0], [0.0, 1.0], {"current": ("a", "b")}, TypeError, "current must hold real"),
        ([0.0, 1.0], ["a", "b"], {}, TypeError, "losses must hold real numbers"),
    ],
)
def test_loss_surface_rejects_bad_arguments(ws, losses, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        plot_loss_surface(ws, losses, **kwargs)
