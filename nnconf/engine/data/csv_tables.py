"""``data.source: csv``: a table with a header row, read with Python's csv module.

Each column used is numbers, categories (words: one-hot encoded with the categories of the training
split, which the run keeps in preprocessing.json; or, for an input that a StringLookup reads, left
to the model) or texts (for an input that a TextVectorization reads). A model with several inputs
takes named groups of columns (``data.inputs``). Missing values and columns that mix numbers with
words are reported with their line numbers; labels written as words become classes, named in order.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnconf.config.data import string_inputs
from nnconf.config.model import Config, FunctionalModel
from nnconf.config.suggest import did_you_mean, listing
from nnconf.engine.data import samples
from nnconf.engine.data.base import Raw, Request
from nnconf.engine.data.checks import check_float32_range
from nnconf.engine.data.errors import Where, file_where, quoted
from nnconf.engine.data.files import resolve

AT = ("data", "path")
# Whole numbers up to this size are exact as floats (and as int64).
_EXACT_INTEGERS = 2**53
# Lines named in a message about a column's cells; the rest are counted.
_SHOWN_LINES = 5


@dataclass
class Table:
    """The cells of a table, stripped of surrounding spaces, by row and column; each row's line in its
    file (or, for a table from Python, its row), for messages."""

    name: str
    header: list[str]
    positions: dict[str, int]
    cells: np.ndarray  # (rows, columns) of str, as objects: a long text costs only its own length
    lines: list[int]
    row_word: str = "line"

    def column(self, name: str) -> np.ndarray:
        return self.cells[:, self.positions[name]]

    def place(self, row: int, column: str) -> str:
        return f"{self.row_word} {self.lines[row]} of {self.name}, column {column!r}"


def read(request: Request) -> Raw:
    config, where = request.config, request.where
    data = config.data
    generated = Path(os.path.expanduser(data.path))
    generated = generated if generated.is_absolute() else request.base_dir / generated
    if data.generate and not os.path.lexists(generated):
        samples.generate(data.generate, generated)
    table = read_table(resolve(data.path, request.base_dir, where), data.delimiter, where)
    return read_columns(table, config, request.inference, where)


def read_columns(table: Table, config: Config, inference, where: Where) -> Raw:
    """The model's inputs and labels from the columns of ``table`` that the data section names."""
    data = config.data
    label_columns = [data.label] if isinstance(data.label, str) else list(data.label)
    for position, name in enumerate(label_columns):
        if name not in table.positions:
            path = ("data", "label") if isinstance(data.label, str) else ("data", "label", position)
            raise where.error(path, f"{table.name} has no label column {name!r}; its columns are "
                              f"{_columns(table)}", hint=did_you_mean(name, table.header))
    groups = input_columns(table, config, inference, set(label_columns), where)
    if not table.lines:
        raise where.error(AT, f"{table.name} has a header but no samples")
    outputs = config.output_names()
    if len(outputs) != 1:
        raise where.error(("data", "source"), f"data.source {data.source} gives one set of labels, but the model has "
                          f"the outputs {listing(repr(n) for n in outputs)}",
                          hint="give an npz file with one array per model input and output, named by them")
    output_name = outputs[0]
    raw = Raw({}, {})
    strings = string_inputs(config)
    forced = set(data.categories or ())
    for key, names in groups.items():
        raw.x[key], reader = input_values(table, names, key in strings, forced, where)
        if reader is not None:
            raw.readers[key] = reader
    labels, classes = label_values(table, label_columns, forced, where)
    raw.y[output_name] = labels[:, 0] if isinstance(data.label, str) and labels.ndim == 2 else labels
    if classes is not None:
        raw.classes[output_name] = classes
    return raw


def _columns(table: Table) -> str:
    return listing(repr(c) for c in table.header)


def input_columns(table: Table, config: Config, inference, labels: set[str], where: Where) -> dict[str, list[str]]:
    """The columns of each model input: ``data.inputs`` by input name, ``data.features`` (or every
    column but the labels) for a model with one input, or for a functional model whose inputs are
    named like columns, each its own column."""
    data, inputs = config.data, list(inference.input_shapes)
    given = getattr(data, "inputs", None)
    if given:
        for name in given:
            if name not in inputs:
                raise where.error(("data", "inputs", name), f"the model has no input {name!r}; its inputs are "
                                  f"{listing(repr(i) for i in inputs)}", hint=did_you_mean(name, inputs))
        missing = [name for name in inputs if name not in given]
        if missing:
            raise where.error(("data", "inputs"), f"data.inputs names no columns for the model input {missing[0]!r}",
                              hint=f"add {missing[0]}: [column, ...]")
        groups = {name: list(given[name]) for name in inputs}
        found_at = {name: ("data", "inputs", name) for name in inputs}
    elif len(inputs) == 1:
        features = list(data.features) if getattr(data, "features", None) else \
            [c for c in table.header if c not in labels]
        groups, found_at = {inputs[0]: features}, {inputs[0]: ("data", "features")}
    elif all(name in table.positions for name in inputs):
        groups = {name: [name] for name in inputs}
        found_at = {name: ("data",) for name in inputs}
    else:
        raise where.error(("data",), f"the model has the inputs {listing(repr(i) for i in inputs)}: say which "
                          f"columns of {table.name} feed each", hint="set data.inputs: {" +
                          ", ".join(f"{i}: [column, ...]" for i in inputs) + "}")
    for key, names in groups.items():
        for position, name in enumerate(names):
            if name not in table.positions:
                what = "feature column" if found_at[key] == ("data", "features") else "column"
                raise where.error(found_at[key] + (position,), f"{table.name} has no {what} {name!r}; its columns "
                                  f"are {_columns(table)}", hint=did_you_mean(name, table.header))
            if name in labels:
                raise where.error(found_at[key] + (position,), f"column {name!r} is both a label and an input")
        if not names:
            raise where.error(("data", "label"), f"{table.name} has no columns left for features besides the labels")
    return groups


