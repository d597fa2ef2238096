# Mentorship: requests, suggestions and programme rounds.

## Messages

mentor-unavailable = This mentor is on a break or full.
already-requested = A request to this mentor is already open or active.
too-many-open-requests = At most { $max } open requests at a time.
no-free-slot = No free slot left.
mentorship-not-active = This mentorship is not active.
only-after-completion = Feedback is left once the mentorship is completed.
round-proposal = Suggested by the mentorship programme from your areas, languages and availability.

## Notifications (.title, .body)

notification-mentorship-requested =
    .title = New mentorship request
    .body = { $name } would like you as a mentor.
notification-mentorship-waiting =
    .title = A request is waiting
    .body = { $name } has been waiting 5 days for your answer.
notification-mentorship-accepted =
    .title = Request accepted
    .body = { $name } agreed to mentor you.
notification-mentorship-declined =
    .title = Request declined
    .body = { $name } cannot mentor you: other mentors can.
notification-mentorship-withdrawn =
    .title = Request withdrawn
    .body = { $name } withdrew their mentorship request.
notification-mentorship-expired =
    .title = No answer
    .body = { $name } did not answer in 14 days. { $suggested ->
        [0] Search for a mentor again.
       *[other] Other mentors are available for you: find them under Mentorship.
    }
notification-mentorship-ended =
    .title = Mentorship ended
    .body = { $name } ended the mentorship.
notification-mentorship-completed =
    .title = Mentorship completed
    .body = { $name } marked your mentorship as completed. Leave feedback if you wish.
notification-mentor-paused =
    .title = Mentor on a break
    .body = { $name } is taking a break: your request is closed; other mentors can help.
notification-round-mentor-found =
    .title = A mentor for you
    .body = The mentorship programme suggests { $name }.
notification-round-mentee-found =
    .title = Someone to mentor
    .body = The mentorship programme suggests you mentor { $name }.

## Labels

# A mentorship area as people say it; $area is the API's name (STRESS_MANAGEMENT…).
area-label = { $area ->
        [BURNOUT_PREVENTION] burnout prevention
        [STRESS_MANAGEMENT] stress management
        [WORK_LIFE_BALANCE] work-life balance
        [CAREER_DEVELOPMENT] career development
        [CLINICAL_PRACTICE] clinical practice
        [LEADERSHIP] leadership
        [INTERPROFESSIONAL_COLLABORATION] interprofessional collaboration
        [NEW_GRADUATE_TRANSITION] first years after graduating
        [RESEARCH] research
       *[other] grief and loss
    }

## Why a mentor is suggested

match-areas-in-common = { $count ->
        [one] { $count } area
       *[other] { $count } areas
    } in common: { $areas }
match-same-profession = Same profession: { $profession }
match-speaks = Speaks { $language }
match-same-region = Same region: { $region }
match-experience = { $years ->
        [one] { $years } year
       *[other] { $years } years
    } of experience
match-free-slots = { $slots ->
        [one] { $slots } free slot
       *[other] { $slots } free slots
    }
