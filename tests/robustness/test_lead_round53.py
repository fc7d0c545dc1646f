"""Round 53, the lead's: commands under an address-space limit (``ulimit -v``) that hung
for good in OpenBLAS, deaf to SIGTERM, or ended in a traceback, "internal error", a model
file called unreadable, or dozens of "Exception ignored" lines after the error.

OpenBLAS asks again, for ever, for a buffer the system refused: ``prospect model import``
under ``ulimit -v 550000`` or ``600000`` hung in the start of scipy's OpenBLAS (the
``dlopen`` of ``scipy.special``), ``prospect train`` under ``ulimit -v 1800000`` in its
first SVD. Commands that compute now load numpy's and scipy's OpenBLAS at their start,
while the process is small, or refuse a limit that leaves them too little room. Real
limits (``setrlimit``) in child processes; SYNTHETIC data only.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.robustness.conftest import REPO, process_limit

_UNDER_LIMIT = """
import resource, sys
import pipelines.cli
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]) * 2**20,
                                        resource.getrlimit(resource.RLIMIT_AS)[1]))
sys.argv = ["prospect", *sys.argv[2:]]
from pipelines.entry import exit_code
sys.exit(exit_code(pipelines.cli.main()))
"""
"""Runs ``prospect ARGS...`` with ``MiB`` (the first argument) of address space left above
what the command's modules take (a real ``RLIMIT_AS``)."""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")


