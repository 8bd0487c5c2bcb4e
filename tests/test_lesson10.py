"""Lesson 10: iterate_minibatches, accuracy, train and early_stopping are judged truly (banks of known
mistakes and correct variants, through check() and as the grader's sandbox rebuilds them; the
properties the lesson pins down, each with its own message), the lesson's numbers are recomputed,
its demonstrations never rebind a name, and the live plot redraws in place."""


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

from nnlib.check import check_answer
from nnlib.data import load_digits, make_blobs, train_test_split
from nnlib.exercises import get_exercise, get_question, lesson10
from nnlib.losses import softmax_cross_entropy
from nnlib.mlp import init_mlp, mlp_forward
from nnlib.training import accuracy, early_stopping, train
from nnlib.widgets import live_plot

EXERCISES = ("iterate_minibatches", "accuracy", "train", "early_stopping")


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_reference_passes_the_check_and_the_graders_cases(exercise_id):
    assert_reference_passes(exercise_id, seeds=(1, 2, 3))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_has_a_full_bank(exercise_id):
    assert_full_bank(exercise_id)


@pytest.mark.parametrize(("exercise_id", "kind", "entry"), bank_params("10"))
def test_bank_entry(exercise_id, kind, entry):
    judge_bank_entry(exercise_id, kind, entry)


def test_the_registry_entries():
    assert get_exercise("train").harness is not None
    assert get_exercise("iterate_minibatches").harness is not None
    assert set(get_exercise("train").prerequisites) == {
        "iterate_minibatches", "loss_and_gradients", "sgd_step", "mlp_forward", "accuracy", "Dense"}
    for exercise_id in EXERCISES:
        ex = get_exercise(exercise_id)
        assert ex.lesson == "10" and len(ex.hints) == 3 and len(set(ex.hints)) == 3
        assert ex.hidden_cases is not None


# -- iterate_minibatches: the properties, not one recipe -----------------------------------------


@pytest.mark.parametrize("name", ["_ok_fisher_yates", "_ok_argsort_of_random_keys", "_ok_child_generator"])
def test_the_shuffles_that_failed_before_pass(name):
    passed, out = check_output("iterate_minibatches", getattr(lesson10, name))
    assert passed, out


@pytest.mark.parametrize(("name", "fragment"), [
    ("_bug_global_random", "the same seed gave other batches"),
    ("_bug_own_seeded_generator", "another seed gave the same batches"),
    ("_bug_copies_the_generator", "two epochs in a row got the same batches"),
])
def test_each_property_of_the_randomness_has_its_own_message(name, fragment):
    passed, out = check_output("iterate_minibatches", getattr(lesson10, name))
    assert not passed and fragment in out, out


def test_a_function_that_never_draws_from_rng_is_told_so():
    def fixed_but_other(X, y, batch_size, rng):
        order = np.random.default_rng(int(X[0, 0]) + len(X)).permutation(len(X))  # a seed from the data
        for start in range(0, len(X), batch_size):
            yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]

    passed, out = check_output("iterate_minibatches", fixed_but_other)
    assert not passed and "another seed gave the same batches" in out, out


# -- accuracy ---------------------------------------------------------------------------------


def test_the_first_accuracy_case_tells_every_usual_mistake_apart():
    logits, labels = lesson10._SQUARE_LOGITS, lesson10._SQUARE_LABELS
    expected = accuracy(logits, labels)
    values = [expected] + [v for v, _ in lesson10._accuracy_slips(logits, labels, expected)]
    assert len(set(np.round(values, 9))) == len(values) and 0 not in values
    assert values == pytest.approx([5 / 8, 5, 62.5, 3 / 8, 2 / 8, 1 / 8, 4 / 8, 7 / 8])  # as commented


def test_a_zero_names_no_single_cause():
    passed, out = check_output("accuracy", lesson10._bug_scores_not_positions)
    assert not passed
    assert "no row counted as correct, though 5 of 8 are" in out
    assert "likely cause" not in out


# -- train: pinned to what the lesson asks -----------------------------------------------------


