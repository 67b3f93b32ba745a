"""Querysets built and compiled once per process, then run with fresh values.

Building a queryset (``filter``, ``Q``, ``Subquery``, ``union``) and compiling
it to SQL costs more CPU than running it for the small, index-backed reads of
a reader page: the related-articles query took about 15 ms to build and
compile and well under one to run. A page that misses the cache runs the same
few query *shapes* with different values (an article id, the time "now"), so
the shape is built once per process and database, and each request only
substitutes its values into the stored SQL's parameters.

``prepared(build)`` wraps a function that returns a queryset; its keyword
arguments are the values that change from call to call (each an ``int``, a
``str``, a ``uuid.UUID``, an aware ``datetime`` or a ``list`` of ``int``; a list makes one shape
per length). ``.page(offset=..., limit=..., **values)`` runs the same query
with an OFFSET and LIMIT, both parameters too (Django writes a slice into the
SQL text, so a sliced queryset would be one shape per page). The first call
for a shape builds the queryset twice with two sets of stand-in values,
compiles both, and checks that the SQL text is the same and that the
parameters that differ are exactly the stand-ins' places, so a value that
Django writes into the SQL text (a slice's LIMIT, say) cannot be taken for a
parameter: such a build raises ``ValueError`` and is a programming error.
Every later call runs the stored SQL with the stored compiler's row
handling (Django's own iterable class of that queryset: model instances
with ``select_related`` objects, ``values()`` rows...).

Only reads that do not depend on anything but their arguments belong here:
the build function must not read the clock, the request or settings that
tests change (the article page passes "now" in).
"""

import copy
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import QuerySet

