"""Everyday words of seven languages mapped onto the English words the FAQ is written in.

A bridge, not a translation: until the knowledge base has phrasings in a language, a
German or Polish question is matched against the English phrasings through these words
("widerspruch" -> "object", "kinder" -> "kids"); the English synonyms then make them
canonical. It is general language knowledge (a small bilingual dictionary of the subject's
vocabulary), never copied from labelled questions. Keys are looked up after accent folding,
single words also by their Snowball stem, so one inflected form per line is usually enough.

Each line: `english: variant, variant, ...`. The first line of each language keeps "Meta AI"
(the assistant) from becoming the Meta AI *app*: the app's alias "meta.ai" normalises to
"meta ai", so without it every mention of the assistant would read as the app.

Single words are also matched by stem, so a variant must not share its stem with a
common function word ("nichts" would turn every "nicht" into "nothing", "parar" every
"para" into "stop"): such a variant is written as phrases, or the function word gets a line
of its own mapping it onto its English meaning (an exact word wins over a stem). The same
lines keep a function word spelt like an English negation, synonym or app name from being
read as one: Portuguese "no Instagram" is "on Instagram", French "son" is "his" (not the
English synonym "son" of "children"), Polish "bardzo" is not "Bard" with a case ending.
"""

from __future__ import annotations

from types import MappingProxyType

