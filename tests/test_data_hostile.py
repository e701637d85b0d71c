"""Hostile data: damaged .npz files, paths that are no data files, huge labels, very wide CSV files.

Each must end in one DataError with a located finding that gives the true reason, in bounded time and
memory. The cases that could hang or exhaust memory if the reader regressed run in a child process
with limits on address space and CPU time (never on wall-clock time).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnconf.analysis.data_facts import MAX_CLASS_ID, describe_labels
from nnconf.analysis.pipeline import lint_report
from nnconf.engine.data import DataError, encode_labels, load_npz_inputs
from tests.test_data import config, data_error, load, write_csv

NPZ = "{source: npz, path: d.npz}"


def npz_config(tmp_path: Path, data: str = NPZ, **options):
    return config(tmp_path, data, **{"shape": "[2]", "units": 3, **options})


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def write_npz(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def labels_y(n: int = 20) -> bytes:
    return npy_bytes(np.zeros(n, dtype=np.int64))


def run_child(code: str, *args: str, memory_mib: int = 1024, cpu_s: int = 120) -> subprocess.CompletedProcess:
    """``code`` in a child Python, after its imports, limited to ``memory_mib`` more address space and ``cpu_s``
    seconds of CPU: a reader that regressed fails there instead of hanging or exhausting the machine."""
    prologue = textwrap.dedent(f"""
        import resource
        import numpy, nnconf, nnconf.engine.data, nnconf.analysis.data_facts
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * resource.getpagesize()
        limit = used + {memory_mib} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, ({cpu_s}, {cpu_s}))
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", prologue + textwrap.dedent(code), *args], capture_output=True,
                          text=True, env=env, timeout=1800)


# --- damaged .npz files --------------------------------------------------------------------------


def test_npz_member_whose_bytes_fail_their_checksum(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.arange(40.0).reshape(20, 2), y=np.zeros(20, dtype=np.int64))
    damaged = bytearray((tmp_path / "d.npz").read_bytes())
    damaged[damaged.index(b"\x93NUMPY") + 200] ^= 0xFF  # a byte of x's data, past its header
    (tmp_path / "d.npz").write_bytes(bytes(damaged))
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz is damaged: its bytes do not match the checksum" in str(error)


def test_npz_header_claiming_a_trillion_rows_is_refused_before_allocating(tmp_path):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_header((10**12, 2)) + bytes(48), "y.npy": labels_y(3)})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz is cut short or damaged" in str(error)
    assert "shape [1000000000000, 2] of float64 (14.6 TiB), but only 48 bytes of data follow" in str(error)


def test_truncated_npz_member_says_cut_short_not_python_objects(tmp_path):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_bytes(np.zeros((20, 2)))[:-40], "y.npy": labels_y()})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz is cut short or damaged" in str(error) and "280 bytes of data follow" in str(error)
    assert "Python objects" not in str(error)


def test_npz_member_with_more_bytes_than_its_shape(tmp_path):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_bytes(np.zeros((20, 2))) + bytes(8), "y.npy": labels_y()})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz is damaged: 8 bytes follow its data of shape [20, 2]" in str(error)


def test_npz_header_with_a_negative_shape(tmp_path):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_header((-1, 2)) + bytes(16), "y.npy": labels_y()})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz has a damaged .npy header: its shape [-1, 2] is negative" in str(error)


def test_npz_header_that_cannot_be_parsed(tmp_path):
    header = npy_header((20, 2)).replace(b"'shape'", b"'shap' ")
    write_npz(tmp_path / "d.npz", {"x.npy": header + bytes(320), "y.npy": labels_y()})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'x' in d.npz has a damaged .npy header" in str(error)


def test_npz_member_that_is_no_npy_array(tmp_path):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_bytes(np.zeros((20, 2))), "y.npy": labels_y(),
                                   "notes.txt": b"made on Tuesday"})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "the array 'notes.txt' in d.npz is not a NumPy array" in str(error)


