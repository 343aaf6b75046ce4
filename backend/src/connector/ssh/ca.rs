//! The SSH user CA: its Ed25519 key, the certificates it signs and the
//! revocation list (an OpenSSH KRL) hosts read. The key itself is kept by
//! the store, sealed with the server key.

use rand::Rng;
use ssh_key::{
    Algorithm, Certificate, HashAlg, PrivateKey, PublicKey,
    certificate::{Builder, CertType},
    public::KeyData,
};

/// The comment of the CA's public key line.
const CA_COMMENT: &str = "gatehouse-user-ca";
/// The smallest RSA key accepted, in bits.
const MIN_RSA_BITS: usize = 2048;
/// A public key line longer than this is refused before parsing.
const MAX_KEY_LINE: usize = 16 * 1024;

/// A new CA key.
pub fn generate() -> Result<PrivateKey, String> {
    let mut key = PrivateKey::random(&mut rand::rngs::OsRng, Algorithm::Ed25519)
        .map_err(|error| format!("making the SSH CA key: {error}"))?;
    key.set_comment(CA_COMMENT);
    Ok(key)
}

/// The key as the store seals it (OpenSSH's binary private key format).
pub fn to_bytes(key: &PrivateKey) -> Result<Vec<u8>, String> {
    key.to_bytes()
        .map(|bytes| bytes.to_vec())
        .map_err(|error| format!("encoding the SSH CA key: {error}"))
}

/// The key from what [`to_bytes`] made.
pub fn from_bytes(bytes: &[u8]) -> Result<PrivateKey, String> {
    PrivateKey::from_bytes(bytes).map_err(|error| format!("the stored SSH CA key: {error}"))
}

/// The CA's public key line, for `TrustedUserCAKeys`.
pub fn public_line(key: &PrivateKey) -> Result<String, String> {
    key.public_key()
        .to_openssh()
        .map_err(|error| format!("encoding the SSH CA public key: {error}"))
}

/// A user's public key line (`ssh-ed25519 AAAA… comment`): Ed25519 (also on
/// a security key) or RSA of 2048 bits or more.
pub fn parse_user_key(line: &str) -> Result<PublicKey, String> {
    let line = line.trim();
    if line.len() > MAX_KEY_LINE {
        return Err("The public key is too long.".into());
    }
    let key = PublicKey::from_openssh(line).map_err(|_| {
        "Not an OpenSSH public key line (like `ssh-ed25519 AAAA… you@laptop`, from your .pub file).".to_owned()
    })?;
    match key.key_data() {
        KeyData::Ed25519(_) | KeyData::SkEd25519(_) => Ok(key),
        KeyData::Rsa(rsa)
            if rsa
                .n
                .as_positive_bytes()
                .is_some_and(|n| n.len() * 8 >= MIN_RSA_BITS) =>
        {
            Ok(key)
        }
        _ => Err(format!(
            "{} keys are not accepted: use an Ed25519 key (or RSA of {MIN_RSA_BITS} bits or more).",
            key.algorithm()
        )),
    }
}

/// A key's SHA-256 fingerprint, as `ssh-keygen -l` shows it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// A fresh certificate serial: random, not 0 (a KRL cannot name 0), and
/// below 2^53 so that JSON readers keep it exact.
pub fn new_serial() -> u64 {
    rand::rngs::OsRng.gen_range(1..(1u64 << 53))
}

/// What one certificate says.
#[derive(Debug, Clone)]
pub struct CertificateFacts<'a> {
    pub serial: u64,
    pub key_id: &'a str,
    pub principals: &'a [String],
    /// Unix seconds.
    pub valid_after: u64,
    pub valid_before: u64,
}

/// A user certificate for `subject`, signed by `ca`. It allows a terminal
/// (`permit-pty`) and nothing else: no agent, X11 or port forwarding.
pub fn sign(
    ca: &PrivateKey,
    subject: &PublicKey,
    facts: &CertificateFacts<'_>,
) -> Result<Certificate, String> {
    let fail = |error: ssh_key::Error| format!("signing the SSH certificate: {error}");
    if facts.principals.is_empty() {
        return Err("a certificate must name its logins".into());
    }
    let mut builder = Builder::new_with_random_nonce(
        &mut rand::rngs::OsRng,
        subject.key_data().clone(),
        facts.valid_after,
        facts.valid_before,
    )
    .map_err(fail)?;
    builder
        .serial(facts.serial)
        .map_err(fail)?
        .key_id(facts.key_id)
        .map_err(fail)?
        .cert_type(CertType::User)
        .map_err(fail)?
        .extension("permit-pty", "")
        .map_err(fail)?;
    for principal in facts.principals {
        builder.valid_principal(principal.as_str()).map_err(fail)?;
    }
    builder.sign(ca).map_err(fail)
}

