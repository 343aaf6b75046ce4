//! What each connector's own account in the target system needs.

/// What a connector's own account in the target needs: a sentence, and the
/// statements that give exactly that (none for connectors that sign in nowhere).
pub fn least_privilege(connector: &str) -> (&'static str, Option<&'static str>) {
    match connector {
        "postgresql" => (
            "CREATEROLE, to create and drop the grantees' login roles (Test connection checks it), \
             and the right to grant what it hands out: it owns those objects or holds their \
             privileges WITH GRANT OPTION.",
            Some(
                "CREATE ROLE gatehouse LOGIN CREATEROLE PASSWORD '…';\n\
                 -- per schema it may hand out, unless it owns the tables:\n\
                 GRANT ALL ON ALL TABLES IN SCHEMA public TO gatehouse WITH GRANT OPTION;",
            ),
        ),
        "mysql" => (
            "Exactly this (MySQL 8 and MariaDB before 10.5: SUPER instead of CONNECTION ADMIN, to end sessions):",
            Some(
                "CREATE USER 'gatehouse'@'%' IDENTIFIED BY '…';\n\
                 GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO 'gatehouse'@'%';\n\
                 GRANT SELECT ON mysql.user TO 'gatehouse'@'%';\n\
                 GRANT SELECT ON mysql.db TO 'gatehouse'@'%';\n\
                 GRANT SELECT ON mysql.tables_priv TO 'gatehouse'@'%';\n\
                 -- per database it may hand out:\n\
                 GRANT ALL PRIVILEGES ON shop.* TO 'gatehouse'@'%' WITH GRANT OPTION;",
            ),
        ),
        "ldap" => (
            "Read access to the users under Users under, and write access to the membership \
             attribute (member or memberUid) of the groups it manages, nothing else. On Active \
             Directory: Write Members on the managed groups' OU, delegated to the service account. \
             On OpenLDAP:",
            Some(
                "olcAccess: to dn.subtree=\"ou=groups,dc=example,dc=com\" attrs=member,memberUid\n  \
                 by dn.exact=\"cn=gatehouse,ou=services,dc=example,dc=com\" write by * break\n\
                 olcAccess: to dn.subtree=\"ou=people,dc=example,dc=com\"\n  \
                 by dn.exact=\"cn=gatehouse,ou=services,dc=example,dc=com\" read by * break",
            ),
        ),
        "ssh" => (
            "No account on the host: Gatehouse signs certificates, and the host's sshd trusts its CA \
             (the key below, from GET /api/v1/ssh/ca) and reads its revocation list. Keep the list \
             fresh with a timer: sshd refuses every key when the RevokedKeys file is missing.",
            Some(
                "# /etc/ssh/sshd_config\n\
                 TrustedUserCAKeys /etc/ssh/gatehouse_ca.pub\n\
                 RevokedKeys /etc/ssh/gatehouse_revoked.krl\n\
                 # every minute (cron or a systemd timer):\n\
                 curl -fsS https://gatehouse.example.com/api/v1/ssh/revoked-keys -o /etc/ssh/gatehouse_revoked.krl.new \\\n  \
                 && mv /etc/ssh/gatehouse_revoked.krl.new /etc/ssh/gatehouse_revoked.krl",
            ),
        ),
        "aws_identity_center" => (
            "An IAM user or role in the management (or delegated administrator) account with exactly this policy:",
            Some(
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\n  \
                 \"sso:CreateAccountAssignment\", \"sso:DeleteAccountAssignment\",\n  \
                 \"sso:DescribeAccountAssignmentCreationStatus\", \"sso:DescribeAccountAssignmentDeletionStatus\",\n  \
                 \"sso:ListAccountAssignments\", \"sso:ListPermissionSets\", \"sso:DescribePermissionSet\",\n  \
                 \"sso:ListInstances\", \"identitystore:ListUsers\", \"identitystore:GetUserId\",\n  \
                 \"identitystore:DescribeUser\", \"organizations:ListAccounts\",\n  \
                 \"iam:GetSAMLProvider\", \"iam:ListRoles\", \"iam:AttachRolePolicy\", \"iam:CreateRole\",\n  \
                 \"iam:PutRolePolicy\", \"iam:DeleteRolePolicy\", \"iam:DetachRolePolicy\", \"iam:DeleteRole\"],\n  \
                 \"Resource\": \"*\"}]}\n\
                 (the iam: actions are those Identity Center itself needs to create its roles in the account)",
            ),
        ),
        "aws_role" => (
            "An IAM user or role the managed roles trust (sts:AssumeRole in their trust policy), with exactly this policy:",
            Some(
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\n  \
                 \"sts:AssumeRole\", \"iam:GetRole\", \"iam:ListRoles\", \"iam:ListRolePolicies\",\n  \
                 \"iam:PutRolePolicy\", \"iam:DeleteRolePolicy\"],\n  \
                 \"Resource\": \"arn:aws:iam::123456789012:role/gatehouse/*\"}]}",
            ),
        ),
        "webhook" => (
            "Nothing: Gatehouse only sends signed events to your URL; your receiver grants with its own rights.",
            None,
        ),
        "manual" => ("Nothing: the fulfillers grant and remove by hand.", None),
        _ => ("Nothing: the demo connector grants nothing real.", None),
    }
}
