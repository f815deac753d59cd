"""The chain's choice between trafilatura's and readability's text (pipeline/steps/html.choose_text)."""
from pipeline.steps import html

ARTICLE = [
    "Ministers met the doctors' union on Monday to settle the dispute over the new prescription rules.",
    "The union said the talks would resume next week if the ministry publishes the list of refunded medicines.",
]
COMMENTS = [
    f"Reader {i}: the doctors only protect their own income here, and patients pay the price once again."
    for i in range(6)
]
FOOTER = [
    "All materials on this site are protected by copyright law and may be quoted only with a link.",
    "The editorial office is not responsible for the content of advertisements or reader submissions.",
]


def page(*blocks: list[str]) -> str:
    body = "".join("<div>" + "".join(f"<p>{p}</p>" for p in block) + "</div>" for block in blocks)
    return f"<html><head><title>Doctors and ministers</title></head><body>{body}</body></html>"


def test_disagreeing_extractions_keep_the_article_above_the_comments():
    # trafilatura took the (longer) comment thread, readability the article: the article comes first
    text, method = html.choose_text("\n".join(COMMENTS), "\n".join(ARTICLE), html.HtmlOptions(),
                                    page(ARTICLE, COMMENTS))
    assert method == "readability.earlier_in_page"
    assert ARTICLE[0] in text and "Reader 3" not in text


def test_disagreeing_extractions_keep_the_article_above_the_legal_footer():
    # readability took the legal notice under the article: trafilatura's article stays
    text, method = html.choose_text("\n".join(ARTICLE), "\n".join(FOOTER), html.HtmlOptions(),
                                    page(ARTICLE, FOOTER))
    assert method == "trafilatura"
    assert ARTICLE[1] in text and "copyright" not in text


def test_position_rule_only_for_disagreement_and_with_the_page():
    # readability's article inside trafilatura's text: the containment rule decides, not the position
    traf = "\n".join(COMMENTS[:1] + ARTICLE)
    text, method = html.choose_text(traf, "\n".join(ARTICLE), html.HtmlOptions(), page(COMMENTS[:1], ARTICLE))
    assert method == "readability.inside_trafilatura" and "Reader 0" not in text
    # without the page (or switched off) two disagreeing texts fall back to trafilatura's
    args = ("\n".join(COMMENTS), "\n".join(ARTICLE))
    assert html.choose_text(*args, html.HtmlOptions())[1] == "trafilatura"
    assert html.choose_text(*args, html.HtmlOptions(by_position=False), page(ARTICLE, COMMENTS))[1] == "trafilatura"


def test_text_position_finds_table_rows_and_list_items():
    text_of_page = " ".join(["Menu Home News Sport"] + ARTICLE + ["Latest: Storm closes the coastal road", "Contact us"])
    assert html.text_position(text_of_page, "\n".join(ARTICLE)) < 0.5
    # trafilatura renders tables as "| a | b |" and lists as "- item"
    assert html.text_position(text_of_page, "| Latest: | Storm closes the coastal road |\n- Contact us") > 0.5
    assert html.text_position(text_of_page, "A sentence that is nowhere on the page at all.") is None


def test_trafilatura_missing_part_of_the_article_gives_readabilitys_whole_article():
    # trafilatura's precision mode dropped paragraphs readability has (both texts from the same article)
    paragraphs = ARTICLE + [
        "Pharmacists asked both sides for a written agreement before the end of the month, their chamber said.",
        "Patients' groups warned that the confusion at the counter had lasted for three weeks already.",
    ]
    traf = "\n".join(paragraphs[:2])  # a bit over half of readability's words
    text, method = html.choose_text(traf, "\n".join(paragraphs), html.HtmlOptions(), page(paragraphs))
    assert method == "readability.thin_trafilatura" and paragraphs[3] in text
