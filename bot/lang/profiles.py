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

from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES


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
            "da dann jetzt eigentlich einfach eh halt irgendwas irgendwie selbst mehr sehr gar "
            "ganz wirklich echt also na tja naja machen mache macht tun konnte will wollen "
            "wollte weiss wissen gibts geht gehts hab hast bist waren diese dieser dieses "
            "diesem diesen wenn weil damit denen dies sowas sone leute jemand kann ne nee "
            "moin servus"
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
            "bonjour salut merci svp stp peux peut puis faut dois doit il y est ce que "
            "quelque chose truc trucs ca cela ceci celle celui meme aussi alors donc bon ben "
            "bah genre faire fais fait veux voudrais voudrait sais savoir avoir etre es etait "
            "vais va aller cest jsuis chui jveux jpeux jsais moi toi lui eux quoi vraiment "
            "comme ici la tout toute toutes on peut coucou slt"
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
            "hola gracias porfa favor puedo puede tengo tiene hacer hago esto eso este algo "
            "alguna alguno algun algunas algunos cosa cosas mismo misma aquello aqui alli "
            "ahi todavia aun pues bueno oye tipo entonces pueden quiero queria necesito "
            "tienes tienen voy va vamos ir ser estar estas era sea mas poco pa pal porque pq "
            "xq q k ke tb tmb realmente verdad holi holis holaa"
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
            "dell all nell sull qualcosa qualche cosa cose stesso stessa allora quindi cioe "
            "tipo boh beh faccio fa possono voglio vorrei bisogna sapere so sai essere era "
            "stato avere c ce pero comunque ecco mica davvero proprio sto sta stai x "
            "questa questi queste quella quelli mi ci ne ciaoo salve"
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
            "mag zo dan nu iets zelf eens gewoon echt eigenlijk dus nou maar doen doe kunt "
            "wilt wou zou zouden weet weten gaat gaan ga zijn waren hier daar als omdat "
            "zodat hun hen jou jouw mn m zn ff effe eigenlijk iemand doei"
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
            "czesc dzieki prosze tak no tu tam moja mojego mojej moich moim mojemu moimi "
            "twoj twoja twoje twojego twoich jego jej ich nas was nam wam nich niego niej "
            "nim im go tej tym tych temu ktory ktora ktore ktorego ktorej ktorych sie ale bo "
            "wiec jednak takze jeszcze zeby aby albo lub oraz gdy jezeli jaka jakis jakies "
            "cos ktos wszystko wszystkich wszyscy masz mamy macie byc bedzie bylo byly "
            "jestes mozesz musze musi robic zrobic chce chcialbym chcialabym wiem wiesz "
            "dziekuje hej siema witam ok okej ogole prostu serio naprawde troche elo"
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
            "obrigada posso pode faco fazer voce vc alguma algum alguns algumas coisa coisas "
            "algo nisso disso disto daquilo aquilo aquele aquela mesmo mesma ai la aqui ne "
            "tipo entao ainda ta to tou estao estava era ser ter faz podem consigo da vou "
            "vai ir quero queria gostaria preciso precisa sei saber gente pessoal galera "
            "pfv pf vcs voces pra pro pras pros num numa dum duma pq porque porem tambem "
            "tb tbm msm q oq oii oie valeu"
        ),
        _w("nao n nunca sem nem nenhum nenhuma"),
        _phrases("exceto, tirando, fora, menos, a nao ser"),
        _w("so somente apenas unicamente"),
        _w("tenho uso no na um uma conta de eu estou"),
        _w("ou e nem"),
    ),
}
assert set(PROFILES) == set(LANGUAGES)

# Polish has no Snowball stemmer. A light one: the longest of these inflection endings
# (accents folded: "ować" is "owac", "ął" is "al") is cut when three letters stay. Verbs
# ("trenować", "trenowała", "trenują" -> "tren"), verbal nouns ("wyłączenie" -> "wylacz")
# and the case endings of nouns and adjectives ("zdjęcia", "zdjęciami" -> "zdjec").
_POLISH_ENDINGS = """
    owaniami owaniach owaniem owania owanie owaniu owanych owanego owanej owanym owana
    owane owany owano owalam owalem owalas owales owalismy owali owala owaly owalo owal
    owac ujecie ujemy ujesz ujacy ujac uja uje uj
    ieniem ienia ienie ieniu eniem enia enie eniu iecie ycie
    ialam ialem ialas iales iala iali ialy ialo ial
    alam alem alas ales alismy ala ali aly alo al
    ilam ilem ilas iles ila ili ilo il ylam ylem ylas yles yla yli ylo yl
    elam elem ela eli el
    iamy iasz iam iemy iesz amy asz acie aja isz imy emy esz ac ic yc am
    owego owemu owych owymi owej owym owie owi owy owa owe ow
    iami iach iom iem ami ach ego emu ych ymi imi ich iej ej ym im om em
    ia ie iu ii io y a e i o u
"""
_POLISH_SUFFIXES = tuple(sorted(set(_POLISH_ENDINGS.split()), key=len, reverse=True))


def _polish_stem(word: str) -> str:
    """Cut the longest known inflection ending that leaves a stem of three letters."""
    if len(word) <= 4:
        return word
    for suffix in _POLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
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
