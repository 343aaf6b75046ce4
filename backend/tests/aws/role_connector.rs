// The aws_role connector against moto: a grant's credentials work for the
// rest of the access (capped by the role's maximum session), Reset gives
// new ones, and a removal denies the session on the role.

use gatehouse::connector::{
    self, Grant, GrantItem, Outcome,
    aws::{AwsCredentials, CredentialsProvider},
};
use serde_json::json;

use super::sts_iam::{make_role, moto, now};

fn grant(role: &str, hours: i64) -> Grant {
    Grant {
        request_id: 77,
        integration_id: 5,
        integration_name: "AWS roles".into(),
        integration_kind: "aws".into(),
        grantee_username: "alice".into(),
        grantee_email: Some("alice@example.com".into()),
        expires_at: now() + hours * 3600,
        login: None,
        items: vec![GrantItem {
            resource_type: "role".into(),
            resource_path: role.into(),
            permission: "assume".into(),
        }],
    }
}

/// The keys in the secret's export lines.
fn keys(secret: &str) -> AwsCredentials {
    let value = |name: &str| {
        secret
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap()
            .to_owned()
    };
    AwsCredentials::new(
        &value("AWS_ACCESS_KEY_ID"),
        &value("AWS_SECRET_ACCESS_KEY"),
        Some(&value("AWS_SESSION_TOKEN")),
    )
}

#[test]
fn role_sessions_are_granted_reset_and_denied_on_removal() {
    let role = make_role("gh-conformance-ops", 7200);
    // What the role lets its sessions do: list roles.
    moto()
        .admin()
        .put_role_policy(
            &role,
            "work",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#,
        )
        .unwrap();
    let settings = json!({"region": "us-east-1", "endpoint": moto().endpoint(),
        "access_key_id": moto().admin.access_key_id, "secret_access_key": moto().admin.secret_access_key});
    let connector = crate::common::real_connector("aws_role", &settings).unwrap();
    assert!(connector.check().unwrap().contains("gatehouse-admin"));
    let found = connector.discover().unwrap();
    assert!(
        found
            .iter()
            .any(|d| d.path == role && d.name == "gh-conformance-ops"),
        "{found:?}"
    );

    // Four hours asked, the role allows two: the session ends within them.
    let mut access = grant(&role, 4);
    let Ok(Outcome::Done(first)) = connector.grant(&access) else {
        panic!("not granted")
    };
    let session = first.username.clone().unwrap();
    assert!(session.starts_with("gh_alice_77_5"), "{session}");
    assert!(
        first
            .instructions
            .as_deref()
            .unwrap()
            .contains("shorter sessions")
    );
    let keys1 = keys(first.secret.as_deref().unwrap());
    let me = moto()
        .client_with(keys1.clone())
        .get_caller_identity()
        .unwrap();
    assert!(
        me.arn
            .contains(&format!("assumed-role/gh-conformance-ops/{session}")),
        "{me:?}"
    );
    let wrong = AwsCredentials::new(
        &keys1.access_key_id,
        "wrong",
        keys1.session_token.as_deref(),
    );
    assert!(moto().client_with(wrong).get_caller_identity().is_err());

    // Reset: another session of the same name, other keys that work too.
    access.login = Some(session.clone());
    let reset = connector.reset_credentials(&access).unwrap();
    let keys2 = keys(reset.secret.as_deref().unwrap());
    assert_ne!(keys2.access_key_id, keys1.access_key_id);
    assert!(
        moto()
            .client_with(keys2.clone())
            .get_caller_identity()
            .is_ok()
    );
    assert!(
        moto().client_with(keys2.clone()).list_roles().is_ok(),
        "the session works"
    );

    // Removal: a deny of this session's aws:userid on the role, once.
    let admin = moto().admin();
    let role_id = admin.get_role(&role).unwrap().role_id;
    assert!(role_id.starts_with("AROA"), "{role_id}");
    connector.revoke(&access).unwrap();
    connector.revoke(&access).unwrap();
    let policies = admin.list_role_policies(&role).unwrap();
    let denials: Vec<&String> = policies
        .iter()
        .filter(|p| p.starts_with("gatehouse-revoked-"))
        .collect();
    assert_eq!(denials.len(), 1, "{policies:?}");
    let document = admin.get_role_policy(&role, denials[0]).unwrap().unwrap();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(document["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        document["Statement"][0]["Condition"]["StringLike"]["aws:userid"],
        format!("{role_id}:{session}")
    );

    // In force: the session's keys are refused now. (moto applies a Deny
    // whatever its condition: a deny naming another session refuses this
    // one too, checked by hand with boto3. So this shows the policy is in
    // force on the role; that it names only this session is what the
    // document above shows, and what AWS evaluates.)
    let refused = moto().client_with(keys2).list_roles();
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("AccessDenied")),
        "{refused:?}"
    );

    // A denial whose sessions have all ended is taken away at the next removal.
    admin
        .put_role_policy(&role, "gatehouse-revoked-1000-gh_old_1_5", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}")
        .unwrap();
    let mut other = grant(&role, 1);
    other.request_id = 78;
    connector.revoke(&other).unwrap();
    let policies = admin.list_role_policies(&role).unwrap();
    assert!(
        !policies
            .iter()
            .any(|p| p == "gatehouse-revoked-1000-gh_old_1_5"),
        "{policies:?}"
    );
    assert_eq!(
        policies
            .iter()
            .filter(|p| p.starts_with("gatehouse-revoked-"))
            .count(),
        2
    );

    // A role that is not there: a clear error, not a panic.
    let missing = grant(
        &format!(
            "arn:aws:iam::{}:role/nope",
            crate::common::moto_server::ACCOUNT
        ),
        1,
    );
    let error = connector.grant(&missing).unwrap_err();
    assert!(error.contains("does not exist"), "{error}");
    // Settings are checked when saved.
    assert!(
        connector::prepare_settings("aws_role", Some(json!({"region": "moon"})), None).is_err()
    );
    let _ = CredentialsProvider::chain();
}
