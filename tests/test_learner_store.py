"""The learner store: check() carries passing functions forward, only in a learner's notebook session,
and lessons 09-10 build on them piece by piece; the capstone can run on nothing but the learner's code."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib import ACTIVATIONS, DenseCache, check  # the prerequisites of the functions below
from nnlib.data import load_digits, train_test_split
from nnlib.exercises import lesson09, lesson10
from nnlib.learner_store import (
    STORE_ENV,
    STORE_FOLDER,
    capture,
    entry_of,
    save_passing,
    saved,
    store_folder,
    what_ran,
    whose,
    your_code,
)
from nnlib.mlp import Dense, init_mlp

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- #
# A learner's correct functions for everything lesson 10's capstone runs, written as a learner
# would: each uses only numpy and the names its exercise provides (its prerequisites).
# --------------------------------------------------------------------------- #


def relu(z):
    return np.maximum(z, 0)


def relu_derivative(z):
    return (np.asarray(z) > 0).astype(np.asarray(z).dtype if np.asarray(z).dtype.kind == "f" else float)


def dense_forward(X, W, b, activation="relu"):
    Z = X @ W + b
    return ACTIVATIONS[activation][0](Z), DenseCache(X, Z)


def mlp_forward(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
        caches.append(cache)
    return A, caches


def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def softmax_cross_entropy_backward(logits, labels):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    probs[np.arange(len(labels)), labels] -= 1
    return probs / len(labels)


def sgd_step(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True)]


def activation_backward(dA, Z, activation):
    return dA * ACTIVATIONS[activation][1](Z)


def dense_backward(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ.sum(axis=0)


CAPSTONE_PATH = ("relu", "relu_derivative", "dense_forward", "mlp_forward", "softmax_cross_entropy",
                 "softmax_cross_entropy_backward", "sgd_step", "activation_backward", "dense_backward",
                 "mlp_backward", "loss_and_gradients", "iterate_minibatches", "accuracy", "train")
# Lessons 09 and 10's functions: correct variants of their banks, written as learners write them.
LEARNER = {
    **{name: globals()[name] for name in CAPSTONE_PATH[:9]},
    "mlp_backward": lesson09._ok_zip_reversed,
    "loss_and_gradients": lesson09._ok_backward_first,
    "iterate_minibatches": lesson10._ok_fisher_yates,
    "accuracy": lesson10._ok_loop,
    "train": lesson10._ok_lists_then_dict,
}


def _save_all(folder, names=CAPSTONE_PATH):
    """The store as check() leaves it once every function of ``names`` has passed in its lesson."""
    import inspect

    from nnlib.exercises import get_exercise

    for name in names:
        fn = LEARNER[name]
        assert check(name, fn, quiet=True), f"the test's own {name} must pass its check"
        if fn.__module__ == __name__:
            assert save_passing(name, fn, folder=folder) == folder / f"{name}.py"
        else:  # a bank variant: save_passing never saves nnlib's own functions, so write what it would
            folder.mkdir(parents=True, exist_ok=True)
            lesson = get_exercise(name).lesson
            header = f"# nnlib-store: exercise={name} function={fn.__name__} lesson={lesson}\n\n"
            (folder / f"{name}.py").write_text(header + inspect.getsource(fn))


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise train: ...")


# --------------------------------------------------------------------------- #
# Where the store lives, and when it is written
# --------------------------------------------------------------------------- #


def _course_folders(tmp_path):
    lessons, solutions, other = tmp_path / "lessons", tmp_path / "solutions", tmp_path / "scratch"
    for folder in (lessons, solutions, other):
        folder.mkdir()
    for folder in (lessons, solutions):
        (folder / "07_gradient_descent.ipynb").write_text("{}")
    return lessons, solutions, other


def test_the_store_is_next_to_the_lessons_only_in_a_kernel(tmp_path):
    lessons, solutions, other = _course_folders(tmp_path)
    assert store_folder(lessons, {}, in_kernel=True) == lessons / STORE_FOLDER
    assert store_folder(lessons, {}, in_kernel=False) is None  # scripts, pytest, the grader
    assert store_folder(solutions, {}, in_kernel=True) is None  # nbval and execute-solutions run here
    assert store_folder(other, {}, in_kernel=True) is None  # a folder without lesson notebooks
    for off in ("off", "OFF", "0", "false"):
        assert store_folder(lessons, {STORE_ENV: off}, in_kernel=True) is None
    assert store_folder(other, {STORE_ENV: str(tmp_path / "mine")}, in_kernel=True) == tmp_path / "mine"
    assert store_folder(other, {STORE_ENV: str(tmp_path / "mine")}, in_kernel=False) is None


def test_pytest_switches_the_store_off_for_every_kernel_it_starts():
    assert os.environ[STORE_ENV] == "off"


def test_check_outside_a_kernel_never_writes_a_store(tmp_path, monkeypatch):
    lessons, _, _ = _course_folders(tmp_path)
    monkeypatch.chdir(lessons)
    monkeypatch.delenv(STORE_ENV)
    for _ in range(3):  # as the bank tests do, many times
        assert check("sgd_step", sgd_step, quiet=True)
    assert not (lessons / STORE_FOLDER).exists()


def test_the_store_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", f"lessons/{STORE_FOLDER}/train.py"], cwd=ROOT)
    assert result.returncode == 0, f"{STORE_FOLDER}/ must be in .gitignore"


def test_no_store_is_committed_or_exported(tmp_path):
    import shutil

    from nnlib.export import export_html

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert STORE_FOLDER not in tracked
    assert STORE_FOLDER.startswith(".")  # a hidden folder: copies of lessons/*.ipynb leave it behind
    # A course with a learner's store beside its lessons: the site shows nothing of it.
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "01_single_neuron.ipynb", course / "solutions")
    (course / "lessons" / STORE_FOLDER).mkdir(parents=True)
    (course / "lessons" / STORE_FOLDER / "relu.py").write_text("# a learner's secret_marker_1234\n")
    site = tmp_path / "site"
    export_html(course, site)
    assert all("secret_marker_1234" not in page.read_text() for page in site.rglob("*") if page.is_file())


# --------------------------------------------------------------------------- #
# Saving
# --------------------------------------------------------------------------- #


def _helper_scale(value):
    return value * 1.0


def sgd_step_with_a_helper(params, grads, lr):
    step = _helper_scale(lr)
    return [Dense(p.W - step * g.W, p.b - step * g.b) for p, g in zip(params, grads, strict=True)]


def test_a_passing_function_is_saved_with_its_helpers_and_a_header(tmp_path):
    assert check("sgd_step", sgd_step_with_a_helper, quiet=True)
    path = save_passing("sgd_step", sgd_step_with_a_helper, folder=tmp_path)
    text = path.read_text()
    assert text.startswith("# nnlib-store: exercise=sgd_step function=sgd_step_with_a_helper lesson=07\n")
    assert "def _helper_scale(value):" in text and text.index("_helper_scale(value)") < text.index(
        "def sgd_step_with_a_helper")
    assert saved("sgd_step", tmp_path)[:2] == ("sgd_step_with_a_helper", "07")
    mtime = path.stat().st_mtime_ns
    save_passing("sgd_step", sgd_step_with_a_helper, folder=tmp_path)  # unchanged: not rewritten
    assert path.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("*.tmp"))


def test_what_is_never_saved(tmp_path):
    assert save_passing("sgd_step", nnlib.sgd_step, folder=tmp_path) is None  # nnlib's reference
    assert save_passing("relu", lambda z: np.maximum(z, 0), folder=tmp_path) is None  # no def to rebuild
    wrapped = your_code("sgd_step", store=tmp_path, quiet=True)
    assert save_passing("sgd_step", wrapped, folder=tmp_path) is None  # a wrapper of the reference
    _save_all(tmp_path, ["sgd_step"])
    rebuilt = your_code("sgd_step", store=tmp_path, quiet=True)
    (tmp_path / "sgd_step.py").unlink()
    assert save_passing("sgd_step", rebuilt.__wrapped__, folder=tmp_path) is None  # rebuilt from the store
    assert not list(tmp_path.iterdir())


def test_a_store_that_cannot_be_written_does_not_spoil_the_check(tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    assert save_passing("sgd_step", sgd_step, folder=blocked) is None


def test_capture_refuses_what_it_could_not_rebuild():
    assert capture(len) is None
    assert capture(lambda x: x) is None
    assert "def relu(z):" in capture(relu)


def test_check_saves_in_a_notebook_kernel_next_to_lessons_only(tmp_path):
    """A real Jupyter kernel: check() saves a function defined in a cell, in lessons/ only."""
    from jupyter_client.manager import KernelManager

    lessons, solutions, _ = _course_folders(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != STORE_ENV}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(lessons), env=env)
    output = []
    try:
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)

        def run(code):
            reply = client.execute_interactive(
                code, timeout=60,
                output_hook=lambda msg: output.append(msg["content"].get("text", "")))
            assert reply["content"]["status"] == "ok", (reply["content"], output)

        run("from nnlib import Dense, check\n"
            "def sgd_step(params, grads, lr):\n"
            "    return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads)]\n"
            "check('sgd_step', sgd_step)")
        assert (lessons / STORE_FOLDER / "sgd_step.py").is_file()
        run("from nnlib.learner_store import your_code\nmine = your_code('sgd_step')")
        assert "Yours, checked again: sgd_step (saved in lesson 07)." in "".join(output)
        run(f"import os\nos.chdir({str(solutions)!r})\ncheck('sgd_step', sgd_step)")
        run(f"os.chdir({str(lessons)!r})\nos.environ['{STORE_ENV}'] = 'off'\n"
            "def relu(z):\n    return (z > 0) * z\ncheck('relu', relu)")
    finally:
        km.shutdown_kernel(now=True)
    assert not (solutions / STORE_FOLDER).exists()
    assert sorted(p.name for p in (lessons / STORE_FOLDER).iterdir()) == ["sgd_step.py"]


# --------------------------------------------------------------------------- #
# Loading: this notebook, then the store, then nnlib's reference, piece by piece
# --------------------------------------------------------------------------- #


def test_yours_from_this_notebook_comes_first_then_the_store_then_the_reference(tmp_path, capsys):
    _save_all(tmp_path, ["sgd_step"])
    from_store = your_code("sgd_step", store=tmp_path)
    assert capsys.readouterr().out == "Yours, checked again: sgd_step (saved in lesson 07).\n"
    assert whose(from_store) == "your sgd_step (saved in lesson 07)"
    here = your_code("sgd_step", here={"sgd_step": sgd_step_with_a_helper}, store=tmp_path, quiet=True)
    assert entry_of(here).origin == "this notebook"
    stub = your_code("sgd_step", here={"sgd_step": _stub}, store=tmp_path, quiet=True)
    assert entry_of(stub).origin == "saved in lesson 07"  # a stub in this notebook: the saved one
    reference = your_code("sgd_step", store=tmp_path / "empty")
    assert capsys.readouterr().out == "nnlib's reference: sgd_step (check() has not saved yours yet).\n"
    assert whose(reference) == "nnlib's reference sgd_step" and reference.__wrapped__ is nnlib.sgd_step


def test_a_saved_function_is_checked_again_and_replaced_if_it_fails(tmp_path, capsys):
    _save_all(tmp_path, ["sgd_step"])
    path = tmp_path / "sgd_step.py"
    path.write_text(path.read_text().replace("p.W - lr * g.W", "p.W + lr * g.W"))  # edited by hand, now wrong
    fn = your_code("sgd_step", store=tmp_path)
    assert whose(fn) == "nnlib's reference sgd_step"
    out = capsys.readouterr().out
    assert out.startswith("nnlib's reference: sgd_step (your saved sgd_step does not pass its check: "), out
    path.write_text(path.read_text().replace("Dense(", "Dens("))
    your_code("sgd_step", store=tmp_path)
    assert "NameError: name 'Dens' is not defined" in capsys.readouterr().out
    path.write_text(path.read_text().replace("def ", "df "))
    your_code("sgd_step", store=tmp_path)
    assert "(your saved sgd_step could not be rebuilt: SyntaxError" in capsys.readouterr().out


def test_outside_lessons_the_line_says_there_is_no_store(capsys):
    your_code("mlp_backward")
    assert capsys.readouterr().out == (
        "nnlib's reference: mlp_backward (your functions of earlier lessons are carried over only in "
        "lessons/).\n")


def test_bad_calls_get_clear_errors():
    with pytest.raises(ValueError, match="unknown exercise id 'trian'"):
        your_code("trian")
    with pytest.raises(TypeError, match="name at least one exercise"):
        your_code()
    with pytest.raises(TypeError, match="here must be a dict such as globals"):
        your_code("train", here=[1])
    with pytest.raises(TypeError, match="pass functions that your_code returned"):
        what_ran(sgd_step)


def _digits():
    X, y = load_digits()
    return train_test_split(X / 16, y, 0.2, np.random.default_rng(0))


@contextlib.contextmanager
def nnlib_training_math_raises():
    """Every call of nnlib's own training functions raises, by whatever route it is reached."""
    from nnlib import layers, mlp, optim, training

    targets = [layers.activation_backward, layers.dense_backward, layers._dense_backward, mlp.mlp_backward,
               mlp._mlp_backward, mlp.loss_and_gradients, optim.sgd_step, training.iterate_minibatches,
               training._minibatches, training.train, training.accuracy]
    saved_code = [fn.__code__ for fn in targets]

    def forbidden(*args, **kwargs):
        raise AssertionError("nnlib's training math was called")

    try:
        for fn in targets:
            fn.__code__ = forbidden.__code__
        yield
    finally:
        for fn, code in zip(targets, saved_code, strict=True):
            fn.__code__ = code


