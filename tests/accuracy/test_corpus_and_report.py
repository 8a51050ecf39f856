"""The offline corpus, the synthetic/sink report without the model, and the CLI errors."""

import json

import pytest

from baps_rtl.accuracy.corpus import (PASSAGE_WORDS, _module_sentences, select_passages,
                                      select_sentences, stdlib_passages, stdlib_sentences)
from baps_rtl.accuracy.report import QUICK, run_accuracy
from baps_rtl.accuracy.sink import METHODS, SHOWN, SinkConfig
from baps_rtl.golden.schemes import BAPS_CODES
from baps_rtl.cli import main


def test_corpus_is_prose_and_the_selection_is_seeded():
    pool = stdlib_sentences()
    assert len(pool) > 1000
    picked = select_sentences(50)
    assert picked == select_sentences(50) and picked != select_sentences(50, seed=1)
    for s in picked:
        assert 6 <= len(s.split()) <= 40 and s[-1] in ".!?" and ">>>" not in s and "(" not in s
    with pytest.raises(ValueError, match=r"sentence count 0 is not allowed"):
        select_sentences(0)


def test_passages_join_consecutive_sentences_of_one_module_and_are_seeded():
    from baps_rtl.accuracy.corpus import MODULES
    passages = stdlib_passages()
    assert len(passages) >= 40
    words = [len(p.split()) for p in passages]
    assert PASSAGE_WORDS[0] <= min(words) and max(words) <= PASSAGE_WORDS[1]
    assert max(words) - min(words) > 150                  # lengths spread over the range
    # consecutive, in document order (a sentence seen earlier in the module is skipped)
    texts = [" ".join(dict.fromkeys(_module_sentences(name))) for name in MODULES]
    assert all(any(p in t for t in texts) for p in passages)
    picked = select_passages(8)
    assert picked == select_passages(8) and picked != select_passages(8, seed=1)
    with pytest.raises(ValueError, match=r"passage count 0 is not allowed"):
        select_passages(0)


def test_report_without_the_model_writes_every_file(tmp_path):
    import dataclasses
    cfg = dataclasses.replace(QUICK, sink=SinkConfig(deltas=(4, 8), lengths=(512,), rows=4, dv=8),
                              synthetic_rows=8, synthetic_keys=256)
    result, paths = run_accuracy(tmp_path, cfg, model=False, progress=False)
    assert set(paths) == {"json", "md", "csv", "sink"}
    data = json.loads(paths["json"].read_text())
    assert len(data["sink"]) == 2 * 2 * len(METHODS) and len(data["synthetic"]) == 4
    bits = {r["method"]: r["score_bits"] for r in data["sink"]}
    assert {m: bits[m] for m in SHOWN} == {
        "e4m3_s1": 32, "e4m3_s256": 32, "e4m3_qsum_s1": 32, "baps_hif8_hif8": 8,
        "fp16_online": 16, "softermax": 8, "softermax_published": 8, "hccs": 8, "raw_hif8": 8,
        "baps_u5.4/e2_fp16": 8, "baps_u4.4_fp16": 8, "baps_u4.3/e2_fp16": 6,
        "baps_u5.4/e2_hif8": 8}
    # every BAPS code of the model is in the sweep, with its code's width
    assert bits["baps_u3.2_fp16"] == 5 and bits["baps_u5.3/e2_fp16"] == 7
    assert len(bits) == 8 + len(BAPS_CODES)
    md = paths["md"].read_text()
    assert "Real model: not run" in md and "| 8 |" in md
    assert paths["sink"].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv,message", [
    (["accuracy", "--sentences", "5"], "--sentences 5: allowed: 10 or more"),
    (["accuracy", "--bc", "0", "--no-model"], "--bc 0: allowed: 1..4096"),
])
def test_accuracy_cli_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
