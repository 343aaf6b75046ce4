// IAM Identity Center, the identity store and Organizations against moto
// (set up with the admin key, signed), plus the failure paths of the
// assignment polling against a scripted fake (moto always says SUCCEEDED).

use std::{sync::OnceLock, time::Duration};

use crate::common::moto_server::{ACCOUNT, Moto, REGION, fake_http};
use gatehouse::connector::aws::{
    Assignment, AwsCredentials, Client, CredentialsProvider, Polling, SsoInstance,
};
use serde_json::json;

fn moto() -> &'static Moto {
    static SERVER: OnceLock<Moto> = OnceLock::new();
    SERVER.get_or_init(Moto::start)
}

const FAST: Polling = Polling {
    interval: Duration::from_millis(20),
    deadline: Duration::from_secs(5),
};

fn instance() -> SsoInstance {
    let instances = moto().admin().list_instances().unwrap();
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert!(
        instances[0]
            .instance_arn
            .starts_with("arn:aws:sso:::instance/ssoins-")
    );
    assert!(instances[0].identity_store_id.starts_with("d-"));
    instances[0].clone()
}

fn create_user(store: &str, user_name: &str, email: &str) -> String {
    let answer = moto()
        .admin()
        .raw_json(
            "identitystore",
            "CreateUser",
            &json!({
                "IdentityStoreId": store,
                "UserName": user_name,
                "DisplayName": user_name,
                "Name": {"GivenName": "Test", "FamilyName": user_name},
                "Emails": [{"Value": email, "Type": "work", "Primary": true}],
            }),
        )
        .unwrap();
    answer["UserId"].as_str().unwrap().to_string()
}

