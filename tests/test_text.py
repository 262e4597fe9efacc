from normalizers.sentences import sentences
from normalizers.text import TEXT_VERSION, html_to_document, text_to_document

PAGE = """<html><head><title>Visas</title><script>var x = "We sponsor H-1B";</script>
<style>p {color: red}</style></head><body>
<nav><a href="/">Home</a><a href="/visa">Visa</a></nav>
<h1>Visa <em>policy</em></h1>
<p>We sponsor J-1 visas.<br>We do not sponsor H-1B visas.</p>
<table><tr><th>Name</th><th>Medical School</th></tr><tr><td>Ana Ruiz</td><td>SGU</td></tr></table>
<!-- a comment that says we sponsor everything -->
<div hidden>Hidden text</div>
</body></html>"""


def test_offsets_point_at_the_quoted_text():
    doc = html_to_document(PAGE)
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == doc.block_text(block)
    start = doc.text.index("We do not sponsor")
    assert doc.block_at(start).locator == "body > p:nth-of-type(1)"


def test_scripts_styles_comments_and_hidden_text_are_not_text():
    text = html_to_document(PAGE).text
    assert "var x" not in text and "color" not in text
    assert "comment" not in text and "Hidden" not in text


def test_blocks_keep_headings_rows_and_navigation_apart():
    doc = html_to_document(PAGE)
    kinds = {doc.block_text(b): b.kind for b in doc.blocks}
    assert kinds["Visa policy"] == "heading"
    assert kinds["Ana Ruiz | SGU"] == "row"
    assert kinds["HomeVisa"] == "nav"
    row = next(b for b in doc.blocks if b.kind == "row" and "Ana" in doc.block_text(b))
    assert row.cells == ("Ana Ruiz", "SGU")


def test_deterministic_and_versioned():
    assert html_to_document(PAGE).text == html_to_document(PAGE).text
    assert html_to_document(PAGE).text_version == TEXT_VERSION


def test_sentences_skip_navigation_and_keep_abbreviations_together():
    doc = html_to_document("<nav>Visa FAQ</nav><p>Dr. Lee runs the U.S. program. It is new.</p>")
    assert [s.text for s in sentences(doc)] == ["Dr. Lee runs the U.S. program.", "It is new."]


def test_plain_text_lines_become_blocks():
    doc = text_to_document("PGY-1 Residents\n\nAna Ruiz, MD - St. George's University\n")
    assert [b.kind for b in doc.blocks] == ["heading", "text"]
