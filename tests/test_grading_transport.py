"""What crosses the sandbox's boundary: cases in, plain arrays out, prerequisites as source (no reference).

Fast unit tests, no sandbox: the transport format (every case type the registry
uses round-trips; what the sandbox sends back is validated before anything is
allocated), the prerequisites' slices (numpy-only, never the graded reference),
and the rule that the code shipped into the sandbox imports nothing of nnlib.
"""

from __future__ import annotations

import ast
import inspect
import struct
from pathlib import Path

import numpy as np
import pytest

from nnlib.check import run_case
from nnlib.exercises import EXERCISES, case_functions
from nnlib.grading import grade, prerequisites, sandbox, transport, verdict
from nnlib.layers import DenseCache
from nnlib.mlp import Dense

ROOT = Path(__file__).resolve().parent.parent


def n(k: int) -> bytes:
    return struct.pack("<Q", k)


def text(t: bytes) -> bytes:
    return n(len(t)) + t


# --------------------------------------------------------------------------- the format


def test_every_case_of_the_registry_round_trips(rng):
    """Arrays, scalars, str/None/bool, containers, NamedTuples, generators and case functions."""
    classes = {("nnlib.mlp", "Dense"): Dense, ("nnlib.layers", "DenseCache"): DenseCache}

    def find(space, name):
        return {"numpy": np, "case_functions": case_functions}[space].__dict__[name]

    for ex in EXERCISES.values():
        for case in ex.cases(seed=11, hidden=True):
            data = (tuple(case.args), dict(case.kwargs))
            sent = transport.encode(data, refer=grade._refer)
            back = transport.decode(sent, allowed=transport.EVERYTHING, max_digits=4300,
                                    make_class=lambda m, q: classes[(m, q)], find_callable=find)
            assert _same(data, back), (ex.id, case.name)


def _same(a, b) -> bool:
    if isinstance(a, np.random.Generator):
        return type(b) is np.random.Generator and a.random() == b.random()  # same state: same next draw
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=True)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.generic):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    return type(a) is type(b) and (a is b or a == b or (a != a and b != b))


def test_odd_values_are_refused_when_sent(rng):
    for value in ({1, 2}, object(), np.array(["a"]), np.array([1, None], dtype=object), lambda x: x):
        with pytest.raises(TypeError):
            transport.encode(value, refer=grade._refer)
    with pytest.raises(TypeError, match=r"case_functions\.py"):
        grade._refer(lambda x: x)
    assert grade._refer(np.sin) == ("numpy", "sin")
    assert grade._refer(np.linalg.norm) == ("numpy", "linalg.norm")
    assert grade._refer(case_functions.cubic) == ("case_functions", "cubic")


@pytest.mark.parametrize(("why", "data"), [
    ("an int of 5000 digits", b"i" + text(b"9" * 5000)),
    ("nested 1000 deep", b"l" + n(1) * 0 + (b"l" + n(1)) * 1000 + b"N"),
    ("an object dtype", b"a" + text(b"|O8") + n(1) + n(1) + n(8) + bytes(8)),
    ("a structured dtype", b"a" + text(b"[('a','O')]") + n(0) + n(8) + bytes(8)),
    ("a string dtype", b"a" + text(b"<U1") + n(1) + n(1) + n(4) + bytes(4)),
    ("a header claiming 10^11 numbers", b"a" + text(b"<f8") + n(1) + n(10**11) + n(8 * 10**11) + bytes(64)),
    ("a body shorter than the shape", b"a" + text(b"<f8") + n(1) + n(4) + n(32) + bytes(8)),
    ("a count larger than the message", b"l" + n(2**60)),
    ("a length running past the end", b"s" + n(2**40) + b"x"),
    ("a NamedTuple", b"n" + text(b"nnlib.mlp") + text(b"Dense") + n(0)),
    ("a callable", b"c" + text(b"numpy") + text(b"sin")),
    ("a random generator", b"r" + text(b"PCG64") + b"N"),
    ("bytes after the value", b"NN"),
    ("an unknown tag", b"?"),
])
def test_what_the_sandbox_sends_is_validated_before_anything_is_allocated(why, data):
    with pytest.raises(transport.TransportError):
        transport.decode(data)
    assert why


