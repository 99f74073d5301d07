"""The machine-translation / content-spinning artefact patterns, as data.

Each entry is an :class:`ArtefactPattern`: a name, the evidence ``kind`` it reports (LABELS.md,
INTERFACE.md ``evidence``), a compiled regex, a weight (how strongly one hit alone says "machine
made": 0.5 or more means one hit puts the block at ``mt >= 0.5``), and a note on the evidence for
it. ``features/mt.py`` documents them for users and combines the weights.

Rules every pattern here keeps, because the detector runs over billions of lines:

* ``mt.py`` joins every pattern's ``trigger`` (or the regex itself when it has none) into one
  pre-screen alternation. Python's ``re`` only skips ahead with a fast first-character test when
  every branch starts with a literal, and the skipping is only fast when those characters are
  rare; so triggers start at rare characters (``UU``, ``=``, punctuation) and look back from
  there (:func:`_after`), and a pattern starting with a space or a lowercase letter gets one.
  Every match of a pattern must contain a match of its trigger.
* Regexes too start with a literal (no leading ``\\b``, class or lookbehind; a left word boundary
  is written *after* the first character, see :func:`_word_start`), so the per-block pass over
  the few candidate blocks stays fast.
* No pattern can match ``\\n`` (blocks are joined with it) and no pattern needs ``^``/``$``.
* Linear time: no nested quantifiers over overlapping classes; repetitions are bounded.
* An optional group named ``span`` marks the part of the match reported as evidence (otherwise
  the whole match).

Corpus notes (counts of lines, measured while writing these): none of the patterns of weight
0.5 or more occurs in the 12,860 non-empty lines of BBC News 2004-05 or in the 21,833
human-translated and original English WMT news lines (htmt_deen_wmt); the weak ones do (tens of
lines: spacing, double-escaped entities), which is why they are weak. The WMT DeepL/Google
outputs carry none of the strong artefacts either: fluent modern MT is not what these catch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import tablecache

__all__ = [
    "ArtefactPattern",
    "PATTERNS",
    "FOREIGN_SCRIPT",
    "FOREIGN_GATE",
    "FOREIGN_FRAGMENT_WEIGHT",
    "FOREIGN_GLOSS_WEIGHT",
    "IDEOGRAPHIC",
    "LATIN_LETTER",
    "FOREIGN_SEPARATOR",
    "FOREIGN_RANGES",
    "LATIN_RANGES",
    "KINDS",
]

KINDS = (
    "abbreviation_mistranslation",
    "placeholder",
    "leaked_markup",
    "split_initialism",
    "false_sentence_break",
    "agency_photo_id",
    "foreign_script",
    "broken_spacing",
    "currency_spacing",
    "spintax",
)


@dataclass(frozen=True, slots=True)
class ArtefactPattern:
    """One artefact pattern: what it reports, how strongly, and why we believe it."""

    name: str
    kind: str
    regex: re.Pattern[str]
    weight: float
    evidence: str
    # Only count the hit when the block does not read as Spanish/Portuguese ("EE. UU." is
    # correct there; the artefact is that abbreviation surviving into English).
    english_only: bool = False
    # Regex source for the combined pre-screen when ``regex`` starts with a common character
    # (space, lowercase letter): every match of ``regex`` must contain a match of ``trigger``
    # in the same block, and every branch of it starts with a rare literal character.
    # Empty: ``regex`` itself is the trigger.
    trigger: str = ""
    # Hits of this pattern beyond this many in one block add nothing (None: the module default).
    max_count: int | None = None


def _word_start(*alternatives: str, end: str = "") -> str:
    r"""Alternatives that must start a word (and each end with ``end``), each starting with a literal.

    ``_word_start(r"FF\. ?AA")`` gives ``F(?<![^\W_]F)F\. ?AA``: the lookbehind placed after the
    first character checks the character before it, so the branch keeps its literal first
    character (for re's fast first-character skip) and still means ``\bFF\. ?AA``.
    """
    out = []
    for alt in alternatives:
        first, rest = alt[0], alt[1:]
        if not first.isalpha():
            raise ValueError(f"_word_start needs a letter first: {alt!r}")
        out.append(f"{first}(?<![^\\W_]{first}){rest}{end}")
    return "|".join(out)


_NOT_WORD_AFTER = r"(?![^\W_])"
# Spanish/Portuguese plural abbreviations (a doubled initial per plural word): Fuerzas/Forças
# Armadas, Recursos Humanos, Comisiones Obreras, Juegos Olímpicos, Comunidades Autónomas,
# Derechos Humanos, Sus Majestades, Autores Varios, Ferrocarriles, Reverendos Padres,
# Administraciones Públicas.
_IBERIAN_PLURALS = ("FF. AA", "RR. HH", "CC. OO", "JJ. OO", "CC. AA", "DD. HH", "SS. MM", "AA. VV",
                    "FF. CC", "RR. PP", "AA. PP")
_HTML_TAGS = ("a|abbr|b|blockquote|br|center|div|em|figure|figcaption|font|h[1-6]|i|iframe|img|li|"
              "ol|p|script|section|small|span|strong|style|sub|sup|table|td|th|tr|u|ul")
_HTML_ATTRS = ("class", "style", "href", "src", "alt", "title", "rel", "target", "width", "height",
               "data-")
# Capitalised function words that start a sentence but not a noun phrase: after "UU" they show
# the abbreviation's period was taken for a sentence end.
_FUNCTION_WORDS = ("From|To|In|Of|With|For|On|At|By|And|But|Or|The|That|Which|Who|Where|When|As|"
                   "After|Before|Since|Into|Over|Under|Against|Through|Because|While|Than|About|"
                   "Its|Their|His|Her|This|These|Those|Is|Are|Was|Were|Has|Have|Had|Will|Would")
_ARABIC_PARTICLES = ("al", "el", "ad", "as", "ash", "at", "az", "ar", "an", "ud", "ul", "bin", "ibn",
                     "abu", "abd", "bani")


def _p(name: str, kind: str, regex: str, weight: float, evidence: str, english_only: bool = False,
       trigger: str = "", max_count: int | None = None) -> tuple:
    """One pattern's fields with its regex as source: ``_compiled`` compiles them all at once."""
    return (name, kind, regex, weight, evidence, english_only, trigger, max_count)


def _compiled(specs: tuple[tuple, ...]) -> tuple[ArtefactPattern, ...]:
    """The patterns, compiled once, at import (they are used on every block of every page), in
    one call to the table cache: parsing them took ~25 ms of every start-up."""
    regexes = tablecache.compile_many([spec[2] for spec in specs], "mt-patterns")
    return tuple(ArtefactPattern(*spec[:2], rx, *spec[3:]) for spec, rx in zip(specs, regexes))


def _after(chars: str, lookbehind: str) -> str:
    """Trigger branches that start at a (rare) punctuation character and look back from it.

    ``_after(",;", " ")`` gives ``,(?<= ,)|;(?<= ;)``: matches the same places as `` [,;]`` but
    each branch starts with its punctuation character, not with the very common space.
    """
    return "|".join(f"{re.escape(c)}(?<={lookbehind}{re.escape(c)})" for c in chars)


PATTERNS: tuple[ArtefactPattern, ...] = _compiled((
    # --- abbreviation_mistranslation -------------------------------------------------------
    _p("i_know_uu", "abbreviation_mistranslation",
       r"I know\.? ?UU" + _NOT_WORD_AFTER, 0.95,
       "Spanish 'EE. UU.' (Estados Unidos) run through machine translation comes out as 'I know. "
       "UU' (seed 001: 'expel I know. UU From the region'); no person writes it.", trigger="UU"),
    _p("us_uu", "abbreviation_mistranslation",
       _word_start(r"US\.?(?: [A-Za-z]{2,20}){0,3} UU", r"USA\.?(?: [A-Za-z]{2,20}){0,3} UU",
                   r"U\.S\.(?: [A-Za-z]{2,20}){0,3} UU",
                   r"United States(?: [A-Za-z]{2,20}){0,3} UU", end=_NOT_WORD_AFTER),
       0.9,
       "'EE. UU.' translated as 'US' with the second half left behind: 'the US Army UU' "
       "(seed 001). The whole phrase is the evidence span.", trigger="UU"),
    _p("ee_uu", "abbreviation_mistranslation",
       _word_start(r"EE\. ?UU(?![^\W_])\.?", r"EEUU" + _NOT_WORD_AFTER), 0.8,
       "'EE. UU.' / 'EEUU' left untranslated in English text; correct only in Spanish, so "
       "skipped when the block reads as Spanish/Portuguese.", english_only=True, trigger="UU"),
    _p("iberian_plural_initials", "abbreviation_mistranslation",
       _word_start(*(a.replace(". ", r"\. ?") for a in _IBERIAN_PLURALS), end=_NOT_WORD_AFTER + r"\.?"),
       0.7,
       "Other Spanish/Portuguese doubled-initial plural abbreviations (FF. AA., RR. HH., CC. OO.) "
       "left in English text by MT.", english_only=True,
       trigger=r"\. ?(?:" + "|".join(sorted({a.split(". ")[1] for a in _IBERIAN_PLURALS})) + ")"
       + _NOT_WORD_AFTER),
    _p("orphan_uu", "abbreviation_mistranslation",
       _word_start(r"UU", end=_NOT_WORD_AFTER), 0.6,
       "A lone 'UU' is the remains of 'EE. UU.' after partial translation; 'UU' is not an English "
       "word or common acronym (0 lines in BBC/WMT English). Skipped in Spanish blocks, where "
       "it is half of a correct 'EE. UU.'.", english_only=True, trigger="UU"),
    # --- false_sentence_break --------------------------------------------------------------
    _p("uu_false_break", "false_sentence_break",
       _word_start(r"UU\.? (?P<span>(?:" + _FUNCTION_WORDS + r"))(?= [a-z])"), 0.3,
       "MT took the abbreviation's period for a sentence end and capitalised the next function "
       "word ('I know. UU From the region'). Supporting evidence only: the UU already counts.",
       english_only=True, trigger="UU"),
    # --- placeholder -----------------------------------------------------------------------
    _p("plugin_id", "placeholder",
       r"\[1965\d{4}\]", 0.95,
       "Website-translation plugins (GTranslate/Google widget) replace inline markup by bracketed "
       "ids '[19659001]', '[19659008]' and sometimes leave them in the output (seed 001)."),
    _p("numbered_tag_pair", "placeholder",
       r"\{/\d{1,2}\}", 0.9,
       "Closing half of a numbered inline-tag placeholder '{0}...{/0}' used by translation APIs; "
       "never prose."),
    _p("numbered_slot", "placeholder",
       r"\{\d{1,2}\}", 0.6,
       "'{0}', '{1}': format / translation-memory slots left unfilled. Also appears in code "
       "snippets, so a little weaker than the paired form."),
    _p("printf_slot", "placeholder",
       r"%(?<![^\W_%]%)(?:\d\$)?[sd]" + _NOT_WORD_AFTER, 0.6,
       "'%s', '%d', '%1$s' printf slots leaked from localisation strings."),
    _p("double_brace", "placeholder",
       r"\{\{[^{}\n]{0,40}\}\}|\{\{|\}\}", 0.6,
       "'{{name}}' template placeholders left unrendered in machine-generated pages."),
    # --- spintax ----------------------------------------------------------------------------
    _p("spintax", "spintax",
       r"\{[A-Za-z][A-Za-z' -]{0,39}(?:\|[A-Za-z][A-Za-z' -]{0,39})+\}", 0.9,
       "Unexpanded spin syntax '{best|greatest|finest}': article spinners (the auto-blogs LABELS.md "
       "describes) write one template and pick an alternative per brace, and some publish the template "
       "raw. Alternatives must be words without a space after the bar, so set notation ('{x | x > 0}') "
       "and code do not match; the whole of ../shared/corpora (news, comments, WMT text, HTML) holds one "
       "such string, '{node|short}', inside page markup."),
    # --- leaked_markup ---------------------------------------------------------------------
    _p("html_close_tag", "leaked_markup",
       r"</[A-Za-z][A-Za-z0-9]{0,9}>", 0.8,
       "A closing HTML tag inside a text block: translation widgets break markup apart "
       "('</span> <span class=' in seed 001)."),
    _p("html_open_tag", "leaked_markup",
       r"<(?:" + _HTML_TAGS + r")(?:>| ?/>| [a-z-]{1,20}=(?:\"[^\"<>\n]{0,200}\"|'[^'<>\n]{0,200}')?)",
       0.8,
       "An opening HTML tag with '>' or an attribute ('<span class=', '<p>'); a bare '<b' is not "
       "enough (could be maths)."),
    _p("html_attribute", "leaked_markup",
       _word_start(*(a + r"[a-z-]{0,20}=[\"']" if a.endswith("-") else a + r"=[\"']"
                     for a in _HTML_ATTRS)), 0.7,
       "'class=\"', 'href=\"' inside prose: markup leaked through a translator or spinner.",
       trigger="=[\"']"),
    _p("nbsp_entity", "leaked_markup",
       r"&nbsp;", 0.5,
       "'&nbsp;' in extracted text: the markup was translated as text and the entity survived."),
    _p("html_entity", "leaked_markup",
       r"&(?:amp|quot|lt|gt|apos|ndash|mdash|rsquo|lsquo|rdquo|ldquo|hellip|#\d{2,5}|#x[0-9a-fA-F]{2,4});",
       0.3,
       "Other HTML entities: weak, because double-escaping scrapers make them too (27 BBC lines "
       "carry 'communiqu&#233;'). Counted once per block: more of them says no more about MT.",
       max_count=1),
    # --- split_initialism ------------------------------------------------------------------
    _p("split_initialism", "split_initialism",
       r"U(?<![^\W_.]U)(?<!\d U)\. (?:S\.(?: A\.)?(?! Grant)|K\.|N\.)|E(?<![^\W_.]E)\. U\.", 0.5,
       "'The U. S. Army': MT re-spaces country/organisation initialisms (U.S., U.K., U.N., E.U.). "
       "People's initials ('J. R. R. Tolkien', 'U. S. Grant') are not matched, nor US Reports "
       "citations ('410 U. S. 113', preceded by a number).", trigger=r"\. [SKNU]\."),
    # --- agency_photo_id -------------------------------------------------------------------
    _p("reuters_photo_id", "agency_photo_id",
       r"RT(?<![^\W_/.-]RT)[SXR](?=[A-Z]{0,4}\d)[0-9A-Z]{5}(?![^\W_/-]|\.[A-Za-z])", 0.7,
       "Reuters picture ids ('RTS1L010', 'RTX3M7XU': RT + S/X/R + 5 alphanumerics with a digit) "
       "that a copy-and-translate site pasted into the caption text (seed 001). Not counted inside "
       "file names or URLs."),
    # --- broken_spacing (weak) -------------------------------------------------------------
    _p("space_before_punct", "broken_spacing",
       r" (?<=[^\W_] )[,;:.?!](?![.?!,;:]|[^\W_]| \.)", 0.15,
       "'word , word': MT and spinners detokenise badly. Weak: 36 BBC lines have one (typos, "
       "French-style ' :'), so it only adds up.", trigger=_after(",;:.?!", " ")),
    _p("space_inside_brackets", "broken_spacing",
       r"\( (?=[^\W_]|[$£€])| (?<=[^\W_] )\)", 0.15,
       "'( the', 'word )': tokenised text glued back with spaces. Weak (4 BBC lines).",
       trigger=r"\( |" + _after(")", " ")),
    _p("space_before_closing_quote", "broken_spacing",
       r" \"(?=[,.;:])", 0.15,
       "'Syria \", said': a closing quote detached from its word and followed by punctuation; "
       "74 lines of WMT machine output, 1 BBC line.", trigger=_after('"', " ") + "(?=[,.;:])"),
    _p("detached_name_hyphen", "broken_spacing",
       _word_start(*(p + r" -(?=[A-Z])" for p in _ARABIC_PARTICLES)) + "|"
       + _word_start(*(p + r"- (?=[A-Z])" for p in _ARABIC_PARTICLES)), 0.2,
       "'Jabbar al -Luaibi': the hyphen of an Arabic name particle detached by MT tokenisation. "
       "Restricted to name particles because human text uses ' -' as a dash ('economy -which').",
       trigger=_after("-", "[a-z] ") + "(?=[A-Z])|" + _after("-", "[a-z]") + " (?=[A-Z])"),
    _p("percent_space", "broken_spacing",
       r" (?<=\d )%", 0.1,
       "'15 %': continental spacing carried over by MT (6 lines of WMT round trips, 0 BBC).",
       trigger=_after("%", r"\d ")),
    # --- currency_spacing (weak) -----------------------------------------------------------
    _p("currency_space", "currency_spacing",
       r"\$ \d(?:[\d,.]{0,20}\d)?|€ \d(?:[\d,.]{0,20}\d)?|£ \d(?:[\d,.]{0,20}\d)?"
       r"|¥ \d(?:[\d,.]{0,20}\d)?",
       0.2,
       "'$ 15,000,000.00': a space between currency sign and amount, typical of MT output "
       "(20 lines of WMT DeepL/Google output, 50 of round trips, 0 of BBC or human WMT)."),
))

# Letters of non-Latin scripts, as code-point ranges (the regex classes and mt.py's counting
# tables are both built from these): Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic, Thai/Lao,
# Georgian, Arabic presentation forms; then the ideographic ones (hangul, kana, CJK).
ALPHABETIC_FOREIGN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0370, 0x03FF), (0x0400, 0x052F), (0x0530, 0x058F), (0x0590, 0x05FF), (0x0600, 0x06FF),
    (0x0750, 0x077F), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x10A0, 0x10FF), (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFC))
