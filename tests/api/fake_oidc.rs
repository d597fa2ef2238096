//! A small OpenID Connect provider for the tests: discovery, its keys (an RSA key made for each
//! test run), an authorization endpoint that signs in whoever the test says and redirects back,
//! a token endpoint checking the client, the code and PKCE, and userinfo. Knobs make it answer
//! as a broken or hostile provider would.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "relais-test-client";
pub const CLIENT_SECRET: &str = "a test client secret";

/// An RSA key: its PEM for signing, its public numbers for the JWKS.
struct Key {
    pem: String,
    n: String,
    e: String,
}

impl Key {
    fn generate() -> Key {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("an RSA key");
        let public = private.to_public_key();
        Key {
            pem: private
                .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
                .expect("PEM")
                .to_string(),
            n: URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }
    }
}

/// The provider's key and a stranger's, made once per test run.
fn keys() -> &'static (Key, Key) {
    static KEYS: OnceLock<(Key, Key)> = OnceLock::new();
    KEYS.get_or_init(|| (Key::generate(), Key::generate()))
}

/// How the next ID tokens go wrong, if they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// Signed with a key the provider does not publish.
    ForeignKey,
    WrongAudience,
    WrongIssuer,
    /// Carries the nonce of an earlier sign-in.
    StaleNonce,
    Expired,
}

/// Who signs in at the provider next: their subject and claims (ID token and userinfo).
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub claims: Map<String, Value>,
    /// Claims only userinfo gives (Pro Santé Connect's practices).
    pub userinfo: Map<String, Value>,
}

impl Person {
    pub fn new(subject: &str, claims: Value) -> Person {
        Person {
            subject: subject.to_owned(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            userinfo: Map::new(),
        }
    }

    pub fn with_userinfo(mut self, claims: Value) -> Person {
        self.userinfo = claims.as_object().cloned().unwrap_or_default();
        self
    }
}

struct Grant {
    person: Person,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

struct Inner {
    person: Option<Person>,
    tamper: Tamper,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, Person>,
    last_nonce: Option<String>,
    next: usize,
}

struct Shared {
    issuer: String,
    inner: Mutex<Inner>,
}

pub struct FakeProvider {
    pub issuer: String,
    shared: Arc<Shared>,
    handle: Option<ServerHandle>,
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the provider");
        let issuer = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            inner: Mutex::new(Inner {
                person: None,
                tamper: Tamper::None,
                grants: HashMap::new(),
                tokens: HashMap::new(),
                last_nonce: None,
                next: 0,
            }),
        });
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/userinfo", web::get().to(userinfo))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeProvider {
            issuer,
            shared,
            handle: Some(handle),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().expect("not poisoned")
    }

    /// The person the next authorization signs in.
    pub fn sign_in_as(&self, person: Person) {
        self.lock().person = Some(person);
    }

    pub fn tamper(&self, tamper: Tamper) {
        self.lock().tamper = tamper;
    }

    /// Stops answering, as a provider that is down.
    pub async fn take_down(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop(false).await;
        }
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            drop(handle.stop(false));
        }
    }
}

async fn discovery(shared: web::Data<Arc<Shared>>) -> HttpResponse {
    let issuer = &shared.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> HttpResponse {
    let (key, _) = keys();
    HttpResponse::Ok().json(json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "provider-key",
        "n": key.n, "e": key.e,
    }] }))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
    scope: String,
}

/// Signs in the person the test chose, at once, and sends the browser back.
async fn authorize(
    shared: web::Data<Arc<Shared>>,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let mut inner = shared.inner.lock().expect("not poisoned");
    let back = |params: &str| {
        HttpResponse::Found()
            .insert_header(("location", format!("{}?{params}", query.redirect_uri)))
            .finish()
    };
    let Some(person) = inner.person.clone() else {
        return back(&format!("error=access_denied&state={}", query.state));
    };
    assert_eq!(query.client_id, CLIENT_ID);
    assert_eq!(query.code_challenge_method, "S256");
    assert!(query.scope.split(' ').any(|scope| scope == "openid"));
    inner.next += 1;
    let code = format!("code-{}", inner.next);
    inner.grants.insert(
        code.clone(),
        Grant {
            person,
            nonce: query.nonce.clone(),
            challenge: query.code_challenge.clone(),
            redirect_uri: query.redirect_uri.clone(),
        },
    );
    back(&format!("code={code}&state={}", query.state))
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

fn client_of(request: &HttpRequest) -> Option<(String, String)> {
    let header = request.headers().get("authorization")?.to_str().ok()?;
    let decoded = STANDARD.decode(header.strip_prefix("Basic ")?).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The code for tokens: the client, the code (once) and PKCE checked.
async fn token(
    shared: web::Data<Arc<Shared>>,
    request: HttpRequest,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let refuse = |error: &str| HttpResponse::BadRequest().json(json!({ "error": error }));
    if client_of(&request) != Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())) {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    let form = form.into_inner();
    let mut inner = shared.inner.lock().expect("not poisoned");
    let Some(grant) = inner.grants.remove(&form.code) else {
        return refuse("invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()));
    if form.grant_type != "authorization_code"
        || challenge != grant.challenge
        || form.redirect_uri != grant.redirect_uri
    {
        return refuse("invalid_grant");
    }
    let now = chrono::Utc::now().timestamp();
    let tamper = inner.tamper;
    let nonce = match (tamper, &inner.last_nonce) {
        (Tamper::StaleNonce, Some(stale)) => stale.clone(),
        _ => grant.nonce.clone(),
    };
    inner.last_nonce = Some(grant.nonce.clone());
    let mut claims = grant.person.claims.clone();
    claims.insert("sub".into(), json!(grant.person.subject));
    claims.insert(
        "iss".into(),
        json!(if tamper == Tamper::WrongIssuer {
            "http://127.0.0.1:1".to_owned()
        } else {
            shared.issuer.clone()
        }),
    );
    claims.insert(
        "aud".into(),
        json!(if tamper == Tamper::WrongAudience {
            "someone-else"
        } else {
            CLIENT_ID
        }),
    );
    claims.insert("iat".into(), json!(now - 5));
    claims.insert(
        "exp".into(),
        json!(if tamper == Tamper::Expired {
            now - 60
        } else {
            now + 300
        }),
    );
    claims.insert("nonce".into(), json!(nonce));
    let (ours, foreign) = keys();
    let key = if tamper == Tamper::ForeignKey {
        foreign
    } else {
        ours
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("provider-key".into());
    let id_token = jsonwebtoken::encode(
        &header,
        &Value::Object(claims),
        &EncodingKey::from_rsa_pem(key.pem.as_bytes()).expect("a signing key"),
    )
    .expect("an ID token");
    let access_token = format!("access-{}", form.code);
    inner.tokens.insert(access_token.clone(), grant.person);
    HttpResponse::Ok().json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
}

async fn userinfo(shared: web::Data<Arc<Shared>>, request: HttpRequest) -> HttpResponse {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let inner = shared.inner.lock().expect("not poisoned");
    let Some(person) = inner.tokens.get(&token) else {
        return HttpResponse::Unauthorized().finish();
    };
    let mut claims = person.userinfo.clone();
    claims.insert("sub".into(), json!(person.subject));
    HttpResponse::Ok().json(Value::Object(claims))
}
