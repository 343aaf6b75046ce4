//! SCIM 2.0 (RFC 7643, 7644) as identity providers speak it: the resources'
//! JSON, what Gatehouse takes from it, filters, and PATCH applied to a
//! resource's JSON — pure functions, so the shapes Okta and Entra ID send
//! are tested without a server.

use serde_json::{Map, Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Largest page a list answers.
pub const MAX_RESULTS: usize = 200;
/// Longest filter (`userName eq "…"`) a list or search takes, in characters.
pub const MAX_FILTER_LENGTH: usize = 1_000;
/// Longest `attributes` or `excludedAttributes` list a list or search
/// takes, in characters.
pub const MAX_ATTRIBUTES_LENGTH: usize = 1_000;
/// Most operations one PATCH may carry.
pub const MAX_PATCH_OPERATIONS: usize = 1_000;
/// Most members a group may have (as the admin API allows).
pub const MAX_GROUP_MEMBERS: usize = gatehouse_shared::limits::MAX_GROUP_MEMBERS;
/// Largest `name`, `displayName`, `emails` and `active` of one user kept,
/// as JSON text, in bytes (a user as Okta or Entra ID sends one is well
/// under 2 KiB; SCIM lists answer up to 200 of them at once).
pub const MAX_USER_ATTRIBUTES_BYTES: usize = 16 * 1024;

/// A SCIM error: HTTP status, `scimType` (RFC 7644 §3.12) and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self {
            status: 404,
            scim_type: None,
            detail: detail.into(),
        }
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self {
            status: 409,
            scim_type: Some("uniqueness"),
            detail: detail.into(),
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(kind) = self.scim_type {
            body["scimType"] = json!(kind);
        }
        body
    }
}

/// What Gatehouse keeps of a SCIM User.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub display_name: String,
    pub email: String,
    /// `name`, `displayName`, `emails` as sent, to read back as written.
    pub attributes: Value,
}

/// What Gatehouse keeps of a SCIM Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    /// User ids (SCIM ids are Gatehouse's ids as text).
    pub members: Vec<i64>,
}

/// The value of `key` in an object, whatever its case (attribute names are
/// case-insensitive in SCIM).
fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    get(object, key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A SCIM boolean; Entra ID sends "True"/"False" as strings.
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Read a User from its JSON (POST, PUT, or after a PATCH).
pub fn user_fields(resource: &Value) -> Result<UserFields, ScimError> {
    let object = resource
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A User is a JSON object."))?;
    let user_name = text(object, "userName")
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required."))?;
    if user_name.chars().count() > 254 {
        return Err(ScimError::bad(
            "invalidValue",
            "userName is at most 254 characters.",
        ));
    }
    let active = match get(object, "active") {
        None | Some(Value::Null) => true,
        Some(value) => boolean(value)
            .ok_or_else(|| ScimError::bad("invalidValue", "active is true or false."))?,
    };
    let mut attributes = Map::new();
    for key in ["name", "displayName", "emails"] {
        if let Some(value) = get(object, key).filter(|v| !v.is_null()) {
            attributes.insert(key.to_owned(), value.clone());
        }
    }
    // Whether `active` was given at all: a user it was removed from reads
    // back without it (and is active).
    if get(object, "active").is_some_and(|v| !v.is_null()) {
        attributes.insert("active".into(), Value::Bool(active));
    }
    if Value::Object(attributes.clone()).to_string().len() > MAX_USER_ATTRIBUTES_BYTES {
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "name, displayName and emails are at most {} KiB together.",
                MAX_USER_ATTRIBUTES_BYTES / 1024
            ),
        ));
    }
    if let Some(name) = attributes.get("name")
        && !name.is_object()
    {
        return Err(ScimError::bad("invalidValue", "name is an object."));
    }
    if let Some(emails) = attributes.get("emails")
        && !emails.is_array()
    {
        return Err(ScimError::bad("invalidValue", "emails is a list."));
    }
    let name = attributes.get("name").and_then(Value::as_object);
    let display_name = text(object, "displayName")
        .or_else(|| name.and_then(|n| text(n, "formatted")))
        .or_else(|| {
            let given = name.and_then(|n| text(n, "givenName"));
            let family = name.and_then(|n| text(n, "familyName"));
            match (given, family) {
                (Some(g), Some(f)) => Some(format!("{g} {f}")),
                (Some(one), None) | (None, Some(one)) => Some(one),
                _ => None,
            }
        })
        .unwrap_or_else(|| user_name.clone());
    let emails: Vec<&Map<String, Value>> = attributes
        .get("emails")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| get(e, "primary").and_then(boolean) == Some(true))
        .or_else(|| emails.first())
        .and_then(|e| text(e, "value"))
        .or_else(|| user_name.contains('@').then(|| user_name.clone()))
        .unwrap_or_default();
    Ok(UserFields {
        external_id: text(object, "externalId"),
        user_name,
        active,
        display_name: display_name.chars().take(100).collect(),
        email: email.chars().take(254).collect(),
        attributes: Value::Object(attributes),
    })
}

