"""The map of the course: every lesson's number, title, time, core idea and exercises.

This is the single source of truth for the course outline. The welcome lesson
draws it (:func:`draw_course_map`), the README and the instructor guide print it
(:func:`course_map_markdown`), and the tests compare it with the exercise registry.

>>> [lesson.number for lesson in LESSONS][:3]
['00', '01', '02']
>>> get_lesson("07").exercises
('sgd_step', 'train_neuron')
"""

from __future__ import annotations

import itertools
import textwrap
from typing import NamedTuple

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from nnlib.plots import axes_or_new

__all__ = ["LESSONS", "PARTS", "Lesson", "course_map_markdown", "draw_course_map", "get_lesson",
           "part_of", "total_minutes"]


class Lesson(NamedTuple):
    """One row of the course map."""

    number: str  #: "00" .. "11", the prefix of the notebook's file name
    title: str
    minutes: int  #: estimated time for a learner, as stated in the notebook
    core_idea: str  #: one line
    exercises: tuple[str, ...]  #: exercise ids (= names of the functions the learner writes)


LESSONS: tuple[Lesson, ...] = (
    Lesson("00", "Welcome", 10,
           "how the course works: exercises, check(), hints, nnlib doctor", ()),
    Lesson("01", "A single neuron", 45,
           "pre-activation z = w·x + b, for one input and for a batch (Z = XW + b); geometry of w and b: "
           "the line z = 0, signed distances",
           ("preactivation", "dense_preactivation", "signed_distance", "line_through")),
    Lesson("02", "Activation functions", 70,
           "why a nonlinearity; sigmoid, tanh, ReLU and softmax, their derivatives, saturation, "
           "overflow and accuracy",
           ("collapse_linear", "sigmoid", "tanh", "relu", "sigmoid_derivative", "tanh_derivative",
            "relu_derivative", "softmax", "softmax_jacobian", "two_class_logit")),
    Lesson("03", "Forward propagation", 55,
           "a layer is a weighted sum, a bias and an activation; stacking layers; feed-forward means "
           "no cycles; XOR by hand",
           ("dense_forward", "mlp_forward", "forward_order")),
    Lesson("04", "Loss functions", 45,
           "MSE, binary and softmax cross-entropy, BCE from logits; the initial loss is about ln C",
           ("mse_loss", "binary_cross_entropy", "sigmoid_cross_entropy", "softmax_cross_entropy")),
    Lesson("05", "The chain rule", 75,
           "derivatives as sensitivities; computational graphs; gates; build a micrograd-style engine",
           ("numerical_derivative", "multiply_backward", "max_backward", "value_mul_backward",
            "value_tanh_backward", "topological_order", "f_gradients")),
    Lesson("06", "Backprop in a neuron", 40,
           "dL/dw and dL/db of a sigmoid neuron with BCE (dL/dz = a − y); gradient checking",
           ("neuron_gradients",)),
    Lesson("07", "Gradient descent", 50,
           "step opposite the gradient, θ ← θ − η∇L; the training loop; learning rate from loss curves, "
           "epochs and divergence",
           ("sgd_step", "train_neuron")),
    Lesson("08", "Backprop through a layer", 55,
           "backward through an activation, a dense layer, softmax cross-entropy and MSE (derived alone, "
           "graded by a gradient check)",
           ("activation_backward", "dense_backward", "softmax_cross_entropy_backward", "mse_loss_backward")),
    Lesson("09", "Backprop through an MLP", 50,
           "the full backward pass, output to input, checked against numerical gradients",
           ("mlp_backward", "loss_and_gradients")),
    Lesson("10", "Training a network", 60,
           "mini-batches, the training loop, accuracy, train vs test; digits at 97 % or more",
           ("iterate_minibatches", "accuracy", "train", "early_stopping")),
    Lesson("11", "Training health", 45,
           "initialization, vanishing gradients, dead ReLUs, overfitting a tiny set to debug",
           ("init_mlp", "gradient_norms", "dead_relu_fraction", "overfit_settings")),
)

#: The parts of the course, in order: (name, lesson numbers).
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Start", ("00",)),
    ("Forward", ("01", "02", "03", "04")),
    ("Backward", ("05", "06", "07", "08", "09")),
    ("Training", ("10", "11")),
)

# Fill and edge colour of each part's boxes: light fills keep the text readable.
_PART_COLORS = {
    "Start": ("#eeeeee", "#777777"),
    "Forward": ("#dbe9f6", "#1f77b4"),
    "Backward": ("#fde4cc", "#d9650b"),
    "Training": ("#dcf0dc", "#2ca02c"),
}


