//! The scenarios, each run by signed-in people against the seeded data.

use serde_json::{Value, json};

use crate::Scale;
use crate::load::{self, Figures};
use crate::seed::{CONTENDED_CAPACITY, PASSWORD, World};
use crate::server::Server;

const GROUPS_PAGE: &str = "query { groups(first: 20) { edges { node { id name memberCount viewerMembership { role } } } } }";
const POSTS_PAGE: &str = "query($id: ID!) { group(id: $id) { posts(first: 20) { edges { node { id body anonymous author { displayName } replyCount } } } } }";
const WORKSHOPS_PAGE: &str = "query { workshops(first: 20) { edges { node { id title startsAt confirmedCount capacity } } } }";
const CHECKIN: &str = "mutation { submitCheckin(input: { instrument: BURNOUT_SINGLE_ITEM, answers: [2] }) { id band } }";
const REGISTER: &str = "mutation($id: ID!) { registerForWorkshop(workshopId: $id) { status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelRegistration(workshopId: $id) { status } }";
const MATCHES: &str = "query { mentorMatches(input: { areas: [BURNOUT_PREVENTION, STRESS_MANAGEMENT] }, first: 10) { score mentor { headline } } }";
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

/// Runs `query` with `variables` as worker `n`'s person, as fast as answers come.
async fn read_scenario(
    server: &Server,
    tokens: &[String],
    scale: Scale,
    query: &str,
    variables: Value,
) -> Figures {
    load::run(tokens.len(), scale.duration, |worker, _| {
        let variables = variables.clone();
        async move {
            server
                .gql(Some(&tokens[worker]), query, variables)
                .await
                .is_some()
        }
    })
    .await
}

pub async fn run_all(
    server: &Server,
    database_url: &str,
    world: &World,
    scale: Scale,
    concurrency: usize,
) {
    // The sessions seeding opened: one person per connection.
    let tokens = &world.access_tokens[..concurrency.min(world.access_tokens.len())];

    let graphql = read_scenario(server, tokens, scale, GROUPS_PAGE, json!({})).await;
    print_row("1. groups(first: 20)", &graphql, server);
    // The floor: the same data from a plain route, then from the same service calls in a loop.
    let plain = load::run(tokens.len(), scale.duration, |worker, _| async move {
        server.get_json("/bench/groups", &tokens[worker]).await
    })
    .await;
    print_row("1b. the same page, plain route", &plain, server);
    let db = relais::db::Db::connect(database_url)
        .await
        .expect("the database opens");
    let (db, viewers) = (&db, &world.user_ids);
    let direct = load::run(tokens.len(), scale.duration, |worker, _| async move {
        relais::groups::bench::first_page(db, viewers[worker].clone())
            .await
            .is_ok()
    })
    .await;
    print_row("1c. the same service calls, no HTTP", &direct, server);
    let layers = format!(
        "GraphQL / plain route: {:.0} %, plain route / service calls: {:.0} %",
        100.0 * graphql.requests_per_second / plain.requests_per_second,
        100.0 * plain.requests_per_second / direct.requests_per_second
    );
    let posts_page = || {
        read_scenario(
            server,
            tokens,
            scale,
            POSTS_PAGE,
            json!({ "id": world.busy_group }),
        )
    };
    let figures = posts_page().await;
    print_row("2. a group's posts(first: 20)", &figures, server);
    let figures = read_scenario(server, tokens, scale, WORKSHOPS_PAGE, json!({})).await;
    print_row("3. workshops(first: 20)", &figures, server);
    read_sweep(server, world, scale).await;
    let figures = read_scenario(server, tokens, scale, CHECKIN, json!({})).await;
    print_row("4. submitCheckin", &figures, server);

    // Register then cancel on a few five-seat workshops; afterwards no workshop holds more
    // confirmed people than seats.
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

    let figures = read_scenario(server, tokens, scale, MATCHES, json!({})).await;
    print_row("6. mentorMatches", &figures, server);
    // One search at a time: what a search costs, without the queue of the others.
    let figures = read_scenario(server, &tokens[..1], scale, MATCHES, json!({})).await;
    print_row("6b. mentorMatches, one connection", &figures, server);

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
    println!("\n1. {layers}");
}

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
