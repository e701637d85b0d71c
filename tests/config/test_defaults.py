"""Sections a config may leave out get defaults that are constructed without validation (see
``default_section``); they must equal what validating an empty section gives."""

import pytest
from pydantic import BaseModel

from nnconf.config.model import Config


def _constructed_sections(model: type[BaseModel], seen: set) -> list[type[BaseModel]]:
    found = []
    for field in model.model_fields.values():
        factory = field.default_factory
        section = getattr(factory, "__self__", None)
        if isinstance(section, type) and issubclass(section, BaseModel) and section not in seen:
            seen.add(section)
            found += [section, *_constructed_sections(section, seen)]
    return found


SECTIONS = _constructed_sections(Config, set())


def test_the_defaulted_sections_are_found():
    assert {section.__name__ for section in SECTIONS} >= {"Training", "Checkpoints", "Distribution", "LintSettings"}


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.__name__)
def test_a_constructed_default_section_equals_a_validated_empty_one(section):
    constructed, validated = section.model_construct(), section.model_validate({})
    assert constructed.model_dump() == validated.model_dump()
    assert {name: type(value) for name, value in vars(constructed).items()} == \
        {name: type(value) for name, value in vars(validated).items()}


def test_a_config_without_its_optional_sections_has_them_all():
    config = Config.model_validate({"task": "regression", "loss": "mse",
                                    "model": {"input_shape": [2], "layers": [{"type": "Dense", "units": 1}]}})
    assert config.training.checkpoints.monitor == "val_loss"
    assert config.training.distribution.strategy == "default"
    assert config.lint.ignore == []