def get_lesson(number: str) -> Lesson:
    """The lesson numbered ``number`` ("00" .. "11")."""
    for lesson in LESSONS:
        if lesson.number == number:
            return lesson
    known = ", ".join(lesson.number for lesson in LESSONS)
    raise ValueError(f"get_lesson: no lesson {number!r}; known numbers: {known}")


def part_of(number: str) -> str:
    """The name of the part ("Start", "Forward", "Backward", "Training") holding a lesson."""
    for name, numbers in PARTS:
        if number in numbers:
            return name
    known = ", ".join(lesson.number for lesson in LESSONS)
    raise ValueError(f"part_of: no lesson {number!r}; known numbers: {known}")


def total_minutes() -> int:
    """Estimated time of the whole course, in minutes."""
    return sum(lesson.minutes for lesson in LESSONS)


def course_map_markdown() -> str:
    """The course map as a markdown table: lesson, title, minutes, core idea, and a total row."""
    rows = ["| lesson | title | minutes | core idea |", "|---|---|---:|---|"]
    for lesson in LESSONS:
        idea = lesson.core_idea.replace("|", r"\|")
        rows.append(f"| {lesson.number} | {lesson.title} | {lesson.minutes} | {idea} |")
    hours, minutes = divmod(total_minutes(), 60)
    rows.append(f"| | **total** | **{total_minutes()}** | about {hours} h {minutes:02d} min |")
    return "\n".join(rows)


# Layout of the map, in data units: one row per part, lessons left to right.
_BOX_W, _BOX_H = 2.0, 1.0
_COL_STEP, _ROW_STEP = 2.4, 1.5
_LABEL_X = -0.35  # right edge of the part names, left of the first column


def _box_centre(row: int, col: int) -> tuple[float, float]:
    return col * _COL_STEP + _BOX_W / 2, -row * _ROW_STEP


def draw_course_map(ax: Axes | None = None) -> Axes:
    """Draw the course as a path of boxes, one row per part, arrows in lesson order.

    Each box shows the lesson's number, title and estimated minutes; its colour
    is its part's (Start, Forward, Backward, Training).

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 9 x 4 inch figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new("draw_course_map", ax, figsize=(9, 4))

    centres = {}
    for row, (part, numbers) in enumerate(PARTS):
        fill, edge = _PART_COLORS[part]
        ax.text(_LABEL_X, -row * _ROW_STEP, part, ha="right", va="center", fontsize=10,
                fontweight="bold", color=edge)
        for col, number in enumerate(numbers):
            lesson = get_lesson(number)
            x, y = _box_centre(row, col)
            centres[number] = (x, y)
            ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                        boxstyle="round,pad=0,rounding_size=0.12",
                                        facecolor=fill, edgecolor=edge, linewidth=1.2))
            title = "\n".join(textwrap.wrap(lesson.title, 16))
            ax.text(x, y + 0.3, lesson.number, ha="center", va="center", fontsize=9, fontweight="bold")
            ax.text(x, y - 0.02, title, ha="center", va="center", fontsize=8, linespacing=1.0)
            ax.text(x, y - 0.35, f"{lesson.minutes} min", ha="center", va="center", fontsize=7,
                    color="#555555")

    # Arrows in lesson order: along a row, or from a row's last box to the next row's first.
    numbers = [lesson.number for lesson in LESSONS]
    for a, b in itertools.pairwise(numbers):
        (xa, ya), (xb, yb) = centres[a], centres[b]
        if ya == yb:
            start, end = (xa + _BOX_W / 2, ya), (xb - _BOX_W / 2, yb)
        else:
            start, end = (xa, ya - _BOX_H / 2), (xb, yb + _BOX_H / 2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10,
                                     color="#444444", linewidth=1.0, shrinkA=2, shrinkB=2))

    hours, minutes = divmod(total_minutes(), 60)
    ax.text(_box_centre(0, 1)[0] - _BOX_W / 2, 0.0,
            f"Neural networks from the neuron up\n{len(LESSONS)} lessons, about {hours} h {minutes:02d} min",
            ha="left", va="center", fontsize=10)
    n_cols = max(len(numbers) for _, numbers in PARTS)
    ax.set_xlim(_LABEL_X - 1.3, (n_cols - 1) * _COL_STEP + _BOX_W + 0.1)
    ax.set_ylim(-(len(PARTS) - 1) * _ROW_STEP - _BOX_H / 2 - 0.1, _BOX_H / 2 + 0.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
