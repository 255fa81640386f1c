"""How the two seed pages became the shipped corpus documents: a script, not product code.

`python corpus/seeds/clean.py` reads the scraped seeds (../shared/seeds, beside the repo), takes
out the page furniture and empty tables of those two pages, marks up the headings of the one
that had none, and writes the results to corpus/documents/. tests/corpus/test_cleaning.py checks
that cleaning the seeds again gives the committed files byte for byte.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from indexer.analysis import DEFAULT_ANALYZER

CORPUS = Path(__file__).resolve().parents[1] / "documents"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

# Lines a scraper picked up from the page around the article, not the article itself.
PAGE_FURNITURE = ("ARTICLE AD BOX", "English (US) ·")
# Cells that say nothing on their own: a table made only of these and row numbers is empty.
_PLACEHOLDER_CELLS = {"", "—", "-", "unknown", "(suspended)"}
_MAX_PLAIN_HEADING = (
    60  # characters; a plain-text line this short, without a full stop, is a heading
)


@dataclass
class Cleaned:
    text: str
    removed: list[str] = field(
        default_factory=list
    )  # what was taken out or changed, for the record


def clean_scraped_text(raw: str) -> Cleaned:
    """Remove furniture and empty tables; mark up the headings of a text that has none."""
    cleaned = Cleaned(text=raw.replace("\r\n", "\n"))
    _drop_furniture(cleaned)
    _drop_empty_tables(cleaned)
    _drop_empty_sections(cleaned)
    if not DEFAULT_ANALYZER.headings(cleaned.text):
        _mark_plain_headings(cleaned)
    cleaned.text = re.sub(r"\n{3,}", "\n\n", cleaned.text).strip() + "\n"
    return cleaned


def _drop_furniture(cleaned: Cleaned) -> None:
    lines = cleaned.text.split("\n")
    kept = [line for line in lines if line.strip() not in PAGE_FURNITURE]
    for line in lines:
        if line.strip() in PAGE_FURNITURE:
            cleaned.removed.append(f"page furniture line {line.strip()!r}")
    cleaned.text = "\n".join(kept)


def _is_table_row(line: str) -> bool:
    return line.startswith("|") and line.rstrip().endswith("|")


def _row_is_empty(line: str) -> bool:
    cells = [cell.strip().lower() for cell in line.strip().strip("|").split("|")]
    return all(cell in _PLACEHOLDER_CELLS for cell in cells[1:])  # the first cell numbers the row


def _drop_empty_tables(cleaned: Cleaned) -> None:
    """Drop pipe tables whose data rows carry nothing, with the line that introduced them."""
    lines = cleaned.text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if not _is_table_row(lines[i]):
            kept.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and _is_table_row(lines[j]):
            j += 1
        header, rows = lines[i], lines[i + 1 : j]
        if rows and all(_row_is_empty(row) for row in rows):
            cleaned.removed.append(f"empty table {header.strip()!r} ({len(rows)} rows)")
            if kept and kept[-1].rstrip().endswith(":"):
                cleaned.removed.append(f"its introduction {kept.pop().strip()!r}")
        else:
            kept.extend(lines[i:j])
        i = j
    cleaned.text = "\n".join(kept)


def _drop_empty_sections(cleaned: Cleaned) -> None:
    """Drop a heading with no text under it before the next heading of the same or higher level."""
    text = cleaned.text
    headings = DEFAULT_ANALYZER.headings(text)
    spans = []
    for k, heading in enumerate(headings):
        following = headings[k + 1 :]
        end = next((h.start for h in following if h.level <= heading.level), len(text))
        if not text[heading.end : end].strip():
            spans.append((heading.start, end))
            cleaned.removed.append(f"empty section {heading.title!r}")
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    cleaned.text = text


def _mark_plain_headings(cleaned: Cleaned) -> None:
    """Plain text with no heading markup: the first line is the title, short lines are headings."""
    lines = cleaned.text.strip().split("\n")
    out = [f"= {lines[0].strip()} ="]
    cleaned.removed.append(f"marked the first line as the title: {lines[0].strip()!r}")
    for line in lines[1:]:
        stripped = line.strip()
        if stripped and len(stripped) <= _MAX_PLAIN_HEADING and not stripped.endswith((".", ":")):
            out.append(f"== {stripped} ==")
            cleaned.removed.append(f"marked a heading: {stripped!r}")
        else:
            out.append(line)
    cleaned.text = "\n".join(out)


def main() -> None:
    """Clean every seed the corpus manifest names into its corpus file."""
    entries = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]
    for entry in entries:
        cleaned = clean_scraped_text((SEEDS / entry["source"]).read_text(encoding="utf-8"))
        (CORPUS / entry["file"]).write_text(cleaned.text, encoding="utf-8")
        print(f"{entry['file']}: {len(cleaned.removed)} changes", file=sys.stderr)
        for change in cleaned.removed:
            print(f"  {change}", file=sys.stderr)


if __name__ == "__main__":
    main()
