//! The LDAP connector against a real OpenLDAP server started by the test
//! (common/ldap_server.rs): group membership by DN (`member`) and by
//! `memberUid`, granted and removed idempotently; holdings; Test connection
//! and Sync; users and groups that are not there; a server that stops or
//! hangs; TLS (ldaps:// and StartTLS) checked against the server's CA; the
//! settings checked when saved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::ldap_server::{DBA, DEPLOY, GROUPS, LdapServer, NOBODY, OPS, PEOPLE, ROOT_DN, user_dn};
use gatehouse::connector::{
    self, Connector, Grant, GrantItem, Holding, Outcome, ldap::LdapConnector,
};
use serde_json::{Value, json};

fn build(settings: &Value) -> Result<Arc<dyn Connector>, String> {
    common::real_connector("ldap", settings)
}

fn connector(server: &LdapServer) -> Arc<dyn Connector> {
    build(&server.settings()).unwrap()
}

/// `user` asks for membership of `groups`.
fn grant(user: &str, groups: &[&str]) -> Grant {
    Grant {
        request_id: 7,
        integration_id: 3,
        integration_name: "Directory".into(),
        integration_kind: "ldap".into(),
        grantee_username: user.into(),
        grantee_email: Some(format!("{user}@example.com")),
        expires_at: 1_900_000_000,
        login: None,
        items: groups
            .iter()
            .map(|group| GrantItem {
                resource_type: "group".into(),
                resource_path: (*group).into(),
                permission: "member".into(),
            })
            .collect(),
    }
}

fn member(login: &str, group: &str) -> Holding {
    Holding {
        login: login.into(),
        resource_path: group.into(),
        permission: Some("member".into()),
    }
}

fn count(values: &[String], value: &str) -> usize {
    values.iter().filter(|v| v.as_str() == value).count()
}

#[test]
fn membership_by_dn_is_granted_and_removed_idempotently() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    let alice = user_dn("alice");
    let request = grant("alice", &[OPS]);

    let Outcome::Done(credentials) = ldap.grant(&request).unwrap() else {
        panic!("the LDAP connector does not wait");
    };
    assert_eq!(credentials.username.as_deref(), Some("alice"));
    assert_eq!(credentials.secret, None);
    let instructions = credentials.instructions.unwrap();
    assert!(instructions.contains(OPS), "{instructions}");
    assert!(
        instructions.contains("until 2030-03-17T17:46:40Z"),
        "{instructions}"
    );
    let members = server.members(OPS);
    assert_eq!(count(&members, &alice), 1, "{members:?}");
    assert_eq!(count(&members, NOBODY), 1, "{members:?}");

    // Again (a grant repeated after a crash): one value, still.
    ldap.grant(&request).unwrap();
    assert_eq!(count(&server.members(OPS), &alice), 1);

    let login = ldap.login_of(&request).unwrap();
    assert_eq!(login, "alice");
    let holdings = ldap.holdings(&[OPS.into(), DBA.into()]).unwrap().unwrap();
    assert!(holdings.contains(&member("alice", OPS)), "{holdings:?}");
    // The standing member is no user: held by its DN.
    assert!(holdings.contains(&member(NOBODY, OPS)), "{holdings:?}");
    assert!(holdings.contains(&member(NOBODY, DBA)), "{holdings:?}");
    assert_eq!(holdings.len(), 3, "{holdings:?}");

    let mut removal = request.clone();
    removal.login = Some(login);
    assert_eq!(
        ldap.revoke(&removal).unwrap(),
        Outcome::Done(Default::default())
    );
    assert_eq!(server.members(OPS), [NOBODY]);
    ldap.revoke(&removal).unwrap();
    assert_eq!(server.members(OPS), [NOBODY]);
    let holdings = ldap.holdings(&[OPS.into()]).unwrap().unwrap();
    assert_eq!(holdings, [member(NOBODY, OPS)]);
}

