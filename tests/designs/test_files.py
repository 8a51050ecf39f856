"""Nothing half-written and nothing built over: a process killed while writing leaves the previous
file (``designs.files``), and two runs at once sharing the build folder and the Verilator runtime
cache both pass with the results of one run alone."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from baps_rtl.designs.files import atomic_path, folder_lock, write_text

OLD = "the previous, complete result\n"


def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            text=True)


def _kill_after_line(proc: subprocess.Popen, line: str, delay: float = 0.0) -> None:
    assert proc.stdout.readline().strip() == line
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL          # killed, not finished


def test_a_writer_killed_between_chunks_leaves_the_previous_file(tmp_path):
    target = tmp_path / "result.json"
    target.write_text(OLD)
    proc = _child(f"""
        import time
        from baps_rtl.designs.files import atomic_path
        with atomic_path({str(target)!r}) as tmp, open(tmp, "w") as fh:
            fh.write('{{"half": ')
            fh.flush()
            print("half written", flush=True)
            time.sleep(60)
            fh.write('"done"}}')
    """)
    _kill_after_line(proc, "half written")
    assert target.read_text() == OLD
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert all(n.startswith(".result.json.") and n.endswith(".tmp") for n in leftovers), leftovers


def test_a_large_write_text_killed_midway_leaves_the_previous_file(tmp_path):
    """300 MB through ``write_text``, killed 50 ms into the write: the target is still the old
    file (written in place, it would be a truncated one)."""
    target = tmp_path / "result.txt"
    target.write_text(OLD)
    size = 300 << 20
    proc = _child(f"""
        from baps_rtl.designs.files import write_text
        text = "x" * {size}
        print("writing", flush=True)
        write_text({str(target)!r}, text)
        print("done", flush=True)
    """)
    _kill_after_line(proc, "writing", delay=0.05)
    assert target.read_text() == OLD
    # and the same write, not interrupted, replaces it whole
    write_text(target, "new\n")
    assert target.read_text() == "new\n"


def test_a_reader_never_sees_a_half_written_file(tmp_path):
    """One process rewrites an 8 MB file over and over (two contents in turn) while this one
    reads it: every read is one whole version (written in place, reads catch it half-done)."""
    target = tmp_path / "table.md"
    size = 8 << 20
    versions = {"a" * size, "b" * size}
    write_text(target, "a" * size)
    proc = _child(f"""
        from baps_rtl.designs.files import write_text
        print("writing", flush=True)
        for k in range(150):
            write_text({str(target)!r}, "ab"[k % 2] * {size})
    """)
    assert proc.stdout.readline().strip() == "writing"
    reads = 0
    while proc.poll() is None:
        text = target.read_text()
        assert text in versions, f"read {reads}: {len(text)} characters, not a whole version"
        reads += 1
    assert proc.returncode == 0 and reads > 10


def test_an_exception_inside_leaves_the_previous_file(tmp_path):
    target = tmp_path / "table.md"
    target.write_text(OLD)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("stopped")
    assert target.read_text() == OLD and sorted(tmp_path.iterdir()) == [target]


def test_the_folder_lock_makes_a_second_process_wait(tmp_path):
    folder = tmp_path / "build"
    proc = _child(f"""
        import time
        from baps_rtl.designs.files import folder_lock
        with folder_lock({str(folder)!r}):
            print("holding", flush=True)
            time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == "holding"
    other = _child(f"""
        import time
        from baps_rtl.designs.files import folder_lock
        print("asking", flush=True)
        t0 = time.monotonic()
        with folder_lock({str(folder)!r}):
            print(f"{{time.monotonic() - t0:.2f}}", flush=True)
    """)
    assert other.stdout.readline().strip() == "asking"
    time.sleep(1.0)
    assert other.poll() is None                    # still waiting for the holder
    proc.send_signal(signal.SIGKILL)               # a dead holder releases the lock
    proc.wait()
    assert float(other.stdout.readline()) >= 0.9 and other.wait() == 0
    with folder_lock(folder):                      # and this process gets it too
        pass


def _cli(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "baps_rtl.cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow          # three Verilator runs, the second waiting for the first
def test_two_regressions_at_once_share_the_build_folder(tmp_path, monkeypatch):
    """Two ``baps-rtl regress`` of the same configurations into one build folder, started
    together (one Verilator runtime cache): both pass and report what one run alone reports."""
    cache = tmp_path / "verilator-cache"
    monkeypatch.setenv("BAPS_VERILATOR_CACHE", str(cache))
    args = ["regress", "exp2_code", "-p", "in_format=e4m3", "--build", "build", "--jobs", "1"]
    runs = [_cli(*args, cwd=tmp_path) for _ in range(2)]
    outs = [r.communicate()[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    alone = _cli(*args, cwd=tmp_path)
    out = alone.communicate()[0]
    assert alone.returncode == 0
    summary = [json.loads(p.read_text()) for p in sorted((tmp_path / "build").glob("*/vectors-summary.json"))]
    assert len(summary) == 1 and summary[0]["checked"] == 256 and summary[0]["mismatches"] == 0

    def counts(text):
        return next(line.split(" vectors checked")[0] for line in text.splitlines()
                    if "vectors checked" in line)
    assert counts(outs[0]) == counts(outs[1]) == counts(out)


@pytest.mark.slow          # three syntheses of three designs (the unit and both FP16 baselines)
def test_two_area_runs_at_once_share_the_output_folder(tmp_path):
    args = ["area", "exp2_hif8", "-p", "impl=table", "-o", "area", "--jobs", "1"]
    runs = [_cli(*args, cwd=tmp_path) for _ in range(2)]
    outs = [r.communicate()[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    together = json.loads((tmp_path / "area" / "generic" / "area.json").read_text())
    assert _cli(*args, cwd=tmp_path).wait() == 0
    alone = json.loads((tmp_path / "area" / "generic" / "area.json").read_text())
    assert [(r["module"], r["area_ge"]) for r in together] == \
        [(r["module"], r["area_ge"]) for r in alone] and len(alone) >= 2


def test_no_output_writer_bypasses_the_atomic_write():
    """Every result writer of the package goes through ``designs.files`` (a new ``write_text``
    or ``savefig`` on a result path would bring half-written files back)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    offenders = []
    for package in ("baps_rtl", "designs", "sim", "synth", "accuracy"):
        for dirpath, _, names in os.walk(os.path.join(root, package)):
            for name in names:
                if not name.endswith(".py") or name == "files.py":
                    continue
                path = os.path.join(dirpath, name)
                for k, line in enumerate(open(path, encoding="utf-8"), 1):
                    if (".write_text(" in line or ".write_bytes(" in line
                            or ("savefig(" in line and "tmp" not in line)
                            or ('open(' in line and '"w"' in line and "tmp" not in line)):
                        offenders.append(f"{os.path.relpath(path, root)}:{k}")
    # the testbench's summary and the tools' own logs are written by other processes
    allowed = {"synth/yosys_flow.py", "synth/fpga.py"}
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []
