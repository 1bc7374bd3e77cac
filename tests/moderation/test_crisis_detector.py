"""The crisis detector as moderators meet it: levels, the phrases behind them, and the lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.crisis.detector import assess
from moderation.crisis.evaluation import evaluate, read_labelled
from moderation.crisis.language import languages_for
from moderation.crisis.levels import Level
from moderation.crisis.lists import ListError, read_lexicon, shipped
from moderation.crisis.normalise import Normaliser
from moderation.reports import ReportCategory, category_for

CRISIS_SET = Path(__file__).parent / "crisis_set"


def level(text: str, language: str | None = "en") -> Level:
    return assess(text, language).level


def test_a_stated_intent_with_a_time_and_a_note_is_acute_and_says_why() -> None:
    found = assess("I'm going to kill myself tonight. The note is on my desk.", "en")
    assert found.level == Level.ACUTE
    assert "kill myself tonight" in found.reasons and "note is on my desk" in found.reasons
    assert found.lowered == () and found.languages == ("en",)


@pytest.mark.parametrize(
    "text",
    [
        "Goodbye everyone. Wrote letters for my mum and brother, they're on the kitchen table.",
        "saved up two months of my meds. taking all of them once everyone is asleep",
        "I won't be around after tonight. Please look after each other.",
    ],
)
def test_farewells_and_saved_means_are_acute_without_crisis_words(text: str) -> None:
    assert level(text) == Level.ACUTE


@pytest.mark.parametrize(
    "text",
    [
        "honestly everyone would be better off without me",
        "every night i hope i just don't wake up",
        "I'm so tired of existing. I can't picture a future.",
        "relapsed tonight and cut myself again",
        "I'm really worried about my roommate, she keeps saying she wants to die",
    ],
)
def test_ideation_self_harm_burden_and_a_worried_friend_are_concern(text: str) -> None:
    assert level(text) == Level.CONCERN


def test_no_plan_keeps_a_wish_to_die_at_concern_and_is_reported_as_lowering() -> None:
    found = assess("i want to die tonight but i have no plan", "en")
    assert found.level == Level.CONCERN
    assert "no plan" in found.lowered


@pytest.mark.parametrize(
    "text",
    [
        "this commute is killing me",
        "I'd die for a bowl of ramen rn",
        "LMAOOO i'm dead 💀 that cat video",
        "finally killed the final boss in Elden Ring after 40 tries",
        "Not suicidal anymore, 2 years since my last attempt and life is good.",
        "40 days clean from self-harm today! #recovery",
        "Local news: police say the death was ruled an accident, not a suicide.",
        '"Mama, just killed a man" — karaoke night, our table did Bohemian Rhapsody',
        "September 10 is World Suicide Prevention Day. In the US call or text 988.",
        "Goodbye everyone, off on holiday for two weeks, see you soon!",
    ],
)
def test_idioms_recovery_news_lyrics_games_and_awareness_are_not_alarms(text: str) -> None:
    found = assess(text, "en")
    assert found.level == Level.NONE, found
    assert found.lowered, "what lowered it is reported"


@pytest.mark.parametrize(
    "text",
    [
        "gonna k*ll myself",
        "thinking about s u i c i d e again",
        "k.m.s honestly",
        "su1c1de is all i think about",
        "i want to killlll myself",
        "i want to unalive myself",
        "passive sewer slide thoughts again",
        "self h@rm urges are back",
    ],
)
def test_evasive_spellings_are_read_through(text: str) -> None:
    assert level(text) != Level.NONE


def test_normalising_undoes_evasions_and_leaves_numbers_alone() -> None:
    read = Normaliser(["kill", "suicide", "matarme"])
    assert read("K*LL") == "kill"
    assert read("s u i c i d e, k.m.s") == "suicide, kms"
    assert read("su1c1de m4tarme h@rm") == "suicide matarme harm"
    assert read("Últimô adiós “byeeee”") == 'ultimo adios "bye"'
    assert read("3 weeks, 10min, 4pm, 988") == "3 weeks, 10min, 4pm, 988"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Voy a suicidarme esta noche. Ya tengo todo preparado.", "es-MX", Level.ACUTE),
        ("me siento una carga para todos, estarían mejor sin mí", "es", Level.CONCERN),
        ("me muero de hambre, pedimos pizza?", "es", Level.NONE),
        ("C'est mon dernier message. Je vais me tuer cette nuit.", "fr-CA", Level.ACUTE),
        ("je suis un poids pour tout le monde", "fr", Level.CONCERN),
        ("ce trajet en RER me tue chaque matin", "fr", Level.NONE),
        ("Das ist mein letzter Beitrag. Morgen bin ich nicht mehr da.", "de-AT", Level.ACUTE),
        ("Ich bin nur noch eine Last für meine Familie.", "de", Level.CONCERN),
        ("Der Stau bringt mich heute noch um 🙄", "de", Level.NONE),
    ],
)
def test_each_language_has_its_lists(text: str, language: str, expected: Level) -> None:
    assert level(text, language) == expected
    assert level(text, None) == expected  # detected, or every list when unsure


def test_the_language_is_the_declared_one_else_guessed_else_every_list() -> None:
    lexicons = shipped()
    assert set(lexicons) == {"de", "en", "es", "fr"}
    spanish = "pienso que ya no puedo mas con esto y nadie lo sabe"
    assert languages_for("es-MX", "", lexicons) == ("es",)
    assert languages_for("pt-BR", spanish, lexicons) == ("es",)
    assert set(languages_for(None, "ok", lexicons)) == set(lexicons)


def test_a_broken_list_is_refused_with_its_name_and_phrase() -> None:
    broken = '[language]\ncode = "xx"\n[[raise]]\ncategory = "intent"\nweight = 3\n'
    with pytest.raises(ListError, match=r"xx.toml: '\)' missing in '\(kill myself'"):
        read_lexicon(broken + 'phrases = ["(kill myself"]\n', "xx.toml")
    with pytest.raises(ListError, match="category 'sadness' is not one of"):
        read_lexicon(broken.replace("intent", "sadness"), "xx.toml")


def test_a_report_comment_that_sounds_like_a_worry_is_a_self_harm_report() -> None:
    worry = category_for(None, [], "I think she wants to kill herself")
    assert worry == ReportCategory.SELF_HARM
    assert category_for(None, [], "creo que quiere quitarse la vida") == ReportCategory.SELF_HARM
    assert category_for(None, [], "spam links in every reply") == ReportCategory.OTHER


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
def test_the_tuning_and_dev_sets_meet_the_targets(language: str) -> None:
    lines = [
        line
        for part in ("tuning", "dev")
        for line in (CRISIS_SET / f"{language}.{part}.jsonl").read_text("utf-8").splitlines()
    ]
    figures = evaluate(read_labelled(lines)).overall.figures()
    assert figures["acute_recall"] is not None and figures["acute_recall"] >= 0.95
    assert figures["concern_recall"] is not None and figures["concern_recall"] >= 0.85
    assert figures["false_alarm_rate"] is not None and figures["false_alarm_rate"] <= 0.05
