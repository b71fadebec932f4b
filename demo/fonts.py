"""The font the demo world writes with: Noto Sans CJK from the Debian package fonts-noto-cjk.

One font covers all five languages (Latin with accents and simplified Chinese).
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

from vidseek.core.errors import VidseekError

CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
SC_INDEX = 2  # face index of "Noto Sans CJK SC" (simplified Chinese) in the collection


def font_path() -> Path:
    """The Noto Sans CJK collection on this machine, or a clear error naming the package."""
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise VidseekError(
        "the demo world needs the Noto Sans CJK font (Debian/Ubuntu: apt-get install "
        f"fonts-noto-cjk); looked in {', '.join(CANDIDATES)}"
    )


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC at ``size`` pixels."""
    return ImageFont.truetype(str(font_path()), size, index=SC_INDEX)