def input_values(table: Table, names: list[str], takes_strings: bool, forced: set[str],
                 where: Where) -> tuple[np.ndarray, dict | None]:
    """One input's values from its columns, and how they are prepared where they are not numbers: an
    input a string lookup reads gets one column of strings; columns of words become categories."""
    if takes_strings:
        if len(names) != 1:
            raise where.error(AT, f"the input that a TextVectorization or StringLookup reads takes one column of "
                              f"strings, not {len(names)} ({', '.join(repr(n) for n in names)})",
                              hint="give the input one column")
        return table.column(names[0]).astype(object), {"dtype": "string"}
    numbers = _block(table, names) if not forced & set(names) else None
    if numbers is not None:
        _check_numbers(table, names, numbers, where)
        return numbers, None
    kinds = [_kind(table, name, name in forced, where) for name in names]
    if all(kind == "number" for kind in kinds):
        values = np.stack([_numbers(table, name, where) for name in names], axis=1)
        return values, None
    _check_missing(table, names, where)
    columns = [{"name": name, "kind": kind} for name, kind in zip(names, kinds)]
    return table.cells[:, [table.positions[name] for name in names]], {"columns": columns}


def label_values(table: Table, names: list[str], forced: set[str], where: Where) -> tuple[np.ndarray, list | None]:
    """The labels, and their class names where a single label column holds words (in sorted order)."""
    if len(names) == 1 and _kind(table, names[0], names[0] in forced, where) == "category":
        values = table.column(names[0])
        _check_missing(table, names, where)
        classes = sorted(set(values.tolist()))
        index = {name: position for position, name in enumerate(classes)}
        return np.asarray([index[value] for value in values], dtype=np.int64), classes
    numbers = _block(table, names)
    if numbers is None:
        for name in names:
            if _kind(table, name, False, where) == "category":
                raise where.error(("data", "label"), f"the label column {name!r} of {table.name} holds words: only "
                                  "a single label column may name its classes in words",
                                  hint="write the labels of several label columns as 0 and 1")
        numbers = np.stack([_numbers(table, name, where) for name in names], axis=1)
    _check_numbers(table, names, numbers, where)
    if numbers.size and np.all(np.mod(numbers, 1) == 0) and np.abs(numbers).max() <= _EXACT_INTEGERS:
        numbers = numbers.astype(np.int64)  # class ids stay integers; larger whole numbers stay floats
    return numbers, None


def _block(table: Table, names: list[str]) -> np.ndarray | None:
    """The columns as float64, or None where a cell is no number (empty, or a word)."""
    cells = table.cells[:, [table.positions[name] for name in names]]
    try:
        return cells.astype(np.str_).astype(np.float64)
    except ValueError:
        return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _kind(table: Table, name: str, forced: bool, where: Where) -> str:
    """``number`` or ``category`` (words, or any values where ``forced``); a column mixing both is an error."""
    if forced:
        return "category"
    values = table.column(name)
    present = [row for row, cell in enumerate(values) if cell != ""]
    numeric = [row for row in present if _is_number(values[row])]
    if len(numeric) == len(present):
        return "number"
    if not numeric:
        return "category"
    numeric_rows = set(numeric)
    words = [row for row in present if row not in numeric_rows]
    odd, usual = (words, "numbers") if len(words) <= len(numeric) else (numeric, "words")
    count = f" ({len(odd)} such lines)" if len(odd) > 1 else ""
    raise where.error(AT, f"{table.place(odd[0], name)} holds {values[odd[0]][:40]!r}, but the column's other "
                      f"values are {usual}{count}",
                      hint=f"correct the {table.row_word}, or list the column in data.categories to read every "
                           "value of it as a category")


def _numbers(table: Table, name: str, where: Where) -> np.ndarray:
    """One column of numbers (a number column: missing cells are reported first)."""
    _check_missing(table, [name], where)
    return table.column(name).astype(np.str_).astype(np.float64)


