"""`.txt` and `.md` files: read as UTF-8, line ends made `\n`; the text is served as it is."""

from __future__ import annotations

from pathlib import Path

from corpus.formats.base import ConversionError, Converted


class TextConverter:
    suffixes: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst", ".wiki")

    def convert(self, path: Path) -> Converted:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise ConversionError(f"it is not UTF-8 text ({error}): convert it to UTF-8") from error
        except OSError as error:
            raise ConversionError(
                f"it cannot be read ({error.strerror}): fix its permissions or remove it"
            ) from error
        return Converted(text.replace("\r\n", "\n").replace("\r", "\n"))
