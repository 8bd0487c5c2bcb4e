"""What every lesson's tests share. Not a test module (pytest collects only ``test_*.py``)."""

from __future__ import annotations

import types


def learner_copy(fn):
    """nnlib's reference as if a learner had typed its code into a cell: the same code, but a code
    object of its own (check() refuses nnlib's reference itself, and a function that calls it)."""
    copy = types.FunctionType(fn.__code__.replace(co_filename="<learner's cell>"), fn.__globals__,
                              fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy
