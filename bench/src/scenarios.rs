//! The scenarios, each run by signed-in people against the seeded data.

use serde_json::{Value, json};

use crate::load::{self, Figures};
use crate::seed::{CONTENDED_CAPACITY, PARIS, PASSWORD, World};
use crate::server::Server;
use crate::{Only, Scale};

const GROUPS_PAGE: &str = "query { groups(first: 20) { edges { node { id name memberCount viewerMembership { role } } } } }";
const POSTS_PAGE: &str = "query($id: ID!) { group(id: $id) { posts(first: 20) { edges { node { id body anonymous author { displayName } replyCount } } } } }";
const WORKSHOPS_PAGE: &str = "query { workshops(first: 20) { edges { node { id title startsAt confirmedCount capacity } } } }";
const CHECKIN: &str = "mutation { submitCheckin(input: { instrument: BURNOUT_SINGLE_ITEM, answers: [2] }) { id band } }";
const REGISTER: &str = "mutation($id: ID!) { registerForWorkshop(workshopId: $id) { status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelRegistration(workshopId: $id) { status } }";
const MATCHES: &str = "query { mentorMatches(input: { areas: [BURNOUT_PREVENTION, STRESS_MANAGEMENT] }, first: 10) { score mentor { headline } } }";
const NEAR_ME: &str = "query($near: NearInput!) { workshops(filter: { near: $near }, first: 20) { edges { node { id title distanceKm } } } }";
const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";

fn print_row(name: &str, figures: &Figures, server: &Server) {
    println!(
        "| {name} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {:.0} |",
        figures.requests_per_second,
        figures.p50_ms,
        figures.p95_ms,
        figures.p99_ms,
        figures.errors,
        server.rss_mb()
    );
}

/// Runs `query` with `variables` as worker `n`'s person, as fast as answers come (each answer
/// checked for errors, not parsed: [`Server::answered`]).
async fn read_scenario(
    server: &Server,
    tokens: &[String],
    scale: Scale,
    query: &str,
    variables: Value,
) -> Figures {
    let variables = &variables;
    load::run(tokens.len(), scale.duration, |worker, _| {
        server.answered(&tokens[worker], query, variables)
    })
    .await
}

pub async fn run_all(
    server: &Server,
    database_url: &str,
    world: &World,
    scale: Scale,
    concurrency: usize,
    only: &Only,
) {
    // The sessions seeding opened: one person per connection.
    let tokens = &world.access_tokens[..concurrency.min(world.access_tokens.len())];

    if only.includes("1") {
        groups_page_and_its_floors(server, database_url, world, tokens, scale).await;
    }
    let posts_page = || {
        read_scenario(
            server,
            tokens,
            scale,
            POSTS_PAGE,
            json!({ "id": world.busy_group }),
        )
    };
    if only.includes("2") {
        let figures = posts_page().await;
        print_row("2. a group's posts(first: 20)", &figures, server);
    }
    if only.includes("3") {
        let figures = read_scenario(server, tokens, scale, WORKSHOPS_PAGE, json!({})).await;
        print_row("3. workshops(first: 20)", &figures, server);
    }
    if only.includes("sweep") {
        read_sweep(server, world, scale).await;
    }
    if only.includes("4") {
        let figures = read_scenario(server, tokens, scale, CHECKIN, json!({})).await;
        print_row("4. submitCheckin", &figures, server);
    }
    if only.includes("5") {
        contended_registrations(server, world, tokens, scale).await;
    }
    if only.includes("6") {
        let figures = read_scenario(server, tokens, scale, MATCHES, json!({})).await;
        print_row("6. mentorMatches", &figures, server);
        // One search at a time: what a search costs, without the queue of the others.
        let figures = read_scenario(server, &tokens[..1], scale, MATCHES, json!({})).await;
        print_row("6b. mentorMatches, one connection", &figures, server);
    }
    if only.includes("7") {
        let emails = &world.emails;
        let figures = load::run(
            concurrency,
            scale.duration,
            |worker, iteration| async move {
                let email = &emails[(worker * 97 + iteration as usize) % emails.len()];
                server
                    .gql(None, LOGIN, json!({ "email": email, "password": PASSWORD }))
                    .await
                    .is_some()
            },
        )
        .await;
        print_row("7. login (argon2id, 19 MiB)", &figures, server);
    }
    if only.includes("8") {
        let posts = (scale.duration.as_millis() / 250) as usize;
        let (delivery, figures) = crate::fanout::run(
            server,
            &world.access_tokens,
            world.busy_group.as_str(),
            SUBSCRIBERS,
            posts,
            posts_page(),
        )
        .await;
        print_row(
            &format!(
                "8. scenario 2 with {} subscriptions open",
                delivery.subscribers
            ),
            &figures,
            server,
        );
        println!(
            "\n8. a new post reached {} subscribers ({} posts): p50 {:.1} ms, p99 {:.1} ms, slowest {:.1} ms, {} never arrived",
            delivery.subscribers,
            delivery.posts,
            delivery.p50_ms,
            delivery.p99_ms,
            delivery.max_ms,
            delivery.missing
        );
    }
    if only.includes("10") {
        one_member_hammers(server, world, scale).await;
    }
    if only.includes("11") {
        let near = json!({ "latitude": PARIS.0, "longitude": PARIS.1, "radiusKm": 150.0 });
        let figures = read_scenario(server, tokens, scale, NEAR_ME, json!({ "near": near })).await;
        print_row(
            &format!(
                "11. near me, {} workshops in the box",
                scale.near_workshops
            ),
            &figures,
            server,
        );
        let figures =
            read_scenario(server, &tokens[..1], scale, NEAR_ME, json!({ "near": near })).await;
        print_row("11b. near me, one connection", &figures, server);
    }
}

