// STS and IAM against moto: signing, refused credentials, AssumeRole, roles.

use std::sync::OnceLock;

use crate::common::moto_server::{ACCOUNT, Moto};
use gatehouse::connector::aws::{AwsCredentials, CredentialsProvider};

pub(crate) fn moto() -> &'static Moto {
    static SERVER: OnceLock<Moto> = OnceLock::new();
    SERVER.get_or_init(Moto::start)
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A role the admin user may assume (moto matches the trust policy principal
/// exactly; an account-root principal is not taken to cover its users).
pub(crate) fn make_role(name: &str, max_session: u32) -> String {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/gatehouse-admin"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let max = max_session.to_string();
    let answer = moto()
        .admin()
        .raw_query(
            "iam",
            "CreateRole",
            &[
                ("RoleName", name),
                ("AssumeRolePolicyDocument", &trust),
                ("MaxSessionDuration", &max),
            ],
        )
        .unwrap();
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
        .tap(|arn| assert!(answer.contains(arn.as_str()), "{answer}"))
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&Self)) -> Self {
        f(&self);
        self
    }
}
impl<T> Tap for T {}

#[test]
fn signed_call_returns_the_caller() {
    let me = moto().admin().get_caller_identity().unwrap();
    assert_eq!(me.account, ACCOUNT);
    assert_eq!(
        me.arn,
        format!("arn:aws:iam::{ACCOUNT}:user/gatehouse-admin")
    );
}

#[test]
fn wrong_secret_is_refused_clearly() {
    let wrong = AwsCredentials::new(&moto().admin.access_key_id, "not-the-secret-at-all", None);
    let error = moto().client_with(wrong).get_caller_identity().unwrap_err();
    assert!(
        error.starts_with("AWS refused the credentials: "),
        "{error}"
    );
    assert!(error.contains("SignatureDoesNotMatch"), "{error}");
    eprintln!("wrong secret: {error}");
    assert!(!error.contains("not-the-secret-at-all"));
    // The same for JSON-protocol services.
    let wrong = AwsCredentials::new(&moto().admin.access_key_id, "not-the-secret-at-all", None);
    let error = moto().client_with(wrong).list_instances().unwrap_err();
    assert!(
        error.starts_with("AWS refused the credentials: "),
        "{error}"
    );
}

#[test]
fn unknown_key_is_refused_clearly() {
    let unknown = AwsCredentials::new("AKIAUNKNOWNUNKNOWN00", "whatever", None);
    let error = moto()
        .client_with(unknown)
        .get_caller_identity()
        .unwrap_err();
    assert!(
        error.starts_with("AWS refused the credentials: "),
        "{error}"
    );
    assert!(error.contains("InvalidClientTokenId"), "{error}");
    eprintln!("unknown key: {error}");
}

#[test]
fn assume_role_gives_working_temporary_credentials() {
    let arn = make_role("gatehouse-jit", 3600);
    let before = now();
    let temporary = moto()
        .admin()
        .assume_role(&arn, "alice@example.com", 1800)
        .unwrap();
    assert!(temporary.credentials.session_token.is_some());
    let expected = before + 1800;
    assert!(
        (temporary.expires_at - expected).abs() <= 5,
        "{} vs {expected}",
        temporary.expires_at
    );
    // The session token is signed and sent: moto checks it.
    let me = moto()
        .client_with(temporary.credentials.clone())
        .get_caller_identity()
        .unwrap();
    assert_eq!(
        me.arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/gatehouse-jit/alice@example.com")
    );
    let mut wrong_token = temporary.credentials;
    wrong_token.session_token = Some("not-the-token".into());
    let error = moto()
        .client_with(wrong_token)
        .get_caller_identity()
        .unwrap_err();
    assert!(error.starts_with("AWS refused the credentials"), "{error}");
}

#[test]
fn session_duration_limits() {
    let arn = make_role("gatehouse-short", 3600);
    let role = moto().admin().get_role(&arn).unwrap();
    assert_eq!(
        (role.name.as_str(), role.max_session_duration),
        ("gatehouse-short", 3600)
    );
    let (temporary, used) = moto()
        .admin()
        .assume_role_capped(&arn, "bob", 7200)
        .unwrap();
    assert_eq!(used, 3600);
    assert!((temporary.expires_at - (now() + 3600)).abs() <= 5);
    let error = moto().admin().assume_role(&arn, "bob", 60).unwrap_err();
    assert!(error.contains("between 15 minutes and 12 hours"), "{error}");
    let error = moto().admin().get_role("no-such-role").unwrap_err();
    assert_eq!(error, "IAM role no-such-role does not exist");
}

#[test]
fn list_roles_follows_markers() {
    for i in 0..5 {
        make_role(&format!("listed-{i}"), 7200);
    }
    let roles = moto().admin().list_roles_paged(2).unwrap();
    let listed: Vec<_> = roles
        .iter()
        .filter(|r| r.name.starts_with("listed-"))
        .collect();
    assert_eq!(listed.len(), 5, "{roles:?}");
    assert!(listed.iter().all(|r| r.max_session_duration == 7200));
    assert_eq!(moto().admin().list_roles().unwrap().len(), roles.len());
}

#[test]
fn credentials_from_the_environment_chain() {
    let admin = moto().admin.clone();
    let env = move |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some(admin.access_key_id.clone()),
        "AWS_SECRET_ACCESS_KEY" => Some(admin.secret_access_key.clone()),
        _ => None,
    };
    let client = moto()
        .admin()
        .with_credentials(CredentialsProvider::chain_with_env(env));
    assert!(
        client
            .get_caller_identity()
            .unwrap()
            .arn
            .ends_with("user/gatehouse-admin")
    );
}

#[test]
fn credentials_from_a_shared_file_profile() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    let admin = &moto().admin;
    std::fs::write(
        &file,
        format!(
            "[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = x\n\n\
             [gatehouse]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            admin.access_key_id, admin.secret_access_key
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let env_for = |profile: &'static str| {
        let path = path.clone();
        move |name: &str| match name {
            "AWS_SHARED_CREDENTIALS_FILE" => Some(path.clone()),
            "AWS_PROFILE" => Some(profile.to_string()),
            _ => None,
        }
    };
    let client = moto()
        .admin()
        .with_credentials(CredentialsProvider::chain_with_env(env_for("gatehouse")));
    assert!(
        client
            .get_caller_identity()
            .unwrap()
            .arn
            .ends_with("user/gatehouse-admin")
    );
    let client = moto()
        .admin()
        .with_credentials(CredentialsProvider::chain_with_env(env_for("missing")));
    let error = client.get_caller_identity().unwrap_err();
    assert!(
        error.starts_with("profile missing is not in the AWS credentials file"),
        "{error}"
    );
}
