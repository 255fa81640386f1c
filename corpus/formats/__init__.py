"""File -> text: one converter per file type, each giving the text every offset points into.

Converters turn a file into plain text with light Markdown markup (`#` headings, `- ` list
items, `|` table rows), so that the text analyser finds sections the same way in every format;
paged formats also say where each page lies in the text.
"""

from corpus.formats.base import ConversionError, Converted, Converter
from corpus.formats.registry import CONVERTERS, SUPPORTED_SUFFIXES, converter_for

__all__ = [
    "CONVERTERS",
    "SUPPORTED_SUFFIXES",
    "ConversionError",
    "Converted",
    "Converter",
    "converter_for",
]
