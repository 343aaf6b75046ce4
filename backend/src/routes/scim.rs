//! SCIM 2.0 provisioning (`/scim/v2`): the identity provider creates,
//! updates, deactivates and deletes users and groups, behind the SCIM bearer
//! token an admin makes (`POST /api/v1/admin/scim-token`). Deactivating or
//! deleting a user ends their sessions and tokens, cancels what waits and
//! starts revoking their live access ([`crate::engine::deprovision`]).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::{
    auth,
    engine::deprovision,
    error::AppError,
    idp,
    scim::{self, ScimError},
    state::AppState,
    store::{self, Conn, scim::ScimGroup, scim::ScimUser},
};

/// A SCIM answer: `application/scim+json`, never cached.
pub struct ScimReply(StatusCode, Value, Option<String>);

impl IntoResponse for ScimReply {
    fn into_response(self) -> Response {
        let mut response = (self.0, self.1.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(location) = self.2.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, location);
        }
        response
    }
}

/// A SCIM failure: a SCIM error body, or an internal fault kept opaque.
pub struct ScimFailure(ScimError);

impl From<ScimError> for ScimFailure {
    fn from(error: ScimError) -> Self {
        Self(error)
    }
}

impl From<AppError> for ScimFailure {
    fn from(error: AppError) -> Self {
        Self(match error {
            AppError::NotFound(what) => ScimError::not_found(format!("{what} not found.")),
            AppError::Conflict(message) => ScimError {
                status: 409,
                scim_type: None,
                detail: message,
            },
            AppError::Invalid { message, .. } | AppError::BadRequest(message) => {
                ScimError::bad("invalidValue", message)
            }
            AppError::Unavailable(_) | AppError::Contended(_) | AppError::NotReady(_) => ScimError {
                status: 503,
                scim_type: None,
                detail: "The server cannot reach its database just now. Nothing was changed; try again.".into(),
            },
            other => {
                tracing::error!(error = %other, "SCIM request failed");
                ScimError {
                    status: 500,
                    scim_type: None,
                    detail: "Something went wrong on the server. The details are in its log.".into(),
                }
            }
        })
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = ScimReply(status, self.0.body(), None).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gatehouse-scim\""),
            );
        }
        response
    }
}

type Answer = Result<ScimReply, ScimFailure>;

/// The identity provider, proven by the SCIM bearer token.
pub struct ScimCaller;

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimFailure> {
        let unauthorized = |detail: &str| {
            ScimFailure(ScimError {
                status: 401,
                scim_type: None,
                detail: detail.into(),
            })
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                unauthorized("Send the SCIM token as `Authorization: Bearer <token>`.")
            })?;
        let presented = crate::hex::encode(&auth::secret_hash(token));
        let stored = state
            .db
            .call(|conn| store::notifications::setting(conn, idp::SCIM_TOKEN_KEY))
            .await?;
        match stored {
            Some(stored) if !stored.is_empty() && stored == presented => Ok(ScimCaller),
            Some(stored) if !stored.is_empty() => {
                tracing::info!("SCIM request refused: wrong token");
                Err(unauthorized("The SCIM token is wrong, or was rotated."))
            }
            _ => Err(unauthorized(
                "SCIM is off: an admin makes its token in Gatehouse (Admin → Sign-in).",
            )),
        }
    }
}

/// A SCIM query string; one that does not parse is a SCIM 400.
pub struct ScimQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ScimQuery<T> {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ScimFailure> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| ScimQuery(value))
            .map_err(|rejection| ScimFailure(ScimError::bad("invalidValue", rejection.body_text())))
    }
}

/// A SCIM body: JSON whatever its content type (`application/scim+json`).
pub struct ScimBody(Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = ScimFailure;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ScimFailure> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ScimFailure(ScimError {
                        status: 413,
                        scim_type: None,
                        detail: "The body is larger than the server accepts (1 MiB).".into(),
                    })
                } else {
                    ScimFailure(ScimError::bad("invalidSyntax", rejection.body_text()))
                }
            })?;
        serde_json::from_slice(&bytes).map(ScimBody).map_err(|e| {
            ScimFailure(ScimError::bad(
                "invalidSyntax",
                format!("The body is not JSON: {e}"),
            ))
        })
    }
}

fn base(state: &AppState) -> String {
    state.notify.link("/scim/v2")
}

fn ok(value: Value) -> Answer {
    Ok(ScimReply(StatusCode::OK, value, None))
}

