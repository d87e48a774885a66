"""Danish-aware text folding (the directory search, the import of code lists by their labels).

`fold` maps a text to one searchable spelling: case-folded, æ→ae, ø→oe, å→aa (and the German/Swedish ä, ö, ü
that Danish keyboards also produce), other accents removed, runs of white space collapsed. Both the stored
columns (`offer.title_folded`, `offer.search_text`, `offer.address_folded`) and the query go through it, so
`laese` finds `Læsevenner`, `Århus` finds `Aarhus` and the other way round — on SQLite and PostgreSQL alike,
because the database only compares already folded text.
"""

import unicodedata

_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ð": "d", "þ": "th"})
FIELD_SEPARATOR = " | "  # between fields of search_text, so a phrase never matches across two fields


def fold(text: str | None) -> str:
    if not text:
        return ""
    if text.isascii():  # the common case, and fast: nothing to translate or decompose
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFC", text).casefold().translate(_LETTERS)
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.split())


def search_text(*fields: str | None) -> str:
    return FIELD_SEPARATOR.join(fold(f) for f in fields if f)