def test_a_correct_train_over_another_valid_shuffle_passes(monkeypatch):
    """The learner's own iterate_minibatches may shuffle otherwise: train is judged on its batches."""
    monkeypatch.setattr(lesson10, "iterate_minibatches", lesson10._ok_argsort_of_random_keys)
    passed, out = check_output("train", lesson10._ok_callback_gets_a_copy)
    assert passed, out


@pytest.mark.parametrize(("name", "fragment"), [
    ("_bug_batches_reused", "shuffled once and reused"),
    ("_bug_numpy_permutation", "never drew from rng"),
    ("_bug_unweighted_mean", "the plain mean of the batch losses"),
    ("_bug_sum_of_batch_means", "the sum of the batch losses"),
    ("_bug_accuracy_of_last_batch", "the accuracy on the last batch"),
    ("_bug_permutation_per_batch", "than one shuffle per epoch"),
    ("_bug_contiguous_blocks", "the trained params differ from SGD over the batches"),
    ("_bug_small_batch_first_train", "the trained params differ from SGD over the batches"),
])
def test_the_wrong_trains_that_passed_before_now_fail(name, fragment):
    passed, out = check_output("train", getattr(lesson10, name))
    assert not passed and fragment in out, out


def test_a_train_whose_callback_gets_a_copy_passes():
    passed, out = check_output("train", lesson10._ok_callback_gets_a_copy)
    assert passed, out


@pytest.mark.parametrize("returned", [None, "params", {"loss": [1.0]}, (1.0, 2.0), ([], {})])
def test_the_train_verifier_survives_odd_results(returned):
    def odd(*args, **kwargs):
        return returned

    passed, out = check_output("train", odd)
    assert not passed and "Traceback" not in out and "train: 0 of 5 checks passed" in out, out


# -- early_stopping ---------------------------------------------------------------------------


def test_early_stopping_cases_have_an_interior_best_epoch_and_one_batch_per_epoch():
    cases = get_exercise("early_stopping").cases()
    bests = []
    for case in cases:
        X = case.args[1]
        assert case.kwargs["batch_size"] >= len(X)  # the shuffle cannot matter
        _, report = early_stopping(*case.args, **case.kwargs)
        bests.append((report["best_epoch"], case.kwargs["epochs"]))
    assert any(1 < best < epochs for best, epochs in bests)  # a best epoch that is not the last


def test_the_early_stopping_demo_numbers():
    """Section 5: best epoch 22, test loss 0.913 against 0.974, accuracy 0.760 both."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, 0.2, np.random.default_rng(0))
    X_fit, X_val, y_fit, y_val = train_test_split(X_train[:100], y_train[:100], 0.5, np.random.default_rng(1))
    start = init_mlp([64, 64, 10], np.random.default_rng(6))
    kwargs = {"epochs": 100, "lr": 0.5, "batch_size": 25}
    best, report = early_stopping(start, X_fit, y_fit, X_val, y_val, rng=np.random.default_rng(6), **kwargs)
    last, _ = train(start, X_fit, y_fit, rng=np.random.default_rng(6), **kwargs)
    assert report["best_epoch"] == 22 and round(report["gap"], 2) == 0.30
    losses = [round(softmax_cross_entropy(mlp_forward(X_test, p)[0], y_test), 3) for p in (best, last)]
    assert losses == [0.913, 0.974]
    assert [round(accuracy(mlp_forward(X_test, p)[0], y_test), 3) for p in (best, last)] == [0.760, 0.760]


# -- the lesson's other numbers -----------------------------------------------------------------


def _digits_split(seed=0):
    X, y = load_digits()
    return train_test_split(X / 16, y, 0.2, np.random.default_rng(seed))


@pytest.mark.slow
def test_the_capstone_recipe_over_20_random_splits():
    """The capstone's claim: mean 97.6 %, from 96.4 % to 98.9 %, 17 of 20 at 97 % or more."""
    accuracies = []
    for seed in range(20):
        X_train, X_test, y_train, y_test = _digits_split(seed)
        rng = np.random.default_rng(seed + 100)
        params, _ = train(init_mlp([64, 64, 10], rng), X_train, y_train, epochs=40, lr=0.5, batch_size=32,
                          rng=rng)
        accuracies.append(accuracy(mlp_forward(X_test, params)[0], y_test))
    accuracies = np.array(accuracies)
    assert round(accuracies.mean(), 3) == 0.976
    assert round(accuracies.min(), 3) == 0.964 and round(accuracies.max(), 3) == 0.989
    assert int(np.sum(accuracies >= 0.97)) == 17


