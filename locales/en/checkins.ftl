# Wellbeing check-ins and team figures.

## Messages

shares-per-period = Your check-ins on one questionnaire may count for at most { $max } groups per period of { $weeks ->
        [one] { $weeks } week
       *[other] { $weeks } weeks
    }.
wellbeing-tenure = Only people who were active members of the group before the period began, and shared their check-in with it, count.
wellbeing-privacy = A team's figure covers { $weeks ->
        [one] { $weeks } week
       *[other] { $weeks } weeks
    } and is published once, after the period closes, from at least { $min_respondents } people who were members before it began, with random noise drawn a single time: no one can work out anyone's answer from it, and it never changes afterwards.
instrument-answers = Expected: { $items ->
        [one] { $items } answer
       *[other] { $items } answers
    }, each from { $min } to { $max }.

## Notifications (.title, .body)

notification-checkin-reminder =
    .title = A moment for you?
    .body = Thirty seconds to check in with yourself, whenever suits you.
