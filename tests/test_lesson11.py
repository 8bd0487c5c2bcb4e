"""Lesson 11: init_mlp's statistics verifier, gradient_norms, dead_relu_fraction, the gradient-flow widget."""

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnlib.check import check, check_answer
from nnlib.exercises import get_exercise, get_question
from nnlib.layers import DenseCache
from nnlib.mlp import Dense, dead_relu_fraction, gradient_norms, init_mlp, mlp_forward
from nnlib.widgets import gradient_flow
from nnlib.widgets.gradient_flow import (
    activation_stds,
    draw_activation_stds,
    draw_backward_pass,
    draw_gradient_flow,
    gradient_flow_explorer,
    layer_statistics,
)

# --------------------------------------------------------------------------- #
# init_mlp
# --------------------------------------------------------------------------- #


def test_init_mlp_reference_passes(capsys):
    assert check("init_mlp", init_mlp)
    assert "init_mlp: all 8 checks passed" in capsys.readouterr().out


def _learner_init(bug=""):
    def init(sizes, rng, init="he", weight_std=None):
        params = []
        for d_in, d_out in itertools.pairwise(sizes):
            if init == "he":
                std = np.sqrt(2 / (d_out if bug == "fan_out" else d_in))
            elif init == "xavier":
                std = np.sqrt((6 if bug == "uniform limit" else 2) / (d_in + d_out))
            else:
                std = 0.01 if weight_std is None or bug == "ignores weight_std" else weight_std
            if bug == "variance":
                std = std**2
            shape = (d_out, d_in) if bug == "transposed" else (d_in, d_out)
            if bug == "uniform":
                W = rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=shape)
            elif bug == "rand":
                W = rng.random(shape) * std
            elif bug == "float32":
                W = rng.normal(0.0, std, size=shape).astype(np.float32)
            else:
                W = rng.normal(0.0, std, size=shape)
            b = rng.normal(size=d_out) if bug == "random bias" else np.zeros(d_out)
            params.append((W, b) if bug == "plain tuple" else Dense(W, b))
        if bug == "one layer short":
            params = params[:-1]
        return params

    return init


def test_the_correct_learner_version_passes():
    assert check("init_mlp", _learner_init(), quiet=True)


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ("fan_out", "He with the wrong fan: you used fan_out = D_out = 100; He uses fan_in = D_in = 400"),
        ("transposed", "W has shape (100, 400) = (D_out, D_in), transposed"),
        ("variance", "you used the variance 2 / D_in as the standard deviation"),
        ("uniform limit", "is the *limit* a of the uniform Xavier variant"),
        ("uniform", "do not look normally distributed (kurtosis 1.8"),
        ("rand", "should be centred on 0"),
        ("random bias", "b must start at zero"),
        ("plain tuple", "not a plain tuple or list"),
        ("float32", "W must be float64; got dtype float32"),
        ("ignores weight_std", "the weight_std=0.05 you were given was ignored"),
        ("one layer short", "expected a list of 1 Dense(W, b)"),
    ],
)
def test_init_mlp_bugs_are_named(bug, fragment, capsys):
    result = check("init_mlp", _learner_init(bug))
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out


def test_init_mlp_unknown_std_is_reported_with_its_ratio(capsys):
    def triple(sizes, rng, init="he", weight_std=None):
        return [Dense(3 * p.W, p.b) for p in init_mlp(sizes, rng, init, weight_std)]

    assert not check("init_mlp", triple)
    assert "3 times the expected sqrt(2 / D_in)" in capsys.readouterr().out


def test_init_mlp_constant_weights(capsys):
    def constant(sizes, rng, init="he", weight_std=None):
        return [Dense(np.full((a, b), 0.05), np.zeros(b)) for a, b in itertools.pairwise(sizes)]

    assert not check("init_mlp", constant)
    assert "every weight is 0.05; draw them at random" in capsys.readouterr().out


def test_init_mlp_large_cases_separate_the_fans():
    # The std test only catches the wrong fan if the checked layers are large and not square.
    for case in get_exercise("init_mlp").cases()[:2]:
        d_in, d_out = case.args[0][:2]
        assert d_in * d_out >= 10_000 and d_in != d_out


