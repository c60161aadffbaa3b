//! The two HTTP faces: the Bot API (`/bot<token>/<method>`) and the control API (`/sim/…`).

use crate::error::ApiError;
use crate::methods;
use crate::model::{ChatKind, Fault, FaultKind};
use crate::params::Params;
use crate::sim::{Sim, SimConfig};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

pub fn router(sim: Sim) -> axum::Router {
    axum::Router::new()
        .route("/sim/bots", post(create_bot))
        .route("/sim/bots/{bot}/revoke", post(revoke))
        .route("/sim/bots/{bot}/token", post(reissue))
        .route("/sim/bots/{bot}/calls", get(calls))
        .route("/sim/bots/{bot}/state", get(bot_state))
        .route("/sim/users", post(create_user))
        .route("/sim/users/{user}/send", post(user_send))
        .route("/sim/users/{user}/start", post(user_start))
        .route("/sim/users/{user}/press", post(user_press))
        .route("/sim/users/{user}/block", post(user_block))
        .route("/sim/users/{user}/unblock", post(user_unblock))
        .route("/sim/users/{user}/premium", post(user_premium))
        .route("/sim/users/{user}/open_webapp", post(open_webapp))
        .route("/sim/chats/{chat}/boosts", post(add_boost))
        .route("/sim/chats/{chat}/boosts/{boost}", delete(remove_boost))
        .route("/sim/chats", post(create_chat))
        .route("/sim/chats/{chat}/members", post(add_member))
        .route("/sim/chats/{chat}/members/{member}", delete(remove_member))
        .route("/sim/chats/{chat}/events", get(events))
        .route("/sim/faults", post(add_fault).delete(clear_faults))
        .route("/sim/config", get(get_config).put(put_config))
        .route("/sim/drand", post(drand_state))
        .route("/drand/{chain}/info", get(drand_info))
        .route("/drand/{chain}/public/{round}", get(drand_round))
        .route("/{bot}/{method}", any(bot_api))
        .fallback(|| async { ApiError::not_found() })
        .with_state(sim)
}

// ----- Bot API -----

async fn bot_api(
    State(sim): State<Sim>,
    Path((bot, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return ApiError::not_found().into_response();
    };
    let bot_id = {
        let w = sim.world();
        match w.tokens.get(token).and_then(|id| w.bots.get(id)) {
            Some(b) if !b.revoked => b.id,
            _ => return ApiError::unauthorized().into_response(),
        }
    };
    if let Some(fault) = sim.take_fault(token, &method) {
        match fault {
            FaultKind::Status { code, description } => {
                let e = ApiError::new(
                    code,
                    description.as_deref().unwrap_or("Internal Server Error"),
                );
                count(&sim, bot_id, &method, e.code);
                return e.into_response();
            }
            FaultKind::Slow { millis } => tokio::time::sleep(Duration::from_millis(millis)).await,
            FaultKind::Drop => {
                count(&sim, bot_id, &method, 0);
                let stream = futures_util::stream::once(async {
                    Err::<bytes::Bytes, std::io::Error>(std::io::Error::other(
                        "connection dropped by fault injection",
                    ))
                });
                return Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Body::from_stream(stream))
                    .unwrap_or_default();
            }
            FaultKind::Answer { result } => {
                count(&sim, bot_id, &method, 200);
                return Json(json!({"ok": true, "result": result})).into_response();
            }
        }
    }
    let params = match Params::from_request(req).await {
        Ok(p) => p,
        Err(e) => {
            count(&sim, bot_id, &method, e.code);
            return e.into_response();
        }
    };
    let result = if method.eq_ignore_ascii_case("getUpdates") {
        methods::get_updates(&sim, bot_id, token, &params).await
    } else {
        methods::call(&sim, bot_id, &method, &params)
    };
    match result {
        Ok(v) => {
            count(&sim, bot_id, &method, 200);
            Json(json!({"ok": true, "result": v})).into_response()
        }
        Err(e) => {
            count(&sim, bot_id, &method, e.code);
            e.into_response()
        }
    }
}

fn count(sim: &Sim, bot_id: i64, method: &str, status: u16) {
    let mut w = sim.world();
    if let Some(bot) = w.bots.get_mut(&bot_id) {
        let c = bot.counters.entry(method.to_owned()).or_default();
        c.calls += 1;
        match status {
            200..=299 => c.ok += 1,
            429 => c.too_many_requests += 1,
            400..=499 => c.client_errors += 1,
            _ => c.server_errors += 1,
        }
    }
}

// ----- control API -----

struct ControlError(String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"error": self.0}))).into_response()
    }
}

impl From<String> for ControlError {
    fn from(s: String) -> Self {
        ControlError(s)
    }
}

impl From<&str> for ControlError {
    fn from(s: &str) -> Self {
        ControlError(s.to_owned())
    }
}

type Ctl = Result<Json<Value>, ControlError>;

fn bot_key(sim: &Sim, key: &str) -> Result<i64, ControlError> {
    sim.bot_id(key)
        .or_else(|| {
            key.parse()
                .ok()
                .filter(|id| sim.world().bots.contains_key(id))
        })
        .ok_or_else(|| ControlError(format!("no bot {key}")))
}

#[derive(Deserialize)]
struct NewBot {
    token: Option<String>,
    username: String,
    first_name: Option<String>,
}

async fn create_bot(State(sim): State<Sim>, Json(b): Json<NewBot>) -> Ctl {
    Ok(Json(sim.create_bot(b.token, &b.username, b.first_name)?))
}

async fn revoke(State(sim): State<Sim>, Path(bot): Path<String>) -> Ctl {
    let id = bot_key(&sim, &bot)?;
    let token = sim
        .world()
        .bots
        .get(&id)
        .map(|b| b.token.clone())
        .ok_or("no bot")?;
    sim.revoke(&token)?;
    Ok(Json(json!({"revoked": true})))
}

#[derive(Deserialize, Default)]
struct NewToken {
    token: Option<String>,
}

/// @BotFather's /revoke: a new token for the same bot.
async fn reissue(
    State(sim): State<Sim>,
    Path(bot): Path<String>,
    body: Option<Json<NewToken>>,
) -> Ctl {
    let id = bot_key(&sim, &bot)?;
    Ok(Json(sim.reissue_token(id, body.and_then(|b| b.0.token))?))
}

async fn calls(State(sim): State<Sim>, Path(bot): Path<String>) -> Ctl {
    let id = bot_key(&sim, &bot)?;
    let w = sim.world();
    let b = w.bots.get(&id).ok_or("no bot")?;
    Ok(Json(serde_json::to_value(&b.counters).unwrap_or_default()))
}

async fn bot_state(State(sim): State<Sim>, Path(bot): Path<String>) -> Ctl {
    let id = bot_key(&sim, &bot)?;
    let w = sim.world();
    let b = w.bots.get(&id).ok_or("no bot")?;
    Ok(Json(json!({
        "id": b.id,
        "username": b.username,
        "revoked": b.revoked,
        "webhook": b.webhook,
        "has_secret_token": b.webhook.as_ref().is_some_and(|h| h.secret_token.is_some()),
        "pending": b.queue.len(),
        "in_flight": b.in_flight,
        "max_in_flight_seen": b.max_in_flight_seen,
        "polls_in_flight": b.polls_in_flight,
        "max_polls_in_flight": b.max_polls_in_flight,
        "polls_terminated": b.polls_terminated,
        "commands": b.commands,
        "menu_button": b.menu_button,
    })))
}

#[derive(Deserialize)]
struct NewUser {
    id: Option<i64>,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
    language_code: Option<String>,
}

async fn create_user(State(sim): State<Sim>, Json(u): Json<NewUser>) -> Ctl {
    Ok(Json(sim.create_user(
        u.id,
        u.first_name,
        u.last_name,
        u.username,
        u.language_code,
    )?))
}

#[derive(Deserialize)]
struct UserSend {
    bot: String,
    text: String,
    chat_id: Option<i64>,
}

async fn user_send(State(sim): State<Sim>, Path(user): Path<i64>, Json(s): Json<UserSend>) -> Ctl {
    let bot = bot_key(&sim, &s.bot)?;
    Ok(Json(sim.user_sends(user, bot, &s.text, s.chat_id)?))
}

#[derive(Deserialize)]
struct UserStart {
    bot: String,
    payload: Option<String>,
}

/// `/start` or `/start <payload>`, as a t.me/<bot>?start=<payload> link sends it.
async fn user_start(
    State(sim): State<Sim>,
    Path(user): Path<i64>,
    Json(s): Json<UserStart>,
) -> Ctl {
    let bot = bot_key(&sim, &s.bot)?;
    let text = match s.payload.as_deref() {
        None | Some("") => "/start".to_owned(),
        Some(p)
            if p.len() <= 64
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            format!("/start {p}")
        }
        Some(_) => return Err("a start payload is 1–64 characters of A-Z a-z 0-9 _ -".into()),
    };
    Ok(Json(sim.user_sends(user, bot, &text, None)?))
}

#[derive(Deserialize)]
struct Press {
    bot: String,
    chat_id: Option<i64>,
    message_id: i64,
    data: String,
}

async fn user_press(State(sim): State<Sim>, Path(user): Path<i64>, Json(p): Json<Press>) -> Ctl {
    let bot = bot_key(&sim, &p.bot)?;
    Ok(Json(sim.user_presses(
        user,
        bot,
        p.chat_id.unwrap_or(user),
        p.message_id,
        &p.data,
    )?))
}

#[derive(Deserialize)]
struct BotRef {
    bot: String,
}

async fn user_block(State(sim): State<Sim>, Path(user): Path<i64>, Json(b): Json<BotRef>) -> Ctl {
    let bot = bot_key(&sim, &b.bot)?;
    Ok(Json(sim.user_blocks(user, bot, true)?))
}

async fn user_unblock(State(sim): State<Sim>, Path(user): Path<i64>, Json(b): Json<BotRef>) -> Ctl {
    let bot = bot_key(&sim, &b.bot)?;
    Ok(Json(sim.user_blocks(user, bot, false)?))
}

#[derive(Deserialize)]
struct NewChat {
    #[serde(rename = "type")]
    kind: ChatKind,
    title: String,
    username: Option<String>,
}

async fn create_chat(State(sim): State<Sim>, Json(c): Json<NewChat>) -> Ctl {
    Ok(Json(sim.create_chat(c.kind, c.title, c.username)?))
}

#[derive(Deserialize)]
struct Member {
    user_id: Option<i64>,
    bot: Option<String>,
    status: String,
}

async fn add_member(State(sim): State<Sim>, Path(chat): Path<i64>, Json(m): Json<Member>) -> Ctl {
    let id = match (m.user_id, m.bot) {
        (Some(id), None) => id,
        (None, Some(b)) => bot_key(&sim, &b)?,
        _ => return Err("give either user_id or bot".into()),
    };
    sim.set_member(chat, id, &m.status)?;
    Ok(Json(
        json!({"chat_id": chat, "member_id": id, "status": m.status}),
    ))
}

#[derive(Deserialize)]
struct Premium {
    premium: bool,
}

/// `POST /sim/users/{id}/premium {"premium": true}`.
async fn user_premium(
    State(sim): State<Sim>,
    Path(user): Path<i64>,
    Json(p): Json<Premium>,
) -> Ctl {
    sim.set_premium(user, p.premium)?;
    Ok(Json(json!({"user_id": user, "premium": p.premium})))
}

#[derive(Deserialize)]
struct OpenWebApp {
    bot: String,
    start_param: Option<String>,
    auth_date: Option<i64>,
}

