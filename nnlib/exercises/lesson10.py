"""Exercises and concept questions of lesson 10, training on real data.

``iterate_minibatches`` and ``train`` have no unique answer (any shuffle is
fine), so they are judged by verifiers that check the properties that matter
and name the usual mistakes; ``accuracy`` has a unique answer, but its verifier
recognises the usual wrong ones (a count, a percentage, the wrong axis...).
"""

from __future__ import annotations

import copy
import re

import numpy as np

from nnlib.activations import softmax
from nnlib.data import make_blobs
from nnlib.exercises import Case, Exercise, Question, case_functions
from nnlib.mlp import Dense, init_mlp, loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step
from nnlib.training import accuracy, iterate_minibatches, train

# --------------------------------------------------------------------------- #
# iterate_minibatches
# --------------------------------------------------------------------------- #

_ITEM = re.compile(r"^\[(\d+)\]\[(\d+)\]$")  # "[k][j]": part j of batch k
_TOP = re.compile(r"^\[(\d+)\]$")


def _minibatch_case(name, n, batch_size, rng, d=3, targets=False):
    # Row i of X is (i*d, i*d + 1, ...): all rows differ, so each row of a batch says which example
    # it is. The labels 7i mod n are class-id-like integers that also tell the rows apart.
    X = np.arange(n * d, dtype=np.float64).reshape(n, d)
    y = (7 * np.arange(n)) % max(n, 1)
    if targets:  # (N, K) float targets: the rows of y must travel with the rows of X too
        y = np.column_stack([np.arange(n) * 0.5, -np.arange(n) - 1.0])
    seed = int(rng.integers(2**31))
    return Case(name, (X, y, batch_size, np.random.default_rng(seed)))


def _minibatch_cases(rng):
    return [
        _minibatch_case("N=50, batch_size=8 (6 full batches, a last one of 2)", 50, 8, rng),
        _minibatch_case("N=48, batch_size=16 (3 full batches, nothing left over)", 48, 16, rng),
        _minibatch_case("N=23, batch_size=1", 23, 1, rng),
        _minibatch_case("N=30, batch_size=30 (one batch)", 30, 30, rng),
        _minibatch_case("N=10, batch_size=32 > N (one batch of 10)", 10, 32, rng),
        _minibatch_case("targets y of shape (N, 2), N=40, batch_size=6", 40, 6, rng, targets=True),
        _minibatch_case("N=1", 1, 4, rng),
    ]


def _minibatch_hidden_cases(rng):
    return [
        _minibatch_case("N=37, batch_size=5", 37, 5, rng, d=2),
        _minibatch_case("N=100, batch_size=64", 100, 64, rng, d=4),
    ]


def _sizes_text(sizes):
    """[8, 8, 8, 2] -> '8 ×3, 2': short enough for a one-line message."""
    groups = []
    for size in sizes:
        if groups and groups[-1][0] == size:
            groups[-1][1] += 1
        else:
            groups.append([size, 1])
    return ", ".join(f"{s} ×{c}" if c > 1 else f"{s}" for s, c in groups) or "none"


def _permutations_from(rng, n):
    """The orders that the usual ways of shuffling with ``rng`` produce (on copies of it)."""
    ways = (
        lambda r: r.permutation(n),  # also rng.shuffle(np.arange(n)) and rng.shuffle of the rows
        lambda r: r.choice(n, size=n, replace=False),
        lambda r: r.permuted(np.arange(n)),
        lambda r: np.argsort(r.random(n), kind="stable"),
    )
    return [way(copy.deepcopy(rng)) for way in ways]


