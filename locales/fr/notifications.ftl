# Notifications et appareils.

## Messages

device-raced = Cet appareil vient d'être enregistré ailleurs : réessayez.

## Notifications (.title, .body)

notification-test-push =
    .title = Notification de test
    .body = Les notifications arrivent bien sur cet appareil.

# What a push of a sensitive category shows on a lock screen instead of its text.
notification-neutral =
    .title = Relais
    .body = Vous avez une nouvelle notification.