#[test]
fn one_grant_adds_to_several_groups_and_removal_takes_all() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    let bob = user_dn("bob");
    let request = grant("bob", &[OPS, DBA]);
    let Outcome::Done(credentials) = ldap.grant(&request).unwrap() else {
        panic!("the LDAP connector does not wait");
    };
    let instructions = credentials.instructions.unwrap();
    assert!(instructions.contains("groups"), "{instructions}");
    assert_eq!(count(&server.members(OPS), &bob), 1);
    assert_eq!(count(&server.members(DBA), &bob), 1);
    ldap.revoke(&request).unwrap();
    assert_eq!(server.members(OPS), [NOBODY]);
    assert_eq!(server.members(DBA), [NOBODY]);
}

#[test]
fn users_and_groups_that_are_not_there_are_named() {
    let server = LdapServer::start();
    let ldap = connector(&server);

    let error = ldap.grant(&grant("zed", &[OPS])).unwrap_err();
    assert!(error.contains("user zed not found"), "{error}");
    assert!(
        error.contains(&format!("uid=zed under {PEOPLE}")),
        "{error}"
    );

    // A filter in the user name is a value, not a filter.
    let error = ldap.grant(&grant("*", &[OPS])).unwrap_err();
    assert!(error.contains("not found"), "{error}");

    // Every group is checked before any is changed.
    let ghost = format!("cn=ghost,{GROUPS}");
    let error = ldap.grant(&grant("alice", &[OPS, &ghost])).unwrap_err();
    assert!(
        error.contains(&format!("group {ghost} not found")),
        "{error}"
    );
    assert_eq!(server.members(OPS), [NOBODY]);

    // An entry that is not a group.
    let error = ldap.grant(&grant("alice", &[GROUPS])).unwrap_err();
    assert!(error.contains("is not a group"), "{error}");

    // Only groups under group_base_dn are granted.
    let error = ldap.grant(&grant("alice", &[NOBODY])).unwrap_err();
    assert!(error.contains("not under"), "{error}");

    // Two entries with the same uid: which one is meant?
    server.modify(&format!(
        "dn: cn=Alice Again,{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\n\
         cn: Alice Again\nsn: Again\nuid: alice\n"
    ));
    let error = ldap.grant(&grant("alice", &[OPS])).unwrap_err();
    assert!(error.contains("more than one"), "{error}");
    assert_eq!(server.members(OPS), [NOBODY]);
}

#[test]
fn removal_succeeds_when_the_user_or_group_is_gone_and_explains_the_last_member() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    let carol = user_dn("carol");
    let request = grant("carol", &[OPS]);
    ldap.grant(&request).unwrap();

    // The group deleted meanwhile.
    let solo = format!("cn=solo,{GROUPS}");
    server.modify(&format!(
        "dn: {solo}\nchangetype: add\nobjectClass: groupOfNames\ncn: solo\nmember: {carol}\n"
    ));
    server.modify(&format!("dn: {OPS}\nchangetype: delete\n"));
    ldap.revoke(&request).unwrap();
    assert!(ldap.holdings(&[OPS.into()]).unwrap().unwrap().is_empty());

    // carol is solo's only member: groupOfNames must keep one.
    let error = ldap.revoke(&grant("carol", &[&solo])).unwrap_err();
    assert!(
        error.contains(&format!("cannot remove {carol} from {solo}")),
        "{error}"
    );
    assert_eq!(server.members(&solo), std::slice::from_ref(&carol));

    // The user deleted: nothing resolves to her, removal is done; the
    // stale DN is held by the DN itself.
    server.modify(&format!("dn: {carol}\nchangetype: delete\n"));
    ldap.revoke(&grant("carol", &[&solo])).unwrap();
    let holdings = ldap.holdings(std::slice::from_ref(&solo)).unwrap().unwrap();
    assert_eq!(holdings, [member(&carol, &solo)]);
}

#[test]
fn holdings_show_members_added_by_hand() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    server.add_member_by_hand(DBA, &user_dn("bob"));
    let holdings = ldap
        .holdings(&[DBA.into(), format!("cn=gone,{GROUPS}"), "not a dn".into()])
        .unwrap()
        .unwrap();
    assert_eq!(holdings, [member("bob", DBA), member(NOBODY, DBA)]);
}