/// `POST /sim/users/{id}/open_webapp {"bot": "@name", "start_param"?, "auth_date"?}` →
/// `{"init_data": "<signed query string>", "user": {…}}`, as Telegram hands a Mini App.
async fn open_webapp(
    State(sim): State<Sim>,
    Path(user): Path<i64>,
    Json(o): Json<OpenWebApp>,
) -> Ctl {
    let bot = bot_key(&sim, &o.bot)?;
    Ok(Json(sim.open_webapp(
        user,
        bot,
        o.start_param.as_deref(),
        o.auth_date,
    )?))
}

#[derive(Deserialize)]
struct NewBoost {
    user_id: i64,
}

/// `POST /sim/chats/{chat}/boosts {"user_id": …}` → `{"boost_id": …}`.
async fn add_boost(State(sim): State<Sim>, Path(chat): Path<i64>, Json(b): Json<NewBoost>) -> Ctl {
    let id = sim.add_boost(chat, b.user_id)?;
    Ok(Json(json!({"boost_id": id})))
}

/// `DELETE /sim/chats/{chat}/boosts/{boost_id}`.
async fn remove_boost(State(sim): State<Sim>, Path((chat, boost)): Path<(i64, String)>) -> Ctl {
    sim.remove_boost(chat, &boost)?;
    Ok(Json(json!({"removed": true})))
}

async fn remove_member(State(sim): State<Sim>, Path((chat, member)): Path<(i64, i64)>) -> Ctl {
    sim.set_member(chat, member, "left")?;
    Ok(Json(json!({"removed": true})))
}

async fn events(
    State(sim): State<Sim>,
    Path(chat): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Ctl {
    let bot = match q.get("bot") {
        Some(b) => Some(bot_key(&sim, b)?),
        None => None,
    };
    let w = sim.world();
    let list: Vec<Value> = w
        .events
        .get(&chat)
        .into_iter()
        .flatten()
        .filter(|e| {
            let id = match e {
                crate::model::Event::Message { bot_id, .. }
                | crate::model::Event::Edit { bot_id, .. }
                | crate::model::Event::Delete { bot_id, .. }
                | crate::model::Event::CallbackAnswer { bot_id, .. }
                | crate::model::Event::UserAction { bot_id, .. } => *bot_id,
            };
            bot.is_none_or(|b| b == id)
        })
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .collect();
    Ok(Json(Value::Array(list)))
}

async fn add_fault(State(sim): State<Sim>, Json(f): Json<Fault>) -> Ctl {
    sim.add_fault(f);
    Ok(Json(json!({"added": true})))
}

async fn clear_faults(State(sim): State<Sim>) -> Ctl {
    sim.world().faults.clear();
    Ok(Json(json!({"cleared": true})))
}

async fn get_config(State(sim): State<Sim>) -> Ctl {
    Ok(Json(serde_json::to_value(sim.config()).unwrap_or_default()))
}

async fn put_config(State(sim): State<Sim>, Json(c): Json<SimConfig>) -> Ctl {
    sim.set_config(c);
    sim.changed.notify_waiters();
    Ok(Json(serde_json::to_value(sim.config()).unwrap_or_default()))
}

// ----- the drand relay -----

fn drand_answer(sim: &Sim, v: Option<Value>) -> Response {
    if sim.drand_down.load(std::sync::atomic::Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "relay down\n").into_response();
    }
    match v {
        Some(v) => Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

async fn drand_info(State(sim): State<Sim>, Path(chain): Path<String>) -> Response {
    drand_answer(&sim, crate::beacon::info(&chain))
}

async fn drand_round(
    State(sim): State<Sim>,
    Path((chain, round)): Path<(String, String)>,
) -> Response {
    let v = round
        .parse()
        .ok()
        .and_then(|r| crate::beacon::round(&chain, r));
    drand_answer(&sim, v)
}

#[derive(Deserialize)]
struct DrandState {
    down: bool,
}

/// `POST /sim/drand {"down": bool}`: relay down or back.
async fn drand_state(State(sim): State<Sim>, Json(s): Json<DrandState>) -> Ctl {
    sim.set_drand_down(s.down);
    Ok(Json(json!({"down": s.down})))
}