# --------------------------------------------------------------------------- #
# gradient_norms
# --------------------------------------------------------------------------- #


def test_gradient_norms_reference_passes(capsys):
    assert check("gradient_norms", gradient_norms)
    assert "gradient_norms: all 7 checks passed" in capsys.readouterr().out


def _not_implemented_norms(grads):
    raise NotImplementedError("Exercise gradient_norms: ...")


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda grads: np.array([np.sqrt(np.sum(g.W**2) + np.sum(g.b**2)) for g in grads]),
         "the norm includes db"),
        (lambda grads: np.array([np.sum(g.W**2) for g in grads]), "this is the squared norm"),
        (lambda grads: np.array([np.linalg.norm(g.W, 2) for g in grads]), "largest singular value"),
        (lambda grads: np.array([np.sqrt(np.mean(g.W**2)) for g in grads]), "root *mean* square"),
        (lambda grads: np.array([np.abs(g.W).max() for g in grads]), "this is the largest |entry|"),
        (lambda grads: [np.linalg.norm(g.W) for g in grads], "return one ndarray with one number per layer"),
        (lambda grads: np.array([np.linalg.norm(g.W) for g in grads])[::-1],
         "the norms are in reverse order"),
        (_not_implemented_norms, "gradient_norms: not implemented yet"),
    ],
)
def test_gradient_norms_bugs_are_named(wrong, fragment, capsys):
    result = check("gradient_norms", wrong)
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out


def test_np_linalg_norm_with_its_default_is_accepted():
    assert check("gradient_norms", lambda grads: np.array([np.linalg.norm(g.W) for g in grads]), quiet=True)


# --------------------------------------------------------------------------- #
# dead_relu_fraction
# --------------------------------------------------------------------------- #


def test_dead_relu_fraction_reference_passes(capsys):
    assert check("dead_relu_fraction", dead_relu_fraction)
    assert "dead_relu_fraction: all 5 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda caches: np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches]),
         "the output layer was counted"),
        (lambda caches: np.array([np.mean(np.all(c.Z < 0, axis=0)) for c in caches[:-1]]),
         "a unit with Z exactly 0 is dead too"),
        (lambda caches: np.array([np.mean(np.any(c.Z <= 0, axis=0)) for c in caches[:-1]]),
         "a unit is dead only if Z <= 0 for *every* example"),
        (lambda caches: np.array([np.mean(np.all(c.Z <= 0, axis=1)) for c in caches[:-1]]),
         "use axis=0"),
        (lambda caches: np.array([np.mean(c.Z <= 0) for c in caches[:-1]]),
         "this is the fraction of zero outputs"),
        (lambda caches: np.array([np.sum(np.all(c.Z <= 0, axis=0)) for c in caches[:-1]]),
         "these are counts of dead units"),
        (lambda caches: [np.mean(np.all(c.Z <= 0, axis=0)) for c in caches[:-1]],
         "return one ndarray with one number per layer"),
        (lambda caches: np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches[1:]]),
         "the first hidden layer was skipped"),
    ],
)
def test_dead_relu_fraction_bugs_are_named(wrong, fragment, capsys):
    result = check("dead_relu_fraction", wrong)
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out


def test_dead_units_measured_on_the_next_layers_input_are_accepted():
    # relu(Z) <= 0 exactly when Z <= 0, and caches[i + 1].X = relu(caches[i].Z): also right.
    def via_next_input(caches):
        return np.array([np.mean(np.all(caches[i + 1].X <= 0, axis=0)) for i in range(len(caches) - 1)])

    assert check("dead_relu_fraction", via_next_input, quiet=True)


def test_dead_relu_cases_contain_dead_and_living_units():
    cases = get_exercise("dead_relu_fraction").cases()
    fractions = np.concatenate([dead_relu_fraction(c.args[0]) for c in cases])
    assert (fractions == 0).any() and (fractions == 1).any() and ((fractions > 0) & (fractions < 1)).any()
    assert all(isinstance(cache, DenseCache) for c in cases for cache in c.args[0])


