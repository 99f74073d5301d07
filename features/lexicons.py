"""Word lists and phrase patterns behind the block features - heuristics kept as data.

Every list here was written by the newswinnow developers from English grammar (pronouns,
function words) and from reading the furniture, comment threads and spam of real pages
(the Dragnet/CleanEval pages, the YouTube spam collection); none is copied from a corpus.
Each entry says what it is evidence for. ``features.extract`` applies them; changing a list
changes the feature schema's meaning, so bump ``SCHEMA_VERSION`` there when you edit one.
"""

from __future__ import annotations

# --- word classes (matched on lower-cased \w+ tokens, apostrophes kept: "don't") ----------

# First-person singular: reader comments speak as "I"; news prose rarely does outside quotes.
FIRST_SINGULAR = ("i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll", "im", "ive")
# First-person plural: editorials and commenters ("we need"), weaker than singular.
FIRST_PLURAL = ("we", "us", "our", "ours", "ourselves", "we're", "we've", "we'll", "we'd")
# Second person: commenters address each other and the author; spam addresses the reader.
SECOND_PERSON = ("you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll",
                 "you'd", "u", "ur", "ya", "y'all")
# Reporting verbs and attributions: the backbone of news prose ("said", "told Reuters").
REPORTING = ("said", "says", "told", "according", "announced", "reported", "stated", "added",
             "confirmed", "spokesman", "spokeswoman", "spokesperson", "officials", "statement",
             "reuters", "afp", "ap", "correspondent", "noted", "explained", "insisted",
             "warned", "claimed", "revealed", "percent", "minister", "president", "government")
# Hedges and opinion markers typical of reader comments.
OPINION = ("think", "guess", "believe", "doubt", "opinion", "imo", "imho", "lol", "lmao",
           "rofl", "haha", "hahaha", "hehe", "hehehe", "wtf", "omg", "btw", "fyi", "pls",
           "please", "agree", "disagree", "sure", "maybe", "actually", "really", "totally",
           "stupid", "idiot", "idiots", "nonsense", "ridiculous", "yeah", "yes", "no", "nope",
           "thanks", "thank", "wow", "ok", "okay", "gonna", "wanna", "gotta", "dude", "guys")
# Spam vocabulary: promotion, money, calls to action (from reading YouTube/SMS spam).
SPAM_WORDS = ("subscribe", "channel", "check", "visit", "click", "free", "win", "winner",
              "earn", "money", "cash", "prize", "offer", "promo", "discount", "buy", "cheap",
              "follow", "like", "likes", "views", "video", "videos", "website", "site", "link",
              "join", "download", "register", "bonus", "income", "hour", "online", "home",
              "work", "dollars", "$", "guaranteed", "claim", "txt", "text", "call", "mobile",
              "http", "https", "www", "com", "ly", "bit", "facebook", "twitter", "instagram",
              "youtube", "share", "please", "plz", "thumbs", "support", "music", "song", "rap")
# Furniture words: navigation, sharing, legal, widgets, comment-form chrome.
BOILER_WORDS = ("home", "menu", "login", "log", "sign", "register", "search", "share", "tweet",
                "email", "print", "facebook", "twitter", "whatsapp", "flipboard", "linkedin",
                "pinterest", "reddit", "copyright", "reserved", "rights", "privacy", "policy",
                "terms", "cookies", "cookie", "advertisement", "advertise", "sponsored", "related",
                "more", "next", "previous", "prev", "newer", "older", "archive", "archives",
                "categories", "category", "tags", "tagged", "uncategorized", "subscribe",
                "newsletter", "rss", "feed", "contact", "about", "faq", "help", "skip", "top",
                "back", "comments", "comment", "reply", "replies", "post", "posted", "permalink",
                "disclaimer", "loading", "javascript", "enable", "browser", "updated", "published",
                "font", "size", "close", "toggle", "navigation", "sidebar", "footer", "header",
                "view", "views", "read", "popular", "trending", "latest", "video", "photos",
                "gallery", "weather", "sports", "business", "entertainment", "opinion", "world",
                "local", "news", "blog", "jobs", "classifieds", "shop", "store", "cart", "source")
# Comment-thread chrome near a commenter's name/date line.
COMMENT_META = ("reply", "replies", "report", "abuse", "permalink", "says", "wrote", "ago",
                "posted", "points", "point", "likes", "like", "dislike", "flag", "quote",
                "score", "parent", "share", "am", "pm", "edited", "member", "guest", "anonymous",
                "coward", "registered", "joined", "votes", "vote", "up", "down")
