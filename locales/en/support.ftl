# Support requests and outreach.

## Messages

support-request-open = Your support request is already open: a peer will answer you.
too-many-support-requests = At most { $max } support requests a day.
too-many-outreach = At most { $max } suggestions a week.
request-taken = Another peer has already taken this request.

## Notifications (.title, .body)

notification-support-requested =
    .title = A request for support
    .body = A colleague would like to talk to a peer.
notification-support-taken =
    .title = A peer is here
    .body = { $name } is here for you: the conversation is open.
notification-support-still-waiting =
    .title = Still looking for a peer
    .body = Nobody is free just now. If you need someone now: { $services }.
notification-outreach-offered =
    .title = A colleague is thinking of you
    .body = A colleague is thinking of you. A peer supporter is there if you would like to talk.
notification-support-closed =
    .title = Conversation closed
    .body = The support conversation has ended.