def test_the_capstone_on_this_notebooks_split():
    X_train, X_test, y_train, y_test = _digits_split()
    rng = np.random.default_rng(1)
    params, _ = train(init_mlp([64, 64, 10], rng), X_train, y_train, epochs=40, lr=0.5, batch_size=32,
                      rng=rng)
    assert round(accuracy(mlp_forward(X_test, params)[0], y_test), 3) == 0.983  # "98.3 %"


def test_the_first_epochs_test_loss_lies_below_the_running_training_loss():
    """Said next to the overfitting figure, and explained: the training curve is measured mid-epoch."""
    X_train, X_test, y_train, y_test = _digits_split()
    rng = np.random.default_rng(0)
    recorder = live_plot.LivePlot(epochs=5, test=(X_test, y_test), show=False)
    train(init_mlp([64, 64, 10], rng), X_train[:50], y_train[:50], epochs=5, lr=0.5, batch_size=25, rng=rng,
          callback=recorder.update)
    assert recorder.curves["test loss"][0] < recorder.curves["train loss"][0]


def test_the_unsupported_shuffle_claim_is_gone():
    import nbformat
    from lesson_checks import solution

    text = "\n".join(c.source for c in nbformat.read(solution("10"), as_version=4).cells)
    assert "shuffle matters here" not in text and "96.6 %" not in text


# -- the notebook --------------------------------------------------------------------------------


def test_demonstrations_never_rebind_a_learners_function_name():
    assert rebinding_cells("10") == []


def test_every_figure_has_axis_labels_and_a_title(agg):
    figures = figures_of("10")
    assert len(figures) >= 8
    assert {cell: unlabelled(f) for cell, f in figures if unlabelled(f)} == {}


def test_the_stubs_say_what_to_compute_not_the_code():
    from lesson_checks import stubs

    for exercise_id, stub in stubs("10").items():
        for code in ("rng.permutation(", "argmax(", "sgd_step(params", "yield X["):
            assert code not in stub, f"{exercise_id}: the stub shows {code!r}"


# -- the concept questions -------------------------------------------------------------------


@pytest.mark.parametrize(("question", "answer"), [("q10_1", "b"), ("q10_2", "c"), ("q10_3", "d")])
def test_the_concept_questions(question, answer, capsys):
    q = get_question(question)
    assert set(q.feedback) == set(q.choices)
    assert check_answer(question, answer)
    assert capsys.readouterr().out.startswith(f"{question}: correct.")
    for choice in set(q.choices) - {answer}:
        assert not check_answer(question, choice)
        assert q.feedback[choice] in capsys.readouterr().out


# -- the live plot -----------------------------------------------------------------------------


class FakeHandle:
    def __init__(self):
        self.updates = 0

    def update(self, obj):
        assert obj.data[:8] == b"\x89PNG\r\n\x1a\n"
        self.updates += 1


def _run_with_live_plot(live, epochs=6):
    rng = np.random.default_rng(0)
    from nnlib.mlp import init_mlp

    X, y = make_blobs(10, [[-2.0, 0.0], [2.0, 0.0]], 0.5, rng)
    return train(init_mlp([2, 4, 2], rng), X, y, epochs=epochs, lr=0.3, batch_size=8, rng=rng,
                 callback=live.update)