def test_forged_streams_cost_only_their_own_cases():
    """A stream of good and bad messages: the good results are kept, the bad ones dropped, nothing raises."""
    good = transport.frame(transport.encode({"event": "result", "i": 0, "kind": "ok",
                                             "arrays": {"": np.arange(3.0)}}))
    bad_array = transport.frame(b"d" + n(4) + b"s" + text(b"event") + b"s" + text(b"result") + b"s"
                                + text(b"i") + b"i" + text(b"1") + b"s" + text(b"kind") + b"s" + text(b"ok")
                                + b"s" + text(b"arrays") + b"d" + n(1) + b"s" + text(b"") + b"a"
                                + text(b"|O8") + n(0) + n(8) + bytes(8))
    wrong_types = transport.frame(transport.encode({"event": "result", "i": True, "kind": 7,
                                                    "message": None}))
    huge_int = transport.frame(b"d" + n(1) + b"s" + text(b"i") + b"i" + text(b"9" * 5000))
    cut = n(10**12) + b"forged"
    run = verdict.read_run(sandbox.RawRun(stream=good + bad_array + wrong_types + huge_int + cut))
    assert list(run.arrays) == [0] and np.array_equal(run.arrays[0][""], np.arange(3.0))
    assert {"event": "result"} in run.events  # the wrongly typed fields were dropped
    assert [e["why"] for e in run.events if e["event"] == "bad"][-1] == "the last message was cut off"


# --------------------------------------------------------------------------- prerequisites


def test_no_exercise_is_shipped_its_own_reference():
    for ex in EXERCISES.values():
        _, env = grade.JOBS.get(ex, 11)
        own = prerequisites.reference_places(ex.reference)
        shipped = own & env.defined
        for module, qualname in shipped:  # present only as a stub that raises
            source = dict(env.modules)[module]
            assert f"nnlib's reference {qualname} is not available" in source, ex.id
        assert set(env.names) == set(ex.prerequisites), ex.id


def test_a_prerequisite_that_reaches_the_graded_reference_gets_a_stub_that_raises():
    """ACTIVATIONS holds sigmoid: shipped for an exercise graded as sigmoid, its sigmoid raises."""
    env = prerequisites.environment(["ACTIVATIONS", "relu"], excluded={("nnlib.activations", "sigmoid")})
    _, objects = sandbox._load_prerequisites(env.modules, env.names)
    z = np.array([-1.0, 2.0])
    assert np.array_equal(objects["relu"](z), [0.0, 2.0])
    np.testing.assert_allclose(objects["ACTIVATIONS"]["tanh"][0](z), np.tanh(z), rtol=1e-15)
    with pytest.raises(RuntimeError, match="nnlib's reference sigmoid is not available"):
        objects["ACTIVATIONS"]["sigmoid"][0](z)


def test_shipped_prerequisites_behave_like_nnlibs():
    """Each exercise's environment, loaded as the sandbox loads it, computes what nnlib computes."""
    for ex in EXERCISES.values():
        if not ex.prerequisites:
            continue
        _, env = grade.JOBS.get(ex, 11)
        _, objects = sandbox._load_prerequisites(env.modules, env.names)
        for name, ours in ex.prerequisite_env().items():
            theirs = objects[name]
            assert type(theirs).__name__ == type(ours).__name__, (ex.id, name)
            if inspect.isfunction(ours) and name != ex.id:
                assert inspect.signature(theirs) == inspect.signature(ours), (ex.id, name)
    # and on data: the reference of loss_and_gradients, built from shipped pieces, agrees with nnlib's
    _, env = grade.JOBS.get(EXERCISES["train"], 11)
    _, objects = sandbox._load_prerequisites(env.modules, env.names)
    from nnlib import init_mlp, loss_and_gradients

    rng = np.random.default_rng(0)
    params = init_mlp([3, 4, 2], rng)
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    shipped_params = [objects["loss_and_gradients"].__globals__["Dense"](*p) for p in params]
    ours, theirs = loss_and_gradients(params, X, y), objects["loss_and_gradients"](shipped_params, X, y)
    assert ours[0] == theirs[0]
    assert all(np.array_equal(a.W, b.W) for a, b in zip(ours[1], theirs[1], strict=True))


def test_prerequisites_that_need_more_than_numpy_are_refused():
    with pytest.raises(prerequisites.PrerequisiteError, match="matplotlib"):
        prerequisites.environment(["draw_graph"])


