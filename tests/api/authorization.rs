//! The authorization matrix: every query, mutation and subscription of the schema, run as each
//! of ten personas against one small world, must end as `src/graphql/authorization.md` says.
//! A field of `schema.graphql` without a row there (or without an operation here) fails.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join, post_id};
use crate::helpers::{Session, TestApp, error_code};
use crate::mentorship::{profile_input, requested_id, respond};
use crate::sockets::{Frame, connect, next_frame, send};
use crate::workshops::{scheduled_id, workshop_input};

on_both_backends!(
    queries_follow_the_authorization_table,
    mutations_follow_the_authorization_table,
    subscriptions_follow_the_authorization_table,
    no_object_answers_to_a_guessed_id,
);

const TABLE: &str = include_str!("../../src/graphql/authorization.md");
const PASSWORD: &str = "a long enough password";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Persona {
    Nobody,
    Unrelated,
    Pending,
    Member,
    Facilitator,
    Owner,
    Supporter,
    Organiser,
    Moderator,
    Admin,
}

const PERSONAS: [Persona; 10] = [
    Persona::Nobody,
    Persona::Unrelated,
    Persona::Pending,
    Persona::Member,
    Persona::Facilitator,
    Persona::Owner,
    Persona::Supporter,
    Persona::Organiser,
    Persona::Moderator,
    Persona::Admin,
];

impl Persona {
    fn name(self) -> &'static str {
        match self {
            Persona::Nobody => "nobody",
            Persona::Unrelated => "unrelated",
            Persona::Pending => "pending",
            Persona::Member => "member",
            Persona::Facilitator => "facilitator",
            Persona::Owner => "owner",
            Persona::Supporter => "supporter",
            Persona::Organiser => "organiser",
            Persona::Moderator => "moderator",
            Persona::Admin => "admin",
        }
    }
}

/// The world every operation runs against: one private group with a person of each kind, the
/// owner's post, mentorship, conversation, support request, check-in, device and notifications.
struct World {
    tag: String,
    people: BTreeMap<Persona, Session>,
    mentor: Session,
    group: String,
    owner_post: String,
    member_post: String,
    post_report: String,
    workshop: String,
    /// Over, with the owner's attendance recorded.
    past_workshop: String,
    mentorship: String,
    /// The owner's mentorship with a second mentor, completed.
    completed_mentorship: String,
    mentorship_request: String,
    goal: String,
    conversation: String,
    /// The owner's message in it.
    owner_message: String,
    conversation_report: String,
    support_request: String,
    outreach_offer: String,
    notification: String,
    device_token: String,
    /// A second session of the owner's (another device), for revokeSession.
    owner_other_session: String,
}

/// The id of the report filed on a post or a conversation (moderators' queues hold every
/// world's reports).
async fn report_of(app: &TestApp, kind: &'static str, reported: &str) -> String {
    use diesel::prelude::*;
    use relais::db::schema::{conversation_reports, post_reports};
    let reported = reported.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(match kind {
                "post" => post_reports::table
                    .filter(post_reports::post_id.eq(&reported))
                    .select(post_reports::id)
                    .first::<String>(conn)?,
                _ => conversation_reports::table
                    .filter(conversation_reports::conversation_id.eq(&reported))
                    .select(conversation_reports::id)
                    .first::<String>(conn)?,
            })
        })
        .await
        .unwrap()
}

fn email(persona: &str, tag: &str) -> String {
    format!("{persona}.{tag}@example.org")
}

/// A French-speaking nurse of Bretagne, signed up as `name` in the world `tag`.
async fn nurse(app: &TestApp, name: &str, tag: &str) -> Session {
    app.register_with(json!({
        "email": email(name, tag), "password": PASSWORD, "displayName": format!("{name} {tag}"),
        "profession": "NURSE", "languages": ["fr"], "region": "Bretagne",
    }))
    .await
}