def _split_batches(received):
    """{"[k][j]": array} -> list of (X_batch, y_batch), or an error message."""
    if set(received) == {"#len"}:
        return "your generator yielded no batches: yield each (X_batch, y_batch) inside the loop"
    tops = [_TOP.match(key) for key in received]
    if all(tops):
        if len(received) == 2 and received["[0]"].ndim == 2:
            return ("you returned one pair (X, y), not a sequence of batches: yield each "
                    "(X_batch, y_batch) inside the loop (a `return` in the loop stops after the first)")
        return "each item must be a pair (X_batch, y_batch); your generator yields single arrays"
    parts: dict[int, dict[int, np.ndarray]] = {}
    for key, value in received.items():
        match = _ITEM.match(key)
        if match is None:
            return f"each item must be a pair (X_batch, y_batch) of arrays; got an output part {key!r}"
        parts.setdefault(int(match.group(1)), {})[int(match.group(2))] = value
    batches = []
    for k in range(len(parts)):
        if sorted(parts.get(k, {})) != [0, 1]:
            return f"batch {k} has {len(parts.get(k, {}))} parts; each item must be a pair (X_batch, y_batch)"
        batches.append((parts[k][0], parts[k][1]))
    return batches


def _verify_minibatches(case, received):
    X, y, batch_size, rng = case.args
    n = len(X)
    batches = _split_batches(received)
    if isinstance(batches, str):
        return batches
    for k, (xb, yb) in enumerate(batches):
        if xb.ndim != 2 or xb.shape[1] != X.shape[1]:
            return f"batch {k}: X_batch must have shape (B, {X.shape[1]}), rows of X; got shape {xb.shape}"
        if yb.shape[1:] != y.shape[1:] or len(yb) != len(xb):
            return (f"batch {k}: y_batch must hold the targets of the {len(xb)} rows of X_batch, shape "
                    f"{(len(xb), *y.shape[1:])}; got y_batch.shape={yb.shape}")

    sizes = [len(xb) for xb, _ in batches]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest else [])
    if sizes != expected and sorted(sizes) != sorted(expected):
        if rest and sizes == expected[:-1]:
            return (f"the last, smaller batch is missing: N={n} with batch_size={batch_size} leaves "
                    f"N % batch_size = {rest} examples for a last batch; yield it too, or those "
                    "examples are never trained on in this epoch")
        return (f"expected {len(expected)} batches of sizes {_sizes_text(expected)} "
                f"(all batch_size={batch_size}, except the last that holds what is left); "
                f"got {len(sizes)} batches of sizes {_sizes_text(sizes)}")

    row_index = {row.tobytes(): i for i, row in enumerate(X)}
    seen = {}
    order = []
    for k, (xb, yb) in enumerate(batches):
        for j, row in enumerate(xb.astype(X.dtype)):
            i = row_index.get(row.tobytes())
            if i is None:
                return (f"batch {k}, row {j} is not a row of X: yield rows of X unchanged "
                        "(select them with X[indices])")
            if i in seen:
                return (f"example {i} (the row X[{i}]) appears twice, in batches {seen[i]} and {k}: "
                        "every example must appear exactly once per epoch")
            seen[i] = k
            order.append(i)
            if not np.array_equal(yb[j], y[i]):
                return (f"X and y are no longer paired: batch {k}, row {j} is X[{i}], whose target is "
                        f"y[{i}] = {y[i]}, but y_batch[{j}] = {yb[j]}; select the rows of X and of y "
                        "with the same shuffled indices")

    order = np.array(order)
    misplaced = sizes != expected  # the same sizes, but the smaller batch is not the last one
    if n < 20 and not misplaced:  # a small shuffle may look ordered by chance
        return None
    if np.array_equal(order, np.arange(n)):
        return ("the batches come in the original order (X[0], X[1], ...): shuffle first, so each "
                "batch is a random sample (data is often sorted, e.g. by class)")
    starts = np.cumsum([0, *sizes[:-1]])
    contiguous = all(
        np.array_equal(order[s : s + size], np.arange(order[s], order[s] + size))
        for s, size in zip(starts, sizes, strict=True)
    )
    if batch_size > 1 and len(sizes) > 1 and contiguous:
        return ("each batch is a contiguous slice of X in the original order; only the order of the "
                "batches is shuffled: shuffle the examples (a permutation of all N indices), then slice")
    if misplaced:
        return (f"the batch sizes come in the order {_sizes_text(sizes)}: all batches must have "
                f"batch_size={batch_size} rows except the last one, which holds what is left")
    if not any(np.array_equal(order, p) for p in _permutations_from(rng, n)):
        return ("the shuffle does not come from the rng argument: use it, e.g. rng.permutation(len(X)), "
                "so that the same seed gives the same batches (np.random.* or a new generator does not)")
    return None


