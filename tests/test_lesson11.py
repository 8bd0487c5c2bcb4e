"""Lesson 11: init_mlp, gradient_norms, dead_relu_fraction and overfit_settings are judged truly
(banks of known mistakes and correct variants, through check() and as the grader's sandbox rebuilds
them), the debugging rules the lesson teaches hold with the numbers it prints, the planted bugs show
the symptoms the questions rely on, and the gradient-flow figures and widget work."""


import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from lesson_checks import (
    assert_full_bank,
    assert_reference_passes,
    bank_params,
    check_output,
    figures_of,
    judge_bank_entry,
    rebinding_cells,
    unlabelled,
)

from nnlib.activations import softmax
from nnlib.check import check_answer
from nnlib.data import load_digits
from nnlib.debugging import TINY_STEPS, label_entropy, planted_bug_runs, tiny_overfit
from nnlib.exercises import get_exercise, get_question, lesson11
from nnlib.mlp import Dense, dead_relu_fraction, init_mlp, loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step
from nnlib.training import train
from nnlib.widgets import gradient_flow
from nnlib.widgets.gradient_flow import (
    activation_stds,
    draw_activation_stds,
    draw_backward_pass,
    draw_gradient_flow,
    gradient_flow_explorer,
    layer_statistics,
)

EXERCISES = ("init_mlp", "gradient_norms", "dead_relu_fraction", "overfit_settings")


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_reference_passes_the_check_and_the_graders_cases(exercise_id):
    assert_reference_passes(exercise_id, seeds=(1, 2))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_has_a_full_bank(exercise_id):
    assert_full_bank(exercise_id)


@pytest.mark.parametrize(("exercise_id", "kind", "entry"), bank_params("11"))
def test_bank_entry(exercise_id, kind, entry):
    judge_bank_entry(exercise_id, kind, entry)


# -- init_mlp draws from the rng it is given -------------------------------------------------------


@pytest.mark.parametrize(("name", "fragment"), [
    ("_bug_global_numpy_random", "the same seed gave other weights"),
    ("_bug_own_fixed_seed", "another seed gave the same weights"),
    ("_bug_copy_of_the_generator", "never drew from the rng it was given"),
])
def test_init_mlp_that_does_not_draw_from_rng_fails(name, fragment):
    passed, out = check_output("init_mlp", getattr(lesson11, name))
    assert not passed and fragment in out, out


def test_init_mlp_from_a_child_generator_passes():
    passed, out = check_output("init_mlp", lesson11._ok_child_generator)
    assert passed, out


def test_init_mlp_large_cases_separate_the_fans():
    for case in get_exercise("init_mlp").cases()[:2]:
        d_in, d_out = case.args[0][:2]
        assert d_in * d_out >= 10_000 and d_in != d_out


def test_init_mlp_unknown_std_is_reported_with_its_ratio():
    def triple(sizes, rng, init="he", weight_std=None):
        return [Dense(3 * p.W, p.b) for p in init_mlp(sizes, rng, init, weight_std)]

    passed, out = check_output("init_mlp", triple)
    assert not passed and "3 times the expected sqrt(2 / D_in)" in out


# -- the debugging rules of section 5, with the lesson's numbers -----------------------------------


def _digits():
    X, y = load_digits()
    return X / 16.0, y


def test_overfitting_20_examples_does_not_catch_mispaired_labels():
    X, y = _digits()
    start = init_mlp([64, 32, 10], np.random.default_rng(0))
    results = {}
    for name, labels in (("right", y[:20]), ("shuffled", np.random.default_rng(100).permutation(y[:20]))):
        _, history = train(start, X[:20], labels, epochs=100, lr=1.0, batch_size=20,
                           rng=np.random.default_rng(0))
        results[name] = (round(history["loss"][-1], 4), history["accuracy"][-1])
    assert results == {"right": (0.0061, 1.0), "shuffled": (0.0111, 1.0)}


def test_a_label_independent_start_is_not_below_ln_c_even_with_the_label_in_the_inputs():
    X, y = _digits()
    with_labels = np.hstack([X, np.eye(10)[y]])
    losses = [loss_and_gradients(init_mlp([74, 32, 10], np.random.default_rng(s)), with_labels, y)[0]
              for s in range(10)]
    assert min(losses) > np.log(10) and (round(min(losses), 2), round(max(losses), 2)) == (2.37, 2.72)