# Function words (a compact English stopword list): prose has many, furniture few.
STOPWORDS = (
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had",
    "has", "have", "he", "her", "him", "his", "how", "if", "in", "into", "is", "it", "its",
    "just", "more", "most", "not", "of", "on", "one", "only", "or", "other", "out", "over",
    "she", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "to", "up", "was", "were", "what", "when", "where",
    "which", "while", "who", "will", "with", "would",
)
# Contractions and informal spellings: conversational register.
INFORMAL = ("don't", "doesn't", "didn't", "can't", "won't", "isn't", "aren't", "wasn't",
            "it's", "that's", "there's", "what's", "i'm", "you're", "they're", "gonna", "wanna",
            "gotta", "kinda", "sorta", "ain't", "y'all", "lol", "u", "ur", "thx", "pls", "coz",
            "cuz", "dont", "cant", "wont", "isnt", "thats", "doesnt", "didnt", "yeah", "ya")

WORD_CLASSES: dict[str, tuple[str, ...]] = {
    "first_singular": FIRST_SINGULAR,
    "first_plural": FIRST_PLURAL,
    "second_person": SECOND_PERSON,
    "reporting": REPORTING,
    "opinion": OPINION,
    "spam_word": SPAM_WORDS,
    "boiler_word": BOILER_WORDS,
    "comment_meta": COMMENT_META,
    "stopword": STOPWORDS,
    "informal": INFORMAL,
}

# Laughter tokens.
LAUGHTER = ("lol", "lool", "lolol", "lmao", "lmfao", "rofl", "haha", "hahah", "hahaha", "hahahah",
            "hahahaha", "hahahahaha", "ahah", "ahaha", "ahahah", "hehe", "heheh", "hehehe",
            "hehehehe", "hihi", "xd", "jk", "smh")
# Month names and abbreviations: commenter date lines ("July 17th, 2012, 6:18 pm").
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
          "sep", "sept", "oct", "nov", "dec")
WORD_CLASSES["laughter"] = LAUGHTER
WORD_CLASSES["month"] = MONTHS

# --- word n-gram phrases (lower-cased tokens; "<num>" stands for any number) ----------------
# Matched as token bigrams/trigrams with numpy, so adding a phrase costs nothing at run time.

PHRASES: dict[str, tuple[str, ...]] = {
    # Calls to action typical of spam and link-sharing.
    "call_to_action": (
        "check out", "check it out", "check this out", "check my", "subscribe to", "please subscribe",
        "visit my", "my channel", "my video", "my videos", "my page", "my website", "my blog",
        "click here", "click the link", "click on", "follow me", "like and", "and subscribe",
        "per hour", "an hour", "from home", "at home", "work from", "earn money", "make money",
        "free gift", "free money", "promo code", "sign up", "join us", "join now", "a giveaway",
        "you won", "you have won", "to claim", "call now", "text back", "thumbs up", "go to",
        "if you like", "please like", "take a look", "have a look", "<num> an hour", "a day",
    ),
    # Hedged first-person opinion ("I think", "in my view", "IMO").
    "opinion_phrase": (
        "i think", "i thought", "i guess", "i believe", "i doubt", "i agree", "i disagree",
        "i suppose", "i reckon", "i feel", "i hope", "i wonder", "i suspect", "i find", "i mean",
        "i read", "i saw", "i don't", "i dont", "i am", "i'm not", "in my view", "in my opinion",
        "you ask me", "let me", "as i said", "i have", "i've been", "i was", "you are", "you're not",
        "you can't", "you need", "you should", "are you", "do you", "did you", "have you",
    ),
    # Reader comment chrome and commenter lines: "3 days ago", "says:", "Report abuse".
    "comment_meta_phrase": (
        "<num> days ago", "<num> hours ago", "<num> minutes ago", "<num> weeks ago",
        "<num> months ago", "<num> years ago", "<num> day ago", "<num> hour ago", "<num> year ago",
        "yesterday at", "report abuse", "reply report", "in reply to", "reply to", "said on",
        "posted by", "<num> points", "<num> likes", "<num> replies", "<num> reply", "<num> pm",
        "<num> am", "at <num>", "on <num>",
    ),
    # Comment-section headers: "524 comments", "Leave a Reply", "Responses to ...".
    "comment_header": (
        "<num> comments", "<num> comment", "<num> responses", "<num> response", "leave a reply",
        "leave a comment", "post a comment", "add a comment", "add your comment", "join the discussion",
        "show comments", "load comments", "view comments", "read comments", "all comments",
        "comments are closed", "comment policy", "responses to", "comments on", "your comment",
        "reader comments", "comments for", "comments to", "discussion threads",
    ),
    # Furniture: legal, sharing, subscription, navigation, read-more.
    "boiler_phrase": (
        "all rights reserved", "privacy policy", "terms of use", "terms of service",
        "terms and conditions", "read more", "see also", "related articles", "related stories",
        "related posts", "related news", "source link", "your email address", "email address",
        "required fields", "sign in", "sign up", "log in", "logged in", "share this", "share on",
        "follow us", "skip to", "back to top", "powered by", "more from", "most read",
        "most popular", "may also like", "might also like", "also read", "click to",
        "opens in", "new window", "be published", "cookie policy",
        "this website uses", "uses cookies", "accept cookies", "rights reserved", "copyright <num>",
        "updated <num>", "last updated", "published <num>", "subscribe to our", "our newsletter",
        "javascript is", "enable javascript", "previous article", "next article", "previous post",
        "next post", "filed under", "tagged with", "posted in", "view all", "show more",
    ),
}