def test_exercises_whose_environments_hold_each_others_references_get_separate_sandboxes():
    lesson02 = [ex for ex in EXERCISES.values() if ex.lesson == "02"]
    groups = [{lesson02[i].id for i in g} for g in grade.sandbox_groups(lesson02, 11)]
    for graded, needs in (("sigmoid", "sigmoid_derivative"), ("tanh", "tanh_derivative")):
        assert not any({graded, needs} <= g for g in groups)
    assert len(groups) == 2
    lesson01 = [ex for ex in EXERCISES.values() if ex.lesson == "01"]
    assert len(grade.sandbox_groups(lesson01, 11)) == 1


# --------------------------------------------------------------------------- what runs in the sandbox


def _top_imports(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add((node.module or "").split(".")[0])
    return roots


def test_the_code_shipped_into_the_sandbox_imports_numpy_and_the_standard_library_only():
    import sys

    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for name, _, source in sandbox.shipped_sources():
        assert _top_imports(source) <= allowed, (name, _top_imports(source) - allowed)
    for ex in EXERCISES.values():
        for module, source in grade.JOBS.get(ex, 11)[1].modules:
            assert _top_imports(source) <= allowed, (ex.id, module)
    assert _top_imports(sandbox.BOOT) <= allowed


def test_the_sandbox_calls_run_call_as_check_does():
    """The keyword arguments check.run_case passes to runner.run_call are those the sandbox passes."""
    call = next(node for node in ast.walk(ast.parse(inspect.getsource(run_case)))
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "run_call")
    # on_call watches for nnlib's reference (check() only: the sandbox holds no reference)
    from_exercise = {k.arg for k in call.keywords} - {"exercise_id", "arg_label", "on_call"}
    assert from_exercise == set(grade.run_options(EXERCISES["relu"]))


def test_seccomp_program_is_well_formed():
    import platform

    program = sandbox.seccomp_program("x86_64")
    assert len(program) % 8 == 0 and len(program) // 8 < 100
    for i in range(len(program) // 8):
        code, jt, jf, _ = struct.unpack_from("<HBBI", program, 8 * i)
        assert i + 1 + max(jt, jf) < len(program) // 8 or code == 0x06  # every jump lands inside
    assert sandbox.seccomp_program("sparc") is None
    assert sandbox.seccomp_program(platform.machine()) is not None or platform.machine() not in ("x86_64",
                                                                                                 "aarch64")


HARNESS = '''

def doubled_on_sigmoid(fn, env, z):
    """(test) Call the learner's function on the environment's sigmoid of z, and double what it returns."""
    return 2 * fn(env["sigmoid"](z))
'''


def test_a_harness_runs_in_the_sandbox_with_the_shipped_prerequisites(monkeypatch):
    """An exercise with a harness (defined in case_functions.py): graded like check() judges it."""
    import dataclasses

    from nnlib.check import format_result, run_checks

    namespace: dict = {"np": np}
    exec(HARNESS, namespace)
    harness = namespace["doubled_on_sigmoid"]
    harness.__module__ = case_functions.__name__
    monkeypatch.setattr(case_functions, "doubled_on_sigmoid", harness, raising=False)
    shipped = [(name, filename, source + HARNESS if name.endswith("case_functions") else source)
               for name, filename, source in sandbox.shipped_sources()]
    monkeypatch.setattr(sandbox, "shipped_sources", lambda: shipped)

    def on_sigmoid(s):  # the graded function, called on sigmoid(z)
        return s * (1 - s)

    ex = dataclasses.replace(EXERCISES["sigmoid_derivative"], id="sigmoid_derivative", harness=harness,
                             reference=on_sigmoid, mistakes=(), variants=())
    monkeypatch.setattr(grade, "EXERCISES", {**EXERCISES, ex.id: ex})
    right = "def sigmoid_derivative(s):\n    return s - s * s\n"
    wrong = "def sigmoid_derivative(s):\n    return s * s\n"
    limits = sandbox.Limits(timeout=5)
    for source, passes in ((right, True), (wrong, False)):
        run = grade.run_exercise(ex.id, source, seed=11, limits=limits)
        result, problem, error = verdict.judge_run(ex, 11, run, limits)
        assert result is not None, (problem, error)
        assert bool(result) is passes, format_result(ex, result)
    local = {"np": np}
    exec(wrong, local)
    expected = format_result(ex, run_checks(ex, local["sigmoid_derivative"], ex.cases(11, hidden=True)))
    assert format_result(ex, result) == expected  # the same words as check()
