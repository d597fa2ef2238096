# Private conversations.

## Messages

conversation-closed = This conversation has ended: it can still be read.
conversation-already-reported = You have already reported this conversation: the moderators are looking at it.
not-the-other-persons-message = Choose a message the other person wrote in this conversation.

## Notifications (.title, .body)

notification-new-message =
    .title = New message
    .body = { $name } wrote to you.
notification-conversation-closed-by-moderation =
    .title = Conversation closed
    .body = The moderation team closed one of your conversations; it can still be read.
edit-window-passed = A message can be changed for { $minutes } minutes after it is sent.
