//! The SQL text of the PostgreSQL connector: the statements a grant runs,
//! quoting, connection-string values and the role's end.

use postgres::Client;

use super::{GrantItem, PERMISSIONS, describe};

/// The statements granting one item to `role`, run in the item's database.
pub(super) fn grants_for(
    client: &mut Client,
    item: &GrantItem,
    role: &str,
) -> Result<Vec<String>, String> {
    let (tables, schema_extra, database_extra) = match item.permission.as_str() {
        "read-only" => ("SELECT", "", ""),
        "read-write" => ("SELECT, INSERT, UPDATE, DELETE", "", ""),
        "admin" => ("ALL PRIVILEGES", ", CREATE", ", CREATE, TEMPORARY"),
        other => {
            return Err(format!(
                "permission {other:?} is not one of {PERMISSIONS:?}"
            ));
        }
    };
    let sequences = if item.permission == "read-only" {
        "SELECT"
    } else {
        "USAGE, SELECT, UPDATE"
    };
    let role = ident(role);
    let parts: Vec<&str> = item.resource_path.split('/').collect();
    let schema_grants = |schema: &str| {
        let schema = ident(schema);
        vec![
            format!("GRANT USAGE{schema_extra} ON SCHEMA {schema} TO {role}"),
            format!("GRANT {tables} ON ALL TABLES IN SCHEMA {schema} TO {role}"),
            format!("GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
        ]
    };
    match parts.as_slice() {
        [database] => {
            let mut sql = vec![format!(
                "GRANT CONNECT{database_extra} ON DATABASE {} TO {role}",
                ident(database)
            )];
            let schemas = client
                .query(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
                    &[],
                )
                .map_err(|e| describe(&e))?;
            for row in schemas {
                let schema: String = row.get(0);
                sql.extend(schema_grants(&schema));
            }
            Ok(sql)
        }
        [_, schema] => {
            let exists = client
                .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[schema])
                .map_err(|e| describe(&e))?
                .is_some();
            if !exists {
                return Err(format!("schema {:?} does not exist", item.resource_path));
            }
            Ok(schema_grants(schema))
        }
        [_, schema, table] => Ok(vec![
            format!("GRANT USAGE ON SCHEMA {} TO {role}", ident(schema)),
            format!(
                "GRANT {tables} ON TABLE {}.{} TO {role}",
                ident(schema),
                ident(table)
            ),
        ]),
        _ => Err(format!(
            "resource path {:?} is not database, database/schema or database/schema/table",
            item.resource_path
        )),
    }
}

pub(super) fn database_of(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// A SCRAM-SHA-256 verifier for `password`: the server stores it as is, and
/// the clear password never travels to it (nor into its statement log).
pub(super) fn verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

/// A libpq connection-string value: quoted (with `\` and `'` escaped) unless plain.
pub(super) fn conninfo(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// A quoted SQL identifier.
pub(super) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A quoted SQL string literal (standard_conforming_strings is on by default
/// since 9.1; the E'' form is never used).
pub(super) fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The end of the access as PostgreSQL reads it. Never `infinity`: a time
/// that cannot be written is an error, not a role without an end.
pub(super) fn until(unix: i64) -> Result<String, String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .ok_or_else(|| format!("the access's end ({unix}) is not a valid time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_cannot_be_bent() {
        assert_eq!(conninfo("shop"), "shop");
        assert_eq!(conninfo("a b' host=evil"), "'a b\\' host=evil'");
        assert!(verifier("pw").starts_with("SCRAM-SHA-256$"));
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn expiry_is_an_rfc3339_timestamp() {
        assert_eq!(until(0).unwrap(), "1970-01-01T00:00:00Z");
        assert!(until(i64::MAX).is_err());
    }
}