def test_jensens_bound_holds_for_any_prediction_on_balanced_classes():
    rng = np.random.default_rng(0)
    for _ in range(100):
        p = softmax(rng.normal(size=10) * rng.uniform(0, 5))
        assert -np.mean(np.log(p)) >= np.log(10) - 1e-12  # the mean over the C classes of -ln p_c


def test_the_initial_losses_the_lesson_prints():
    X, y = _digits()
    net = init_mlp([64, 32, 10], np.random.default_rng(0))
    assert round(loss_and_gradients(net, X, y)[0], 4) == 2.3173
    assert round(loss_and_gradients(net, X * 16, y)[0], 4) == 9.4994
    quiet = [*net[:-1], Dense(net[-1].W * 0.01, net[-1].b)]  # the last layer started near zero
    assert round(loss_and_gradients(quiet, X * 16, y)[0], 4) == 2.2938
    probabilities = softmax(mlp_forward(X, net)[0])
    per_entry = np.mean(-np.eye(10)[y] * np.log(probabilities))  # the buggy loss: ln-loss / C
    assert per_entry == pytest.approx(loss_and_gradients(net, X, y)[0] / 10)


def test_he_init_does_not_start_at_ln_c():
    """'the spiral net of lesson 09 started at 1.2416 against ln 3'; He's deep nets start above ln 10."""
    from nnlib.data import make_spiral

    X, y = make_spiral(100, 3, rng=np.random.default_rng(1))
    assert round(loss_and_gradients(init_mlp([2, 32, 32, 3], np.random.default_rng(2)), X, y)[0], 4) == 1.2416


def test_relu_zeroes_about_half_of_the_gradient_and_he_keeps_the_layers_within_a_few():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(500, 64)), rng.integers(0, 10, size=500)
    ratios = {}
    for activation, init in (("relu", "he"), ("sigmoid", "xavier")):
        params = init_mlp([64] * 9 + [10], np.random.default_rng(1), init=init)
        _, caches = mlp_forward(X, params, hidden=activation)
        if activation == "relu":
            assert 0.4 < np.mean([np.mean(c.Z <= 0) for c in caches[:-1]]) < 0.6  # "about half"
        _, grads = loss_and_gradients(params, X, y, hidden=activation)
        norms = np.array([np.linalg.norm(g.W) for g in grads])
        ratios[activation] = norms.max() / norms.min()
    assert ratios["relu"] < 10 < 1000 < ratios["sigmoid"]  # "within a factor of a few" against ~4 per layer


def test_the_dead_network_is_stuck_at_the_label_entropy():
    X, y = _digits()
    X_100, y_100 = X[:100], y[:100]
    net = init_mlp([64, 64, 64, 10], np.random.default_rng(1))
    for _ in range(5):
        _, grads = loss_and_gradients(net, X_100, y_100)
        net = sgd_step(net, grads, lr=10.0)
    for _ in range(100):
        loss, grads = loss_and_gradients(net, X_100, y_100)
        net = sgd_step(net, grads, lr=0.3)
    Z = mlp_forward(X_100, net)[1][1].Z
    alive = ~np.all(Z <= 0, axis=0)
    assert alive.sum() == 1 and np.ptp(Z[:, alive]) == 0  # "the one left alive outputs a constant"
    assert round(label_entropy(y_100), 4) == 2.2925 == round(loss, 4)
    assert label_entropy(y_100) < np.log(10)


def test_label_entropy_checks_its_input():
    assert label_entropy(np.array([0, 1, 0, 1])) == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match="label_entropy: labels must be a non-empty 1-D array"):
        label_entropy(np.zeros((2, 2), dtype=int))


