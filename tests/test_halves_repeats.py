"""find_repeated_copy computes a line's shingles only where enough of a head line's tokens occur in it
as substrings (`restart_lines`); the restarts must be those found by comparing every line's shingles."""
import random

from pipeline.steps import halves


def _document(rng: random.Random) -> list[str]:
    words = ["minister", "said", "the", "budget", "vote", "Berlin", "talks", "would", "河南", "省政府",
             "宣布", "经济", "増加", "and", "for", "bank", "rates", "2024", "news", "city"]

    def line():
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))

    first = [line() for _ in range(rng.randint(2, 6))]
    second = [l if rng.random() < 0.7 else line() for l in first[:rng.randint(1, len(first))]]
    return first + second + [line() for _ in range(rng.randint(0, 3))]


def test_restart_lines_are_those_every_line_comparison_finds():
    rng = random.Random(11)
    found = 0
    for _ in range(400):
        lines = _document(rng)
        sets = [halves.shingles(line) for line in lines]
        for min_lines in (1, 2):
            every = [p for p in range(min_lines, len(lines) - min_lines + 1)
                     if any(halves.overlap(sets[k], sets[p]) >= 0.4 for k in range(min(2, p)))]
            texts = [halves._shingle_text(line) for line in lines]
            assert halves.restart_lines(texts, sets[:2], min_lines, 0.4) == every
            found += bool(every)
    assert found > 100


def test_repeated_copy_found_with_the_restarts():
    lines = ["Minister says budget vote will wait", "The minister said on Monday that the vote would wait.",
             "Talks continue in Berlin.", "Minister says budget vote will wait",
             "The minister said on Monday that the vote would wait.", "Talks continue in Berlin."]
    found = halves.find_repeated_copy(lines, ["en"] * len(lines))
    assert found is not None and found.split_line == 3 and found.pairs == [(0, 3), (1, 4), (2, 5)]
