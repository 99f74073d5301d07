"""The data of the soft translationese signal (``features/mt_soft.py``): what is counted.

The signal is a logistic model over *function-word n-grams*: every token of a block is reduced
to a symbol - the word itself when it is one of ``FUNCTION_WORDS``, a punctuation mark, or a
shape class for every other word (capitalised, number, contraction, its ending such as
"-tion", "-ly", "-ing", else long or short) - and the model weighs each symbol and each pair of
adjacent symbols. Content words never appear (bar a few light verbs and general nouns: "get",
"make", "people", "way"), so the model cannot learn topics, names or spelling conventions
(British "-ise" vs American "-ize" separates the WMT references from DeepL/Google output and
says nothing about machine translation); what it can learn is how the sentence is built:
article use, "of" chains, pronouns, connectives, where commas fall, contractions, nominal vs
verbal style. Those are the classic translationese features (Baroni & Bernardini 2006; Volansky et al. 2015).

Typography is flattened before anything is counted (``FLATTEN``): WMT references use curly
quotes and en dashes where the MT outputs use straight ones, a difference in the pipeline that
produced the files, not in the translation (issue 4 warns of that shortcut).
"""

from __future__ import annotations

from pathlib import Path

from features.tablecache import banked_regex

# One character for one character, so offsets stay valid: curly quotes -> straight, dashes and
# minus -> "-", guillemets and low quotes -> '"', the ellipsis character -> ".", no-break and
# thin spaces -> " ", the acute/grave accent used as an apostrophe -> "'".
FLATTEN: dict[int, str] = {
    ord(c): r
    for chars, r in (
        ("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
        ("\u2018\u2019\u201a\u201b\u00b4\u0060\u2032", "'"),
        ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        ("\u2026", "."),
        ("\u00a0\u2007\u2009\u200a\u202f", " "),
    )
    for c in chars
}

# Closed-class English words (and the commonest reporting verbs and adverbs of news), kept as
# themselves. Lower-case; contractions are tokens of their own ("don't", "it's"). The lines from
# "moreover" on were added 2026-12-03 as signals that do not depend on the source language:
# connectives and hedges (translators and MT use them differently from writers: explicitation,
# Baker 1993), indefinite and reflexive pronouns, the remaining contractions, and light verbs
# and general nouns (MT prefers the literal verb; people write "get", "make", "a lot"). Each
# group raised the out-of-fold page AUC on WMT 2008-15 (training/mt_soft.py's table). No
# spelling variants ("whilst", "amongst"): British vs American style is not translation.
_FUNCTION_WORDS_TEXT = """
the a an of to in and that is was for on with as by at from it he she they we i you me him us
them his her their its our your my this these those which who whom whose what when where why how
there here be been being are were am has have had having will would can could may might should
must shall do does did done not no nor but or if than then so also such more most much many very
only other another all any some each both either neither one two just even still yet already
again ever never always often about after before over under into onto through during against
between among without within up down out off because while although though since until unless
whether however therefore thus according said says say there's it's don't doesn't didn't isn't
wasn't aren't weren't can't won't wouldn't couldn't shouldn't haven't hasn't hadn't i'm we're
they're you're he's she's that's let's per via around across towards toward upon
moreover furthermore nevertheless meanwhile instead indeed hence whereas otherwise besides
perhaps probably likely possibly apparently actually really quite rather almost nearly simply
certainly clearly too well now like
something anything nothing everything someone anyone everyone itself themselves himself herself
myself ourselves yourself i've we've they've you've i'll we'll they'll you'll it'll he'll she'll
i'd we'd they'd you'd he'd she'd
get got make made take took go went come came give gave put keep kept people thing things way lot
"""
FUNCTION_WORDS: tuple[str, ...] = tuple(_FUNCTION_WORDS_TEXT.split())

# Punctuation marks that are symbols of their own (ASCII after flattening). A "." or "," between
# two digits is part of a number and not counted. A single quote that is not an apostrophe
# inside a word counts as '"': single vs double quotation marks is house style (the British
# WMT references quote 'like this'), not translation.
PUNCTUATION = '.,;:()"?!-'

# Lower-case words of at least MIN_SUFFIX_WORD letters are classed by their ending, the longest
# matching ending wins ("" keeps the word <long>/<short>: "business" is -ness, but "status" and
# "crisis" are no plurals). Nominalisations, adverbs, participles, adjectives and plurals are
# classic translationese markers whatever the source language (MT keeps the source's nominal
# and verbal style: Volansky et al. 2015; Vanmassenhove et al. 2019). No "-ise"/"-ize": that is
# house spelling. Evidence: training/mt_soft.py's table (page AUC with and without them).
SUFFIX_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("<-tion>", ("tion", "sion")),
    ("<-ment>", ("ment",)),
    ("<-ness>", ("ness", "ity")),
    ("<-ance>", ("ance", "ence")),
    ("<-ly>", ("ly",)),
    ("<-ing>", ("ing",)),
    ("<-ed>", ("ed",)),
    ("<-able>", ("able", "ible")),
    ("<-al>", ("al",)),
    ("<-ive>", ("ive",)),
    ("<-ous>", ("ous",)),
    ("<-er>", ("er",)),
    ("", ("ss", "us", "is")),
    ("<-s>", ("s",)),
)
MIN_SUFFIX_WORD = 5

