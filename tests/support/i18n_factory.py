"""A small multilingual `faq/` for tests: English, German in full, Portuguese in part.

The shipped translations are being written while this code is; these hand-made ones are
enough for the loader, `check`, rendering and conversations. `multilingual_data` returns
plain dicts a test may break before `write_multilingual` turns them into files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.kb_factory import SOURCE, deadline, platform, topic, write_faq, yaml_text

FORM_URL = "https://forms.example.org/object"
REGULATOR = "https://regulator.example.org/notice"
LOCAL_SOURCE = {
    "title": "Verbraucherzentrale (Beispiel)",
    "url": "https://verbraucher.example.org/widerspruch",
    "date": "2025-05-02",
}


def english() -> dict[str, Any]:
    instagram = platform(
        "instagram",
        name="Instagram",
        aliases=["insta", "ig"],
        routes={
            "eu": {
                "steps": [
                    "Open Instagram and go to <b>Settings</b>.",
                    "Tap <b>Privacy Centre</b>, then the link to object.",
                    "Send the form; no reason is needed.",
                ],
                "form_url": FORM_URL,
            },
            "other": {"available": False, "steps": ["Make your account private."]},
        },
        expect="An e-mail that confirms your objection.",
    )
    return {
        "topics": [
            topic(
                "opt-out-instagram",
                title="Object on Instagram",
                question="How do I stop Instagram using my posts for AI?",
                alternates=[
                    "instagram ai opt out",
                    "stop instagram training ai on my photos",
                    "how to object to meta ai on instagram",
                    "instagram objection form",
                    "keep my insta posts out of ai",
                    "opt out of ai training instagram",
                    "instagram ai training how to say no",
                    "block instagram from using my pictures for ai",
                ],
                answer="Send Meta's objection form from the Instagram app; no reason is "
                "needed. To be safe, send it by {{deadline:object-by}}.",
                details="It covers your public posts and comments from the day you send it.",
                platform="instagram",
                related=["what-is-training"],
            ),
            topic(
                "what-is-training",
                title="What AI training is",
                question="What does Meta do with my posts for AI?",
                alternates=[
                    "what is ai training",
                    "why does meta want my posts",
                    "what does meta use my data for",
                    "how does meta train its ai",
                    "is meta reading my posts for ai",
                    "what happens to my photos in ai training",
                    "meta ai training explained",
                    "does meta feed my comments to its ai",
                ],
                answer="Meta uses public posts, photos and comments to train its AI models. "
                f'Read <a href="{REGULATOR}">the regulator\'s notice</a>.',
                disputed={
                    "summary": "Whether a later objection removes data already used.",
                    "positions": [
                        {
                            "claim": "Meta says trained models keep what they learned.",
                            "sources": [dict(SOURCE)],
                        },
                        {
                            "claim": "Regulators say the data must not be used again.",
                            "sources": [dict(SOURCE)],
                        },
                    ],
                },
            ),
            topic(
                "bot-privacy",
                title="What this bot stores",
                question="What does this bot store about me?",
                answer="Only your settings: language, region, time zone and reminders.",
            ),
        ],
        "platforms": [instagram],
        "deadlines": [
            deadline(
                "object-by",
                title="Last day to object",
                before="Object before the end of this day to keep all your posts out.",
                after="The day has passed; an objection still stops future training.",
                platforms=["instagram"],
            )
        ],
        "contract": {"required_topics": ["opt-out-instagram"], "required_platforms": []},
        "out_of_scope": [
            "i forgot my instagram password",
            "how do i get a blue tick",
            "my account was hacked",
            "how to delete a post",
        ],
    }


GERMAN_OUT_OF_SCOPE = [
    "ich habe mein instagram passwort vergessen",
    "wie bekomme ich den blauen haken",
    "mein konto wurde gehackt",
    "wie lösche ich einen beitrag",
    "wie ändere ich meinen benutzernamen",
    "wie stelle ich alte nachrichten wieder her",
    "wer hat meine story angesehen",
    "wie bekomme ich mehr follower",
    "whatsapp backup wiederherstellen",
    "wie entsperre ich jemanden",
    "facebook loggt mich ständig aus",
    "fake profil melden",
    "wie mache ich ein reel",
    "dunkelmodus einschalten",
    "musik zur story hinzufügen",
    "wie gehe ich live",
    "gruppe stumm schalten",
    "wie ändere ich mein profilbild",
    "was kostet werbung auf facebook",
    "wie wird das wetter morgen",
]


def german() -> dict[str, Any]:
    return {
        "topics": {
            "opt-out-instagram": {
                "title": "Widerspruch bei Instagram",
                "question": "Wie verbiete ich Instagram, meine Beiträge für KI zu nutzen?",
                "alternates": [
                    "instagram ki widerspruch",
                    "wie widerspreche ich bei instagram",
                    "insta ki training stoppen",
                    "instagram beiträge nicht für ki verwenden",
                    "widerspruch formular instagram",
                    "wie kann ich bei instagram der ki widersprechen",
                    "instagram fotos vor ki schützen",
                    "instagram ki nutzung meiner bilder verbieten",
                ],
                "answer": "Schick das Widerspruchsformular von Meta in der Instagram-App ab; "
                "eine Begründung brauchst du nicht. Sicher ist es, wenn du es bis "
                "{{deadline:object-by}} abschickst.",
                "details": "Er gilt für deine öffentlichen Beiträge und Kommentare ab dem Tag, "
                "an dem du ihn abschickst.",
            },
            "what-is-training": {
                "title": "Was KI-Training ist",
                "question": "Was macht Meta mit meinen Beiträgen für die KI?",
                "alternates": [
                    "was ist ki training",
                    "warum will meta meine beiträge",
                    "wofür nutzt meta meine daten",
                    "wie trainiert meta seine ki",
                    "liest meta meine beiträge für die ki",
                    "was passiert mit meinen fotos beim ki training",
                    "meta ki training einfach erklärt",
                    "füttert meta seine ki mit meinen kommentaren",
                ],
                "answer": "Meta nutzt öffentliche Beiträge, Fotos und Kommentare, um seine "
                f'KI-Modelle zu trainieren. Lies <a href="{REGULATOR}">den Hinweis der '
                "Aufsichtsbehörde</a>.",
                "disputed": {
                    "summary": "Ob ein späterer Widerspruch schon genutzte Daten entfernt.",
                    "positions": [
                        "Meta sagt, trainierte Modelle behalten, was sie gelernt haben.",
                        "Die Aufsichtsbehörden sagen, die Daten dürfen nicht wieder genutzt "
                        "werden.",
                    ],
                },
                "sources": [dict(LOCAL_SOURCE)],
            },
        },
        "platforms": {
            "instagram": {
                "aliases": ["instagramm"],
                "expect": "Eine E-Mail, die deinen Widerspruch bestätigt.",
                "routes": {
                    "eu": {
                        "steps": [
                            "Öffne Instagram und geh zu <b>Einstellungen</b>.",
                            "Tippe auf <b>Privacy Centre</b> und dann auf den Link zum "
                            "Widerspruch.",
                            "Schick das Formular ab; eine Begründung brauchst du nicht.",
                        ]
                    },
                    "other": {"steps": ["Stell dein Konto auf privat."]},
                },
            }
        },
        "deadlines": {
            "object-by": {
                "title": "Letzter Tag für den Widerspruch",
                "before": "Widersprich bis zum Ende dieses Tages, damit alle deine Beiträge "
                "draußen bleiben.",
                "after": "Der Tag ist vorbei; ein Widerspruch stoppt trotzdem künftiges Training.",
            }
        },
        "out_of_scope": list(GERMAN_OUT_OF_SCOPE),
    }


def portuguese() -> dict[str, Any]:
    """Only the Instagram objection, its steps and its deadline: the rest falls back."""
    return {
        "topics": {
            "opt-out-instagram": {
                "title": "Oposição no Instagram",
                "question": "Como impeço o Instagram de usar meus posts na IA?",
                "alternates": [
                    "instagram ia oposição",
                    "como me oponho no instagram",
                    "parar treino de ia no insta",
                    "formulário de oposição instagram",
                    "não quero que o instagram use minhas fotos na ia",
                    "como tirar meus posts do treino da ia da meta",
                    "instagram ia como recusar",
                    "bloquear instagram de usar minhas fotos para ia",
                ],
                "answer": "Envie o formulário de oposição da Meta pelo app do Instagram; não "
                "precisa dar motivo. Para garantir, envie até {{deadline:object-by}}.",
                "details": "Ela vale para seus posts e comentários públicos a partir do dia "
                "em que você enviar.",
            }
        },
        "platforms": {
            "instagram": {
                "aliases": ["insta-app"],
                "expect": "Um e-mail que confirma a sua oposição.",
                "routes": {
                    "eu": {
                        "steps": [
                            "Abra o Instagram e vá em <b>Configurações</b>.",
                            "Toque em <b>Privacy Centre</b> e depois no link de oposição.",
                            "Envie o formulário; não precisa dar motivo.",
                        ]
                    },
                    "other": {"steps": ["Deixe sua conta privada."]},
                },
            }
        },
        "deadlines": {
            "object-by": {
                "title": "Último dia para se opor",
                "before": "Oponha-se até o fim deste dia para manter todos os seus posts fora.",
                "after": "O dia já passou; a oposição ainda impede o treino futuro.",
            }
        },
    }


def multilingual_data() -> dict[str, Any]:
    return {"en": english(), "de": german(), "pt": portuguese()}


def write_language(faq: Path, language: str, data: dict[str, Any]) -> Path:
    """faq/i18n/<language>/: each part of `data` present becomes its file."""
    folder = faq / "i18n" / language
    folder.mkdir(parents=True, exist_ok=True)
    names = {"topics": "topics", "platforms": "platforms", "deadlines": "deadlines"}
    for key, name in names.items():
        if key in data:
            head = {"language": language} if key == "topics" else {}
            text = yaml_text({**head, key: data[key]})
            (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    if "out_of_scope" in data:
        text = yaml_text({"out_of_scope": data["out_of_scope"]})
        (folder / "out-of-scope.yaml").write_text(text, encoding="utf-8")
    return folder


def write_multilingual(root: Path, data: dict[str, Any] | None = None) -> Path:
    """The whole faq/ folder under `root`; returns its path."""
    data = data or multilingual_data()
    english_data = data["en"]
    faq = write_faq(root, english_data)
    (faq / "out-of-scope.yaml").write_text(
        yaml_text({"phrases": english_data["out_of_scope"]}), encoding="utf-8"
    )
    for language, texts in data.items():
        if language != "en":
            write_language(faq, language, texts)
    return faq