def _check_missing(table: Table, names: list[str], where: Where) -> None:
    for name in names:
        rows = np.flatnonzero(table.column(name) == "")
        if rows.size:
            shown = [str(table.lines[row]) for row in rows[:_SHOWN_LINES]]
            if rows.size == 1:
                places = f"{table.row_word} {shown[0]}"
            elif rows.size <= _SHOWN_LINES:
                places = f"{table.row_word}s {', '.join(shown[:-1])} and {shown[-1]}"
            else:
                places = f"{table.row_word}s {', '.join(shown)} and {rows.size - _SHOWN_LINES} more"
            count = "a missing value" if rows.size == 1 else f"{rows.size} missing values"
            raise where.error(AT, f"column {name!r} of {table.name} has {count}, at {places}",
                              hint=f"fill them in, or leave those {table.row_word}s out")


def _check_numbers(table: Table, names: list[str], values: np.ndarray, where: Where) -> None:
    """Number columns hold no NaN or infinity (as 'nan' or 'inf' parse), and fit float32."""
    bad = ~np.isfinite(values)
    if bad.any():
        rows_at, columns_at = np.nonzero(bad)
        raise where.error(AT, f"{table.name} has {int(bad.sum())} NaN or infinite value(s), the first at "
                          f"{table.row_word} {table.lines[rows_at[0]]}, column {names[columns_at[0]]!r}",
                          hint="fill in or drop the samples with missing values")
    check_float32_range(values, f"a column of {table.name}", where, AT)


def read_table(path: Path, delimiter: str, where: Where, at: tuple = AT) -> Table:
    """The header and cells of a CSV file, each row with its line; damaged and ragged files refused."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise where.error(at, f"{quoted(path)} cannot be read ({os.strerror(error.errno or 0)})") from None
    if not raw.strip():
        raise where.error(at, f"the data file {str(path)!r} is empty")
    if b"\0" in raw[:8192]:
        raise where.error(at, f"{str(path)!r} is not a CSV file (it holds binary data)",
                          hint="give a text file with a header row and comma-separated values")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise where.error(at, f"{str(path)!r} is not a UTF-8 text CSV file ({error.reason} at byte {error.start})",
                          hint="save the table as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        rows, lines = [], []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise where.error(at, f"line {reader.line_num} of {path.name} has {len(row)} fields, but the header "
                                  f"has {len(header)}")
            rows.append([cell.strip() for cell in row])
            lines.append(reader.line_num)
    except csv.Error as error:
        raise where.error(at, f"{str(path)!r} is not a readable CSV file (line {reader.line_num}: {error})") from None
    positions: dict[str, int] = {}  # column name to index: lookups stay linear in the number of columns
    for position, name in enumerate(header):
        if name in positions:
            raise where.error(at, f"{path.name} has the column {name!r} more than once")
        positions[name] = position
    cells = np.empty((len(rows), len(header)), dtype=object)
    if rows:
        cells[:] = rows
    return Table(path.name, header, positions, cells, lines)


def read_inputs(path: Path, config: Config, inference, preprocessing: dict) -> tuple[dict, list[int]]:
    """New inputs in a CSV table (for predict): each model input from the columns the run trained it on
    (labels may be left out), as the run's preprocessing takes them."""
    where = file_where(path)
    data = config.data
    table = read_table(path, getattr(data, "delimiter", ","), where, ())
    plans = preprocessing.get("inputs", {})
    strings = string_inputs(config)
    x = {}
    for key in inference.input_shapes:
        plan = plans.get(key, {})
        names = _trained_columns(table, config, inference, key, plan, where)
        x[key], _ = input_values(table, names, key in strings or plan.get("dtype") == "string",
                                 {c["name"] for c in plan.get("columns", []) if c["kind"] == "category"}, where)
    return x, table.lines


def _trained_columns(table: Table, config: Config, inference, key: str, plan: dict, where: Where) -> list[str]:
    data = config.data
    if plan.get("columns"):
        names = [column["name"] for column in plan["columns"]]
    elif getattr(data, "text", None):
        names = [data.text]
    elif getattr(data, "inputs", None):
        names = list(data.inputs[key])
    elif getattr(data, "features", None):
        names = list(data.features)
    elif getattr(data, "label", None) is not None or isinstance(config.model, FunctionalModel):
        labels = {data.label} if isinstance(getattr(data, "label", None), str) else set(getattr(data, "label", ()))
        if isinstance(config.model, FunctionalModel) and key in table.positions:
            names = [key]
        else:
            names = [c for c in table.header if c not in labels]
    else:
        names = list(table.header)
    missing = [name for name in names if name not in table.positions]
    if missing:
        raise where.error((), f"{table.name} has no column {missing[0]!r}, which the model's input {key!r} was "
                          f"trained on; its columns are {_columns(table)}", hint=did_you_mean(missing[0], table.header))
    return names