fn timestamp(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn user_json(base: &str, user: &ScimUser) -> Value {
    let mut object = match &user.attributes {
        Some(Value::Object(attributes)) => attributes.clone(),
        // A local user SCIM has not written: what Gatehouse knows.
        _ => {
            let mut attributes = serde_json::Map::new();
            attributes.insert("displayName".into(), json!(user.display_name));
            if !user.email.is_empty() {
                attributes.insert(
                    "emails".into(),
                    json!([{"value": user.email, "primary": true}]),
                );
            }
            attributes
        }
    };
    let location = format!("{base}/Users/{}", user.id);
    object.insert("schemas".into(), json!([scim::USER_SCHEMA]));
    object.insert("id".into(), json!(user.id.to_string()));
    object.insert("userName".into(), json!(user.user_name));
    if let Some(external) = &user.external_id {
        object.insert("externalId".into(), json!(external));
    }
    // `active` as written; a local user, or one whose `active` was removed,
    // reads as what Gatehouse knows only when that is not the default.
    if user.attributes.is_none() || object.contains_key("active") || !user.active {
        object.insert("active".into(), json!(user.active));
    }
    if !user.groups.is_empty() {
        object.insert(
            "groups".into(),
            Value::Array(
                user.groups
                    .iter()
                    .map(|(id, name)| json!({"value": id.to_string(), "display": name, "$ref": format!("{base}/Groups/{id}")}))
                    .collect(),
            ),
        );
    }
    let created = timestamp(user.created_at);
    object.insert(
        "meta".into(),
        json!({"resourceType": "User", "created": created, "lastModified": created, "location": location}),
    );
    Value::Object(object)
}

fn group_json(base: &str, group: &ScimGroup) -> Value {
    let mut object = json!({
        "schemas": [scim::GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.name,
        "members": group.members.iter().map(|(id, _)| json!({
            "value": id.to_string(), "$ref": format!("{base}/Users/{id}")
        })).collect::<Vec<_>>(),
        "meta": {"resourceType": "Group", "location": format!("{base}/Groups/{}", group.id)},
    });
    if let Some(external) = &group.external_id {
        object["externalId"] = json!(external);
    }
    object
}

fn id_of(text: &str, what: &str) -> Result<i64, ScimFailure> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ScimFailure(ScimError::not_found(format!("{what} {text} not found."))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// `userName eq "…"` or `externalId eq "…"` (Users); `displayName eq "…"` or `externalId eq "…"` (Groups).
    #[serde(default)]
    pub filter: Option<String>,
    /// 1-based index of the first result.
    #[serde(default)]
    pub start_index: Option<i64>,
    /// Page size (at most 200).
    #[serde(default)]
    pub count: Option<i64>,
    /// Only these attributes (comma-separated).
    #[serde(default)]
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated).
    #[serde(default)]
    pub excluded_attributes: Option<String>,
}

impl ListQuery {
    fn shape(&self, resource: &mut Value) {
        scim::project(
            resource,
            &scim::attribute_list(self.attributes.as_deref()),
            &scim::attribute_list(self.excluded_attributes.as_deref()),
        );
    }
}

/// `attributes` / `excludedAttributes` on reading one resource.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ShapeQuery {
    /// Only these attributes (comma-separated).
    #[serde(default)]
    pub attributes: Option<String>,
    /// All but these attributes (comma-separated).
    #[serde(default)]
    pub excluded_attributes: Option<String>,
}

impl ShapeQuery {
    fn shape(&self, mut resource: Value) -> Value {
        scim::project(
            &mut resource,
            &scim::attribute_list(self.attributes.as_deref()),
            &scim::attribute_list(self.excluded_attributes.as_deref()),
        );
        resource
    }
}

