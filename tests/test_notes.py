"""The real notes through the real CLI: what a learner would find on the cards."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from aipexport.config import DEFAULT_STOP_TERMS
from aipexport.ids import normalise
from tests.conftest import NOTES, REPO, run_cli
from tests.textutil import html_text, note_line_texts, squash

MARKDOWN = NOTES.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cards() -> list[dict[str, Any]]:
    return json.loads(run_cli(["cards", "--format", "json", REPO / "source"]).stdout)


@pytest.fixture(scope="session")
def diagnostics() -> list[str]:
    return run_cli(["check", REPO / "source"]).stderr.splitlines()


def _line(card: dict[str, Any]) -> int:
    return int(card["source"].rsplit(":", 1)[1])


def test_the_notes_are_a_verbatim_copy() -> None:
    shared = REPO.parent / "shared" / "notes" / "aws-ai-practitioner.md"
    if shared.exists():  # the original lives beside the repository on the team's machines
        assert NOTES.read_bytes() == shared.read_bytes()
    assert NOTES.read_bytes().startswith(b"# AWS-Certified-AI-Practitioner\n")


def test_json_records_have_exactly_the_documented_keys(cards: list[dict[str, Any]]) -> None:
    keys = {"guid", "kind", "deck", "front", "back", "tags", "source"}
    assert cards and all(set(card) == keys for card in cards)
    assert {card["kind"] for card in cards} == {"topic", "term"}
    assert len({card["guid"] for card in cards}) == len(cards)


def test_every_bold_term_bullet_is_a_term_card(cards: list[dict[str, Any]]) -> None:
    # An independent reading of the Markdown: a bullet that opens with a bold term followed by
    # ':', '–' or ' - ', or a bold-only bullet with sub-bullets under it.
    lines = MARKDOWN.splitlines()
    stop = {normalise(t) for t in DEFAULT_STOP_TERMS}
    expected = set()
    for index, line in enumerate(lines):
        bullet = re.match(r"^(\s*)(?:[-*+]|\d+\.)\s+\*\*(.+?)\*\*(.*)$", line)
        if not bullet:
            continue
        indent, term, rest = bullet.groups()
        following = lines[index + 1] if index + 1 < len(lines) else ""
        has_children = len(following) - len(following.lstrip()) > len(indent) and re.match(
            r"\s*[-*+]\s", following
        )
        defined = (
            term.endswith(":")
            or re.match(r"\s*(:|–|—|-\s)", rest)
            or (not rest.strip() and has_children)
        )
        if defined and normalise(term.rstrip(":")) not in stop:
            expected.add(index + 1)
    made = {_line(card) for card in cards if card["kind"] == "term"}
    assert made == expected
    assert len(made) > 150


def test_nested_bullets_stay_nested(cards: list[dict[str, Any]]) -> None:
    back = next(c["back"] for c in cards if "What is Generative AI" in c["front"])
    assert re.search(r"<li>Used to generate[^<]*<ul>\s*<li>\s*(<p>)?Text", back)
    deep = next(c["back"] for c in cards if "Amazon Bedrock &amp; CloudWatch" in c["front"])
    # three levels: Model Invocation Logging > Send logs > Can include > Analyze further
    assert deep.count("<ul>") >= 4 and "<li>Analyze further" in deep


def test_model_comparison_table_is_a_table_with_line_breaks(cards: list[dict[str, Any]]) -> None:
    # Too long for one card (over max_card_words), it is cut between rows: each part is a
    # table that repeats the header, and the parts hold the four rows of the notes.
    parts = [c["back"] for c in cards if "Example Comparison Between" in c["front"]]
    assert all(back.startswith("<table>") and "<thead>" in back for back in parts)
    assert sum(back.count("<tr>") - 1 for back in parts) == 4
    joined = "".join(parts)
    assert "<strong>Amazon Titan</strong> <br> (Titan Solution Express)" in joined
    assert "Input: $0.0008 <br> Output: $0.0016" in joined


def test_break_is_shown_as_text(cards: list[dict[str, Any]]) -> None:
    polly = [c for c in cards if "SSML" in c["back"] or "SSML" in c["front"]]
    assert polly and all("&lt;break&gt;" in c["back"] for c in polly if "Hello," in c["back"])
    assert any("Example: “Hello, <break> how are you?”" in html_text(c["back"]) for c in polly)


def test_no_card_is_empty(cards: list[dict[str, Any]]) -> None:
    for card in cards:
        assert html_text(card["front"]), card
        assert html_text(card["back"]) or "<img" in card["back"], card


@pytest.mark.parametrize("needle", ["![", "<script", "onerror", "javascript:"])
def test_no_output_contains_unsafe_or_raw_markup(cards: list[dict[str, Any]], needle: str) -> None:
    for card in cards:
        for field in ("front", "back"):
            assert needle not in card[field].lower(), (card["source"], field)


def test_every_text_line_is_on_a_card_back(cards: list[dict[str, Any]]) -> None:
    backs = [html_text(card["back"]) for card in cards]
    lines = note_line_texts(MARKDOWN)
    assert len(lines) > 1000
    missing = [(n, text) for n, text in lines if not any(text in back for back in backs)]
    assert missing == [], f"{len(missing)} of {len(lines)} lines on no card"


def test_every_card_points_at_its_heading_or_bullet(cards: list[dict[str, Any]]) -> None:
    lines = MARKDOWN.splitlines()
    for card in cards:
        assert card["source"].startswith("aws-ai-practitioner.md:")
        line = lines[_line(card) - 1]
        prompt = html_text(card["front"].split('<div class="prompt">')[1])
        if card["kind"] == "topic":
            assert line.startswith("#") and squash(line.lstrip("#")) == prompt
        else:
            assert prompt in line.replace("**", "")


def test_decks_are_title_and_numbered_chapter(cards: list[dict[str, Any]]) -> None:
    chapters = [squash(line[3:]) for line in MARKDOWN.splitlines() if line.startswith("## ")]
    decks = list(dict.fromkeys(card["deck"] for card in cards))
    title = "AWS Certified AI Practitioner"
    numbered = [re.fullmatch(rf"{re.escape(title)}::(\d\d) (.+)", deck) for deck in decks]
    names = [match.group(2) for match in numbered if match]
    assert len(names) == len(decks)
    assert names == [chapter for chapter in chapters if chapter in names]
    # Anki lists subdecks by name, case aside: that order is the notes' order
    assert decks == sorted(decks, key=str.casefold)
    # the two chapters with no text under them make no deck
    assert len(decks) == len(chapters) - 2


def test_tags_follow_the_heading_path(cards: list[dict[str, Any]]) -> None:
    card = next(c for c in cards if c["kind"] == "topic" and "Guardrails" in c["front"])
    assert card["tags"] == [
        "aws-certified-ai-practitioner::amazon-bedrock::amazon-bedrock-guardrails",
        "aipexport::topic",
    ]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (3, "AIP010"),  # the table-of-contents link list
        (57, "AIP012"),  # "Generative Language Models" twice in a row
        (84, "AIP011"),  # a section whose only content is a missing image
        (24, "AIP021"),  # that missing image
        (996, "AIP020"),  # ![img_17.png](img_17.png  -- never closed
        (1218, "AIP030"),  # <break> shown as text
        (1674, "AIP011"),  # a chapter of headings only
        (1719, "AIP011"),  # the last chapter, empty
    ],
)
def test_expected_diagnostic_at_its_line(diagnostics: list[str], line: int, code: str) -> None:
    prefix = f"source/aws-ai-practitioner.md:{line}:"
    assert any(d.startswith(prefix) and d.endswith(f"[{code}]") for d in diagnostics), (
        line,
        code,
    )


def test_each_diagnostic_is_reported_once(diagnostics: list[str]) -> None:
    assert len(diagnostics) == len(set(diagnostics))