/// Read a Group from its JSON.
pub fn group_fields(resource: &Value) -> Result<GroupFields, ScimError> {
    let object = resource
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A Group is a JSON object."))?;
    let display_name = text(object, "displayName")
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required."))?;
    if display_name.chars().count() > 100 {
        return Err(ScimError::bad(
            "invalidValue",
            "displayName is at most 100 characters.",
        ));
    }
    let mut members = Vec::new();
    if let Some(list) = get(object, "members").filter(|v| !v.is_null()) {
        let list = list
            .as_array()
            .ok_or_else(|| ScimError::bad("invalidValue", "members is a list."))?;
        let mut seen = std::collections::HashSet::new();
        for member in list {
            let id = member
                .as_object()
                .and_then(|m| text(m, "value"))
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| {
                    ScimError::bad("invalidValue", "Each member has the value of a User's id.")
                })?;
            if seen.insert(id) {
                members.push(id);
            }
        }
    }
    if members.len() > MAX_GROUP_MEMBERS {
        return Err(ScimError::bad(
            "invalidValue",
            format!("A group has at most {MAX_GROUP_MEMBERS} members."),
        ));
    }
    Ok(GroupFields {
        display_name,
        external_id: text(object, "externalId"),
        members,
    })
}

/// A filter this server answers: `attribute eq "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub attribute: String,
    pub value: String,
}

/// Parse `attr eq "value"` (the filters identity providers send to find a
/// user or group before creating it); anything else is refused.
pub fn parse_filter(filter: &str, allowed: &[&str]) -> Result<Filter, ScimError> {
    let refuse = || {
        ScimError::bad(
            "invalidFilter",
            format!(
                "Only `{} eq \"…\"` filters are supported.",
                allowed.join(" eq \"…\"` or `")
            ),
        )
    };
    if filter.chars().count() > MAX_FILTER_LENGTH {
        return Err(ScimError::bad(
            "invalidFilter",
            format!("A filter is at most {MAX_FILTER_LENGTH} characters."),
        ));
    }
    let filter = filter.trim();
    let (attribute, rest) = filter.split_once(char::is_whitespace).ok_or_else(refuse)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace).ok_or_else(refuse)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(refuse());
    }
    let attribute = attribute
        .rsplit_once(':')
        .map_or(attribute, |(_, last)| last);
    let canonical = allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(attribute))
        .ok_or_else(refuse)?;
    let value: String = serde_json::from_str(value.trim()).map_err(|_| refuse())?;
    Ok(Filter {
        attribute: (*canonical).to_owned(),
        value,
    })
}