#[test]
fn posix_groups_hold_member_uids() {
    let server = LdapServer::start();
    let mut settings = server.settings();
    settings["membership"] = "memberUid".into();
    let ldap = build(&settings).unwrap();

    let request = grant("bob", &[DEPLOY]);
    ldap.grant(&request).unwrap();
    assert_eq!(server.members(DEPLOY), ["bob"]);
    ldap.grant(&request).unwrap();
    assert_eq!(server.members(DEPLOY), ["bob"]);
    server.add_member_by_hand(DEPLOY, "someone");
    let holdings = ldap.holdings(&[DEPLOY.into()]).unwrap().unwrap();
    assert_eq!(holdings, [member("bob", DEPLOY), member("someone", DEPLOY)]);
    ldap.revoke(&request).unwrap();
    ldap.revoke(&request).unwrap();
    assert_eq!(server.members(DEPLOY), ["someone"]);

    // The login is the value: removed even when the user has left the directory.
    let carol = grant("carol", &[DEPLOY]);
    ldap.grant(&carol).unwrap();
    server.modify(&format!("dn: {}\nchangetype: delete\n", user_dn("carol")));
    ldap.revoke(&carol).unwrap();
    assert_eq!(server.members(DEPLOY), ["someone"]);
}

#[test]
fn users_can_be_matched_by_email() {
    let server = LdapServer::start();
    let mut settings = server.settings();
    settings["user_match"] = "email".into();
    settings["user_attribute"] = "mail".into();
    let ldap = build(&settings).unwrap();
    let request = grant("alice", &[OPS]);
    assert_eq!(
        ldap.login_of(&request).as_deref(),
        Some("alice@example.com")
    );
    let Outcome::Done(credentials) = ldap.grant(&request).unwrap() else {
        panic!("the LDAP connector does not wait");
    };
    assert_eq!(credentials.username.as_deref(), Some("alice@example.com"));
    assert_eq!(count(&server.members(OPS), &user_dn("alice")), 1);
    let holdings = ldap.holdings(&[OPS.into()]).unwrap().unwrap();
    assert!(
        holdings.contains(&member("alice@example.com", OPS)),
        "{holdings:?}"
    );

    let mut nameless = grant("bob", &[OPS]);
    nameless.grantee_email = None;
    let error = ldap.grant(&nameless).unwrap_err();
    assert!(error.contains("no e-mail address"), "{error}");
}

#[test]
fn test_connection_and_sync() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    let message = ldap.check().unwrap();
    assert_eq!(
        message,
        format!(
            "Connected to {} as {ROOT_DN}; 3 groups under {GROUPS}.",
            server.url()
        )
    );

    let found = ldap.discover().unwrap();
    let listed: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|d| (d.resource_type, d.name.as_str(), d.path.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("group", "dba", DBA),
            ("group", "deploy", DEPLOY),
            ("group", "ops", OPS)
        ]
    );
    assert!(found.iter().all(|d| d.permissions == ["member"]));

    // Only what group_filter takes.
    let mut settings = server.settings();
    settings["group_filter"] = "(objectClass=posixGroup)".into();
    let found = build(&settings).unwrap().discover().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, DEPLOY);

    let mut settings = server.settings();
    settings["password"] = "wrong".into();
    let wrong = build(&settings).unwrap();
    let error = wrong.check().unwrap_err();
    assert!(
        error.contains(&format!("invalid credentials for {ROOT_DN}")),
        "{error}"
    );
    assert!(wrong.grant(&grant("alice", &[OPS])).is_err());

    let mut settings = server.settings();
    settings["group_base_dn"] = "ou=nowhere,dc=example,dc=com".into();
    let error = build(&settings).unwrap().check().unwrap_err();
    assert!(error.contains("group_base_dn ou=nowhere"), "{error}");
}

#[test]
fn a_stopped_server_fails_fast_and_works_once_back() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    server.stop();
    let started = Instant::now();
    let error = ldap.grant(&grant("alice", &[OPS])).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(
        error.contains(&format!("cannot connect to {}", server.url())),
        "{error}"
    );
    assert!(ldap.check().is_err());
    assert!(ldap.holdings(&[OPS.into()]).is_err());

    server.start_again();
    ldap.grant(&grant("alice", &[OPS])).unwrap();
    assert_eq!(count(&server.members(OPS), &user_dn("alice")), 1);
}

