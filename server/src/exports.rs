//! Downloads: a giveaway's entries and winners as CSV (for its tenant, signed in), and the
//! public record of a draw (`/verify/<id>/entries.txt`, `/verify/<id>/draw.json`) that
//! the verify page and the `tombola verify` command check. A refusal answers with the
//! status `AppError::status` gives it (see `crate::errors`).

use crate::errors::HttpError;
use crate::startup::AppState;
use app::error::AppError;
use app::server::public_id;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::Deps;
use backend::ids::AccountId;
use backend::tenancy::TenantScope;
use tower_sessions::Session;

/// Routes that need the session layer (CSV) and public ones (verify files).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/giveaways/{id}/entries.csv", get(entries_csv))
        .route("/giveaways/{id}/winners.csv", get(winners_csv))
        .route("/verify/{id}/entries.txt", get(entries_txt))
        .route("/verify/{id}/draw.json", get(draw_json))
}

/// The signed-in tenant, or `Unauthorized`.
async fn scope(deps: &Deps, session: &Session) -> Result<TenantScope, HttpError> {
    let id = session
        .get::<i32>(app::server::ACCOUNT_KEY)
        .await
        .ok()
        .flatten()
        .ok_or(AppError::Unauthorized)?;
    backend::accounts::resolve_session(&deps.db, AccountId(id))
        .await?
        .map(|p| p.scope)
        .ok_or(HttpError(AppError::Unauthorized))
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
    State(deps): State<Deps>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let scope = scope(&deps, &session).await?;
    let id = public_id(&id)?;
    let rows = backend::giveaways::all_entries(&deps.db, &scope, &id).await?;
    Ok(csv(
        &format!("entries-{id}.csv"),
        "number,pseudonym,first_name,username,telegram_user_id,via,joined_at_utc,tickets,referrals",
        rows.into_iter()
            .map(|e| {
                vec![
                    e.number.to_string(),
                    e.pseudonym,
                    e.first_name,
                    e.username.unwrap_or_default(),
                    e.telegram_user_id.to_string(),
                    e.via.code().to_owned(),
                    e.joined_at.to_rfc3339(),
                    e.tickets.to_string(),
                    e.referrals.to_string(),
                ]
            })
            .collect(),
    ))
}

async fn winners_csv(
    State(deps): State<Deps>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let scope = scope(&deps, &session).await?;
    let id = public_id(&id)?;
    let rows = backend::giveaways::winners(&deps.db, &scope, &id).await?;
    Ok(csv(
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
    ))
}

async fn entries_txt(
    State(deps): State<Deps>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let id = public_id(&id)?;
    let record = backend::giveaways::public_record(&deps.db, &deps.cipher, &id).await?;
    let list = record.entry_list.ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"entries-{id}.txt\""),
            ),
        ],
        list,
    )
        .into_response())
}

async fn draw_json(
    State(deps): State<Deps>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let id = public_id(&id)?;
    let record = backend::giveaways::public_record(&deps.db, &deps.cipher, &id).await?;
    let published = record.published.ok_or(AppError::NotFound)?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"draw-{id}.json\""),
        )],
        axum::Json(published),
    )
        .into_response())
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
