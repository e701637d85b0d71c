"""``data.source: sklearn.NAME``: a dataset bundled with scikit-learn (needs no network)."""

from __future__ import annotations

import numpy as np

from nnconf.engine.data.base import Raw, Request, single
from nnconf.engine.data.errors import Where


def read(request: Request) -> Raw:
    name = request.config.data.source.split(".", 1)[1]
    x, y = read_sklearn(name, request.where)
    return single(request.config, request.inference, request.where, x, y)


_SKLEARN_LOADERS = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine",
                    "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}


def read_sklearn(name: str, where: Where) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn import datasets
    except ImportError:
        raise where.error(("data", "source"), f"sklearn.{name} needs scikit-learn, which is not installed",
                          hint="pip install scikit-learn") from None
    x, y = getattr(datasets, _SKLEARN_LOADERS[name])(return_X_y=True)
    return np.asarray(x), np.asarray(y)