_RAW: dict[str, str] = {
    "de": """
        metaai: meta ai, meta ki
        object: widerspruch, widersprechen, widerspreche, widerspricht, einspruch, ablehnen,
            aufhoren, aufhort, aufhoert,
            verweigern, untersagen, opt out, austragen, abmelden, verbieten, unterbinden,
            verhindern, stoppen, deaktivieren, abschalten, ausschalten, abstellen,
            will nicht dass, mochte nicht dass, will nicht das, will ich nicht
        form: formular, antrag
        ai: ki, kunstliche intelligenz
        training: trainieren, training, trainiert, lernen, anlernen, fuettern, futtern
        data: daten, informationen, angaben, meine sachen, mein zeug, meinen sachen
        photos: fotos, bilder, foto, bild, selfies, aufnahmen
        posts: beitrage, beitraege, posts, inhalte, postings
        comments: kommentare
        private messages: private nachrichten, direktnachrichten, pns, privatnachrichten
        chats: chats, nachrichten, unterhaltungen, gesprache, gespraeche
        children: kinder, kind, sohn, tochter, jugendliche, minderjahrige, teenager, enkel
        deadline: frist, stichtag, deadline, bis wann, letzter tag, fristende
        too late: zu spat, zu spaet, verpasst
        delete: loschen, loeschen, geloscht, entfernen, kundigen
        account: konto, account, profil, zugang
        confirmation: bestatigung, bestaetigung, bestatigt, quittung, eingangsbestatigung,
            akzeptiert, angenommen
        withdraw: zuruckziehen, zurucknehmen, ruckgangig, widerrufen
        reason: begrundung, grund, begrunden
        safe: sicher ist, sicher sind, ist das sicher, sicherheit, geschutzt, datenschutz
        consent: einwilligung, zustimmung, einverstanden, erlaubnis
        public: offentlich, oeffentlich
        private: privat
        legal: legal, rechtens, erlaubt, rechtmassig, gesetz, gesetzlich
        court: gericht, klage, urteil, verklagt, klagen, olg, oberlandesgericht
        lawsuit: sammelklage, verbandsklage, musterfeststellungsklage
        compensation: schadensersatz, entschadigung, schmerzensgeld
        email: e mail, email, mail, benachrichtigung, hinweis
        notification: mitteilung, benachrichtigt, informiert
        glasses: brille, smart glasses
        camera roll: kamerarolle, galerie, mediathek, fotoalbum
        ads: werbung, anzeigen, reklame
        settings: einstellungen, einstellung
        what happens: was passiert
        nothing: nichts tun, nichts mache, nichts machen, nichts unternehme, gar nichts, nix
        not: nicht
        it: sich
        again: nochmal, noch einmal, erneut, wieder
        already: schon, bereits
        both: beide, beiden
        separately: getrennt, einzeln, separat
        why: wieso, weshalb, warum
        who: wer
        bot: bot
        reminder: erinnerung, erinnern, erinnere
        other people: andere leute, andere personen, freunde
        model: modell, modelle
        does it work: bringt das was, bringt es etwas, wirkt, nutzlos, sinnlos
        company: firma, konzern, unternehmen
        official: offiziell, betrug, fake
        country: land, lander
        germany: deutschland
        switzerland: schweiz
        brazil: brasilien
        outside eu: ausserhalb der eu, usa, amerika
        history: verlauf, suchverlauf
        voice: sprachaufnahmen, stimme, sprachnachrichten
        search: suche, suchen
        read: lesen, liest, gelesen, mitlesen, liest mit
        take: nehmen, nimmt, genommen, abgreifen, greift ab, sammelt, sammeln
        privacy: privatsphare
    """,
    "fr": """
        metaai: meta ai, meta ia
        object: opposition, opposer, oppose, m opposer, refuser, refus, desactiver, stopper,
            arreter, empecher, bloquer, interdire, desinscrire,
            veux pas que, jveux pas que, veut pas que, voudrais pas que
        form: formulaire
        ai: ia, intelligence artificielle
        training: entrainement, entrainer, entraine, apprentissage, apprendre, apprenne,
            nourrir
        data: donnees, informations, infos, mes trucs, mes affaires
        photos: photos, images, photo, image, selfies
        posts: publications, posts, contenus, contenu
        comments: commentaires
        private messages: messages prives, mp, messages directs
        chats: conversations, discussions, messages
        children: enfants, enfant, mon fils, ma fille, ados, adolescents, mineurs, petits enfants
        deadline: date limite, delai, echeance, jusqu a quand, dernier jour
        too late: trop tard, rate
        delete: supprimer, suppression, effacer, fermer
        account: compte, profil
        confirmation: confirmation, confirmer, accuse de reception, pris en compte, prise en compte,
            acceptee
        withdraw: retirer, annuler, revenir sur, changer d avis
        reason: raison, justifier, justification, motif
        safe: securite, securise, protege, protection
        consent: consentement, consentir, autorisation, accord
        public: public, publique
        private: prive, privee
        legal: legal, legale, autorise, loi
        court: tribunal, justice, proces, plainte, cnil
        lawsuit: action collective, action de groupe, recours collectif
        compensation: indemnisation, dedommagement
        email: e mail, mail, courriel, notification
        glasses: lunettes
        camera roll: pellicule, galerie
        ads: publicite, publicites, pub, pubs
        settings: parametres, reglages
        what happens: que se passe t il, qu est ce qui se passe
        nothing: rien
        again: encore, de nouveau, a nouveau, refaire
        already: deja
        both: deux, les deux
        separately: separement
        why: pourquoi
        who: qui
        reminder: rappel, rappeler
        other people: autres personnes, d autres personnes, amis
        model: modele, modeles
        does it work: ca sert, sert a quelque chose, efficace, inutile
        company: entreprise, societe
        official: officiel, arnaque
        country: pays
        switzerland: suisse
        brazil: bresil
        outside eu: hors ue, hors de l ue, etats unis, canada
        its: son
        history: historique
        voice: voix, vocal, enregistrements
        search: recherche
        read: lire, lit, lisent, lu, lus, lue, lues
        take: prendre, prennent, prend, pris, recuperent, recupere, collecte, collectent
        privacy: confidentialite, vie privee
    """,
    "es": """
        metaai: meta ai, meta ia
        object: oposicion, oponerme, oponer, oponerse, opongo, oponga, rechazar, negarme, niego,
            quitar, quito, desactivar, impedir,
            bloquear, evitar, que pare, detener, frenar, prohibir,
            no quiero que, no quiero q, no me gusta que
        form: formulario, solicitud
        ai: ia, inteligencia artificial
        training: entrenamiento, entrenar, entrena, entrenan, aprendizaje, aprender, aprenda,
            alimentar
        data: datos, informacion, mis cosas
        photos: fotos, imagenes, foto, imagen, selfies
        posts: publicaciones, posts, contenido, contenidos
        comments: comentarios
        private messages: mensajes privados, md, mensajes directos
        chats: chats, conversaciones, mensajes
        children: ninos, hijos, hijo, hija, menores, adolescentes, nietos, nino
        deadline: plazo, fecha limite, hasta cuando, ultimo dia
        too late: demasiado tarde, tarde
        delete: borrar, eliminar, cerrar, darme de baja
        account: cuenta, perfil
        confirmation: confirmacion, confirmar, acuse de recibo, aceptada, tramitada
        withdraw: retirar, anular, deshacer, cambiar de opinion, revocar, echarme para atras,
            echar para atras, echar pa atras, echarse atras, echarme atras
        reason: motivo, razon, justificar, justificacion
        safe: seguro, seguridad, protegido, proteccion
        consent: consentimiento, consentir, permiso, autorizacion
        public: publico, publica
        private: privado, privada
        legal: legal, ley
        court: tribunal, demanda, juicio, denuncia
        lawsuit: demanda colectiva, accion colectiva
        compensation: indemnizacion, compensacion
        email: correo, email, e mail, notificacion, aviso
        glasses: gafas, lentes
        camera roll: carrete, galeria
        ads: anuncios, publicidad
        settings: configuracion, ajustes
        what happens: que pasa, que ocurre
        nothing: nada
        again: otra vez, de nuevo, volver
        already: ya
        both: ambas, ambos, las dos, los dos
        separately: por separado
        why: por que
        who: quien
        reminder: recordatorio, recordar
        other people: otras personas, amigos
        model: modelo, modelos
        does it work: sirve, sirve de algo, funciona, inutil
        worked: funciono, salio bien, ha funcionado
        company: empresa, compania
        official: oficial, estafa
        country: pais
        brazil: brasil
        outside eu: fuera de la ue, latinoamerica, mexico, argentina, estados unidos
        history: historial
        voice: voz, grabaciones
        search: busqueda, buscar
        read: leer, lee, leen, leido, leyendo
        take: toman, tomar, agarran, agarrar, recogen, recopilan, recopilar
        privacy: privacidad
        for: para, pa
        are: son
    """,
    "it": """
        metaai: meta ai, meta ia
        object: opposizione, oppormi, opporre, opporsi, oppongo, rifiutare, disattivare, impedire,
            bloccare, fermare, vietare, negare,
            non voglio che, non vorrei che
        form: modulo, richiesta
        ai: ia, intelligenza artificiale
        training: addestramento, addestrare, allenare, addestrano, apprendimento, imparare,
            impari, impara
        data: dati, informazioni, mie cose, mia roba
        photos: foto, immagini, immagine, selfie
        posts: post, contenuti, pubblicazioni
        comments: commenti
        private messages: messaggi privati, dm, direct
        chats: chat, conversazioni, messaggi
        children: figli, figlio, figlia, bambini, bimbi, minori, minorenni, adolescenti, nipotini
        deadline: scadenza, termine, entro quando, ultimo giorno
        too late: troppo tardi, tardi
        delete: cancellare, eliminare, chiudere
        account: account, profilo
        confirmation: conferma, confermare, ricevuta, accettata, accolta
        withdraw: ritirare, annullare, revocare, cambiare idea
        reason: motivo, motivazione, ragione, giustificare
        safe: sicuro, sicurezza, protetto, protezione
        consent: consenso, permesso, autorizzazione
        public: pubblico, pubblica
        private: privato, privata
        legal: legale, lecito, per legge, la legge
        court: tribunale, causa, garante, denuncia
        lawsuit: class action, azione collettiva
        compensation: risarcimento, indennizzo
        email: email, e mail, mail, notifica, avviso
        glasses: occhiali
        camera roll: rullino, galleria
        ads: pubblicita, annunci
        settings: impostazioni
        what happens: cosa succede, che succede
        nothing: niente, nulla
        again: di nuovo, ancora, rifare
        already: gia
        both: entrambi, entrambe, tutti e due
        separately: separatamente
        why: perche
        who: chi
        reminder: promemoria, ricordare
        other people: altre persone, amici
        model: modello, modelli
        does it work: serve, serve a qualcosa, funziona, inutile
        worked: ha funzionato, andato a buon fine, andata a buon fine
        company: azienda, societa
        official: ufficiale, truffa
        country: paese
        switzerland: svizzera
        brazil: brasile
        outside eu: fuori dall ue, fuori ue, stati uniti
        history: cronologia
        voice: voce, registrazioni
        search: ricerca
        read: leggere, leggono, letto, letti, letta
        take: prendono, prendere, prende, preso, raccolgono, raccogliere
    """,
    "nl": """
        metaai: meta ai
        object: bezwaar, bezwaar maken, weigeren, uitschakelen, uitzetten, tegenhouden,
            voorkomen, blokkeren, stoppen, afmelden, verbieden,
            wil niet dat, wil ik niet, wil echt niet dat
        form: formulier, aanvraag
        ai: ai, kunstmatige intelligentie
        training: trainen, training, getraind, leren
        data: gegevens, data, informatie, mijn spullen, mijn dingen
        photos: fotos, foto, afbeeldingen
        posts: berichten, posts, inhoud
        comments: reacties, opmerkingen
        private messages: prive berichten, priveberichten, dm, dms
        chats: chats, gesprekken
        children: kinderen, kind, zoon, dochter, minderjarigen, tieners, kleinkinderen
        deadline: deadline, termijn, uiterste datum, tot wanneer, laatste dag
        too late: te laat, gemist
        delete: verwijderen, wissen, opzeggen
        account: account, profiel
        confirmation: bevestiging, bevestigen, ontvangstbevestiging, geaccepteerd, goedgekeurd
        withdraw: intrekken, terugdraaien, ongedaan maken
        reason: reden, motivatie, motiveren
        safe: veilig, veiligheid, beschermd, bescherming
        consent: toestemming, instemming
        public: openbaar, publiek
        private: prive
        legal: legaal, wettig, wet, mag dat
        court: rechter, rechtbank, rechtszaak, autoriteit persoonsgegevens
        lawsuit: massaclaim, collectieve actie
        compensation: schadevergoeding, compensatie
        email: mail, e mail, email, melding
        glasses: bril
        camera roll: filmrol, galerij, fotorol
        ads: advertenties, reclame
        settings: instellingen
        what happens: wat gebeurt er
        nothing: niets doe, niets doen, helemaal niets, niks
        not: niet
        again: opnieuw, nog een keer, weer
        already: al eens, al gedaan, heb al, had al, al eerder, reeds, al getraind, al gebruikt
        all: alles, alle
        both: beide, allebei
        separately: apart, los, afzonderlijk
        why: waarom
        who: wie
        reminder: herinnering, herinneren
        other people: anderen, vrienden
        model: model, modellen
        does it work: helpt het, heeft het zin, werkt het, nut, nutteloos
        company: bedrijf
        official: officieel, oplichting
        country: land
        brazil: brazilie
        outside eu: buiten de eu, amerika, verenigde staten
        history: geschiedenis
        voice: stem, opnames
        search: zoeken
        read: lezen, leest, gelezen, meelezen, leest mee
        take: nemen, neemt, genomen, pakken, pakt, verzamelen, verzamelt
    """,
    "pl": """
        metaai: meta ai, meta si
        meta: mete, mety, mecie
        ok: no
        object: sprzeciw, sprzeciwic, sprzeciwiam, sprzeciwu, odmowic, wylaczyc, wylacz,
            zablokowac, zatrzymac, zapobiec, zabronic, wypisac,
            nie chce zeby, nie chce aby, nie chcialabym zeby, nie chcialbym zeby
        form: formularz, wniosek
        ai: ai, si, sztuczna inteligencja
        training: trenowanie, trenowac, trening, szkolenie, uczenie, uczyc, trenuja
        data: dane, danych, informacje, moich rzeczach, moje rzeczy, moich rzeczy
        photos: zdjecia, zdjec, zdjecie, fotki, obrazy
        posts: posty, wpisy, tresci
        comments: komentarze
        private messages: prywatne wiadomosci, wiadomosci prywatne, dm, priv
        chats: czaty, rozmowy, wiadomosci
        children: dzieci, dziecko, syn, corka, nieletni, nastolatki, wnuki
        deadline: termin, do kiedy, ostatni dzien
        too late: za pozno
        delete: usunac, usuniecie, skasowac
        account: konto, profil
        confirmation: potwierdzenie, potwierdzic, przyjety, zaakceptowany, uwzgledniony
        withdraw: wycofac, cofnac, odwolac, zmienic zdanie
        reason: powod, uzasadnienie, uzasadnic
        safe: bezpieczne, bezpieczenstwo, chronione, ochrona
        consent: zgoda, zgody, pozwolenie
        public: publiczne, publiczny
        private: prywatne, prywatny
        legal: legalne, zgodne z prawem, prawo
        court: sad, pozew, uodo
        lawsuit: pozew zbiorowy
        compensation: odszkodowanie, zadoscuczynienie
        email: mail, e mail, email, powiadomienie
        glasses: okulary
        camera roll: rolka aparatu, galeria
        ads: reklamy, reklama
        settings: ustawienia
        what happens: co sie stanie
        nothing: nic
        again: ponownie, jeszcze raz, znowu
        already: juz
        both: oba, obie, obu
        separately: osobno, oddzielnie
        why: dlaczego, czemu
        who: kto
        reminder: przypomnienie, przypomniec
        other people: inni, znajomi
        model: model, modele
        does it work: ma sens, dziala, cos daje, bez sensu
        company: firma
        official: oficjalny, oszustwo
        country: kraj
        brazil: brazylia
        outside eu: poza ue, usa, ameryka
        history: historia
        voice: glos, nagrania
        search: wyszukiwanie
        read: czytac, czyta, czytaja, przeczytac, czytane
        take: brac, biora, bierze, brala, braly, brali, zbieraja, zbierac, zabieraja
        privacy: prywatnosc, prywatnosci
        very: bardzo
    """,
    "pt": """
        metaai: meta ai, meta ia
        in: no
        object: oposicao, opor, oponho, me opor, recusar, desativar, impedir, bloquear, parar,
            proibir, parar de usar, optar por nao, desativa, desative, desativo, desligar,
            desliga, desligo,
            nao quero que, n quero que, nao quero q
        form: formulario, solicitacao
        ai: ia, inteligencia artificial
        training: treinamento, treinar, treino, treinam, aprendizado, aprender, aprenda,
            alimentar
        data: dados, informacoes, minhas coisas, minhas paradas
        photos: fotos, imagens, foto, imagem, selfies
        posts: publicacoes, posts, postagens, conteudo
        comments: comentarios
        private messages: mensagens privadas, dm, direct, mensagens diretas
        chats: conversas, mensagens, chats
        children: filhos, filho, filha, criancas, crianca, menores, adolescentes, netos
        deadline: prazo, data limite, ate quando, ultimo dia
        too late: tarde demais, perdi o prazo
        delete: apagar, excluir, deletar, eliminar
        account: conta, perfil
        confirmation: confirmacao, confirmar, comprovante, aceita, aceitou
        withdraw: retirar, desfazer, cancelar, revogar, mudar de ideia
        reason: motivo, razao, justificar, justificativa
        safe: seguro, seguranca, protegido, protecao
        consent: consentimento, permissao, autorizacao
        public: publico, publica
        private: privado, privada
        legal: legal, lei
        court: tribunal, processo judicial, processar a meta, justica, anpd, cnpd
        lawsuit: acao coletiva
        compensation: indenizacao, compensacao
        email: email, e mail, notificacao, aviso
        glasses: oculos
        camera roll: rolo da camera, galeria
        ads: anuncios, publicidade
        settings: configuracoes, definicoes
        what happens: o que acontece
        nothing: nada
        again: de novo, outra vez
        new: novo, nova, novos, novas
        already: ja
        both: ambas, ambos, as duas, os dois
        separately: separadamente
        why: por que
        who: quem
        reminder: lembrete, lembrar
        other people: outras pessoas, amigos, parente, parentes, tia, tias, tio, tios, prima,
            primas, primo, primos, familiares
        internet: net
        model: modelo, modelos
        does it work: adianta, serve, funciona, inutil
        company: empresa
        official: oficial, golpe
        country: pais
        brazil: brasil
        outside eu: fora da ue, fora da europa, estados unidos
        history: historico
        voice: voz, gravacoes
        search: pesquisa, busca
        read: ler, le, leem, lido, lendo
        take: pegar, pegam, pega, pegou, pegando, coletar, coletam, coleta, recolhem
        privacy: privacidade
        for: para
        people: galera
    """,
}


def _parse(raw: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    current = ""
    for line in raw.strip().splitlines():
        line = line.strip()
        if ":" in line:
            current, _, line = line.partition(":")
            current = current.strip()
        table.setdefault(current, []).extend(v.strip() for v in line.split(",") if v.strip())
    return {k: tuple(v) for k, v in table.items()}


LEXICONS: MappingProxyType[str, dict[str, tuple[str, ...]]] = MappingProxyType(
    {lang: _parse(raw) for lang, raw in _RAW.items()}
)