def test_npz_file_cut_short(tmp_path):
    np.savez(tmp_path / "whole.npz", x=np.zeros((20, 2)), y=np.zeros(20))
    whole = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "d.npz").write_bytes(whole[:len(whole) // 2])
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "is a damaged .npz file: it starts as a zip archive, but the table of its arrays" in str(error)


@pytest.mark.parametrize("content, words", [
    (bytes(range(256)) * 4, "is not an .npz file: it is not a zip archive ["),
    (b"\x80\x04\x95 a pickle, or some other binary file\x00", "is not an .npz file: it is not a zip archive ["),
    (b"width,height\n1,2\n", "is not an .npz file: it is not a zip archive but text"),
], ids=["binary", "pickle", "text"])
def test_file_named_npz_that_is_no_zip_archive(tmp_path, content, words):
    (tmp_path / "d.npz").write_bytes(content)
    error = data_error(npz_config(tmp_path), tmp_path)
    assert words in str(error) and "pickle" not in str(error)


def central_directory(path: Path) -> tuple[bytearray, int]:
    """The archive's bytes, and where its first member's central directory entry starts."""
    data = bytearray(path.read_bytes())
    return data, data.index(b"PK\x01\x02")


# Offsets in a central directory entry (the zip format's APPNOTE, section 4.3.12).
FLAGS, METHOD, COMPRESSED, UNCOMPRESSED = 8, 10, 20, 24


@pytest.mark.parametrize("field, value, words", [
    (UNCOMPRESSED, 4_000_000_000,
     "is damaged: the archive says it unpacks to 3.7 GiB from 368 bytes, which its compression cannot do"),
    (COMPRESSED, 4_000_000_000, "is cut short: the archive says it takes 3.7 GiB, but the file ends before"),
    (FLAGS, 1, "is encrypted"),
    (METHOD, 99, "is compressed in a way Python's zipfile cannot unpack"),
], ids=["unpacked-size", "stored-size", "encrypted", "compression"])
def test_npz_entry_that_lies_about_itself(tmp_path, field, value, words):
    write_npz(tmp_path / "d.npz", {"x.npy": npy_bytes(np.zeros((30, 1))), "y.npy": labels_y(30)})
    data, entry = central_directory(tmp_path / "d.npz")
    width = 2 if field in (FLAGS, METHOD) else 4
    data[entry + field:entry + field + width] = value.to_bytes(width, "little")
    (tmp_path / "d.npz").write_bytes(bytes(data))
    error = data_error(npz_config(tmp_path, shape="[1]"), tmp_path)
    assert f"the array 'x' in d.npz {words}" in str(error)


def test_compressed_npz_entry_claiming_more_than_deflate_can_unpack(tmp_path):
    np.savez_compressed(tmp_path / "d.npz", x=np.zeros((30, 1)), y=np.zeros(30, dtype=np.int64))
    data, entry = central_directory(tmp_path / "d.npz")
    data[entry + UNCOMPRESSED:entry + UNCOMPRESSED + 4] = (4_000_000_000).to_bytes(4, "little")
    (tmp_path / "d.npz").write_bytes(bytes(data))
    error = data_error(npz_config(tmp_path, shape="[1]"), tmp_path)
    assert "the array 'x' in d.npz is damaged: the archive says it unpacks to 3.7 GiB from" in str(error)


def test_npz_of_new_inputs_that_is_damaged(tmp_path):
    write_npz(tmp_path / "new.npz", {"x.npy": npy_header((10**12, 2)) + bytes(48)})
    with pytest.raises(DataError, match="the array 'x' in new.npz is cut short or damaged") as raised:
        load_npz_inputs(tmp_path / "new.npz")
    assert raised.value.findings[0].file == str(tmp_path / "new.npz")


def test_loading_never_unpickles(tmp_path):
    """An object array's pickle that would create a file when unpickled: refused, and nothing runs."""
    marker = tmp_path / "unpickled"
    payload = (b"\x80\x04cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR.")
    write_npz(tmp_path / "d.npz", {"x.npy": npy_header((1,), "|O") + payload, "y.npy": labels_y(1)})
    error = data_error(npz_config(tmp_path), tmp_path)
    assert "holds Python objects" in str(error) and not marker.exists()


# --- paths that are no data files ----------------------------------------------------------------


SPECIAL_PATHS = {"fifo": "pipe.npz", "device": "/dev/zero", "proc": "/proc/self/status",
                 "too long": "a" * 300 + ".npz", "missing folder": "nowhere/at/all/d.npz"}


@pytest.fixture(scope="module")
def special_path_messages(tmp_path_factory) -> dict[str, str]:
    """The DataError each special data.path gives, from one child process (a FIFO opened for reading
    would wait for a writer forever; /dev/zero read to its end never ends)."""
    folder = tmp_path_factory.mktemp("special")
    os.mkfifo(folder / "pipe.npz")
    code = """
        import json, sys
        from pathlib import Path
        import nnconf
        from nnconf.engine.data import DataError, load_data
        folder, paths = Path(sys.argv[1]), json.loads(sys.argv[2])
        messages = {}
        for case, path in paths.items():
            config = folder / "config.yaml"
            config.write_text(sys.argv[3].replace("PATH", json.dumps(path)))
            report = nnconf.check(config)
            try:
                load_data(report.config, report.inference, base_dir=folder, source=report.source)
            except DataError as error:
                (finding,) = error.findings
                messages[case] = [finding.message, finding.path, finding.line, finding.hint]
            except Exception as error:  # what a user would see as a traceback: each case's test fails on it
                messages[case] = [f"{type(error).__name__}: {error}", None, None, None]
        print(json.dumps(messages))
    """
    text = ("task: multiclass\nmodel:\n  input_shape: [2]\n  layers:\n    - {type: Dense, units: 3, activation: "
            "softmax}\nloss: sparse_categorical_crossentropy\ndata: {source: npz, path: PATH}\n")
    result = run_child(code, str(folder), json.dumps(SPECIAL_PATHS), text, cpu_s=60)
    assert result.returncode == 0, result.stderr[-3000:]
    return {case: tuple(found) for case, found in json.loads(result.stdout.splitlines()[-1]).items()}


@pytest.mark.parametrize("case, words", [
    ("fifo", "is a named pipe (FIFO), not a regular file"),
    ("device", "the data file '/dev/zero' is a character device, not a regular file"),
    ("proc", "the data file '/proc/self/status' is under /proc, where the operating system shows its own state"),
    ("too long", "is too long for the file system"),
    ("missing folder", "does not exist: there is no folder"),
])
def test_data_path_that_is_no_data_file(special_path_messages, case, words):
    message, path, line, hint = special_path_messages[case]
    assert words in message and path == "data.path" and line == 7
    assert "is a folder" not in message


def test_data_path_too_long_is_shown_shortened(special_path_messages):
    message = special_path_messages["too long"][0]
    assert "a" * 300 not in message and "characters) is too long" in message


def test_missing_folder_names_the_first_missing_one(special_path_messages):
    message, _, _, hint = special_path_messages["missing folder"]
    assert message.endswith("/nowhere'") and hint == "relative paths are read from the config's folder"


def test_data_path_that_is_a_folder(tmp_path):
    (tmp_path / "d.npz").mkdir()
    assert "is a folder, not a file" in str(data_error(npz_config(tmp_path), tmp_path))


# --- labels --------------------------------------------------------------------------------------


def test_describing_huge_labels_costs_no_memory_per_label_value():
    """3e10, 1e8 and 2**62 as labels: np.bincount would allocate by the largest value (224 GiB for 3e10)."""
    code = """
        import numpy as np
        from nnconf.analysis.data_facts import describe_labels
        for label in (3e10, 1e8, float(2**62)):
            y = np.zeros(50)
            y[7] = label
            facts = describe_labels(y)
            print(facts.kind, facts.classes, facts.class_counts, facts.maximum == label)
        y = np.zeros(50, dtype=np.int64)
        y[7] = 2**62
        facts = describe_labels(y)
        print(facts.kind, facts.classes, facts.class_counts, facts.maximum == 2**62)
    """
    result = run_child(code, memory_mib=512, cpu_s=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[:4] == ["integer None None True"] * 4


def test_class_counts_come_from_the_labels_present():
    y = np.array([0, 3, 3, MAX_CLASS_ID, 3])
    facts = describe_labels(y)
    assert facts.kind == "integer" and facts.classes == MAX_CLASS_ID + 1
    counts = facts.class_counts
    assert len(counts) == MAX_CLASS_ID + 1 and (counts[0], counts[3], counts[-1], sum(counts)) == (1, 3, 1, 5)
    beyond = describe_labels(np.array([0, MAX_CLASS_ID + 1]))
    assert (beyond.kind, beyond.classes, beyond.class_counts) == ("integer", None, None)


def test_fractional_negative_and_non_finite_labels_are_real():
    assert describe_labels(np.array([0.5, 1.0, 2.0])).kind == "real"
    assert describe_labels(np.array([-1, 0, 1])).kind == "real"
    facts = describe_labels(np.array([0.0, np.nan, 1.0, np.inf]))
    assert (facts.kind, facts.minimum, facts.maximum, facts.classes) == ("real", 0.0, 1.0, None)


def test_single_class_labels_have_one_class(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 2)), y=np.zeros(20, dtype=np.int64))
    report = npz_config(tmp_path)
    facts = load(report, tmp_path).facts
    assert (facts.labels[""].classes, facts.labels[""].class_counts) == (1, (14,))
    messages = [f.message for f in lint_report(report, data=facts).findings if f.rule == "NN502"]
    assert len(messages) == 1 and "only 1 class" in messages[0] and "2 classes" not in messages[0]


def test_huge_class_label_is_shown_as_written_not_wrapped_around(tmp_path):
    y = np.zeros(20)
    y[4] = 1e20  # past int64: cast, it becomes -9223372036854775808
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 2)), y=y)
    error = data_error(npz_config(tmp_path, "{source: npz, path: d.npz, test_split: 0, validation_split: 0}"),
                       tmp_path)
    assert "labels out of range" in str(error) and "include 1e+20 (1 sample)" in str(error)
    assert "-9223372036854775808" not in str(error)
    assert error.findings[0].hint.startswith("labels this large are not class ids")


