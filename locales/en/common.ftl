# Errors and limits shared by the whole API.

## Messages

forbidden = You do not have access to this resource.
not-found = Not found.
rate-limited = Too many attempts: please try again later.
internal = An internal error occurred.
malformed-request = Unreadable GraphQL request (JSON expected).
length-between = Must be between { $min } and { $max } characters long.
too-long = Must be at most { $max } characters long.
too-many = At most { $max } items.
invalid-cursor = Invalid pagination cursor.
number-between = Must be between { $min } and { $max }.
cannot-target-self = You cannot do this to yourself.
control-characters = Control characters are not accepted (only newline and tab are).
invisible-characters = Invisible and direction-changing characters are not accepted in a name.
too-deep = Query nested too deep: { $cost } levels, at most { $max } allowed (depth limit).
too-complex = Request too costly: it costs { $cost }, at most { $max } allowed (complexity limit). Ask for smaller pages (`first`) or split it.
too-many-selections = Request too long once its fragments are spread: { $cost } selections, at most { $max } allowed (selection limit).
too-slow = Request stopped: one of its database steps took more than { $max } ms (statement time limit). Ask for smaller pages (`first`) or fewer fields, or try again later.
too-many-aliases = Request too wide: { $cost } aliases, at most { $max } allowed per request (alias limit).
errors-omitted = { $count ->
        [one] { $count } more error omitted
       *[other] { $count } more errors omitted
    }.
events-missed = Events were missed: reload the list, then subscribe again.
too-many-subscriptions = At most { $max } subscriptions per connection.
must-be-in-future = Must be in the future.
end-before-start = The end must come after the start.
cannot-change = Cannot be changed.
choose-between = Choose between { $min } and { $max } items.
transition-not-allowed = Cannot go from { $from } to { $to }.

# Between the items of a list in a sentence.
list-separator = { "; " }
queries-only-over-get = A GET request may only read: send mutations and subscriptions over POST (or the websocket).