#[test]
fn a_hung_server_times_out() {
    let server = LdapServer::start();
    let ldap = connector(&server);
    server.pause();
    let started = Instant::now();
    let error = ldap.check().unwrap_err();
    let took = started.elapsed();
    server.resume();
    assert!(took < Duration::from_secs(16), "{took:?}");
    assert!(error.contains("no answer within"), "{error}");
    ldap.check().unwrap();
}

#[test]
fn tls_is_checked_against_the_ca() {
    let server = LdapServer::start_with_tls();
    let ldaps = server.ldaps_url().unwrap();

    let mut settings = server.settings();
    settings["url"] = ldaps.clone().into();
    settings["ca_cert"] = server.ca_pem().into();
    let ldap = build(&settings).unwrap();
    let message = ldap.check().unwrap();
    assert!(message.contains(&ldaps), "{message}");
    ldap.grant(&grant("alice", &[OPS])).unwrap();
    assert_eq!(count(&server.members(OPS), &user_dn("alice")), 1);

    let mut settings = server.settings();
    settings["start_tls"] = true.into();
    settings["ca_cert"] = server.ca_pem().into();
    let ldap = build(&settings).unwrap();
    ldap.check().unwrap();
    ldap.revoke(&grant("alice", &[OPS])).unwrap();
    assert_eq!(server.members(OPS), [NOBODY]);

    // Mozilla's roots do not know the test CA.
    let mut settings = server.settings();
    settings["url"] = ldaps.clone().into();
    let error = build(&settings).unwrap().check().unwrap_err();
    assert!(error.contains("cannot connect"), "{error}");
    assert!(error.to_lowercase().contains("certificate"), "{error}");

    // The certificate is for 127.0.0.1, not localhost.
    let mut settings = server.settings();
    settings["url"] = ldaps.replace("127.0.0.1", "localhost").into();
    settings["ca_cert"] = server.ca_pem().into();
    let error = build(&settings).unwrap().check().unwrap_err();
    assert!(error.contains("localhost"), "{error}");
    assert!(error.to_lowercase().contains("not valid for"), "{error}");
}

#[test]
fn settings_are_checked_when_saved() {
    let server = LdapServer::start();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut settings = server.settings();
        change(&mut settings);
        LdapConnector::from_settings(settings).map(drop)
    };
    let error = with(&|s| s["url"] = "http://127.0.0.1:389".into()).unwrap_err();
    assert!(error.contains("ldap:// or ldaps://"), "{error}");
    let error = with(&|s| s["group_base_dn"] = "groups.example.com".into()).unwrap_err();
    assert!(error.contains("group_base_dn"), "{error}");
    let error = with(&|s| s["user_base_dn"] = "ou=people,,dc=example".into()).unwrap_err();
    assert!(error.contains("user_base_dn"), "{error}");
    let error = with(&|s| s["bind_dn"] = "admin".into()).unwrap_err();
    assert!(error.contains("bind_dn"), "{error}");
    let error = with(&|s| s["base_dn"] = "dc=example,dc=com".into()).unwrap_err();
    assert!(error.contains("unknown field `base_dn`"), "{error}");
    let error = with(&|s| {
        s["url"] = "ldaps://127.0.0.1:636".into();
        s["start_tls"] = true.into();
    })
    .unwrap_err();
    assert!(error.contains("start_tls"), "{error}");

    // Saved through the API's path: the password is secret and kept.
    let kept = connector::prepare_settings(
        "ldap",
        Some(json!({
            "url": server.url(),
            "bind_dn": ROOT_DN,
            "user_base_dn": PEOPLE,
            "group_base_dn": GROUPS,
        })),
        Some(server.settings()),
    )
    .unwrap()
    .unwrap();
    assert_eq!(kept["password"], server.settings()["password"]);
    let shown = connector::redact("ldap", Some(kept.clone())).unwrap();
    assert_eq!(shown["password"], "(set)");
    build(&kept).unwrap().check().unwrap();
    let error =
        connector::prepare_settings("ldap", Some(json!({"url": server.url()})), None).unwrap_err();
    assert_eq!(error.0, "settings");
}
