//! The toy vendor's server, as small as its document: POST /login, GET
//! /whoami, POST /logout. `broken` gives a token for any password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

#[derive(Default)]
struct Books {
    /// Live tokens and their users.
    tokens: HashMap<String, String>,
    logouts: usize,
    issued: usize,
}

#[derive(Clone)]
struct ToyState {
    broken: bool,
    books: Arc<Mutex<Books>>,
}

/// A running toy server; it stops when the test ends.
pub struct Toy {
    pub url: String,
    books: Arc<Mutex<Books>>,
}

impl Toy {
    pub async fn start(broken: bool) -> Toy {
        let books: Arc<Mutex<Books>> = Arc::default();
        let app = axum::Router::new()
            .route("/login", post(login))
            .route("/whoami", get(whoami))
            .route("/logout", post(logout))
            .with_state(ToyState {
                broken,
                books: books.clone(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Toy { url, books }
    }

    pub fn live_tokens(&self) -> usize {
        self.books.lock().unwrap().tokens.len()
    }

    pub fn logouts(&self) -> usize {
        self.books.lock().unwrap().logouts
    }
}

const USERS: [(&str, &str); 2] = [("alice", "alices-pw"), ("bob", "bobs-pw")];

async fn login(State(toy): State<ToyState>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let user = body["username"].as_str().unwrap_or_default();
    let password = body["password"].as_str().unwrap_or_default();
    let known = USERS
        .iter()
        .any(|(u, p)| *u == user && (toy.broken || *p == password));
    if !known {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "wrong username or password" })),
        );
    }
    let mut books = toy.books.lock().unwrap();
    books.issued += 1;
    let token = format!("toy-{}-{}", books.issued, std::process::id());
    books.tokens.insert(token.clone(), user.to_owned());
    (StatusCode::OK, Json(json!({ "token": token })))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

async fn whoami(State(toy): State<ToyState>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let books = toy.books.lock().unwrap();
    match bearer(&headers).and_then(|t| books.tokens.get(&t).cloned()) {
        Some(user) => (StatusCode::OK, Json(json!({ "username": user }))),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "no such token" })),
        ),
    }
}

async fn logout(State(toy): State<ToyState>, headers: HeaderMap) -> StatusCode {
    let mut books = toy.books.lock().unwrap();
    books.logouts += 1;
    match bearer(&headers).and_then(|t| books.tokens.remove(&t)) {
        Some(_) => StatusCode::OK,
        None => StatusCode::UNAUTHORIZED,
    }
}
