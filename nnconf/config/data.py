"""The ``data:`` section: where the samples come from and how they are split, scaled and encoded."""

from typing import Annotated, Literal, Optional, Union, get_args

from pydantic import Field, model_validator

from nnconf.config.base import PositiveFloat, PositiveInt, StrictModel

Fraction = Annotated[float, Field(ge=0, lt=1)]

KERAS_DATASETS = ("keras.mnist", "keras.fashion_mnist", "keras.cifar10", "keras.cifar100", "keras.boston_housing",
                  "keras.imdb", "keras.reuters")
SKLEARN_DATASETS = ("sklearn.digits", "sklearn.iris", "sklearn.wine", "sklearn.breast_cancer", "sklearn.diabetes")


class _Data(StrictModel):
    """What every data source shares: splitting, scaling, reshaping and label encoding.

    Args:
        validation_split: fraction of the training samples held out to validate each epoch.
        test_split: fraction held out for the final test, for sources without a test split of their own.
        shuffle: shuffle the samples (with the config's seed) before splitting.
        scale: divide the inputs by this (``255`` for 8-bit images).
        standardize: shift and scale each feature to zero mean and unit variance, with statistics of
            the training split only (so nothing leaks from validation or test data).
        reshape: reshape each sample to the model's input shape (e.g. 784 pixels to [28, 28, 1]).
        labels: how labels are encoded: ``auto`` matches the loss (integers for sparse losses,
            one-hot for categorical ones); ``integer`` or ``one_hot`` forces it.
        max_samples: use at most this many training samples (for quick trials).
    """

    validation_split: Fraction = 0.1
    test_split: Fraction = 0.2
    shuffle: bool = True
    scale: Optional[PositiveFloat] = None
    standardize: bool = False
    reshape: bool = False
    labels: Literal["auto", "integer", "one_hot"] = "auto"
    max_samples: Optional[PositiveInt] = None


class KerasData(_Data):
    """One of Keras's downloadable datasets.

    Args:
        source: the dataset, e.g. ``keras.mnist``.
        path: a local copy of the file Keras downloads (e.g. ``mnist.npz``), for machines without a
            network; when unset, Keras's own cache is used and, failing that, the download.
    """

    source: Literal[KERAS_DATASETS]  # type: ignore[valid-type]
    path: Optional[str] = None


class SklearnData(_Data):
    """A dataset bundled with scikit-learn; needs no network.

    Args:
        source: the dataset, e.g. ``sklearn.digits``.
    """

    source: Literal[SKLEARN_DATASETS]  # type: ignore[valid-type]


class NpzData(_Data):
    """Arrays in a NumPy ``.npz`` file: ``x`` and ``y``, or ``x_train``, ``y_train``, ``x_test``, ``y_test``.

    Args:
        source: ``npz``.
        path: the file, relative to the config's folder or absolute.
    """

    source: Literal["npz"]
    path: str


Columns = Annotated[list[str], Field(min_length=1)]


class CsvData(_Data):
    """A table in a CSV file with a header row: one label column, the rest (or ``features``) inputs.

    A column of numbers is a feature as it is; a column of words is a category, one-hot encoded with
    the categories of the training split (kept with the run; a category first seen later encodes as
    all zeros), or left as strings for an input that a StringLookup layer reads; a column that a
    TextVectorization layer reads holds texts. Empty cells are missing values, reported by line.
    Labels written as words are classes, numbered in sorted order and named in the run.

    Args:
        source: ``csv``.
        path: the file, relative to the config's folder or absolute.
        label: the label column(s); several (of 0 and 1) for multilabel tasks.
        features: the input columns of a one-input model; by default every column but the labels.
        inputs: for a model with several inputs: each input's columns, by input name. By default an
            input named like a column takes that column.
        categories: columns read as categories though they hold numbers (zip codes, ids).
        delimiter: the field separator.
        generate: ``table``: when ``path`` does not exist, first write a generated table of customers
            there (numbers, categories and a yes/no label; an example dataset that needs no network).
    """

    source: Literal["csv"]
    path: str
    label: Union[str, Columns]
    features: Optional[Columns] = None
    inputs: Optional[Annotated[dict[str, Columns], Field(min_length=1)]] = None
    categories: Optional[Columns] = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    generate: Optional[Literal["table"]] = None

    @model_validator(mode="after")
    def _label_is_no_feature(self) -> "CsvData":
        labels = [self.label] if isinstance(self.label, str) else self.label
        both = sorted(set(labels) & set(self.features or []))
        if both:
            raise ValueError(f"column {both[0]!r} is both a label and a feature")
        if self.features and self.inputs:
            raise ValueError("give the input columns as features (one model input) or as inputs (by model input), "
                             "not both")
        return self