IDEOGRAPHIC_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
    (0xFF66, 0xFF9F))
FOREIGN_RANGES = ALPHABETIC_FOREIGN_RANGES + IDEOGRAPHIC_RANGES
# Latin letters (ASCII, Latin-1 and Latin Extended-A/B), for the "mostly Latin block" test.
LATIN_RANGES: tuple[tuple[int, int], ...] = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges) + "]"


_FOREIGN = _char_class(FOREIGN_RANGES)
_SEPARATOR = "[ \u00a0\u3000-\u303f'’-]"
# (Compiled in one call to the table cache: the wide character classes took ~13 ms to compile.)
IDEOGRAPHIC, LATIN_LETTER, FOREIGN_SEPARATOR, FOREIGN_SCRIPT, FOREIGN_GATE = tablecache.compile_many([
    # Kana, hangul and CJK ideographs: one or two of them are already a word.
    _char_class(IDEOGRAPHIC_RANGES),
    _char_class(LATIN_RANGES),
    # A run of foreign letters, possibly several words (separators are disjoint from the
    # letters, so the repetition is linear).
    _SEPARATOR,
    f"{_FOREIGN}+(?:{_SEPARATOR}+{_FOREIGN}+)*",
    # Cheap gate: any character outside Latin, general punctuation and currency signs. Most
    # English pages fail it, and the foreign-script check (slower) only runs when it passes.
    # (Symbols, arrows, emoji and the replacement character are not scripts.)
    "[^\x00-\u036f\u1e00-\u1eff\u2000-\u2bff\ufffd\U0001f000-\U0001faff]",
], "mt-scripts")
# An untranslated fragment in running English text (MQM "source language fragment").
FOREIGN_FRAGMENT_WEIGHT = 0.55
# The same run right inside parentheses or quotes is usually a human gloss ("Putin (Путин)").
FOREIGN_GLOSS_WEIGHT = 0.1
