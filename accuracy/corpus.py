"""An English corpus available offline: sentences from the docstrings of the Python standard
library (the interpreter running this code), filtered to prose and selected with a fixed seed.

The text depends on the Python version (3.11 here); the selection is deterministic for a given
interpreter. Sentences: 6 to 40 words, letters and ordinary punctuation only, no code.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
import warnings

__all__ = ["MODULES", "stdlib_sentences", "select_sentences", "calibration_sentences"]

MODULES = (
    "abc", "argparse", "array", "ast", "asyncio", "base64", "bisect", "calendar", "cmath",
    "codecs", "collections", "colorsys", "concurrent.futures", "configparser", "contextlib",
    "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "doctest", "email",
    "enum", "filecmp", "fnmatch", "fractions", "functools", "getopt", "gettext", "glob", "gzip",
    "hashlib", "heapq", "hmac", "html", "http.client", "imaplib", "inspect", "io", "ipaddress",
    "itertools", "json", "locale", "logging", "lzma", "mailbox", "mimetypes", "numbers",
    "operator", "optparse", "os", "pathlib", "pickle", "pprint", "queue", "random", "re",
    "reprlib", "sched", "secrets", "selectors", "shelve", "shlex", "shutil", "smtplib", "socket",
    "sqlite3", "statistics", "string", "struct", "subprocess", "tarfile", "tempfile", "textwrap",
    "threading", "timeit", "tokenize", "traceback", "types", "typing", "unittest", "urllib.parse",
    "uuid", "warnings", "wave", "weakref", "xml.dom.minidom", "zipfile", "zlib",
)

_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*[,;:]?$")
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _docstrings(module):
    yield inspect.getdoc(module) or ""
    for _, obj in sorted(vars(module).items()):
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and \
                getattr(obj, "__module__", "") == module.__name__:
            yield inspect.getdoc(obj) or ""
            if inspect.isclass(obj):
                for _, member in sorted(vars(obj).items()):
                    if inspect.isfunction(member):
                        yield inspect.getdoc(member) or ""


def _is_prose(sentence: str) -> bool:
    words = sentence[:-1].split()
    return 6 <= len(words) <= 40 and sentence[-1] in ".!?" and all(_WORD.match(w) for w in words)


def stdlib_sentences() -> list[str]:
    """Every distinct prose sentence from the docstrings of ``MODULES``, sorted."""
    found = set()
    for name in MODULES:
        with warnings.catch_warnings():          # deprecated aliases such as typing.io
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            docs = list(_docstrings(module))
        for doc in docs:
            for para in re.split(r"\n\s*\n", doc):
                text = " ".join(para.split())
                for sentence in _SPLIT.split(text):
                    if _is_prose(sentence):
                        found.add(sentence)
    return sorted(found)


def select_sentences(count: int, seed: int = 2026) -> list[str]:
    """``count`` sentences chosen with a seeded shuffle (ValueError if the corpus is smaller)."""
    pool = stdlib_sentences()
    if not 1 <= count <= len(pool):
        raise ValueError(f"sentence count {count} is not allowed; allowed: 1..{len(pool)}")
    rng = random.Random(seed)
    return sorted(rng.sample(pool, count))


def calibration_sentences(count: int, exclude, seed: int = 2026) -> list[str]:
    """``count`` sentences not in ``exclude``, chosen with a seeded shuffle (a calibration set
    disjoint from the evaluation set)."""
    taken = set(exclude)
    pool = [s for s in stdlib_sentences() if s not in taken]
    if not 1 <= count <= len(pool):
        raise ValueError(f"calibration sentence count {count} is not allowed; allowed: "
                         f"1..{len(pool)}")
    return sorted(random.Random([seed, "calibration"].__repr__()).sample(pool, count))
