"""Types of the optional C extension ``csrc/injection/`` in the repository (import it through :mod:`.speedups`)."""

class Words:
    """The words of ``text``, as ``re.findall(r"\\w+", text)`` finds them, found and hashed once."""

    def __init__(self, text: str) -> None: ...
    def __len__(self) -> int: ...
    def one_letter_run(self, n: int, /) -> bool:
        """Whether ``n`` words of one character follow each other."""

class Lexicon:
    """Weights of words and of adjacent word pairs."""

    def __init__(self, words: dict[str, float], pairs: dict[tuple[str, str], float]) -> None: ...
    def weigh(self, words: Words, /) -> tuple[float, float]:
        """The sums of the weights of the distinct words and of the distinct adjacent word pairs."""

class Triggers:
    """The rules' trigger and start words ``{word: ([(rule, group)], [rule])}`` (the groups it fills,
    the rules whose matches can start with it), trigger substrings ``[(fragment, rule, group, rare)]``
    (``rare``: one of its characters, looked for first) and each rule's number of groups (at most 64)."""

    def __init__(
        self,
        words: dict[str, tuple[list[tuple[int, int]], list[int]]],
        fragments: list[tuple[str, int, int, str]],
        groups: list[int],
    ) -> None: ...
    def candidates(self, words: Words, /) -> list[tuple[int, int]]:
        """``(rule, start)``, ascending: the rules every group of which has one of the words or a
        fragment in their text, with where their matches can start (the first of their start words;
        0 for rules without); rules none of whose start words is there are left out."""

class Confusables:
    """Look-alike letters and their Latin twins, character for character (as ``str.maketrans``)."""

    def __init__(self, lookalikes: str, latin: str) -> None: ...
    def unconfuse(self, text: str, /) -> tuple[str, bool]:
        """``text`` with the look-alikes of each run of letters that has a Latin letter too, or
        nothing but look-alikes, replaced; and whether such a run had a Latin letter."""

def run_of(text: str, chars: str, n: int, /) -> bool:
    """Whether ``n`` characters of ``chars`` (ASCII) follow each other in ``text``."""

def unbroken(text: str, n: int, /) -> bool:
    """Whether ``n`` characters that are not whitespace follow each other in ``text``."""

__all__ = ["Confusables", "Lexicon", "Triggers", "Words", "run_of", "unbroken"]
