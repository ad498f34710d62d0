"""Code blocks highlighted with the real Pygments: token classes, lines kept, safe markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from aipexport.render.highlight import highlight

PYTHON = '''import os

def greet(name):
    """Say hello."""
    return f"hello {name}"  # a comment
'''

JS = """const answer = 42;
// a comment
function greet(name) {
  return 'hello ' + name;
}
"""

CLASS = re.compile(r"line|tok-[a-z0-9]+( tok-[a-z0-9]+)?")


class _Markup(HTMLParser):
    """Records what an HTML fragment holds: tags, attributes, entities and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.entities: set[str] = set()
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "span":
            self.problems.append(f"tag <{tag}>")
        if [name for name, _ in attrs] != ["class"]:
            self.problems.append(f"attributes {attrs} on <{tag}>")
        elif not CLASS.fullmatch(attrs[0][1] or ""):
            self.problems.append(f"class {attrs[0][1]!r}")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        self.entities.add(name)
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.problems.append(f"character reference &#{name};")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("declaration")


def parse(markup: str) -> _Markup:
    parser = _Markup()
    parser.feed(markup)
    parser.close()
    assert not parser.open, f"unclosed {parser.open}"
    return parser


def lines(markup: str) -> list[str]:
    """The markup of each line span; asserts every line is one span followed by a newline."""
    assert markup.endswith("</span>\n")
    found = markup.split("\n")[:-1]
    for line in found:
        assert line.startswith('<span class="line">') and line.endswith("</span>"), line
    return found


def tokens(markup: str, kind: str) -> list[str]:
    """The texts of the spans whose classes include tok-KIND."""
    spans = re.findall(r'<span class="([^"]*)">([^<]*)</span>', markup)
    return [html.unescape(text) for classes, text in spans if f"tok-{kind}" in classes.split()]


def test_python_keywords_strings_and_comments_get_token_classes() -> None:
    markup = highlight(PYTHON, "python")
    assert '<span class="tok-k">def</span>' in markup
    assert '<span class="tok-k">return</span>' in markup
    assert '<span class="tok-k tok-kn">import</span>' in markup
    assert '<span class="tok-n tok-nf">greet</span>' in markup
    assert '"""Say hello."""' in tokens(markup, "s")
    assert "# a comment" in tokens(markup, "c")


def test_js_keywords_strings_numbers_and_comments_get_token_classes() -> None:
    markup = highlight(JS, "javascript")
    assert tokens(markup, "k") == ["const", "function", "return"]
    assert tokens(markup, "s") == ["'hello '"]
    assert tokens(markup, "m") == ["42"]
    assert tokens(markup, "c") == ["// a comment"]
    assert "+" in tokens(markup, "o")
    assert highlight(JS, "js") == markup


@pytest.mark.parametrize("language", ["", "no-such-language", "text", "regex"])
def test_unknown_or_no_language_gives_escaped_plain_lines(language: str) -> None:
    markup = highlight("if a < b && c > d:\n    pass\n", language)
    assert markup == (
        '<span class="line">if a &lt; b &amp;&amp; c &gt; d:</span>\n'
        '<span class="line">    pass</span>\n'
    )


def test_the_language_is_never_guessed() -> None:
    assert "tok-" not in highlight(PYTHON, "")
    assert "tok-" not in highlight("#!/usr/bin/env python\nimport os\n", "")


@pytest.mark.parametrize("language", ["python", "html", "js", ""])
def test_script_tags_in_code_come_out_escaped(language: str) -> None:
    code = '# <script>alert("x")</script>\nx = "<script>"\n'
    markup = highlight(code, language)
    assert "<script" not in markup
    assert "</script" not in markup
    assert markup.count("&lt;") == 3
    assert "".join(parse(markup).text) == code


@pytest.mark.parametrize("language", ["python", "go", ""])
def test_tabs_become_four_columns(language: str) -> None:
    markup = highlight("if x:\n\tpass\n\t\tx\nab\tc\n", language)
    text = "".join(parse(markup).text)
    assert "\t" not in text
    assert text == "if x:\n    pass\n        x\nab  c\n"


@pytest.mark.parametrize("language", ["python", "js", "bash", ""])
def test_line_count_is_kept_with_empty_lines_at_the_start_middle_and_end(language: str) -> None:
    code = "\n\nx = 1\n\n\ny = 2\n\n"
    found = lines(highlight(code, language))
    assert len(found) == 7
    assert [i for i, line in enumerate(found) if line == '<span class="line"></span>'] == [
        0,
        1,
        3,
        4,
        6,
    ]


