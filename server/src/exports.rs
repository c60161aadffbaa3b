//! Downloads: a giveaway's entries and winners as CSV (for its tenant, signed in), and the
//! public record of a draw (`/verify/<id>/entries.txt`, `/verify/<id>/draw.json`) that
//! the verify page and the `tombola verify` command check.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::DatabaseConnection;
use backend::accounts::AccountId;
use backend::crypto::TokenCipher;
use backend::tenancy::TenantScope;
use std::sync::Arc;
use tower_sessions::Session;

#[derive(Clone)]
pub struct ExportState {
    pub db: DatabaseConnection,
    pub cipher: Arc<TokenCipher>,
}

/// Routes that need the session layer (CSV) and public ones (verify files).
pub fn router(state: ExportState) -> Router {
    Router::new()
        .route("/giveaways/{id}/entries.csv", get(entries_csv))
        .route("/giveaways/{id}/winners.csv", get(winners_csv))
        .route("/verify/{id}/entries.txt", get(entries_txt))
        .route("/verify/{id}/draw.json", get(draw_json))
        .with_state(state)
}

fn fail(e: backend::ServiceError) -> Response {
    match e {
        backend::ServiceError::NotFound => StatusCode::NOT_FOUND.into_response(),
        e => {
            tracing::error!(error = %e, "export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn scope(s: &ExportState, session: &Session) -> Result<TenantScope, Response> {
    let id = session
        .get::<i32>(app::server::ACCOUNT_KEY)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())?;
    match backend::accounts::resolve_session(&s.db, AccountId(id)).await {
        Ok(Some(p)) => Ok(p.scope),
        Ok(None) => Err(StatusCode::UNAUTHORIZED.into_response()),
        Err(e) => Err(fail(e)),
    }
}

/// One CSV field: quoted when needed, and a leading `= + - @` (a spreadsheet formula)
/// defused with an apostrophe.
pub fn csv_field(raw: &str) -> String {
    let mut s = raw.replace(['\r', '\n'], " ");
    if s.starts_with(['=', '+', '-', '@', '\t']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv(name: &str, header_row: &str, rows: Vec<Vec<String>>) -> Response {
    let mut body = String::from("\u{feff}"); // so spreadsheet programs read UTF-8 (中文)
    body.push_str(header_row);
    body.push_str("\r\n");
    for r in rows {
        body.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn entries_csv(
    State(s): State<ExportState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let scope = match scope(&s, &session).await {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    match backend::giveaways::all_entries(&s.db, &scope, &id).await {
        Ok(rows) => csv(
            &format!("entries-{id}.csv"),
            "number,pseudonym,first_name,username,telegram_user_id,via,joined_at_utc",
            rows.into_iter()
                .map(|e| {
                    vec![
                        e.number.to_string(),
                        e.pseudonym,
                        e.first_name,
                        e.username.unwrap_or_default(),
                        e.telegram_user_id.to_string(),
                        e.via,
                        e.joined_at.to_rfc3339(),
                    ]
                })
                .collect(),
        ),
        Err(e) => fail(e),
    }
}

async fn winners_csv(
    State(s): State<ExportState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let scope = match scope(&s, &session).await {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    match backend::giveaways::winners(&s.db, &scope, &id).await {
        Ok(rows) => csv(
            &format!("winners-{id}.csv"),
            "number,prize,reserve,pseudonym,first_name,username,telegram_user_id,notice",
            rows.into_iter()
                .map(|w| {
                    vec![
                        w.entry.number.to_string(),
                        w.prize.clone().unwrap_or_default(),
                        w.prize.is_none().to_string(),
                        w.entry.pseudonym,
                        w.entry.first_name,
                        w.entry.username.unwrap_or_default(),
                        w.entry.telegram_user_id.to_string(),
                        w.notice,
                    ]
                })
                .collect(),
        ),
        Err(e) => fail(e),
    }
}

async fn entries_txt(State(s): State<ExportState>, Path(id): Path<String>) -> Response {
    match backend::giveaways::public_record(&s.db, &s.cipher, &id).await {
        Ok(r) => match r.entry_list {
            Some(list) => (
                [
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"entries-{id}.txt\""),
                    ),
                ],
                list,
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(e) => fail(e),
    }
}

async fn draw_json(State(s): State<ExportState>, Path(id): Path<String>) -> Response {
    match backend::giveaways::public_record(&s.db, &s.cipher, &id).await {
        Ok(r) => match r.published {
            Some(p) => (
                [(
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"draw-{id}.json\""),
                )],
                axum::Json(p),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(e) => fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@evil"), "'@evil");
        assert_eq!(csv_field("two\nlines"), "two lines");
        assert_eq!(csv_field("小明"), "小明");
    }
}
