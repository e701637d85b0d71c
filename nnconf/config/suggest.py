"""'Did you mean ...?' for misspelt keys and names."""

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    candidates = list(candidates)
    for candidate in candidates:
        if candidate.lower() == word.lower():
            return candidate
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: object, candidates: Iterable[str]) -> str | None:
    match = closest(word, candidates) if isinstance(word, str) else None
    return f"did you mean {match!r}?" if match else None


def listing(candidates: Iterable[str], limit: int = 12) -> str:
    items = sorted(candidates)
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")