def test_with_the_learners_functions_the_capstone_uses_none_of_nnlibs_training_math(tmp_path):
    _save_all(tmp_path)
    X_train, X_test, y_train, y_test = _digits()
    my_train = your_code("train", here={"train": _stub}, store=tmp_path, quiet=True)
    my_accuracy = your_code("accuracy", store=tmp_path, quiet=True)
    rng = np.random.default_rng(1)
    with nnlib_training_math_raises():
        params, history = my_train(init_mlp([64, 64, 10], rng), X_train, y_train, epochs=3, lr=0.5,
                                   batch_size=32, rng=rng)
        test_accuracy = my_accuracy(nnlib.mlp_forward(X_test, params)[0], y_test)
    assert test_accuracy > 0.9 and history["accuracy"][-1] > 0.9
    line = what_ran(my_train, label="The capstone's training")
    assert line.startswith("The capstone's training ran entirely on your code: ")
    ran = {e.exercise_id for e in entry_of(my_train).reachable() if e.calls}
    assert ran == set(CAPSTONE_PATH) - {"relu"} | {"relu"} & ran  # relu runs inside the learner's forward
    for name in ("train", "iterate_minibatches", "loss_and_gradients", "mlp_backward", "activation_backward",
                 "dense_backward", "sgd_step", "accuracy", "mlp_forward"):
        assert name in line


