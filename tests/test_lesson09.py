"""Lesson 09: the references pass, known-wrong backward passes are caught with a message naming the bug."""

import pytest

from nnlib.check import check, check_answer
from nnlib.exercises import get_exercise, get_question
from nnlib.layers import activation_backward, dense_backward
from nnlib.losses import LOSSES
from nnlib.mlp import Dense, loss_and_gradients, mlp_backward, mlp_forward

# --------------------------------------------------------------------------- #
# mlp_backward
# --------------------------------------------------------------------------- #


def test_mlp_backward_reference_passes(capsys):
    assert check("mlp_backward", mlp_backward)
    assert "mlp_backward: all 8 checks passed" in capsys.readouterr().out


def _learner_backward(bug=""):
    """A learner's mlp_backward, written out, with one optional bug."""

    def backward(dout, caches, params, hidden="relu", output="identity"):
        grads = []
        dA = dout
        for i in reversed(range(len(params))):
            activation = output if i == len(params) - 1 else hidden
            if bug == "hidden for output":
                activation = hidden
            dZ = dA if bug == "no activation backward" else activation_backward(dA, caches[i].Z, activation)
            dX, dW, db = dense_backward(dZ, caches[i], params[i].W)
            if bug == "extra 1/N":
                dW, db = dW / len(dout), db / len(dout)
            if bug == "db mean":
                db = dZ.mean(axis=0)
            if bug == "sign":
                dW, db = -dW, -db
            if bug == "only dW":
                grads.append(dW)
            elif bug == "plain tuple":
                grads.append((dW, db))
            else:
                grads.append(Dense(dW, db))
            if bug == "passes dZ down":
                dA = dZ  # the layer's own pre-activation gradient, not dX
            elif bug != "dA never updated":
                dA = dX
        return grads if bug == "reversed" else grads[::-1]

    return backward


def test_the_correct_learner_version_passes():
    assert check("mlp_backward", _learner_backward(), quiet=True)


def _not_implemented(dout, caches, params, hidden="relu", output="identity"):
    raise NotImplementedError("Exercise mlp_backward: ...")


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ("reversed", "the gradients are in reverse order"),
        ("hidden for output", "the output layer was treated with the hidden activation"),
        ("no activation backward", "the activation's derivative is missing"),
        ("passes dZ down", "the layer below received dZ of this layer"),
        ("dA never updated", "every layer received the same dout"),
        ("extra 1/N", "every gradient is divided by N once too often"),
        ("db mean", "db is averaged over the batch"),
        ("only dW", "you returned one array per layer (only the weight gradient?)"),
        ("plain tuple", "return Dense(dW, db) for each layer"),
        ("sign", "every value has the wrong sign"),
    ],
)
def test_mlp_backward_bugs_are_named(bug, fragment, capsys):
    result = check("mlp_backward", _learner_backward(bug))
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out
    assert "likely cause:" in out


def test_the_first_case_has_equal_widths_so_shape_slips_do_not_raise():
    # Passing the wrong dA down raises a shape error on non-square nets: the first case must not.
    first = get_exercise("mlp_backward").cases()[0]
    params = first.args[2]
    widths = {p.W.shape[0] for p in params} | {p.W.shape[1] for p in params}
    assert len(widths) == 1


def test_mlp_backward_cases_cover_every_activation_and_a_batch_of_one():
    cases = get_exercise("mlp_backward").cases()
    used = {c.kwargs["hidden"] for c in cases} | {c.kwargs["output"] for c in cases}
    assert used == {"relu", "tanh", "sigmoid", "identity"}
    assert any(c.args[0].shape[0] == 1 for c in cases)
    assert {len(c.args[2]) for c in cases} == {1, 2, 3}


# --------------------------------------------------------------------------- #
# loss_and_gradients
# --------------------------------------------------------------------------- #


def test_loss_and_gradients_reference_passes(capsys):
    assert check("loss_and_gradients", loss_and_gradients)
    assert "loss_and_gradients: all 8 checks passed" in capsys.readouterr().out


def _learner_loss(bug=""):
    def loss_and_grads(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
        loss_fn, loss_backward = LOSSES[loss]
        used_hidden = "relu" if bug == "hidden ignored" else hidden
        output = hidden if bug == "output activation" else "identity"
        logits, caches = mlp_forward(X, params, used_hidden, output)
        value = loss_fn(logits, y)
        dout = loss_backward(logits, y)
        if bug == "missing 1/N":
            dout = dout * len(X)
        if bug == "sum loss":
            value = value * len(X)
        grads = mlp_backward(dout, caches, params, used_hidden, output)
        if bug == "swapped":
            return grads, value
        if bug == "grads only":
            return grads
        if bug == "loss only":
            return value
        return value, grads

    return loss_and_grads


def _always_softmax(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    """Ignores `loss`: the mse case has float targets, which softmax cross-entropy refuses."""
    return _learner_loss()(params, X, y, "softmax_cross_entropy", hidden)


@pytest.mark.parametrize(
    ("bug", "fragment"),
    [
        ("missing 1/N", "every gradient is N times too large"),
        ("sum loss", "the loss is N times too large"),
        ("hidden ignored", "the hidden layers used ReLU"),
        ("output activation", "the output layer applied the hidden activation"),
        ("swapped", "return (loss, grads) in that order"),
        ("grads only", "you returned only the gradients"),
        ("loss only", "you returned a single number or array"),
    ],
)
def test_loss_and_gradients_bugs_are_named(bug, fragment, capsys):
    result = check("loss_and_gradients", _learner_loss(bug))
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out


def test_loss_and_gradients_that_ignores_the_loss_name_fails_on_mse(capsys):
    assert not check("loss_and_gradients", _always_softmax)
    out = capsys.readouterr().out
    assert "case 3 'mse" in out and "raised TypeError" in out


def test_loss_and_gradients_cases_cover_the_three_losses():
    cases = get_exercise("loss_and_gradients").cases()
    losses = {c.kwargs.get("loss", "softmax_cross_entropy") for c in cases}
    assert losses == set(LOSSES)


def test_the_correct_learner_loss_passes():
    assert check("loss_and_gradients", _learner_loss(), quiet=True)


# --------------------------------------------------------------------------- #
# q09_1
# --------------------------------------------------------------------------- #


def test_q09_1_right_answer(capsys):
    assert check_answer("q09_1", "b")
    assert "q09_1: correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("choice", "fragment"),
    [
        ("a", "gradient at layer l's own pre-activation"),
        ("c", "goes into grads and to the optimizer"),
        ("d", "belongs to the last layer only"),
    ],
)
def test_q09_1_wrong_answers_explain(choice, fragment, capsys):
    assert not check_answer("q09_1", choice)
    out = capsys.readouterr().out
    assert "not quite" in out and fragment in out


def test_q09_1_every_choice_has_feedback():
    q = get_question("q09_1")
    assert set(q.feedback) == set(q.choices)
