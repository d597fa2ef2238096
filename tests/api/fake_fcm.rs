//! A local stand-in for Google's OAuth token endpoint and FCM HTTP v1, speaking their protocol:
//! it checks the service account's signed JWT (RS256 against the test key, issuer, scope,
//! audience, lifetime), the bearer token on every send and the shape of each message, and answers
//! what the test scripts (200, 400, 401, 404 UNREGISTERED, 429 with Retry-After, 500, 503, or a
//! hang).

use std::collections::{HashSet, VecDeque};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use relais::notifications::fcm::{AssertionClaims, MESSAGING_SCOPE};
use serde_json::{Value, json};

pub const PROJECT_ID: &str = "relais-test";
pub const CLIENT_EMAIL: &str = "relais-push@relais-test.iam.gserviceaccount.com";
const PRIVATE_KEY: &str = include_str!("../fixtures/fcm_test_key.pem");
const PUBLIC_KEY: &str = include_str!("../fixtures/fcm_test_key.pub.pem");

/// An answer to one `messages:send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Ok,
    InvalidToken400,
    InvalidMessage400,
    Unauthorized401,
    Unregistered404,
    TooMany429 {
        retry_after_secs: u64,
    },
    /// 200, after this long.
    SlowOk {
        millis: u64,
    },
    Internal500,
    Unavailable503,
    Hang,
}

struct Inner {
    valid_tokens: HashSet<String>,
    script: VecDeque<Reply>,
    /// What a send gets once the script is used up.
    default_reply: Reply,
    delivered: Vec<Value>,
}

struct Shared {
    token_uri: String,
    inner: Mutex<Inner>,
    tokens_issued: AtomicUsize,
    token_refusals: AtomicUsize,
    sends: AtomicUsize,
    malformed: AtomicUsize,
    token_lifetime_secs: AtomicUsize,
}

pub struct FakeFcm {
    pub base_url: String,
    pub service_account_path: PathBuf,
    shared: Arc<Shared>,
    handle: ServerHandle,
    _dir: tempfile::TempDir,
}

impl FakeFcm {
    pub async fn start() -> FakeFcm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake FCM");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            token_uri: format!("{base_url}/token"),
            inner: Mutex::new(Inner {
                valid_tokens: HashSet::new(),
                script: VecDeque::new(),
                default_reply: Reply::Ok,
                delivered: Vec::new(),
            }),
            tokens_issued: AtomicUsize::new(0),
            token_refusals: AtomicUsize::new(0),
            sends: AtomicUsize::new(0),
            malformed: AtomicUsize::new(0),
            token_lifetime_secs: AtomicUsize::new(3599),
        });
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::post().to(token))
                .route("/v1/projects/{project}/messages:send", web::post().to(send))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);

        let dir = tempfile::tempdir().expect("temporary directory");
        let service_account_path = dir.path().join("service-account.json");
        let account = json!({
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": "test-key-1",
            "private_key": PRIVATE_KEY,
            "client_email": CLIENT_EMAIL,
            "token_uri": shared.token_uri,
        });
        std::fs::write(&service_account_path, account.to_string()).expect("write service account");
        FakeFcm {
            base_url,
            service_account_path,
            shared,
            handle,
            _dir: dir,
        }
    }

    /// The next sends get these answers, in order; then 200 again.
    pub fn script(&self, replies: &[Reply]) {
        self.lock().script.extend(replies.iter().copied());
    }

    /// How long the access tokens issued from now on say they live.
    /// Answers every send not scripted with `reply` (200 by default).
    pub fn reply_by_default(&self, reply: Reply) {
        self.lock().default_reply = reply;
    }

    pub fn set_token_lifetime_secs(&self, seconds: usize) {
        self.shared
            .token_lifetime_secs
            .store(seconds, Ordering::SeqCst);
    }

    /// Forgets every access token issued, as when Google revokes or expires them.
    pub fn revoke_access_tokens(&self) {
        self.lock().valid_tokens.clear();
    }

    /// Messages answered 200, in order.
    pub fn delivered(&self) -> Vec<Value> {
        self.lock().delivered.clone()
    }

    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }

    pub fn token_refusals(&self) -> usize {
        self.shared.token_refusals.load(Ordering::SeqCst)
    }

    /// Every `messages:send` request received, whatever the answer.
    pub fn sends(&self) -> usize {
        self.shared.sends.load(Ordering::SeqCst)
    }

    /// Sends whose body was not a valid FCM v1 message.
    pub fn malformed(&self) -> usize {
        self.shared.malformed.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().expect("fake FCM state")
    }
}

