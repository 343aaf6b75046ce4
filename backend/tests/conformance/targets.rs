//! The real target systems of the conformance suite, one per connector,
//! and what the suite asks of each: whether a login works, asked of the
//! target itself; stopping and starting it; adding access by hand.

use crate::common::{
    ldap_server::{self, LdapServer},
    mariadb_server::MariaDb,
    moto_server::{ACCOUNT, Moto, REGION, Relay},
    pg_server::{PgServer, sync},
};
use serde_json::Value;

/// One target system, as the suite needs it. Its methods block.
pub trait Target: Send + Sync {
    /// The connector kind (`postgresql`, `mysql`…).
    fn kind(&self) -> &'static str;
    fn settings(&self) -> Value;
    /// (resource type, path, permission) the suite grants: two items, the
    /// first is what the journeys request.
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)>;
    /// Whether the connector hands out a secret (and so resets it).
    fn hands_out_secrets(&self) -> bool;
    /// Whether `login` (with `secret`) can use `path` now, asked of the
    /// target itself, not through the connector.
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool;
    /// Stop answering; [`Target::up`] starts again with the same data.
    fn down(&self);
    fn up(&self);
    /// Give an account nobody asked Gatehouse for access to a managed
    /// resource, by hand; the (login, resource path) the target will list.
    fn add_by_hand(&self) -> (String, String);
}

pub struct Postgres(PgServer);

impl Target for Postgres {
    fn kind(&self) -> &'static str {
        "postgresql"
    }
    fn settings(&self) -> Value {
        self.0.settings()
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("table", "shop/public/orders", "read-only"),
            ("schema", "shop/billing", "read-write"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        true
    }
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool {
        let Ok(mut client) = self.0.try_connect(login, secret.unwrap_or(""), "shop") else {
            return false;
        };
        let table = match path {
            "shop/public/orders" => "public.orders",
            _ => "billing.invoices",
        };
        sync(|| client.query(&format!("SELECT * FROM {table}"), &[]).is_ok())
    }
    fn down(&self) {
        self.0.down();
    }
    fn up(&self) {
        self.0.up();
    }
    fn add_by_hand(&self) -> (String, String) {
        self.0
            .admin("postgres")
            .batch_execute(
                "CREATE ROLE gh_mallory_900_1 LOGIN PASSWORD 'by-hand';
                 GRANT CONNECT ON DATABASE shop TO gh_mallory_900_1",
            )
            .unwrap();
        ("gh_mallory_900_1".into(), "shop".into())
    }
}

pub fn postgres() -> Postgres {
    let pg = PgServer::start();
    pg.admin("postgres")
        .batch_execute("CREATE DATABASE shop")
        .unwrap();
    pg.admin("shop")
        .batch_execute(
            "CREATE TABLE orders (id int PRIMARY KEY, item text);
             INSERT INTO orders VALUES (1, 'book');
             CREATE SCHEMA billing;
             CREATE TABLE billing.invoices (id int);",
        )
        .unwrap();
    Postgres(pg)
}

pub struct Maria(MariaDb);

impl Target for Maria {
    fn kind(&self) -> &'static str {
        "mysql"
    }
    fn settings(&self) -> Value {
        self.0.settings()
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("table", "shop/orders", "read-only"),
            ("database", "crm", "read-write"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        true
    }
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool {
        use mysql::prelude::Queryable;
        let Ok(mut conn) = self.0.log_in(login, secret.unwrap_or("")) else {
            return false;
        };
        let table = match path {
            "shop/orders" => "shop.orders",
            _ => "crm.contacts",
        };
        conn.query_drop(format!("SELECT * FROM {table}")).is_ok()
    }
    fn down(&self) {
        self.0.down();
    }
    fn up(&self) {
        self.0.up();
    }
    fn add_by_hand(&self) -> (String, String) {
        use mysql::prelude::Queryable;
        let mut root = self.0.root();
        root.query_drop("CREATE USER 'gh_mallory_900_1'@'%' IDENTIFIED BY 'by-hand'")
            .unwrap();
        root.query_drop("GRANT SELECT ON crm.* TO 'gh_mallory_900_1'@'%'")
            .unwrap();
        ("gh_mallory_900_1".into(), "crm".into())
    }
}

pub fn mariadb() -> Maria {
    Maria(MariaDb::start(&[
        "CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id int PRIMARY KEY, item text)",
        "CREATE TABLE shop.payroll (id int, salary int)",
        "INSERT INTO shop.orders VALUES (1, 'book')",
        "CREATE DATABASE crm",
        "CREATE TABLE crm.contacts (id int, name text)",
    ]))
}

pub struct Ldap(LdapServer);

