"""An English corpus available offline: sentences from the docstrings of the Python standard
library (the interpreter running this code), filtered to prose and selected with a fixed seed.

The text depends on the Python version (3.11 here); the selection is deterministic for a given
interpreter. Sentences: 6 to 40 words, letters and ordinary punctuation only, no code. Passages
(``stdlib_passages``): consecutive sentences of one module joined to ``PASSAGE_WORDS`` (100–380)
words, about 128 to 512 word pieces, so that attention rows span several key blocks.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
import warnings

__all__ = ["MODULES", "stdlib_sentences", "select_sentences", "calibration_sentences",
           "stdlib_passages", "select_passages", "PASSAGE_WORDS"]

PASSAGE_WORDS = (100, 380)      # about 128 to 512 word pieces for this model's tokenizer

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


def _module_sentences(name: str) -> list[str]:
    """The prose sentences of one module's docstrings, in document order."""
    with warnings.catch_warnings():          # deprecated aliases such as typing.io
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            module = importlib.import_module(name)
        except ImportError:
            return []
        docs = list(_docstrings(module))
    out = []
    for doc in docs:
        for para in re.split(r"\n\s*\n", doc):
            text = " ".join(para.split())
            out += [s for s in _SPLIT.split(text) if _is_prose(s)]
    return out


def stdlib_passages(words: tuple[int, int] = PASSAGE_WORDS, seed: int = 2026) -> list[str]:
    """Passages of consecutive prose sentences of one module (document order, no sentence
    twice), each ``words[0]`` to ``words[1]`` words long: each passage draws its length target
    uniformly from that range (seeded) and closes once it reaches it; a sentence that would pass
    the maximum starts the next one."""
    passages = []
    for name in MODULES:
        rng = random.Random(f"{seed}:{name}")
        target = rng.randint(*words)
        seen, current, count = set(), [], 0
        for sentence in _module_sentences(name):
            if sentence in seen:
                continue
            seen.add(sentence)
            n = len(sentence.split())
            if count + n > words[1]:
                current, count = [], 0
            current.append(sentence)
            count += n
            if count >= target:
                passages.append(" ".join(current))
                current, count, target = [], 0, rng.randint(*words)
    return passages


def select_passages(count: int, seed: int = 2026) -> list[str]:
    """``count`` passages chosen with a seeded shuffle (ValueError if there are fewer)."""
    pool = stdlib_passages(seed=seed)
    if not 1 <= count <= len(pool):
        raise ValueError(f"passage count {count} is not allowed; allowed: 1..{len(pool)}")
    return sorted(random.Random([seed, "passages"].__repr__()).sample(pool, count))


def stdlib_sentences() -> list[str]:
    """Every distinct prose sentence from the docstrings of ``MODULES``, sorted."""
    return sorted({s for name in MODULES for s in _module_sentences(name)})


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
