# Comptes, connexion et préférences.

## Messages

sign-in-required = Connectez-vous pour continuer.
session-invalid = Votre session a expiré ou n'est plus valide : reconnectez-vous.
authorization-malformed = En-tête Authorization illisible : « Bearer <jeton> » attendu.
wrong-credentials = Adresse e-mail ou mot de passe incorrect.
invalid-email = Adresse e-mail invalide.
email-taken = Un compte existe déjà avec cette adresse e-mail.
invalid-language = « { $value } » n'est pas un code de langue (fr, en…).
invalid-timezone = « { $value } » n'est pas un fuseau horaire IANA (Europe/Paris…).
invalid-locale = « { $value } » n'est pas une langue de l'application ({ $languages }).
invalid-time-of-day = « { $value } » n'est pas une heure HH:MM (22:00…).
quiet-hours-need-both = Indiquez le début et la fin des heures calmes, ou aucun des deux.
quiet-hours-empty = Le début et la fin des heures calmes doivent différer.
wrong-password = Mot de passe incorrect.
erased-account = Compte supprimé
someone = Quelqu'un
invalid-token = Ce lien ou ce code n'est plus valable : demandez-en un nouveau.
consent-required = Cette fonction demande votre accord au traitement de données de santé : donnez-le dans l'application d'abord.
email-not-verified = Confirmez d'abord votre adresse e-mail avec le code qui vous a été envoyé.
not-current-version = Ce n'est pas la version en vigueur de ce texte (en vigueur : { $current }).
verified-profession-required = Réservé aux professionnels vérifiés : connectez-vous une fois avec Pro Santé Connect (ou le fournisseur d'identité de votre établissement).
sign-in-unknown = Cette connexion est inconnue, déjà utilisée ou expirée ({ $code }) : revenez à l'application Relais et recommencez.
redirect-not-allowed = Cette adresse de retour n'est pas celle d'une application Relais.
profession-verified = Votre profession a été vérifiée par un fournisseur d'identité : elle se met à jour à chaque connexion avec lui.
last-way-in = C'est votre seul moyen de connexion : définissez d'abord un mot de passe (« Mot de passe oublié »).

## Notifications (.title, .body)

notification-welcome =
    .title = Bienvenue sur Relais, { $name }
    .body = Rejoignez un groupe de pairs, trouvez un mentor ou prenez un moment pour vous.

## Labels

# A profession as people say it; $profession is the API's name (NURSE…).
profession-label = { $profession ->
        [NURSE] infirmier·e
        [PHYSICIAN] médecin
        [CARE_AIDE] aide-soignant·e
        [MIDWIFE] sage-femme
        [PHARMACIST] pharmacien·ne
        [PSYCHOLOGIST] psychologue
        [PHYSIOTHERAPIST] kinésithérapeute
        [OCCUPATIONAL_THERAPIST] ergothérapeute
        [SOCIAL_WORKER] assistant·e social·e
        [PARAMEDIC] ambulancier·e
        [DENTIST] chirurgien·ne-dentiste
        [STUDENT] étudiant·e
        [ADMINISTRATIVE] personnel administratif
       *[other] autre profession
    }
# A language's name for a language tag ($tag: fr, en…); an unnamed tag is shown as it is.
language-name = { $code ->
        [fr] français
        [en] anglais
        [ar] arabe
        [es] espagnol
        [de] allemand
        [it] italien
        [pt] portugais
        [nl] néerlandais
        [wo] wolof
        [ht] créole haïtien
       *[other] { $tag }
    }

## Mails (.subject, .body: plain text, each blank line a paragraph)

mail-confirm-address =
    .subject = Confirmez votre adresse e-mail
    .body =
        Bonjour { $name },

        Pour confirmer que cette adresse est la vôtre, ouvrez ce lien avec l'application Relais :

        { $link }

        Ou saisissez ce code dans l'application : { $code }

        Si vous n'avez pas créé de compte Relais, ignorez ce message : rien ne se passera.

mail-password-changed =
    .subject = Votre mot de passe Relais a changé
    .body =
        Bonjour { $name },

        Le mot de passe de votre compte Relais vient d'être changé, et vos autres appareils ont été déconnectés.

        Si ce n'était pas vous, choisissez tout de suite un nouveau mot de passe avec « Mot de passe oublié » dans l'application.

mail-reset-password =
    .subject = Choisir un nouveau mot de passe
    .body =
        Bonjour { $name },

        Pour choisir un nouveau mot de passe, ouvrez ce lien avec l'application Relais dans les 30 minutes :

        { $link }

        Ou saisissez ce code dans l'application : { $code }

        Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.

mail-confirm-new-address =
    .subject = Confirmez votre nouvelle adresse e-mail
    .body =
        Bonjour { $name },

        Pour utiliser cette adresse avec votre compte Relais, ouvrez ce lien avec l'application Relais :

        { $link }

        Ou saisissez ce code dans l'application : { $code }

        Si vous n'avez rien demandé, ignorez ce message : rien ne changera.

mail-address-change-requested =
    .subject = Un changement de votre adresse e-mail Relais a été demandé
    .body =
        Bonjour { $name },

        Depuis votre compte Relais, quelqu'un a demandé à utiliser { $new_address } à la place de cette adresse. Rien ne change tant que la nouvelle adresse n'est pas confirmée.

        Si ce n'était pas vous, changez tout de suite votre mot de passe dans l'application : vos autres appareils seront déconnectés.
