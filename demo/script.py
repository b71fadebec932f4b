"""What a speaking demo video says and shows: one narrated sentence, one piece of on-screen
text and one subtitle cue per language for each scene, drawn from ``demo/vocabulary.py``.

``Decks`` deals words per library so that sentences and signs do not repeat words that make
them findable (see the vocabulary's docstring).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from vidseek.demo.vocabulary import (
    EN_ADJECTIVES,
    EN_PEOPLE,
    EN_PLACES,
    EN_PREPOSITIONS,
    EN_QUALITIES,
    EN_SIGNS,
    EN_THINGS,
    EN_VERBS,
    OTHER,
)


@dataclass
class Decks:
    """Shuffled decks of words, one per slot; a slot's deck is reshuffled when it runs out."""

    rng: random.Random
    _decks: dict[str, list[str]] = field(default_factory=dict)

    def deal(self, slot: str, words: tuple[str, ...]) -> str:
        deck = self._decks.get(slot)
        if not deck:
            deck = list(words)
            self.rng.shuffle(deck)
            self._decks[slot] = deck
        return deck.pop()


def english_sentence(decks: Decks) -> str:
    """ "The tired farmer carried the heavy ladder behind the station." """
    rng = decks.rng
    return (
        f"The {rng.choice(EN_ADJECTIVES)} {decks.deal('person', EN_PEOPLE)} "
        f"{decks.deal('verb', EN_VERBS)} the {rng.choice(EN_QUALITIES)} "
        f"{decks.deal('thing', EN_THINGS)} {rng.choice(EN_PREPOSITIONS)} the "
        f"{decks.deal('place', EN_PLACES)}."
    )


def other_sentence(decks: Decks, lang: str) -> str:
    """A sentence in ``lang`` (es, de, fr, zh) from that language's own words."""
    words = OTHER[lang]
    parts = [decks.deal(f"{lang}:{slot}", words[slot]) for slot in ("subject", "verb", "object")]
    place = decks.deal(f"{lang}:place", words["place"])
    if lang == "zh":  # subject, place, verb, object: 面包师在河边买了梯子。
        return f"{parts[0]}{place}{parts[1]}{parts[2]}。"
    if lang == "de":  # verb second, place after the object
        return f"{parts[0]} {parts[1]} {parts[2]} {place}."
    return f"{parts[0]} {parts[1]} {parts[2]} {place}."


def sign_text(decks: Decks, lang: str) -> str:
    """Two place names in ``lang``, as on a direction sign: "Bahnhof · Museum"."""
    words = EN_SIGNS if lang == "en" else OTHER[lang]["sign"]
    first = decks.deal(f"{lang}:sign", words)
    second = decks.deal(f"{lang}:sign", words)
    return f"{first}{second}" if lang == "zh" else f"{first} {second}"
