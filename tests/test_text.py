from normalizers.sentences import sentences
from normalizers.text import TEXT_VERSION, html_to_document, text_to_document

PAGE = """<html><head><title>Visas</title><script>var x = "We sponsor H-1B";</script>
<style>p {color: red}</style></head><body>
<nav><a href="/">Home</a><a href="/visa">Visa</a></nav>
<h1>Visa <em>policy</em></h1>
<p>We sponsor J-1 visas.<br>We do not sponsor H-1B visas.</p>
<table><tr><th>Name</th><th>Medical School</th></tr><tr><td>Ana Ruiz</td><td>SGU</td></tr></table>
<!-- a comment that says we sponsor everything -->
<div class="accordion-panel" hidden>Hidden panel text</div>
</body></html>"""


def test_offsets_point_at_the_quoted_text():
    doc = html_to_document(PAGE)
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == doc.block_text(block)
    start = doc.text.index("We do not sponsor")
    assert doc.block_at(start).locator == "body > p:nth-of-type(1)"


def test_scripts_styles_and_comments_are_not_text_but_closed_panels_are():
    text = html_to_document(PAGE).text
    assert "var x" not in text and "color" not in text
    assert "comment" not in text
    assert "Hidden panel text" in text  # an accordion panel: a reader opens it


def test_site_chrome_and_link_lines_are_navigation():
    doc = html_to_document(
        """<body><header><p>Oriel Bay Health</p></header>
        <a href="#main">Skip to main content</a>
        <div class="site-menu"><p>Residency overview</p></div>
        <main><header><p>Our policy, in short.</p></header>
        <p><a href="/e">Eligibility</a> · <a href="/r">Requirements</a> · <a href="/c">Contact</a></p>
        <p>We sponsor J-1 visas; see <a href="/v">the visa page</a> and <a href="/f">FAQ</a>.</p>
        </main><footer><p>We value diversity.</p></footer></body>"""
    )
    kinds = {doc.block_text(b): b.kind for b in doc.blocks}
    assert kinds["Oriel Bay Health"] == "nav"  # the site banner
    assert kinds["Skip to main content"] == "nav"
    assert kinds["Residency overview"] == "nav"  # class "site-menu"
    assert kinds["Our policy, in short."] == "text"  # the article's own header
    assert kinds["Eligibility · Requirements · Contact"] == "nav"
    assert kinds["We sponsor J-1 visas; see the visa page and FAQ."] == "text"
    assert kinds["We value diversity."] == "nav"


def test_blocks_keep_headings_rows_and_navigation_apart():
    doc = html_to_document(PAGE)
    kinds = {doc.block_text(b): b.kind for b in doc.blocks}
    assert kinds["Visa policy"] == "heading"
    assert kinds["Ana Ruiz | SGU"] == "row"
    assert kinds["Home · Visa"] == "nav"  # adjacent links stay apart
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
