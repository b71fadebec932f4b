"""The demo world: one coloured shape on a plain background per scene, described in five languages.

The vocabulary is fixed (other tools rely on it). Descriptions are grammatical in each
language, with gender and adjective agreement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SHAPES = ("circle", "square", "triangle", "star")
COLORS = ("red", "green", "blue", "yellow", "white", "black", "orange", "purple")
LANGUAGES = ("en", "es", "de", "fr", "zh")

RGB: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (30, 70, 220),
    "yellow": (245, 220, 40),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "orange": (245, 140, 20),
    "purple": (130, 40, 170),
}


@dataclass(frozen=True)
class Scene:
    """One shot: ``shape`` in ``color`` on a ``background`` from ``start`` to ``end`` seconds."""

    start: float
    end: float
    shape: str
    color: str
    background: str

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "shape": self.shape,
            "color": self.color,
            "background": self.background,
            "descriptions": {lang: describe_all(self, lang) for lang in LANGUAGES},
        }


# --- per-language grammar -------------------------------------------------------------

_ES_NOUN = {"circle": ("círculo", "m"), "square": ("cuadrado", "m"),
            "triangle": ("triángulo", "m"), "star": ("estrella", "f")}  # fmt: skip
_ES_ADJ = {"red": ("rojo", "roja"), "green": ("verde", "verde"), "blue": ("azul", "azul"),
           "yellow": ("amarillo", "amarilla"), "white": ("blanco", "blanca"),
           "black": ("negro", "negra"), "orange": ("naranja", "naranja"),
           "purple": ("morado", "morada")}  # fmt: skip

_DE_NOUN = {"circle": ("Kreis", "m"), "square": ("Quadrat", "n"),
            "triangle": ("Dreieck", "n"), "star": ("Stern", "m")}  # fmt: skip
_DE_STEM = {"red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb", "white": "weiß",
            "black": "schwarz", "orange": "orangefarben", "purple": "violett"}  # fmt: skip

_FR_NOUN = {"circle": ("cercle", "m"), "square": ("carré", "m"),
            "triangle": ("triangle", "m"), "star": ("étoile", "f")}  # fmt: skip
_FR_ADJ = {"red": ("rouge", "rouge"), "green": ("vert", "verte"), "blue": ("bleu", "bleue"),
           "yellow": ("jaune", "jaune"), "white": ("blanc", "blanche"), "black": ("noir", "noire"),
           "orange": ("orange", "orange"), "purple": ("violet", "violette")}  # fmt: skip

_ZH_NOUN = {"circle": "圆形", "square": "正方形", "triangle": "三角形", "star": "星形"}
_ZH_ADJ = {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色", "white": "白色",
           "black": "黑色", "orange": "橙色", "purple": "紫色"}  # fmt: skip


def _en(shape: str, color: str, bg: str | None, article: bool) -> str:
    def a(word: str) -> str:
        return ("an " if word[0] in "aeiou" else "a ") if article else ""

    head = f"{a(color)}{color} {shape}"
    return head if bg is None else f"{head} on {a(bg)}{bg} background"


def _es(shape: str, color: str, bg: str | None, article: bool) -> str:
    noun, gender = _ES_NOUN[shape]
    adj = _ES_ADJ[color][0 if gender == "m" else 1]
    head = f"{('un ' if gender == 'm' else 'una ') if article else ''}{noun} {adj}"
    return head if bg is None else f"{head} sobre {'un ' if article else ''}fondo {_ES_ADJ[bg][0]}"


def _de(shape: str, color: str, bg: str | None, article: bool) -> str:
    noun, gender = _DE_NOUN[shape]
    stem = _DE_STEM[color]
    if article:  # mixed declension after "ein": m -er, n -es
        head = f"ein {stem}{'er' if gender == 'm' else 'es'} {noun}"
    else:  # strong declension, nominative
        head = f"{stem}{'er' if gender == 'm' else 'es'} {noun}"
    return head if bg is None else f"{head} auf {_DE_STEM[bg]}em Hintergrund"


def _fr(shape: str, color: str, bg: str | None, article: bool) -> str:
    noun, gender = _FR_NOUN[shape]
    adj = _FR_ADJ[color][0 if gender == "m" else 1]
    head = f"{('un ' if gender == 'm' else 'une ') if article else ''}{noun} {adj}"
    return head if bg is None else f"{head} sur fond {_FR_ADJ[bg][0]}"


def _zh(shape: str, color: str, bg: str | None, article: bool) -> str:
    head = f"{'一个' if article else ''}{_ZH_ADJ[color]}{'的' if article else ''}{_ZH_NOUN[shape]}"
    return head if bg is None else f"{_ZH_ADJ[bg]}背景上的{head}"


_GRAMMAR = {"en": _en, "es": _es, "de": _de, "fr": _fr, "zh": _zh}


def describe(
    shape: str, color: str, background: str | None = None, lang: str = "en", article: bool = True
) -> str:
    """One phrasing of a scene in ``lang``; ``background=None`` leaves the background out."""
    if shape not in SHAPES or color not in COLORS or (background and background not in COLORS):
        raise ValueError(f"not in the demo vocabulary: {shape!r} {color!r} {background!r}")
    return _GRAMMAR[lang](shape, color, background, article)


def describe_all(scene: Scene, lang: str) -> list[str]:
    """Every phrasing of ``scene`` in ``lang``: with and without article and background."""
    return [
        describe(scene.shape, scene.color, bg, lang, article)
        for bg in (scene.background, None)
        for article in (True, False)
    ]


def random_scenes(
    rng: random.Random, duration: float, min_len: float = 3.0, max_len: float = 6.0
) -> list[Scene]:
    """Cut ``duration`` seconds into scenes; consecutive scenes always differ visibly."""
    scenes: list[Scene] = []
    t = 0.0
    while duration - t > 1e-6:
        length = rng.uniform(min_len, max_len)
        end = duration if duration - (t + length) < min_len else t + length
        while True:
            shape, color, bg = rng.choice(SHAPES), *rng.sample(COLORS, 2)
            prev = scenes[-1] if scenes else None
            if prev is None or (shape, color, bg) != (prev.shape, prev.color, prev.background):
                break
        scenes.append(Scene(round(t, 3), round(end, 3), shape, color, bg))
        t = end
    return scenes
