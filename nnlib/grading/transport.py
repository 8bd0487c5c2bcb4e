"""Values on the wire between the grader and its sandbox: a small tagged binary format, never pickle.

The grader sends each exercise's cases into the sandbox, and the sandbox sends
back what happened (events with plain text and numbers) and each case's
flattened output (plain numeric arrays). Both go through :func:`encode` and
:func:`decode`. The format is a tree of tagged items::

    N T F           None, True, False
    i <len> digits  an int, in decimal
    f <8 bytes>     a float (IEEE 754, little endian)
    s <len> utf-8   a str (lone surrogates kept)      y <len> raw   bytes
    t/l <n> items   a tuple / a list                  d <n> pairs   a dict
    a dtype shape   an ndarray (C order)              g dtype raw   a numpy scalar
    n module qualname items                           a NamedTuple (Dense, DenseCache, ...)
    r name state    an np.random.Generator            c space name  a callable, by name

Lengths and counts are unsigned 64-bit little-endian integers. :func:`decode`
checks every length against the bytes that are left *before* it allocates
anything, limits the nesting depth, the digits of an int and the numbers in
arrays, and accepts only the tags it is told to: what the sandbox sends back
is decoded with :data:`FROM_SANDBOX`, which allows no classes, callables or
generators, and numeric dtypes only. A stream of messages is a sequence of
``<len> payload`` frames (:func:`frame`, :func:`split_frames`).

This module imports only numpy and the standard library: the sandbox loads it
from its source text, without any path to nnlib.
"""

from __future__ import annotations

import math
import re
import struct
import types
from collections.abc import Callable

import numpy as np

_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")

#: Tags allowed in what the sandbox sends back: plain data and numeric arrays, nothing callable.
FROM_SANDBOX = frozenset("NTFifsyltda")
#: Every tag (what the grader sends in).
EVERYTHING = frozenset("NTFifsyltdagnrc")

#: Bit generators a case's np.random.Generator may use.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: A plain numeric or boolean dtype, as ``dtype.str`` spells it ("<f8", "|b1", "<c16").
_DTYPE = re.compile(r"[<>|=]?[biufc]\d{1,2}")


class TransportError(ValueError):
    """Bytes that do not decode into an allowed value (what the message says is wrong)."""


# --------------------------------------------------------------------------- encoding


def encode(value, refer: Callable[[object], tuple[str, str]] | None = None) -> bytes:
    """The bytes of ``value``.

    ``refer(fn)`` names a callable as ``(space, name)`` (e.g. ``("numpy", "sin")``); without it,
    or when it raises TypeError, a callable cannot be sent. Raises TypeError for any other
    object (sets, class instances...), naming its type.
    """
    out: list[bytes] = []
    _encode(value, out, refer)
    return b"".join(out)


def _length(n: int) -> bytes:
    return _U64.pack(n)


