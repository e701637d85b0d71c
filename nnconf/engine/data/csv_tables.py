"""``data.source: csv``: a table with a header row, one label column (or several) and numeric features."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from nnconf.config.suggest import did_you_mean, listing
from nnconf.engine.data.base import Raw, Request, single
from nnconf.engine.data.errors import Where, quoted
from nnconf.engine.data.files import resolve

# Whole numbers up to this size are exact as floats (and as int64).
_EXACT_INTEGERS = 2**53


def read(request: Request) -> Raw:
    path = resolve(request.config.data.path, request.base_dir, request.where)
    x, y = read_csv(path, request.config.data, request.where)
    return single(request.config, request.inference, request.where, x, y)


def read_csv(path: Path, data, where: Where) -> tuple[np.ndarray, np.ndarray]:
    at = ("data", "path")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise where.error(at, f"{quoted(path)} cannot be read ({os.strerror(error.errno or 0)})") from None
    if not raw.strip():
        raise where.error(at, f"the data file {str(path)!r} is empty")
    if b"\0" in raw[:8192]:
        raise where.error(at, f"{str(path)!r} is not a CSV file (it holds binary data)",
                          hint="give a text file with a header row and comma-separated numbers")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise where.error(at, f"{str(path)!r} is not a UTF-8 text CSV file ({error.reason} at byte {error.start})",
                          hint="save the table as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=data.delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        rows, lines = [], []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise where.error(at, f"line {reader.line_num} of {path.name} has {len(row)} fields, but the header "
                                  f"has {len(header)}")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise where.error(at, f"{str(path)!r} is not a readable CSV file (line {reader.line_num}: {error})") from None
    positions: dict[str, int] = {}  # column name to index: lookups stay linear in the number of columns
    for position, name in enumerate(header):
        if name in positions:
            raise where.error(at, f"{path.name} has the column {name!r} more than once")
        positions[name] = position

    labels = [data.label] if isinstance(data.label, str) else list(data.label)
    for position, name in enumerate(labels):
        if name not in positions:
            path_of = ("data", "label") if isinstance(data.label, str) else ("data", "label", position)
            raise where.error(path_of, f"{path.name} has no label column {name!r}; its columns are "
                              f"{listing(repr(c) for c in header)}", hint=did_you_mean(name, header))
    label_set = set(labels)
    features = list(data.features) if data.features else [c for c in header if c not in label_set]
    for position, name in enumerate(data.features or []):
        if name not in positions:
            raise where.error(("data", "features", position), f"{path.name} has no feature column {name!r}; its "
                              f"columns are {listing(repr(c) for c in header)}", hint=did_you_mean(name, header))
    if not features:
        raise where.error(("data", "label"), f"{path.name} has no columns left for features besides the labels")
    if not rows:
        raise where.error(at, f"{path.name} has a header but no samples")

    x = _numeric_columns(rows, lines, positions, features, path, where)
    y = _numeric_columns(rows, lines, positions, labels, path, where)
    if isinstance(data.label, str):
        y = y[:, 0]
    if y.size and np.all(np.mod(y, 1) == 0) and np.abs(y).max() <= _EXACT_INTEGERS:
        y = y.astype(np.int64)  # class ids stay integers; larger whole numbers stay floats, as cast they would wrap
    return x, y


def _numeric_columns(rows: list[list[str]], lines: list[int], positions: dict[str, int], columns: list[str],
                     path: Path, where: Where) -> np.ndarray:
    index = [positions[name] for name in columns]
    cells = [[row[i].strip() for i in index] for row in rows]
    try:
        values = np.array(cells, dtype=np.str_).astype(np.float64)
    except ValueError:
        for line, row in zip(lines, cells):
            for name, cell in zip(columns, row):
                try:
                    float(cell)
                except ValueError:
                    what = "is empty" if not cell else f"holds {cell[:40]!r}, which is not a number"
                    raise where.error(("data", "path"), f"line {line} of {path.name}, column {name!r} {what}",
                                      hint="nnconf reads numeric CSV only: encode categories as numbers, fill in "
                                           "missing values, or leave the column out of data.features") from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        rows_at, cols_at = np.nonzero(bad)
        raise where.error(("data", "path"), f"{path.name} has {int(bad.sum())} NaN or infinite value(s), the first "
                          f"at line {lines[rows_at[0]]}, column {columns[cols_at[0]]!r}",
                          hint="fill in or drop the samples with missing values")
    return values
