"""find_repeated_copy compares the shingles of a line with the first two lines only where enough of
their tokens occur in it as substrings; the answer must be the one comparing every line's shingles."""
import random

from pipeline.steps import halves


def reference_repeated_copy(lines, langs, min_lines=2, threshold=0.4, min_share=0.6):
    """The readable version: every line's shingles against the first two lines'."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    n = len(content)
    if n < 2 * min_lines:
        return None
    sets = [halves.shingles(lines[i]) for i in content]
    starts = [p for p in range(min_lines, n - min_lines + 1)
              if any(halves.overlap(sets[k], sets[p]) >= threshold for k in range(min(2, p)))]
    if not starts:
        return None
    sim = [[halves.overlap(sets[a], sets[b]) if a < b else 0.0 for b in range(n)] for a in range(n)]
    langs = [halves.base_lang(langs[i]) for i in content]
    best = None
    for p in starts:
        chain = halves._monotone_matches(sim, range(0, p), range(p, n), threshold)
        if len(chain) < min_lines or len(chain) / min(p, n - p) < min_share:
            continue
        if halves._main_lang(langs[:p], sets[:p]) != halves._main_lang(langs[p:], sets[p:]):
            continue
        rank = len(chain) / max(p, n - p)
        if best is None or rank > best[0]:
            best = (rank, p, chain)
    if best is None:
        return None
    _rank, p, chain = best
    return halves.RepeatedFound(content[p], halves._main_lang(langs[:p], sets[:p]),
                                [(content[a], content[b]) for a, b in chain], content[:p], content[p:])


def _document(rng: random.Random) -> list[str]:
    words = ["minister", "said", "the", "budget", "vote", "Berlin", "talks", "would", "河南", "省政府",
             "宣布", "经济", "増加", "and", "for", "bank", "rates", "2024", "news", "city"]

    def line():
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))

    first = [line() for _ in range(rng.randint(2, 6))]
    second = [l if rng.random() < 0.7 else line() for l in first[:rng.randint(1, len(first))]]
    return first + ([""] if rng.random() < 0.5 else []) + second + [line() for _ in range(rng.randint(0, 3))]


def test_repeated_copy_finds_the_restarts_that_comparing_every_line_finds():
    rng = random.Random(11)
    found = 0
    for _ in range(400):
        lines = _document(rng)
        langs = ["en"] * len(lines)
        for min_lines in (1, 2):
            result = halves.find_repeated_copy(lines, langs, min_lines=min_lines)
            assert result == reference_repeated_copy(lines, langs, min_lines=min_lines)
            found += result is not None
    assert found > 40