# --------------------------------------------------------------------------- #
# q11_1
# --------------------------------------------------------------------------- #


def test_q11_1_right_answer(capsys):
    assert check_answer("q11_1", "b")
    assert "q11_1: correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("choice", "fragment"),
    [
        ("a", "The ratio between layers is the problem"),
        ("c", "There is no ReLU in this network"),
        ("d", "says nothing about how the gradient changes from one layer to the next"),
    ],
)
def test_q11_1_wrong_answers_explain(choice, fragment, capsys):
    assert not check_answer("q11_1", choice)
    out = capsys.readouterr().out
    assert "not quite" in out and fragment in out


def test_q11_1_every_choice_has_feedback():
    q = get_question("q11_1")
    assert set(q.feedback) == set(q.choices)


# --------------------------------------------------------------------------- #
# the gradient-flow figures and widget
# --------------------------------------------------------------------------- #


@pytest.fixture(autouse=True)
def _agg_backend():
    """Draw off-screen: the widget tests render figures without a display."""
    backend = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    plt.close("all")
    plt.switch_backend(backend)


def test_activation_stds_show_collapse_explosion_and_stability():
    small = activation_stds("relu", "normal", weight_std=0.01, depth=6, width=64, n=100)
    large = activation_stds("relu", "normal", weight_std=1.0, depth=6, width=64, n=100)
    he = activation_stds("relu", "he", depth=6, width=64, n=100)
    assert small.shape == large.shape == he.shape == (6,)
    assert small[-1] < 1e-3 * small[0] and large[-1] > 1e3 * large[0]  # about 5.7x per layer
    assert 0.3 < he[-1] / he[0] < 3


def test_activation_stds_use_the_given_init_function():
    calls = []

    def spy(sizes, rng, init, weight_std):
        calls.append((tuple(sizes), init))
        return init_mlp(sizes, rng, init, weight_std)

    activation_stds("tanh", "xavier", depth=3, width=16, n=10, init_fn=spy)
    assert calls == [((16, 16, 16, 16), "xavier")]


def test_layer_statistics_sigmoid_gradients_vanish_towards_the_input():
    stds, norms, loss = layer_statistics("sigmoid", "xavier", depth=6, width=32, n=50)
    assert stds.shape == (6,) and norms.shape == (7,)
    assert norms[0] < 1e-2 * norms[-1]
    assert np.isfinite(loss)


def test_drawing_functions_return_their_axes():
    ax = draw_backward_pass(n_layers=2)
    assert len(ax.patches) > 0
    ax = draw_activation_stds({"a": [1.0, 0.5, 0.25]})
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    fig = draw_gradient_flow([1.0, 0.1], [1e-3, 1e-2, 1e-1], title="t")
    assert len(fig.axes) == 2
    plt.close("all")


def test_draw_backward_pass_rejects_bad_depth():
    with pytest.raises(ValueError, match="n_layers must be an int from 1 to 4"):
        draw_backward_pass(n_layers=7)


def test_explorer_redraws_when_a_control_changes(monkeypatch):
    box = gradient_flow_explorer(width=16, n=20)
    (activation, init), depth, out = box.children[0].children, box.children[1], box.children[2]
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"]  # the first, real drawing
    # Record the later redraws instead of rendering them (a PNG each is slow).
    titles = []
    monkeypatch.setattr(gradient_flow, "show_figure",
                        lambda output, fig: titles.append((output is out, fig._suptitle.get_text())))
    depth.value = 3
    activation.value = "sigmoid"
    init.value = "he"
    assert [shown for shown, _ in titles] == [True, True, True]
    assert "relu, normal, std 0.01, 3 hidden layers" in titles[0][1]
    assert "sigmoid, normal, std 0.01, 3 hidden layers" in titles[1][1]
    assert "sigmoid, he, 3 hidden layers" in titles[2][1]


def test_mlp_forward_with_the_drawn_params_is_consistent():
    # The explorer's nets are plain nnlib nets: a forward pass on them works and is finite.
    params = init_mlp([8, 8, 3], np.random.default_rng(0))
    out, _ = mlp_forward(np.ones((2, 8)), params)
    assert np.all(np.isfinite(out))
