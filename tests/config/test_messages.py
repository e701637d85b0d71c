"""Messages a newcomer's first mistakes get: in words, located at the offending value, with a fix."""

import pytest

from nnconf.api import check_text

BASE = "task: regression\nloss: mse\nmodel: {input_shape: [4], layers: [{type: Dense, units: 1}]}\n"


@pytest.mark.parametrize(
    ("extra", "path", "message", "hint"),
    [
        ("name: my model\n", "name", "may be letters, digits, '_', '.' and '-'", "did you mean 'my-model'?"),
        ("training: {device: GPU}\n", "training.device", "may be auto, cpu, gpu or gpu:N", "did you mean 'gpu'?"),
        ("metrics: mae\n", "metrics", "metrics should be a list, found 'mae'", "write a list: [mae]"),
        ("lint: {ignore: [E501]}\n", "lint.ignore[0]", "a rule code such as NN203", None),
        ("data: {source: sklearn.digit}\n", "data", "unknown data source 'sklearn.digit'", "did you mean 'sklearn.digits'?"),
    ],
)
def test_first_mistakes_get_plain_messages_and_a_fix(extra, path, message, hint):
    (finding,) = check_text(BASE + extra, name="mine.yaml").findings
    assert finding.path == path and message in finding.message and finding.hint == hint
    assert "pattern" not in finding.message and "^" not in finding.message


def test_an_unknown_data_source_is_located_at_the_source_value():
    (finding,) = check_text(BASE + "data:\n  scale: 16\n  source: sklearn.digit\n").findings
    assert (finding.line, finding.column) == (6, 11)


def test_an_input_shape_written_as_text_gets_the_list_it_meant():
    text = "task: regression\nloss: mse\nmodel: {input_shape: '28, 28', layers: [{type: Dense, units: 1}]}\n"
    (finding,) = check_text(text).findings
    assert finding.path == "model.input_shape" and finding.hint == "write a list: [28, 28]"