def test_the_planted_bugs_show_the_symptoms_the_questions_rely_on():
    runs = planted_bug_runs()
    symptoms = {}
    for name, run in runs.items():
        initial = loss_and_gradients(run.params, run.X_train, run.y_train)[0]
        _, tiny = train(run.params, run.X_train[:20], run.y_train[:20], epochs=100, lr=run.lr, batch_size=20,
                        rng=np.random.default_rng(0))
        trained, _ = train(run.params, run.X_train, run.y_train, epochs=run.epochs, lr=run.lr,
                           batch_size=run.batch_size, rng=np.random.default_rng(0))
        test = np.mean(mlp_forward(run.X_test, trained)[0].argmax(axis=1) == run.y_test)
        dead = dead_relu_fraction(mlp_forward(run.X_train, trained)[1])[0]
        symptoms[name] = (initial, tiny["accuracy"][-1], test, dead)
    a, b, c = symptoms["A"], symptoms["B"], symptoms["C"]
    assert a[0] < 2 * np.log(10) and a[1] == 1.0 and a[2] <= 0.15 and a[3] < 0.5  # mispaired
    assert b[0] < 2 * np.log(10) and b[1] < 0.5 and b[3] == 1.0  # the lr kills the ReLUs
    assert c[0] > 5 * np.log(10)  # unscaled: far above ln 10 before any step
    assert round(b[0], 2) == 2.43 and round(a[0], 2) == 2.71  # the numbers the feedback quotes


def test_tiny_overfit_reports_each_failure():
    assert tiny_overfit(0.3, 0.2).overfits
    assert tiny_overfit(0.01, 0.01).first_layer_norm < 1e-4  # vanishing
    assert tiny_overfit(3.0, 0.2).dead == 1.0  # dead ReLUs
    assert tiny_overfit(0.3, 1.0).losses[0] > 100  # far too large weights
    assert len(tiny_overfit(0.3, 0.2).losses) == TINY_STEPS + 1
    with pytest.raises(ValueError, match="tiny_overfit: lr must be a finite number > 0"):
        tiny_overfit(-1, 0.2)
    with pytest.raises(TypeError, match="tiny_overfit: weight_std must be a number"):
        tiny_overfit(0.1, "0.2")


# -- the notebook ----------------------------------------------------------------------------------


def test_demonstrations_never_rebind_a_learners_function_name():
    assert rebinding_cells("11") == []


def test_every_figure_has_axis_labels_and_a_title():
    figures = figures_of("11")
    assert len(figures) >= 7
    assert {cell: unlabelled(f) for cell, f in figures if unlabelled(f)} == {}


def test_the_stubs_say_what_to_compute_not_the_code():
    from lesson_checks import stubs

    for exercise_id, stub in stubs("11").items():
        for code in ("sqrt(2", "np.sqrt", "rng.normal(", "np.all(", "axis=0", "return 0."):
            assert code not in stub, f"{exercise_id}: the stub shows {code!r}"


def test_the_lesson_says_xavier_is_made_for_tanh_not_sigmoid():
    import nbformat
    from lesson_checks import solution

    cells = nbformat.read(solution("11"), as_version=4).cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "tanh and sigmoid" not in text.replace("\n", " ") and "tanh, sigmoid" not in text
    assert "as they nearly are for small random weights" not in text
    assert "the last layer sees only zeros" not in text
    flat = text.replace("\n", " ")
    assert "derivative is exactly 1 on active units, so it does not shrink" not in flat
    assert "labels leak into the inputs" not in flat and "do not help an untrained" in flat


# -- the concept questions ---------------------------------------------------------------------


@pytest.mark.parametrize(("question", "answer"), [("q11_1", "b"), ("q11_2", "c"), ("q11_3", "b"),
                                                  ("q11_4", "a")])
def test_the_concept_questions(question, answer, capsys):
    q = get_question(question)
    assert set(q.feedback) == set(q.choices)
    assert check_answer(question, answer)
    assert capsys.readouterr().out.startswith(f"{question}: correct.")
    for choice in set(q.choices) - {answer}:
        assert not check_answer(question, choice)


def test_the_planted_bug_answers_are_the_planted_bugs():
    from nnlib.debugging import PLANTED_BUGS

    answers = {"A": ("q11_2", "mispaired"), "B": ("q11_3", "kills"), "C": ("q11_4", "unscaled")}
    for run, (question, word) in answers.items():
        assert word in PLANTED_BUGS[run]
        q = get_question(question)
        assert q.feedback[q.answer].startswith("Right")


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
