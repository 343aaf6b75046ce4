//! The SQL text of the MySQL connector: the `GRANT` for an item, quoting,
//! the stored password hash, and the CA file and shell words of what is
//! handed out.

use std::path::PathBuf;

use mysql::{Conn, prelude::Queryable};
use sha1::{Digest, Sha1};

use super::{PERMISSIONS, SYSTEM, describe};
use crate::connector::GrantItem;

/// The `GRANT` for one item, after checking that its database or table exists.
pub(super) fn grant_statement(
    conn: &mut Conn,
    item: &GrantItem,
    account: &str,
) -> Result<String, String> {
    let privileges = match item.permission.as_str() {
        "read-only" => "SELECT, SHOW VIEW",
        "read-write" => "SELECT, SHOW VIEW, INSERT, UPDATE, DELETE",
        "admin" => "ALL PRIVILEGES",
        other => {
            return Err(format!(
                "permission {other:?} is not one of {PERMISSIONS:?}"
            ));
        }
    };
    let parts: Vec<&str> = item.resource_path.split('/').collect();
    let (database, table) = match parts.as_slice() {
        [database] => (*database, None),
        [database, table] => (*database, Some(*table)),
        _ => {
            return Err(format!(
                "resource path {:?} is not database or database/table",
                item.resource_path
            ));
        }
    };
    if SYSTEM.contains(&database.to_ascii_lowercase().as_str()) {
        return Err(format!("database {database:?} belongs to the server"));
    }
    let exists = match table {
        None => conn.exec_first::<u8, _, _>(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            (database,),
        ),
        Some(table) => conn.exec_first::<u8, _, _>(
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (database, table),
        ),
    }
    .map_err(|e| describe(&e))?
    .is_some();
    if !exists {
        return Err(match table {
            None => format!("database {database:?} does not exist"),
            Some(_) => format!("table {:?} does not exist", item.resource_path),
        });
    }
    let object = match table {
        None => format!("{}.*", ident(database)),
        Some(table) => format!("{}.{}", ident(database), ident(table)),
    };
    Ok(format!("GRANT {privileges} ON {object} TO {account}"))
}

/// `'user'@'%'`; user names are ours (letters, digits, `_`).
pub(super) fn account(user: &str) -> String {
    format!("'{}'@'%'", user.replace(['\'', '\\'], ""))
}

/// A quoted identifier.
pub(super) fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `mysql_native_password`'s stored form: `*` and SHA1(SHA1(password)) in hex.
pub(super) fn native_hash(password: &str) -> String {
    let inner = Sha1::digest(password.as_bytes());
    let outer = Sha1::digest(inner);
    format!("*{}", crate::hex::encode(&outer).to_uppercase())
}

/// A word for a POSIX shell: as is when plain, else single-quoted.
pub(super) fn shell_word(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// Write the integration's CA where the driver can read it: a file named by
/// the certificate's digest, so every connector built from the same settings
/// shares one.
pub(super) fn ca_file(pem: &str) -> Result<PathBuf, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "MySQL settings: ssl_root_cert is not a PEM certificate".to_owned())?;
    if certificates.is_empty() {
        return Err("MySQL settings: ssl_root_cert holds no PEM certificate".into());
    }
    let digest = crate::hex::encode(&Sha1::digest(pem.as_bytes()));
    let path = std::env::temp_dir().join(format!("gatehouse-mysql-ca-{digest}.pem"));
    if !path.exists() {
        std::fs::write(&path, pem).map_err(|error| format!("writing the MySQL CA: {error}"))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_is_mysql_native_password() {
        // SELECT PASSWORD('secret') on MariaDB.
        assert_eq!(
            native_hash("secret"),
            "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
        );
    }

    #[test]
    fn identifiers_and_shell_words_are_quoted() {
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(account("gh_x'_1_2"), "'gh_x_1_2'@'%'");
        assert_eq!(shell_word("shop"), "shop");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }
}