# --------------------------------------------------------------------------- #
# accuracy
# --------------------------------------------------------------------------- #


def _labels_with(logits, n_correct, rng):
    """Labels that make exactly ``n_correct`` rows (chosen at random) correct."""
    n, c = logits.shape
    pred = logits.argmax(axis=1)
    wrong = (pred + rng.integers(1, c, size=n)) % c  # any class but the predicted one
    correct = np.zeros(n, dtype=bool)
    correct[rng.permutation(n)[:n_correct]] = True
    return np.where(correct, pred, wrong)


#: 5 x 5 logits and labels on which the usual mistakes all give different, non-zero answers:
#: accuracy 0.6, argmax over axis 0 gives 0.8, "true-class probability > 0.5" gives 0.2.
_SQUARE_LOGITS = np.array([[2.6, 1.7, 2.1, 0.7, -0.8], [-0.1, 0.7, -3.2, -1.5, 4.4],
                           [-1.7, 2.6, 2.9, -4.9, -0.8], [-0.7, 2.7, -0.9, -6.1, -3.6],
                           [2.1, 2.4, 1.9, 1.9, 1.7]])
_SQUARE_LABELS = np.array([0, 3, 2, 2, 1])


def _accuracy_cases(rng):
    square = (_SQUARE_LOGITS.copy(), _SQUARE_LABELS.copy())
    flat = rng.normal(size=(12, 10)) * 0.4  # 10 classes, small logits: top probabilities below 0.5
    ordinary = rng.normal(size=(8, 3)) * 2
    big = rng.normal(size=(6, 4)) * 1e4
    one = rng.normal(size=(1, 3))
    return [
        Case("5 examples, 5 classes (square, so a wrong argmax axis still runs)", square),
        Case("8 examples, 3 classes", (ordinary, _labels_with(ordinary, 5, rng))),
        Case("10 classes with flat scores (the top probability is below 0.5)",
             (flat, _labels_with(flat, 9, rng))),
        Case("all correct", (ordinary, ordinary.argmax(axis=1))),
        Case("none correct", (ordinary, (ordinary.argmax(axis=1) + 1) % 3)),
        Case("batch of 1", (one, one.argmax(axis=1))),
        Case("probabilities instead of logits (same argmax)",
             (softmax(ordinary), _labels_with(ordinary, 6, rng))),
        Case("large logits ±1e4", (big, _labels_with(big, 4, rng))),
    ]


def _accuracy_hidden_cases(rng):
    logits = rng.normal(size=(20, 7))
    return [Case("20 examples, 7 classes", (logits, _labels_with(logits, 13, rng)))]


def _verify_accuracy(case, received):
    logits, labels = case.args
    n = len(labels)
    expected = accuracy(logits, labels)
    if list(received) != [""]:
        return "expected one number (a float in [0, 1]); got a list, tuple or dict"
    got = received[""]
    if got.shape == (n,) and n > 1:
        return (f"you returned one value per example (shape ({n},)): take their mean to get the "
                "fraction of correct rows")
    if got.shape != ():
        return f"expected one number (a float in [0, 1]); got an array of shape {got.shape}"
    value = float(got)
    if np.isclose(value, expected, rtol=1e-12, atol=1e-12):
        return None
    said = f"expected {expected:.6g}, got {value:.6g}"
    probs = softmax(logits)
    # Each usual mistake, with what it returns on this case and what to tell. A mistake is named only
    # when it alone explains the value (on some cases two mistakes give the same number).
    mistakes = [
        (n * expected, f"that is the number of correct rows; divide by N = {n} for a fraction"),
        (100 * expected, "that is a percentage; return a fraction in [0, 1]"),
        (1 - expected, "that is the fraction of wrong rows (the error rate), 1 - accuracy"),
        (float(np.mean(logits.argmax() == labels)),
         "argmax without an axis gives one index into the flattened array; use axis=1"),
        (float(np.mean(probs[np.arange(n), labels] > 0.5)),
         "that counts rows whose true class has probability > 0.5; a row is correct when its true "
         "class has the largest score, even below 0.5 (with 10 classes, 0.3 can be the largest)"),
    ]
    if logits.shape[1] == n:  # only a square case lets argmax(axis=0) run
        mistakes.append((float(np.mean(logits.argmax(axis=0) == labels)),
                         "that is the argmax over axis 0 (over the examples); the predicted class of a "
                         "row is the argmax over the classes, axis=1"))
    if value == 0.0:  # many mistakes give 0: name the most common one
        return (f"{said}: no row ever counts as correct; are you comparing the scores themselves "
                "(floats) with the labels? Compare the position of the largest score, "
                "logits.argmax(axis=1)")
    named = [text for guess, text in mistakes if np.isclose(value, guess, rtol=1e-9, atol=1e-12)]
    if len(named) == 1:
        return f"{said}: {named[0]}"
    return f"{said}: accuracy is the fraction of rows whose largest logit is at the true label"


