"""Vocabulary several extractors share: the ways pages name international medical graduates."""

from __future__ import annotations

import re

# "IMGs", "international medical graduates", "residents who graduated from medical schools
# outside the United States", "physicians who trained abroad", "médicos graduados en el
# extranjero": matched against normalised (lower-case) text.
IMG_TERM = (
    r"\b(?:international medical graduates?|imgs?|foreign medical graduates?|fmgs?"
    r"|international (?:medical )?(?:graduates?|applicants|schools?|residents?|physicians|trainees)"
    r"|(?:graduates|applicants|residents|interns|physicians) (?:of|from) (?:[\w,]+ ){0,4}"
    r"(?:international|foreign|non-us|overseas) (?:medical )?schools"
    r"|(?:medical )?(?:schools?|degrees?|training) (?:located )?(?:outside|abroad)(?: of)?"
    r"(?: the (?:us|united states)(?: and canada)?)?"
    r"|(?:graduated|trained|studied|educated) (?:\w+ ){0,4}(?:abroad|outside (?:of )?the (?:us|united "
    r"states))|global graduates"
    r"|(?:médicos|egresados|graduados) (?:\w+ ){0,3}(?:en el|del) extranjero"
    r"|(?:medical )?schools? (?:worldwide|around the world|in any country))\b"
)
IMG = re.compile(IMG_TERM)