def test_a_learner_who_wrote_nothing_never_reads_that_their_train_trained(tmp_path):
    here = {name: _stub for name in ("train", "iterate_minibatches", "accuracy")}
    my_train = your_code("train", here=here, store=tmp_path, quiet=True)
    X_train, _, y_train, _ = _digits()
    rng = np.random.default_rng(1)
    my_train(init_mlp([64, 16, 10], rng), X_train[:64], y_train[:64], epochs=1, lr=0.5, batch_size=32,
             rng=rng)
    line = what_ran(my_train, label="The capstone's training")
    assert line == "The capstone's training ran on nnlib's reference train: none of your functions was used."
    assert "your train" not in line


def test_the_reference_runs_on_the_parts_that_are_yours(tmp_path, capsys):
    """Piece by piece: only mlp_backward and sgd_step are the learner's; nnlib's train and
    loss_and_gradients stand in, built on them, and give nnlib's result."""
    _save_all(tmp_path, ["mlp_backward", "sgd_step"])
    my_train = your_code("train", store=tmp_path)
    out = capsys.readouterr().out
    assert out == ("Yours, checked again: sgd_step (saved in lesson 07), mlp_backward (saved in lesson 09). "
                   "nnlib's reference: train, iterate_minibatches, loss_and_gradients, mlp_forward, "
                   "accuracy, activation_backward and dense_backward (check() has not saved yours yet).\n")
    X_train, _, y_train, _ = _digits()
    start = init_mlp([64, 16, 10], np.random.default_rng(3))
    mine, history = my_train(start, X_train[:200], y_train[:200], epochs=2, lr=0.5, batch_size=32,
                             rng=np.random.default_rng(4))
    ref, ref_history = nnlib.train(start, X_train[:200], y_train[:200], epochs=2, lr=0.5, batch_size=32,
                                   rng=np.random.default_rng(4))
    for a, b in zip(mine, ref, strict=True):
        np.testing.assert_allclose(a.W, b.W, rtol=1e-10)
    np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=1e-10)
    counts = {e.exercise_id: e.calls for e in entry_of(my_train).reachable()}
    assert counts["mlp_backward"] == counts["sgd_step"] == counts["loss_and_gradients"] == 2 * 7
    line = what_ran(my_train)
    assert line.startswith("It ran on your mlp_backward") or line.startswith("It ran on your sgd_step")
    assert "nnlib's reference train" in line