# --------------------------------------------------------------------------- #
# train
# --------------------------------------------------------------------------- #


# A test callback that writes what it sees into history (defined with the other case functions,
# so that the grader can send it to its sandbox by name).
_record_epochs = case_functions.record_epochs


_BLOB_CENTERS = ((-2.0, 0.0), (2.0, 0.0), (0.0, 2.5))


def _train_case(name, rng, sizes, n_per_class, *, epochs, lr, batch_size, hidden=None, callback=True,
                std=0.7):
    # make_blobs returns the classes in blocks: an unshuffled train would see one class per batch.
    X, y = make_blobs(n_per_class, _BLOB_CENTERS, std, rng)
    params = init_mlp(sizes, rng)
    kwargs = {"epochs": epochs, "lr": lr, "batch_size": batch_size,
              "rng": np.random.default_rng(int(rng.integers(2**31)))}
    if hidden is not None:
        kwargs["hidden"] = hidden
    if callback:
        kwargs["callback"] = _record_epochs
    return Case(name, (params, X, y), kwargs)


def _train_cases(rng):
    return [
        _train_case("full batch (batch_size = N = 30): must match nnlib's result", rng, (2, 8, 3), 10,
                    epochs=5, lr=0.2, batch_size=30, std=1.0),
        _train_case("mini-batches of 8, N = 60 (the last batch has 4)", rng, (2, 8, 3), 20,
                    epochs=15, lr=0.3, batch_size=8),
        _train_case("hidden='tanh', two hidden layers, full batch", rng, (2, 6, 5, 3), 8,
                    epochs=4, lr=0.5, batch_size=24, hidden="tanh"),
        _train_case("batch_size = 64 > N = 15, one epoch, no callback", rng, (2, 4, 3), 5,
                    epochs=1, lr=0.1, batch_size=64, callback=False),
    ]


def _train_hidden_cases(rng):
    return [
        _train_case("mini-batches of 5, N = 36", rng, (2, 10, 3), 12, epochs=12, lr=0.3, batch_size=5),
        _train_case("full batch, N = 21", rng, (2, 5, 3), 7, epochs=3, lr=0.2, batch_size=21),
    ]


def _read_list(received, prefix):
    """The list stored at ``prefix`` (e.g. "[1]['loss']") as a 1-D array, or None if absent."""
    if prefix in received:
        return received[prefix].reshape(-1)
    if prefix + "#len" in received:
        return np.zeros(0)
    items = {}
    for key, value in received.items():
        match = re.fullmatch(re.escape(prefix) + r"\[(\d+)\]", key)
        if match and value.size == 1:
            items[int(match.group(1))] = float(value.reshape(-1)[0])
    if not items:
        return None
    return np.array([items.get(i, np.nan) for i in range(max(items) + 1)])