/// One step of a PATCH path: `attr`, `attr.sub`, `attr[sub eq "v"]`,
/// `attr[sub eq "v"].sub2`, with the core schema's URN allowed in front.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Path {
    attribute: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn parse_path(path: &str) -> Result<Path, ScimError> {
    let invalid = || {
        ScimError::bad(
            "invalidPath",
            format!("The path {path:?} is not one this server understands."),
        )
    };
    let mut path = path.trim();
    for urn in [USER_SCHEMA, GROUP_SCHEMA] {
        if path.len() > urn.len() && path[..urn.len()].eq_ignore_ascii_case(urn) {
            path = path[urn.len()..].trim_start_matches(':');
        }
    }
    let (head, filter, tail) = match path.find('[') {
        Some(open) => {
            let close = path.rfind(']').ok_or_else(invalid)?;
            if close < open {
                return Err(invalid());
            }
            let inner = &path[open + 1..close];
            let filter = parse_filter(inner, &["value", "type", "display", "primary"])
                .map_err(|_| invalid())?;
            (&path[..open], Some(filter), &path[close + 1..])
        }
        None => (path, None, ""),
    };
    let (attribute, sub) = if filter.is_some() {
        let sub = tail.strip_prefix('.').filter(|s| !s.is_empty());
        if !tail.is_empty() && sub.is_none() {
            return Err(invalid());
        }
        (head, sub)
    } else {
        match head.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (head, None),
        }
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '$' || c == '_')
    };
    if !valid(attribute) || sub.is_some_and(|s| !valid(s)) {
        return Err(invalid());
    }
    Ok(Path {
        attribute: attribute.to_owned(),
        filter,
        sub: sub.map(str::to_owned),
    })
}

/// The key under which `name` is stored in `object` (its existing case), or `name`.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn matches(element: &Value, filter: &Filter) -> bool {
    element
        .as_object()
        .and_then(|e| get(e, &filter.attribute))
        .is_some_and(|v| match v {
            Value::String(s) => s.eq_ignore_ascii_case(&filter.value),
            Value::Bool(b) => b.to_string() == filter.value.to_ascii_lowercase(),
            Value::Number(n) => n.to_string() == filter.value,
            _ => false,
        })
}

/// Apply a PatchOp request body (RFC 7644 §3.5.2) to a resource's JSON.
/// Read-only attributes (`id`, `meta`, `schemas`, `groups`) stay.
pub fn apply_patch(resource: &mut Value, body: &Value) -> Result<(), ScimError> {
    let operations = body
        .as_object()
        .and_then(|b| get(b, "Operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A PATCH body has a list of Operations."))?;
    if operations.len() > MAX_PATCH_OPERATIONS {
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "A PATCH has at most {MAX_PATCH_OPERATIONS} Operations; {} were sent.",
                operations.len()
            ),
        ));
    }
    let object = resource
        .as_object_mut()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "The resource is not an object."))?;
    for operation in operations {
        let operation = operation
            .as_object()
            .ok_or_else(|| ScimError::bad("invalidSyntax", "Each operation is an object."))?;
        let op = text(operation, "op")
            .ok_or_else(|| ScimError::bad("invalidSyntax", "Each operation has an op."))?
            .to_ascii_lowercase();
        let value = get(operation, "value").cloned();
        let path = text(operation, "path");
        match (op.as_str(), path) {
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "Without a path, the value is an object of attributes.",
                    ));
                };
                for (name, value) in values {
                    // A key may itself be a path (Entra sends "name.givenName").
                    let path = parse_path(&name)?;
                    set(object, &path, value, op == "add")?;
                }
            }
            ("add" | "replace", Some(path)) => {
                let path = parse_path(&path)?;
                let value = value.ok_or_else(|| {
                    ScimError::bad("invalidValue", "add and replace need a value.")
                })?;
                set(object, &path, value, op == "add")?;
            }
            ("remove", Some(path)) => {
                let path = parse_path(&path)?;
                remove(object, &path, value.as_ref())?;
            }
            ("remove", None) => {
                return Err(ScimError::bad("noTarget", "remove needs a path."));
            }
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!("Unknown op {op:?}: add, replace or remove."),
                ));
            }
        }
    }
    Ok(())
}

fn read_only(attribute: &str) -> bool {
    ["id", "meta", "schemas", "groups"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attribute))
}