impl Target for Ldap {
    fn kind(&self) -> &'static str {
        "ldap"
    }
    fn settings(&self) -> Value {
        let mut settings = self.0.settings();
        settings["grant_attempts"] = 10.into();
        settings
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("group", ldap_server::OPS, "member"),
            ("group", ldap_server::DBA, "member"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        false
    }
    fn works(&self, login: &str, _secret: Option<&str>, path: &str) -> bool {
        let dn = ldap_server::user_dn(login);
        self.0
            .members(path)
            .iter()
            .any(|member| member.eq_ignore_ascii_case(&dn))
    }
    fn down(&self) {
        self.0.stop();
    }
    fn up(&self) {
        self.0.start_again();
    }
    fn add_by_hand(&self) -> (String, String) {
        self.0
            .add_member_by_hand(ldap_server::DBA, &ldap_server::user_dn("bob"));
        ("bob".into(), ldap_server::DBA.into())
    }
}

pub fn ldap() -> Ldap {
    Ldap(LdapServer::start())
}

/// IAM Identity Center in moto, reached through a relay that can stop
/// answering (moto keeps its state in memory, so it cannot be restarted).
pub struct IdentityCenter {
    moto: Moto,
    relay: Relay,
    instance_arn: String,
    store: String,
    /// `<account>/<ps-…>` of the two permission sets.
    paths: [&'static str; 2],
    /// Their ARNs, as moto makes them.
    arns: [String; 2],
}

impl IdentityCenter {
    fn user_id(&self, login: &str) -> Option<String> {
        self.moto.admin().find_user_by_name(&self.store, login).ok()
    }

    fn set_arn(&self, path: &str) -> String {
        let i = self.paths.iter().position(|p| *p == path).unwrap();
        self.arns[i].clone()
    }
}

impl Target for IdentityCenter {
    fn kind(&self) -> &'static str {
        "aws_identity_center"
    }
    fn settings(&self) -> Value {
        serde_json::json!({
            "region": REGION,
            "instance_arn": self.instance_arn,
            "identity_store_id": self.store,
            "access_key_id": self.moto.admin.access_key_id,
            "secret_access_key": self.moto.admin.secret_access_key,
            "endpoint": self.relay.endpoint(),
            "grant_attempts": 10,
        })
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("permission_set", self.paths[0], "access"),
            ("permission_set", self.paths[1], "access"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        false
    }
    fn works(&self, login: &str, _secret: Option<&str>, path: &str) -> bool {
        let Some(user) = self.user_id(login) else {
            return false;
        };
        self.moto
            .admin()
            .list_account_assignments(&self.instance_arn, ACCOUNT, &self.set_arn(path))
            .unwrap()
            .iter()
            .any(|p| p.principal_type == "USER" && p.principal_id == user)
    }
    fn down(&self) {
        self.relay.set_down(true);
    }
    fn up(&self) {
        self.relay.set_down(false);
    }
    fn add_by_hand(&self) -> (String, String) {
        use gatehouse::connector::aws::{Assignment, Polling};
        let user = self.user_id("bob").unwrap();
        let arn = self.set_arn(self.paths[1]);
        self.moto
            .admin()
            .create_account_assignment(
                &Assignment {
                    instance_arn: &self.instance_arn,
                    account_id: ACCOUNT,
                    permission_set_arn: &arn,
                    user_id: &user,
                },
                Polling::default(),
            )
            .unwrap();
        ("bob".into(), self.paths[1].into())
    }
}

pub fn identity_center() -> IdentityCenter {
    let moto = Moto::start();
    let relay = Relay::start(moto.port);
    let admin = moto.admin();
    let instance = admin.list_instances().unwrap().remove(0);
    for (name, email) in [("alice", "alice@example.com"), ("bob", "bob@example.com")] {
        admin
            .raw_json(
                "identitystore",
                "CreateUser",
                &serde_json::json!({
                    "IdentityStoreId": instance.identity_store_id,
                    "UserName": name,
                    "DisplayName": name,
                    "Name": {"GivenName": name, "FamilyName": "Example"},
                    "Emails": [{"Value": email, "Type": "work", "Primary": true}],
                }),
            )
            .unwrap();
    }
    let arns = ["ReadOnly", "Admin"].map(|name| {
        let answer = admin
            .raw_json(
                "sso-admin",
                "CreatePermissionSet",
                &serde_json::json!({"InstanceArn": instance.instance_arn, "Name": name, "SessionDuration": "PT1H"}),
            )
            .unwrap();
        answer["PermissionSet"]["PermissionSetArn"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let paths = arns.clone().map(|arn| {
        let set = arn.rsplit('/').next().unwrap().to_owned();
        &*Box::leak(format!("{ACCOUNT}/{set}").into_boxed_str())
    });
    IdentityCenter {
        moto,
        relay,
        instance_arn: instance.instance_arn,
        store: instance.identity_store_id,
        paths,
        arns,
    }
}
