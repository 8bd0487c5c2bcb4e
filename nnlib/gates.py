r"""The three gates of backpropagation: add, multiply and max (lesson 05).

Each function is the *backward* of one elementwise operation :math:`z = f(x, y)`.
It receives the upstream gradient :math:`\partial L / \partial z` (``dz``) and
returns :math:`(\partial L / \partial x, \partial L / \partial y)` by the chain rule

.. math::
    \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z}\,\frac{\partial z}{\partial x},
    \qquad
    \frac{\partial L}{\partial y} = \frac{\partial L}{\partial z}\,\frac{\partial z}{\partial y}.

Their behaviour earns them the nicknames of CS231n's notes, which learners meet
elsewhere too: the add gate *distributes* ``dz`` (an unchanged copy to each input),
the max gate *routes* it (all of ``dz`` to the input that won, none to the other),
and the multiply gate *swaps* its inputs (each input gets ``dz`` times the *other*
input).

Arguments are numbers or arrays of one common shape (no broadcasting: these
gates are elementwise). Scalars give Python floats back (numpy scalars for
float32); arrays give new arrays of the same shape, float32 when the inputs are.
"""

from __future__ import annotations

import numbers

import numpy as np

from nnlib._validate import as_float_array


def _operand(fn: str, name: str, value):
    """A Python number stays a float (so it does not force float64 onto float32 arrays)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.generic):
        return float(value)
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{fn}: {name} must be a number or an array of numbers; got bool {value!r}")
    return as_float_array(fn, name, value)


def _same_shape(fn: str, **operands) -> None:
    shapes = {name: np.shape(v) for name, v in operands.items()}
    if len(set(shapes.values())) > 1:
        got = ", ".join(f"{name}.shape={shape}" for name, shape in shapes.items())
        raise ValueError(
            f"{fn}: {', '.join(shapes)} must all have the same shape (the gate is elementwise, "
            f"and dz = dL/dz is shaped like z); got {got}"
        )


def _result(value, dtype):
    """A 0-d result as a plain number, anything else as an array of ``dtype``."""
    value = np.asarray(value, dtype=dtype)
    if value.ndim == 0:
        return float(value) if value.dtype == np.float64 else value[()]
    return value


def add_backward(dz):
    r"""Backward of the add gate :math:`z = x + y`: it *distributes* the gradient.

    Since :math:`\partial z / \partial x = \partial z / \partial y = 1`,

    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z}, \qquad
              \frac{\partial L}{\partial y} = \frac{\partial L}{\partial z}.

    Parameters
    ----------
    dz : float or ndarray, the upstream gradient dL/dz (shaped like z)

    Returns
    -------
    dx, dy : two *separate* copies of ``dz`` (changing one later cannot change the other)

    Examples
    --------
    >>> add_backward(2.5)
    (2.5, 2.5)
    """
    dz = _operand("add_backward", "dz", dz)
    dtype = np.result_type(dz)
    return _result(np.array(dz, copy=True), dtype), _result(np.array(dz, copy=True), dtype)


def multiply_backward(dz, x, y):
    r"""Backward of the multiply gate :math:`z = x \cdot y` (elementwise): it *swaps* the inputs.

    Since :math:`\partial z / \partial x = y` and :math:`\partial z / \partial y = x`,

    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z}\, y, \qquad
              \frac{\partial L}{\partial y} = \frac{\partial L}{\partial z}\, x.

    Parameters
    ----------
    dz : float or ndarray, the upstream gradient dL/dz
    x, y : float or ndarray, the gate's inputs from the forward pass (same shape as dz)

    Returns
    -------
    dx, dy : each shaped like its input

    Examples
    --------
    >>> multiply_backward(1.0, 2.0, -3.0)
    (-3.0, 2.0)
    """
    fn = "multiply_backward"
    dz, x, y = _operand(fn, "dz", dz), _operand(fn, "x", x), _operand(fn, "y", y)
    _same_shape(fn, dz=dz, x=x, y=y)
    dtype = np.result_type(dz, x, y)
    return _result(dz * y, dtype), _result(dz * x, dtype)  # each input gets the *other* one


def max_backward(dz, x, y):
    r"""Backward of the max gate :math:`z = \max(x, y)` (elementwise): it *routes* the gradient.

    The input that won the forward pass gets the whole upstream gradient, the
    other gets 0:

    .. math::
        \frac{\partial L}{\partial x} = \begin{cases} \partial L / \partial z & x \ge y \\
                                                       0 & x < y \end{cases}, \qquad
        \frac{\partial L}{\partial y} = \begin{cases} 0 & x \ge y \\
                                                       \partial L / \partial z & x < y \end{cases}

    Ties (:math:`x = y`) send the gradient to ``x`` only. The max is not
    differentiable there; any split :math:`t\,dz` and :math:`(1 - t)\,dz` is a valid
    subgradient, and picking one input keeps the total :math:`dx + dy = dz`, exactly
    like every other point (sending ``dz`` to both would double it).

    Parameters
    ----------
    dz : float or ndarray, the upstream gradient dL/dz
    x, y : float or ndarray, the gate's inputs from the forward pass (same shape as dz)

    Returns
    -------
    dx, dy : each shaped like its input; at every position exactly one is ``dz``, the other 0

    Examples
    --------
    >>> max_backward(2.0, 1.0, 4.0)
    (0.0, 2.0)
    >>> max_backward(2.0, 3.0, 3.0)  # a tie: x gets the gradient
    (2.0, 0.0)
    """
    fn = "max_backward"
    dz, x, y = _operand(fn, "dz", dz), _operand(fn, "x", x), _operand(fn, "y", y)
    _same_shape(fn, dz=dz, x=x, y=y)
    dtype = np.result_type(dz, x, y)
    x_wins = np.asarray(x) >= np.asarray(y)  # ties go to x
    return _result(np.where(x_wins, dz, 0.0), dtype), _result(np.where(x_wins, 0.0, dz), dtype)
