"""Arrow columns and tables from Python values, without `pyarrow.array`.

`pyarrow.array` imports pandas the first time it is called wherever pandas is installed (it asks
whether the values are a pandas Series), about 0.6 s of CPU: more than a sweep's worker process
or a `harness run` otherwise spends before its first sample. The few column types the store
writes (text, bytes, integers, floats, booleans, timestamps) are built here from their buffers;
the result is the array `pyarrow.array(values, type)` returns.
"""

from __future__ import annotations

import array as stdarray
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_MAX_OFFSET = 2**31 - 1  # text and bytes columns have 32-bit offsets


def column(values: Sequence[Any], arrow_type: Any) -> Any:
    """`values` (None for a missing one) as a `pyarrow.Array` of `arrow_type`. Text, bytes, integers,
    floats, booleans and timestamps of the plain Python types are built here; anything else (a
    numpy scalar, a value of the wrong kind) goes through `pyarrow.array`, which converts or
    rejects it as it always did."""
    import pyarrow as pa

    kinds = _KINDS.get(str(arrow_type))
    if kinds is None or not all(v is None or _plain(v, kinds) for v in values):
        return pa.array(values, arrow_type)
    try:
        return pa.Array.from_buffers(arrow_type, len(values), _buffers(values, arrow_type), null_count=_nulls(values))
    except (OverflowError, UnicodeEncodeError, _TooLong):  # pyarrow.array says why, in its words
        return pa.array(values, arrow_type)


class _TooLong(Exception):
    """Text or bytes past 32-bit offsets, which `pyarrow.array` makes a chunked array of."""


def _buffers(values: Sequence[Any], arrow_type: Any) -> list[Any]:
    import pyarrow as pa

    validity = pa.py_buffer(_bitmap([v is not None for v in values])) if _nulls(values) else None
    if arrow_type in (pa.string(), pa.binary()):
        data = [b"" if v is None else v.encode() if isinstance(v, str) else bytes(v) for v in values]
        offsets = stdarray.array("i", [0])
        total = 0
        for item in data:
            total += len(item)
            if total > _MAX_OFFSET:
                raise _TooLong
            offsets.append(total)
        return [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    elif arrow_type == pa.int64():
        return [validity, pa.py_buffer(stdarray.array("q", [0 if v is None else v for v in values]))]
    elif arrow_type == pa.float64():
        return [validity, pa.py_buffer(stdarray.array("d", [0.0 if v is None else v for v in values]))]
    elif arrow_type == pa.bool_():
        return [validity, pa.py_buffer(_bitmap([v is True for v in values]))]
    else:  # timestamp[us]
        return [validity, pa.py_buffer(stdarray.array("q", [0 if v is None else _micros(v) for v in values]))]


#: The Python types built here for each Arrow type (by its name).
_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "binary": (bytes, bytearray, str),
    "int64": (int,),
    "double": (int, float),
    "bool": (bool,),
    "timestamp[us]": (datetime,),
}


def _plain(value: Any, kinds: tuple[type, ...]) -> bool:
    """Of one of `kinds`; a boolean standing in for a number is left to `pyarrow.array`."""
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


def table(columns: Mapping[str, Any]) -> Any:
    """A `pyarrow.Table` of the named columns (each built by `column`)."""
    import pyarrow as pa

    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


def _nulls(values: Sequence[Any]) -> int:
    return sum(v is None for v in values)


def _bitmap(bits: Sequence[bool]) -> bytes:
    """Arrow's bit order: value i is bit i % 8 of byte i // 8."""
    packed = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            packed[i >> 3] |= 1 << (i & 7)
    return bytes(packed)


def _micros(moment: datetime) -> int:
    """Microseconds since 1970 of a timestamp: a zone-less one as it reads, one with a zone in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment - _EPOCH) // _MICROSECOND
