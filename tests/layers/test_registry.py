"""The layer registry: every family's classes listed, and only the families a config uses imported."""

import importlib
import subprocess
import sys
import typing

import pytest

from nnconf.config.layers import FAMILIES, LAYER_CLASSES, Layer


def _defined_layer_types(family: str) -> list[str]:
    module = importlib.import_module(f"nnconf.config.layers.{family}")
    return [name for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, Layer) and value.__module__ == module.__name__
            and typing.get_origin(value.model_fields["type"].annotation) is typing.Literal]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_lists_exactly_the_layer_types_its_module_defines(family):
    assert sorted(FAMILIES[family]) == sorted(_defined_layer_types(family))


def test_a_layer_class_is_found_by_its_type_name():
    for name in LAYER_CLASSES:
        layer_class = LAYER_CLASSES[name]
        assert layer_class.model_fields["type"].annotation.__args__ == (name,)
    assert "Dence" not in LAYER_CLASSES
    with pytest.raises(KeyError):
        LAYER_CLASSES["Dence"]


def test_checking_a_config_imports_only_the_layer_families_it_uses(tmp_path):
    path = tmp_path / "dense.yaml"
    path.write_text("model:\n  input_shape: [4]\n  layers:\n    - {type: Dense, units: 3, activation: softmax}\n"
                    "    - {type: Dropout, rate: 0.1}\n"
                    "task: multiclass\nloss: categorical_crossentropy\n")
    script = (f"import sys, nnconf\nassert nnconf.check({str(path)!r}).findings == []\n"
              "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('nnconf.config.layers.')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["['base',", "'core']"]
