"""Exercises and concept questions of lesson 10, training on real data.

``iterate_minibatches`` and ``train`` have no unique output for a seed (any way of shuffling
with ``rng`` is right), so each runs in a *harness* (``case_functions.minibatch_epochs``,
``case_functions.train_run``) that calls it as the lesson pins it down, and a verifier judges
the properties the lesson states, each with its own message:

- ``iterate_minibatches``: every example exactly once per epoch, batch_size rows per batch but
  the last, X and y still paired, shuffled; reproducible from the seed, another order for another
  seed and for the next epoch, drawn from the generator it was given.
- ``train``: batches from ``iterate_minibatches(X, y, batch_size, rng)``, one shuffle per epoch;
  one ``sgd_step`` per batch, so that the trained params equal SGD over exactly those batches
  (compared closely, whatever valid shuffle the learner's ``iterate_minibatches`` uses); the
  history's loss is the example-weighted mean of the epoch's batch losses, its accuracy that of
  all of X after the epoch; the callback runs after each epoch, from epoch 1, with the history
  already appended (a callback handed a copy of the history is fine).

``accuracy`` has a unique answer; its verifier names the usual wrong ones only when exactly one
of them explains the value received. ``early_stopping`` is compared with the reference (its
cases train with one batch per epoch, so the shuffle cannot matter).

Every mistake and correct variant below is a self-contained function that uses numpy and the
exercise's prerequisites only, as a learner writes it.
"""

from __future__ import annotations

import copy
import re

import numpy as np

from nnlib.activations import softmax
from nnlib.data import make_blobs
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.exercises.case_functions import minibatch_epochs, train_run
from nnlib.losses import softmax_cross_entropy
from nnlib.mlp import Dense, init_mlp, loss_and_gradients, mlp_forward
from nnlib.optim import sgd_step
from nnlib.training import accuracy, early_stopping, iterate_minibatches, train

# --------------------------------------------------------------------------- #
# Reading flattened outputs
# --------------------------------------------------------------------------- #


def _part(received: dict, key: str) -> dict:
    """The part of a flattened dict output under ``key``, with that prefix removed."""
    prefix = f"[{key!r}]"
    return {k[len(prefix):]: v for k, v in received.items() if k.startswith(prefix)}


_ITEM = re.compile(r"^\[(\d+)\]\[(\d+)\]$")  # "[k][j]": part j of batch k
_TOP = re.compile(r"^\[(\d+)\]$")


def _split_batches(received):
    """{"[k][j]": array} -> list of (X_batch, y_batch), or an error message."""
    if not received or set(received) == {"#len"}:
        return "your generator yielded no batches: yield each (X_batch, y_batch) inside the loop"
    if set(received) == {""}:
        return "you returned a single array or number, not a sequence of (X_batch, y_batch) batches"
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


def _same_batches(a, b) -> bool:
    return (not isinstance(a, str) and not isinstance(b, str) and len(a) == len(b)
            and all(xa.shape == xb.shape and np.array_equal(xa, xb) and np.array_equal(ya, yb)
                    for (xa, ya), (xb, yb) in zip(a, b, strict=True)))


def _untouched_draw(rng) -> float:
    """The first draw of a copy of ``rng`` as it is in the case: what a never-used generator gives."""
    return float(copy.deepcopy(rng).random())


# --------------------------------------------------------------------------- #
# iterate_minibatches
# --------------------------------------------------------------------------- #


def _minibatch_case(name, n, batch_size, rng, d=3, targets=False):
    # Row i of X is (i*d, i*d + 1, ...): all rows differ, so each row of a batch says which example
    # it is. The labels 7i mod n are class-id-like integers that also tell the rows apart.
    X = np.arange(n * d, dtype=np.float64).reshape(n, d)
    y = (7 * np.arange(n)) % max(n, 1)
    if targets:  # (N, K) float targets: the rows of y must travel with the rows of X too
        y = np.column_stack([np.arange(n) * 0.5, -np.arange(n) - 1.0])
    seed, other = (int(s) for s in rng.integers(2**31, size=2))
    return Case(name, (X, y, batch_size, np.random.default_rng(seed)),
                {"other_rng": np.random.default_rng(other)})


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


def _check_epoch(X, y, batch_size, batches):
    """What is wrong with one epoch's batches (a message), or their example order (an int array)."""
    n = len(X)
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
    seen, order = {}, []
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
    if n < 20:  # a small shuffle may look ordered by chance
        return order
    if np.array_equal(order, np.arange(n)):
        return ("the batches come in the original order (X[0], X[1], ...): shuffle first, so each "
                "batch is a random sample (data is often sorted, e.g. by class)")
    starts = np.cumsum([0, *sizes[:-1]])
    contiguous = all(np.array_equal(order[s:s + size], np.arange(order[s], order[s] + size))
                     for s, size in zip(starts, sizes, strict=True))
    if batch_size > 1 and len(sizes) > 1 and contiguous:
        return ("each batch is a contiguous slice of X in the original order; only the order of the "
                "batches is shuffled: shuffle the examples (a permutation of all N indices), then slice")
    if sizes != expected:
        return (f"the batch sizes come in the order {_sizes_text(sizes)}: all batches must have "
                f"batch_size={batch_size} rows except the last one, which holds what is left")
    return order


def _verify_minibatches(case, received):
    X, y, batch_size, rng = case.args
    if "['returned_none']" in received:
        return ("your function returned None: yield each (X_batch, y_batch) inside the loop "
                "(or return a list of them)")
    first = _split_batches(_part(received, "first"))
    if isinstance(first, str):
        return first
    checked = _check_epoch(X, y, batch_size, first)
    if isinstance(checked, str):
        return checked
    replay = _split_batches(_part(received, "replay"))
    if not _same_batches(first, replay):
        return ("the same seed gave other batches: shuffle with the rng you are given (e.g. "
                "rng.permutation(len(X))), so that a seed always gives the same batches; np.random.* and a "
                "generator without a seed are not reproducible")
    if len(X) >= 20:
        if _same_batches(first, _split_batches(_part(received, "other"))):
            return ("another seed gave the same batches: draw the shuffle from the rng argument, not from "
                    "a generator of your own with a fixed seed (such as np.random.default_rng(0))")
        if _same_batches(first, _split_batches(_part(received, "second"))):
            return ("two epochs in a row got the same batches: each call must draw a new order from rng "
                    "(do not copy rng or reset its state)")
    next_draw = received.get("['next_draw']")
    if next_draw is not None and len(X) > 1 and float(next_draw) == _untouched_draw(rng):
        return ("your function never drew from the rng it was given: shuffle with it "
                "(e.g. rng.permutation(len(X))), not with a copy or another generator")
    return None


