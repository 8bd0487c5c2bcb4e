"""Lesson 00 (welcome): no lesson's solution shown, no machine's paths committed, Run All honest."""

from __future__ import annotations

import contextlib
import io
import re
from types import SimpleNamespace

import pytest
from lesson_runs import ROOT, cells_by_id, check_output, notebook, run_all, shadowing_report

import nnlib.doctor
from nnlib.exercises import EXERCISES

#: What an absolute path of this (or any) machine looks like in an output
MACHINE_PATH = re.compile(r"(/(home|Users|work|tmp|var|opt|usr|root|private)/)|([A-Za-z]:\\\\)")
OWN = ("00_welcome", "01_single_neuron", "02_activations")


@pytest.mark.parametrize("stem", OWN)
def test_committed_outputs_show_no_machine_path_and_nothing_stale(stem):
    for cell in notebook("solutions", stem).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(text), (cell.id, text)
            assert "stale" not in text, (cell.id, text)


def test_no_cell_of_the_welcome_lesson_solves_an_exercise():
    """Lesson 00 demonstrates check() without showing any lesson's solution: no function it defines passes."""
    namespace, _ = run_all("solutions", "00_welcome", skip=("doctor",))
    functions = {name: value for name, value in namespace.items()
                 if callable(value) and getattr(value, "__module__", None) == "__main__"}
    assert functions, "the welcome lesson defines its demonstration functions"
    for name, fn in functions.items():
        for exercise_id, ex in EXERCISES.items():
            if len(ex.arg_names) != fn.__code__.co_argcount:
                continue
            passed, _ = check_output(exercise_id, fn)
            assert not passed, f"{name} passes the check of {exercise_id}"
    assert not set(namespace) & set(EXERCISES), "a demonstration cell uses an exercise's own name"


def test_run_all_says_which_function_ran_and_rebinds_nothing():
    namespace, printed = run_all("lessons", "00_welcome", skip=("doctor",))
    assert shadowing_report(namespace) == {}
    assert printed["yours-or-reference-demo"].splitlines()[-1] == "(dense_preactivation: nnlib's reference)"
    assert "1 of 8 checks passed" in printed["demo-fail"]


def test_the_question_quotes_what_check_really_prints():
    _, printed = run_all("solutions", "00_welcome", skip=("doctor",))
    quoted = re.search(r"`(dense_preactivation: 1 of 8 .*?)`", cells_by_id("solutions", "00_welcome")[
        "concept-questions"].source).group(1)
    head, _, tail = quoted.partition(" ... ")
    shown = " ".join(printed["demo-fail"].split())
    assert shown.startswith(head) and tail in shown, (quoted, shown)


def _doctor_cell_output(findings, monkeypatch) -> str:
    monkeypatch.setattr(nnlib.doctor, "run_doctor", lambda root: findings)
    source = cells_by_id("solutions", "00_welcome")["doctor"].source
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<doctor>", "exec"), {"__name__": "__main__"})
    return buffer.getvalue()


def test_doctor_cell_prints_a_path_free_summary(monkeypatch):
    cell = cells_by_id("solutions", "00_welcome")["doctor"]
    assert "nbval-ignore-output" in cell.metadata.get("tags", [])
    assert "run_doctor(" in cell.source and "format_findings" not in cell.source
    findings = [
        SimpleNamespace(name="nnlib", ok=True, detail=f"imported from {ROOT}/nnlib", fix=""),
        SimpleNamespace(name="jupyter kernel", ok=True, detail="python3 at /home/someone/kernels", fix=""),
        SimpleNamespace(name="lessons", ok=False, detail="stale: 06_neuron_backprop.ipynb",
                        fix="nnlib build-lessons"),
    ]
    out = _doctor_cell_output(findings, monkeypatch)
    assert out == ("nnlib doctor: 1 of 3 checks need a fix (lessons); "
                   "run `nnlib doctor` in a terminal to see how\n")
    out = _doctor_cell_output(findings[:2], monkeypatch)
    assert out == "nnlib doctor: all 2 checks ok\n"
