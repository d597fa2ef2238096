# Ateliers : inscriptions, rappels, calendriers et attestations.

## Messages

longer-than-hours = Au plus { $hours } heures.
required-for-format = Obligatoire pour ce format.
https-url = Une adresse https:// est attendue.
coordinates-in-person = Seul un atelier en présentiel ou hybride a des coordonnées.
both-or-neither = Indiquez la latitude et la longitude, ou aucune.
workshop-closed = Cet atelier a commencé ou a été annulé.
below-confirmed = { $confirmed ->
        [one] Une personne est déjà confirmée
       *[other] { $confirmed } personnes sont déjà confirmées
    } : pas moins de places.
already-registered = Vous êtes déjà inscrit·e à cet atelier.
not-registered = Vous n'êtes pas inscrit·e à cet atelier.
attendance-window = La présence se note du début de l'atelier à { $days } jours après sa fin.
not-confirmed = Cette personne n'a pas de place confirmée.
not-ended-yet = On évalue un atelier une fois terminé.
only-attendees-rate = Seules les personnes qui y ont participé évaluent un atelier.

## Notifications (.title, .body)

notification-workshop-reminder =
    .title = { $hours ->
        [24] Demain
       *[other] Bientôt
    } : { $title }
    .body = Votre atelier commence dans { $hours ->
        [24] 24 heures
       *[other] { $hours } h
    }.
notification-workshop-seat =
    .title = Une place pour vous : { $title }
    .body = Une place s'est libérée : votre inscription est confirmée.
notification-workshop-changed =
    .title = Changement : { $title }
    .body = L'horaire ou le lieu de l'atelier a changé.
notification-workshop-cancelled =
    .title = Annulé : { $title }
    .body = Cet atelier est annulé.
notification-workshop-registration-ended =
    .title = Inscription terminée : { $title }
    .body = Vous ne faites plus partie du groupe de cet atelier : votre inscription a pris fin.

## Documents

document-calendar-name = Relais : mes ateliers
document-online-link = Lien de connexion : { $url }
document-materials = À préparer : { $text }
document-certificate-title = Attestation de participation
document-certificate-statement = { $name } a participé à l'atelier « { $title } » le { $day }/{ $month }/{ $year }, d'une durée de { $tenths ->
        [0] { $whole }
       *[other] { $whole },{ $tenths }
    } { $hours ->
        [one] heure
       *[other] heures
    }.
document-certificate-organiser = Organisé par { $name }.
document-certificate-code = Code de vérification : { $code }
document-certificate-check = Toute personne qui détient ce code peut vérifier cette attestation : { $url }
