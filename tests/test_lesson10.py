"""Lesson 10: the references pass, known-wrong implementations are caught with the right message,
the concept question explains every choice, and the live plot redraws in place."""

import sys

import numpy as np
import pytest

from nnlib.activations import softmax
from nnlib.check import check, check_answer, run_checks
from nnlib.exercises import get_exercise, get_question
from nnlib.mlp import Dense, loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step
from nnlib.training import accuracy, iterate_minibatches, train
from nnlib.widgets import live_plot

NOT_IMPLEMENTED = "not implemented yet"


def run(exercise_id, fn, capsys):
    result = check(exercise_id, fn)
    return result, capsys.readouterr().out


@pytest.mark.parametrize(("exercise_id", "reference", "n"),
                         [("iterate_minibatches", iterate_minibatches, 7), ("accuracy", accuracy, 8),
                          ("train", train, 4)])
def test_the_reference_passes_the_check_and_the_hidden_cases(exercise_id, reference, n, capsys):
    result, out = run(exercise_id, reference, capsys)
    assert result
    assert out == f"{exercise_id}: all {n} checks passed\n"
    ex = get_exercise(exercise_id)
    for seed in (1, 2, 3):  # the grader's seeds differ from check()'s
        assert run_checks(ex, reference, ex.cases(seed=seed, hidden=True))


def test_the_registry_entries():
    assert get_exercise("iterate_minibatches").materialize
    assert set(get_exercise("train").prerequisites) == {
        "iterate_minibatches", "loss_and_gradients", "sgd_step", "mlp_forward", "accuracy"}
    for exercise_id in ("iterate_minibatches", "accuracy", "train"):
        ex = get_exercise(exercise_id)
        assert ex.lesson == "10" and len(ex.hints) == 3 and len(set(ex.hints)) == 3
        assert ex.verify is not None and ex.hidden_cases is not None


# -- iterate_minibatches -----------------------------------------------------------------------


def _not_implemented(X, y, batch_size, rng):
    raise NotImplementedError("Exercise iterate_minibatches: ...")


