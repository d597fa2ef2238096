# Conversations privées.

## Messages

conversation-closed = Cette conversation est close : elle reste lisible.
conversation-already-reported = Vous avez déjà signalé cette conversation : les modérateurs l'examinent.
not-the-other-persons-message = Choisissez un message de l'autre personne, dans cette conversation.

## Notifications (.title, .body)

notification-new-message =
    .title = Nouveau message
    .body = { $name } vous a écrit.
notification-conversation-closed-by-moderation =
    .title = Conversation close
    .body = L'équipe de modération a clos une de vos conversations ; elle reste lisible.
edit-window-passed = Un message peut être modifié pendant { $minutes } minutes après son envoi.