def test_the_live_plot_records_every_epoch_and_redraws_one_figure_in_place(agg, monkeypatch):
    import IPython.display

    handle = FakeHandle()
    shown = []

    def display(obj, display_id=False):
        assert display_id is True and obj.data[:4] == b"\x89PNG"
        shown.append(obj)
        return handle

    monkeypatch.setattr(IPython.display, "display", display)
    rng = np.random.default_rng(1)
    X_test, y_test = rng.normal(size=(7, 2)), rng.integers(0, 2, size=7)
    live = live_plot.LivePlot(epochs=6, test=(X_test, y_test), every=2)
    params, history = _run_with_live_plot(live)

    assert len(shown) == 1  # displayed once...
    assert handle.updates == 2  # ...then updated in place after epochs 4 and 6
    assert live.redraws == 3
    assert live.curves["train loss"] == history["loss"]
    assert live.curves["train accuracy"] == history["accuracy"]
    logits, _ = mlp_forward(X_test, params)
    assert live.curves["test accuracy"][-1] == accuracy(logits, y_test)
    loss_ax, accuracy_ax = live.figure.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "test"]
    np.testing.assert_allclose(accuracy_ax.get_lines()[0].get_ydata(), history["accuracy"])
    assert len(loss_ax.get_lines()[0].get_xdata()) == 6
    assert live.figure._suptitle.get_text().startswith("epoch 6/6 · train loss ")
    assert "test accuracy" in live.title()


def test_a_hidden_live_plot_only_records_until_asked_to_draw(agg):
    live = live_plot.LivePlot(epochs=4, show=False)
    _, history = _run_with_live_plot(live, epochs=4)
    assert live.redraws == 0 and not live.figure.axes[0].get_lines()
    assert set(live.curves) == {"train loss", "train accuracy"}
    live.redraw()
    assert live.redraws == 1
    np.testing.assert_allclose(live.figure.axes[0].get_lines()[0].get_ydata(), history["loss"])
    assert live.png()[:4] == b"\x89PNG"


def test_the_default_redraws_about_8_times(agg, monkeypatch):
    import IPython.display

    handle = FakeHandle()
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=False: handle)
    monkeypatch.setattr(live_plot.LivePlot, "png", lambda self, dpi=80: b"\x89PNG\r\n\x1a\n")  # fast
    live = live_plot.LivePlot(epochs=40)
    assert live.every == 5
    for epoch in range(1, 41):
        live.update(epoch, None, {"loss": [1.0 / epoch], "accuracy": [0.5]})
    assert live.redraws == 8 and handle.updates == 7


def test_the_live_plot_refuses_a_second_run_and_bad_arguments(agg):
    live = live_plot.LivePlot(epochs=2, show=False)
    live.update(1, None, {"loss": [1.0], "accuracy": [0.5]})
    with pytest.raises(ValueError, match="expected epoch 2"):
        live.update(1, None, {"loss": [1.0], "accuracy": [0.5]})
    live.update(2, None, {"loss": [0.5], "accuracy": [0.7]})
    with pytest.raises(ValueError, match="made for epochs=2"):
        live.update(3, None, {"loss": [0.4], "accuracy": [0.8]})
    with pytest.raises(ValueError, match="epochs must be an int >= 1"):
        live_plot.LivePlot(epochs=0)
    with pytest.raises(TypeError, match=r"test must be a pair \(X_test, y_test\)"):
        live_plot.LivePlot(epochs=3, test=np.zeros((3, 2)))


def test_draw_training_curves_checks_its_input(agg):
    _, (a, b) = agg.subplots(1, 2)
    live_plot.draw_training_curves({"train loss": [2.0, 1.0], "test accuracy": [0.5, 0.9]}, a, b, epochs=5)
    assert a.get_xlim() == (0.5, 5.5)
    assert b.get_ylim()[1] > 1.0  # room above an accuracy of 1.0
    with pytest.raises(ValueError, match="fractions in \\[0, 1\\]"):
        live_plot.draw_training_curves({"test accuracy": [50.0, 90.0]}, a, b)
    with pytest.raises(ValueError, match="must be 1-D"):
        live_plot.draw_training_curves({"train loss": [[1.0]]}, a, b)
    with pytest.raises(TypeError, match="loss_ax must be a matplotlib Axes"):
        live_plot.draw_training_curves({}, None, b)
