"""The plain checks of the support judges: numbers, units, months, names, negation, swapped roles;
and the words a claim does not share with its quote."""

from __future__ import annotations

import pytest

from qa_service.answering.contradictions import (
    Slot,
    _words,
    first_mismatch,
    inserted,
    is_verbatim,
    replaced,
    unmatched,
)

MEMBER = (
    "Iraq is a member of the United Nations, the Arab League (of which it is a founding member) "
    "since 1945, and the Organisation of Islamic Cooperation since 1976."
)
BORDER = (
    "The border that currently separates Iraq and Iran as independent states measures 1,458 "
    "kilometers and was approved by the Algiers Agreements signed in 1975."
)


@pytest.mark.parametrize(
    ("claim", "quote", "reason"),
    [
        (
            "The border was approved by the Algiers Agreements signed in 1976.",
            BORDER,
            "the quote says 1975, not 1976",
        ),
        (
            "The border between Iraq and Iran measures 1,458 miles.",
            BORDER,
            "the quote says 1,458 kilometers, not 1,458 miles",
        ),
        (
            "The wall is six feet high.",
            "The wall is six metres high.",
            "the quote says six meters, not six feet",
        ),
        (
            "Growth was 5 points.",
            "Growth was 5% in 2019.",
            "the quote says 5 percent, not 5 points",
        ),
        (
            "In March 2003 the war began.",
            "In April 2003 the war began.",
            "the quote says April, not March",
        ),
        (
            "The border between Iraq and Syria measures 1,458 kilometers.",
            BORDER,
            "the quote does not mention Syria",
        ),
        (
            "Iraq is not a member of the Arab League.",
            MEMBER,
            "the claim says “not a member”, but the quote does not negate it",
        ),
        (
            "Iraq invaded Kuwait in 1990.",
            "Iraq did not invade Kuwait in 1990.",
            "the quote says “not invade”, but the claim leaves out the negation",
        ),
        (
            "Iraq didn't invade Kuwait in 1990.",
            "Iraq invaded Kuwait in 1990.",
            "the claim says “didn't invade”, but the quote does not negate it",
        ),
        (
            "In June 2020, Al-Kadhimi did not travel to Iran.",
            "In June 2020, Al-Kadhimi made his first trip abroad to Iran.",
            "the claim says “not travel”, but the quote denies nothing",
        ),
        (
            "Under the plan, the council would lease the hall to the club.",
            "Under the plan, the club would lease the hall to the council, which owns it.",
            "the quote says “club … lease hall to … council”, not “council … lease hall to … club”",
        ),
        # Three pieces only: the alignment names the swap.
        (
            "Damascus kept its embassy in Baghdad.",
            "Baghdad kept its embassy in Damascus.",
            "the quote says “Baghdad” where the claim says “Damascus”",
        ),
        (
            "The problem of multiplying two integers can be reduced to the problem of squaring "
            "an integer.",
            "The problem of squaring an integer can be reduced to the problem of multiplying two "
            "integers.",
            "the quote says “squaring … integers reduced to problem … multiplying two”, not "
            "“multiplying two … integers reduced to problem … squaring”",
        ),
        (
            "The mill exported cloth to Flanders and wool to Italy.",
            "The mill exported wool to Flanders and cloth to Italy.",
            "the quote says “wool … to Flanders … cloth”, not “cloth … to Flanders … wool”",
        ),
        # Opposites: a negation without a negation word.
        (
            "The library is open on public holidays.",
            "The library is closed on public holidays.",
            "the quote says “closed”, not “open”",
        ),
        (
            "Larger instances will require less time to solve.",
            "In particular, larger instances will require more time to solve.",
            "the quote says “more”, not “less”",
        ),
        (
            "The software is free for commercial use.",
            "The software is free for non-commercial use.",
            "the quote says “non-commercial”, not “commercial”",
        ),
        # The quote holds both opposites, and says the other one of the same thing.
        (
            "The pool is open on public holidays.",
            "The pool is open from 9 to 5 on weekdays and closed on public holidays.",
            "the quote says “closed on public holidays”, not “open on public holidays”",
        ),
        (
            "Writes are allowed for guests.",
            "Reads are allowed for every user, and writes are forbidden for guests.",
            "the quote says “forbidden for guests”, not “allowed for guests”",
        ),
        # A name moved into another's role, the other still named: "Baghdad hosted ... Egypt".
        (
            "In 1978, an Arab League summit in Egypt condemned and sidelined Baghdad for having "
            "accepted the Camp David Accords.",
            "In 1978, Baghdad hosted an Arab League summit that condemned and sidelined Egypt for "
            "having accepted the Camp David Accords.",
            "the quote says “Egypt” where the claim says “Baghdad”",
        ),
        (
            "In 1901, a guild meeting in York condemned and expelled Leeds for having broken the "
            "charter.",
            "In 1901, Leeds hosted a guild meeting that condemned and expelled York for having "
            "broken the charter.",
            "the quote says “York” where the claim says “Leeds”",
        ),
        # Two words trading places outright, whatever their kinds.
        (
            "The file is renamed first: it is copied to a new folder, then written.",
            "The file is written first: it is copied to a new folder, then renamed.",
            "the quote says “written” where the claim says “renamed”",
        ),
        # Another season.
        (
            "Its lamp was first lit in the spring of 1871.",
            "The lighthouse was built in 1871, and its lamp was first lit in\nthe autumn of "
            "that year.",
            "the quote says autumn, not spring",
        ),
        (
            "The ferry runs twice a day in winter.",
            "The ferry runs twice a day in summer and once a day otherwise.",
            "the quote says summer, not winter",
        ),
        # A superlative from a quote that ranks nothing.
        (
            "QatarEnergy is the largest investor in Iraq's oil fields.",
            "QatarEnergy is a major investor in Iraq's oil fields.",
            "the claim says “largest”, but the quote ranks nothing",
        ),
        (
            "The ferry is the fastest way to reach the island.",
            "The ferry is a quick way to reach the island in summer.",
            "the claim says “fastest”, but the quote ranks nothing",
        ),
        # The same thing after the other ordering word.
        (
            "Let the sponge cool after you spread the jam.",
            "Bake for 12 minutes, then let the sponge cool before you spread the jam.",
            "the quote says “before you spread”, not “after you spread”",
        ),
        (
            "Applicants may submit the form after the deadline.",
            "Applicants must submit the form before the deadline.",
            "the quote says “before the deadline”, not “after the deadline”",
        ),
        # A condition and what it governs, the other way round.
        (
            "The server restarts when the cache is cleared.",
            "The cache is cleared when the server restarts.",
            "the quote says “cache is cleared when the server restarts”, not the other way round",
        ),
        (
            "The lamp is lit if the fog horn sounds.",
            "The fog horn sounds if the lamp is lit.",
            "the quote says “fog horn sounds if the lamp is lit”, not the other way round",
        ),
        # A quantifier for a weaker one.
        (
            "All members voted for the change.",
            "Most members voted for the change.",
            "the quote says “Most”, not “All”",
        ),
        (
            "All of the algorithms are implemented on the GPU.",
            "Some of the most useful algorithms are implemented on the GPU.",
            "the quote says “Some”, not “All”",
        ),
        (
            "Every plot in the garden has a water tap.",
            "Many plots in the garden have a water tap.",
            "the quote says “Many”, not “Every”",
        ),
        # A thing of the text put in another's place, the other still said elsewhere.
        (
            "The CPU implementation can accept input from either CPU or GPU memory.",
            "The GPU implementation can accept input from either CPU or GPU memory.",
            "the quote says “GPU” where the claim says “CPU”",
        ),
        (
            "The time hierarchy theorem tells us that EXPTIME is strictly contained in P.",
            "For instance, the time hierarchy theorem tells us that P is strictly contained in "
            "EXPTIME, and the space hierarchy theorem tells us that L is strictly contained in "
            "PSPACE.",
            "the quote says “P” where the claim says “EXPTIME”",
        ),
    ],
)
def test_a_plain_contradiction_is_named(claim: str, quote: str, reason: str) -> None:
    assert first_mismatch(claim, quote) == reason