impl ListQuery {
    fn page(&self) -> (usize, usize) {
        let start = usize::try_from(self.start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = usize::try_from(self.count.unwrap_or(100).clamp(0, scim::MAX_RESULTS as i64))
            .unwrap_or(0);
        (start, count)
    }
}

/// What this SCIM server supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim",
    security(("scim_token" = [])),
    responses((status = 200, description = "The service provider's configuration", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json")))]
pub async fn service_provider_config(State(state): State<AppState>, _caller: ScimCaller) -> Answer {
    ok(scim::service_provider_config(&base(&state)))
}

/// The resource types: User and Group.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim",
    security(("scim_token" = [])),
    responses((status = 200, description = "The resource types", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json")))]
pub async fn resource_types(State(state): State<AppState>, _caller: ScimCaller) -> Answer {
    let types = scim::resource_types(&base(&state));
    let total = types.len();
    ok(scim::list(types, total, 1))
}

/// One resource type.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{name}", tag = "scim",
    security(("scim_token" = [])), params(("name" = String, Path, description = "User or Group")),
    responses((status = 200, description = "The resource type", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such resource type", body = Object, content_type = "application/scim+json")))]
pub async fn resource_type(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(name): Path<String>,
) -> Answer {
    scim::resource_types(&base(&state))
        .into_iter()
        .find(|t| t["id"] == name.as_str())
        .map(ok)
        .unwrap_or_else(|| {
            Err(ScimError::not_found(format!("Resource type {name} not found.")).into())
        })
}

/// The schemas of User and Group, as this server keeps them.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim",
    security(("scim_token" = [])),
    responses((status = 200, description = "The schemas", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json")))]
pub async fn schemas(State(state): State<AppState>, _caller: ScimCaller) -> Answer {
    let schemas = scim::schemas(&base(&state));
    let total = schemas.len();
    ok(scim::list(schemas, total, 1))
}

/// One schema, by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{urn}", tag = "scim",
    security(("scim_token" = [])), params(("urn" = String, Path, description = "The schema's URN")),
    responses((status = 200, description = "The schema", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such schema", body = Object, content_type = "application/scim+json")))]
pub async fn schema(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(urn): Path<String>,
) -> Answer {
    scim::schemas(&base(&state))
        .into_iter()
        .find(|s| s["id"] == urn.as_str())
        .map(ok)
        .unwrap_or_else(|| Err(ScimError::not_found(format!("Schema {urn} not found.")).into()))
}

/// Users, a page at a time, optionally filtered.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim",
    security(("scim_token" = [])), params(ListQuery),
    responses((status = 200, description = "A ListResponse of Users", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "A filter this server does not support (invalidFilter)", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json")))]
pub async fn list_users(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimQuery(query): ScimQuery<ListQuery>,
) -> Answer {
    search_users(&state, query).await
}

/// Users, searched with a body (RFC 7644 §3.4.3).
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "scim",
    security(("scim_token" = [])), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse of Users", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a SearchRequest, or a filter this server does not support", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn search_users_with_body(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimBody(body): ScimBody,
) -> Answer {
    search_users(&state, search_request(&body)?).await
}

/// A SearchRequest body as the query a GET would carry.
fn search_request(body: &Value) -> Result<ListQuery, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A SearchRequest is a JSON object."))?;
    let list = |key: &str| -> Result<Option<String>, ScimError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::bad("invalidSyntax", format!("{key} lists attribute names."))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
            )),
            Some(_) => Err(ScimError::bad(
                "invalidSyntax",
                format!("{key} lists attribute names."),
            )),
        }
    };
    let number = |key: &str| -> Result<Option<i64>, ScimError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| ScimError::bad("invalidValue", format!("{key} is a number."))),
        }
    };
    Ok(ListQuery {
        filter: match object.get("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(f)) => Some(f.clone()),
            Some(_) => return Err(ScimError::bad("invalidFilter", "filter is a string.")),
        },
        start_index: number("startIndex")?,
        count: number("count")?,
        attributes: list("attributes")?,
        excluded_attributes: list("excludedAttributes")?,
    })
}

/// A page of one kind of resource (users or groups) as SCIM lists it.
type Page<R> = (usize, Vec<R>);
type Fetch<R> = fn(Conn<'_>, Option<(&str, &str)>, usize, usize) -> Result<Page<R>, AppError>;

async fn search<R: Send + 'static>(
    state: &AppState,
    query: ListQuery,
    filterable: &'static [&'static str],
    fetch: Fetch<R>,
    render: fn(&str, &R) -> Value,
) -> Answer {
    for (name, list) in [
        ("attributes", &query.attributes),
        ("excludedAttributes", &query.excluded_attributes),
    ] {
        if list
            .as_deref()
            .is_some_and(|l| l.chars().count() > scim::MAX_ATTRIBUTES_LENGTH)
        {
            return Err(ScimError::bad(
                "invalidValue",
                format!(
                    "{name} is at most {} characters.",
                    scim::MAX_ATTRIBUTES_LENGTH
                ),
            )
            .into());
        }
    }
    let filter = query
        .filter
        .as_deref()
        .map(|f| scim::parse_filter(f, filterable))
        .transpose()?;
    let (start, count) = query.page();
    let (total, found) = state
        .db
        .call(move |conn| {
            let filter = filter
                .as_ref()
                .map(|f| (f.attribute.as_str(), f.value.as_str()));
            fetch(conn, filter, start, count)
        })
        .await?;
    let base = base(state);
    let resources = found
        .iter()
        .map(|item| {
            let mut resource = render(&base, item);
            query.shape(&mut resource);
            resource
        })
        .collect();
    ok(scim::list(resources, total, start))
}

async fn search_users(state: &AppState, query: ListQuery) -> Answer {
    search(
        state,
        query,
        &["userName", "externalId"],
        store::scim::users,
        user_json,
    )
    .await
}

async fn search_groups(state: &AppState, query: ListQuery) -> Answer {
    search(
        state,
        query,
        &["displayName", "externalId"],
        store::scim::groups,
        group_json,
    )
    .await
}

/// Store a resource from its (patched) JSON: the resource, or why not.
type Write<R> = fn(Conn<'_>, i64, &Value, i64) -> Result<Result<R, ScimError>, AppError>;

/// Apply a PATCH to a resource's JSON and write what it becomes, in one
/// transaction: `load` reads it, `write` stores the patched JSON.
async fn patch<R: Send + 'static>(
    state: &AppState,
    id: i64,
    body: Value,
    load: fn(Conn<'_>, i64) -> Result<Option<R>, AppError>,
    render: fn(&str, &R) -> Value,
    write: Write<R>,
) -> Answer {
    let base = base(state);
    let now = state.now().unix_timestamp();
    let patch_base = base.clone();
    let patched = state
        .db
        .write(move |tx| {
            let Some(current) = load(tx, id)? else {
                return Ok(Err(ScimError::not_found(format!(
                    "Resource {id} not found."
                ))));
            };
            let mut resource = render(&patch_base, &current);
            if let Err(error) = scim::apply_patch(&mut resource, &body) {
                return Ok(Err(error));
            }
            write(tx, id, &resource, now)
        })
        .await??;
    ok(render(&base, &patched))
}

/// One user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The user's id"), ShapeQuery),
    responses((status = 200, description = "The User", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "A query that does not parse", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such user (or deleted)", body = Object, content_type = "application/scim+json")))]
pub async fn get_user(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimQuery(shape): ScimQuery<ShapeQuery>,
) -> Answer {
    let id = id_of(&id, "User")?;
    let user = state
        .db
        .call(move |conn| store::scim::user(conn, id))
        .await?;
    match user {
        Some(user) => ok(shape.shape(user_json(&base(&state), &user))),
        None => Err(ScimError::not_found(format!("User {id} not found.")).into()),
    }
}

/// Write a user's fields and apply what `active` says; returns the user.
fn write_user(
    tx: Conn<'_>,
    id: Option<i64>,
    fields: &scim::UserFields,
    now: i64,
) -> Result<Result<ScimUser, ScimError>, AppError> {
    if store::scim::user_name_taken(tx, &fields.user_name, id)? {
        return Ok(Err(ScimError::conflict(format!(
            "userName {} is taken.",
            fields.user_name
        ))));
    }
    let write = store::scim::UserWrite {
        user_name: &fields.user_name,
        external_id: fields.external_id.as_deref(),
        display_name: &fields.display_name,
        email: &fields.email,
        attributes: &fields.attributes,
    };
    let (id, was_active, action) = match id {
        Some(id) => {
            let Some(before) = store::scim::user(tx, id)? else {
                return Ok(Err(ScimError::not_found(format!("User {id} not found."))));
            };
            store::scim::update_user(tx, id, &write)?;
            (id, before.active, "scim.user.updated")
        }
        None => match store::scim::local_user_with_email(tx, &fields.email)? {
            Some(local) => {
                store::scim::update_user(tx, local, &write)?;
                let active = store::scim::user(tx, local)?.is_some_and(|u| u.active);
                (local, active, "scim.user.adopted")
            }
            None => {
                let username =
                    store::identity::free_username(tx, &idp::username_from(&fields.user_name))?;
                (
                    store::scim::create_user(tx, &username, &write, now)?,
                    true,
                    "scim.user.created",
                )
            }
        },
    };
    store::audit::record(
        tx,
        now,
        None,
        None,
        action,
        json!({"user_id": id, "userName": fields.user_name}),
    )?;
    if was_active && !fields.active {
        deprovision::deprovision_in(tx, id, false, now)?;
    } else if !was_active && fields.active {
        store::identity::reactivate(tx, id)?;
        store::audit::record(
            tx,
            now,
            None,
            None,
            "user_reactivated_by_provider",
            json!({"user_id": id}),
        )?;
    }
    store::scim::user(tx, id)?
        .map(Ok)
        .ok_or_else(|| AppError::internal(format!("user {id} vanished while written")))
}

async fn save_user(
    state: &AppState,
    id: Option<i64>,
    fields: scim::UserFields,
) -> Result<ScimUser, ScimFailure> {
    let now = state.now().unix_timestamp();
    let user = state
        .db
        .write(move |tx| write_user(tx, id, &fields, now))
        .await??;
    Ok(user)
}

/// Create a user (a local user with the same e-mail, never provisioned
/// before, is taken over rather than duplicated).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim",
    security(("scim_token" = [])), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, description = "The User made", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a valid User", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The userName is taken (uniqueness)", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimBody(body): ScimBody,
) -> Answer {
    let fields = scim::user_fields(&body)?;
    let user = save_user(&state, None, fields).await?;
    let base = base(&state);
    Ok(ScimReply(
        StatusCode::CREATED,
        user_json(&base, &user),
        Some(format!("{base}/Users/{}", user.id)),
    ))
}

/// Replace a user; `active: false` deprovisions them.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The User", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a valid User", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such user", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The userName is taken", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn replace_user(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Answer {
    let id = id_of(&id, "User")?;
    let fields = scim::user_fields(&body)?;
    let user = save_user(&state, Some(id), fields).await?;
    ok(user_json(&base(&state), &user))
}

/// Change a user with PATCH operations (as Okta and Entra ID send them).
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The User", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "An operation this server cannot apply (invalidPath, invalidValue, invalidSyntax, noTarget)", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such user", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The userName is taken", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn patch_user(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Answer {
    let id = id_of(&id, "User")?;
    patch(
        &state,
        id,
        body,
        store::scim::user,
        user_json,
        |tx, id, resource, now| match scim::user_fields(resource) {
            Ok(fields) => write_user(tx, Some(id), &fields, now),
            Err(error) => Ok(Err(error)),
        },
    )
    .await
}

/// Delete a user: they are deprovisioned and kept for the history of their
/// requests, but SCIM no longer finds them.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The user's id")),
    responses((status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such user", body = Object, content_type = "application/scim+json")))]
pub async fn delete_user(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimFailure> {
    let id = id_of(&id, "User")?;
    let now = state.now().unix_timestamp();
    let deleted = state
        .db
        .write(move |tx| {
            if store::scim::user(tx, id)?.is_none() {
                return Ok(false);
            }
            deprovision::deprovision_in(tx, id, true, now)?;
            Ok(true)
        })
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ScimError::not_found(format!("User {id} not found.")).into())
    }
}

/// Groups, a page at a time, optionally filtered.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "scim",
    security(("scim_token" = [])), params(ListQuery),
    responses((status = 200, description = "A ListResponse of Groups", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "A filter this server does not support (invalidFilter)", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json")))]
pub async fn list_groups(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimQuery(query): ScimQuery<ListQuery>,
) -> Answer {
    search_groups(&state, query).await
}

/// Groups, searched with a body (RFC 7644 §3.4.3).
#[utoipa::path(post, path = "/scim/v2/Groups/.search", tag = "scim",
    security(("scim_token" = [])), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse of Groups", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a SearchRequest, or a filter this server does not support", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn search_groups_with_body(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimBody(body): ScimBody,
) -> Answer {
    search_groups(&state, search_request(&body)?).await
}

/// One group with its members.
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The group's id"), ShapeQuery),
    responses((status = 200, description = "The Group", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "A query that does not parse", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = Object, content_type = "application/scim+json")))]
pub async fn get_group(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimQuery(shape): ScimQuery<ShapeQuery>,
) -> Answer {
    let id = id_of(&id, "Group")?;
    let group = state
        .db
        .call(move |conn| store::scim::group(conn, id))
        .await?;
    match group {
        Some(group) => ok(shape.shape(group_json(&base(&state), &group))),
        None => Err(ScimError::not_found(format!("Group {id} not found.")).into()),
    }
}

fn write_group(
    tx: Conn<'_>,
    id: Option<i64>,
    fields: &scim::GroupFields,
    now: i64,
) -> Result<Result<ScimGroup, ScimError>, AppError> {
    let existing = store::scim::existing_users(tx, &fields.members)?;
    if let Some(missing) = fields.members.iter().find(|m| !existing.contains(m)) {
        return Ok(Err(ScimError::bad(
            "invalidValue",
            format!("Member {missing} is not a user here."),
        )));
    }
    if let Some(id) = id
        && store::scim::group(tx, id)?.is_none()
    {
        return Ok(Err(ScimError::not_found(format!("Group {id} not found."))));
    }
    let saved = match store::admin::save_group(tx, id, &fields.display_name, &fields.members) {
        Ok(saved) => saved,
        Err(AppError::Conflict(message)) => return Ok(Err(ScimError::conflict(message))),
        Err(other) => return Err(other),
    };
    store::scim::mark_provider_group(tx, saved, fields.external_id.as_deref())?;
    store::audit::record(
        tx,
        now,
        None,
        None,
        if id.is_some() {
            "scim.group.updated"
        } else {
            "scim.group.created"
        },
        json!({"group_id": saved, "displayName": fields.display_name, "members": fields.members}),
    )?;
    store::scim::group(tx, saved)?
        .map(Ok)
        .ok_or_else(|| AppError::internal(format!("group {saved} vanished while written")))
}

async fn save_group(
    state: &AppState,
    id: Option<i64>,
    fields: scim::GroupFields,
) -> Result<ScimGroup, ScimFailure> {
    let now = state.now().unix_timestamp();
    Ok(state
        .db
        .write(move |tx| write_group(tx, id, &fields, now))
        .await??)
}

/// Create a group (access flows may name it as grantees or approvers).
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "scim",
    security(("scim_token" = [])), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, description = "The Group made", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a valid Group", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The displayName is taken", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn create_group(
    State(state): State<AppState>,
    _caller: ScimCaller,
    ScimBody(body): ScimBody,
) -> Answer {
    let fields = scim::group_fields(&body)?;
    let group = save_group(&state, None, fields).await?;
    let base = base(&state);
    Ok(ScimReply(
        StatusCode::CREATED,
        group_json(&base, &group),
        Some(format!("{base}/Groups/{}", group.id)),
    ))
}

/// Replace a group and its members.
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The Group", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "Not a valid Group", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The displayName is taken", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn replace_group(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Answer {
    let id = id_of(&id, "Group")?;
    let fields = scim::group_fields(&body)?;
    let group = save_group(&state, Some(id), fields).await?;
    ok(group_json(&base(&state), &group))
}

/// Change a group with PATCH operations (members added and removed).
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The Group", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "An operation this server cannot apply", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "The displayName is taken", body = Object, content_type = "application/scim+json"),
        (status = 413, description = "The body is too large", body = Object, content_type = "application/scim+json")))]
pub async fn patch_group(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
    ScimBody(body): ScimBody,
) -> Answer {
    let id = id_of(&id, "Group")?;
    patch(
        &state,
        id,
        body,
        store::scim::group,
        group_json,
        |tx, id, resource, now| match scim::group_fields(resource) {
            Ok(fields) => write_group(tx, Some(id), &fields, now),
            Err(error) => Ok(Err(error)),
        },
    )
    .await
}

/// Delete a group; refused (409) while access flows name it.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "scim",
    security(("scim_token" = [])), params(("id" = String, Path, description = "The group's id")),
    responses((status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = Object, content_type = "application/scim+json"),
        (status = 409, description = "Access flows name the group", body = Object, content_type = "application/scim+json")))]
pub async fn delete_group(
    State(state): State<AppState>,
    _caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ScimFailure> {
    let id = id_of(&id, "Group")?;
    let now = state.now().unix_timestamp();
    state
        .db
        .write(move |tx| {
            store::admin::delete_group(tx, id)?;
            store::audit::record(
                tx,
                now,
                None,
                None,
                "scim.group.deleted",
                json!({"group_id": id}),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Searching users and groups at once: not supported (501, as RFC 7644
/// §3.12 has it); `/Users/.search` and `/Groups/.search` are.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim",
    security(("scim_token" = [])), request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 401, description = "No or a wrong SCIM token", body = Object, content_type = "application/scim+json"),
        (status = 501, description = "Not supported: search /Users/.search or /Groups/.search", body = Object, content_type = "application/scim+json")))]
pub async fn search_everything(_caller: ScimCaller) -> ScimFailure {
    ScimFailure(ScimError {
        status: 501,
        scim_type: None,
        detail: "Searching several resource types at once is not supported: POST /Users/.search or /Groups/.search.".into(),
    })
}

/// Anything else under `/scim/v2`: a SCIM 404.
pub async fn not_found() -> ScimFailure {
    ScimFailure(ScimError::not_found("No such SCIM endpoint."))
}
