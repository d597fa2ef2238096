# Peer groups, posts and moderation.

## Messages

group-name-taken = A group with this name already exists.
already-member = You are already a member of this group or your request is pending.
last-facilitator = This is the group's last facilitator: hand the role to another member first.
not-a-member = This person is not a member of the group.
invalid-parent-post = Replies go to a top-level post of the same group.
report-already-resolved = This report has already been resolved.
posting-suspended = You can no longer post in this group.
already-reported = You have already reported this post.
no-successor = No other active member can take over as the group's facilitator.
erased-post = Message deleted

## Notifications (.title, .body)

notification-group-join-request =
    .title = Request to join { $group }
    .body = Someone would like to join your group.
notification-group-join-approved =
    .title = Welcome to { $group }
    .body = Your request to join was accepted.
notification-post-reply =
    .title = New reply in { $group }
    .body = Someone replied to your post.
notification-post-removed-posting-suspended =
    .title = Post removed in { $group }
    .body = A moderator removed one of your anonymous posts. You remain a member of the group but can no longer post in it.
too-many-groups = You are in, or waiting to join, { $max } groups already: leave one first.
