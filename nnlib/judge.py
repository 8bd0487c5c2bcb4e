"""Judging a learner's output against the reference, shared by ``check()`` and the grader.

Judging compares two *flattened* outputs (plain numeric arrays keyed by where
they sit, made by :func:`nnlib.runner.flatten_output`), so it works the same on
a function called in this process (``check``) and on arrays sent back by a
sandboxed grading process (``nnlib grade``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nnlib.runner import MAX_OUTPUT_ELEMENTS, OutputError, flatten_output  # noqa: F401 (re-exported)

#: The least tolerance for float32 values: with a machine epsilon of 1.2e-7, two correct
#: formulas that round in a different order differ by more than the float64 default rtol.
FLOAT32_RTOL, FLOAT32_ATOL = 1e-5, 1e-6


@dataclass(frozen=True)
class Mismatch:
    """Why a received output differs from the expected one, in the learner's terms."""

    what: str  # one line: what is wrong, with values
    path: str = ""  # which part of the output


def _where(path: str) -> str:
    return f"output{path}" if path else "the result"


def _index_str(index: tuple) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def tolerance(dtypes, rtol: float, atol: float) -> tuple[float, float]:
    """``(rtol, atol)``, raised to at least FLOAT32_RTOL, FLOAT32_ATOL if one of ``dtypes`` is float32."""
    if np.dtype(np.float32) in dtypes:
        return max(rtol, FLOAT32_RTOL), max(atol, FLOAT32_ATOL)
    return rtol, atol


