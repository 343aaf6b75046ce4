//! Assist: "describe what you need" in plain words, and the admins' alias table.

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError,
    assist::{Alias, AssistAliases, AssistAnswer, AssistQuery},
};

use crate::{
    auth::CurrentUser, engine, engine::assist, error::AppError, extract::AppJson, state::AppState,
    store,
};

/// Ranked suggestions for a plain-language description: resources with the
/// permission that fits the words ("read" → read-only, "fix" → write) and
/// bundles, only what the caller's access flows let them request (for
/// themselves, or on behalf of `grantee_id`), each with a short reason.
/// Offline: BM25 with aliases, typo tolerance and the caller's history.
#[utoipa::path(
    post,
    path = "/api/v1/assist",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = AssistQuery,
    responses(
        (status = 200, description = "Suggestions, best first", body = AssistAnswer),
        (status = 400, description = "Malformed body", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 422, description = "Empty or too long a description, or a limit outside 1 to 20", body = ApiError),
    )
)]
pub async fn suggest_access(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(query): AppJson<AssistQuery>,
) -> Result<Json<AssistAnswer>, AppError> {
    assist::validate_query(&query)?;
    let db = state.db.clone();
    let answer = state
        .db
        .read(move |snapshot| {
            engine::assist::suggest(snapshot, db.catalog_cache(), user.id, &query)
        })
        .await?;
    Ok(Json(answer))
}

/// The alias table Assist expands words with (the defaults until an admin saves one).
#[utoipa::path(
    get,
    path = "/api/v1/admin/assist/aliases",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "The aliases in force", body = AssistAliases),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
    )
)]
pub async fn get_assist_aliases(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<AssistAliases>, AppError> {
    user.require_admin()?;
    let aliases = state.db.call(assist::aliases_in_force).await?;
    Ok(Json(AssistAliases { aliases }))
}

/// Replace the alias table: one entry per word, each meaning 1 to 10 words.
#[utoipa::path(
    put,
    path = "/api/v1/admin/assist/aliases",
    tag = "admin",
    security(("session_cookie" = []), ("api_token" = [])),
    request_body = AssistAliases,
    responses(
        (status = 200, description = "The aliases now in force", body = AssistAliases),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 422, description = "An empty, repeated or too long entry", body = ApiError),
    )
)]
pub async fn replace_assist_aliases(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(body): AppJson<AssistAliases>,
) -> Result<Json<AssistAliases>, AppError> {
    user.require_admin()?;
    let aliases = clean_aliases(body.aliases)?;
    let saved = aliases.clone();
    state
        .db
        .write(move |tx| store::assist::set_aliases(tx, &saved))
        .await?;
    Ok(Json(AssistAliases { aliases }))
}

const MAX_ALIASES: usize = 1000;
const MAX_MEANINGS: usize = 10;
const MAX_WORD_CHARS: usize = 64;

fn clean_aliases(aliases: Vec<Alias>) -> Result<Vec<Alias>, AppError> {
    if aliases.len() > MAX_ALIASES {
        return Err(AppError::invalid(
            "aliases",
            format!("At most {MAX_ALIASES} aliases."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut cleaned = Vec::with_capacity(aliases.len());
    for alias in aliases {
        let term = alias.term.trim().to_lowercase();
        let means: Vec<String> = alias
            .means
            .iter()
            .map(|m| m.trim().to_lowercase())
            .filter(|m| !m.is_empty())
            .collect();
        if term.is_empty()
            || term.chars().count() > MAX_WORD_CHARS
            || term.contains(char::is_whitespace)
        {
            return Err(AppError::invalid(
                "aliases",
                format!("'{term}' is not one word of 1 to {MAX_WORD_CHARS} characters."),
            ));
        }
        if means.is_empty()
            || means.len() > MAX_MEANINGS
            || means.iter().any(|m| m.chars().count() > MAX_WORD_CHARS)
        {
            return Err(AppError::invalid(
                "aliases",
                format!(
                    "'{term}' should mean 1 to {MAX_MEANINGS} words of at most {MAX_WORD_CHARS} characters."
                ),
            ));
        }
        if !seen.insert(term.clone()) {
            return Err(AppError::invalid(
                "aliases",
                format!("'{term}' appears twice."),
            ));
        }
        cleaned.push(Alias { term, means });
    }
    Ok(cleaned)
}