def _read_params(received, like):
    """The returned params as a list of (W, b), or an error message."""
    layers = []
    for i, layer in enumerate(like):
        found = None
        for w_key, b_key in ((f"[0][{i}].W", f"[0][{i}].b"), (f"[0][{i}][0]", f"[0][{i}][1]")):
            if w_key in received and b_key in received:
                found = (received[w_key], received[b_key])
        if found is None:
            return (f"the result must be (params, history) with params a list of {len(like)} "
                    f"Dense(W, b) like the input; found no params[{i}]")
        for name, got, want in (("W", found[0], layer.W), ("b", found[1], layer.b)):
            if got.shape != want.shape:
                return (f"params[{i}].{name} has shape {got.shape}; expected {want.shape}, "
                        "the shape of the input's")
        layers.append(found)
    extra = [key for key in received
             if key.startswith(f"[0][{len(like)}]") or not key.startswith(("[0]", "[1]"))]
    if extra:
        return (f"the result must be (params, history) with {len(like)} layers in params; "
                f"got an extra part {extra[0]!r}")
    return layers


def _train_in_order(params, X, y, epochs, lr, batch_size, hidden):
    """What a train without shuffling computes: the batches in the original order."""
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            rows = slice(start, start + batch_size)
            _, grads = loss_and_gradients(params, X[rows], y[rows], hidden=hidden)
            params = sgd_step(params, grads, lr)
    return params


def _same_params(layers, params, rtol=1e-6, atol=1e-9):
    return all(np.allclose(W, p.W, rtol=rtol, atol=atol) and np.allclose(b, p.b, rtol=rtol, atol=atol)
               for (W, b), p in zip(layers, params, strict=True))


def _reference(case, **changes):
    params, X, y = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(dict(case.kwargs))
    kwargs.pop("callback", None)
    kwargs.update(changes)
    return train(params, X, y, **kwargs)


def _verify_train(case, received):
    params0, X, y = case.args
    kw = case.kwargs
    epochs, lr, batch_size = kw["epochs"], kw["lr"], kw["batch_size"]
    hidden = kw.get("hidden", "relu")
    if any(re.fullmatch(r"\[\d+\]\.(W|b)", key) for key in received):
        return "you returned only params; return both: return params, history"
    if not any(key.startswith("[1]") for key in received):
        return "the result must be a pair (params, history); got no history (return params, history)"
    layers = _read_params(received, params0)
    if isinstance(layers, str):
        return layers
    history = {name: _read_list(received, f"[1][{name!r}]")
               for name in ("loss", "accuracy", "callback_epochs", "callback_history_length")}
    for name in ("loss", "accuracy"):
        values = history[name]
        if values is None:
            return f"history must be a dict with lists 'loss' and 'accuracy'; found no history[{name!r}]"
        if len(values) != epochs:
            return (f"history[{name!r}] has {len(values)} entries; expected one per epoch (epochs={epochs}): "
                    "append once per epoch, after its last batch")
        if not np.all(np.isfinite(values)):
            return f"history[{name!r}] contains NaN or inf: {np.round(values, 4).tolist()}"
    if history["accuracy"].max() > 1:
        return (f"history['accuracy'] holds values above 1 (max {history['accuracy'].max():g}): "
                "record fractions in [0, 1], not percentages or counts")
    if history["accuracy"].min() < 0:
        return "history['accuracy'] holds negative values; accuracies are fractions in [0, 1]"

    if "callback" in kw:
        seen = history["callback_epochs"]
        if seen is None or len(seen) == 0:
            return ("the callback was never called with your history dict: after each epoch, "
                    "call callback(epoch, params, history) when callback is not None")
        if len(seen) != epochs:
            return (f"the callback was called {len(seen)} times for epochs={epochs}: "
                    "call it once per epoch, after the epoch's last batch")
        if seen[0] == 0:
            return ("the callback got epoch numbers from 0; count epochs from 1: "
                    "callback(1, ...) after the first epoch")
        if not np.array_equal(seen, np.arange(1, epochs + 1)):
            return f"the callback got epochs {seen.astype(int).tolist()}; expected 1, 2, ..., {epochs}"
        if not np.array_equal(history["callback_history_length"], np.arange(1, epochs + 1)):
            return ("the callback ran before this epoch's loss and accuracy were appended to history: "
                    "append them first, then call the callback")

    if batch_size >= len(X):
        return _verify_full_batch(case, layers, history)
    trained = [Dense(W, b) for W, b in layers]
    logits, _ = mlp_forward(X, trained, hidden)
    final_accuracy = accuracy(logits, y)
    if not np.isclose(history["accuracy"][-1], final_accuracy, rtol=0, atol=1e-9):
        return (f"history['accuracy'][-1] = {history['accuracy'][-1]:.4f}, but the params you return have "
                f"training accuracy {final_accuracy:.4f}: {_ACCURACY_WHEN}")
    ref_params, _ = _reference(case)
    if _same_params(layers, ref_params):
        return None
    if _same_params(layers, _train_in_order(params0, X, y, epochs, lr, batch_size, hidden)):
        return ("your train does not shuffle: its params equal training on the batches in their original "
                "order; get the batches from iterate_minibatches(X, y, batch_size, rng)")
    loss = history["loss"]
    if not loss[-1] < 0.5 * loss[0]:
        return (f"the loss barely decreased on an easy problem (from {loss[0]:.4f} to {loss[-1]:.4f} in "
                f"{epochs} epochs): are params updated after each batch, "
                "params = sgd_step(params, grads, lr)?")
    if final_accuracy < 0.9:
        return (f"after {epochs} epochs the training accuracy is only {final_accuracy:.4f} on well separated "
                "blobs (nnlib's train reaches 0.9 or more): check the update and the learning rate")
    return None


