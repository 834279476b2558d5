"""Reads and writes that run on every request, their SQL built once per process.

Django builds a statement's SQL each time it runs: a few tenths of a millisecond for a query
with joins and annotations, five to ten times what running it costs. On the hottest paths
(every page's access check and kept-page inputs, every autosave) that building was most of
the request. Here a statement is built once, with stand-in values, and each call runs the
same SQL with its own values. What comes back is what the ORM would give: raw rows
(``CompiledRows``), model instances with their ``select_related`` rows and annotations
(``CompiledObjects``), the number of rows an update changed (``update_rows``), an inserted
row's primary key (``insert_row``). Tests compare each with the ORM's own result.
"""

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import Model
from django.db.models.query import get_related_populators

STAND_INS = (-7_000_001, -7_000_002, -7_000_003, -7_000_004, -7_000_005)


class CompiledQuery:
    """A queryset made by ``build`` from plain values (ids, keys), compiled once.

    ``build`` must use each argument as a query parameter, never to choose what the query
    looks like: it is compiled once with stand-in values and then run with the real ones.
    """

    def __init__(self, build: Callable):
        self.build = build
        self.compiled: tuple | None = None

    def compile(self, count: int) -> tuple:
        if self.compiled is None:
            stand_ins = STAND_INS[:count]
            queryset = self.build(*stand_ins)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            # A text field's lookup turns its stand-in into a string: match by the digits.
            marks = [str(stand_in) for stand_in in stand_ins]
            slots = [marks.index(str(p)) if str(p) in marks else None for p in params]
            if set(slots) - {None} != set(range(count)):
                raise ValueError("Every argument must be a parameter of the query.")
            slotted = [(slot, p) for slot, p in zip(slots, params, strict=True)]
            self.compiled = (sql, slotted, compiler)
        return self.compiled

    def fetch(self, args: tuple) -> tuple[list, object]:
        sql, slotted, compiler = self.compile(len(args))
        values = [args[slot] if slot is not None else constant for slot, constant in slotted]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall(), compiler


class CompiledRows(CompiledQuery):
    """Rows as the database gives them (no field conversions): for values that are hashed,
    or plain ids, names and flags."""

    def __call__(self, *args) -> tuple:
        rows, _ = self.fetch(args)
        return tuple(rows)


class CompiledObjects(CompiledQuery):
    """Model instances, built as Django's own ``ModelIterable`` builds them: converted field
    values, ``select_related`` rows attached, annotations set as attributes."""

    def __init__(self, build: Callable):
        super().__init__(build)
        self.shape: tuple | None = None

    def __call__(self, *args) -> list[Model]:
        rows, compiler = self.fetch(args)
        if self.shape is None:
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [column[0].target.attname for column in select[start:end]]
            populators = get_related_populators(klass_info, select, compiler.using)
            columns = [column[0] for column in select[: compiler.col_count]]
            if compiler.has_composite_fields(columns):
                raise ValueError("Composite primary keys are not supported.")
            converters = compiler.get_converters(columns)
            self.shape = (klass_info["model"], start, end, init_list, populators, converters)
        model, start, end, init_list, populators, converters = self.shape
        objects = []
        for row in map(list, rows):
            # As ``compiler.apply_converters``, with this thread's connection.
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
            obj = model.from_db(compiler.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, *args) -> Model | None:
        """The one object a read by a unique key gives, or None when there is none."""
        found = self(*args)
        return found[0] if found else None


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def update_rows(model: type[Model], where: dict, values: dict) -> int:
    """``model.objects.filter(**where).update(**values)`` for field names and plain values or
    related rows (no expressions, no lookups but equality): the statement's text is cached per
    table and field names, each value prepared for the database by its field as the ORM
    prepares it. Returns how many rows changed."""
    meta = model._meta
    sql = _update_sql(model, tuple(values), tuple(where))
    params = [
        meta.get_field(name).get_db_prep_save(_plain(value), connection)
        for name, value in values.items()
    ] + [
        meta.get_field(name).get_db_prep_value(_plain(value), connection)
        for name, value in where.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _plain(value):
    """A related row stands for its primary key, as in ``filter(assessment=assessment)``."""
    return value.pk if isinstance(value, Model) else value


_STATEMENTS: dict[tuple, str] = {}


def _update_sql(model: type[Model], set_names: Iterable[str], where_names: Iterable[str]) -> str:
    key = ("update", model, set_names, where_names)
    if key not in _STATEMENTS:
        column = {
            name: quoted(model._meta.get_field(name).column) for name in (*set_names, *where_names)
        }
        assignments = ", ".join(f"{column[name]} = %s" for name in set_names)
        conditions = " AND ".join(f"{column[name]} = %s" for name in where_names)
        _STATEMENTS[key] = (
            # Names come from the model's metadata, quoted; every value is a parameter.
            f"UPDATE {quoted(model._meta.db_table)} SET {assignments} WHERE {conditions}"  # noqa: S608
        )
    return _STATEMENTS[key]


def insert_row(obj: Model) -> Model:
    """``obj.save()`` for a new row of a model with an automatic primary key and no save
    signals listened to: every field's value prepared as the ORM's insert prepares it
    (``auto_now_add`` and defaults included); sets and returns ``obj`` with its new key."""
    model = type(obj)
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    key = ("insert", model)
    if key not in _STATEMENTS:
        columns = ", ".join(quoted(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Names come from the model's metadata, quoted; every value is a parameter.
        sql = f"INSERT INTO {quoted(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {quoted(model._meta.pk.column)}"
        _STATEMENTS[key] = sql
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENTS[key], params)
        if connection.features.can_return_columns_from_insert:
            obj.pk = cursor.fetchone()[0]
        else:
            obj.pk = connection.ops.last_insert_id(
                cursor, model._meta.db_table, model._meta.pk.column
            )
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
