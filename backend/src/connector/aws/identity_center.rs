//! IAM Identity Center (sso-admin), its identity store, and the
//! Organizations account list: the calls behind granting and revoking an
//! account assignment and syncing permission sets and accounts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{
    client::{Client, IDENTITY_STORE, ORGANIZATIONS, SSO_ADMIN},
    errors::CallError,
};

const SSO: &str = "SWBExternalService";
const STORE: &str = "AWSIdentityStore";
const ORGS: &str = "AWSOrganizationsV20161128";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoInstance {
    pub instance_arn: String,
    pub identity_store_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSet {
    pub arn: String,
    pub name: String,
    pub description: String,
    /// ISO 8601 duration, e.g. `PT1H`.
    pub session_duration: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
}

/// One assignment: a principal (USER or GROUP) holding a permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub principal_type: String,
    pub principal_id: String,
}

/// Which assignment: a user, a permission set, an account, in an instance.
#[derive(Debug, Clone)]
pub struct Assignment<'a> {
    pub instance_arn: &'a str,
    pub account_id: &'a str,
    pub permission_set_arn: &'a str,
    pub user_id: &'a str,
}

/// How to wait for Identity Center's asynchronous create and delete.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub interval: Duration,
    /// For the whole operation, retries of conflicting requests included.
    pub deadline: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            deadline: Duration::from_secs(120),
        }
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl Client {
    /// Every page of a JSON list call, gathering `field` from each.
    fn paged(
        &self,
        service: super::client::Service,
        prefix: &str,
        action: &str,
        input: Value,
        field: &str,
    ) -> Result<Vec<Value>, CallError> {
        let mut items = Vec::new();
        let mut input = input;
        loop {
            let page = self.json(service, prefix, action, &input)?;
            if let Some(list) = page.get(field).and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            match page
                .get("NextToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(token) => input["NextToken"] = json!(token),
                None => return Ok(items),
            }
        }
    }

    /// sso-admin ListInstances: the Identity Center instances and their identity stores.
    pub fn list_instances(&self) -> Result<Vec<SsoInstance>, String> {
        let list = self.paged(SSO_ADMIN, SSO, "ListInstances", json!({}), "Instances")?;
        Ok(list
            .iter()
            .map(|i| SsoInstance {
                instance_arn: text(i, "InstanceArn"),
                identity_store_id: text(i, "IdentityStoreId"),
            })
            .collect())
    }

    /// The identity store user whose UserName is `user_name` (ListUsers filter).
    pub fn find_user_by_name(
        &self,
        identity_store_id: &str,
        user_name: &str,
    ) -> Result<String, String> {
        let input = json!({
            "IdentityStoreId": identity_store_id,
            "Filters": [{"AttributePath": "UserName", "AttributeValue": user_name}],
        });
        let users = self.paged(IDENTITY_STORE, STORE, "ListUsers", input, "Users")?;
        let mut ids = users
            .iter()
            .filter(|u| text(u, "UserName") == user_name)
            .map(|u| text(u, "UserId"));
        ids.next().ok_or_else(|| {
            format!("user {user_name} not found in the identity store {identity_store_id}")
        })
    }

    /// The identity store user with the (unique) e-mail address `email`
    /// (GetUserId with the alternate identifier `emails.value`).
    pub fn find_user_by_email(
        &self,
        identity_store_id: &str,
        email: &str,
    ) -> Result<String, String> {
        let input = json!({
            "IdentityStoreId": identity_store_id,
            "AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "emails.value", "AttributeValue": email}},
        });
        match self.json(IDENTITY_STORE, STORE, "GetUserId", &input) {
            Ok(answer) => Ok(text(&answer, "UserId")),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Err(format!(
                "user {email} not found in the identity store {identity_store_id}"
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A user by e-mail when `login` has an `@` and no user has it as
    /// UserName, by UserName otherwise.
    pub fn find_user(&self, identity_store_id: &str, login: &str) -> Result<String, String> {
        match self.find_user_by_name(identity_store_id, login) {
            Ok(id) => Ok(id),
            Err(not_found) if login.contains('@') && not_found.contains("not found") => {
                self.find_user_by_email(identity_store_id, login)
            }
            Err(e) => Err(e),
        }
    }

    /// sso-admin ListAccountAssignments for (account, permission set).
    pub fn list_account_assignments(
        &self,
        instance_arn: &str,
        account_id: &str,
        permission_set_arn: &str,
    ) -> Result<Vec<Principal>, String> {
        let input = json!({"InstanceArn": instance_arn, "AccountId": account_id, "PermissionSetArn": permission_set_arn});
        let list = self.paged(
            SSO_ADMIN,
            SSO,
            "ListAccountAssignments",
            input,
            "AccountAssignments",
        )?;
        Ok(list
            .iter()
            .map(|a| Principal {
                principal_type: text(a, "PrincipalType"),
                principal_id: text(a, "PrincipalId"),
            })
            .collect())
    }

    fn is_assigned(&self, a: &Assignment) -> Result<bool, String> {
        Ok(self
            .list_account_assignments(a.instance_arn, a.account_id, a.permission_set_arn)?
            .iter()
            .any(|p| p.principal_type == "USER" && p.principal_id == a.user_id))
    }

    /// sso-admin DescribePermissionSet, with "no such permission set" in words.
    pub fn describe_permission_set(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<PermissionSet, String> {
        let input = json!({"InstanceArn": instance_arn, "PermissionSetArn": permission_set_arn});
        match self.json(SSO_ADMIN, SSO, "DescribePermissionSet", &input) {
            Ok(answer) => {
                let p = &answer["PermissionSet"];
                Ok(PermissionSet {
                    arn: text(p, "PermissionSetArn"),
                    name: text(p, "Name"),
                    description: text(p, "Description"),
                    session_duration: text(p, "SessionDuration"),
                })
            }
            Err(e) if e.code() == Some("ResourceNotFoundException") => Err(format!(
                "permission set {permission_set_arn} does not exist in IAM Identity Center \
                 (deleted or never created in instance {instance_arn})"
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// sso-admin ListPermissionSets with each one's name (DescribePermissionSet).
    pub fn list_permission_sets(&self, instance_arn: &str) -> Result<Vec<PermissionSet>, String> {
        self.permission_set_arns(instance_arn)?
            .iter()
            .map(|arn| self.describe_permission_set(instance_arn, arn))
            .collect()
    }

    /// sso-admin ListPermissionSets: their ARNs.
    pub fn permission_set_arns(&self, instance_arn: &str) -> Result<Vec<String>, String> {
        let arns = self.paged(
            SSO_ADMIN,
            SSO,
            "ListPermissionSets",
            json!({"InstanceArn": instance_arn}),
            "PermissionSets",
        )?;
        Ok(arns
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect())
    }

    /// sso-admin ListAccountsForProvisionedPermissionSet: account ids.
    pub fn list_accounts_for_permission_set(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<Vec<String>, String> {
        let input = json!({"InstanceArn": instance_arn, "PermissionSetArn": permission_set_arn});
        let ids = self.paged(
            SSO_ADMIN,
            SSO,
            "ListAccountsForProvisionedPermissionSet",
            input,
            "AccountIds",
        )?;
        Ok(ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect())
    }

    /// Organizations ListAccounts (the management or a delegated account only).
    pub fn list_accounts(&self) -> Result<Vec<Account>, String> {
        let list = self.paged(ORGANIZATIONS, ORGS, "ListAccounts", json!({}), "Accounts")?;
        Ok(list
            .iter()
            .map(|a| Account {
                id: text(a, "Id"),
                name: text(a, "Name"),
                email: text(a, "Email"),
                status: text(a, "Status"),
            })
            .collect())
    }

    /// Give the user the permission set in the account and wait until
    /// Identity Center has done it. Already assigned counts as done.
    pub fn create_account_assignment(
        &self,
        a: &Assignment,
        polling: Polling,
    ) -> Result<(), String> {
        let deadline = Instant::now() + polling.deadline;
        if self.is_assigned(a)? {
            return Ok(());
        }
        // Identity Center would fail the request later (moto not at all).
        self.describe_permission_set(a.instance_arn, a.permission_set_arn)?;
        self.assignment_operation(a, polling, deadline, true)
    }

    /// Take the permission set from the user in the account and wait until
    /// it is gone. Not assigned counts as done.
    pub fn delete_account_assignment(
        &self,
        a: &Assignment,
        polling: Polling,
    ) -> Result<(), String> {
        let deadline = Instant::now() + polling.deadline;
        if !self.is_assigned(a)? {
            return Ok(());
        }
        self.assignment_operation(a, polling, deadline, false)
    }

    fn assignment_operation(
        &self,
        a: &Assignment,
        polling: Polling,
        deadline: Instant,
        create: bool,
    ) -> Result<(), String> {
        let (action, describe, status_key, id_key, verb) = if create {
            (
                "CreateAccountAssignment",
                "DescribeAccountAssignmentCreationStatus",
                "AccountAssignmentCreationStatus",
                "AccountAssignmentCreationRequestId",
                "assigning",
            )
        } else {
            (
                "DeleteAccountAssignment",
                "DescribeAccountAssignmentDeletionStatus",
                "AccountAssignmentDeletionStatus",
                "AccountAssignmentDeletionRequestId",
                "removing",
            )
        };
        let what = format!(
            "{verb} permission set {} to user {} in account {}",
            a.permission_set_arn, a.user_id, a.account_id
        );
        let input = json!({
            "InstanceArn": a.instance_arn,
            "TargetId": a.account_id,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": a.permission_set_arn,
            "PrincipalType": "USER",
            "PrincipalId": a.user_id,
        });
        let mut status = loop {
            match self.json(SSO_ADMIN, SSO, action, &input) {
                Ok(answer) => break answer[status_key].clone(),
                Err(e) if !create && e.code() == Some("ResourceNotFoundException") => return Ok(()),
                Err(e) if e.is_retryable() && Instant::now() + polling.interval < deadline => {
                    std::thread::sleep(polling.interval)
                }
                Err(e) => return Err(format!("{what}: {e}")),
            }
        };
        loop {
            match text(&status, "Status").as_str() {
                "SUCCEEDED" => return Ok(()),
                "FAILED" => {
                    let reason = text(&status, "FailureReason");
                    return Err(format!("IAM Identity Center failed {what}: {reason}"));
                }
                _ => {}
            }
            if Instant::now() + polling.interval > deadline {
                return Err(format!(
                    "IAM Identity Center had not finished {what} after {} seconds",
                    polling.deadline.as_secs()
                ));
            }
            std::thread::sleep(polling.interval);
            let request_id = text(&status, "RequestId");
            let poll = json!({"InstanceArn": a.instance_arn, id_key: request_id});
            status = match self.json(SSO_ADMIN, SSO, describe, &poll) {
                Ok(answer) => answer[status_key].clone(),
                Err(e) if e.is_retryable() => status,
                Err(e) => return Err(format!("{what}: {e}")),
            };
        }
    }
}