_ACCURACY_WHEN = ("after each epoch's updates, record the accuracy of the current params on all of X "
                  "(mlp_forward, then accuracy)")


def _verify_full_batch(case, layers, history):
    """With one batch per epoch the order does not matter: the result must match nnlib's."""
    params0 = case.args[0]
    kw = case.kwargs
    epochs = kw["epochs"]
    ref_params, ref_history = _reference(case)
    if not _same_params(layers, ref_params):
        if _same_params(layers, params0, rtol=0, atol=0):
            return "params never changed: keep the result of each step, params = sgd_step(params, grads, lr)"
        if "hidden" in kw and _same_params(layers, _reference(case, hidden="relu")[0]):
            return (f"your train ignores hidden={kw['hidden']!r}: pass hidden=hidden to loss_and_gradients "
                    "and to mlp_forward")
        for other in (epochs - 1, epochs + 1):
            if other >= 1 and _same_params(layers, _reference(case, epochs=other)[0]):
                return (f"your train took {other} epochs instead of epochs={epochs}: "
                        "check the range of the epoch loop")
        return ("the trained params differ from nnlib's. With one batch per epoch (batch_size >= N) the "
                "shuffle does not matter, so each epoch must be one params = sgd_step(params, grads, lr) "
                "with grads from loss_and_gradients on the batch: check lr and hidden")
    if not np.allclose(history["loss"], ref_history["loss"], rtol=1e-6, atol=1e-9):
        got, want = history["loss"], np.array(ref_history["loss"])
        if np.allclose(got, want * len(case.args[1]), rtol=1e-6):
            return (f"history['loss'] is N = {len(case.args[1])} times too large: divide the epoch's "
                    "summed loss by N for the mean")
        if epochs > 1 and np.allclose(got[:-1], want[1:], rtol=1e-6, atol=1e-9):
            return ("history['loss'][e] is the loss after epoch e's updates (it equals nnlib's for epoch "
                    "e + 1): record the mean of the batch losses computed during the epoch, before each step")
        return (f"history['loss'] = {np.round(got, 4).tolist()}, expected {np.round(want, 4).tolist()}: "
                "record the mean over the epoch of the batch losses that loss_and_gradients returned "
                "(before each step), weighted by batch size: sum(loss * len(y_batch)) / N")
    if not np.allclose(history["accuracy"], ref_history["accuracy"], rtol=0, atol=1e-9):
        got, want = history["accuracy"], np.array(ref_history["accuracy"])
        if epochs > 1 and np.allclose(got[1:], want[:-1], rtol=0, atol=1e-9):
            return ("history['accuracy'] lags one epoch behind: it was measured before the epoch's "
                    f"update; {_ACCURACY_WHEN}")
        return (f"history['accuracy'] = {np.round(got, 4).tolist()}, expected {np.round(want, 4).tolist()}: "
                f"{_ACCURACY_WHEN}")
    return None


