"""The alignment's array form (every bead's length term and match at once, the cells row by row)
against the readable dynamic programme it replaced: the same beads, bead for bead, with the same
floats. (The choice of the end cell is shared.)"""
import math
import random

from pipeline.steps import halves
from pipeline.steps.halves import _BEADS, Alignment, _bead_log_prob, _match_score


def reference_alignment(lens_a, lens_b, anchors_a, anchors_b, ratio, match_weight=2.0) -> Alignment:
    n, m = len(lens_a), len(lens_b)
    neg = -1e18
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back = [[None] * (m + 1) for _ in range(n + 1)]
    for i in range(min(n - 1, halves._MAX_FREE_LEAD) + 1):
        for j in range(min(m - 1, halves._MAX_FREE_LEAD) + 1):
            if i == 0 or j == 0:
                best[i][j] = 0.0
    cum_a, cum_b = [0.0], [0.0]
    for x in lens_a:
        cum_a.append(cum_a[-1] + x)
    for x in lens_b:
        cum_b.append(cum_b[-1] + x)
    band = max(halves._MIN_BAND, halves._BAND_SHARE * max(cum_a[n], cum_b[m] / ratio))
    for i in range(n + 1):
        for j in range(m + 1):
            here = best[i][j]
            if here <= neg / 2 or abs(cum_a[i] - cum_b[j] / ratio) > band:
                continue
            for (da, db), prior in _BEADS.items():
                ii, jj = i + da, j + db
                if ii > n or jj > m:
                    continue
                if da and db:
                    logp = _bead_log_prob(cum_a[ii] - cum_a[i], cum_b[jj] - cum_b[j], ratio)
                    match = _match_score(frozenset().union(*anchors_a[i:ii]), frozenset().union(*anchors_b[j:jj]))
                    reward = halves._BEAD_REWARD + halves._LINE_REWARD * (da + db - 2)
                    score = here + prior + logp + reward + match_weight * match
                else:
                    logp, match = 0.0, 0.0
                    score = here + prior - halves._SKIP_PENALTY
                if score > best[ii][jj]:
                    best[ii][jj] = score
                    back[ii][jj] = (i, j, logp, match)
    total, i, j = halves.best_end(best)
    beads = []
    while back[i][j] is not None:
        pi, pj, logp, match = back[i][j]
        if i > pi and j > pj:
            beads.append(halves.Bead(tuple(range(pi, i)), tuple(range(pj, j)), logp, match))
        i, j = pi, pj
    beads.reverse()
    return Alignment(beads, ratio, total)


def _random_case(rng: random.Random, max_lines: int = 14):
    kinds = ["n", "w", "k", "h", "d", "c"]
    vocabulary = [(rng.choice(kinds), f"t{k}") for k in range(rng.randint(1, 40))]

    def side(count):
        lens = [rng.choice([0.0, rng.uniform(5, 600)]) if rng.random() < 0.1 else rng.uniform(5, 600)
                for _ in range(count)]
        anchors = [frozenset(rng.sample(vocabulary, rng.randint(0, min(6, len(vocabulary)))))
                   for _ in range(count)]
        return lens, anchors

    lens_a, anchors_a = side(rng.randint(1, max_lines))
    lens_b, anchors_b = side(rng.randint(1, max_lines))
    return lens_a, lens_b, anchors_a, anchors_b, rng.uniform(0.8, 1.25)


def test_fast_alignment_equals_the_readable_one_on_random_halves():
    rng = random.Random(20251122)
    for _ in range(300):
        case = _random_case(rng)
        fast = halves.align_halves(*case)
        slow = reference_alignment(*case)
        assert fast.beads == slow.beads
        assert fast.score == slow.score or (math.isnan(fast.score) and math.isnan(slow.score))
        assert [type(b.match) for b in fast.beads] == [type(b.match) for b in slow.beads]


def test_fast_alignment_equals_the_readable_one_on_long_halves_and_empty_ones():
    # long halves: the band around the diagonal cuts cells off; an empty half: nothing to align
    rng = random.Random(7)
    for _ in range(20):
        case = _random_case(rng, max_lines=60)
        fast, slow = halves.align_halves(*case), reference_alignment(*case)
        assert fast.beads == slow.beads and fast.score == slow.score
    for lens_a, anchors_a in (([], []), ([120.0, 80.0], [frozenset({("n", "12")}), frozenset()])):
        case = (lens_a, [], anchors_a, [], 1.0)
        assert halves.align_halves(*case) == reference_alignment(*case)
        case = ([], lens_a, [], anchors_a, 1.0)
        assert halves.align_halves(*case) == reference_alignment(*case)


def test_alignments_of_several_orders_at_once_equal_each_alone():
    # align_orders (the out-of-order check's alignments together): each the alignment of its order
    rng = random.Random(31)
    for case_number in range(200):
        lens_a, lens_b, anchors_a, anchors_b, ratio = _random_case(rng, max_lines=14 if case_number < 180 else 50)
        m = len(lens_b)
        orders = [list(range(m)), list(range(m - 1, -1, -1)), rng.sample(range(m), m)]
        lens_bs = [[lens_b[k] for k in order] for order in orders]
        anchors_bs = [[anchors_b[k] for k in order] for order in orders]
        together = halves.align_orders(lens_a, lens_bs, anchors_a, anchors_bs, ratio)
        for alignment, lens, anchors in zip(together, lens_bs, anchors_bs):
            alone = halves.align_halves(lens_a, lens, anchors_a, anchors, ratio)
            assert alignment.beads == alone.beads and alignment.score == alone.score
            assert [type(b.match) for b in alignment.beads] == [type(b.match) for b in alone.beads]


def test_fast_alignment_equals_the_readable_one_on_a_real_pair():
    from tests.test_halves import ARTICLE_DE, ARTICLE_EN

    lines = ARTICLE_EN + ARTICLE_DE
    feats = [halves.line_features(line) for line in lines]
    k = len(ARTICLE_EN)
    anchors_a = halves.anchor_sets(ARTICLE_EN, feats[:k], "en", "de")
    anchors_b = halves.anchor_sets(ARTICLE_DE, feats[k:], "de", "en")
    case = ([f.length for f in feats[:k]], [f.length for f in feats[k:]], anchors_a, anchors_b, 1.1)
    fast, slow = halves.align_halves(*case), reference_alignment(*case)
    assert fast.beads == slow.beads and fast.score == slow.score
    assert len(fast.beads) >= 4


def test_length_term_floor_starts_where_erfc_is_below_it():
    # _length_logps writes the floor without calling erfc from _ERFC_FLOOR_X on
    for k in range(2000):
        assert math.erfc(halves._ERFC_FLOOR_X + k * 0.01) < 1e-12
    # ... and below _ERFC_ABOVE_FLOOR_X it takes log(erfc(x)) without comparing with the floor
    for k in range(5041):
        assert math.erfc(halves._ERFC_ABOVE_FLOOR_X - k * 0.001) > 1e-12


def test_popcount_of_words_and_its_byte_table_fallback_agree():
    import numpy as np

    words = np.random.RandomState(3).randint(0, 1 << 62, size=(4, 5, 3), dtype=np.uint64) * np.uint64(3)
    expected = [[sum(bin(int(x)).count("1") for x in row) for row in block] for block in words]
    assert halves._popcount_rows(words).tolist() == expected
    assert halves._BYTE_POPCOUNT[words.view(np.uint8)].sum(axis=-1).tolist() == expected