/// An OpenSSH key revocation list (PROTOCOL.krl) revoking `serials` of
/// certificates signed by `ca`: the header, then one KRL_SECTION_CERTIFICATES
/// section with a KRL_SECTION_CERT_SERIAL_LIST. No CA yet, or no serial: a
/// list that revokes nothing.
pub fn krl(ca: Option<&PublicKey>, serials: &[u64], generated_at: u64) -> Result<Vec<u8>, String> {
    const MAGIC: u64 = 0x5353_484b_524c_0a00; // "SSHKRL\n\0"
    const FORMAT_VERSION: u32 = 1;
    const SECTION_CERTIFICATES: u8 = 1;
    const CERT_SERIAL_LIST: u8 = 0x20;

    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC.to_be_bytes());
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    // krl_version: the time it was made, so a newer list has a larger one.
    out.extend_from_slice(&generated_at.to_be_bytes());
    out.extend_from_slice(&generated_at.to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes()); // flags
    put_string(&mut out, b""); // reserved
    put_string(
        &mut out,
        b"Gatehouse: certificates of access that has ended",
    );
    let mut serials: Vec<u64> = serials.iter().copied().filter(|s| *s != 0).collect();
    serials.sort_unstable();
    serials.dedup();
    if let (Some(ca), false) = (ca, serials.is_empty()) {
        let blob = ca
            .to_bytes()
            .map_err(|error| format!("encoding the SSH CA public key: {error}"))?;
        let mut section = Vec::new();
        put_string(&mut section, &blob);
        put_string(&mut section, b""); // reserved
        section.push(CERT_SERIAL_LIST);
        let list: Vec<u8> = serials.iter().flat_map(|s| s.to_be_bytes()).collect();
        put_string(&mut section, &list);
        out.push(SECTION_CERTIFICATES);
        put_string(&mut out, &section);
    }
    Ok(out)
}

/// An SSH `string`: a 32-bit big-endian length, then the bytes.
fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_key_survives_sealing_and_signs_certificates_hosts_can_check() {
        let ca = from_bytes(&to_bytes(&generate().unwrap()).unwrap()).unwrap();
        assert!(public_line(&ca).unwrap().starts_with("ssh-ed25519 AAAA"));
        let user = generate().unwrap();
        let subject = parse_user_key(&user.public_key().to_openssh().unwrap()).unwrap();
        let principals = vec!["deploy".to_owned()];
        let cert = sign(
            &ca,
            &subject,
            &CertificateFacts {
                serial: 42,
                key_id: "gatehouse:7:alice",
                principals: &principals,
                valid_after: 1_700_000_000,
                valid_before: 1_700_000_600,
            },
        )
        .unwrap();
        let ca_fingerprint = ca.public_key().fingerprint(HashAlg::Sha256);
        cert.validate_at(1_700_000_300, [&ca_fingerprint]).unwrap();
        assert!(cert.validate_at(1_700_000_601, [&ca_fingerprint]).is_err());
        let other = generate()
            .unwrap()
            .public_key()
            .fingerprint(HashAlg::Sha256);
        assert!(cert.validate_at(1_700_000_300, [&other]).is_err());
        assert_eq!(cert.serial(), 42);
        assert_eq!(cert.valid_principals(), ["deploy"]);
        assert_eq!(cert.key_id(), "gatehouse:7:alice");
        assert!(cert.extensions().contains_key("permit-pty"));
        assert!(!cert.extensions().contains_key("permit-port-forwarding"));
        assert!(
            cert.to_openssh()
                .unwrap()
                .starts_with("ssh-ed25519-cert-v01@openssh.com ")
        );
    }

    #[test]
    fn only_good_user_keys_are_accepted() {
        assert!(parse_user_key("not a key").is_err());
        assert!(parse_user_key("ssh-ed25519 AAAA").is_err());
        let rsa = |bits: usize| {
            let n = ssh_key::Mpint::from_positive_bytes(&vec![0xC5; bits / 8]).unwrap();
            let e = ssh_key::Mpint::from_positive_bytes(&[1, 0, 1]).unwrap();
            let data = KeyData::Rsa(ssh_key::public::RsaPublicKey { e, n });
            PublicKey::new(data, "rsa").to_openssh().unwrap()
        };
        assert!(
            parse_user_key(&rsa(1024))
                .unwrap_err()
                .contains("not accepted")
        );
        assert!(parse_user_key(&rsa(2048)).is_ok());
        let ed = generate().unwrap().public_key().to_openssh().unwrap();
        assert!(parse_user_key(&format!("  {ed}\n")).is_ok());
        let serial = new_serial();
        assert!(serial > 0 && serial < 1 << 53);
    }

    #[test]
    fn the_revocation_list_is_laid_out_as_protocol_krl_says() {
        let ca = generate().unwrap();
        let empty = krl(Some(ca.public_key()), &[], 1_700_000_000).unwrap();
        assert_eq!(&empty[..8], b"SSHKRL\n\0");
        assert_eq!(&empty[8..12], &1u32.to_be_bytes());
        let comment_len = u32::from_be_bytes(empty[40..44].try_into().unwrap()) as usize;
        assert_eq!(
            empty.len(),
            44 + comment_len,
            "no section when nothing is revoked"
        );

        let listed = krl(Some(ca.public_key()), &[9, 3, 9], 1_700_000_000).unwrap();
        let rest = &listed[empty.len()..];
        assert_eq!(rest[0], 1, "KRL_SECTION_CERTIFICATES");
        let section_len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let section = &rest[5..];
        assert_eq!(section.len(), section_len);
        let blob = ca.public_key().to_bytes().unwrap();
        assert_eq!(
            u32::from_be_bytes(section[..4].try_into().unwrap()) as usize,
            blob.len()
        );
        assert_eq!(&section[4..4 + blob.len()], blob.as_slice());
        let after = &section[4 + blob.len()..];
        assert_eq!(&after[..4], &0u32.to_be_bytes(), "reserved");
        assert_eq!(after[4], 0x20, "KRL_SECTION_CERT_SERIAL_LIST");
        assert_eq!(&after[5..9], &16u32.to_be_bytes());
        assert_eq!(&after[9..17], &3u64.to_be_bytes());
        assert_eq!(&after[17..25], &9u64.to_be_bytes());
        assert_eq!(after.len(), 25);
    }
}
