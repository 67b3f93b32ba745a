"""``bench/instructions.py``: counts of a process's own instructions, between marks.

The marks are real valgrind client requests, compiled here and run under
valgrind: the counts must grow with the work done and repeat run to run,
or the script's comparisons mean nothing.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_instructions", Path(__file__).resolve().parents[2] / "bench" / "instructions.py"
)
instructions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(instructions)

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None or not instructions.HEADER.exists(),
    reason="valgrind and its callgrind.h are not on this machine",
)

# Counts a loop of N additions, then 2N, each between the marks.
PROGRAM = """
import ctypes, sys
marks = ctypes.CDLL(sys.argv[1])
marks.marks_dump.argtypes = [ctypes.c_char_p]
assert marks.marks_running()
for n in (20000, 40000):
    marks.marks_instrument(1)
    marks.marks_zero()
    marks.marks_toggle()
    total = sum(i * i for i in range(n))
    marks.marks_toggle()
    total += sum(range(500_000))  # the same for both, and not counted: outside the toggles
    marks.marks_dump(f"loop-{n}".encode())
    marks.marks_instrument(0)
"""


def counted(tmp_path: Path, marks: Path, run: str) -> dict[str, float]:
    out = tmp_path / run
    out.mkdir()
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out.%p",
            sys.executable,
            str(script),
            str(marks),
        ],
        check=True,
        capture_output=True,
        env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    return instructions.read_dumps(out, {"loop-20000": 1, "loop-40000": 1})


@needs_valgrind
def test_the_marks_count_only_the_work_between_them_and_the_same_each_run(tmp_path):
    marks = instructions.build_marks(tmp_path / "marks")
    first = counted(tmp_path, marks, "first")
    second = counted(tmp_path, marks, "second")

    assert set(first) == {"loop-20000", "loop-40000"}
    # Twice the loop, about twice the instructions: the much longer sum outside
    # the toggles, the same for both, is not counted, or the ratio would be near 1.
    assert 1.8 < first["loop-40000"] / first["loop-20000"] < 2.2
    # The same program twice: the same counts, within a fraction of a percent.
    for name, count in first.items():
        assert abs(second[name] - count) / count < 0.005


def test_a_dump_is_read_by_its_trigger_and_other_dumps_are_ignored(tmp_path):
    (tmp_path / "callgrind.out.1.1").write_text(
        "version: 1\ndesc: Trigger: Client Request: article\nsummary: 3000\ntotals: 3000\n"
    )
    (tmp_path / "callgrind.out.1").write_text(
        "version: 1\ndesc: Trigger: Program termination\nsummary: 99\ntotals: 99\n"
    )
    (tmp_path / "callgrind.out.1.2").write_text(
        "version: 1\ndesc: Trigger: Client Request: unasked\ntotals: 5\n"
    )

    assert instructions.read_dumps(tmp_path, {"article": 3}) == {"article": 1000}


def test_the_table_shows_the_change_from_an_earlier_run_and_the_hit_ratio():
    now = {
        "commit": "abc1234",
        "n": 20,
        "articles": 100_000,
        "pages": {
            "article": {"requests": 20, "instructions": 15_000_000},
            "article-hit": {"requests": 20, "instructions": 2_000_000},
            "floor": {"requests": 20, "instructions": 1_250_000},
            "search": {"requests": 20, "instructions": 21_000_000},
        },
    }
    before = {
        "commit": "0ld0000",
        "when": "2026-12-01 12:00 UTC",
        "pages": {"article": {"instructions": 20_000_000}},
    }

    text = instructions.table(now, before)

    assert "| article (rotating, lists warm) | 20 | 15.00 | -25.0% |" in text
    assert "| search, a new query (page 1) | 20 | 21.00 | - |" in text  # not in the earlier run
    assert "runs 7.5 times a cache hit's instructions" in text
    assert "A cache hit runs 0.75 M more than the floor" in text
    assert "Against: commit 0ld0000" in text
