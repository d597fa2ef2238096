# Mentorat : demandes, suggestions et tours du programme.

## Messages

mentor-unavailable = Ce mentor fait une pause ou n'a plus de place.
already-requested = Une demande à ce mentor est déjà ouverte ou en cours.
too-many-open-requests = Au plus { $max } demandes ouvertes à la fois.
no-free-slot = Plus aucune place libre.
mentorship-not-active = Ce mentorat n'est pas en cours.
only-after-completion = Un avis se laisse une fois le mentorat terminé.
round-proposal = Mise en relation proposée par le programme de mentorat, selon vos domaines, vos langues et vos disponibilités.

## Notifications (.title, .body)

notification-mentorship-requested =
    .title = Nouvelle demande de mentorat
    .body = { $name } aimerait être accompagné·e par vous.
notification-mentorship-waiting =
    .title = Une demande vous attend
    .body = { $name } attend votre réponse depuis 5 jours.
notification-mentorship-accepted =
    .title = Demande acceptée
    .body = { $name } a accepté de vous accompagner.
notification-mentorship-declined =
    .title = Demande déclinée
    .body = { $name } ne peut pas vous accompagner : d'autres mentors le peuvent.
notification-mentorship-withdrawn =
    .title = Demande retirée
    .body = { $name } a retiré sa demande de mentorat.
notification-mentorship-expired =
    .title = Demande sans réponse
    .body = { $name } n'a pas répondu en 14 jours. { $suggested ->
        [0] Relancez une recherche de mentor.
       *[other] D'autres mentors sont disponibles pour vous : retrouvez-les dans Mentorat.
    }
notification-mentorship-ended =
    .title = Mentorat arrêté
    .body = { $name } a mis fin au mentorat.
notification-mentorship-completed =
    .title = Mentorat terminé
    .body = { $name } a marqué votre mentorat comme terminé. Laissez un avis si vous le souhaitez.
notification-mentor-paused =
    .title = Mentor en pause
    .body = { $name } fait une pause : votre demande est close, d'autres mentors peuvent vous accompagner.
notification-round-mentor-found =
    .title = Un mentor vous est proposé
    .body = Le programme de mentorat vous propose { $name }.
notification-round-mentee-found =
    .title = Une personne à accompagner
    .body = Le programme de mentorat vous propose d'accompagner { $name }.

## Labels

# A mentorship area as people say it; $area is the API's name (STRESS_MANAGEMENT…).
area-label = { $area ->
        [BURNOUT_PREVENTION] prévention de l'épuisement
        [STRESS_MANAGEMENT] gestion du stress
        [WORK_LIFE_BALANCE] équilibre vie pro-vie perso
        [CAREER_DEVELOPMENT] évolution de carrière
        [CLINICAL_PRACTICE] pratique clinique
        [LEADERSHIP] encadrement
        [INTERPROFESSIONAL_COLLABORATION] travail interprofessionnel
        [NEW_GRADUATE_TRANSITION] premières années après le diplôme
        [RESEARCH] recherche
       *[other] deuil et perte
    }

## Why a mentor is suggested

match-areas-in-common = { $count ->
        [one] { $count } domaine en commun
       *[other] { $count } domaines en commun
    } : { $areas }
match-same-profession = Même profession : { $profession }
match-speaks = Parle { $language }
match-same-region = Même région : { $region }
match-experience = { $years ->
        [one] { $years } an
       *[other] { $years } ans
    } d'expérience
match-free-slots = { $slots ->
        [one] { $slots } place libre
       *[other] { $slots } places libres
    }
