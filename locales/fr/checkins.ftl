# Bilans de bien-être et chiffres des équipes.

## Messages

shares-per-period = Vos bilans d'un même questionnaire peuvent compter pour { $max } groupes au plus par période de { $weeks ->
        [one] { $weeks } semaine
       *[other] { $weeks } semaines
    }.
wellbeing-tenure = Ne comptent que les personnes membres actives du groupe avant le début de la période, et qui ont partagé leur bilan avec lui.
wellbeing-privacy = Le chiffre d'une équipe couvre { $weeks ->
        [one] { $weeks } semaine
       *[other] { $weeks } semaines
    } et n'est publié qu'une fois la période close, à partir d'au moins { $min_respondents } membres présents avant son début, avec un bruit aléatoire tiré une seule fois : personne ne peut en déduire la réponse de quelqu'un, et il ne change plus ensuite.
instrument-answers = Attendu : { $items ->
        [one] { $items } réponse
       *[other] { $items } réponses
    }, chacune de { $min } à { $max }.

## Notifications (.title, .body)

notification-checkin-reminder =
    .title = Un moment pour vous ?
    .body = Trente secondes pour faire le point, quand vous le souhaitez.
