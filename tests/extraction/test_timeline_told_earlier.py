"""v55's `timeline_told_earlier`: an entry its sentence tells as earlier than the sentence's
other entries comes before them; nothing else moves.  Sentences written here for the rule."""

from __future__ import annotations

import pytest

from abstraction.core.schema import empty_case_report
from abstraction.extraction.rules import apply_rules
from tests.extraction.rule_cases import PAD, treatment

_RULES = ("timeline_from_record", "timeline_told_earlier")


def _timeline(text: str, given: list[tuple[str, str | None]]) -> list[str]:
    """The timeline the two rules make of treatments (name, quote; None: the name)."""
    record = empty_case_report()
    record.treatments = [treatment(name, quote) for name, quote in given]
    apply_rules(record, _RULES, text + PAD)
    return [e.event for e in record.timeline]


def _course(text: str, names: tuple[str, ...]) -> list[str]:
    """The same, each treatment quoted by the whole text (one sentence)."""
    return _timeline(text, [(n, text) for n in names])


@pytest.mark.parametrize(
    ("text", "given", "course"),
    [
        (  # the case that showed it: two earlier treatments after "had been treated ... with"
            "A 70-year-old woman underwent RF ablation of a liver metastasis from rectal cancer, "
            "which had been treated 18 mo before with chemoradiotherapy and anterior resection.",
            ("RF ablation", "chemoradiotherapy", "anterior resection"),
            ["chemoradiotherapy", "anterior resection", "RF ablation"],
        ),
        (
            "He received nivolumab for a melanoma that had previously been treated with "
            "wide excision.",
            ("nivolumab", "wide excision"),
            ["wide excision", "nivolumab"],
        ),
        (
            "She was started on tacrolimus, with a history of kidney transplantation.",
            ("tacrolimus", "kidney transplantation"),
            ["kidney transplantation", "tacrolimus"],
        ),
        (
            "He underwent mastectomy for a tumour treated two years ago with tamoxifen.",
            ("mastectomy", "tamoxifen"),
            ["tamoxifen", "mastectomy"],
        ),
        # a helper's hostile audit (out/audit-s16): other ways to tell it
        (
            "She underwent hepatectomy for a colorectal liver metastasis; the primary tumour had "
            "been treated 2 years earlier with a sigmoidectomy and then adjuvant capecitabine.",
            ("hepatectomy", "sigmoidectomy", "adjuvant capecitabine"),
            ["sigmoidectomy", "adjuvant capecitabine", "hepatectomy"],
        ),
        (
            "He received pembrolizumab for a recurrent head and neck cancer previously treated "
            "with cisplatin followed by radiotherapy.",
            ("pembrolizumab", "cisplatin", "radiotherapy"),
            ["cisplatin", "radiotherapy", "pembrolizumab"],
        ),
        (
            "She received pembrolizumab after prior treatment with carboplatin.",
            ("pembrolizumab", "carboplatin"),
            ["carboplatin", "pembrolizumab"],
        ),
        (
            "She underwent ASCT, having received four cycles of VRd.",
            ("ASCT", "VRd"),
            ["VRd", "ASCT"],
        ),
        (
            "She was switched to obinutuzumab because her earlier treatment with rituximab had "
            "caused severe infusion reactions.",
            ("obinutuzumab", "rituximab"),
            ["rituximab", "obinutuzumab"],
        ),
        (  # "e.g." and "Fig." do not end the sentence
            "She received nivolumab (e.g. Fig. 2) for a melanoma that had previously been treated "
            "with ipilimumab.",
            ("nivolumab", "ipilimumab"),
            ["ipilimumab", "nivolumab"],
        ),
        (
            "She underwent hepatectomy (Fig. 2) for a metastasis that had been treated 2 years "
            "earlier with sigmoidectomy.",
            ("hepatectomy", "sigmoidectomy"),
            ["sigmoidectomy", "hepatectomy"],
        ),
        (  # a longer name takes its own mention: "trastuzumab" is not read in it
            "She received trastuzumab deruxtecan; a year before, she had previously been treated "
            "with trastuzumab.",
            ("trastuzumab deruxtecan", "trastuzumab"),
            ["trastuzumab", "trastuzumab deruxtecan"],
        ),
    ],
)
def test_an_entry_told_as_earlier_comes_first(
    text: str, given: tuple[str, ...], course: list[str]
) -> None:
    assert _course(text, given) == course


