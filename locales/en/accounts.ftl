# Accounts, sign-in and preferences.

## Messages

sign-in-required = Please sign in to continue.
session-invalid = Your session has expired or is no longer valid: please sign in again.
authorization-malformed = Unreadable Authorization header: "Bearer <token>" expected.
wrong-credentials = Incorrect email address or password.
invalid-email = Invalid email address.
email-taken = An account already exists with this email address.
invalid-language = "{ $value }" is not a language code (fr, en…).
invalid-timezone = "{ $value }" is not an IANA time zone (Europe/Paris…).
invalid-locale = "{ $value }" is not an app language ({ $languages }).
invalid-time-of-day = "{ $value }" is not a time HH:MM (22:00…).
quiet-hours-need-both = Give both the start and the end of quiet hours, or neither.
quiet-hours-empty = Quiet hours must start and end at different times.
wrong-password = Incorrect password.
erased-account = Deleted account
someone = Someone
invalid-token = This link or code is no longer valid: ask for a new one.
consent-required = This feature needs your agreement to the processing of health data: give it in the app first.
email-not-verified = Confirm your email address first, with the code sent to it.
not-current-version = This is not the current version of that text (current: { $current }).
verified-profession-required = For verified professionals only: sign in once with Pro Santé Connect (or your institution's identity provider).
sign-in-unknown = This sign-in is unknown, used or expired ({ $code }): go back to the Relais app and start again.
redirect-not-allowed = This return address is not a Relais app's.
profession-verified = Your profession was verified by an identity provider: it is updated each time you sign in with it.
last-way-in = This is your only way to sign in: set a password first ("Forgot password").

## Notifications (.title, .body)

notification-welcome =
    .title = Welcome to Relais, { $name }
    .body = Join a peer group, find a mentor or take a moment for yourself.

## Labels

# A profession as people say it; $profession is the API's name (NURSE…).
profession-label = { $profession ->
        [NURSE] nurse
        [PHYSICIAN] physician
        [CARE_AIDE] care aide
        [MIDWIFE] midwife
        [PHARMACIST] pharmacist
        [PSYCHOLOGIST] psychologist
        [PHYSIOTHERAPIST] physiotherapist
        [OCCUPATIONAL_THERAPIST] occupational therapist
        [SOCIAL_WORKER] social worker
        [PARAMEDIC] paramedic
        [DENTIST] dentist
        [STUDENT] student
        [ADMINISTRATIVE] administrative staff
       *[other] other profession
    }
# A language's name for a language tag ($tag: fr, en…); an unnamed tag is shown as it is.
language-name = { $code ->
        [fr] French
        [en] English
        [ar] Arabic
        [es] Spanish
        [de] German
        [it] Italian
        [pt] Portuguese
        [nl] Dutch
        [wo] Wolof
        [ht] Haitian Creole
       *[other] { $tag }
    }

## Mails (.subject, .body: plain text, each blank line a paragraph)

mail-confirm-address =
    .subject = Confirm your email address
    .body =
        Hello { $name },

        To confirm this address is yours, open this link with the Relais app:

        { $link }

        Or type this code in the app: { $code }

        If you did not create a Relais account, ignore this message: nothing will happen.

mail-password-changed =
    .subject = Your Relais password changed
    .body =
        Hello { $name },

        The password of your Relais account was just changed, and your other devices were signed out.

        If this was not you, choose a new password at once with "Forgot password" in the app.

mail-reset-password =
    .subject = Choose a new password
    .body =
        Hello { $name },

        To choose a new password, open this link with the Relais app within 30 minutes:

        { $link }

        Or type this code in the app: { $code }

        If you did not ask for this, ignore this message: your password stays as it is.

mail-confirm-new-address =
    .subject = Confirm your new email address
    .body =
        Hello { $name },

        To use this address for your Relais account, open this link with the Relais app:

        { $link }

        Or type this code in the app: { $code }

        If you did not ask for this, ignore this message: nothing will change.

mail-address-change-requested =
    .subject = A change of your Relais email address was requested
    .body =
        Hello { $name },

        Someone signed in to your Relais account asked to use { $new_address } instead of this address. Nothing changes until the new address is confirmed.

        If it was not you, change your password at once in the app: your other devices will be signed out.