def _bug_drops_last_batch(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _bug_no_shuffle(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _bug_shuffles_x_and_y_separately(X, y, batch_size, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _bug_batches_one_too_big(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size + 1]
        yield X[idx], y[idx]


def _bug_array_split_into_batch_size_parts(X, y, batch_size, rng):
    for idx in np.array_split(rng.permutation(len(X)), batch_size):
        yield X[idx], y[idx]


def _bug_shuffles_in_place(X, y, batch_size, rng):
    state = rng.bit_generator.state
    rng.shuffle(X)
    rng.bit_generator.state = state
    rng.shuffle(y)
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _bug_global_random(X, y, batch_size, rng):
    order = np.random.permutation(len(X))  # noqa: NPY002 (the mistake)
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _bug_own_seeded_generator(X, y, batch_size, rng):
    order = np.random.default_rng(0).permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _bug_copies_the_generator(X, y, batch_size, rng):
    import copy

    order = copy.deepcopy(rng).permutation(len(X))  # the caller's rng never moves on
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _bug_shuffles_only_the_batch_order(X, y, batch_size, rng):
    starts = list(range(0, len(X), batch_size))
    rng.shuffle(starts)
    for start in starts:
        yield X[start:start + batch_size], y[start:start + batch_size]


def _bug_return_instead_of_yield(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        return X[idx], y[idx]


def _bug_yields_x_only(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]]


def _bug_returns_nothing(X, y, batch_size, rng):
    rng.permutation(len(X))


def _bug_new_permutation_per_batch(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        idx = rng.permutation(len(X))[start:start + batch_size]
        yield X[idx], y[idx]


def _bug_small_batch_first(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    rest = len(X) % batch_size
    if rest:
        yield X[order[:rest]], y[order[:rest]]
    for start in range(rest, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


_MINIBATCH_MISTAKES = (
    Mistake("drops the last, smaller batch", _bug_drops_last_batch, "the last, smaller batch is missing"),
    Mistake("does not shuffle", _bug_no_shuffle, "the batches come in the original order"),
    Mistake("shuffles X and y with two permutations", _bug_shuffles_x_and_y_separately,
            "X and y are no longer paired"),
    Mistake("slices one row too many", _bug_batches_one_too_big, "expected 7 batches of sizes 8 ×6, 2"),
    Mistake("np.array_split into batch_size parts", _bug_array_split_into_batch_size_parts,
            "got 8 batches of sizes 7 ×2, 6 ×6"),
    Mistake("shuffles X and y in place", _bug_shuffles_in_place, "changed its input X"),
    Mistake("shuffles with np.random instead of rng", _bug_global_random, "the same seed gave other batches"),
    Mistake("shuffles with its own np.random.default_rng(0)", _bug_own_seeded_generator,
            "another seed gave the same batches"),
    Mistake("shuffles with a copy of rng", _bug_copies_the_generator,
            "two epochs in a row got the same batches"),
    Mistake("shuffles only the order of the batches", _bug_shuffles_only_the_batch_order,
            "only the order of the batches is shuffled"),
    Mistake("returns inside the loop", _bug_return_instead_of_yield,
            "you returned one pair (X, y), not a sequence of batches"),
    Mistake("yields X_batch only", _bug_yields_x_only, "yields single arrays"),
    Mistake("forgets to yield or return", _bug_returns_nothing, "your function returned None"),
    Mistake("a new permutation for every batch", _bug_new_permutation_per_batch, "appears twice"),
    Mistake("the smaller batch first", _bug_small_batch_first, "the batch sizes come in the order"),
)


def _ok_choice(X, y, batch_size, rng):
    order = rng.choice(len(X), size=len(X), replace=False)
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _ok_list_of_batches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    return [(X[order[s:s + batch_size]], y[order[s:s + batch_size]]) for s in range(0, len(X), batch_size)]


def _ok_shuffled_copies(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def _ok_fisher_yates(X, y, batch_size, rng):
    order = list(range(len(X)))
    for i in range(len(order) - 1, 0, -1):  # Fisher–Yates, by hand
        j = int(rng.integers(0, i + 1))
        order[i], order[j] = order[j], order[i]
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def _ok_argsort_of_random_keys(X, y, batch_size, rng):
    order = np.argsort(rng.random(len(X)))
    batches = []
    for start in range(0, len(X), batch_size):
        batches.append((X[order[start:start + batch_size]], y[order[start:start + batch_size]]))
    yield from batches


def _ok_child_generator(X, y, batch_size, rng):
    child = np.random.default_rng(rng.integers(2**63))  # seeded from rng: reproducible, fresh each call
    order = child.permutation(len(X))
    start = 0
    while start < len(X):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
        start += batch_size


def _ok_shuffle_an_index_array(X, y, batch_size, rng):
    idx = np.arange(len(X))
    rng.shuffle(idx)
    n_batches = -(-len(X) // batch_size)
    for k in range(n_batches):
        rows = idx[k * batch_size:(k + 1) * batch_size]
        yield X[rows], y[rows]


_MINIBATCH_VARIANTS = (
    Variant("rng.choice without replacement", _ok_choice),
    Variant("a list of batches instead of a generator", _ok_list_of_batches),
    Variant("shuffled copies of X and y, then slices", _ok_shuffled_copies),
    Variant("a hand-written Fisher–Yates shuffle with rng.integers", _ok_fisher_yates),
    Variant("np.argsort of rng.random(n)", _ok_argsort_of_random_keys),
    Variant("a child generator seeded from rng", _ok_child_generator),
    Variant("rng.shuffle of an index array, batches counted with ceiling division",
            _ok_shuffle_an_index_array),
)


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


#: 8 x 8 logits and labels on which each usual mistake gives its own value, none of them 0 or the
#: answer: accuracy 5/8; count 5, percent 62.5, error rate 3/8, the argmax of the flattened array
#: (index 0) 2/8, argmin 1/8, "true-class probability > 0.5" 4/8, the argmax over axis 0 7/8.
_SQUARE_LOGITS = np.array([[4.0, 0.1, -0.3, 0.2, -0.5, 0.4, -0.2, 0.0],
                           [0.3, 3.0, -0.4, 0.1, -0.6, -0.1, 0.2, -0.3],
                           [-0.2, 0.4, 2.8, -0.5, 0.0, 0.9, -0.4, 0.1],
                           [0.1, -0.3, 0.3, 2.5, 0.2, -0.4, 0.0, -0.6],
                           [0.6, 0.7, 0.5, 0.3, 1.2, 0.4, 0.8, 0.2],
                           [-1.5, 0.3, 0.1, 0.6, -0.2, 0.0, 0.2, -0.4],
                           [0.0, -0.2, 0.5, 0.1, -0.3, 0.2, 1.0, 1.6],
                           [0.4, 2.4, -0.1, 0.0, 0.1, -0.3, -0.5, 1.9]])
_SQUARE_LABELS = np.array([0, 1, 2, 3, 4, 0, 6, 7])


def _accuracy_cases(rng):
    square = (_SQUARE_LOGITS.copy(), _SQUARE_LABELS.copy())
    flat = rng.normal(size=(12, 10)) * 0.4  # 10 classes, small logits: top probabilities below 0.5
    ordinary = rng.normal(size=(8, 3)) * 2
    big = rng.normal(size=(6, 4)) * 1e4
    one = rng.normal(size=(1, 3))
    return [
        Case("8 examples, 8 classes (square, so a wrong argmax axis still runs)", square),
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


def _accuracy_slips(logits, labels, expected):
    """Each usual mistake: (the value it gives on this case, what to tell the learner)."""
    n = len(labels)
    probs = softmax(logits)
    slips = [
        (n * expected, f"that is the number of correct rows; divide by N = {n} for a fraction"),
        (100 * expected, "that is a percentage; return a fraction in [0, 1]"),
        (1 - expected, "that is the fraction of wrong rows (the error rate), 1 - accuracy"),
        (float(np.mean(logits.argmax() == labels)),
         "argmax without an axis gives one index into the flattened array; use axis=1"),
        (float(np.mean(logits.argmin(axis=1) == labels)),
         "that compares the position of each row's *smallest* score (argmin) with the labels; use argmax"),
        (float(np.mean(probs[np.arange(n), labels] > 0.5)),
         "that counts rows whose true class has probability > 0.5; a row is correct when its true "
         "class has the largest score, even below 0.5 (with 10 classes, 0.3 can be the largest)"),
    ]
    if logits.shape[1] == n:  # only a square case lets argmax(axis=0) run
        slips.append((float(np.mean(logits.argmax(axis=0) == labels)),
                      "that is the argmax over axis 0 (over the examples); the predicted class of a "
                      "row is the argmax over the classes, axis=1"))
    return slips


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
    # A mistake is named only when it alone explains the value (on some cases two give the same).
    named = [text for guess, text in _accuracy_slips(logits, labels, expected)
             if np.isclose(value, guess, rtol=1e-9, atol=1e-12)]
    if len(named) == 1:
        return f"{said}: {named[0]}"
    if value == 0.0:  # many mistakes give 0: say what is seen, not one guess
        return (f"{said}: no row counted as correct, though {round(expected * n)} of {n} are. A row is "
                "correct when the position of its largest score, logits.argmax(axis=1), equals its label "
                "(compare positions, not the scores themselves; and int() of a fraction below 1 is 0)")
    return f"{said}: accuracy is the fraction of rows whose largest logit is at the true label"


def _bug_count(logits, labels):
    return int(np.sum(logits.argmax(axis=1) == labels))


def _bug_percent(logits, labels):
    return 100 * float(np.mean(logits.argmax(axis=1) == labels))


def _bug_error_rate(logits, labels):
    return float(np.mean(logits.argmax(axis=1) != labels))


def _bug_argmax_without_axis(logits, labels):
    return float(np.mean(logits.argmax() == labels))


def _bug_argmax_axis_0(logits, labels):
    return float(np.mean(logits.argmax(axis=0) == labels))


def _bug_argmin(logits, labels):
    return float(np.mean(logits.argmin(axis=1) == labels))


def _bug_scores_not_positions(logits, labels):
    return float(np.mean(logits.max(axis=1) == labels))


def _bug_probability_above_half(logits, labels):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    return float(np.mean(probs[np.arange(len(labels)), labels] > 0.5))


def _bug_per_row(logits, labels):
    return logits.argmax(axis=1) == labels


def _bug_in_a_list(logits, labels):
    return [float(np.mean(logits.argmax(axis=1) == labels))]


def _bug_int_of_a_fraction(logits, labels):
    return int(np.sum(logits.argmax(axis=1) == labels) / len(labels))


_ACCURACY_MISTAKES = (
    Mistake("a count of correct rows", _bug_count, "the number of correct rows; divide by N = 8"),
    Mistake("a percentage", _bug_percent, "a percentage"),
    Mistake("the error rate", _bug_error_rate, "the error rate"),
    Mistake("argmax without an axis", _bug_argmax_without_axis, "argmax without an axis"),
    Mistake("argmax over axis 0", _bug_argmax_axis_0, "the argmax over axis 0"),
    Mistake("argmin instead of argmax", _bug_argmin, "*smallest* score (argmin)"),
    Mistake("the largest score compared with the label", _bug_scores_not_positions,
            "no row counted as correct"),
    Mistake("true-class probability above 0.5", _bug_probability_above_half, "probability > 0.5"),
    Mistake("one boolean per row", _bug_per_row, "one value per example (shape (8,))"),
    Mistake("the number in a list", _bug_in_a_list, "expected one number"),
    Mistake("int() of the fraction", _bug_int_of_a_fraction, "int() of a fraction below 1 is 0"),
)


def _ok_numpy_float(logits, labels):
    return np.mean(logits.argmax(axis=1) == labels)  # a numpy float64, not a Python float


def _ok_sum_over_length(logits, labels):
    return np.sum(np.argmax(logits, axis=1) == labels) / len(labels)


def _ok_loop(logits, labels):
    correct = 0
    for row, label in zip(logits, labels, strict=True):
        if int(np.argmax(row)) == int(label):
            correct += 1
    return correct / len(labels)


def _ok_count_nonzero(logits, labels):
    return float(np.count_nonzero(logits.argmax(-1) == labels)) / labels.shape[0]


def _ok_argsort_last(logits, labels):
    top = np.argsort(logits, axis=1)[:, -1]
    return float((top == labels).mean())


def _ok_average_of_matches(logits, labels):
    matches = [1.0 if np.argmax(logits[i]) == labels[i] else 0.0 for i in range(len(labels))]
    return float(np.average(matches))


_ACCURACY_VARIANTS = (
    Variant("a numpy float64 from np.mean", _ok_numpy_float),
    Variant("np.sum of the matches over N", _ok_sum_over_length),
    Variant("a loop over the rows", _ok_loop),
    Variant("np.count_nonzero, argmax over the last axis", _ok_count_nonzero),
    Variant("the last column of argsort", _ok_argsort_last),
    Variant("np.average of a list of 0/1", _ok_average_of_matches),
)


# --------------------------------------------------------------------------- #
# train
# --------------------------------------------------------------------------- #

_BLOB_CENTERS = ((-2.0, 0.0), (2.0, 0.0), (0.0, 2.5))


def _train_case(name, rng, sizes, n_per_class, *, epochs, lr, batch_size, hidden=None, callback=True,
                std=0.7):
    # make_blobs returns the classes in blocks: an unshuffled train would see one class per batch.
    X, y = make_blobs(n_per_class, _BLOB_CENTERS, std, rng)
    params = init_mlp(sizes, rng)
    kwargs = {"epochs": epochs, "lr": lr, "batch_size": batch_size,
              "rng": np.random.default_rng(int(rng.integers(2**31))), "callback": callback}
    if hidden is not None:
        kwargs["hidden"] = hidden
    return Case(name, (params, X, y), kwargs)


def _train_cases(rng):
    return [
        _train_case("full batch (batch_size = N = 30)", rng, (2, 8, 3), 10, epochs=5, lr=0.2, batch_size=30,
                    std=1.0),
        _train_case("mini-batches of 8, N = 60 (the last batch has 4)", rng, (2, 8, 3), 20, epochs=6, lr=0.3,
                    batch_size=8),
        _train_case("hidden='tanh', two hidden layers, mini-batches of 10, N = 24", rng, (2, 6, 5, 3), 8,
                    epochs=4, lr=0.5, batch_size=10, hidden="tanh"),
        _train_case("batch_size = 64 > N = 15, one epoch, no callback", rng, (2, 4, 3), 5, epochs=1, lr=0.1,
                    batch_size=64, callback=False),
        _train_case("hidden='sigmoid', mini-batches of 7, N = 45, no callback", rng, (2, 6, 3), 15, epochs=3,
                    lr=0.5, batch_size=7, hidden="sigmoid", callback=False),
    ]


def _train_hidden_cases(rng):
    return [
        _train_case("mini-batches of 5, N = 36", rng, (2, 10, 3), 12, epochs=4, lr=0.3, batch_size=5),
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


def _same_params(layers, params, rtol=1e-6, atol=1e-9):
    return all(np.allclose(W, p.W, rtol=rtol, atol=atol) and np.allclose(b, p.b, rtol=rtol, atol=atol)
               for (W, b), p in zip(layers, params, strict=True))


def _sgd_over(params, X, y, epochs_of_batches, lr, hidden):
    """SGD over the given batches (row indices per epoch), with what each history variant would record."""
    record = {"loss": [], "unweighted": [], "sum_of_means": [], "after_epoch": [], "accuracy": [],
              "last_batch_accuracy": []}
    for batches in epochs_of_batches:
        losses, sizes = [], []
        for rows in batches:
            loss, grads = loss_and_gradients(params, X[rows], y[rows], hidden=hidden)
            params = sgd_step(params, grads, lr)
            losses.append(loss)
            sizes.append(len(rows))
        logits, _ = mlp_forward(X, params, hidden)
        record["loss"].append(float(np.dot(losses, sizes) / len(X)))
        record["unweighted"].append(float(np.mean(losses)))
        record["sum_of_means"].append(float(np.sum(losses)))
        record["after_epoch"].append(softmax_cross_entropy(logits, y))
        record["accuracy"].append(accuracy(logits, y))
        last = batches[-1]
        record["last_batch_accuracy"].append(accuracy(mlp_forward(X[last], params, hidden)[0], y[last]))
    return params, record


_ACCURACY_WHEN = ("after each epoch's updates, record the accuracy of the current params on all of X "
                  "(mlp_forward, then accuracy)")
_BATCHES = "iterate_minibatches(X, y, batch_size, rng)"


def _replayed_batches(received, epochs, n):
    """The batches (row indices) of each epoch as train's iterate_minibatches gives them, or a message."""
    epochs_of_batches = []
    for epoch in range(epochs):
        batches = [received[f"['batches'][{epoch}][{k}]"].astype(np.int64)
                   for k in range(n) if f"['batches'][{epoch}][{k}]" in received]
        rows = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
        if len(rows) != n or not np.array_equal(np.sort(rows), np.arange(n)):
            return (f"{_BATCHES}, which your train uses, does not give every example exactly once per "
                    "epoch: fix iterate_minibatches first "
                    "(check('iterate_minibatches', iterate_minibatches))")
        epochs_of_batches.append(batches)
    return epochs_of_batches


def _verify_train_structure(case, result):
    """The checks on the shape of train's result: a message, or (layers, history) to judge further."""
    params0, _, _ = case.args
    epochs = case.kwargs["epochs"]
    if any(re.fullmatch(r"\[\d+\]\.(W|b)", key) for key in result):
        return "you returned only params; return both: return params, history"
    if not any(key.startswith("[1]") for key in result):
        return "the result must be a pair (params, history); got no history (return params, history)"
    layers = _read_params(result, params0)
    if isinstance(layers, str):
        return layers
    history = {name: _read_list(result, f"[1][{name!r}]") for name in ("loss", "accuracy")}
    for name, values in history.items():
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
    return layers, history


def _verify_callback(case, received, history):
    epochs = case.kwargs["epochs"]
    table: dict[int, dict[int, float]] = {}
    for key, value in _part(received, "callback").items():
        if match := _ITEM.match(key):
            table.setdefault(int(match.group(1)), {})[int(match.group(2))] = float(value)
    calls = np.array([[table[i].get(j, np.nan) for j in range(5)] for i in sorted(table)]).reshape(-1, 5)
    if len(calls) == 0:
        return ("the callback was never called: after each epoch, call callback(epoch, params, history) "
                "when callback is not None")
    if len(calls) != epochs:
        return (f"the callback was called {len(calls)} times for epochs={epochs}: "
                "call it once per epoch, after the epoch's last batch")
    seen = calls[:, 0]
    if seen[0] == 0:
        return ("the callback got epoch numbers from 0; count epochs from 1: "
                "callback(1, ...) after the first epoch")
    if not np.array_equal(seen, np.arange(1, epochs + 1)):
        return f"the callback got epochs {[int(e) for e in seen]}; expected 1, 2, ..., {epochs}"
    if np.isnan(calls[:, 1]).any():
        return "the callback's history was not a dict with lists 'loss' and 'accuracy': pass your history"
    if not (np.array_equal(calls[:, 1], np.arange(1, epochs + 1))
            and np.array_equal(calls[:, 2], np.arange(1, epochs + 1))):
        return ("the callback ran before this epoch's loss and accuracy were appended to history: "
                "append them first, then call the callback")
    if not (np.allclose(calls[:, 3], history["loss"]) and np.allclose(calls[:, 4], history["accuracy"])):
        return "the callback saw other loss and accuracy values than the history you return"
    return None


def _verify_shuffles(case, received):
    """Did train draw one shuffle per epoch from rng, through iterate_minibatches?"""
    epochs = case.kwargs["epochs"]
    draws = _read_list(received, "['draws']")
    next_draw = float(received["['next_draw']"])
    matches = [k for k, draw in enumerate(draws) if draw == next_draw]
    if epochs in matches:
        return None
    if 0 in matches:
        return (f"your train never drew from rng: get each epoch's batches from {_BATCHES}, which shuffles "
                "with it (np.random and batches in the original order do not)")
    if 1 in matches and epochs > 1:
        return (f"your train shuffled once and reused those batches in every epoch: call {_BATCHES} inside "
                "the epoch loop, so each epoch gets a new order")
    return (f"your train drew from rng more (or otherwise) than one shuffle per epoch: get each epoch's "
            f"batches from one call of {_BATCHES} (a new permutation per batch repeats some examples and "
            "misses others)")


def _verify_train(case, received):
    params0, X, y = case.args
    kw = case.kwargs
    epochs, lr = kw["epochs"], kw["lr"]
    hidden = kw.get("hidden", "relu")
    structure = _verify_train_structure(case, _part(received, "result"))
    if isinstance(structure, str):
        return structure
    layers, history = structure
    if kw["callback"]:
        message = _verify_callback(case, received, history)
        if message:
            return message
    if _same_params(layers, params0, rtol=0, atol=0):
        return "params never changed: keep the result of each step, params = sgd_step(params, grads, lr)"
    message = _verify_shuffles(case, received)
    if message:
        return message
    batches = _replayed_batches(received, epochs, len(X))
    if isinstance(batches, str):
        return batches
    expected, record = _sgd_over(params0, X, y, batches, lr, hidden)
    if not _same_params(layers, expected):
        if hidden != "relu" and _same_params(layers, _sgd_over(params0, X, y, batches, lr, "relu")[0]):
            return (f"your train ignores hidden={hidden!r}: pass hidden=hidden to loss_and_gradients "
                    "and to mlp_forward")
        return (f"the trained params differ from SGD over the batches that {_BATCHES} gives, epoch by epoch: "
                "each batch, in the order it comes, must be one params = sgd_step(params, grads, lr) with "
                "grads from loss_and_gradients(params, X_batch, y_batch, hidden=hidden); check lr too")
    got = history["loss"]
    if not np.allclose(got, record["loss"], rtol=1e-6, atol=1e-9):
        slips = [
            (np.array(record["loss"]) * len(X), f"history['loss'] is N = {len(X)} times too large: divide "
             "the epoch's summed loss by N for the mean"),
            (record["unweighted"], "history['loss'] is the plain mean of the batch losses; weight each by "
             "its batch size (the last batch may be smaller): sum(loss * len(y_batch)) / N"),
            (record["sum_of_means"], "history['loss'] is the sum of the batch losses; it is their mean over "
             "the examples: sum(loss * len(y_batch)) / N"),
            (record["after_epoch"], "history['loss'][e] is the loss after epoch e's updates: record the mean "
             "of the batch losses computed during the epoch, before each step"),
        ]
        for values, text in slips:
            if np.allclose(got, values, rtol=1e-6, atol=1e-9):
                return text
        return (f"history['loss'] = {np.round(got, 4).tolist()}, expected "
                f"{np.round(record['loss'], 4).tolist()}:"
                " record the mean over the epoch of the batch losses that loss_and_gradients returned "
                "(before each step), weighted by batch size: sum(loss * len(y_batch)) / N")
    got = history["accuracy"]
    if not np.allclose(got, record["accuracy"], rtol=0, atol=1e-9):
        if epochs > 1 and np.allclose(got[1:], record["accuracy"][:-1], rtol=0, atol=1e-9):
            return ("history['accuracy'] lags one epoch behind: it was measured before the epoch's "
                    f"update; {_ACCURACY_WHEN}")
        if np.allclose(got, record["last_batch_accuracy"], rtol=0, atol=1e-9):
            return f"history['accuracy'] is the accuracy on the last batch only; {_ACCURACY_WHEN}"
        return (f"history['accuracy'] = {np.round(got, 4).tolist()}, expected "
                f"{np.round(record['accuracy'], 4).tolist()}: {_ACCURACY_WHEN}")
    return None


# Known mistakes, each a whole train with one slip.


def _bug_no_update(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            sgd_step(params, grads, lr)  # the new params are thrown away
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_ignores_hidden(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_no_shuffle_train(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for start in range(0, len(X), batch_size):
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_numpy_permutation(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        order = np.random.permutation(len(X))  # noqa: NPY002 (the mistake)
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            loss, grads = loss_and_gradients(params, X[rows], y[rows], hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(rows)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_batches_reused(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    batches = list(iterate_minibatches(X, y, batch_size, rng))  # shuffled once, before the epochs
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in batches:
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_permutation_per_batch(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = rng.permutation(len(X))[start:start + batch_size]
            loss, grads = loss_and_gradients(params, X[rows], y[rows], hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(rows)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_contiguous_blocks(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        starts = np.arange(0, len(X), batch_size)
        order = rng.permutation(len(X))  # drawn, but only to order blocks of X kept in its own order
        for start in starts[np.argsort(order[:len(starts)])]:
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_small_batch_first_train(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        batches = list(iterate_minibatches(X, y, batch_size, rng))
        for X_batch, y_batch in reversed(batches):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_unweighted_mean(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        losses = []
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            losses.append(loss)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_sum_of_batch_means(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss
        history["loss"].append(total)
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_summed_loss(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total)  # not divided by N
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_loss_after_epoch(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            _, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
        history["loss"].append(loss_and_gradients(params, X, y, hidden=hidden)[0])
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_accuracy_before(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        before = accuracy(mlp_forward(X, params, hidden)[0], y)
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(before)
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_accuracy_of_last_batch(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X_batch, params, hidden)[0], y_batch))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_percent_accuracy(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(100 * accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_loss_per_batch(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            history["loss"].append(loss)
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_calls_a_missing_callback(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        callback(epoch, params, history)  # also when no callback was given
    return params, history


def _bug_never_calls_back(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
    return params, history


def _bug_callback_from_0(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _bug_callback_before_history(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        if callback is not None:
            callback(epoch, params, history)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
    return params, history


def _bug_only_params(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params


def _bug_mutates_params(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            for layer, grad in zip(params, grads, strict=True):
                layer.W[...] -= lr * grad.W  # writes into the caller's arrays
                layer.b[...] -= lr * grad.b
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


_TRAIN_MISTAKES = (
    Mistake("drops sgd_step's result", _bug_no_update, "params never changed"),
    Mistake("ignores hidden", _bug_ignores_hidden, "ignores hidden='tanh'"),
    Mistake("batches in the original order", _bug_no_shuffle_train, "your train never drew from rng"),
    Mistake("np.random.permutation instead of rng", _bug_numpy_permutation, "your train never drew from rng"),
    Mistake("shuffles once and reuses the batches", _bug_batches_reused, "shuffled once and reused"),
    Mistake("a new permutation for every batch", _bug_permutation_per_batch,
            "more (or otherwise) than one shuffle per epoch"),
    Mistake("contiguous blocks of X in a shuffled order", _bug_contiguous_blocks,
            "the trained params differ from SGD over the batches"),
    Mistake("the batches of an epoch in reverse, the small one first", _bug_small_batch_first_train,
            "the trained params differ from SGD over the batches"),
    Mistake("the plain mean of the batch losses", _bug_unweighted_mean, "the plain mean of the batch losses"),
    Mistake("the sum of the batch means", _bug_sum_of_batch_means, "the sum of the batch losses"),
    Mistake("the summed loss, not divided by N", _bug_summed_loss, "N = 30 times too large"),
    Mistake("the loss after the epoch's updates", _bug_loss_after_epoch, "the loss after epoch e's updates"),
    Mistake("the accuracy before the epoch's updates", _bug_accuracy_before, "lags one epoch behind"),
    Mistake("the accuracy of the last batch", _bug_accuracy_of_last_batch, "the accuracy on the last batch"),
    Mistake("a percentage", _bug_percent_accuracy, "holds values above 1"),
    Mistake("one loss per batch", _bug_loss_per_batch, "entries; expected one per epoch"),
    Mistake("calls a callback that is None", _bug_calls_a_missing_callback,
            "'NoneType' object is not callable"),
    Mistake("never calls the callback", _bug_never_calls_back, "the callback was never called"),
    Mistake("epochs counted from 0", _bug_callback_from_0, "epoch numbers from 0"),
    Mistake("the callback before the history is appended", _bug_callback_before_history,
            "the callback ran before this epoch's loss and accuracy were appended"),
    Mistake("returns only params", _bug_only_params, "you returned only params"),
    Mistake("updates the caller's arrays in place", _bug_mutates_params, "changed its input params[0].W"),
)


def _ok_callback_gets_a_copy(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden)[0], y))
        if callback is not None:
            callback(epoch, params, {key: list(values) for key, values in history.items()})
    return params, history


def _ok_lists_then_dict(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    losses, accuracies = [], []
    for epoch in range(epochs):
        batch_losses, sizes = [], []
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, hidden=hidden)
            params = sgd_step(params, grads, lr)
            batch_losses.append(loss)
            sizes.append(len(X_batch))
        losses.append(float(np.average(batch_losses, weights=sizes)))
        logits, _ = mlp_forward(X, params, hidden)
        accuracies.append(accuracy(logits, y))
        if callback:
            callback(epoch + 1, params, {"loss": losses, "accuracy": accuracies})
    return params, {"loss": losses, "accuracy": accuracies}


def _ok_while_loops(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    history = {"loss": [], "accuracy": []}
    epoch = 0
    while epoch < epochs:
        epoch += 1
        seen, total = 0, 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(params, X_batch, y_batch, "softmax_cross_entropy", hidden)
            params = sgd_step(params, grads, lr=lr)
            seen += len(y_batch)
            total += len(y_batch) * loss
        history["loss"].append(total / seen)
        history["accuracy"].append(float(np.mean(mlp_forward(X, params, hidden)[0].argmax(axis=1) == y)))
        if callback is not None:
            callback(epoch, params, history)
    return params, history


def _ok_tuple_result_and_named_args(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu",
                                    callback=None):
    history = dict(loss=[], accuracy=[])
    for epoch in range(1, epochs + 1):
        weighted = []
        for X_batch, y_batch in iterate_minibatches(X=X, y=y, batch_size=batch_size, rng=rng):
            value, grads = loss_and_gradients(params=params, X=X_batch, y=y_batch, hidden=hidden)
            params = sgd_step(params=params, grads=grads, lr=lr)
            weighted.append(value * X_batch.shape[0])
        history["loss"].append(sum(weighted) / X.shape[0])
        history["accuracy"].append(accuracy(mlp_forward(X, params, hidden=hidden)[0], y))
        if callback is not None:
            callback(epoch, params, history)
    return (params, history)


def _ok_copies_its_start(params, X, y, *, epochs, lr, batch_size, rng, hidden="relu", callback=None):
    current = [Dense(layer.W.copy(), layer.b.copy()) for layer in params]  # never touches the caller's
    history = {"loss": [], "accuracy": []}
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_gradients(current, X_batch, y_batch, hidden=hidden)
            current = sgd_step(current, grads, lr)
            total += loss * len(y_batch)
        history["loss"].append(total / len(X))
        history["accuracy"].append(accuracy(mlp_forward(X, current, hidden)[0], y))
        if callback is not None:
            callback(epoch, current, history)
    return current, history


_TRAIN_VARIANTS = (
    Variant("the callback gets a copy of the history", _ok_callback_gets_a_copy),
    Variant("two lists, np.average with weights, epochs counted from 0", _ok_lists_then_dict),
    Variant("a while loop, an own accuracy line, positional loss and hidden", _ok_while_loops),
    Variant("keyword arguments everywhere, a tuple result", _ok_tuple_result_and_named_args),
    Variant("a copy of the starting params", _ok_copies_its_start),
)


# --------------------------------------------------------------------------- #
# early_stopping
# --------------------------------------------------------------------------- #


def _early_stopping_case(name, rng, sizes, n_train, n_val, *, epochs, lr, hidden=None, std=1.6):
    X, y = make_blobs(n_train, _BLOB_CENTERS, std, rng)
    X_val, y_val = make_blobs(n_val, _BLOB_CENTERS, std, rng)
    kwargs = {"epochs": epochs, "lr": lr, "batch_size": len(X),  # one batch per epoch: no shuffle to differ
              "rng": np.random.default_rng(int(rng.integers(2**31)))}
    if hidden is not None:
        kwargs["hidden"] = hidden
    return Case(name, (init_mlp(sizes, rng), X, y, X_val, y_val), kwargs)


def _early_stopping_cases(rng):
    return [
        _early_stopping_case("24 training points, 30 epochs: the validation loss turns up", rng, (2, 16, 3),
                             8, 10, epochs=30, lr=1.0),
        _early_stopping_case("hidden='tanh', 15 epochs", rng, (2, 12, 3), 6, 8, epochs=15, lr=1.0,
                             hidden="tanh"),
        _early_stopping_case("one epoch: the best is epoch 1", rng, (2, 5, 3), 5, 5, epochs=1, lr=0.5),
        _early_stopping_case("well separated blobs: the loss still falls at the end", rng, (2, 8, 3), 10, 10,
                             epochs=8, lr=0.3, std=0.5),
    ]


def _early_stopping_hidden_cases(rng):
    return [_early_stopping_case("30 training points, 20 epochs", rng, (2, 10, 3), 10, 12, epochs=20, lr=1.0)]


# Known mistakes, each a whole early_stopping with one slip.


def _bug_keeps_the_last(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] == min(report["val_loss"]):
            report["best_epoch"] = epoch

    last, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                          callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return last, report  # the params of the last epoch, not of the best one


def _bug_best_by_training_loss(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if history["loss"][-1] == min(history["loss"]):  # the training loss decides
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return kept["params"], report


def _bug_best_by_validation_accuracy(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng,
                                     hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_accuracy"][-1] > max(report["val_accuracy"][:-1], default=-1.0):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return kept["params"], report


def _bug_epoch_from_0(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    val_loss, val_accuracy, kept = [], [], {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        val_loss.append(softmax_cross_entropy(logits, y_val))
        val_accuracy.append(accuracy(logits, y_val))
        if val_loss[-1] == min(val_loss):
            kept["params"], kept["epoch"] = current, len(val_loss) - 1  # an index, not the epoch
            kept["gap"] = history["accuracy"][-1] - val_accuracy[-1]

    train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden, callback=watch)
    return kept["params"], {"best_epoch": kept["epoch"], "val_loss": val_loss, "val_accuracy": val_accuracy,
                            "gap": kept["gap"]}


def _bug_highest_validation_loss(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] == max(report["val_loss"]):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return kept["params"], report


def _bug_validates_on_training_data(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng,
                                    hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X, current, hidden)  # the training data again
        report["val_loss"].append(softmax_cross_entropy(logits, y))
        report["val_accuracy"].append(accuracy(logits, y))
        if report["val_loss"][-1] == min(report["val_loss"]):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return kept["params"], report


def _bug_gap_reversed(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] == min(report["val_loss"]):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = report["val_accuracy"][at] - history["accuracy"][at]
    return kept["params"], report


def _bug_gap_at_the_last_epoch(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] == min(report["val_loss"]):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    report["gap"] = history["accuracy"][-1] - report["val_accuracy"][-1]
    return kept["params"], report


def _bug_validation_ignores_hidden(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng,
                                   hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": []}
    kept = {}

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current)  # relu, whatever the net uses
        report["val_loss"].append(softmax_cross_entropy(logits, y_val))
        report["val_accuracy"].append(accuracy(logits, y_val))
        if report["val_loss"][-1] == min(report["val_loss"]):
            kept["params"], report["best_epoch"] = current, epoch

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    at = report["best_epoch"] - 1
    report["gap"] = history["accuracy"][at] - report["val_accuracy"][at]
    return kept["params"], report


_EARLY_STOPPING_MISTAKES = (
    Mistake("returns the params of the last epoch: keep the params the callback receives at the best "
            "epoch (they are a new list every epoch, so keeping a reference is enough)", _bug_keeps_the_last),
    Mistake("the best epoch was chosen by the training loss, which keeps falling; choose it by the "
            "validation loss, measured on (X_val, y_val) after each epoch", _bug_best_by_training_loss),
    Mistake("the best epoch was chosen by the validation accuracy; the lesson stops at the lowest "
            "validation *loss* (smoother, and never tied)", _bug_best_by_validation_accuracy),
    Mistake("best_epoch counts from 0; epochs count from 1, as the callback receives them",
            _bug_epoch_from_0),
    Mistake("the epoch with the *highest* validation loss was kept; keep the lowest",
            _bug_highest_validation_loss),
    Mistake("the 'validation' loss was measured on the training data; measure it on (X_val, y_val), "
            "which training never sees", _bug_validates_on_training_data),
    Mistake("the gap has the wrong sign: it is training accuracy minus validation accuracy",
            _bug_gap_reversed),
    Mistake("the gap was measured at the last epoch; measure it at the best epoch, whose params you return",
            _bug_gap_at_the_last_epoch),
    Mistake("the validation forward pass used ReLU: pass hidden to mlp_forward",
            _bug_validation_ignores_hidden),
)


def _ok_one_epoch_at_a_time(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    best_params, best_epoch, best_loss = params, 0, np.inf
    val_loss, val_accuracy, train_accuracy = [], [], []
    current = params
    for epoch in range(1, epochs + 1):
        current, history = train(current, X, y, epochs=1, lr=lr, batch_size=batch_size, rng=rng,
                                 hidden=hidden)
        logits, _ = mlp_forward(X_val, current, hidden)
        val_loss.append(softmax_cross_entropy(logits, y_val))
        val_accuracy.append(accuracy(logits, y_val))
        train_accuracy.append(history["accuracy"][-1])
        if val_loss[-1] < best_loss:
            best_params, best_epoch, best_loss = current, epoch, val_loss[-1]
    gap = train_accuracy[best_epoch - 1] - val_accuracy[best_epoch - 1]
    return best_params, {"best_epoch": best_epoch, "val_loss": val_loss, "val_accuracy": val_accuracy,
                         "gap": gap}


def _ok_keep_everything_then_argmin(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng,
                                    hidden="relu"):
    snapshots, val_loss, val_accuracy = [], [], []

    def watch(epoch, current, history):
        snapshots.append(current)
        logits = mlp_forward(X_val, current, hidden)[0]
        val_loss.append(softmax_cross_entropy(logits, y_val))
        val_accuracy.append(accuracy(logits, y_val))

    _, history = train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden,
                       callback=watch)
    best = int(np.argmin(val_loss))  # the first minimum
    return snapshots[best], {"best_epoch": best + 1, "val_loss": val_loss, "val_accuracy": val_accuracy,
                             "gap": history["accuracy"][best] - val_accuracy[best]}


def _ok_class_callback(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    class Watcher:
        def __init__(self):
            self.losses, self.accuracies, self.best = [], [], None

        def __call__(self, epoch, current, history):
            logits, _ = mlp_forward(X_val, current, hidden)
            self.losses.append(softmax_cross_entropy(logits, y_val))
            self.accuracies.append(accuracy(logits, y_val))
            if self.best is None or self.losses[-1] < self.losses[self.best[0] - 1]:
                self.best = (epoch, current, history["accuracy"][-1] - self.accuracies[-1])

    watcher = Watcher()
    train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden, callback=watcher)
    epoch, best_params, gap = watcher.best
    return best_params, {"best_epoch": epoch, "val_loss": watcher.losses, "val_accuracy": watcher.accuracies,
                         "gap": gap}


def _ok_own_loss_formula(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    report = {"best_epoch": 0, "val_loss": [], "val_accuracy": [], "gap": 0.0}
    best = [params, np.inf]

    def watch(epoch, current, history):
        logits, _ = mlp_forward(X_val, current, hidden)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_probs[np.arange(len(y_val)), y_val].mean())
        report["val_loss"].append(loss)
        report["val_accuracy"].append(float(np.mean(logits.argmax(axis=1) == y_val)))
        if loss < best[1]:
            best[0], best[1] = current, loss
            report["best_epoch"] = epoch
            report["gap"] = history["accuracy"][-1] - report["val_accuracy"][-1]

    train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden, callback=watch)
    return best[0], report


def _ok_nonlocal(params, X, y, X_val, y_val, *, epochs, lr, batch_size, rng, hidden="relu"):
    best_params, best_epoch, gap = params, 0, 0.0
    losses, accuracies = [], []

    def watch(epoch, current, history):
        nonlocal best_params, best_epoch, gap
        logits, _ = mlp_forward(X_val, current, hidden)
        losses.append(softmax_cross_entropy(logits, y_val))
        accuracies.append(accuracy(logits, y_val))
        if best_epoch == 0 or losses[-1] < losses[best_epoch - 1]:
            best_params, best_epoch = current, epoch
            gap = history["accuracy"][-1] - accuracies[-1]

    train(params, X, y, epochs=epochs, lr=lr, batch_size=batch_size, rng=rng, hidden=hidden, callback=watch)
    return best_params, dict(best_epoch=best_epoch, val_loss=losses, val_accuracy=accuracies, gap=gap)


_EARLY_STOPPING_VARIANTS = (
    Variant("train called one epoch at a time", _ok_one_epoch_at_a_time),
    Variant("every epoch's params kept, np.argmin at the end", _ok_keep_everything_then_argmin),
    Variant("a callable class as the callback", _ok_class_callback),
    Variant("an own stable cross-entropy and accuracy", _ok_own_loss_formula),
    Variant("nonlocal variables in the callback", _ok_nonlocal),
)


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
        harness=minibatch_epochs,
        mistakes=_MINIBATCH_MISTAKES,
        variants=_MINIBATCH_VARIANTS,
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
        mistakes=_ACCURACY_MISTAKES,
        variants=_ACCURACY_VARIANTS,
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
        prerequisites=("iterate_minibatches", "loss_and_gradients", "sgd_step", "mlp_forward", "accuracy",
                       "Dense"),
        verify=_verify_train,
        harness=train_run,
        mistakes=_TRAIN_MISTAKES,
        variants=_TRAIN_VARIANTS,
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
    Exercise(
        id="early_stopping",
        lesson="10",
        task="train, measure the validation loss after each epoch, and keep the params of the best epoch; "
        "return (best_params, report)",
        reference=early_stopping,
        make_cases=_early_stopping_cases,
        hidden_cases=_early_stopping_hidden_cases,
        arg_names=("params", "X", "y", "X_val", "y_val"),
        prerequisites=("train", "mlp_forward", "softmax_cross_entropy", "accuracy", "Dense"),
        mistakes=_EARLY_STOPPING_MISTAKES,
        variants=_EARLY_STOPPING_VARIANTS,
        hints=(
            "Let train do the training and give it a callback: after every epoch the callback sees the "
            "current params, so it can measure them on the validation set and remember the best so far.",
            "In the callback: logits from mlp_forward(X_val, params, hidden); the validation loss is "
            "softmax_cross_entropy(logits, y_val), the accuracy accuracy(logits, y_val). Append both; when "
            "the loss is lower than every earlier one, keep params and the epoch. The gap at the best epoch "
            "is history['accuracy'] of that epoch minus the validation accuracy of that epoch.",
            "report = {'best_epoch': 0, 'val_loss': [], 'val_accuracy': []}; best = {}; def "
            "watch(epoch, current, history): (measure and append); if report['val_loss'][-1] < "
            "min(report['val_loss'][:-1], default=np.inf): best['params'], report['best_epoch'] = current, "
            "epoch. Then _, history = train(..., callback=watch); e = report['best_epoch'] - 1; "
            "report['gap'] = history['accuracy'][e] - report['val_accuracy'][e]; "
            "return best['params'], report",
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
    Question(
        id="q10_2",
        lesson="10",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "Every example is still used once per epoch, so the epoch's gradient steps see all of the "
            "data; what goes wrong is the order. Each batch holds one class only, and its step pulls every "
            "output towards that class.",
            "b": "The batches are as large as before, so each step costs the same; the order of the data "
            "does not change the cost of a step.",
            "c": "Cut in the original order, each batch of sorted data holds a single class: each step "
            "pushes the network towards 'always answer this class', and the next batches undo it. The "
            "mini-batch gradient is an unbiased estimate of the full gradient only for a random sample.",
            "d": "Shuffling changes which examples share a batch, not the examples themselves: the same "
            "data, each once per epoch, reaches the network.",
        },
    ),
    Question(
        id="q10_3",
        lesson="10",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="d",
        feedback={
            "a": "Accuracy only changes when a row's largest logit changes place; between two such events "
            "the loss keeps falling as the correct logits grow relative to the others. Both are possible.",
            "b": "Accuracy counts argmax hits, which a falling loss need not change; the network is learning "
            "(the correct classes get more probability), nothing is broken.",
            "c": "A learning rate that is too large makes the loss itself rise or jump; here the loss falls "
            "steadily.",
            "d": "Right: cross-entropy keeps rewarding more confident correct answers (and less confident "
            "wrong ones) while no prediction changes its argmax, so the accuracy can stay put. That is also "
            "why we train on the loss: it moves smoothly where the accuracy is a step function.",
        },
    ),
)