# Stand-in values no real argument has (negative ids; a date in 1901; text
# with a control character no slug holds).
_INT_STANDINS = (-7_340_001, -8_450_001)
_STR_STANDINS = ("\x1fprepared-standin-a", "\x1fprepared-standin-b")
_DATETIME_STANDINS = (
    datetime(1901, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(1901, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
)
_UUID_STANDINS = (
    uuid.UUID("0f0f0f0f-0000-4000-8000-00000000000a"),
    uuid.UUID("0f0f0f0f-0000-4000-8000-00000000000b"),
)
MAX_LIST_LENGTH = 50  # longer lists are built and compiled as usual
ARGUMENT_SPACING = 100  # stand-ins of one argument's list items, then the next argument's
# A slice Django writes into the SQL text, to check where it goes.
_SLICE_STANDINS = (7_340_001, 7_340_021)
_OFFSET, _LIMIT = " offset", " limit"  # slot names no keyword argument can have


def _standin(value, which: int, index: int = 0):
    if isinstance(value, bool):
        raise TypeError("a boolean changes the SQL: build one query per value instead")
    if isinstance(value, int):
        return _INT_STANDINS[which] - index * 10
    if isinstance(value, str):
        return f"{_STR_STANDINS[which]}-{index}"
    if isinstance(value, datetime):
        return _DATETIME_STANDINS[which] + timedelta(seconds=index)
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=_UUID_STANDINS[which].int + (index << 64))
    raise TypeError(
        f"unsupported prepared value {value!r} (int, str, UUID, datetime or a list of int)"
    )


def _adapt(connection, value):
    """A value as the ORM passes it to the database driver."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, uuid.UUID) and not connection.features.has_native_uuid_field:
        return value.hex  # as ``UUIDField`` stores it (SQLite: 32 hex digits)
    return value


class _Shape:
    """One compiled query: its SQL, where each argument goes in its parameters,
    and the compiler that turns rows into what the queryset yields."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: tuple, slots: dict):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.slots = slots  # {(name, list index or None): [positions]}
        # The row converters of each database connection (thread), worked out on
        # its first run: Django asks every column's field for them on each run.
        self.converters = weakref.WeakKeyDictionary()

    def run(self, connection, values: dict) -> list:
        params = list(self.params)
        for (name, index), positions in self.slots.items():
            value = values[name] if index is None else values[name][index]
            adapted = _adapt(connection, value)
            for position in positions:
                params[position] = adapted
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        converters = self.converters.get(connection)
        if converters is None:
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = self.converters[connection] = compiler.get_converters(fields)
        compiler.get_converters = lambda expressions: converters
        return list(self.queryset._iterable_class(_Compiled(self.queryset, compiler)))


class _CompiledQuery:
    """The queryset's query, answering ``get_compiler`` with the stored compiler."""

    def __init__(self, query, compiler):
        self._query = query
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class _Compiled:
    """What Django's iterable classes read from a queryset, with the stored compiler."""

    def __init__(self, queryset: QuerySet, compiler):
        self._queryset = queryset
        self.query = _CompiledQuery(queryset.query, compiler)

    def __getattr__(self, name):
        return getattr(self._queryset, name)


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self.shapes: dict[tuple, _Shape] = {}
        self.lock = threading.Lock()

    def __call__(self, **values) -> list:
        return self._run(values, sliced=False)

    def page(self, *, offset: int, limit: int, **values) -> list:
        """The rows ``build(**values)[offset : offset + limit]`` gives, with the
        offset and the limit as parameters: one shape for every page."""
        if isinstance(offset, bool) or isinstance(limit, bool) or offset < 0 or limit < 1:
            raise ValueError(f"a page needs offset >= 0 and limit >= 1, not {offset}, {limit}")
        return self._run(values, sliced=(int(offset), int(limit)))

    def _run(self, values: dict, *, sliced) -> list:
        shape_key = tuple(
            (name, len(value) if isinstance(value, list | tuple) else None)
            for name, value in sorted(values.items())
        ) + (bool(sliced),)
        if any(n is not None and (n == 0 or n > MAX_LIST_LENGTH) for _name, n in shape_key[:-1]):
            # ``pk__in=[]`` runs no query at all; very long lists are rare.
            queryset = self.build(**values)
            if sliced:
                queryset = queryset[sliced[0] : sliced[0] + sliced[1]]
            return list(queryset)
        shape = self.shapes.get(shape_key)
        if shape is None:
            with self.lock:
                shape = self.shapes.get(shape_key) or self._prepare(values, sliced=bool(sliced))
                self.shapes[shape_key] = shape
        if sliced:
            values = {**values, _OFFSET: sliced[0], _LIMIT: sliced[1]}
        return shape.run(connections[shape.queryset.db], values)

    def _slice(self, queryset: QuerySet, sql: str, params: tuple, slots: dict) -> tuple:
        """The query's SQL and slots with ``LIMIT %s OFFSET %s`` appended, after
        checking that Django writes a slice of it exactly there (and nowhere else)."""
        if queryset.query.is_sliced or queryset.query.select_for_update:
            raise ValueError(f"{self.build.__qualname__}: a paged query is sliced by .page()")
        connection = connections[queryset.db]
        low, high = _SLICE_STANDINS
        sliced_sql, sliced_params = queryset[low:high].query.get_compiler(queryset.db).as_sql()
        if sliced_sql != f"{sql} {connection.ops.limit_offset_sql(low, high)}" or tuple(
            sliced_params
        ) != tuple(params):
            raise ValueError(f"{self.build.__qualname__}: the database slices elsewhere")
        if connection.ops.limit_offset_sql(low, high) != f"LIMIT {high - low} OFFSET {low}":
            # Not PostgreSQL or SQLite: their LIMIT/OFFSET is what is replaced.
            raise ValueError(f"{self.build.__qualname__}: unsupported LIMIT syntax")
        slots = {**slots, (_LIMIT, None): [len(params)], (_OFFSET, None): [len(params) + 1]}
        return f"{sql} LIMIT %s OFFSET %s", (*params, None, None), slots

    def _prepare(self, values: dict, *, sliced: bool = False) -> _Shape:
        def standins(which: int) -> dict:
            # Each argument its own stand-ins (two ``datetime`` arguments must not
            # share one, or their places in the parameters could not be told apart).
            return {
                name: (
                    [
                        _standin(item, which, number * ARGUMENT_SPACING + index)
                        for index, item in enumerate(value)
                    ]
                    if isinstance(value, list | tuple)
                    else _standin(value, which, number * ARGUMENT_SPACING)
                )
                for number, (name, value) in enumerate(sorted(values.items()))
            }

        first, second = standins(0), standins(1)
        queryset = self.build(**first)
        if queryset._prefetch_related_lookups:
            raise ValueError(f"{self.build.__qualname__}: prefetch_related is not supported")
        connection = connections[queryset.db]
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        other = self.build(**second)
        other_sql, other_params = other.query.get_compiler(using=other.db).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError(f"{self.build.__qualname__}: an argument is written into the SQL")
        slots: dict[tuple, list[int]] = {}
        for name, value in first.items():
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                expected = _adapt(connection, item)
                positions = [i for i, param in enumerate(params) if param == expected]
                if not positions:
                    raise ValueError(f"{self.build.__qualname__}: {name} is not a parameter")
                key = (name, index if isinstance(value, list) else None)
                slots[key] = positions
        placed = {position for positions in slots.values() for position in positions}
        if len(placed) != sum(len(positions) for positions in slots.values()):
            raise ValueError(f"{self.build.__qualname__}: two arguments share a parameter")
        differing = {i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b}
        if placed != differing:
            raise ValueError(f"{self.build.__qualname__}: parameters do not follow the arguments")
        params = tuple(params)
        if sliced:
            sql, params, slots = self._slice(queryset, sql, params, slots)
        return _Shape(queryset, compiler, sql, params, slots)


def fits(field, value: int, *, using: str = "default") -> bool:
    """Whether an id from a URL fits the column: the ORM's own lookups answer
    "no rows" for an out-of-range value, a prepared query would pass it to the
    database, which refuses it."""
    low, high = connections[using].ops.integer_field_range(field.get_internal_type())
    return (low is None or value >= low) and (high is None or value <= high)


def prepared(build: Callable[..., QuerySet]) -> PreparedQuery:
    """Decorate a queryset builder: calling the result runs the query and
    returns its rows as a list (see the module docstring)."""
    return PreparedQuery(build)