def agree(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape and values within :func:`tolerance` (NaN equals NaN); the dtypes may differ."""
    rtol, atol = tolerance((a.dtype, b.dtype), rtol, atol)
    return a.shape == b.shape and bool(
        np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True))


def agree_flat(a: dict, b: dict, rtol: float, atol: float) -> bool:
    """Two flattened outputs with the same parts, each pair of which :func:`agree`."""
    return a.keys() == b.keys() and all(agree(a[k], b[k], rtol, atol) for k in a)


def _widened(expected: np.dtype, received: np.dtype) -> bool:
    """float64 where float32 was expected: a correct answer in more precision (accepted, with a note)."""
    return expected == np.float32 and received == np.float64


def compare_flat(expected: dict, received: dict, rtol: float, atol: float) -> Mismatch | None:
    """First difference between two flattened outputs, or None if they agree within tolerance.

    Structure and shape must match exactly, and so must the dtype, but for float64 where
    float32 was expected (see :func:`dtype_note`: the values are then judged at the float32
    tolerance). Values must satisfy ``|r - e| <= atol + rtol * |e|``, with the tolerance
    raised for float32 values (see :func:`tolerance`).
    """
    if expected.keys() != received.keys():
        return structure_mismatch(expected, received)
    for path, exp in expected.items():
        got = received[path]
        where = _where(path)
        if got.shape != exp.shape:
            note = ""
            if got.ndim == 2 and got.shape == exp.shape[::-1]:
                note = " (transposed?)"
            elif got.size == exp.size:
                note = " (same number of entries: reshape or a wrong axis?)"
            return Mismatch(f"{where}: expected shape {exp.shape}, got {got.shape}{note}", path)
        if exp.ndim > 0 and got.dtype != exp.dtype and not _widened(exp.dtype, got.dtype):
            return Mismatch(f"{where}: expected dtype {exp.dtype}, got {got.dtype}", path)
        got64 = got.astype(np.float64)
        exp64 = exp.astype(np.float64)
        rt, at = tolerance((exp.dtype,), rtol, atol)
        bad = ~np.isclose(got64, exp64, rtol=rt, atol=at, equal_nan=True)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            with np.errstate(invalid="ignore", over="ignore"):
                diff = np.abs(got64 - exp64)
            max_err = float(np.nanmax(np.where(np.isnan(diff), np.inf, diff)))
            at = f" at index {_index_str(index)}" if exp.ndim else ""
            return Mismatch(
                f"{where}: first mismatch{at}: expected {exp64[index]:.6g}, got {got64[index]:.6g}; "
                f"max abs error {max_err:.3g}",
                path,
            )
    return None


def dtype_note(expected: dict, received: dict) -> str:
    """'float32 in, float64 out' when an accepted output is float64 where float32 was expected, else ''."""
    if any(path in received and received[path].ndim > 0 and _widened(exp.dtype, received[path].dtype)
           for path, exp in expected.items()):
        return "float32 in, float64 out"
    return ""


# -- the structure of an output ------------------------------------------------------------------
#
# A flattened output names each array by its path ("[1][0].W", "['loss'][2]", "[1]#len" for an
# empty list). To say what differs ("output[1] has 4 items; expected 3"), both outputs are rebuilt
# into trees of containers and compared from the root down.

_SEGMENT = re.compile(r"""\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]|\.(\w+)|(#len)$""")


@dataclass
class _Node:
    """A container of a flattened output: ``kind`` is "items" (tuple, list), "fields" (NamedTuple) or
    "keys" (dict); ``children`` by label in order; or a leaf (``kind`` "leaf")."""

    kind: str = ""
    children: dict = None
    key: str = ""  # a flattened key at or below this node, to point at

    def __post_init__(self):
        self.children = {} if self.children is None else self.children


def _tree(flat: dict) -> _Node:
    root = _Node()
    for key in flat:
        node, pos = root, 0
        node.key = node.key or key
        while pos < len(key):
            m = _SEGMENT.match(key, pos)
            if m is None:  # not a path flatten_output makes: keep it whole, as a label
                label, kind, pos = key[pos:], "keys", len(key)
            elif m.group(4):  # "#len": an empty container
                node.kind = node.kind or "items"
                break
            else:
                kind = "items" if m.group(1) else ("keys" if m.group(2) else "fields")
                label, pos = m.group(0), m.end()
            node.kind = node.kind or kind
            node = node.children.setdefault(label, _Node(key=key))
        else:
            node.kind = node.kind or "leaf"
    return root


def _describe_node(node: _Node) -> str:
    n = len(node.children)
    if node.kind == "leaf":
        return "a single array or number"
    if not n:
        return "an empty list, tuple or dict"
    if node.kind == "fields":
        return f"a NamedTuple with fields {', '.join(label[1:] for label in node.children)}"
    if node.kind == "keys":
        return f"a dict with keys {', '.join(label[1:-1] for label in node.children)}"
    return f"a list or tuple of {n} item{'s' * (n != 1)}"


def structure_mismatch(expected: dict, received: dict) -> Mismatch:
    """What differs between the structures of two flattened outputs (that do differ)."""
    found = _first_difference(_tree(expected), _tree(received), "", expected)
    if found is None:  # the trees agree but the keys do not (an unusual key): name a part
        missing = [k for k in expected if k not in received] or [k for k in received if k not in expected]
        return Mismatch(f"the result has no part {missing[0]!r} (got parts {sorted(received)[:4]})",
                        missing[0])
    return found


def _first_difference(exp: _Node, got: _Node, path: str, expected: dict) -> Mismatch | None:
    where = f"output{path}"
    if exp.kind != got.kind:
        if not path and exp.kind == "leaf":
            return Mismatch(f"expected a single array or number, got {_describe_node(got)}", got.key)
        if not path and got.kind == "leaf":
            return Mismatch(f"expected a structure with parts {sorted(expected)[:4]}, got a single array "
                            "or number", exp.key)
        if exp.kind == "fields" and got.kind == "items":  # (X, Z) where DenseCache(X, Z) was expected
            fields = [label[1:] for label in exp.children]
            return Mismatch(f"{where} is a plain tuple or list; it must be the NamedTuple with fields "
                            f"{', '.join(fields)} (so that .{fields[0]} works)", exp.key)
        return Mismatch(f"{where}: expected {_describe_node(exp)}, got {_describe_node(got)}", exp.key)
    if exp.kind == "leaf":
        return None
    if exp.kind == "items" and len(exp.children) != len(got.children):
        n_got, n_exp = len(got.children), len(exp.children)
        longer = exp if n_exp > n_got else got  # point at the first item the other one lacks
        first_extra = list(longer.children.values())[min(n_got, n_exp)]
        return Mismatch(f"{where} has {n_got} item{'s' * (n_got != 1)}; expected {n_exp}", first_extra.key)
    if exp.children.keys() != got.children.keys():
        missing = [label for label in exp.children if label not in got.children]
        extra = [label for label in got.children if label not in exp.children]
        what = "fields" if exp.kind == "fields" else "keys"
        names = [label[1:] if exp.kind == "fields" else label[1:-1] for label in exp.children]
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has {', '.join(extra)} too"] if extra else [])
        return Mismatch(f"{where} {' and '.join(parts)}; expected the {what} {', '.join(names)}",
                        exp.children[missing[0]].key if missing else exp.key)
    for label, child in exp.children.items():
        found = _first_difference(child, got.children[label], path + label, expected)
        if found is not None:
            return found
    return None


#: A single number this close to the answer (relative, or absolute below 1) is "almost right".
NEAR_MISS = 1e-4

#: A key of a list of Dense (or of any NamedTuple with fields W and b): prefix, layer index, field.
_DENSE_KEY = re.compile(r"(.*)\[(\d+)\]\.(W|b)")


def _layers(flat: dict, prefix: str) -> set[str]:
    """The layer indices of the list of Dense at ``prefix`` in a flattened output."""
    return {m.group(2) for k in flat if (m := _DENSE_KEY.fullmatch(k)) and m.group(1) == prefix}


def _dense_list_cause(expected: dict, received: dict) -> str:
    """Name the container slip where a list of Dense was expected (plain tuples, ...), or ''."""
    for prefix in dict.fromkeys(m.group(1) for k in expected if (m := _DENSE_KEY.fullmatch(k))):
        parts = [k[len(prefix):] for k in received if k.startswith(prefix + "[")]
        if parts and all(re.fullmatch(r"\[\d+\]", k) for k in parts):
            return "each layer must be a Dense with both .W and .b; you returned one array per layer"
        if parts and all(re.fullmatch(r"\[\d+\]\[[01]\]", k) for k in parts):
            return "each layer must be a Dense (so that .W and .b work), not a plain tuple or list"
        n_expected, n_received = len(_layers(expected, prefix)), len(_layers(received, prefix))
        if n_received and n_received != n_expected:
            return f"expected one Dense per layer ({n_expected} layers), got {n_received}"
    return ""


class Diagnosis(NamedTuple):
    """A generic likely cause, and how to test it on another case.

    ``holds(expected, received, batch_size)`` (arrays at the same part of another case's output)
    is True where the same bug would show the same way, False where that case contradicts it,
    None where it cannot tell. None for causes that only state a fact about this result.
    """

    text: str
    holds: Callable[[np.ndarray, np.ndarray, int | None], bool | None] | None = None


_NONE = Diagnosis("")


def diagnose(expected: dict, received: dict, path: str, batch_size: int | None = None) -> str:
    """Name a common bug class from how one part of the output differs, or return ''.

    Only where the evidence supports it: a factor is named when every entry shows it (and at
    least two nonzero ones, three for an unnamed factor), never a factor of 0; two 0/1 patterns
    are never a "factor" of each other. (:func:`explain` also says how to test it elsewhere.)
    """
    return explain(expected, received, path, batch_size).text


def explain(expected: dict, received: dict, path: str, batch_size: int | None = None) -> Diagnosis:
    """:func:`diagnose`, with the test of the cause on another case."""
    exp, got = expected.get(path), received.get(path)
    if exp is None or got is None:
        return Diagnosis(_dense_list_cause(expected, received))
    if got.shape != exp.shape:
        if exp.ndim == 0:
            return Diagnosis(f"expected a single number, got an array of shape {got.shape}: reduce it "
                             "(np.mean?)")
        if got.ndim == 2 and got.shape == exp.shape[::-1]:
            return Diagnosis("the shape is transposed: check which side of the @ each matrix goes",
                             _transposed)
        if got.ndim == exp.ndim + 1 and got.shape[1:] == exp.shape:
            return Diagnosis("one axis too many: did you forget to sum over the batch (axis=0)?")
        return _NONE
    got = got.astype(np.float64)
    exp = exp.astype(np.float64)
    if np.isnan(got).any() and not np.isnan(exp).any():
        return Diagnosis("your result contains NaN: look for 0 * inf, inf - inf, or log of 0 "
                         "(e.g. exp overflow)")
    if np.isinf(got).any() and not np.isinf(exp).any():
        return Diagnosis("your result contains inf: an exp() overflowed? shift by the max first")
    if exp.size == 1:
        return _diagnose_number(float(exp.flat[0]), float(got.flat[0]), batch_size)
    if not exp.size or not np.all(np.isfinite(got)) or not np.all(np.isfinite(exp)):
        return _NONE
    scale = float(np.max(np.abs(exp)))
    if scale == 0:  # only an offset shows against zeros
        return _offset_cause(got - exp, atol=0.0)
    if not np.any(got):
        return Diagnosis("your result is all zeros: was the value never accumulated or returned?",
                         lambda e, g, n: g.shape == e.shape and not np.any(g))
    if exp.ndim == 2 and exp.shape[0] == exp.shape[1] > 1 and np.allclose(got, exp.T, rtol=1e-6):
        return Diagnosis("your result equals the transpose of the expected one", _transposed)
    if _is_mask(exp) and _is_mask(got):  # 0/1 patterns: a condition, not a factor or an offset
        if np.all(got == 1 - exp):
            return Diagnosis("your 0/1 result is the opposite of the expected one everywhere: a condition "
                             "inverted?", lambda e, g, n: g.shape == e.shape and bool(np.all(g == 1 - e)))
        return _NONE
    big = np.abs(exp) > 1e-6 * scale
    ratio = float(np.median(got[big] / exp[big]))
    if (np.count_nonzero(big) >= 2 and abs(ratio) > 1e-6
            and np.allclose(got, ratio * exp, rtol=1e-4, atol=1e-9 * scale)):
        found = _diagnose_ratio(ratio, batch_size, generic=np.count_nonzero(big) >= 3)
        if found.text:
            return found
    return _offset_cause(got - exp, atol=1e-9 * scale)


def _transposed(e: np.ndarray, g: np.ndarray, n) -> bool | None:
    if e.ndim != 2 or g.shape != e.shape[::-1]:
        return False
    if e.shape[0] == e.shape[1] and np.allclose(e, e.T):
        return None  # a symmetric matrix cannot tell
    return e.shape[0] != e.shape[1] or bool(np.allclose(g, e.T, rtol=1e-6))


def _scaled_by(factor: Callable[[int | None], float | None]):
    """``holds`` for "every value is ``factor(N)`` times the expected one"."""

    def holds(e: np.ndarray, g: np.ndarray, n: int | None) -> bool | None:
        r = factor(n)
        if r is None or g.shape != e.shape:
            return None if r is None else False
        e, g = e.astype(np.float64), g.astype(np.float64)
        if not (np.all(np.isfinite(e)) and np.all(np.isfinite(g))):
            return None
        scale = float(np.max(np.abs(e))) if e.size else 0.0
        if scale == 0:
            return None  # zeros times anything are zeros: no evidence either way
        return bool(np.allclose(g, r * e, rtol=1e-4, atol=1e-9 * scale))

    return holds


def _offset_cause(offset: np.ndarray, atol: float) -> Diagnosis:
    if offset.flat[0] != 0 and np.allclose(offset, offset.flat[0], rtol=1e-6, atol=atol):
        return Diagnosis(f"every value is off by the same constant {offset.flat[0]:+.4g}: a bias or shift is "
                         "wrong", _offset_holds)
    return _NONE


def _offset_holds(e: np.ndarray, g: np.ndarray, n) -> bool | None:
    if g.shape != e.shape or e.size < 2:
        return None if g.shape == e.shape else False
    d = g.astype(np.float64) - e.astype(np.float64)
    return bool(np.all(np.isfinite(d)) and d.flat[0] != 0 and np.allclose(d, d.flat[0], rtol=1e-6))


def _is_mask(a: np.ndarray) -> bool:
    return bool(np.all((a == 0) | (a == 1)))


def _diagnose_number(expected: float, got: float, batch_size: int | None) -> Diagnosis:
    """One number: any wrong value has *some* ratio and offset to the answer; name only the telling ones."""
    if not np.isfinite(got):
        return _NONE
    if got != expected and abs(got - expected) <= NEAR_MISS * max(abs(expected), 1.0):
        return Diagnosis("almost right: a small epsilon, an np.clip or a slightly different formula "
                         "shifts the value?")
    return _diagnose_ratio(got / expected, batch_size, generic=False) if expected else _NONE


def _diagnose_ratio(ratio: float, batch_size: int | None, generic: bool) -> Diagnosis:
    """Name the bug behind a received/expected ratio shared by every value (no text if none)."""
    if np.isclose(ratio, -1):
        return Diagnosis("every value has the wrong sign", _scaled_by(lambda n: -1.0))
    if np.isclose(ratio, 2):
        return Diagnosis("every value is doubled: is a term counted twice?", _scaled_by(lambda n: 2.0))
    if np.isclose(ratio, 0.5):
        return Diagnosis("every value is half of what it should be: is a contribution missing?",
                         _scaled_by(lambda n: 0.5))
    if batch_size and batch_size > 1 and np.isclose(ratio, batch_size):
        return Diagnosis(f"every value is N = {batch_size} times too large: a missing 1/N (mean over the "
                         "batch)?", _scaled_by(lambda n: n if n and n > 1 else None))
    if batch_size and batch_size > 1 and np.isclose(ratio, 1 / batch_size):
        return Diagnosis(f"every value is N = {batch_size} times too small: an extra 1/N, or mean instead of "
                         "sum?", _scaled_by(lambda n: 1 / n if n and n > 1 else None))
    if generic and not np.isclose(ratio, 1):
        return Diagnosis(f"every value is {ratio:.4g} times the expected one: a constant factor is off",
                         _scaled_by(lambda n: ratio))
    return _NONE
