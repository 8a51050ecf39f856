"""The README is a newcomer's page: short, every reference inside the repository, and its tables
written by commands (the designs table from the registry, the headline table from
docs/results/headline.json), never pasted."""

import json
import re
from pathlib import Path

from baps_rtl.designs.registry import designs_markdown
from baps_rtl.report import block_text, headline_markdown, with_block

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_readme_is_at_most_200_lines():
    assert len(README.splitlines()) <= 200


def referenced_paths(text: str) -> list[str]:
    """Repository paths named in backticks (``docs/spec/hif8.md``, ``hdl/datapath.py``); format
    names such as ``u5.4/e2`` are not paths."""
    return [p for p in re.findall(r"`([\w./-]+)`", text)
            if "/" in p and not re.fullmatch(r"u[\dI]\.[\dF]/e2?", p)
            and not p.startswith(("build/", ".venv", ".cache", "out/", "/"))]


def test_every_reference_resolves_inside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = doc.read_text()
        assert "../" not in text and "shared/spec" not in text, doc
        missing = [p for p in referenced_paths(text) if not (ROOT / p).exists()
                   and not (doc.parent / p).exists() and "foo" not in p]   # foo: the example
        assert missing == [], (doc.name, missing)
    for src in (p for p in ROOT.glob("*/*.py") if p != Path(__file__).resolve()):
        assert "shared/spec" not in src.read_text(), src


def test_the_check_sees_a_missing_file():
    assert referenced_paths("see `docs/nowhere.md` and `hdl/datapath.py`") == [
        "docs/nowhere.md", "hdl/datapath.py"]


def test_the_designs_table_is_the_registry():
    assert block_text(README, "designs") == designs_markdown()


def test_the_headline_table_is_written_by_the_command():
    saved = ROOT / "docs" / "results" / "headline.json"
    text = block_text(README, "headline")
    if saved.exists():
        assert text == headline_markdown(json.loads(saved.read_text()))
    else:
        assert "run `make results`" in text and not re.search(r"\d{3,}", text)


def test_blocks_are_replaced_between_their_markers():
    page = "a\n<!-- t: begin (make results) -->\nold\n<!-- t: end -->\nb\n"
    assert with_block(page, "t", "new\n") == \
        "a\n<!-- t: begin (make results) -->\nnew\n<!-- t: end -->\nb\n"
    assert block_text(with_block(page, "t", "x\n"), "t") == "x\n"


def test_a_published_table_names_its_command_version_and_commit(tmp_path):
    from baps_rtl.report import publish
    md = tmp_path / "codes.md"
    md.write_text("| a | b |\n|---|---|\n| 1 | 2 |\n")
    out = publish(tmp_path / "results", "baps-rtl codes", md)
    head, _, body = out.read_text().partition("\n\n")
    assert out.name == "codes.md" and body == md.read_text()
    assert re.match(r"<!-- written by `baps-rtl codes`: baps-rtl \d+\.\d+\.\d+, commit "
                    r"(\w{7,}(\+changes)?|unknown), \d{4}-\d\d-\d\d -->$", head)


def test_the_beat_layout_tables_of_the_architecture_page_are_the_code():
    from baps_rtl.designs.registry import field_offsets
    from baps_rtl.hdl.beat_layouts import code_beat, prob_beat, score_beat
    page = (ROOT / "docs" / "architecture.md").read_text()
    for title, layout in (("score_beat (lanes 2, br 4)", score_beat(2, 4)),
                          ("code_beat (lanes 2, HiF8, br 4, m_width 16)", code_beat(2, 8, 4, 16)),
                          ("prob_beat (lanes 2, br 4)", prob_beat(2, 4))):
        block = page.split(f"**{title}**", 1)[1].split("\n\n")[1]
        rows = [line.split(" | ") for line in block.splitlines()[2:]]
        assert [(r[0][2:], int(r[1]), int(r[2][:-2])) for r in rows] == \
            [(f["name"], f["offset"], f["width"]) for f in field_offsets(layout)], title
