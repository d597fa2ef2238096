# Workshops: registration, reminders, calendars and certificates.

## Messages

longer-than-hours = At most { $hours } hours.
required-for-format = Required for this format.
https-url = An https:// address is expected.
coordinates-in-person = Only in-person and hybrid workshops have coordinates.
both-or-neither = Give both latitude and longitude, or neither.
workshop-closed = This workshop has started or was cancelled.
below-confirmed = { $confirmed ->
        [one] One person is already confirmed
       *[other] { $confirmed } people are already confirmed
    }: no fewer seats.
already-registered = You are already registered for this workshop.
not-registered = You are not registered for this workshop.
attendance-window = Attendance is recorded from the start until { $days } days after the end.
not-confirmed = This person has no confirmed seat.
not-ended-yet = A workshop is rated once it has ended.
only-attendees-rate = Only people who took part rate a workshop.

## Notifications (.title, .body)

notification-workshop-reminder =
    .title = { $hours ->
        [24] Tomorrow
       *[other] Soon
    }: { $title }
    .body = Your workshop starts in { $hours ->
        [24] 24 hours
       *[other] { $hours } h
    }.
notification-workshop-seat =
    .title = A seat for you: { $title }
    .body = A seat opened up: your registration is confirmed.
notification-workshop-changed =
    .title = Changed: { $title }
    .body = The workshop's time or place has changed.
notification-workshop-cancelled =
    .title = Cancelled: { $title }
    .body = This workshop is cancelled.
notification-workshop-registration-ended =
    .title = Registration ended: { $title }
    .body = You are no longer in this workshop's group: your registration has ended.

## Documents

document-calendar-name = Relais: my workshops
document-online-link = Online link: { $url }
document-materials = To prepare: { $text }
document-certificate-title = Certificate of attendance
document-certificate-statement = { $name } attended the workshop “{ $title }” on { $year }-{ $month }-{ $day }, lasting { $tenths ->
        [0] { $whole }
       *[other] { $whole }.{ $tenths }
    } { $hours ->
        [one] hour
       *[other] hours
    }.
document-certificate-organiser = Organised by { $name }.
document-certificate-code = Verification code: { $code }
document-certificate-check = Anyone holding this code can check this certificate: { $url }
