# Erreurs et limites communes à toute l'API.

## Messages

forbidden = Vous n'avez pas accès à cette ressource.
not-found = Introuvable.
rate-limited = Trop de tentatives : réessayez plus tard.
internal = Une erreur interne est survenue.
malformed-request = Requête GraphQL illisible (JSON attendu).
length-between = Doit compter entre { $min } et { $max } caractères.
too-long = Ne doit pas dépasser { $max } caractères.
too-many = Au plus { $max } éléments.
invalid-cursor = Curseur de pagination invalide.
number-between = Doit être entre { $min } et { $max }.
cannot-target-self = Impossible de vous viser vous-même.
control-characters = Caractères de contrôle refusés (seuls le retour à la ligne et la tabulation sont acceptés).
invisible-characters = Les caractères invisibles ou d'inversion de sens sont refusés dans un nom.
too-deep = Requête trop imbriquée : { $cost } niveaux, au plus { $max } permis (limite de profondeur).
too-complex = Requête trop coûteuse : elle coûte { $cost }, au plus { $max } permis (limite de complexité). Demandez des pages plus petites (`first`) ou scindez-la.
too-many-selections = Requête trop longue une fois ses fragments déployés : { $cost } sélections, au plus { $max } permises (limite de sélections).
too-slow = Requête arrêtée : une de ses étapes en base de données a pris plus de { $max } ms (limite de durée). Demandez des pages plus petites (`first`) ou moins de champs, ou réessayez plus tard.
too-many-aliases = Requête trop large : { $cost } alias, au plus { $max } permis par requête (limite d’alias).
errors-omitted = { $count ->
        [one] { $count } autre erreur omise
       *[other] { $count } autres erreurs omises
    }.
events-missed = Des événements ont été manqués : rechargez la liste puis abonnez-vous de nouveau.
too-many-subscriptions = Au plus { $max } abonnements par connexion.
must-be-in-future = Doit être dans le futur.
end-before-start = La fin doit venir après le début.
cannot-change = Ne peut pas être modifié.
choose-between = Choisissez entre { $min } et { $max } éléments.
transition-not-allowed = Impossible de passer de { $from } à { $to }.

# Between the items of a list in a sentence.
list-separator = { " ; " }
queries-only-over-get = Une requête GET ne peut que lire : envoyez mutations et abonnements en POST (ou par le websocket).