class _Streamed(_Data):
    """A source whose samples are files, read from disk batch by batch while training, never all at once."""

    @model_validator(mode="after")
    def _no_standardize(self) -> "_Streamed":
        if self.standardize:
            raise ValueError(f"data.standardize needs statistics of every training sample, which source {self.source} "
                             "reads from disk while training; use data.scale, or a Normalization layer in the model")
        return self


class ImagesData(_Streamed):
    """Images in a folder with one subfolder per class, the layout ``keras.utils.image_dataset_from_directory``
    reads: ``path/cat/1.png``, ``path/dog/7.jpg``, ... (BMP, GIF, JPEG or PNG). Classes are the subfolders'
    names in sorted order, kept with the run; images are decoded and resized as training reads them.

    Args:
        source: ``images``.
        path: the folder, relative to the config's folder or absolute.
        image_size: ``[height, width]`` every image is resized to (bilinear); by default the model input's.
        color_mode: ``grayscale``, ``rgb`` or ``rgba``; by default from the model input's channels (1, 3 or 4).
        generate: ``digits``: when ``path`` does not exist, first write scikit-learn's handwritten digits
            there as 8x8 grayscale PNG files (an example dataset that needs no network).
    """

    source: Literal["images"]
    path: str
    image_size: Optional[Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]] = None
    color_mode: Optional[Literal["grayscale", "rgb", "rgba"]] = None
    generate: Optional[Literal["digits"]] = None


class TextData(_Streamed):
    """Texts: a folder with one subfolder of ``.txt`` files per class, the layout
    ``keras.utils.text_dataset_from_directory`` reads (``path/neg/1.txt``, ``path/pos/7.txt``), read from
    disk while training; or a CSV file with a column of texts and one of labels. The model's first
    layer is a TextVectorization, which learns its vocabulary from the training texts.

    Args:
        source: ``text``.
        path: the folder (or CSV file), relative to the config's folder or absolute.
        text: for a CSV file: the column of texts.
        label: for a CSV file: the column of labels (words name classes, in sorted order).
        delimiter: for a CSV file: the field separator.
        generate: ``reviews``: when ``path`` does not exist, first write generated short product
            reviews there, in ``negative/`` and ``positive/`` (an example dataset that needs no network).
    """

    source: Literal["text"]
    path: str
    text: Optional[str] = None
    label: Optional[str] = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    generate: Optional[Literal["reviews"]] = None

    @model_validator(mode="after")
    def _columns_together(self) -> "TextData":
        if (self.text is None) != (self.label is None):
            raise ValueError("a CSV file of texts needs both data.text (the column of texts) and data.label")
        if self.scale is not None:
            raise ValueError("data.scale divides numbers; texts are not scaled")
        return self


class PythonData(_Data):
    """Samples handed over from Python: ``nnconf.train(config, data=...)`` with ``(x, y)`` NumPy arrays
    (or mappings of them by model input and output name), a pandas DataFrame, or a ``tf.data.Dataset``
    of ``(x, y)`` samples. A config without a data section given data from Python gets this one; the
    run keeps a fingerprint of the data, and ``nnconf.resume(run_dir, data=...)`` takes the same data.

    Args:
        source: ``python``.
        label: for a DataFrame: the label column(s), as for ``source: csv``.
        features: for a DataFrame: the input columns of a one-input model (by default all but the labels).
        inputs: for a DataFrame: each model input's columns, by input name.
        categories: for a DataFrame: columns read as categories though they hold numbers.
    """

    source: Literal["python"]
    label: Union[str, Columns, None] = None
    features: Optional[Columns] = None
    inputs: Optional[Annotated[dict[str, Columns], Field(min_length=1)]] = None
    categories: Optional[Columns] = None


Data = Annotated[Union[KerasData, SklearnData, NpzData, CsvData, ImagesData, TextData, PythonData],
                 Field(discriminator="source")]


def data_sources() -> dict[str, type[_Data]]:
    """Each value ``data.source`` takes, with the schema of a data section of that source."""
    (union, _) = get_args(Data)
    return {value: kind for kind in get_args(union) for value in get_args(kind.model_fields["source"].annotation)}


# Layer types that take strings: a model input that one of them reads directly takes strings.
STRING_LAYERS = ("TextVectorization", "StringLookup")


def string_inputs(config) -> set[str]:
    """The names of ``config``'s model inputs that take strings (``input`` is a sequential model's): those
    declared so, and those a StringLookup or TextVectorization reads where no dtype is declared."""
    return {name for name, dtype in config.model.input_dtypes().items() if dtype == "string"}