def _text(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return _length(len(data)) + data


def _encode(value, out: list[bytes], refer) -> None:
    if value is None:
        out.append(b"N")
    elif value is True or value is False:
        out.append(b"T" if value else b"F")
    elif type(value) is int:
        digits = str(value).encode()
        out += [b"i", _length(len(digits)), digits]
    elif type(value) is float:
        out += [b"f", _F64.pack(value)]
    elif type(value) is str:
        out += [b"s", _text(value)]
    elif type(value) is bytes:
        out += [b"y", _length(len(value)), value]
    elif isinstance(value, np.ndarray):
        _encode_array(np.asarray(value).view(np.ndarray), out)
    elif isinstance(value, np.generic):
        if value.dtype.kind not in "biufc":
            raise TypeError(f"cannot send a numpy scalar of dtype {value.dtype}")
        out += [b"g", _text(value.dtype.str), value.tobytes()]
    elif isinstance(value, tuple) and hasattr(type(value), "_fields"):
        cls = type(value)
        out += [b"n", _text(cls.__module__), _text(cls.__qualname__), _length(len(value))]
        for item in value:
            _encode(item, out, refer)
    elif type(value) in (tuple, list):
        out += [b"t" if type(value) is tuple else b"l", _length(len(value))]
        for item in value:
            _encode(item, out, refer)
    elif isinstance(value, dict | types.MappingProxyType):
        out += [b"d", _length(len(value))]
        for key, item in value.items():
            _encode(key, out, refer)
            _encode(item, out, refer)
    elif isinstance(value, np.random.Generator):
        state = value.bit_generator.state
        if state.get("bit_generator") not in BIT_GENERATORS:
            raise TypeError(f"cannot send a Generator with bit generator {state.get('bit_generator')!r}")
        out += [b"r", _text(state["bit_generator"])]
        _encode(state, out, refer)
    elif callable(value) and refer is not None:
        space, name = refer(value)
        out += [b"c", _text(space), _text(name)]
    else:
        raise TypeError(f"cannot send a {type(value).__module__}.{type(value).__qualname__} "
                        "(only numbers, str, None, bool, arrays, tuples, lists, dicts, NamedTuples, "
                        "random generators and named functions)")


def _encode_array(array: np.ndarray, out: list[bytes]) -> None:
    if array.dtype.kind not in "biufc" or array.dtype.fields is not None:
        raise TypeError(f"cannot send an array of dtype {array.dtype}")
    data = np.ascontiguousarray(array).tobytes()
    out += [b"a", _text(array.dtype.str), _length(array.ndim), *(_length(n) for n in array.shape),
            _length(len(data)), data]


def frame(payload: bytes) -> bytes:
    """One message of a stream: its length, then its bytes."""
    return _length(len(payload)) + payload


def split_frames(data: bytes) -> tuple[list[bytes], bool]:
    """The messages of a stream, and whether it ends in a cut-off message."""
    frames, at = [], 0
    while at + 8 <= len(data):
        (size,) = _U64.unpack_from(data, at)
        if size > len(data) - at - 8:
            return frames, True
        frames.append(data[at + 8: at + 8 + size])
        at += 8 + size
    return frames, at != len(data)


# --------------------------------------------------------------------------- decoding


class _Reader:
    """Decodes one value, checking every length against what is left."""

    def __init__(self, data: bytes, allowed: frozenset, max_depth: int, max_elements: int, max_digits: int,
                 make_class: Callable[[str, str], type] | None,
                 find_callable: Callable[[str, str], Callable] | None):
        self.data, self.at = memoryview(data), 0
        self.allowed, self.max_depth = allowed, max_depth
        self.elements_left, self.max_digits = max_elements, max_digits
        self.make_class, self.find_callable = make_class, find_callable

    def take(self, n: int) -> memoryview:
        if n > len(self.data) - self.at:
            raise TransportError(f"a length of {n:,} bytes runs past the end of the message")
        chunk = self.data[self.at: self.at + n]
        self.at += n
        return chunk

    def count(self) -> int:
        (n,) = _U64.unpack(self.take(8))
        if n > len(self.data) - self.at:  # every item takes at least one byte
            raise TransportError(f"a count of {n:,} is more than the message could hold")
        return n

    def text(self, limit: int | None = None) -> str:
        n = self.count()
        if limit is not None and n > limit:
            raise TransportError(f"a name of {n:,} bytes is longer than {limit}")
        return bytes(self.take(n)).decode("utf-8", "surrogatepass")

    def dtype(self) -> np.dtype:
        spelled = self.text(limit=8)
        if not _DTYPE.fullmatch(spelled):
            raise TransportError(f"dtype {spelled!r} is not a plain numeric dtype")
        dtype = np.dtype(spelled)
        if dtype.itemsize > 16 or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
            raise TransportError(f"dtype {spelled!r} is not a plain numeric dtype")
        return dtype

    def value(self, depth: int = 0):
        if depth > self.max_depth:
            raise TransportError(f"the value is nested more than {self.max_depth} levels deep")
        tag = chr(self.take(1)[0])
        if tag not in self.allowed:
            raise TransportError(f"a value of kind {tag!r} is not accepted here")
        if tag in "NTF":
            return {"N": None, "T": True, "F": False}[tag]
        if tag == "i":
            n = self.count()
            if n > self.max_digits:
                raise TransportError(f"an integer of {n:,} digits (more than {self.max_digits})")
            digits = bytes(self.take(n))
            if not re.fullmatch(rb"-?\d+", digits):
                raise TransportError("an integer is not written in digits")
            return int(digits)
        if tag == "f":
            return _F64.unpack(self.take(8))[0]
        if tag == "s":
            return self.text()
        if tag == "y":
            return bytes(self.take(self.count()))
        if tag in "tl":
            items = [self.value(depth + 1) for _ in range(self.count())]
            return tuple(items) if tag == "t" else items
        if tag == "d":
            result = {}
            for _ in range(self.count()):
                key = self.value(depth + 1)
                if isinstance(key, dict | list | np.ndarray):
                    raise TransportError("a dict key must be a plain value")
                result[key] = self.value(depth + 1)
            return result
        if tag == "a":
            return self.array()
        if tag == "g":
            dtype = self.dtype()
            return np.frombuffer(bytes(self.take(dtype.itemsize)), dtype=dtype)[0]
        if tag == "n":
            module, qualname = self.text(limit=200), self.text(limit=200)
            items = [self.value(depth + 1) for _ in range(self.count())]
            if self.make_class is None:
                raise TransportError("NamedTuples are not accepted here")
            return self.make_class(module, qualname)(*items)
        if tag == "r":
            name = self.text(limit=20)
            state = self.value(depth + 1)
            if name not in BIT_GENERATORS:
                raise TransportError(f"unknown bit generator {name!r}")
            bit_generator = getattr(np.random, name)()
            bit_generator.state = state
            return np.random.Generator(bit_generator)
        # tag == "c"
        space, name = self.text(limit=100), self.text(limit=200)
        if self.find_callable is None:
            raise TransportError("callables are not accepted here")
        return self.find_callable(space, name)

    def array(self) -> np.ndarray:
        dtype = self.dtype()
        (ndim,) = _U64.unpack(self.take(8))
        if ndim > 32:
            raise TransportError(f"an array with {ndim} dimensions")
        shape = tuple(_U64.unpack(self.take(8))[0] for _ in range(ndim))
        count = math.prod(shape)
        if count > self.elements_left:
            raise TransportError("the arrays hold more numbers than allowed")
        self.elements_left -= count
        (nbytes,) = _U64.unpack(self.take(8))
        if nbytes != count * dtype.itemsize:
            raise TransportError(f"an array of shape {shape} and dtype {dtype} cannot take {nbytes:,} bytes")
        body = self.take(nbytes)
        array = np.frombuffer(body, dtype=dtype, count=count).reshape(shape)
        return np.array(array, dtype=dtype.newbyteorder("="), order="C")  # a copy: writeable, owned


def decode(data: bytes, *, allowed: frozenset = FROM_SANDBOX, max_depth: int = 16,
           max_elements: int = 10_000_000, max_digits: int = 40,
           make_class: Callable[[str, str], type] | None = None,
           find_callable: Callable[[str, str], Callable] | None = None):
    """The value encoded in ``data`` (one whole value, nothing after it).

    Raises TransportError for anything malformed or not allowed: a tag outside
    ``allowed``, nesting deeper than ``max_depth``, more than ``max_elements``
    numbers in arrays, an int of more than ``max_digits`` digits, a non-numeric
    dtype, or a length that does not fit. ``make_class(module, qualname)`` gives
    the NamedTuple class of an ``n`` item, ``find_callable(space, name)`` the
    function of a ``c`` item.
    """
    reader = _Reader(bytes(data), allowed, max_depth, max_elements, max_digits, make_class, find_callable)
    try:
        value = reader.value()
    except (struct.error, UnicodeDecodeError, OverflowError, RecursionError) as err:
        raise TransportError(f"malformed message ({type(err).__name__})") from None
    if reader.at != len(reader.data):
        raise TransportError("extra bytes after the value")
    return value
