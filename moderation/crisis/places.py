"""Where crisis resources and care words apply: ISO 3166-1 alpha-2 country codes and the
language codes (ISO 639 primary subtags of BCP 47 tags) they are keyed by, read once."""

from __future__ import annotations

from federation.errors import Invalid

ANYWHERE = "*"  # a resource for every country, or in every language

# ISO 3166-1 alpha-2, the officially assigned codes, and XK (Kosovo: user-assigned, but what
# phone companies, the EU and CLDR use).
_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
"""
COUNTRIES = frozenset(_CODES.split())


def country_problem(code: str) -> str | None:
    """Why `code` is not a country code (None: it is one)."""
    if code in COUNTRIES:
        return None
    return f"{code!r} is not an ISO 3166 country code (two letters, such as US, GB or DE)"


def language_problem(code: str) -> str | None:
    """Why `code` is not a language code as resources are keyed (None: it is one)."""
    if 2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower():
        return None
    return f"{code!r} is not a language code (two or three letters, such as en, es or de)"


def parse_country(text: str, *, anywhere: bool = True) -> str:
    """A country code as given (any case), or "*" for anywhere when that is allowed."""
    code = text.strip().upper()
    if code in COUNTRIES or (anywhere and code == ANYWHERE):
        return code
    if anywhere:
        raise Invalid(
            "{code!r} is not an ISO 3166 country code (two letters, such as US, GB or DE),"
            ' or "*" for anywhere',
            code=code,
        )
    raise Invalid(
        "{code!r} is not an ISO 3166 country code (two letters, such as US, GB or DE)", code=code
    )


def parse_language(text: str, *, anywhere: bool = True) -> str:
    """The primary language of a BCP 47 tag as given (`fr-CA` is `fr`), or "*" for any."""
    code = text.strip().replace("_", "-").split("-", 1)[0].lower()
    if language_problem(code) is None or (anywhere and code == ANYWHERE):
        return code
    if anywhere:
        raise Invalid(
            "{code!r} is not a language code (two or three letters, such as en, es or de),"
            ' or "*" for any',
            code=code,
        )
    raise Invalid(
        "{code!r} is not a language code (two or three letters, such as en, es or de)", code=code
    )


def primary_language(tag: str | None) -> str | None:
    """The primary language of a tag a post carried, or None when it names none we can use."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return None if language_problem(code) else code