async fn token(
    shared: web::Data<Arc<Shared>>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let refuse = |why: &str| {
        shared.token_refusals.fetch_add(1, Ordering::SeqCst);
        HttpResponse::BadRequest()
            .json(json!({ "error": "invalid_grant", "error_description": why }))
    };
    if field("grant_type") != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return refuse("grant_type");
    }
    let Some(assertion) = field("assertion") else {
        return refuse("assertion missing");
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&shared.token_uri]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).expect("test public key");
    let claims = match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
        Ok(decoded) => decoded.claims,
        Err(error) => return refuse(&format!("assertion: {error}")),
    };
    if claims.scope != MESSAGING_SCOPE || claims.exp - claims.iat > 3600 {
        return refuse("scope or lifetime");
    }
    let issued = shared.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let access_token = format!("fake-access-token-{issued}");
    shared
        .inner
        .lock()
        .expect("fake FCM state")
        .valid_tokens
        .insert(access_token.clone());
    HttpResponse::Ok()
        .json(json!({ "access_token": access_token, "expires_in": shared.token_lifetime_secs.load(Ordering::SeqCst), "token_type": "Bearer" }))
}

fn fcm_error(status: u16, code: &str, error_code: Option<&str>, message: &str) -> HttpResponse {
    let mut details = vec![];
    if let Some(error_code) = error_code {
        details.push(json!({
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": error_code,
        }));
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .json(json!({ "error": { "code": status, "message": message, "status": code, "details": details } }))
}

/// Whether `body` is a well-formed FCM v1 send request.
fn well_formed(body: &Value) -> bool {
    let message = &body["message"];
    let strings = |value: &Value| {
        value
            .as_object()
            .is_some_and(|map| map.values().all(Value::is_string))
    };
    message["token"]
        .as_str()
        .is_some_and(|token| !token.is_empty())
        && message["notification"]["title"].is_string()
        && message["notification"]["body"].is_string()
        && strings(&message["data"])
        && message["android"]["priority"].is_string()
        && message["android"]["ttl"]
            .as_str()
            .is_some_and(|ttl| ttl.ends_with('s'))
        && strings(&message["apns"]["headers"])
        && message["apns"]["payload"]["aps"].is_object()
}

async fn send(
    shared: web::Data<Arc<Shared>>,
    project: web::Path<String>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> HttpResponse {
    shared.sends.fetch_add(1, Ordering::SeqCst);
    if project.as_str() != PROJECT_ID {
        return fcm_error(404, "NOT_FOUND", None, "unknown project");
    }
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let reply = {
        let mut inner = shared.inner.lock().expect("fake FCM state");
        if !bearer.is_some_and(|token| inner.valid_tokens.contains(&token)) {
            return fcm_error(
                401,
                "UNAUTHENTICATED",
                None,
                "Request had invalid authentication credentials.",
            );
        }
        if !well_formed(&body) {
            shared.malformed.fetch_add(1, Ordering::SeqCst);
            return fcm_error(
                400,
                "INVALID_ARGUMENT",
                Some("INVALID_ARGUMENT"),
                "Invalid JSON payload received.",
            );
        }
        let reply = inner.script.pop_front().unwrap_or(inner.default_reply);
        if matches!(reply, Reply::Ok | Reply::SlowOk { .. }) {
            inner.delivered.push(body.0.clone());
        }
        reply
    };
    match reply {
        Reply::Ok => {
            let number = shared.sends.load(Ordering::SeqCst);
            HttpResponse::Ok()
                .json(json!({ "name": format!("projects/{PROJECT_ID}/messages/{number}") }))
        }
        Reply::InvalidToken400 => fcm_error(
            400,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "The registration token is not a valid FCM registration token",
        ),
        Reply::InvalidMessage400 => fcm_error(
            400,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "Invalid value at 'message.data'",
        ),
        Reply::Unauthorized401 => fcm_error(
            401,
            "UNAUTHENTICATED",
            None,
            "Request had invalid authentication credentials.",
        ),
        Reply::Unregistered404 => fcm_error(
            404,
            "NOT_FOUND",
            Some("UNREGISTERED"),
            "Requested entity was not found.",
        ),
        Reply::TooMany429 { retry_after_secs } => {
            let mut response = fcm_error(
                429,
                "RESOURCE_EXHAUSTED",
                Some("QUOTA_EXCEEDED"),
                "Quota exceeded.",
            );
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(retry_after_secs),
            );
            response
        }
        Reply::Internal500 => fcm_error(500, "INTERNAL", Some("INTERNAL"), "Internal error."),
        Reply::Unavailable503 => fcm_error(
            503,
            "UNAVAILABLE",
            Some("UNAVAILABLE"),
            "The service is unavailable.",
        ),
        Reply::SlowOk { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            let number = shared.sends.load(Ordering::SeqCst);
            HttpResponse::Ok()
                .json(json!({ "name": format!("projects/{PROJECT_ID}/messages/{number}") }))
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Drop for FakeFcm {
    fn drop(&mut self) {
        // The stop command is sent at once; nothing needs to wait for it.
        drop(self.handle.stop(false));
    }
}