@pytest.mark.parametrize(
    ("text", "given"),
    [
        # "before X", "prior to X": X is the later one
        ("She received chemotherapy 2 weeks before surgery.", ("chemotherapy", "surgery")),
        ("She received chemotherapy prior to surgery.", ("chemotherapy", "surgery")),
        # the cue is followed by a word that brings the sentence back to its own time
        (
            "She had received cisplatin two years earlier and then underwent a lobectomy.",
            ("cisplatin", "lobectomy"),
        ),
        (
            "She had received cisplatin, and now underwent a lobectomy.",
            ("cisplatin", "lobectomy"),
        ),
        # the whole sentence is told as earlier: nothing of it is named before the cue
        (
            "She had undergone a nephrectomy and adjuvant sunitinib five years earlier.",
            ("nephrectomy", "sunitinib"),
        ),
        # no cue at all
        ("She received rituximab followed by bendamustine.", ("rituximab", "bendamustine")),
        # a helper's hostile audit (out/audit-s16): what looks like a cue and is not one
        (
            "She was given acetaminophen in the emergency department; she had had fever for 3 "
            "days, and ceftriaxone was started on the ward.",
            ("acetaminophen", "ceftriaxone"),
        ),
        (
            "He underwent a radical orchiectomy, and as he had not previously received "
            "chemotherapy, three cycles of BEP were administered.",
            ("radical orchiectomy", "BEP"),
        ),
        (
            "She received mediastinal radiotherapy in 2018, relapsed in 2019 in the previously "
            "irradiated field and received salvage R-ICE.",
            ("mediastinal radiotherapy", "R-ICE"),
        ),
        (
            "He underwent allogeneic HSCT and by day 100 had received two donor lymphocyte "
            "infusions for mixed chimerism.",
            ("allogeneic HSCT", "donor lymphocyte infusions"),
        ),
        (
            "A 60-year-old man, who underwent a radical nephrectomy 2 years ago, received "
            "sunitinib for lung metastases.",
            ("radical nephrectomy", "sunitinib"),
        ),
        (
            "He underwent PCI of the left anterior descending artery and, given his history of "
            "gastrointestinal bleeding, received 1 month of dual antiplatelet therapy.",
            ("PCI", "dual antiplatelet therapy"),
        ),
        (
            "She completed neoadjuvant chemotherapy and, because of a family history of breast "
            "cancer, bilateral mastectomy was performed.",
            ("neoadjuvant chemotherapy", "bilateral mastectomy"),
        ),
        (
            "After resuscitation, a previously healthy 25-year-old man received targeted "
            "temperature management.",
            ("resuscitation", "targeted temperature management"),
        ),
        (
            "She underwent autologous stem cell transplantation as previously described and "
            "received lenalidomide maintenance.",
            ("autologous stem cell transplantation", "lenalidomide maintenance"),
        ),
        (
            "The patient underwent a wide local excision and had also received adjuvant "
            "radiotherapy.",
            ("wide local excision", "adjuvant radiotherapy"),
        ),
    ],
)
def test_nothing_else_moves(text: str, given: tuple[str, ...]) -> None:
    assert _course(text, given) == list(given)


def test_only_within_its_own_sentence() -> None:
    """An earlier sentence's entries stay before; the cue of one sentence moves nothing of
    the next."""
    first, third = "She first received imatinib.", "She was then given regorafenib."
    second = (
        "She underwent a gastrectomy for a tumour that had previously been treated with sunitinib."
    )
    given = [("imatinib", first), ("gastrectomy", second), ("sunitinib", second)]
    course = _timeline(f"{first} {second} {third}", [*given, ("regorafenib", third)])
    assert course == ["imatinib", "sunitinib", "gastrectomy", "regorafenib"]


