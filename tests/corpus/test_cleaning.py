"""The committed corpus documents are exactly the seeds after the documented cleaning."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS_DIR

SCRIPT = Path(__file__).resolve().parents[2] / "corpus" / "seeds" / "clean.py"
_spec = importlib.util.spec_from_file_location("clean_seeds", SCRIPT)
assert _spec is not None and _spec.loader is not None
_clean = sys.modules["clean_seeds"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_clean)
clean_scraped_text = _clean.clean_scraped_text
SEEDS: Path = _clean.SEEDS
MANIFEST = json.loads((DEFAULT_CORPUS_DIR / "manifest.json").read_text())["documents"]


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["id"])
def test_committed_document_is_the_cleaned_seed(entry: dict[str, str]) -> None:
    seed = SEEDS / entry["source"]
    assert seed.exists(), f"the seed {seed} is missing: ../shared/seeds must sit beside the repo"
    cleaned = clean_scraped_text(seed.read_text(encoding="utf-8"))
    assert cleaned.text == (DEFAULT_CORPUS_DIR / entry["file"]).read_text(encoding="utf-8")


def test_furniture_and_empty_tables_are_gone() -> None:
    texts = [(DEFAULT_CORPUS_DIR / e["file"]).read_text(encoding="utf-8") for e in MANIFEST]
    for text in texts:
        assert "ARTICLE AD BOX" not in text
        assert "English (US)" not in text
        assert "| 1 | | |" not in text
        assert "== Diplomatic relations ==" not in text


def test_cleaning_removes_furniture_lines_and_keeps_the_rest() -> None:
    raw = "ARTICLE AD BOX\n= T =\nBody line one.\n\nEnglish (US) ·\n"
    cleaned = clean_scraped_text(raw)
    assert cleaned.text == "= T =\nBody line one.\n"
    assert len(cleaned.removed) == 2


def test_a_table_with_content_is_kept() -> None:
    raw = "= T =\n== S ==\nCountries:\n| # | Country | Date |\n| 1 | France | 1946 |\n| 2 | | |\n"
    assert "| 1 | France | 1946 |" in clean_scraped_text(raw).text


def test_an_empty_table_goes_with_its_introduction_and_empty_section() -> None:
    raw = (
        "= T =\nIntro.\n== Empty ==\nList by date:\n| # | Country |\n| 1 | |\n"
        "| 2 | Unknown |\n== Next ==\nText.\n"
    )
    text = clean_scraped_text(raw).text
    assert text == "= T =\nIntro.\n== Next ==\nText.\n"


def test_plain_text_gets_a_title_and_headings() -> None:
    raw = "A TITLE\nA long first paragraph that ends with a full stop.\nShort heading\nMore text.\n"
    text = clean_scraped_text(raw).text
    assert text.splitlines()[0] == "= A TITLE ="
    assert "== Short heading ==" in text
    assert "== A long first" not in text