/// Scenario 1, then the same page from a plain route and from the service calls alone, and
/// GraphQL's own floor (`{ __typename }`) signed in: the layers' shares.
async fn groups_page_and_its_floors(
    server: &Server,
    database_url: &str,
    world: &World,
    tokens: &[String],
    scale: Scale,
) {
    let graphql = read_scenario(server, tokens, scale, GROUPS_PAGE, json!({})).await;
    print_row("1. groups(first: 20)", &graphql, server);
    let floor = read_scenario(server, tokens, scale, "{ __typename }", json!({})).await;
    print_row("1a. `{ __typename }`, signed in", &floor, server);
    let plain = load::run(tokens.len(), scale.duration, |worker, _| async move {
        server.get_json("/bench/groups", &tokens[worker]).await
    })
    .await;
    print_row("1b. the same page, plain route", &plain, server);
    let db = relais::db::Db::connect(database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    let (db, viewers) = (&db, &world.user_ids);
    let direct = load::run(tokens.len(), scale.duration, |worker, _| async move {
        relais::groups::bench::first_page(db, &viewers[worker])
            .await
            .is_ok()
    })
    .await;
    print_row("1c. the same service calls, no HTTP", &direct, server);
    println!(
        "\n1. groups page / `{{ __typename }}`: {:.0} %, GraphQL / plain route: {:.0} %, plain route / service calls: {:.0} %\n",
        100.0 * graphql.requests_per_second / floor.requests_per_second,
        100.0 * graphql.requests_per_second / plain.requests_per_second,
        100.0 * plain.requests_per_second / direct.requests_per_second
    );
    if crate::wrk::installed() {
        let measure = |query: &'static str| {
            let (base_url, tokens) = (server.base_url.clone(), tokens.to_vec());
            tokio::task::spawn_blocking(move || {
                crate::wrk::run(&base_url, &tokens, query, tokens.len(), scale.duration)
            })
        };
        let page = measure(GROUPS_PAGE).await.ok().flatten();
        let floor = measure("{ __typename }").await.ok().flatten();
        if let (Some(page), Some(floor)) = (page, floor) {
            let ratio = 100.0 * page.requests_per_second / floor.requests_per_second;
            print_row("1w. groups(first: 20), by wrk", &page.into(), server);
            print_row("1aw. `{ __typename }`, by wrk", &floor.into(), server);
            println!("\n1w. groups page / `{{ __typename }}` by wrk: {ratio:.0} %\n");
        } else {
            println!("\n1w. wrk gave no figures\n");
        }
    }
}

/// Scenario 5: register then cancel on a few five-seat workshops; afterwards no workshop holds
/// more confirmed people than seats.
async fn contended_registrations(server: &Server, world: &World, tokens: &[String], scale: Scale) {
    let contended = &world.contended;
    let figures = load::run(
        tokens.len(),
        scale.duration,
        |worker, iteration| async move {
            let id = &contended[(worker + iteration as usize) % contended.len()];
            let token = Some(tokens[worker].as_str());
            let registered = server.gql(token, REGISTER, json!({ "id": id })).await;
            let cancelled = server.gql(token, CANCEL, json!({ "id": id })).await;
            registered.is_some() && cancelled.is_some()
        },
    )
    .await;
    print_row("5. register then cancel (contended)", &figures, server);
    for id in contended {
        let answer = server
            .gql(
                Some(&tokens[0]),
                "query($id: ID!) { workshop(id: $id) { confirmedCount capacity } }",
                json!({ "id": id }),
            )
            .await
            .expect("the workshop");
        let confirmed = answer["data"]["workshop"]["confirmedCount"]
            .as_i64()
            .unwrap_or(i64::MAX);
        assert!(
            confirmed <= i64::from(CONTENDED_CAPACITY),
            "workshop {id}: {confirmed} confirmed for {CONTENDED_CAPACITY} seats"
        );
    }
}