def test_a_short_quote_is_read_in_its_sentence() -> None:
    """The model quoted the name only: the cue is read in the text around it."""
    text = (
        "A man underwent a hepatectomy for a metastasis of a colon cancer that had been "
        "treated 3 years earlier with a hemicolectomy."
    )
    given: list[tuple[str, str | None]] = [("hepatectomy", None), ("hemicolectomy", None)]
    assert _timeline(text, given) == ["hemicolectomy", "hepatectomy"]


@pytest.mark.parametrize(
    ("text", "given", "course"),
    [
        (  # right before the entry the cue is said of, not before the whole sentence
            "A man who had undergone a radical nephrectomy was started on sunitinib for lung "
            "metastases, having previously received interleukin-2.",
            ("radical nephrectomy", "sunitinib", "interleukin-2"),
            ["radical nephrectomy", "interleukin-2", "sunitinib"],
        ),
        (  # "was commenced" is the sentence's own time
            "The patient underwent allogeneic HSCT, having received two cycles of FLAG-Ida, and "
            "ruxolitinib was commenced for acute GVHD.",
            ("allogeneic HSCT", "FLAG-Ida", "ruxolitinib"),
            ["FLAG-Ida", "allogeneic HSCT", "ruxolitinib"],
        ),
    ],
)
def test_a_told_entry_goes_right_before_the_entry_it_is_said_of(
    text: str, given: tuple[str, ...], course: list[str]
) -> None:
    """A third hostile audit (out/audit-s16c): 40 of 67 wrong moves put the told entry
    before the first entry of the sentence, not before the one the cue is said of."""
    assert _course(text, given) == course


@pytest.mark.parametrize(
    ("text", "given"),
    [
        (  # a negated cue
            "She underwent radical hysterectomy and, as she had not been previously treated with "
            "radiotherapy, pelvic radiotherapy was delivered.",
            ("radical hysterectomy", "pelvic radiotherapy"),
        ),
        (
            "Venetoclax was stopped and, in the absence of prior therapy with azacitidine, "
            "azacitidine was started.",
            ("Venetoclax", "azacitidine"),
        ),
        (  # other patients
            "She was given prednisolone and, as in reported cases previously treated with "
            "rituximab, then received rituximab.",
            ("prednisolone", "rituximab"),
        ),
        (  # "previously treated" with no "with": an adjective
            "She underwent RFA; the previously treated lesion prompted repeat RFA.",
            ("RFA", "repeat RFA"),
        ),
        (  # a history of a reaction to the drug, not of the drug
            "She received weekly paclitaxel and then, despite a history of carboplatin "
            "hypersensitivity, carboplatin was readministered.",
            ("weekly paclitaxel", "carboplatin"),
        ),
        (  # a year between them: the time the cue is told from is not known
            "She received a cochlear implant in 2015 and a second one in 2021, having "
            "previously received intratympanic dexamethasone in 2019.",
            ("cochlear implant", "intratympanic dexamethasone"),
        ),
    ],
)
def test_cues_that_tell_nothing_move_nothing(text: str, given: tuple[str, ...]) -> None:
    assert _course(text, given) == list(given)


def test_a_quote_is_found_as_whole_words() -> None:
    """The name-only quote "RT" is not the end of "heart" (after "history of")."""
    text = (
        "She underwent lumpectomy and, given her history of heart failure, adjuvant RT was "
        "delivered."
    )
    assert _timeline(text, [("lumpectomy", None), ("RT", None)]) == ["lumpectomy", "RT"]


def test_et_al_ends_a_sentence_when_a_capital_follows() -> None:
    """Two sentences read as one gave the earlier sentence's entry as the one the cue is said
    of; when in doubt, a sentence ends."""
    first = "She underwent lobectomy as described by Tanaka et al."
    second = (
        "Two years later she received pembrolizumab for a recurrence that had been treated "
        "6 months earlier with SBRT."
    )
    given = [("lobectomy", first), ("pembrolizumab", second), ("SBRT", second)]
    assert _timeline(f"{first} {second}", given) == ["lobectomy", "SBRT", "pembrolizumab"]
