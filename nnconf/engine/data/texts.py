"""``data.source: text``: texts for a model whose first layer is a TextVectorization.

A folder with one subfolder of ``.txt`` files per class is listed, and its files are read by the
tf.data pipeline as training goes (as ``keras.utils.text_dataset_from_directory`` reads them), so
memory does not grow with the number of texts. A CSV file gives a column of texts and one of labels.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnconf.config.data import string_inputs
from nnconf.config.suggest import did_you_mean, listing
from nnconf.engine.data.base import Raw, Request, single_names
from nnconf.engine.data.csv_tables import label_values, read_table
from nnconf.engine.data.files import resolve
from nnconf.engine.data.folders import AT, list_classes, resolve_folder

# What keras.utils.text_dataset_from_directory reads, by file name.
TEXT_EXTENSIONS = (".txt",)


def read(request: Request) -> Raw:
    config, where = request.config, request.where
    data = config.data
    input_name, output_name = single_names(config, request.inference, where)
    if input_name not in string_inputs(config):
        raise where.error(("data", "source"), "data.source text gives one text per sample, but the model's first "
                          "layer is no TextVectorization (which turns texts into token ids)",
                          hint="start the model with {type: TextVectorization, output_sequence_length: 100} and "
                               "give it the input shape [1]")
    reshape = list(request.inference.input_shapes[input_name])
    if data.text is not None:
        return _from_table(request, input_name, output_name, reshape)
    folder = resolve_folder(data.path, request.base_dir, where, generate=data.generate)
    listing = list_classes(folder, TEXT_EXTENSIONS, "text", where)
    reader = {"read": "text", "dtype": "string", "reshape": reshape}
    return Raw({input_name: listing.paths}, {output_name: listing.labels}, readers={input_name: reader},
               classes={output_name: listing.classes})


def _from_table(request: Request, input_name: str, output_name: str, reshape: list) -> Raw:
    data, where = request.config.data, request.where
    path = Path(os.path.expanduser(data.path))
    path = path if path.is_absolute() else request.base_dir / path
    if path.is_dir():
        raise where.error(AT, f"data.text names a column of a CSV file, but {str(path)!r} is a folder",
                          hint="leave data.text and data.label out for a folder of class subfolders")
    table = read_table(resolve(data.path, request.base_dir, where), data.delimiter, where)
    for key, name in (("text", data.text), ("label", data.label)):
        if name not in table.positions:
            raise where.error(("data", key), f"{table.name} has no column {name!r}; its columns are "
                              f"{listing(repr(c) for c in table.header)}", hint=did_you_mean(name, table.header))
    if not table.lines:
        raise where.error(AT, f"{table.name} has a header but no samples")
    labels, classes = label_values(table, [data.label], set(), where)
    raw = Raw({input_name: table.column(data.text).astype(object)}, {output_name: labels.reshape(-1)},
              readers={input_name: {"dtype": "string", "reshape": reshape}})
    if classes is not None:
        raw.classes[output_name] = classes
    return raw