# Shape classes of the other words, in this order after the function words and punctuation.
SHAPES: tuple[str, ...] = (
    "<num>",        # all digits
    "<cap_first>",  # capitalised, first word of the block
    "<cap>",        # capitalised elsewhere (names, sentence starts after a full stop)
    "<acronym>",    # two or more letters, all capitals
    "<contraction>",  # lower-case with an apostrophe inside ("people's"; "Germany's" is <cap>)
    "<long>",       # lower-case, more than LONG_WORD letters (and no SUFFIX_CLASSES ending)
    "<short>",      # lower-case, LONG_WORD letters or fewer (and no SUFFIX_CLASSES ending)
    *(name for name, _ in SUFFIX_CLASSES if name),
)
LONG_WORD = 7

# Frequent English words, kept as themselves after the function words (they override the
# shape/ending classes but do not count as function words for the prose test). MT's lexical
# choice is the literal, most common rendering ("believe", "currently", "problem", "decision");
# people vary it. The list is data, built from bbc_news at training time
# (``python -m training.mt_soft --build-words``: the FREQUENT_WORDS_K commonest words that are
# not function words and pass the rules below) and shipped in ``wordlists/mt_frequent_words.txt``.
# K = 300 was chosen out of fold on WMT de->en 2008-15 (training/mt_soft.py's table).
FREQUENT_WORDS_K = 300
FREQUENT_WORDS_PATH = Path(__file__).with_name("wordlists") / "mt_frequent_words.txt"
# A word must be written in lower case at least this share of its BBC occurrences: names
# ("Blair", "London") and acronyms ("UK", "BBC") are topics of 2004 British news, not style.
FREQUENT_MIN_LOWER_SHARE = 0.8
# Titles and news abbreviations: whether "Mr" takes a full stop is house style.
FREQUENT_EXCLUDED = frozenset({"mr", "mrs", "ms", "dr", "st", "sir", "lord", "bn", "th", "co", "re", "pre", "non"})
# British spellings (the BBC writes them, the WMT references mostly, DeepL/Google output not):
# house style, never a symbol. -our, -ise/-yse and their derivatives, -re, -mme, -ence for
# -ense, doubled l before a suffix. Linear-time (no nested quantifiers), matched whole.
BRITISH_SPELLING = banked_regex(
    r"[a-z]{2,}our(?:s|ed|ing|ite|ites|able|'s)?"
    r"|[a-z]{3,}[iy]s(?:e|ed|es|ing|ation|ations)"
    r"|[a-z]*(?:ntre|atre|etre|itre|bre)s?"
    r"|[a-z]*mmes?"
    r"|(?:defen|licen|offen|preten)ces?"
    r"|(?:travel|cancel|model|label|fuel|signal|channel|counsel|equal|marvel)l(?:ed|ing|er|ers)")


def _read_frequent_words(path: Path = FREQUENT_WORDS_PATH) -> tuple[str, ...]:
    """The shipped word list (one word a line, ``#`` comments); empty when absent, so a fresh
    checkout can rebuild it (a model trained with other words is then refused by its symbol check)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ()
    words = tuple(w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#"))
    return tuple(dict.fromkeys(w for w in words if w not in FUNCTION_WORDS))


FREQUENT_WORDS: tuple[str, ...] = _read_frequent_words()

# The symbol alphabet: row i of the model's unigram weights is SYMBOLS[i].
SYMBOLS: tuple[str, ...] = FUNCTION_WORDS + tuple(PUNCTUATION) + SHAPES + FREQUENT_WORDS
