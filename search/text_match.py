"""A keyword query read the way the index reads text: folded (case, accents), split into words,
"quoted phrases" kept together; and where in a span's text (and words' times) it matched."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from vidseek.core.catalog.text_index import CJK_RANGES

_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r'"([^"]*)"')
_CJK = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES) + "]")


def fold(text: str) -> str:
    """Lower-cased, accents removed (``Café`` → ``cafe``), as the keyword index folds."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def is_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@dataclass(frozen=True)
class KeywordQuery:
    """``terms`` must all occur in a span; each of ``phrases`` must occur word for word.
    ``cjk``: match substrings (no spaces to split words at) instead of words."""

    text: str
    terms: tuple[str, ...]
    phrases: tuple[str, ...]
    cjk: bool

    @classmethod
    def parse(cls, text: str) -> KeywordQuery:
        phrases = tuple(p.strip() for p in _QUOTED.findall(text) if words(p))
        rest = _QUOTED.sub(" ", text).replace('"', " ")
        terms = tuple(t for t in rest.split() if words(t))
        return cls(text.strip(), terms, phrases, is_cjk(text))

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def all_words(self) -> list[str]:
        """Every query word in typed order, quotes dropped: the "exact phrase" to look for."""
        return words(self.text.replace('"', " "))

    @property
    def substrings(self) -> list[str]:
        """For CJK queries: folded pieces that must each occur in the text."""
        return [fold(p) for p in (*self.phrases, *self.terms)]


@dataclass(frozen=True)
class Located:
    """Where a query matched one span: ``exact`` when all its words occur together in
    order; ``start``/``end`` the matched words' times when the span has word times."""

    exact: bool
    start: float | None
    end: float | None


def locate(
    query: KeywordQuery, text: str, timed_words: Sequence[Sequence[object]] | None
) -> Located:
    """How ``query`` matches a span's ``text`` and, given ``[start, end, word]`` triples,
    the times of the first to the last matched word (the first occurrence of the exact
    phrase when there is one)."""
    if query.cjk:
        return _locate_substring(query, text, timed_words)
    wanted = query.all_words
    stream = (
        [(w, i) for i, item in enumerate(timed_words) for w in words(str(item[2]))]
        if timed_words
        else [(w, -1) for w in words(text)]
    )
    tokens = [w for w, _ in stream]
    at = _find_run(tokens, wanted)
    exact = at is not None
    if not exact and timed_words:  # the phrase may straddle words the speech model split
        exact = _find_run(words(text), wanted) is not None
    if not timed_words:
        return Located(exact, None, None)
    window = best_window(tokens, wanted) if at is None else None
    if at is not None:
        first, last = stream[at][1], stream[at + len(wanted) - 1][1]
    elif window is not None and (window.count < len(set(wanted)) or exact):
        # some words misheard (or the phrase straddles split words): the best-matching run
        first, last = stream[window.first][1], stream[window.last][1]
    else:
        hits = [i for w, i in stream if w in set(wanted)]
        if not hits:
            return Located(exact, None, None)
        first, last = hits[0], hits[-1]
    return Located(exact, _time(timed_words[first], 0), _time(timed_words[last], 1))


def _locate_substring(
    query: KeywordQuery, text: str, timed_words: Sequence[Sequence[object]] | None
) -> Located:
    whole = "".join(fold(query.text.replace('"', "")).split())
    exact = bool(whole) and whole in "".join(fold(text).split())
    if not timed_words:
        return Located(exact, None, None)
    joined, owner = "", []
    for i, item in enumerate(timed_words):
        piece = "".join(fold(str(item[2])).split())
        joined += piece
        owner += [i] * len(piece)
    for needle in [whole, *query.substrings]:
        needle = "".join(needle.split())
        pos = joined.find(needle) if needle else -1
        if pos >= 0:
            first, last = owner[pos], owner[pos + len(needle) - 1]
            return Located(exact, _time(timed_words[first], 0), _time(timed_words[last], 1))
    return Located(exact, None, None)


@dataclass(frozen=True)
class Window:
    """The run of a span's words that best matches a query: ``count`` distinct query words
    in it, from token ``first`` to ``last``; ``ordered``: how many of them follow the one
    before in the query's order; ``gaps``: the other words between them."""

    count: int
    first: int
    last: int
    gaps: int
    ordered: int = 0


WINDOW_SLACK = 2  # extra words a run may hold (a misheard word split in two, a filler)


def best_window(tokens: Sequence[str], wanted: Sequence[str]) -> Window | None:
    """The run of at most ``len(wanted) + WINDOW_SLACK`` tokens holding the most distinct
    query words (ties: the most in the query's order, the fewest other words, the first);
    None when no query word occurs."""
    position = {w: len(wanted) - k for k, w in enumerate(reversed(wanted))}  # first index
    targets = set(wanted)
    width = len(wanted) + WINDOW_SLACK
    best: Window | None = None
    for i, token in enumerate(tokens):
        if token not in targets:
            continue
        seen: dict[str, int] = {}
        last = i
        for j in range(i, min(i + width, len(tokens))):
            if tokens[j] in targets and tokens[j] not in seen:
                seen[tokens[j]] = position[tokens[j]]
                last = j
        order = list(seen.values())
        ordered = sum(1 for a, b in zip(order, order[1:], strict=False) if a < b)
        gaps = sum(1 for t in tokens[i : last + 1] if t not in targets)
        window = Window(len(seen), i, last, gaps, ordered)
        if best is None or _rank(window) > _rank(best):
            best = window
    return best


def _rank(window: Window) -> tuple[int, int, int]:
    return window.count, window.ordered, -window.gaps


def partial_need(n_words: int) -> int | None:
    """How many of a query's ``n_words`` distinct words a span must hold to match in part
    (speech recognition mishears words): all but one for 3-5 words, all but two for 6 or
    more; None below 3 words (too few to tell a mishearing from a different sentence)."""
    if n_words < 3:
        return None
    return n_words - (1 if n_words <= 5 else 2)


def _find_run(tokens: list[str], wanted: list[str]) -> int | None:
    n = len(wanted)
    if not n:
        return None
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] == wanted:
            return i
    return None


def _time(item: Sequence[object], index: int) -> float:
    return float(item[index])  # type: ignore[arg-type]