@needs_proc
def test_a_limit_leaving_openblas_too_little_room_is_refused_in_one_line(tmp_path: Path) -> None:
    """60 MiB left above the command's modules: scipy's OpenBLAS starting in it hung for
    good (between about 25 and 100 MiB) or failed as "out of memory (ImportError: t)" and a
    MemoryError traceback. Now refused at the start in one line: how much is left, what
    the libraries need, the limit and its size, OPENBLAS_NUM_THREADS=1 as a way out."""
    result = _python(
        _UNDER_LIMIT,
        "60",
        "model",
        "import",
        str(tmp_path / "no-model"),
        "--name",
        "li",
        "-r",
        str(tmp_path / "reg"),
    )
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert "Exception ignored" not in text, text[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1 and len(errors) == 1, text[-3000:]
    assert "numerical libraries need to load" in errors[0], errors
    assert "OPENBLAS_NUM_THREADS=1" in errors[0], errors
    assert "address space (ulimit -v)" in errors[0], errors
    assert not (tmp_path / "reg").exists()


@needs_proc
def test_control_a_generous_limit_loads_openblas_at_the_start_and_none_loads_nothing() -> None:
    """Under a limit with room, the libraries are loaded (and their calling thread's
    buffers made) at the start; without a limit nothing is loaded early."""
    code = """
        import resource, sys
        from pipelines.faults import numerical_libraries_loaded
        numerical_libraries_loaded()
        print("unlimited", "scipy.special" in sys.modules)
        size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
                    if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + 4 * 2**30, resource.RLIM_INFINITY))
        numerical_libraries_loaded()
        print("limited", "scipy.special" in sys.modules)
    """
    result = _python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["unlimited", "False", "limited", "True"], result.stdout


def test_a_model_file_read_out_of_memory_is_not_called_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prospect model import`` under ``ulimit -v 800000``: "error: .../model.skops: not a
    readable skops file: .../_mio5_utils...so: failed to map segment from shared object",
    the file blamed for the process's memory. Now the memory refusal goes on to be said as
    out of memory. SYNTHETIC (an empty scikit-learn model)."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from prospect.registry import files

    data = sio.dumps(LogisticRegression())

    def refused(**_: object) -> list[str]:
        raise ImportError("/x/_mio5_utils.so: failed to map segment from shared object")

    monkeypatch.setattr(sio, "get_untrusted_types", refused)
    with pytest.raises(ImportError, match="failed to map segment"):
        files._accepted_types(tmp_path / "model.skops", data, None)


def test_control_a_damaged_model_file_is_still_called_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """skops failing on the file itself is still the file's fault, said as before."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from prospect.errors import ModelError
    from prospect.registry import files

    data = sio.dumps(LogisticRegression())

    def damaged(**_: object) -> list[str]:
        raise ValueError("schema.json: Expecting value: line 1 column 1")

    monkeypatch.setattr(sio, "get_untrusted_types", damaged)
    with pytest.raises(ModelError, match="not a readable skops file"):
        files._accepted_types(tmp_path / "model.skops", data, None)


def test_an_error_line_that_rich_cannot_render_for_memory_is_written_plain(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``ulimit -v 600000`` Rich's rendering of the error line imported its emoji
    table, which failed as MemoryError: a traceback instead of the line. Now the line is
    written without Rich, its markup taken out and its escaped brackets kept."""
    from rich.console import Console

    from pipelines import cli

    def no_memory(*_: object, **__: object) -> None:
        raise MemoryError

    err = Console(stderr=True)
    monkeypatch.setattr(err, "print", no_memory)
    cli._say(err, "[bold red]error:[/bold red] out of memory \\[ulimit -v]", markup=True)
    cli._say_error(err, "[bold red]error:[/bold red] second")
    assert capfd.readouterr().err == "error: out of memory [ulimit -v]\nerror: second\n"


def test_out_of_memory_before_any_stage_does_not_speak_of_chunks() -> None:
    """A command out of memory while its modules loaded ("out of memory (ImportError:
    failed to map segment ...)") was told "finished chunks are kept", before any chunk and
    for commands that write none; a stage's line keeps it (control)."""
    from pipelines.cli import _out_of_memory_line
    from pipelines.faults import out_of_memory_error

    outside = _out_of_memory_line(
        ImportError("libgdal.so: failed to map segment from shared object")
    )
    assert outside is not None and "out of memory" in outside
    assert "chunks are kept" not in outside, outside
    assert "finished chunks are kept" in str(out_of_memory_error(MemoryError(), "ingest"))


@needs_proc
def test_a_library_failing_without_a_word_under_a_memory_limit_is_out_of_memory() -> None:
    """Under ``ulimit -v 450000`` a module's start ended "internal error: SystemError:
    error return without exception set" (exit 70, a bug to report): a C library whose
    allocation failed set no error. Under a set memory limit it is said as out of memory,
    with the limit; without one it stays what it is (control). A real (high) limit set on
    this process and taken back."""
    from pipelines.faults import out_of_memory_error

    error = SystemError("error return without exception set")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and hard < 1000 * 2**30:
        pytest.skip("this process's hard address-space limit is below 1000 GiB")
    with process_limit(resource.RLIMIT_AS, 1000 * 2**30):
        said = out_of_memory_error(error, "ingest")
    assert said is not None and "address space (ulimit -v) 1000.0 GiB" in str(said), said
    if soft == resource.RLIM_INFINITY:
        assert out_of_memory_error(error, "ingest") is None


def test_after_the_out_of_memory_line_the_interpreters_teardown_says_nothing() -> None:
    """After the one line of a command out of memory, the interpreter's teardown (itself
    short of memory) printed "Exception ignored on building sys.unraisablehook arguments:
    MemoryError" dozens of times; what comes after the line now goes nowhere."""
    result = _python("""
        import sys
        from pipelines.cli import _quiet_teardown
        print("error: out of memory", file=sys.stderr)
        _quiet_teardown()
        print("Exception ignored on building sys.unraisablehook arguments", file=sys.stderr)
    """)
    assert result.returncode == 0
    assert result.stderr == "error: out of memory\n", result.stderr


def test_a_librarys_out_of_memory_words_without_a_bracket_before_them_are_kept() -> None:
    """``prospect demo`` under ``ulimit -v 3000000``: "error: stage indices: out of memory
    (OSError: t)", and ``model import`` under a smaller limit "(ImportError: t)": where no
    "(" came before the library's words, the slice began at the text's last character.
    Now the words themselves are said; a bracket within reach still starts them (control)."""
    from pipelines.faults import out_of_memory_error

    said = str(out_of_memory_error(OSError("mmap: Out of memory"), "indices"))
    assert "out of memory (OSError: Out of memory)" in said, said
    said = str(
        out_of_memory_error(
            RuntimeError("proj_create (Internal Proj Error: std::bad_alloc)"), "ingest"
        )
    )
    assert "(RuntimeError: Internal Proj Error: std::bad_alloc)" in said, said