fn set(
    object: &mut Map<String, Value>,
    path: &Path,
    value: Value,
    add: bool,
) -> Result<(), ScimError> {
    if read_only(&path.attribute) {
        return Ok(());
    }
    let key = key_of(object, &path.attribute);
    match (&path.filter, &path.sub) {
        (None, None) => {
            // `add` to a list appends (members, emails), skipping equal elements.
            if add
                && let (Some(Value::Array(existing)), Value::Array(new)) =
                    (object.get_mut(&key), &value)
            {
                // An element and an item are the same when they have the same
                // `value` (members, emails), or are equal: found by `value`
                // through an index, so adding to a large group stays linear.
                let mut by_value: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                for (position, element) in existing.iter().enumerate() {
                    if let Some(value) = element.get("value") {
                        by_value.entry(value.to_string()).or_insert(position);
                    }
                }
                for item in new {
                    let position = match item.get("value") {
                        Some(value) => by_value.get(&value.to_string()).copied(),
                        None => existing.iter().position(|e| e == item),
                    };
                    if let Some(position) = position {
                        existing[position] = item.clone();
                    } else {
                        if let Some(value) = item.get("value") {
                            by_value.insert(value.to_string(), existing.len());
                        }
                        existing.push(item.clone());
                    }
                }
                return Ok(());
            }
            object.insert(key, value);
        }
        (None, Some(sub)) => {
            let target = object.entry(key).or_insert_with(|| json!({}));
            let target = target.as_object_mut().ok_or_else(|| {
                ScimError::bad(
                    "invalidPath",
                    format!("{} has no sub-attributes.", path.attribute),
                )
            })?;
            let sub_key = key_of(target, sub);
            target.insert(sub_key, value);
        }
        (Some(filter), sub) => {
            let list = object.entry(key).or_insert_with(|| json!([]));
            let list = list.as_array_mut().ok_or_else(|| {
                ScimError::bad("invalidPath", format!("{} is not a list.", path.attribute))
            })?;
            let mut found = false;
            for element in list.iter_mut().filter(|e| matches(e, filter)) {
                found = true;
                match (sub, element.as_object_mut()) {
                    (Some(sub), Some(element)) => {
                        let sub_key = key_of(element, sub);
                        element.insert(sub_key, value.clone());
                    }
                    (None, Some(element)) => {
                        if let Value::Object(values) = &value {
                            for (k, v) in values {
                                let k2 = key_of(element, k);
                                element.insert(k2, v.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !found {
                // `emails[type eq "work"].value` on a user without one: make it.
                let mut element = Map::new();
                element.insert(
                    filter.attribute.clone(),
                    Value::String(filter.value.clone()),
                );
                match (sub, value) {
                    (Some(sub), value) => {
                        element.insert(sub.clone(), value);
                    }
                    (None, Value::Object(values)) => element.extend(values),
                    (None, _) => {
                        return Err(ScimError::bad(
                            "invalidValue",
                            "A filtered path without a sub-attribute takes an object.",
                        ));
                    }
                }
                list.push(Value::Object(element));
            }
        }
    }
    Ok(())
}

fn remove(
    object: &mut Map<String, Value>,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if read_only(&path.attribute) {
        return Ok(());
    }
    let key = key_of(object, &path.attribute);
    match (&path.filter, &path.sub) {
        (None, None) => {
            // Entra removes members as `path: members` with the members as value.
            if let (Some(Value::Array(existing)), Some(Value::Array(gone))) =
                (object.get_mut(&key), value)
            {
                // As `value` text: a gone item whose value is not text
                // takes every element whose value is not text either.
                let gone_values: std::collections::HashSet<&str> = gone
                    .iter()
                    .filter_map(|g| g.get("value").and_then(Value::as_str))
                    .collect();
                let gone_other = gone
                    .iter()
                    .any(|g| g.get("value").is_some_and(|v| !v.is_string()));
                existing.retain(|e| match e.get("value").and_then(Value::as_str) {
                    Some(value) => !gone_values.contains(value),
                    None => !gone_other,
                });
            } else {
                object.remove(&key);
            }
        }
        (None, Some(sub)) => {
            if let Some(Value::Object(target)) = object.get_mut(&key) {
                let sub_key = key_of(target, sub);
                target.remove(&sub_key);
            }
        }
        (Some(filter), None) => {
            if let Some(Value::Array(list)) = object.get_mut(&key) {
                list.retain(|e| !matches(e, filter));
            }
        }
        (Some(filter), Some(sub)) => {
            if let Some(Value::Array(list)) = object.get_mut(&key) {
                for element in list.iter_mut().filter(|e| matches(e, filter)) {
                    if let Some(element) = element.as_object_mut() {
                        let sub_key = key_of(element, sub);
                        element.remove(&sub_key);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Keep only `attributes`, or drop `excludedAttributes` (RFC 7644
/// §3.4.2.5), comma-separated, with sub-attributes as `name.givenName`;
/// `id` and `schemas` are always returned.
pub fn project(resource: &mut Value, attributes: &[String], excluded: &[String]) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    let split = |name: &String| -> (String, Option<String>) {
        let name = name
            .trim()
            .rsplit_once(':')
            .map_or(name.trim(), |(_, last)| last)
            .to_owned();
        match name.split_once('.') {
            Some((a, s)) => (a.to_owned(), Some(s.to_owned())),
            None => (name, None),
        }
    };
    let always = |key: &str| key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("schemas");
    let wanted: Vec<(String, Option<String>)> = attributes
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(split)
        .collect();
    if !wanted.is_empty() {
        object.retain(|key, value| {
            if always(key) {
                return true;
            }
            let subs: Vec<&Option<String>> = wanted
                .iter()
                .filter(|(a, _)| a.eq_ignore_ascii_case(key))
                .map(|(_, s)| s)
                .collect();
            if subs.is_empty() {
                return false;
            }
            if subs.iter().all(|s| s.is_some())
                && let Some(inner) = value.as_object_mut()
            {
                inner.retain(|k, _| {
                    subs.iter()
                        .any(|s| s.as_ref().is_some_and(|s| s.eq_ignore_ascii_case(k)))
                });
            }
            true
        });
    }
    for (attribute, sub) in excluded.iter().filter(|a| !a.trim().is_empty()).map(split) {
        if always(&attribute) {
            continue;
        }
        let key = key_of(object, &attribute);
        match sub {
            None => {
                object.remove(&key);
            }
            Some(sub) => {
                if let Some(Value::Object(inner)) = object.get_mut(&key) {
                    let sub_key = key_of(inner, &sub);
                    inner.remove(&sub_key);
                }
            }
        }
    }
}

/// A comma-separated attribute list, as the query carries it.
pub fn attribute_list(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// What `/ServiceProviderConfig` answers.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/gatehouse/gatehouse#sign-in-with-your-identity-provider",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The SCIM token an admin makes in Gatehouse (Admin → Sign-in).",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")}
    })
}

fn attribute(name: &str, kind: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name, "type": kind, "multiValued": false, "required": false,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
    });
    if let (Some(a), Value::Object(extra)) = (a.as_object_mut(), extra) {
        a.extend(extra);
    }
    a
}

/// The User and Group schemas: only what this server keeps and gives back.
pub fn schemas(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A person who may request access",
        "attributes": [
            attribute("userName", "string", json!({"required": true, "uniqueness": "server"})),
            attribute("name", "complex", json!({"subAttributes": [
                attribute("formatted", "string", json!({})),
                attribute("familyName", "string", json!({})),
                attribute("givenName", "string", json!({})),
            ]})),
            attribute("displayName", "string", json!({})),
            attribute("emails", "complex", json!({"multiValued": true, "subAttributes": [
                attribute("value", "string", json!({})),
                attribute("type", "string", json!({"canonicalValues": ["work", "home", "other"]})),
                attribute("primary", "boolean", json!({})),
            ]})),
            attribute("active", "boolean", json!({})),
            attribute("groups", "complex", json!({"multiValued": true, "mutability": "readOnly", "subAttributes": [
                attribute("value", "string", json!({"mutability": "readOnly"})),
                attribute("$ref", "reference", json!({"mutability": "readOnly", "referenceTypes": ["Group"]})),
                attribute("display", "string", json!({"mutability": "readOnly"})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")}
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A group: access flows name groups as grantees and approvers",
        "attributes": [
            attribute("displayName", "string", json!({"required": true, "uniqueness": "server"})),
            attribute("members", "complex", json!({"multiValued": true, "subAttributes": [
                attribute("value", "string", json!({"mutability": "immutable"})),
                attribute("$ref", "reference", json!({"mutability": "immutable", "referenceTypes": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")}
    });
    vec![user, group]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")}
        }),
    ]
}

pub fn list(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Value {
        json!({"schemas": [USER_SCHEMA], "id": "7", "userName": "dana@example.com", "active": true,
               "name": {"givenName": "Dana", "familyName": "Scully"},
               "emails": [{"value": "dana@example.com", "type": "work", "primary": true}]})
    }

    #[test]
    fn a_user_is_read_from_what_okta_sends() {
        let fields = user_fields(&user()).unwrap();
        assert_eq!(fields.user_name, "dana@example.com");
        assert_eq!(fields.display_name, "Dana Scully");
        assert_eq!(fields.email, "dana@example.com");
        assert!(fields.active);
        assert!(
            user_fields(&json!({"active": true})).is_err(),
            "userName is required"
        );
        assert!(user_fields(&json!({"userName": "x", "active": "maybe"})).is_err());
    }

    #[test]
    fn okta_deactivates_with_a_pathless_replace() {
        let mut resource = user();
        apply_patch(
            &mut resource,
            &json!({"schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"active": false}}]}),
        )
        .unwrap();
        assert!(!user_fields(&resource).unwrap().active);
    }

    #[test]
    fn entra_deactivates_with_a_capitalised_op_and_a_string_boolean() {
        let mut resource = user();
        apply_patch(&mut resource, &json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "dana.s@example.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Danielle"},
        ]})).unwrap();
        let fields = user_fields(&resource).unwrap();
        assert!(!fields.active);
        assert_eq!(fields.email, "dana.s@example.com");
        assert_eq!(fields.display_name, "Danielle Scully");
    }

    #[test]
    fn group_members_are_added_and_removed_as_okta_and_entra_send_them() {
        let mut group = json!({"displayName": "dba", "members": [{"value": "1"}]});
        apply_patch(&mut group, &json!({"Operations": [
            {"op": "add", "path": "members", "value": [{"value": "2", "display": "bob"}, {"value": "1"}]}]})).unwrap();
        assert_eq!(group_fields(&group).unwrap().members, [1, 2]);
        // Okta: a filtered path.
        apply_patch(
            &mut group,
            &json!({"Operations": [{"op": "remove", "path": "members[value eq \"1\"]"}]}),
        )
        .unwrap();
        assert_eq!(group_fields(&group).unwrap().members, [2]);
        // Entra: the path and the members as value.
        apply_patch(
            &mut group,
            &json!({"Operations": [
            {"op": "Add", "path": "members", "value": [{"value": "3"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "2"}]}]}),
        )
        .unwrap();
        assert_eq!(group_fields(&group).unwrap().members, [3]);
        // Okta renames with a pathless replace.
        apply_patch(&mut group, &json!({"Operations": [{"op": "replace", "value": {"id": "9", "displayName": "dbas"}}]})).unwrap();
        assert_eq!(group_fields(&group).unwrap().display_name, "dbas");
    }

    #[test]
    fn many_members_are_added_and_removed_once_each_in_place() {
        let mut group = json!({"displayName": "big", "members": []});
        let many: Vec<Value> = (0..20_000)
            .map(|i| json!({"value": i.to_string()}))
            .collect();
        apply_patch(
            &mut group,
            &json!({"Operations": [
                {"op": "add", "path": "members", "value": many},
                // Again, one with more to it, one new twice, one without a value twice.
                {"op": "add", "path": "members", "value": [
                    {"value": "5", "display": "five"}, {"value": "20000"}, {"value": "20000"},
                    {"type": "work"}, {"type": "work"}]},
            ]}),
        )
        .unwrap();
        let members = group["members"].as_array().unwrap();
        assert_eq!(members.len(), 20_002);
        assert_eq!(
            members[5],
            json!({"value": "5", "display": "five"}),
            "replaced where it was"
        );
        assert_eq!(members[20_000], json!({"value": "20000"}));
        assert_eq!(members[20_001], json!({"type": "work"}));
        let gone: Vec<Value> = (0..10_000)
            .map(|i| json!({"value": i.to_string()}))
            .collect();
        apply_patch(
            &mut group,
            &json!({"Operations": [{"op": "remove", "path": "members", "value": gone}]}),
        )
        .unwrap();
        let members = group["members"].as_array().unwrap();
        assert_eq!(members.len(), 10_002, "the one without a value stays");
        assert_eq!(members[0]["value"], "10000");
        // A gone item whose value is not text takes those without text values.
        apply_patch(
            &mut group,
            &json!({"Operations": [{"op": "remove", "path": "members", "value": [{"value": 1}]}]}),
        )
        .unwrap();
        assert_eq!(group["members"].as_array().unwrap().len(), 10_001);
    }

    #[test]
    fn a_patch_of_too_many_operations_or_a_too_long_filter_is_refused() {
        let mut resource = user();
        let operations: Vec<Value> = (0..=MAX_PATCH_OPERATIONS)
            .map(|_| json!({"op": "replace", "path": "active", "value": false}))
            .collect();
        let error = apply_patch(&mut resource, &json!({"Operations": operations})).unwrap_err();
        assert_eq!(error.scim_type, Some("invalidValue"));
        assert_eq!(resource, user(), "nothing applied");
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LENGTH));
        let error = parse_filter(&long, &["userName"]).unwrap_err();
        assert_eq!(error.scim_type, Some("invalidFilter"));
    }

    #[test]
    fn bad_patches_are_refused_with_the_right_scim_type() {
        let mut resource = user();
        let error = apply_patch(
            &mut resource,
            &json!({"Operations": [{"op": "move", "path": "active"}]}),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some("invalidSyntax"));
        let error = apply_patch(
            &mut resource,
            &json!({"Operations": [{"op": "add", "path": "emails[type eq]", "value": 1}]}),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some("invalidPath"));
        let error =
            apply_patch(&mut resource, &json!({"Operations": [{"op": "remove"}]})).unwrap_err();
        assert_eq!(error.scim_type, Some("noTarget"));
        assert!(apply_patch(&mut resource, &json!({"nope": []})).is_err());
        // id and meta cannot be changed.
        apply_patch(
            &mut resource,
            &json!({"Operations": [{"op": "replace", "path": "id", "value": "99"}]}),
        )
        .unwrap();
        assert_eq!(resource["id"], "7");
    }

    #[test]
    fn attributes_and_excluded_attributes_shape_what_is_returned() {
        let mut only = user();
        project(
            &mut only,
            &attribute_list(Some("userName, name.givenName")),
            &[],
        );
        assert_eq!(
            only,
            json!({"schemas": [USER_SCHEMA], "id": "7", "userName": "dana@example.com", "name": {"givenName": "Dana"}})
        );
        let mut without = user();
        project(
            &mut without,
            &[],
            &attribute_list(Some("emails,name.familyName,id")),
        );
        assert!(without.get("emails").is_none());
        assert_eq!(without["name"], json!({"givenName": "Dana"}));
        assert_eq!(without["id"], "7", "id is always returned");
    }

    #[test]
    fn filters_are_attribute_eq_value() {
        let filter = parse_filter(
            "userName eq \"dana@example.com\"",
            &["userName", "externalId"],
        )
        .unwrap();
        assert_eq!(filter.attribute, "userName");
        assert_eq!(filter.value, "dana@example.com");
        let filter = parse_filter(
            "urn:ietf:params:scim:schemas:core:2.0:User:username EQ \"x\"",
            &["userName"],
        )
        .unwrap();
        assert_eq!(filter.attribute, "userName");
        for bad in [
            "userName co \"d\"",
            "title eq \"x\"",
            "userName eq dana",
            "userName",
        ] {
            assert_eq!(
                parse_filter(bad, &["userName"]).unwrap_err().scim_type,
                Some("invalidFilter"),
                "{bad}"
            );
        }
    }
}