@pytest.mark.parametrize(
    ("claim", "quote"),
    [
        ("The border between Iraq and Iran measures 1458 km.", BORDER),  # same figure, other form
        ("Growth was 5 percent.", "Growth was 5% in 2019."),
        ("Abu Dhabi pledged $500 million.", "Abu Dhabi committed 500 million dollars."),
        ("Iraq is a member of the UN.", MEMBER),  # an acronym of the quote's words
        ("The Iraqi government is a member of the Arab League.", MEMBER),  # another form
        ("The Iraq-Iran border was approved in 1975.", BORDER),
        ("Iraq joined the league.", "Iraq did not join the coalition, but Iraq joined the league."),
        ("The treaty was not signed by Iraq.", "Iraq did not sign the treaty."),
        ("Because Iraq backed Syria, it lost support.", "Iraq lost support as it backed Syria."),
        ("It works no matter which algorithm is used.", "It works whatever the algorithm used."),
        ("Both are members of one another's league.", "Both are members of each other's league."),
        # Bounds and "not limited to" deny nothing; a word can deny what a negation did.
        (
            "Non-commercial use, such as research, is free.",
            "It is free for non-commercial use, including but not limited to research.",
        ),
        (
            "Minutes are published no later than a week afterwards.",
            "The committee publishes its minutes within a week.",
        ),
        (
            "Print is used only in CLIs.",
            "Each module gets its own logger, and there is no print outside CLIs.",
        ),
        ("The indexer is unaware of FastAPI.", "The indexer knows nothing of FastAPI."),
        (
            "The platypus lays eggs instead of bearing live young.",
            "The platypus lays eggs rather than giving birth to live young.",
        ),
        ("The shop is not open on Sundays.", "The shop is closed on Sundays."),  # negated opposite
        ("The field is not required.", "The field is optional."),
        ("Two fields are set.", "Both fields are set."),
        # A passive whatever its participle; two clauses in the other order; a half in words.
        (
            "A password can be reset by the user on the login page.",
            "Users can reset their password from the login page.",
        ),
        (
            "The directory is built in a temporary location and then renamed, so it is written "
            "atomically.",
            "A directory is written atomically: it is built in a temporary directory, then "
            "renamed.",
        ),
        (
            "About 1.5 million Christians lived in Iraq.",
            "Iraq had one and a half million Christians.",
        ),
        # Roles kept: the passive, a moved date, a reordered list, a noun for a verb.
        (
            "The treaty was signed by Iraq and Iran in 1975.",
            "Iraq and Iran signed the treaty in 1975.",
        ),
        ("In 1975, Iraq and Iran signed the treaty.", "Iraq and Iran signed the treaty in 1975."),
        (
            "The mill exported cloth to Italy and wool to Flanders.",
            "The mill exported wool to Flanders and cloth to Italy.",
        ),
        # Both opposites in the quote, each said of what the claim says it of.
        (
            "The pool is closed on public holidays.",
            "The pool is open on weekdays and closed on public holidays.",
        ),
        # A superlative from a quote that ranks: "worst-case", "maximum".
        ("The worst case is the largest time taken.", "The worst-case time is the maximum time."),
        # The condition moved to the front, or a time said either way round after a comma.
        (
            "When the server restarts, the cache is cleared.",
            "The cache is cleared when the server restarts.",
        ),
        (
            "The light became automatic in 1964, when the keeper left.",
            "The keeper left in 1964, when the light became automatic.",
        ),
        ("Spread the jam after the sponge cools.", "The sponge cools before the jam is spread."),
        # Three pieces turned round, no frame left: a paraphrase.
        (
            "You do not need to restart the server after an update.",
            "An update takes effect without a server restart.",
        ),
        (
            "Nothing is written to disk until you call save().",
            "Calling save() is what writes to disk; before that, nothing is written.",
        ),
        # A converse verb trades the sides as it should.
        (
            "The library lends books to residents and to students.",
            "Residents and students can borrow books from the library.",
        ),
        # The same figures, written otherwise and in another order.
        (
            "A backup is made nightly and retained for 30 days, after which it is removed.",
            "Backups are taken every night and kept for thirty days before they are deleted.",
        ),
        # Moved, not exchanged: "time" goes after the figure.
        (
            "Quicksort takes O(n2) time in the worst case.",
            "In the worst case, quicksort takes time O(n2).",
        ),
        (
            "The GPU indexes replace the CPU indexes on a server with GPUs.",
            "On a server with GPUs, the GPU indexes can replace the CPU indexes.",
        ),
        (
            "Faiss is a library that efficiently clusters dense vectors and searches them by "
            "similarity.",
            "Faiss is a library for efficient similarity search and clustering of dense vectors.",
        ),
    ],
)
def test_what_the_quote_says_passes(claim: str, quote: str) -> None:
    assert first_mismatch(claim, quote) is None


