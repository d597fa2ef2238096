# Notifications and devices.

## Messages

device-raced = This device was just registered elsewhere: please try again.

## Notifications (.title, .body)

notification-test-push =
    .title = Test notification
    .body = Notifications reach this device.

# What a push of a sensitive category shows on a lock screen instead of its text.
notification-neutral =
    .title = Relais
    .body = You have a new notification.
