"""What the matcher knows about each of the eight languages, apart from their vocabulary.

Function words to ignore, the Snowball stemmer, the words that negate or narrow which
apps a question is about ("kein Facebook", "seulement WhatsApp", "oprócz Instagrama"),
elisions to split ("l'IA") and whether compounds are split. All general language
knowledge; the subject's vocabulary is in `lexicon.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from bot.knowledge.model import DEFAULT_LANGUAGE, LANGUAGES


@dataclass(frozen=True, slots=True)
class LanguageProfile:
    code: str
    stemmer: str  # a Snowball algorithm name
    stopwords: frozenset[str]
    negations: frozenset[str]  # "not", "no", "never", "without"
    exclusions: tuple[tuple[str, ...], ...]  # "apart from", "except"
    only: frozenset[str]  # "only", "just"
    fillers: frozenset[str]  # words that may stand between a cue and the app it governs
    conjunctions: frozenset[str]  # "or", "and": a list of apps shares one cue
    elisions: tuple[str, ...] = ()  # "l'", "dell'": split off before apostrophes vanish
    compounds: bool = False  # German and Dutch glue nouns together


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split()) for p in text.split(","))


PROFILES: dict[str, LanguageProfile] = {
    "en": LanguageProfile(
        "en",
        "english",
        frozenset(),  # English stop words live with the matcher, tuned on its phrasings
        _w("not no never without nor neither none cannot"),
        _phrases("except, apart from, other than, besides, excluding, aside from, but not"),
        _w("only just solely exclusively"),
        _w(
            "i do does did am is are was have has had use uses using used on in a an any the "
            "my account accounts even got own really actually anymore ever been user users "
            "either app or and at all longer"
        ),
        _w("or and nor"),
    ),
    "de": LanguageProfile(
        "de",
        "german",
        _w(
            "der die das den dem des ein eine einen einem einer eines und oder aber ich du er "
            "sie es wir ihr mich mir mein meine meinen meinem meiner dich dir dein deine uns "
            "euch sein seine ist bin sind war hat habe haben hatte wird werden wurde kann "
            "konnen muss mussen soll sollte will mochte wie was wo wann wer wen ob dass zu "
            "zum zur von vom mit fur auf an am im in aus bei nach uber um so auch noch nur "
            "schon doch ja mal denn man hallo hi bitte danke gibt es etwas alles sich hier "
            "da dann jetzt eigentlich einfach eh halt"
        ),
        _w("nicht kein keine keinen keinem keiner nie niemals ohne weder noch"),
        _phrases("ausser, ausgenommen, abgesehen von, bis auf"),
        _w("nur bloss lediglich ausschliesslich"),
        _w("ich habe hab hat bin auf bei in ein einen eine mehr mal gar ja konto account nutze"),
        _w("oder und noch"),
        compounds=True,
    ),
    "fr": LanguageProfile(
        "fr",
        "french",
        _w(
            "le la les l un une des de du d et ou mais je j tu il elle on nous vous ils elles "
            "me m te t se s mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs "
            "est suis sont etait ai as a avons avez ont ce c cette ces ca cela qui que qu quoi "
            "comment quand ou dans en sur pour par avec au aux y ne si tout tous bien "
            "bonjour salut merci svp stp peux peut puis faut dois doit il y est ce que"
        ),
        _w("pas ne n jamais sans ni aucun aucune plus"),
        _phrases("sauf, a part, excepte, hormis, en dehors de"),
        _w("seulement uniquement juste"),
        _w("je j ai n ne suis sur de d compte un une l le la utilise"),
        _w("ou et ni"),
        elisions=("l", "d", "j", "qu", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu"),
    ),
    "es": LanguageProfile(
        "es",
        "spanish",
        _w(
            "el la los las un una unos unas de del al y o pero yo tu el ella nosotros me te "
            "se mi mis tu tus su sus es soy son esta estoy estan fue he ha han hay que como "
            "cuando donde quien cual en con por para sobre a lo le les si ya muy tambien "
            "hola gracias porfa favor puedo puede tengo tiene hacer hago esto eso este"
        ),
        _w("no nunca sin ni ningun ninguna tampoco"),
        _phrases("excepto, salvo, aparte de, menos, fuera de"),
        _w("solo solamente unicamente"),
        _w("tengo uso en un una cuenta de mi yo estoy"),
        _w("o y ni"),
    ),
    "it": LanguageProfile(
        "it",
        "italian",
        _w(
            "il lo la i gli le un uno una di del della dei delle da dal dalla in nel nella con "
            "su per tra fra e o ma io tu lui lei noi voi loro mi ti si ci vi mio mia miei mie "
            "tuo suo sono sei e siamo ho hai ha abbiamo hanno che come quando dove chi cosa "
            "anche gia ciao grazie posso puo devo deve fare questo quello a al alla ai l d "
            "dell all nell sull"
        ),
        _w("non mai senza ne nessun nessuna neanche nemmeno"),
        _phrases("tranne, eccetto, a parte, salvo, oltre a"),
        _w("solo soltanto solamente unicamente"),
        _w("ho uso su un una account di l il io sono"),
        _w("o e ne"),
        elisions=("l", "d", "dell", "all", "nell", "sull", "dall", "un", "c", "quest", "po"),
    ),
    "nl": LanguageProfile(
        "nl",
        "dutch",
        _w(
            "de het een en of maar ik jij je u hij zij ze wij we jullie mij me mijn jouw zijn "
            "haar ons onze is ben bent was heb hebt heeft hebben had kan kun kunnen moet "
            "moeten wil wat hoe waar wanneer wie dat die dit deze er te van in op aan met voor "
            "door bij naar over om als ook nog al wel toch even hallo hoi dank bedankt graag "
            "mag zo dan nu"
        ),
        _w("niet geen nooit zonder noch"),
        _phrases("behalve, buiten, uitgezonderd, afgezien van"),
        _w("alleen enkel slechts uitsluitend"),
        _w("ik heb ben op een account gebruik zit"),
        _w("of en noch"),
        compounds=True,
    ),
    "pl": LanguageProfile(
        "pl",
        "porter",  # no Polish Snowball stemmer: suffixes are cut by _polish_stem
        _w(
            "i a o w we z ze na do od po za przez dla jak co czy to ten ta te tego jest sa "
            "jestem byl byla mam ma maja moje moj moja moi mnie mi sie ja ty on ona my wy oni "
            "ze by moge moze mozna trzeba kiedy gdzie kto jaki jakie jesli tez juz bardzo "
            "czesc dzieki prosze tak no tu tam"
        ),
        _w("nie bez ani zadnego zadnej zaden nigdy"),
        _phrases("oprocz, poza, z wyjatkiem, procz"),
        _w("tylko jedynie wylacznie"),
        _w("mam nie na konta konto uzywam jestem"),
        _w("ani lub albo i czy"),
    ),
    "pt": LanguageProfile(
        "pt",
        "portuguese",
        _w(
            "o a os as um uma uns umas de do da dos das em no na nos nas e ou mas eu tu ele "
            "ela nos voces eles elas me te se meu minha meus minhas seu sua seus suas e sou "
            "sao esta estou foi tenho tem temos que como quando onde quem qual com por para "
            "pelo pela ao aos isso isto esse essa este esta ja tambem muito oi ola obrigado "
            "obrigada posso pode faco fazer voce vc"
        ),
        _w("nao nunca sem nem nenhum nenhuma"),
        _phrases("exceto, tirando, fora, menos, a nao ser"),
        _w("so somente apenas unicamente"),
        _w("tenho uso no na um uma conta de eu estou"),
        _w("ou e nem"),
    ),
}
assert set(PROFILES) == set(LANGUAGES)

_POLISH_ENDINGS = "ami ach om ow owi ej ego emu ych ymi imi iem ie y a e i o u"
_POLISH_SUFFIXES = tuple(sorted(_POLISH_ENDINGS.split(), key=len, reverse=True))


def _polish_stem(word: str) -> str:
    """No Snowball stemmer for Polish: strip the commonest case endings from long words."""
    if len(word) <= 4:
        return word
    for suffix in _POLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=16)
def _stemmer(name: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(name)


@lru_cache(maxsize=65536)
def stem_word(word: str, language: str) -> str:
    """The language's stem of an accent-folded word; short words and numbers stay whole."""
    if len(word) <= 3 or word.isdigit():
        return word
    if language == "pl":
        return _polish_stem(word)
    profile = PROFILES.get(language) or PROFILES[DEFAULT_LANGUAGE]
    return _stemmer(profile.stemmer).stemWord(word)


def profile(language: str | None) -> LanguageProfile:
    return PROFILES.get(language or DEFAULT_LANGUAGE) or PROFILES[DEFAULT_LANGUAGE]


def guess_language(words: list[str], english_stopwords: frozenset[str]) -> str:
    """A cheap fallback when no hint is given: the language whose function words dominate.

    The bot passes the chat's language; this only keeps a hint-less caller from
    reading a German question with English rules.
    """
    counts = {"en": sum(w in english_stopwords for w in words)}
    for code, prof in PROFILES.items():
        if code != "en":
            counts[code] = sum(w in prof.stopwords or w in prof.negations for w in words)
    best = max(counts, key=lambda c: (counts[c], c == "en"))
    if best != "en" and counts[best] >= 2 and counts[best] > counts["en"]:
        return best
    return "en"