def _drops_the_last_batch(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _no_shuffle(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _shuffles_x_and_y_separately(X, y, batch_size, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _batches_one_too_big(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size + 1]
        yield X[idx], y[idx]


def _array_split_into_batch_size_batches(X, y, batch_size, rng):
    for idx in np.array_split(rng.permutation(len(X)), batch_size):
        yield X[idx], y[idx]


def _shuffles_in_place(X, y, batch_size, rng):
    state = rng.bit_generator.state
    rng.shuffle(X)
    rng.bit_generator.state = state
    rng.shuffle(y)
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _global_random(X, y, batch_size, rng):
    order = np.random.default_rng().permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _shuffles_only_the_batch_order(X, y, batch_size, rng):
    starts = list(range(0, len(X), batch_size))
    rng.shuffle(starts)
    for start in starts:
        yield X[start:start + batch_size], y[start:start + batch_size]


def _return_instead_of_yield(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        return X[idx], y[idx]


def _yields_x_only(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]]


def _forgot_to_return_anything(X, y, batch_size, rng):
    rng.permutation(len(X))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (_not_implemented, [NOT_IMPLEMENTED]),
        (_drops_the_last_batch, ["the last, smaller batch is missing", "N % batch_size = 2"]),
        (_no_shuffle, ["the batches come in the original order"]),
        (_shuffles_x_and_y_separately, ["X and y are no longer paired", "same shuffled indices"]),
        (_batches_one_too_big, ["expected 7 batches of sizes 8 ×6, 2", "got 7 batches of sizes 9 ×6, 2"]),
        (_array_split_into_batch_size_batches, ["got 8 batches of sizes 7 ×2, 6 ×6"]),
        (_shuffles_in_place, ["changed its input X"]),
        (_global_random, ["the shuffle does not come from the rng argument"]),
        (_shuffles_only_the_batch_order, ["only the order of the batches is shuffled"]),
        (_return_instead_of_yield, ["you returned one pair (X, y), not a sequence of batches"]),
        (_yields_x_only, ["each item must be a pair (X_batch, y_batch)", "yields single arrays"]),
        (_forgot_to_return_anything, ["is None"]),
    ],
)
def test_wrong_iterate_minibatches_is_caught(wrong, fragments, capsys):
    result, out = run("iterate_minibatches", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def _via_choice(X, y, batch_size, rng):
    order = rng.choice(len(X), size=len(X), replace=False)
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _as_a_list(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    return [(X[order[s:s + batch_size]], y[order[s:s + batch_size]]) for s in range(0, len(X), batch_size)]


def _shuffled_copies(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


@pytest.mark.parametrize("other", [_via_choice, _as_a_list, _shuffled_copies])
def test_other_correct_ways_to_shuffle_are_accepted(other, capsys):
    result, out = run("iterate_minibatches", other, capsys)
    assert result, out


# -- accuracy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda logits, labels: (_ for _ in ()).throw(NotImplementedError()), [NOT_IMPLEMENTED]),
        (lambda logits, labels: int(np.sum(logits.argmax(axis=1) == labels)),
         ["expected 0.6, got 3", "the number of correct rows; divide by N = 5"]),
        (lambda logits, labels: 100 * float(np.mean(logits.argmax(axis=1) == labels)),
         ["got 60", "a percentage"]),
        (lambda logits, labels: float(np.mean(logits.argmax(axis=0) == labels)),
         ["the argmax over axis 0 (over the examples)", "axis=1"]),
        (lambda logits, labels: float(np.mean(logits.max(axis=1) == labels)),
         ["no row ever counts as correct", "comparing the scores themselves"]),
        (lambda logits, labels: float(np.mean(softmax(logits)[np.arange(len(labels)), labels] > 0.5)),
         ["probability > 0.5", "even below 0.5"]),
        (lambda logits, labels: logits.argmax(axis=1) == labels,
         ["one value per example (shape (5,))", "take their mean"]),
        (lambda logits, labels: float(np.mean(logits.argmax(axis=1) != labels)),
         ["the error rate"]),
        (lambda logits, labels: 0.123,
         ["accuracy is the fraction of rows whose largest logit is at the true label"]),
        (lambda logits, labels: [float(np.mean(logits.argmax(axis=1) == labels))],
         ["expected one number"]),
    ],
    ids=["not-implemented", "count", "percent", "axis0", "max-not-argmax", "prob-above-half", "per-row",
         "error-rate", "nonsense", "list"],
)
def test_wrong_accuracy_is_caught(wrong, fragments, capsys):
    wrong.__name__ = "accuracy"
    result, out = run("accuracy", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_accuracy_as_numpy_float_or_on_the_mean_of_booleans_is_accepted(capsys):
    result, out = run("accuracy", lambda logits, labels: np.mean(logits.argmax(axis=1) == labels), capsys)
    assert result, out


# -- train -------------------------------------------------------------------------------------


def make_train(**slip):
    """A train with one realistic slip, named by ``slip``; with no slip it is correct."""

    def wrong_train(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
        if slip.get("not_implemented"):
            raise NotImplementedError("Exercise train: ...")
        act = "relu" if slip.get("ignores_hidden") else hidden
        history = {"loss": [], "accuracy": []}
        for epoch in range(1, epochs + 1 + slip.get("extra_epochs", 0)):
            total, before = 0.0, None
            if slip.get("no_shuffle"):
                batches = [(X[s:s + batch_size], y[s:s + batch_size]) for s in range(0, len(X), batch_size)]
            else:
                batches = iterate_minibatches(X, y, batch_size, rng)
            for X_batch, y_batch in batches:
                loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=act)
                before = accuracy(mlp_forward(X, params, act)[0], y)
                if not slip.get("no_update"):
                    params = sgd_step(params, grads, slip.get("fixed_lr", lr))
                total += loss * len(y_batch)
                if slip.get("loss_per_batch"):
                    history["loss"].append(loss)
            if not slip.get("loss_per_batch"):
                history["loss"].append(total if slip.get("summed_loss") else total / len(X))
            if slip.get("loss_after_epoch"):
                history["loss"][-1] = loss_and_gradients(params, X, y, hidden=act)[0]
            after = accuracy(mlp_forward(X, params, act)[0], y)
            history["accuracy"].append(
                before if slip.get("accuracy_before") else 100 * after if slip.get("percent") else after)
            if slip.get("calls_none_callback"):
                callback(epoch, params, history)
            elif callback is not None and not slip.get("no_callback"):
                callback(epoch - 1 if slip.get("callback_from_0") else epoch, params, history)
        return params if slip.get("only_params") else (params, history)

    return wrong_train


@pytest.mark.parametrize(
    ("slip", "fragments"),
    [
        ("not_implemented", [NOT_IMPLEMENTED]),
        ("no_update", ["params never changed", "params = sgd_step(params, grads, lr)"]),
        ("fixed_lr", ["the trained params differ from nnlib's", "check lr"]),
        ("no_shuffle", ["your train does not shuffle", "iterate_minibatches(X, y, batch_size, rng)"]),
        ("ignores_hidden", ["ignores hidden='tanh'"]),
        ("extra_epochs", ["history['loss'] has 6 entries; expected one per epoch (epochs=5)"]),
        ("loss_per_batch", ["history['loss'] has 120 entries"]),
        ("summed_loss", ["N = 30 times too large"]),
        ("loss_after_epoch", ["the loss after epoch e's updates"]),
        ("accuracy_before", ["lags one epoch behind"]),
        ("percent", ["holds values above 1", "not percentages"]),
        ("calls_none_callback", ["'NoneType' object is not callable", "callback(epoch, params, history)"]),
        ("no_callback", ["the callback was never called"]),
        ("callback_from_0", ["epoch numbers from 0"]),
        ("only_params", ["you returned only params"]),
    ],
)
def test_wrong_train_is_caught(slip, fragments, capsys):
    wrong = make_train(**{slip: 0.01 if slip == "fixed_lr" else (1 if slip == "extra_epochs" else True)})
    result, out = run("train", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_a_correct_train_with_another_valid_shuffle_is_accepted(capsys, monkeypatch):
    """In mini-batch cases the result may differ from nnlib's: only the properties are judged."""

    def choice_batches(X, y, batch_size, rng):
        order = rng.choice(len(X), size=len(X), replace=False)
        for start in range(0, len(X), batch_size):
            yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]

    monkeypatch.setattr(sys.modules[__name__], "iterate_minibatches", choice_batches)
    result, out = run("train", make_train(), capsys)
    assert result, out


def test_a_train_that_mutates_the_callers_params_list_is_caught(capsys):
    def in_place(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
        history = {"loss": [], "accuracy": []}
        for epoch in range(1, epochs + 1):
            total = 0.0
            for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
                loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
                for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                    params[i] = Dense(p.W - lr * g.W, p.b - lr * g.b)  # writes into the caller's list
                total += loss * len(y_batch)
            history["loss"].append(total / len(X))
            history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
            if callback is not None:
                callback(epoch, params, history)
        return params, history

    result, out = run("train", in_place, capsys)
    assert not result
    assert "changed its input params[0].W" in out, out


@pytest.mark.parametrize("returned", [None, "params", {"loss": [1.0]}, (1.0, 2.0), ([], {})])
def test_the_train_verifier_survives_odd_results(returned, capsys):
    result, out = run("train", lambda *a, **k: returned, capsys)
    assert not result
    assert "train: 0 of 4 checks passed" in out
    assert "Traceback" not in out


# -- the concept question ----------------------------------------------------------------------


def test_the_concept_question(capsys):
    q = get_question("q10_1")
    assert check_answer("q10_1", "b")
    assert "correct. The network has memorised" in capsys.readouterr().out
    for choice in "acd":
        assert not check_answer("q10_1", choice)
        out = capsys.readouterr().out
        assert out.startswith("q10_1: not quite.") and q.feedback[choice] in out
    assert "training accuracy would be low" in q.feedback["a"]
    assert "diverge" in q.feedback["d"]
    assert not check_answer("q10_1", None)
    assert "no answer yet" in capsys.readouterr().out


# -- the live plot -----------------------------------------------------------------------------


class FakeHandle:
    def __init__(self):
        self.updates = 0

    def update(self, obj):
        assert obj.data[:8] == b"\x89PNG\r\n\x1a\n"
        self.updates += 1


def _run_with_live_plot(live, epochs=6):
    rng = np.random.default_rng(0)
    from nnlib.data import make_blobs
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
    assert b.get_ylim()[1] == pytest.approx(1.01)
    with pytest.raises(ValueError, match="fractions in \\[0, 1\\]"):
        live_plot.draw_training_curves({"test accuracy": [50.0, 90.0]}, a, b)
    with pytest.raises(ValueError, match="must be 1-D"):
        live_plot.draw_training_curves({"train loss": [[1.0]]}, a, b)
    with pytest.raises(TypeError, match="loss_ax must be a matplotlib Axes"):
        live_plot.draw_training_curves({}, None, b)