# --- character patterns ---------------------------------------------------------------------
# Python's regex engine scans fast only for a pattern that starts with a literal character, so
# each family is a tuple of such patterns (run on the lower-cased page, one scan each), and
# single characters are counted with numpy over code points instead of by regex.
# Every pattern is linear-time: a literal start, then bounded classes only.

LITERAL_PATTERNS: dict[str, tuple[str, ...]] = {
    # URLs (and the share of the block they cover): link-outs and link drops.
    "url_span": (r"https?://[^\s<>\"]{1,300}", r"www\.[^\s<>\"]{1,300}"),
    # A bare domain ("syria.liveuamap.com").
    "url": (r"\.(?:com|net|org|co|ly|info|ru|tk|be|io|me|us|uk)\b",),
    # Embedded posts: "pic.twitter.com/...", YouTube links.
    "embed": (r"pic\.twitter\.com", r"youtu\.be/", r"youtube\.com/watch", r"instagram\.com/p/"),
    # Social handles: "@Amb_Yakovenko".
    "handle": (r"@[a-z0-9_]{2,30}",),
    # Emoticons.
    "emoticon": (r":-?[)(dp](?!\w)", r";-?[)(dp](?!\w)", r"=[)(dp](?!\w)", r"<3", r"\^_\^"),
    # Ellipses: trailing-off informal writing ("....").
    "ellipsis": (r"\.\.\.",),
    # Clock times ("6:18 pm", "@07:29AM").
    "clock": (r":\d\d(?!\d)",),
    # Thread ids and user ids on commenter lines: "(#40750343)", "by garaged (579941)".
    "thread_id": (r"\(#\d{4,}", r"\(\d{3,9}\)"),
    # Furniture: "(c) 2012", the "A+ A-" font widget.
    "boiler_literal": (r"\(c\) ?\d", r"a\+ ?a-"),
}
# Single characters counted over code points.
CHAR_SETS: dict[str, str] = {
    # Quotation marks (straight and curly): quoted speech in news, quoted replies in threads.
    "quote_mark": "\"\u201c\u201d\u00ab\u00bb",
    # Furniture characters: copyright; breadcrumb and menu separators when followed by a space.
    "copyright": "\u00a9",
    "separator": "|\u00bb\u203a>/\u2022",
    # Currency signs followed by a number: spam ("$85 an hour") and business news alike.
    "currency": "$\u00a3\u20ac",
    "ellipsis_char": "\u2026",
}
# Emoji and pictographs (code point ranges).
EMOJI_RANGES: tuple[tuple[int, int], ...] = ((0x1F300, 0x1FAFF), (0x2600, 0x27BF))

# Patterns tried at the start of each block only (original case).
START_PATTERNS: dict[str, str] = {
    # Numbered or bulleted list items: "1. Do you mean ...".
    "list_item": r"\s*(?:\d{1,2}[.)]|[-*\u2022\u00b7])\s",
    # News datelines: "ERBIL, Kurdistan Region -", "HABBANIYAH:", "LONDON (Reuters) -".
    "dateline": r"[A-Z][A-Z .'-]{2,30}(?:,\s?[A-Z][\w .'-]{1,40})?\s?(?:\([A-Za-z .]{2,20}\)\s?)?[-\u2013\u2014:]\s",
    # Addressing someone: "Dear SF", "@name", "Sinbad, you read ...".
    "address": r"(?:[Dd]ear [A-Z]\w*|@\w|[A-Z][a-z]{1,20}, (?:you|your|i|thanks|agreed|yes|no|exactly|well|sorry)\b)",
}

# First word of a block that marks thread chrome or a commenter line ("Reply", "by garaged").
CHROME_FIRST_WORDS = ("reply", "report", "quote", "permalink", "flag", "share", "like", "by", "posted",
                      "says", "wrote", "anonymous", "guest", "re")
WORD_CLASSES["comment_meta"] = COMMENT_META + tuple(w for w in CHROME_FIRST_WORDS if w not in COMMENT_META)