/// The costliest request the limits let one person send: as many aliases of the dearest field
/// (`mentorMatches`, which ranks every open mentor) as the server accepts, found by asking.
async fn costliest_request(server: &Server, token: &str) -> String {
    let aliased = |count: usize| {
        let aliases: String = (0..count)
            .map(|index| {
                format!("m{index}: mentorMatches(input: {{ areas: [BURNOUT_PREVENTION, STRESS_MANAGEMENT] }}, first: 50) {{ score }} ")
            })
            .collect();
        format!("{{ {aliases} }}")
    };
    for count in (1..=relais::graphql::MAX_ALIASES).rev() {
        if server
            .gql(Some(token), &aliased(count), json!({}))
            .await
            .is_some()
        {
            println!("10. the costliest request: {count} aliases of mentorMatches(first: 50)");
            return aliased(count);
        }
    }
    panic!("the server refuses even one mentorMatches");
}

/// Scenario 10: one member sends the costliest request the limits allow from 32 connections
/// with one session, as fast as answers come (refusals included), while another member asks
/// `{ me }` on one connection: that member's latency, and the server's memory.
async fn one_member_hammers(server: &Server, world: &World, scale: Scale) {
    let (hammer, other) = (&world.access_tokens[0], &world.access_tokens[1]);
    let costliest = costliest_request(server, hammer).await;
    let refused = std::sync::atomic::AtomicU64::new(0);
    let hammering = load::run(HAMMER_CONNECTIONS, scale.duration, |_, _| {
        let (costliest, refused) = (&costliest, &refused);
        async move {
            let answered = server.gql(Some(hammer), costliest, json!({})).await;
            refused.fetch_add(
                u64::from(answered.is_none()),
                std::sync::atomic::Ordering::Relaxed,
            );
            true
        }
    });
    let measured = async {
        // Let the hammering fill its turns first.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        read_scenario(
            server,
            std::slice::from_ref(other),
            Scale {
                duration: scale.duration - std::time::Duration::from_millis(400),
                ..scale
            },
            "{ me { user { id displayName } } }",
            json!({}),
        )
        .await
    };
    let (hammered, me) = tokio::join!(hammering, measured);
    print_row(
        "10. another member's `{ me }` while one hammers",
        &me,
        server,
    );
    println!(
        "\n10. the hammering member: {:.0} requests/s answered or refused, {} refused; server peak RSS so far {:.0} MB\n",
        hammered.requests_per_second,
        refused.load(std::sync::atomic::Ordering::Relaxed),
        server.peak_rss_mb()
    );
}

/// Connections the hammering member keeps busy in scenario 10.
const HAMMER_CONNECTIONS: usize = 32;

/// Connections tried for the reads, to find the one that gives peak throughput.
const SWEEP: [usize; 4] = [2, 4, 8, 16];

/// Scenarios 1-3 again at each of [`SWEEP`]'s concurrencies (a third of the time each): the
/// read target is a p99 at the concurrency that gives peak throughput.
async fn read_sweep(server: &Server, world: &World, scale: Scale) {
    let reads = [
        ("1. groups", GROUPS_PAGE, json!({})),
        ("2. posts", POSTS_PAGE, json!({ "id": world.busy_group })),
        ("3. workshops", WORKSHOPS_PAGE, json!({})),
    ];
    let short = Scale {
        duration: scale.duration / 3,
        ..scale
    };
    println!(
        "\n| read | connections | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|"
    );
    for (name, query, variables) in reads {
        let mut peak: Option<(usize, Figures)> = None;
        for connections in SWEEP {
            let tokens = &world.access_tokens[..connections.min(world.access_tokens.len())];
            let figures = read_scenario(server, tokens, short, query, variables.clone()).await;
            println!(
                "| {name} | {connections} | {:.0} | {:.1} | {:.1} | {} |",
                figures.requests_per_second, figures.p50_ms, figures.p99_ms, figures.errors
            );
            if peak
                .as_ref()
                .is_none_or(|(_, best)| figures.requests_per_second > best.requests_per_second)
            {
                peak = Some((connections, figures));
            }
        }
        if let Some((connections, figures)) = peak {
            println!(
                "| {name}: peak | {connections} | {:.0} | {:.1} | {:.1} | |",
                figures.requests_per_second, figures.p50_ms, figures.p99_ms
            );
        }
    }
    println!();
}

/// Open `groupPosts` subscriptions in scenario 8.
const SUBSCRIBERS: usize = 1_000;
