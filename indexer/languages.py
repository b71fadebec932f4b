"""Language tags as stored in ``text_spans.language``: ISO 639-1 where one exists."""

from __future__ import annotations

import re

# ISO 639-2 (bibliographic and terminological) → 639-1, for the languages tagged most often.
_ISO639_2 = {
    "ara": "ar", "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "chi": "zh", "zho": "zh",
    "dan": "da", "deu": "de", "ger": "de", "dut": "nl", "nld": "nl", "ell": "el", "gre": "el",
    "eng": "en", "est": "et", "fas": "fa", "per": "fa", "fin": "fi", "fra": "fr", "fre": "fr",
    "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "ind": "id", "ita": "it", "jpn": "ja",
    "kor": "ko", "lav": "lv", "lit": "lt", "may": "ms", "msa": "ms", "nor": "no", "nob": "nb",
    "nno": "nn", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro", "rus": "ru", "slk": "sk",
    "slo": "sk", "slv": "sl", "spa": "es", "srp": "sr", "swe": "sv", "tha": "th", "tur": "tr",
    "ukr": "uk", "vie": "vi", "ice": "is", "isl": "is", "gle": "ga", "wel": "cy", "cym": "cy",
}  # fmt: skip
_UNKNOWN = {"", "und", "unk", "mis", "mul", "zxx", "none", "unknown"}
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def normalize_language(tag: str | None) -> str | None:
    """``"ger"`` → ``"de"``, ``"pt-BR"`` → ``"pt"``, ``"und"`` → None; a tag that is no
    language tag at all (``"forced"``) → None; an unmapped 3-letter code stays as it is."""
    if tag is None:
        return None
    tag = tag.strip()
    if tag.lower() in _UNKNOWN or not _TAG.match(tag):
        return None
    primary = re.split(r"[-_]", tag)[0].lower()
    return _ISO639_2.get(primary, primary)
