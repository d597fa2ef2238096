# Groupes de pairs, publications et modération.

## Messages

group-name-taken = Un groupe porte déjà ce nom.
already-member = Vous êtes déjà membre de ce groupe ou votre demande est en attente.
last-facilitator = C'est le dernier animateur du groupe : confiez d'abord ce rôle à un autre membre.
not-a-member = Cette personne n'est pas membre du groupe.
invalid-parent-post = On ne répond qu'à une publication principale du même groupe.
report-already-resolved = Ce signalement est déjà traité.
posting-suspended = Vous ne pouvez plus publier dans ce groupe.
already-reported = Vous avez déjà signalé cette publication.
no-successor = Aucun autre membre actif ne peut reprendre l'animation du groupe.
erased-post = Message supprimé

## Notifications (.title, .body)

notification-group-join-request =
    .title = Demande d'adhésion à { $group }
    .body = Une personne souhaite rejoindre votre groupe.
notification-group-join-approved =
    .title = Bienvenue dans { $group }
    .body = Votre demande d'adhésion a été acceptée.
notification-post-reply =
    .title = Nouvelle réponse dans { $group }
    .body = Quelqu'un a répondu à votre publication.
notification-post-removed-posting-suspended =
    .title = Publication retirée dans { $group }
    .body = Un modérateur a retiré l'une de vos publications anonymes. Vous restez membre du groupe mais ne pouvez plus y publier.
too-many-groups = Vous êtes déjà dans { $max } groupes, ou en attente d’y entrer : quittez-en un d’abord.
