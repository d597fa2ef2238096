# Demandes de soutien et propositions de contact.

## Messages

support-request-open = Votre demande de soutien est déjà ouverte : un pair va vous répondre.
too-many-support-requests = Au plus { $max } demandes de soutien par jour.
too-many-outreach = Au plus { $max } suggestions par semaine.
request-taken = Un autre pair a déjà pris cette demande.

## Notifications (.title, .body)

notification-support-requested =
    .title = Une demande de soutien
    .body = Un·e collègue aimerait parler à un pair.
notification-support-taken =
    .title = Un pair vous répond
    .body = { $name } est là pour vous : la conversation est ouverte.
notification-support-still-waiting =
    .title = Nous cherchons encore un pair
    .body = Personne n'est disponible pour l'instant. Si vous en avez besoin maintenant : { $services }.
notification-outreach-offered =
    .title = Un·e collègue pense à vous
    .body = Un·e collègue pense à vous. Un pair aidant est disponible si vous voulez en parler.
notification-support-closed =
    .title = Conversation close
    .body = La conversation de soutien est terminée.