def test_labels_past_float32_are_refused(tmp_path):
    y = np.zeros(20)
    y[4] = 1e300
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 2)), y=y)
    error = data_error(npz_config(tmp_path, task="regression", units=1, activation="linear", loss="mse"), tmp_path)
    assert "a value of the training labels is 1e+300, beyond the largest float32" in str(error)


def test_huge_whole_csv_label_stays_a_float(tmp_path):
    write_csv(tmp_path / "t.csv", ["a,b,y"] + [f"{i},{i},{1e20 if i == 3 else i}" for i in range(10)])
    report = config(tmp_path, "{source: csv, path: t.csv, label: y, test_split: 0, validation_split: 0, "
                    "shuffle: false}", task="regression", shape="[2]", units=1, activation="linear", loss="mse")
    prepared = load(report, tmp_path)
    assert prepared.y_train[""][3] == 1e20 and prepared.y_train[""].min() == 0
    assert encode_labels(report.config, prepared).y_train[""][3, 0] == np.float32(1e20)


# --- wide CSV files ------------------------------------------------------------------------------


def test_csv_with_100k_columns_reads_in_linear_time(tmp_path):
    """20k columns took 15 s and 100k never finished (a list search per column): the header is now a dict."""
    columns = 100_000
    header = ",".join(f"c{i}" for i in range(columns)) + ",y"
    rows = [",".join(str((r + i) % 7) for i in range(columns)) + f",{r}" for r in range(3)]
    write_csv(tmp_path / "wide.csv", [header] + rows)
    code = """
        import sys
        from pathlib import Path
        import nnconf
        from nnconf.engine.data import load_data
        folder = Path(sys.argv[1])
        report = nnconf.check(folder / "config.yaml")
        prepared = load_data(report.config, report.inference, base_dir=folder, source=report.source)
        x, y = prepared.x_train["input"], prepared.y_train[""]
        print(x.shape, int(x[1, 99_999]), int(x[2, 5]), y.tolist())
    """
    (tmp_path / "config.yaml").write_text(
        f"task: multiclass\nmodel:\n  input_shape: [{columns}]\n  layers:\n    - {{type: Dense, units: 3, "
        "activation: softmax}\nloss: sparse_categorical_crossentropy\n"
        "data: {source: csv, path: wide.csv, label: y, test_split: 0, validation_split: 0, shuffle: false}\n")
    result = run_child(code, str(tmp_path), memory_mib=2048, cpu_s=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[-2] == f"(3, {columns}) {(1 + 99_999) % 7} {(2 + 5) % 7} [0, 1, 2]"


def test_csv_with_a_repeated_column(tmp_path):
    write_csv(tmp_path / "t.csv", ["a,b,a,y", "1,2,3,0"])
    error = data_error(config(tmp_path, "{source: csv, path: t.csv, label: y}", shape="[3]", units=3), tmp_path)
    assert "t.csv has the column 'a' more than once" in str(error)
