import subprocess
import sys


def _stderr(*argv: str) -> str:
    result = subprocess.run([sys.executable, "-m", "animegan", *argv], capture_output=True, text=True, timeout=180)
    assert result.returncode == 1
    return result.stderr


def test_a_command_that_imports_tensorflow_prints_only_its_error(tmp_path):
    # `score` imports TensorFlow before it finds that the run folder is missing.
    err = _stderr("score", str(tmp_path / "no-run"), str(tmp_path))
    assert err == f"animegan: error: run folder not found: {tmp_path / 'no-run'}\n"


def test_debug_keeps_tensorflow_logs_and_the_traceback(tmp_path):
    err = _stderr("--debug", "score", str(tmp_path / "no-run"), str(tmp_path))
    assert "Traceback" in err and "run folder not found" in err