def test_one_final_newline_ends_the_last_line() -> None:
    assert highlight("x = 1", "python") == highlight("x = 1\n", "python")
    assert len(lines(highlight("x = 1\n\n", "python"))) == 2
    assert highlight("", "python") == ""
    assert highlight("\n", "python") == '<span class="line"></span>\n'


def test_leading_and_trailing_white_space_is_kept() -> None:
    markup = highlight("   x = 1   \n", "python")
    assert "".join(parse(markup).text) == "   x = 1   \n"


def test_windows_and_old_mac_line_breaks_count_as_lines() -> None:
    assert highlight("a = 1\r\nb = 2\rc = 3", "python") == highlight(
        "a = 1\nb = 2\nc = 3", "python"
    )


def test_a_multi_line_token_is_split_at_each_line() -> None:
    found = lines(highlight('x = """one\ntwo\nthree"""\n', "python"))
    assert len(found) == 3
    for line in found:
        assert parse(line).open == []
    assert found[1] == '<span class="line"><span class="tok-s tok-s2">two</span></span>'


def test_cpp_alias_and_options_after_the_name() -> None:
    code = "#include <vector>\nint main() { return 0; }\n"
    markup = highlight(code, "c++")
    assert '<span class="tok-k tok-kt">int</span>' in markup
    assert "&lt;vector&gt;" in markup
    assert highlight(code, "cpp") == markup
    assert highlight(code, "C++ {linenos}") == markup
    assert highlight(PYTHON, "python {linenos}") == highlight(PYTHON, "python")
    assert highlight(JS, 'js title="x.js"') == highlight(JS, "js")
    assert highlight(PYTHON, "Python") == highlight(PYTHON, "python")


SNIPPETS = {
    "python": PYTHON,
    "js": JS,
    "jsx": "const el = <div className=\"a\">{x && '<b>'}</div>;\n",
    "ts": "let n: number = 1; // &amp;\n",
    "c++": "template <typename T> T max(T a, T b) { return a > b ? a : b; }\n",
    "mysql": "SELECT `a` FROM t WHERE b <> 'x' -- c\n",
    "shell": 'echo "$HOME" > /dev/null && ls | grep x\n',
    "java": 'class A { String s = "<&>"; }\n',
    "scala": 'object A { val s = s"${x}" }\n',
    "swift": 'let s = "\\(x)" // c\n',
    "json": '{"a": [1, 2.5, true, null], "<": "&"}\n',
    "css": "a > b::before { content: '<'; }\n",
    "html": '<!DOCTYPE html>\n<p class="x" onclick="y()">a &amp; b<!-- c --></p>\n',
    "powershell": "Get-Item -Path 'C:\\x' | Where-Object { $_.Length -gt 1 }\n",
    "plantuml": "@startuml\nA -> B : <msg>\n@enduml\n",
    "diff": "--- a\n+++ b\n-old <\n+new &\n",
}


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_output_is_only_spans_with_classes_and_keeps_the_text(language: str) -> None:
    code = SNIPPETS[language]
    markup = highlight(code, language)
    parsed = parse(markup)
    assert parsed.problems == []
    assert parsed.entities <= {"amp", "lt", "gt"}
    assert "".join(parsed.text) == code
    assert len(lines(markup)) == code.count("\n")
    assert re.findall(r"<(?!/?span[ >])", markup) == []
    assert highlight(code, language) == markup


def test_every_token_type_gets_its_kind_and_its_own_class() -> None:
    from pygments.token import STANDARD_TYPES, Token  # type: ignore[import-untyped]

    from aipexport.render.highlight import _classes

    for ttype, short in STANDARD_TYPES.items():
        classes = _classes(ttype)
        assert classes == "" or CLASS.fullmatch(classes), (ttype, classes)
        if ttype in Token.Text or ttype is Token:
            assert classes == "", ttype
        else:
            assert classes.split()[-1] == f"tok-{short}", ttype
    assert _classes(Token.Literal.String.Double) == "tok-s tok-s2"
    assert _classes(Token.Keyword) == "tok-k"
    # A type of a lexer's own takes the classes of its nearest parent with a short name.
    assert _classes(Token.Name.Builtin.NoSuchSubtype) == "tok-n tok-nb"
    assert _classes(Token.NoSuchKind) == ""