def iterate_by_permutation(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def iterate_by_choice(X, y, batch_size, rng):
    order = rng.choice(len(X), size=len(X), replace=False)
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def test_an_unchanged_earlier_result_is_reused_and_a_changed_one_rebuilt(tmp_path, monkeypatch):
    """Another your_code call in the same notebook reuses what an earlier one built from the same
    sources (no new check), and rebuilds what changed since, down to a dependency."""
    check_module = sys.modules["nnlib.check"]

    _save_all(tmp_path, ["sgd_step"])
    here = {"iterate_minibatches": iterate_by_permutation}
    first = your_code("train", here=here, store=tmp_path, quiet=True)
    origins = {e.exercise_id: e.origin for e in entry_of(first).reachable()}
    assert origins["iterate_minibatches"] == "this notebook"
    here["my_train"] = first
    checked = []
    real_check = check_module.check

    def counting_check(exercise_id, fn, **kwargs):
        checked.append(exercise_id)
        return real_check(exercise_id, fn, **kwargs)

    monkeypatch.setattr(check_module, "check", counting_check)
    again = your_code("train", here=here, store=tmp_path, quiet=True)
    assert entry_of(again) is entry_of(first) and checked == []
    here["iterate_minibatches"] = iterate_by_choice  # the learner rewrote a dependency
    changed = your_code("train", here=here, store=tmp_path, quiet=True)
    assert entry_of(changed) is not entry_of(first) and "iterate_minibatches" in checked


def test_an_earlier_your_code_result_in_here_is_reused_without_a_new_check(tmp_path):
    _save_all(tmp_path, ["sgd_step"])
    first = your_code("sgd_step", store=tmp_path, quiet=True)
    again = your_code("train", here={"sgd_step": first}, store=tmp_path, quiet=True)
    assert entry_of(first) in entry_of(again).reachable()


def test_the_capstone_of_a_fresh_lesson_runs_on_the_saved_functions(tmp_path):
    """Lesson 10 as handed out (stubs), run in a kernel in lessons/ whose store holds every function."""
    pytest.importorskip("nbclient")
    import shutil

    import nbformat
    from nbclient import NotebookClient

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    shutil.copy(ROOT / "lessons" / "10_training.ipynb", lessons)
    _save_all(lessons / STORE_FOLDER)
    nb = nbformat.read(lessons / "10_training.ipynb", as_version=4)
    env = {k: v for k, v in os.environ.items() if k != STORE_ENV}
    with _environment(env):
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(lessons)}}).execute()
    text = {c.id: "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}
    assert text["capstone-result"].strip().splitlines()[-1].startswith(
        "The capstone's training ran entirely on your code: ")


@contextlib.contextmanager
def _environment(env):
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_the_module_is_documented_where_learners_and_instructors_look():
    readme = (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "instructor-guide.md").read_text()
    for text in (readme, guide):
        assert STORE_FOLDER in text and STORE_ENV in text
    assert sys.modules["nnlib.learner_store"].__doc__.count("check()") >= 2
