"""Output files that are never half-written, and build folders two runs can share.

Every result file (Verilog, sidecars, vector files, tables, JSON, plots) is written to a hidden
temporary file in its folder and renamed into place (``os.replace``, atomic on POSIX): a run
stopped at any point leaves the previous file or the new one, never a truncated one. A folder
that a run builds in (a simulator build, a synthesis run) is held with an exclusive lock
(``flock``, released by the kernel when the process dies), so a second run waits for the first
instead of building over it.

A run that finds its folder already holding the result of the same inputs (``content_key``:
the bytes of every input file and every setting that changes the result, tool versions
included) reuses it (``stored_result``) instead of running again: a repeated or extended study
runs only what is new. Delete the folder to force a run.

A JSON file a user passes back in (``--accuracy``, ``--areas-from``) is read with ``read_json``:
its shape is checked against a JSON Schema before anything reads a field, and any problem is one
``UsageError`` naming the file, the field and what is allowed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import UsageError

__all__ = ["atomic_path", "write_text", "folder_lock", "read_json", "content_key", "stored_result",
           "store_result"]


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside ``path`` to write to; renamed to ``path`` when the block ends
    without an exception, removed otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path, text: str) -> Path:
    """``path.write_text(text)`` (UTF-8), atomically; a file that already holds exactly ``text``
    is left alone (its time stamp too, so a build that depends on it stays up to date)."""
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if Path(path).stat().st_size == len(data) and Path(path).read_bytes() == data:
            return Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


@contextlib.contextmanager
def folder_lock(folder):
    """Hold ``folder`` (created if missing) exclusively for the block: another process asking for
    the same folder waits until this one leaves it or dies."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_json(path, schema: dict, what: str):
    """The JSON document at ``path``, checked against the JSON Schema ``schema``; ``what`` names
    the input in the messages (``--accuracy FILE``). An unreadable file, bytes that are not
    UTF-8 JSON, and a document of another shape are each one ``UsageError``."""
    import jsonschema

    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{what}: cannot read it ({exc.strerror}); allowed: {schema['title']}"
                         ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}: byte {exc.start} is not UTF-8 text; allowed: {schema['title']}"
                         ) from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{what}: not JSON ({str(exc).splitlines()[0][:120]}); allowed: "
                         f"{schema['title']}") from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        field = error.json_path.removeprefix("$").removeprefix(".")
        raise UsageError(f"{what}: " + (f"field {field}: " if field else "")
                         + f"{error.message[:200]}; allowed: {schema['title']}") from None
    return data


def content_key(*parts) -> str:
    """sha256 over ``parts``: a ``Path`` counts by its bytes, anything else by its ``repr``."""
    digest = hashlib.sha256()
    for part in parts:
        data = Path(part).read_bytes() if isinstance(part, Path) else repr(part).encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def stored_result(path, key: str) -> dict | None:
    """The result stored at ``path`` for ``key`` (``store_result``), or None: missing, made
    from other inputs, or unreadable."""
    try:
        stored = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return stored.get("result") if isinstance(stored, dict) and stored.get("key") == key else None


def store_result(path, key: str, result: dict) -> None:
    write_text(path, json.dumps({"key": key, "result": result}, indent=2) + "\n")