# --------------------------------------------------------------------------- #
# The registry
# --------------------------------------------------------------------------- #

EXERCISES = (
    Exercise(
        id="iterate_minibatches",
        lesson="10",
        task="yield shuffled (X_batch, y_batch) pairs that cover every example exactly once",
        reference=iterate_minibatches,
        make_cases=_minibatch_cases,
        hidden_cases=_minibatch_hidden_cases,
        arg_names=("X", "y", "batch_size", "rng"),
        verify=_verify_minibatches,
        materialize=True,
        hints=(
            "Shuffle the row indices once, then walk through them batch_size at a time. Select the rows "
            "of X and of y with the same indices, so every example keeps its target.",
            "rng.permutation(len(X)) is a shuffled array of 0, ..., N-1. Loop over start in "
            "range(0, len(X), batch_size); the slice order[start:start + batch_size] holds one batch's "
            "indices, and the last slice is shorter all by itself. X[idx] and y[idx] select the rows.",
            "order = rng.permutation(len(X)); then for start in range(0, len(X), batch_size): "
            "idx = order[start:start + batch_size] and yield X[idx], y[idx]",
        ),
    ),
    Exercise(
        id="accuracy",
        lesson="10",
        task="return the fraction (a float in [0, 1]) of rows whose largest logit is at the true label",
        reference=accuracy,
        make_cases=_accuracy_cases,
        hidden_cases=_accuracy_hidden_cases,
        arg_names=("logits", "labels"),
        verify=_verify_accuracy,
        hints=(
            "The predicted class of a row is the position of its largest logit; accuracy is the "
            "fraction of rows where that position equals the label.",
            "logits.argmax(axis=1) gives the predicted class of every row, shape (N,). Comparing it "
            "with labels gives N booleans, and the mean of booleans is the fraction of True.",
            "return float(np.mean(logits.argmax(axis=1) == labels))",
        ),
    ),
    Exercise(
        id="train",
        lesson="10",
        task="train with mini-batch SGD; return (params, history) with one loss and one accuracy per epoch",
        reference=train,
        make_cases=_train_cases,
        hidden_cases=_train_hidden_cases,
        arg_names=("params", "X", "y"),
        prerequisites=("iterate_minibatches", "loss_and_gradients", "sgd_step", "mlp_forward", "accuracy"),
        verify=_verify_train,
        hints=(
            "Two loops: epochs outside, mini-batches inside. For each batch: loss and gradients, then "
            "one SGD step. After each epoch: record the epoch's mean loss and the training accuracy, "
            "then call the callback.",
            "In the batch loop: loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden); "
            "params = sgd_step(params, grads, lr); total += loss * len(y_batch). After it: "
            "history['loss'].append(total / len(X)) and, with logits from mlp_forward(X, params, hidden), "
            "history['accuracy'].append(accuracy(logits, y)).",
            "history = {'loss': [], 'accuracy': []}; for epoch in range(1, epochs + 1): total = 0.0; "
            "for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng): (the step of hint 2); "
            "append the loss and the accuracy; if callback is not None: callback(epoch, params, history). "
            "At the end: return params, history",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q10_1",
        lesson="10",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "An underfitting network cannot even fit its training data, so its training accuracy "
            "would be low too. Here the training set is fitted perfectly: a bigger network would make "
            "the gap worse, not better.",
            "b": "The network has memorised its training examples, noise and quirks included, and that "
            "does not carry over to new examples: overfitting. The usual cures: more training data, a "
            "smaller network, or stopping earlier, when the accuracy on held-out validation data stops "
            "improving.",
            "c": "Nothing says the two must be equal: the test examples were never used to fit the "
            "parameters, so the network can do worse on them. A gap is expected; a gap this large "
            "says the network does not generalize.",
            "d": "A learning rate that is too high makes the loss jump around or diverge on the training "
            "set itself; it would not reach 100 % training accuracy.",
        },
    ),
)