def test_a_verbatim_claim_is_recognised_up_to_spacing_and_final_punctuation() -> None:
    assert is_verbatim("Iraq is a member of the United Nations", MEMBER)
    assert is_verbatim("Iraq  is a member\nof the United Nations.", MEMBER)
    assert not is_verbatim("Iraq is a member of the United Nations since 1945.", MEMBER)
    assert not is_verbatim(".", MEMBER)


def test_unmatched_words_are_the_claims_content_the_quote_does_not_repeat() -> None:
    quote = "Iraq and Iran signed the treaty in 1975."
    claim = "The Iraqi government signed the treaty in 1976 and pushed it aside."
    assert unmatched(claim, quote) == [("government", 10), ("pushed", 51)]
    assert unmatched("Iran signed it.", quote) == []
    # A part of a hyphenated quote word is repeated.
    assert unmatched("One settings class is read once.", "One pydantic-settings class.") == [
        ("read", 22)
    ]
    assert unmatched("", quote) == []


def test_a_word_in_the_place_of_another_between_the_same_words_is_a_slot() -> None:
    quote = "Volunteers planted 2,000 trees along the eastern bank of the river in April."
    claim = "Volunteers planted 2,000 trees along the western bank of the river in April."
    assert replaced(claim, quote) == [Slot((("western", 41),), (("eastern", 41),))]
    # At the sentence's start, and two words for two.
    assert replaced("Annoy is a library.", "Faiss is a library.") == [
        Slot((("Annoy", 0),), (("Faiss", 0),))
    ]
    assert [
        s.claimed for s in replaced("Write the phone number down.", "Write the email address down.")
    ] == [(("phone", 10), ("number", 16))]


