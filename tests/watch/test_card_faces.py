"""The preview's card faces are the faces Anki itself renders: the same notes built into a
deck, imported into a real collection, and every card's question and answer compared."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from anki.collection import Collection

from aipexport.card_faces import card_faces
from aipexport.config import find_project_file, load_config
from aipexport.pipeline import load_notes
from tests.anki.ankiutil import import_deck
from tests.conftest import run_cli

NOTES = """\
# Faces

## Chapter

### Topic One

- **Alpha**: the first letter, with $x^2$ math
- The answer has {{c1::one deletion}} and {{c2::another <b>one</b>::a hint}} too.

### Cards

What is two plus two::Four
Left side:::Right side
"""

_CLOZE_ATTRIBUTE = re.compile(r'data-cloze="([^"]*)"')


def _comparable(face: str) -> str:
    """``face`` with the hidden deletion's attribute unescaped (Anki escapes every character
    of it, the preview only what HTML needs: the same value either way)."""
    return _CLOZE_ATTRIBUTE.sub(lambda m: f'data-cloze="{html.unescape(m.group(1))}"', face)


#: A user's card templates that use the fields Anki fills in itself, and a filter.
SPECIAL = (
    "<p>{{Deck}} | {{Subdeck}} | {{Tags}} | {{Type}} | {{Card}}</p>\n"
    "{{#Context}}<div>{{text:Context}}</div>{{/Context}}{{^Source}}none{{/Source}}{{Term}}"
)


@pytest.mark.parametrize("reverse_terms", [False, True])
@pytest.mark.parametrize("own_templates", [False, True])
def test_every_face_is_the_one_anki_renders(
    tmp_path: Path, reverse_terms: bool, own_templates: bool
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    package = tmp_path / "deck.apkg"
    reverse = ["--reverse-terms"] if reverse_terms else []
    if own_templates:  # the deck's card templates come from the configuration
        (tmp_path / "templates" / "card").mkdir(parents=True)
        (tmp_path / "templates" / "card" / "term-front.html").write_text(SPECIAL)
        (tmp_path / "pyproject.toml").write_text('[tool.aipexport]\ntemplates = "templates"\n')
    run_cli(["anki", notes, "-o", package, *reverse])
    config = load_config(find_project_file(notes)).with_overrides(reverse_terms=reverse_terms)
    built = load_notes([notes], config)
    faces = card_faces(built)
    ours = {(f.card.guid, f.template): (f.front, f.back) for f in faces.faces}

    (tmp_path / "collection").mkdir()
    collection = Collection(str(tmp_path / "collection" / "collection.anki2"))
    try:
        import_deck(collection, package)
        anki = {}
        for card_id in collection.find_cards(""):
            card = collection.get_card(card_id)
            note_type = card.note().note_type()
            assert note_type is not None
            cloze = note_type["type"] == 1
            name = f"Cloze {card.ord + 1}" if cloze else card.template()["name"]
            output = card.render_output()
            anki[(card.note().guid, name)] = (output.question_text, output.answer_text)
            assert output.css == faces.css
    finally:
        collection.close()

    assert sorted(ours) == sorted(anki)
    assert len(ours) == 7 + reverse_terms  # the term asked both ways only with reverse_terms
    for key, (question, answer) in anki.items():
        front, back = ours[key]
        assert _comparable(question) == _comparable(front), key
        assert _comparable(answer) == _comparable(back), key