async fn expect_data(app: &TestApp, who: &Session, query: &str, variables: Value) -> Value {
    let answer = app.gql(Some(&who.access_token), query, variables).await;
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

fn id_of(data: &Value, field: &str) -> String {
    data[field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field}: {data}"))
        .to_owned()
}

impl World {
    async fn build(app: &TestApp, tag: &str) -> World {
        let mut people = BTreeMap::new();
        for persona in &PERSONAS[1..] {
            people.insert(*persona, nurse(app, persona.name(), tag).await);
        }
        for (persona, role) in [
            (Persona::Supporter, Role::PeerSupporter),
            (Persona::Organiser, Role::Organiser),
            (Persona::Moderator, Role::Moderator),
            (Persona::Admin, Role::Admin),
        ] {
            grant_role(&app.state.db, &email(persona.name(), tag), role)
                .await
                .unwrap();
        }
        let mentor = nurse(app, "mentor", tag).await;
        let person = |persona| &people[&persona];
        let owner = person(Persona::Owner);

        let group =
            create_group(app, owner, group_input(&format!("Groupe {tag}"), "PRIVATE")).await;
        for persona in [Persona::Member, Persona::Facilitator, Persona::Pending] {
            join(app, person(persona), &group).await;
        }
        for persona in [Persona::Member, Persona::Facilitator] {
            expect_data(
                app,
                owner,
                "mutation($g: ID!, $u: ID!) { approveMembership(groupId: $g, userId: $u) { status } }",
                json!({ "g": group, "u": person(persona).user_id }),
            )
            .await;
        }
        expect_data(
            app,
            owner,
            "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: FACILITATOR) { role } }",
            json!({ "g": group, "u": person(Persona::Facilitator).user_id }),
        )
        .await;
        let owner_post = post_id(app, owner, &group, "Une nuit difficile.", None, false).await;
        let member_post = post_id(
            app,
            person(Persona::Member),
            &group,
            "Moi aussi.",
            None,
            false,
        )
        .await;
        expect_data(
            app,
            person(Persona::Member),
            "mutation($p: ID!) { reportPost(postId: $p, reason: \"Hors sujet\") }",
            json!({ "p": owner_post }),
        )
        .await;
        let post_report = report_of(app, "post", &owner_post).await;

        let workshop = scheduled_id(
            app,
            person(Persona::Organiser),
            workshop_input(&format!("Atelier {tag}"), 10),
        )
        .await;
        crate::workshops::register(app, owner, &workshop).await;
        let past_workshop = scheduled_id(
            app,
            person(Persona::Organiser),
            workshop_input(&format!("Atelier passé {tag}"), 10),
        )
        .await;
        crate::workshops::register(app, owner, &past_workshop).await;
        crate::workshops::age(app, &past_workshop, chrono::Duration::days(3)).await;
        expect_data(
            app,
            person(Persona::Organiser),
            "mutation($w: ID!, $u: ID!) { recordAttendance(workshopId: $w, userId: $u, attended: true) { status } }",
            json!({ "w": past_workshop, "u": owner.user_id }),
        )
        .await;

        // The owner is a mentee of `mentor` and a mentor the member asked.
        for who in [&mentor, owner] {
            crate::mentorship::mentor(app, who, profile_input(&["BURNOUT_PREVENTION"], 10, 3))
                .await;
        }
        let mentorship = requested_id(app, owner, &mentor, &["BURNOUT_PREVENTION"]).await;
        let accepted = respond(app, &mentor, &mentorship, true).await;
        let conversation = accepted["data"]["respondToMentorship"]["conversation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{accepted}"))
            .to_owned();
        let second_mentor = nurse(app, "mentor2", tag).await;
        crate::mentorship::mentor(
            app,
            &second_mentor,
            profile_input(&["BURNOUT_PREVENTION"], 10, 3),
        )
        .await;
        let completed_mentorship =
            requested_id(app, owner, &second_mentor, &["BURNOUT_PREVENTION"]).await;
        respond(app, &second_mentor, &completed_mentorship, true).await;
        expect_data(
            app,
            owner,
            "mutation($id: ID!) { completeMentorship(id: $id) { id } }",
            json!({ "id": completed_mentorship }),
        )
        .await;
        let mentorship_request =
            requested_id(app, person(Persona::Member), owner, &["BURNOUT_PREVENTION"]).await;
        let goal = id_of(
            &expect_data(
                app,
                owner,
                "mutation($m: ID!) { addMentorshipGoal(mentorshipId: $m, title: \"Dormir\") { id } }",
                json!({ "m": mentorship }),
            )
            .await,
            "addMentorshipGoal",
        );
        expect_data(
            app,
            &mentor,
            "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"Bonjour\") { id } }",
            json!({ "c": conversation }),
        )
        .await;
        let owner_message = id_of(
            &expect_data(
                app,
                owner,
                "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"Merci\") { id } }",
                json!({ "c": conversation }),
            )
            .await,
            "sendMessage",
        );
        expect_data(
            app,
            &mentor,
            "mutation($c: ID!) { reportConversation(conversationId: $c, reason: \"Déplacé\") }",
            json!({ "c": conversation }),
        )
        .await;
        let conversation_report = report_of(app, "conversation", &conversation).await;

        let support_request = id_of(
            &expect_data(
                app,
                owner,
                "mutation { requestSupport(note: \"Une garde très dure\") { id } }",
                json!({}),
            )
            .await,
            "requestSupport",
        );
        expect_data(
            app,
            person(Persona::Member),
            "mutation($u: ID!) { requestOutreach(userId: $u, note: \"Courage\") }",
            json!({ "u": owner.user_id }),
        )
        .await;
        let offers = expect_data(app, owner, "{ myOutreachOffers { id } }", json!({})).await;
        let outreach_offer = offers["myOutreachOffers"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{offers}"))
            .to_owned();
        expect_data(
            app,
            owner,
            "mutation { submitCheckin(input: { instrument: BURNOUT_SINGLE_ITEM, answers: [2] }) { id } }",
            json!({}),
        )
        .await;
        let device_token = format!("device-{tag}");
        expect_data(
            app,
            owner,
            "mutation($t: String!) { registerDevice(token: $t, platform: ANDROID) { id } }",
            json!({ "t": device_token }),
        )
        .await;
        let notifications = expect_data(
            app,
            owner,
            "{ notifications(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
        let notification = notifications["notifications"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{notifications}"))
            .to_owned();

        let other_device = app
            .gql(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                json!({ "e": email("owner", tag), "p": PASSWORD }),
            )
            .await;
        let other_device = other_device["data"]["login"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let sessions = app
            .gql(
                Some(&other_device),
                "{ mySessions { id current } }",
                json!({}),
            )
            .await;
        let sessions = &sessions["data"];
        let owner_other_session = sessions["mySessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|session| session["current"] == true)
            .and_then(|session| session["id"].as_str())
            .unwrap()
            .to_owned();

        World {
            owner_other_session,
            tag: tag.to_owned(),
            people,
            mentor,
            group,
            owner_post,
            member_post,
            post_report,
            workshop,
            past_workshop,
            mentorship,
            completed_mentorship,
            mentorship_request,
            goal,
            conversation,
            owner_message,
            conversation_report,
            support_request,
            outreach_offer,
            notification,
            device_token,
        }
    }

    fn session(&self, persona: Persona) -> Option<&Session> {
        self.people.get(&persona)
    }

    fn user(&self, persona: Persona) -> &str {
        &self.people[&persona].user_id
    }
}

/// The operation that exercises `field` (`Type.name`) as `persona`, with its variables.
fn operation(field: &str, world: &World, persona: Persona) -> Option<(String, Value)> {
    let w = world;
    let tag = &w.tag;
    let me = persona.name();
    let starts = Utc::now() + chrono::Duration::days(3);
    let workshop_input = json!({
        "title": format!("Atelier {me} {tag}"), "description": "Respirer.", "technique": "BREATHING",
        "format": "ONLINE", "language": "fr", "timezone": "Europe/Paris", "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + chrono::Duration::hours(1)).to_rfc3339(), "onlineUrl": "https://visio.example.org/a",
        "capacity": 5,
    });
    let (query, variables) = match field {
        "Query.conversation" => (
            "query($id: ID!) { conversation(id: $id) { id } }",
            json!({ "id": w.conversation }),
        ),
        "Query.exportMyData" => ("{ exportMyData }", json!({})),
        "Mutation.confirmEmail" => (
            "mutation($token: String!) { confirmEmail(token: $token) { emailVerified } }",
            json!({ "token": "0".repeat(32) }),
        ),
        "Mutation.resendEmailConfirmation" => ("mutation { resendEmailConfirmation }", json!({})),
        // Never confirmed: the persona keeps its address.
        "Mutation.requestEmailChange" => (
            "mutation($p: String!) { requestEmailChange(newEmail: \"moving@example.org\", password: $p) }",
            json!({ "p": PASSWORD }),
        ),
        "Mutation.muteGroup" => (
            "mutation($g: ID!) { muteGroup(groupId: $g) }",
            json!({ "g": w.group }),
        ),
        "Mutation.unmuteGroup" => (
            "mutation($g: ID!) { unmuteGroup(groupId: $g) }",
            json!({ "g": w.group }),
        ),
        "Mutation.markAllNotificationsRead" => ("mutation { markAllNotificationsRead }", json!({})),
        "Query.signInProviders" => ("{ signInProviders { id } }", json!({})),
        "Mutation.completeExternalSignIn" => (
            "mutation($c: String!) { completeExternalSignIn(code: $c) { accessToken } }",
            json!({ "c": "0".repeat(43) }),
        ),
        "Mutation.startIdentityLink" => (
            "mutation { startIdentityLink(provider: \"nowhere\", redirectUri: \"fr.relais.app:/auth\") }",
            json!({}),
        ),
        "Mutation.unlinkExternalIdentity" => (
            "mutation { unlinkExternalIdentity(provider: \"nowhere\") { email } }",
            json!({}),
        ),
        "Mutation.giveConsent" => (
            "mutation { giveConsent(purpose: TERMS, version: \"1\") { consentsNeeded } }",
            json!({}),
        ),
        // TERMS: the persona's check-ins (HEALTH_DATA) stay for the other rows.
        "Mutation.withdrawConsent" => (
            "mutation { withdrawConsent(purpose: TERMS) { consentsNeeded } }",
            json!({}),
        ),
        "Query.mySessions" => ("{ mySessions { id current } }", json!({})),
        "Query.blockedUsers" => ("{ blockedUsers(first: 5) { __typename } }", json!({})),
        "Query.myConversations" => (
            "{ myConversations(first: 5) { edges { node { id lastMessage { id } } } } }",
            json!({}),
        ),
        "Query.people" => (
            "{ people(search: \"a\", first: 5) { edges { node { id } } } }",
            json!({}),
        ),
        "Mutation.updatePost" => (
            "mutation($id: ID!) { updatePost(id: $id, body: \"Relu\") { id editedAt } }",
            json!({ "id": w.owner_post }),
        ),
        "Mutation.editMessage" => (
            "mutation($id: ID!) { editMessage(id: $id, body: \"Merci !\") { id editedAt } }",
            json!({ "id": w.owner_message }),
        ),
        "Mutation.revokeSession" => (
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": w.owner_other_session }),
        ),
        // The same password again: the persona keeps signing in with it in the other rows.
        "Mutation.changePassword" => (
            "mutation($p: String!) { changePassword(currentPassword: $p, newPassword: $p) }",
            json!({ "p": PASSWORD }),
        ),
        "Mutation.requestPasswordReset" => (
            "mutation($e: String!) { requestPasswordReset(email: $e) }",
            json!({ "e": email("owner", tag) }),
        ),
        "Mutation.resetPassword" => (
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { accessToken } }",
            json!({ "t": "0".repeat(32), "p": PASSWORD }),
        ),
        "Query.group" => (
            "query($id: ID!) { group(id: $id) { id } }",
            json!({ "id": w.group }),
        ),
        "Query.groupWellbeing" => (
            "query($id: ID!) { groupWellbeing(groupId: $id, instrument: BURNOUT_SINGLE_ITEM) { __typename } }",
            json!({ "id": w.group }),
        ),
        "Query.groups" => ("{ groups(first: 5) { __typename } }", json!({})),
        "Query.instruments" => ("{ instruments { __typename } }", json!({})),
        "Query.me" => ("{ me { __typename } }", json!({})),
        "Query.mentorMatches" => (
            "{ mentorMatches(input: { areas: [BURNOUT_PREVENTION] }, first: 5) { __typename } }",
            json!({}),
        ),
        "Query.mentorProfile" => (
            "query($id: ID!) { mentorProfile(userId: $id) { __typename } }",
            json!({ "id": w.mentor.user_id }),
        ),
        "Query.moderationLog" => (
            "query($id: ID) { moderationLog(groupId: $id, first: 5) { __typename } }",
            json!({ "id": w.group }),
        ),
        "Query.myAttendedWorkshops" => (
            "query($from: DateTime!, $to: DateTime!) { myAttendedWorkshops(from: $from, to: $to) { __typename } }",
            json!({ "from": (Utc::now() - chrono::Duration::days(30)).to_rfc3339(), "to": Utc::now().to_rfc3339() }),
        ),
        "Query.myCheckinTrend" => (
            "{ myCheckinTrend(instrument: BURNOUT_SINGLE_ITEM) { __typename } }",
            json!({}),
        ),
        "Query.myCheckins" => ("{ myCheckins(first: 5) { __typename } }", json!({})),
        "Query.myDevices" => ("{ myDevices { __typename } }", json!({})),
        "Query.myGroups" => ("{ myGroups { __typename } }", json!({})),
        "Query.myMentorshipSeeking" => ("{ myMentorshipSeeking }", json!({})),
        "Query.myMentorships" => ("{ myMentorships { __typename } }", json!({})),
        "Query.myOutreachOffers" => ("{ myOutreachOffers { __typename } }", json!({})),
        "Query.myRegistrations" => ("{ myRegistrations { __typename } }", json!({})),
        "Query.mySupportRequests" => ("{ mySupportRequests { __typename } }", json!({})),
        "Query.notificationPreferences" => {
            ("{ notificationPreferences { __typename } }", json!({}))
        }
        "Query.notifications" => ("{ notifications(first: 5) { __typename } }", json!({})),
        "Query.openConversationReports" => (
            "{ openConversationReports(first: 5) { __typename } }",
            json!({}),
        ),
        "Query.openReports" => ("{ openReports(first: 5) { __typename } }", json!({})),
        "Query.openSupportRequests" => ("{ openSupportRequests { __typename } }", json!({})),
        "Query.unreadNotificationCount" => ("{ unreadNotificationCount }", json!({})),
        "Query.user" => (
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": w.user(Persona::Owner) }),
        ),
        "Query.wellbeingPrivacy" => ("{ wellbeingPrivacy { __typename } }", json!({})),
        "Query.workshop" => (
            "query($id: ID!) { workshop(id: $id) { id } }",
            json!({ "id": w.workshop }),
        ),
        "Query.workshops" => ("{ workshops(first: 5) { __typename } }", json!({})),

        "Mutation.acceptSupportRequest" => (
            "mutation($id: ID!) { acceptSupportRequest(id: $id) { id } }",
            json!({ "id": w.support_request }),
        ),
        "Mutation.addMentorshipGoal" => (
            "mutation($id: ID!) { addMentorshipGoal(mentorshipId: $id, title: \"Marcher\") { id } }",
            json!({ "id": w.mentorship }),
        ),
        "Mutation.approveMembership" => (
            "mutation($g: ID!, $u: ID!) { approveMembership(groupId: $g, userId: $u) { status } }",
            json!({ "g": w.group, "u": w.user(Persona::Pending) }),
        ),
        "Mutation.blockUser" => (
            "mutation($u: ID!) { blockUser(userId: $u) }",
            json!({ "u": w.mentor.user_id }),
        ),
        "Mutation.cancelMentorship" => (
            "mutation($id: ID!) { cancelMentorship(id: $id) { id } }",
            json!({ "id": w.mentorship }),
        ),
        "Mutation.cancelRegistration" => (
            "mutation($id: ID!) { cancelRegistration(workshopId: $id) { status } }",
            json!({ "id": w.workshop }),
        ),
        "Mutation.cancelWorkshop" => (
            "mutation($id: ID!) { cancelWorkshop(id: $id) { id } }",
            json!({ "id": w.workshop }),
        ),
        "Mutation.closeSupportRequest" => (
            "mutation($id: ID!) { closeSupportRequest(id: $id) { id } }",
            json!({ "id": w.support_request }),
        ),
        "Mutation.completeMentorship" => (
            "mutation($id: ID!) { completeMentorship(id: $id) { id } }",
            json!({ "id": w.mentorship }),
        ),
        // Changes nothing: the group stays as the other rows expect it.
        "Mutation.updateGroup" => (
            "mutation($g: ID!) { updateGroup(input: { id: $g, verifiedOnly: false }) { id } }",
            json!({ "g": w.group }),
        ),
        "Mutation.createGroup" => (
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": group_input(&format!("Nouveau {me} {tag}"), "PUBLIC") }),
        ),
        "Mutation.createPost" => (
            "mutation($g: ID!) { createPost(input: { groupId: $g, body: \"Bonsoir\" }) { id } }",
            json!({ "g": w.group }),
        ),
        "Mutation.deleteAccount" => (
            "mutation($p: String!) { deleteAccount(password: $p) }",
            json!({ "p": PASSWORD }),
        ),
        "Mutation.deleteMyCheckins" => ("mutation { deleteMyCheckins }", json!({})),
        "Mutation.deletePost" => (
            "mutation($id: ID!) { deletePost(id: $id) }",
            json!({ "id": w.owner_post }),
        ),
        "Mutation.joinGroup" => (
            "mutation($g: ID!) { joinGroup(groupId: $g) { status } }",
            json!({ "g": w.group }),
        ),
        "Mutation.leaveGroup" => (
            "mutation($g: ID!) { leaveGroup(groupId: $g) }",
            json!({ "g": w.group }),
        ),
        "Mutation.leaveMentorshipFeedback" => (
            "mutation($id: ID!) { leaveMentorshipFeedback(mentorshipId: $id, rating: 5) { id } }",
            json!({ "id": w.completed_mentorship }),
        ),
        "Mutation.login" => (
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": email("owner", tag), "p": PASSWORD }),
        ),
        "Mutation.logout" => ("mutation { logout }", json!({})),
        "Mutation.markConversationRead" => (
            "mutation($c: ID!) { markConversationRead(conversationId: $c) { id } }",
            json!({ "c": w.conversation }),
        ),
        "Mutation.markNotificationsRead" => (
            "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }",
            json!({ "ids": [w.notification] }),
        ),
        "Mutation.rateWorkshop" => (
            "mutation($id: ID!) { rateWorkshop(workshopId: $id, rating: 5) }",
            json!({ "id": w.past_workshop }),
        ),
        "Mutation.recordAttendance" => (
            "mutation($id: ID!, $u: ID!) { recordAttendance(workshopId: $id, userId: $u, attended: true) { status } }",
            json!({ "id": w.past_workshop, "u": w.user(Persona::Owner) }),
        ),
        "Mutation.refreshSession" => (
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": w.session(persona).map_or("not a token of ours", |session| session.refresh_token.as_str()) }),
        ),
        "Mutation.register" => (
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            json!({ "input": { "email": email(&format!("new-{me}"), tag), "password": PASSWORD,
                               "displayName": "Nouvelle", "profession": "MIDWIFE" } }),
        ),
        "Mutation.registerDevice" => (
            "mutation($t: String!) { registerDevice(token: $t, platform: IOS) { id } }",
            json!({ "t": format!("device-{me}-{tag}") }),
        ),
        "Mutation.registerForWorkshop" => (
            "mutation($id: ID!) { registerForWorkshop(workshopId: $id) { status } }",
            json!({ "id": w.workshop }),
        ),
        "Mutation.removeMember" => (
            "mutation($g: ID!, $u: ID!) { removeMember(groupId: $g, userId: $u) }",
            json!({ "g": w.group, "u": w.user(Persona::Member) }),
        ),
        "Mutation.removePostAuthor" => (
            "mutation($p: ID!) { removePostAuthor(postId: $p) }",
            json!({ "p": w.member_post }),
        ),
        "Mutation.reportConversation" => (
            "mutation($c: ID!) { reportConversation(conversationId: $c, reason: \"Insistant\") }",
            json!({ "c": w.conversation }),
        ),
        "Mutation.reportPost" => (
            "mutation($p: ID!) { reportPost(postId: $p, reason: \"Blessant\") }",
            json!({ "p": w.member_post }),
        ),
        "Mutation.requestMentorship" => (
            "mutation($m: ID!) { requestMentorship(mentorId: $m, areas: [BURNOUT_PREVENTION], message: \"Bonjour, pouvez-vous m'aider ?\") { id } }",
            json!({ "m": w.mentor.user_id }),
        ),
        "Mutation.requestOutreach" => (
            "mutation($u: ID!) { requestOutreach(userId: $u, note: \"Courage\") }",
            json!({ "u": w.user(Persona::Owner) }),
        ),
        "Mutation.requestSupport" => (
            "mutation { requestSupport(note: \"Besoin de parler\") { id } }",
            json!({}),
        ),
        "Mutation.resolveConversationReport" => (
            "mutation($id: ID!) { resolveConversationReport(id: $id) { id } }",
            json!({ "id": w.conversation_report }),
        ),
        "Mutation.resolveReport" => (
            "mutation($id: ID!) { resolveReport(id: $id) { id } }",
            json!({ "id": w.post_report }),
        ),
        "Mutation.respondToMentorship" => (
            "mutation($id: ID!) { respondToMentorship(id: $id, accept: true) { id } }",
            json!({ "id": w.mentorship_request }),
        ),
        "Mutation.respondToOutreach" => (
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { id } }",
            json!({ "id": w.outreach_offer }),
        ),
        "Mutation.rotateCalendarFeed" => ("mutation { rotateCalendarFeed }", json!({})),
        "Mutation.runMatchingRound" => (
            "mutation { runMatchingRound(dryRun: true) { __typename } }",
            json!({}),
        ),
        "Mutation.scheduleWorkshop" => (
            "mutation($input: ScheduleWorkshopInput!) { scheduleWorkshop(input: $input) { id } }",
            json!({ "input": workshop_input }),
        ),
        "Mutation.sendMessage" => (
            "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"Merci\") { id } }",
            json!({ "c": w.conversation }),
        ),
        "Mutation.sendTestNotification" => ("mutation { sendTestNotification }", json!({})),
        "Mutation.setMemberRole" => (
            "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: FACILITATOR) { role } }",
            json!({ "g": w.group, "u": w.user(Persona::Member) }),
        ),
        "Mutation.setMentorshipGoalDone" => (
            "mutation($id: ID!) { setMentorshipGoalDone(goalId: $id, done: true) { id } }",
            json!({ "id": w.goal }),
        ),
        "Mutation.setMentorshipSeeking" => (
            "mutation { setMentorshipSeeking(areas: [LEADERSHIP]) }",
            json!({}),
        ),
        "Mutation.setSupporterAvailability" => (
            "mutation { setSupporterAvailability(available: false) }",
            json!({}),
        ),
        "Mutation.submitCheckin" => (
            "mutation { submitCheckin(input: { instrument: BURNOUT_SINGLE_ITEM, answers: [1] }) { id } }",
            json!({}),
        ),
        "Mutation.unblockUser" => (
            "mutation($u: ID!) { unblockUser(userId: $u) }",
            json!({ "u": w.mentor.user_id }),
        ),
        "Mutation.unregisterDevice" => (
            "mutation($t: String!) { unregisterDevice(token: $t) }",
            json!({ "t": w.device_token }),
        ),
        "Mutation.updateNotificationPreferences" => (
            "mutation { updateNotificationPreferences(input: { groupActivity: false }) { __typename } }",
            json!({}),
        ),
        "Mutation.updateProfile" => (
            "mutation { updateProfile(input: { bio: \"Infirmière\" }) { __typename } }",
            json!({}),
        ),
        "Mutation.updateWorkshop" => (
            "mutation($id: ID!, $input: ScheduleWorkshopInput!) { updateWorkshop(id: $id, input: $input) { id } }",
            json!({ "id": w.workshop, "input": workshop_input }),
        ),
        "Mutation.upsertMentorProfile" => (
            "mutation($input: MentorProfileInput!) { upsertMentorProfile(input: $input) { __typename } }",
            json!({ "input": profile_input(&["LEADERSHIP"], 5, 2) }),
        ),

        "Subscription.groupPosts" => (
            "subscription($g: ID!) { groupPosts(groupId: $g) { id } }",
            json!({ "g": w.group }),
        ),
        "Subscription.messageAdded" => (
            "subscription($c: ID!) { messageAdded(conversationId: $c) { id } }",
            json!({ "c": w.conversation }),
        ),
        "Subscription.notificationAdded" => {
            ("subscription { notificationAdded { id } }", json!({}))
        }
        _ => return None,
    };
    Some((query.to_owned(), variables))
}

/// How an answer ended, in the table's letters.
fn outcome(answer: &Value) -> String {
    if answer["errors"].is_null() {
        let data = answer["data"]
            .as_object()
            .and_then(|data| data.values().next());
        return match data {
            Some(Value::Null) | None => "∅".into(),
            Some(_) => "✓".into(),
        };
    }
    letter(error_code(answer))
}

fn letter(code: &str) -> String {
    match code {
        "UNAUTHENTICATED" => "U",
        "FORBIDDEN" => "F",
        "NOT_FOUND" => "N",
        "CONFLICT" => "C",
        "BAD_USER_INPUT" => "B",
        other => other,
    }
    .to_owned()
}

/// The fields of the root types in `schema.graphql`, as `Type.field`.
fn schema_fields(root: &str) -> Vec<String> {
    let sdl = include_str!("../../schema.graphql");
    let start = sdl
        .find(&format!("\ntype {root} {{"))
        .unwrap_or_else(|| panic!("type {root} in schema.graphql"));
    let body = &sdl[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let mut fields = Vec::new();
    let mut in_description = false;
    for line in body.lines().skip(1) {
        let trimmed = line.trim();
        if trimmed.starts_with("\"\"\"") {
            in_description = !(in_description || trimmed.len() > 3 && trimmed.ends_with("\"\"\""));
            continue;
        }
        if in_description || !line.starts_with('\t') || line.starts_with("\t\t") {
            continue;
        }
        let name: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && trimmed[name.len()..].starts_with(['(', ':']) {
            fields.push(format!("{root}.{name}"));
        }
    }
    fields
}

/// The table's rows: field → expected letter per persona.
fn table() -> BTreeMap<String, Vec<String>> {
    let mut rows = BTreeMap::new();
    let mut header_seen = false;
    for line in TABLE.lines().filter(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if !header_seen {
            let names: Vec<&str> = PERSONAS.iter().map(|persona| persona.name()).collect();
            assert_eq!(&cells[2..], names.as_slice(), "the table's persona columns");
            header_seen = true;
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        let field = cells[0].trim_matches('`').to_owned();
        assert_eq!(cells.len(), 2 + PERSONAS.len(), "row {field}");
        let expected = cells[2..].iter().map(|cell| cell.to_string()).collect();
        assert!(
            rows.insert(field.clone(), expected).is_none(),
            "{field} twice"
        );
    }
    rows
}

/// The rows for `root`, after checking every field of it has one and an operation here.
fn rows_for(root: &str, world: &World) -> Vec<(String, Vec<String>)> {
    let table = table();
    let fields = schema_fields(root);
    assert!(!fields.is_empty(), "fields of {root}");
    let without_row: Vec<_> = fields
        .iter()
        .filter(|field| !table.contains_key(*field))
        .collect();
    assert!(
        without_row.is_empty(),
        "fields with no row in src/graphql/authorization.md: {without_row:?}"
    );
    let without_operation: Vec<_> = fields
        .iter()
        .filter(|field| operation(field, world, Persona::Owner).is_none())
        .collect();
    assert!(
        without_operation.is_empty(),
        "fields with no operation in tests/api/authorization.rs: {without_operation:?}"
    );
    let stale: Vec<_> = table
        .keys()
        .filter(|field| field.starts_with(&format!("{root}.")) && !fields.contains(field))
        .collect();
    assert!(
        stale.is_empty(),
        "rows for fields the schema no longer has: {stale:?}"
    );
    fields
        .into_iter()
        .map(|field| {
            let expected = table[&field].clone();
            (field, expected)
        })
        .collect()
}

async fn run(app: &TestApp, world: &World, field: &str, persona: Persona) -> String {
    let (query, variables) = operation(field, world, persona).expect("an operation");
    let token = world
        .session(persona)
        .map(|session| session.access_token.as_str());
    outcome(&app.gql(token, &query, variables).await)
}

/// Compares what happened with the table; returns the differences, one line each.
fn differences(field: &str, expected: &[String], actual: &[String]) -> Option<String> {
    (expected != actual).then(|| format!("{field}: expected {expected:?}, got {actual:?}"))
}

/// Runs every row of `root` as every persona in one world (reading changes nothing).
async fn every_row_in_one_world(app: &TestApp, root: &str) {
    let world = World::build(app, &root.to_lowercase()).await;
    let mut wrong = Vec::new();
    for (field, expected) in rows_for(root, &world) {
        let mut actual = Vec::new();
        for persona in PERSONAS {
            actual.push(match root {
                "Subscription" => subscription_outcome(app, &world, &field, persona).await,
                _ => run(app, &world, &field, persona).await,
            });
        }
        wrong.extend(differences(&field, &expected, &actual));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

async fn queries_follow_the_authorization_table(app: TestApp) {
    every_row_in_one_world(&app, "Query").await;
}

/// Refusals change nothing, so they all run in one shared world. The successes of a field run
/// in a world of that field's own, in persona order; one that an earlier success got in the way
/// of (a request already approved, say) runs again in a fresh world.
async fn mutations_follow_the_authorization_table(app: TestApp) {
    let shared = World::build(&app, "m").await;
    let mut worlds = 0;
    let mut fresh_world = async |app: &TestApp| {
        worlds += 1;
        World::build(app, &format!("m{worlds}")).await
    };
    let mut wrong = Vec::new();
    for (field, expected) in rows_for("Mutation", &shared) {
        let mut own_world: Option<World> = None;
        let mut actual = Vec::new();
        for (persona, expected) in PERSONAS.into_iter().zip(&expected) {
            if expected != "✓" {
                actual.push(run(&app, &shared, &field, persona).await);
                continue;
            }
            let world = match own_world.take() {
                Some(world) => world,
                None => fresh_world(&app).await,
            };
            let mut got = run(&app, &world, &field, persona).await;
            if got != "✓" {
                got = run(&app, &fresh_world(&app).await, &field, persona).await;
            }
            own_world = Some(world);
            actual.push(got);
        }
        wrong.extend(differences(&field, &expected, &actual));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A subscription ends in an error frame (its code), or delivers once its event happens (✓).
async fn subscription_outcome(
    app: &TestApp,
    world: &World,
    field: &str,
    persona: Persona,
) -> String {
    let (query, variables) = operation(field, world, persona).expect("an operation");
    let mut socket = connect(app).await;
    let init = match world.session(persona) {
        Some(session) => {
            json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", session.access_token) } })
        }
        None => json!({ "type": "connection_init", "payload": {} }),
    };
    send(&mut socket, init).await;
    match next_frame(&mut socket, Duration::from_secs(5)).await {
        Frame::Text(ack) if ack["type"] == "connection_ack" => {}
        other => return format!("{other:?}"),
    }
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    for _ in 0..10 {
        cause_event(app, world, field, persona).await;
        match next_frame(&mut socket, Duration::from_millis(300)).await {
            Frame::Text(message) if message["type"] == "next" => {
                return outcome(&message["payload"]);
            }
            Frame::Text(message) if message["type"] == "error" => {
                return letter(
                    message["payload"][0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or("?"),
                );
            }
            Frame::Silent => continue,
            other => return format!("{other:?}"),
        }
    }
    "silent".into()
}

/// What a subscriber of `field` waits for.
async fn cause_event(app: &TestApp, world: &World, field: &str, persona: Persona) {
    let (who, query, variables) = match field {
        "Subscription.groupPosts" => (
            world.session(Persona::Owner),
            "mutation($g: ID!) { createPost(input: { groupId: $g, body: \"Du nouveau\" }) { id } }",
            json!({ "g": world.group }),
        ),
        "Subscription.messageAdded" => (
            Some(&world.mentor),
            "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"Du nouveau\") { id } }",
            json!({ "c": world.conversation }),
        ),
        _ => (
            world.session(persona),
            "mutation { sendTestNotification }",
            json!({}),
        ),
    };
    if let Some(who) = who {
        app.gql(Some(&who.access_token), query, variables).await;
    }
}

async fn subscriptions_follow_the_authorization_table(app: TestApp) {
    every_row_in_one_world(&app, "Subscription").await;
}

/// Every id a query or mutation takes, replaced by one nobody issued: never data, and where an
/// object hides from someone (NOT_FOUND or null), a made-up id answers exactly the same.
async fn no_object_answers_to_a_guessed_id(app: TestApp) {
    let world = World::build(&app, "g").await;
    let table = table();
    let mut wrong = Vec::new();
    for root in ["Query", "Mutation"] {
        for field in schema_fields(root) {
            let (query, variables) = operation(&field, &world, Persona::Unrelated).unwrap();
            let Some(object) = variables.as_object() else {
                continue;
            };
            let ids: Vec<&String> = object
                .iter()
                .filter(|(_, value)| value.as_str().is_some_and(is_uuid))
                .map(|(name, _)| name)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut guessed = variables.clone();
            for name in ids {
                guessed[name] = json!(uuid::Uuid::now_v7().to_string());
            }
            for persona in [Persona::Nobody, Persona::Unrelated] {
                let token = world
                    .session(persona)
                    .map(|session| session.access_token.as_str());
                let answer = app.gql(token, &query, guessed.clone()).await;
                let got = outcome(&answer);
                // `false`: nothing of the caller's own matched (unblocking someone never blocked).
                let acted_on_nothing = answer["data"]
                    .as_object()
                    .is_some_and(|data| data.values().all(|value| *value == json!(false)));
                if !["U", "N", "F", "∅", "B"].contains(&got.as_str()) && !acted_on_nothing {
                    wrong.push(format!("{field} as {persona:?} with a made-up id: {got}"));
                }
                let real = &table[&field][PERSONAS.iter().position(|p| *p == persona).unwrap()];
                if ["N", "∅"].contains(&real.as_str()) && *real != got {
                    wrong.push(format!(
                        "{field} as {persona:?}: {real} on a real id but {got} on a made-up one"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}