@pytest.mark.parametrize(
    ("claim", "quote"),
    [
        # Not framed by the same words: a rewording of the sentence around the word.
        ("Iraq and Iran agreed to the treaty in 1975.", "Iraq and Iran signed the treaty in 1975."),
        # Another kind of word: a gerund for a plain one.
        ("The bank kept growing in April.", "The bank kept quiet in April."),
        # Three words reworded: a paraphrase, not a word put in another's place.
        ("Bigger cases need far more time.", "Larger instances will require more time."),
        # A negated word for a plain one.
        ("The shop is not open on Sundays.", "The shop is closed on Sundays."),
    ],
)
def test_no_slot_where_the_sentence_is_reworded(claim: str, quote: str) -> None:
    assert replaced(claim, quote) == []


def _offsets(claim: str, *words: str) -> set[int]:
    return {claim.index(word) for word in words}


def test_a_word_wedged_into_a_phrase_the_quote_has_whole_is_an_insertion() -> None:
    quote = "Visitors can climb the 96 steps to the gallery on summer\nweekends."
    claim = "Visitors can climb the 96 steep steps to the gallery."
    assert inserted(claim, quote, _offsets(claim, "steep")) == ("96 steps", "96 steep steps")
    lease = "The Tenant keeps the premises clean."
    claim = "The Tenant keeps the premises clean and insured."
    assert inserted(claim, lease, _offsets(claim, "insured")) == ("clean", "clean and insured")
    minutes = "The committee publishes its minutes within a week."
    claim = "The committee publishes its minutes and its budget within a week."
    assert inserted(claim, minutes, _offsets(claim, "budget")) == (
        "minutes within",
        "minutes and its budget within",
    )
    faiss = "Faiss is a library for clustering of dense vectors."
    claim = "Faiss is a library for clustering of sparse and dense vectors."
    assert inserted(claim, faiss, _offsets(claim, "sparse")) == ("of dense", "of sparse and dense")


@pytest.mark.parametrize(
    ("claim", "quote", "word"),
    [
        # An adverb rewords the sentence: "widely believed" for "believed".
        ("It is widely believed to be hard.", "It is believed to be hard.", "widely"),
        # Before a function word: a verb the claim's wording needs ("fell by" for "by").
        ("Office costs fell by a third.", "It reduced office costs by a third.", "fell"),
        # Between words the quote does not have side by side.
        ("Whisk the eggs with brown sugar.", "Whisk the sugar with the eggs.", "brown"),
    ],
)
def test_no_insertion_where_the_claim_rewords(claim: str, quote: str, word: str) -> None:
    assert inserted(claim, quote, _offsets(claim, word)) is None


def test_the_words_kept_per_text_are_handed_out_as_copies() -> None:
    """A text's words are read once and kept; a caller that extends its list (the hyphenated
    parts of a quote's words) must not change what the next caller gets."""
    text = "The Iraq-Iran border measures 1,458 kilometers."
    words = _words(text)
    words += _words(text.replace("-", " "))
    assert [w.text for w in _words(text)] == [
        "The",
        "Iraq-Iran",
        "border",
        "measures",
        "1,458",
        "kilometers",
    ]