fn create_permission_set(instance_arn: &str, name: &str) -> String {
    let answer = moto()
        .admin()
        .raw_json(
            "sso-admin",
            "CreatePermissionSet",
            &json!({"InstanceArn": instance_arn, "Name": name, "Description": format!("{name} access"), "SessionDuration": "PT2H"}),
        )
        .unwrap();
    answer["PermissionSet"]["PermissionSetArn"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn find_users_by_name_and_email() {
    let store = instance().identity_store_id;
    let alice = create_user(&store, "alice", "alice@example.com");
    let bob = create_user(&store, "bob@example.com", "robert@example.com");
    let client = moto().admin();
    assert_eq!(client.find_user_by_name(&store, "alice").unwrap(), alice);
    assert_eq!(
        client
            .find_user_by_email(&store, "alice@example.com")
            .unwrap(),
        alice
    );
    assert_eq!(client.find_user(&store, "alice").unwrap(), alice);
    assert_eq!(
        client.find_user(&store, "alice@example.com").unwrap(),
        alice
    );
    assert_eq!(client.find_user(&store, "bob@example.com").unwrap(), bob);
    assert_eq!(client.find_user(&store, "robert@example.com").unwrap(), bob);
    assert_eq!(
        client.find_user(&store, "nobody@example.com").unwrap_err(),
        format!("user nobody@example.com not found in the identity store {store}")
    );
    assert_eq!(
        client.find_user_by_name(&store, "carol").unwrap_err(),
        format!("user carol not found in the identity store {store}")
    );
}

#[test]
fn assignment_lifecycle_is_idempotent() {
    let sso = instance();
    let user = create_user(&sso.identity_store_id, "dave", "dave@example.com");
    let ps = create_permission_set(&sso.instance_arn, "ReadOnly");
    let client = moto().admin();
    let target = "111122223333";
    let a = Assignment {
        instance_arn: &sso.instance_arn,
        account_id: target,
        permission_set_arn: &ps,
        user_id: &user,
    };
    let holders = |c: &Client| {
        c.list_account_assignments(&sso.instance_arn, target, &ps)
            .unwrap()
            .into_iter()
            .map(|p| (p.principal_type, p.principal_id))
            .collect::<Vec<_>>()
    };
    assert!(holders(&client).is_empty());
    client.create_account_assignment(&a, FAST).unwrap();
    assert_eq!(holders(&client), vec![("USER".to_string(), user.clone())]);
    client.create_account_assignment(&a, FAST).unwrap();
    assert_eq!(
        holders(&client).len(),
        1,
        "a second create must not add a second assignment"
    );
    client.delete_account_assignment(&a, FAST).unwrap();
    assert!(holders(&client).is_empty());
    client.delete_account_assignment(&a, FAST).unwrap();
    assert!(holders(&client).is_empty());
}

#[test]
fn deleted_permission_set_is_a_clear_error() {
    let sso = instance();
    let user = create_user(&sso.identity_store_id, "erin", "erin@example.com");
    let ps = create_permission_set(&sso.instance_arn, "Doomed");
    let client = moto().admin();
    client
        .raw_json(
            "sso-admin",
            "DeletePermissionSet",
            &json!({"InstanceArn": sso.instance_arn, "PermissionSetArn": ps}),
        )
        .unwrap();
    let a = Assignment {
        instance_arn: &sso.instance_arn,
        account_id: ACCOUNT,
        permission_set_arn: &ps,
        user_id: &user,
    };
    let error = client.create_account_assignment(&a, FAST).unwrap_err();
    assert_eq!(
        error,
        format!(
            "permission set {ps} does not exist in IAM Identity Center (deleted or never created in instance {})",
            sso.instance_arn
        )
    );
}

#[test]
fn permission_sets_and_accounts_for_sync() {
    let sso = instance();
    let admin_ps = create_permission_set(&sso.instance_arn, "SyncAdmin");
    let client = moto().admin();
    let sets = client.list_permission_sets(&sso.instance_arn).unwrap();
    let found = sets.iter().find(|p| p.arn == admin_ps).expect("listed");
    assert_eq!(
        (found.name.as_str(), found.description.as_str()),
        ("SyncAdmin", "SyncAdmin access")
    );
    assert_eq!(found.session_duration, "PT2H");

    client
        .raw_json(
            "sso-admin",
            "ProvisionPermissionSet",
            &json!({"InstanceArn": sso.instance_arn, "PermissionSetArn": admin_ps, "TargetType": "AWS_ACCOUNT", "TargetId": ACCOUNT}),
        )
        .unwrap();
    assert_eq!(
        client
            .list_accounts_for_permission_set(&sso.instance_arn, &admin_ps)
            .unwrap(),
        vec![ACCOUNT]
    );

    client
        .raw_json(
            "organizations",
            "CreateOrganization",
            &json!({"FeatureSet": "ALL"}),
        )
        .unwrap();
    client
        .raw_json(
            "organizations",
            "CreateAccount",
            &json!({"AccountName": "Production", "Email": "prod@example.com"}),
        )
        .unwrap();
    let accounts = client.list_accounts().unwrap();
    let prod = accounts
        .iter()
        .find(|a| a.name == "Production")
        .expect("listed");
    assert_eq!(
        (prod.email.as_str(), prod.status.as_str()),
        ("prod@example.com", "ACTIVE")
    );
    assert_eq!(prod.id.len(), 12);
    assert!(
        accounts.iter().any(|a| a.id == ACCOUNT),
        "the management account: {accounts:?}"
    );
}

/// A client for the scripted fake; the credentials are not checked there.
fn fake_client(port: u16) -> Client {
    let credentials = AwsCredentials::new("AKIAFAKEFAKEFAKE0000", "fake", None);
    Client::new(
        REGION,
        Some(&format!("http://127.0.0.1:{port}")),
        CredentialsProvider::fixed(credentials),
    )
}

fn status(state: &str, reason: &str) -> String {
    json!({"AccountAssignmentCreationStatus": {"Status": state, "RequestId": "req-1", "FailureReason": reason}}).to_string()
}

const FAKE_ASSIGNMENT: Assignment<'static> = Assignment {
    instance_arn: "arn:aws:sso:::instance/ssoins-1",
    account_id: "111122223333",
    permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
    user_id: "u-1",
};

fn fake_prelude() -> Vec<(u16, String)> {
    vec![
        (200, json!({"AccountAssignments": []}).to_string()),
        (200, json!({"PermissionSet": {"Name": "ps"}}).to_string()),
    ]
}

#[test]
fn failed_creation_reports_the_reason() {
    let mut script = fake_prelude();
    script.push((
        400,
        json!({"__type": "ConflictException", "message": "another operation in progress"})
            .to_string(),
    ));
    script.push((200, status("IN_PROGRESS", "")));
    script.push((200, status("IN_PROGRESS", "")));
    script.push((
        200,
        status("FAILED", "Received a 404 status error: No such role"),
    ));
    let (port, server) = fake_http(script);
    let error = fake_client(port)
        .create_account_assignment(&FAKE_ASSIGNMENT, FAST)
        .unwrap_err();
    assert_eq!(
        error,
        "IAM Identity Center failed assigning permission set arn:aws:sso:::permissionSet/ssoins-1/ps-1 \
         to user u-1 in account 111122223333: Received a 404 status error: No such role"
    );
    let requests = server.join().unwrap();
    assert!(requests[5].contains("SWBExternalService.DescribeAccountAssignmentCreationStatus"));
    assert!(
        requests[5].contains(r#""AccountAssignmentCreationRequestId":"req-1""#),
        "{}",
        requests[5]
    );
}

#[test]
fn creation_that_never_finishes_hits_the_deadline() {
    let mut script = fake_prelude();
    script.extend((0..4).map(|_| (200, status("IN_PROGRESS", ""))));
    let (port, _server) = fake_http(script);
    let polling = Polling {
        interval: Duration::from_millis(100),
        deadline: Duration::from_millis(250),
    };
    let error = fake_client(port)
        .create_account_assignment(&FAKE_ASSIGNMENT, polling)
        .unwrap_err();
    assert!(
        error.starts_with("IAM Identity Center had not finished assigning"),
        "{error}"
    );
}
