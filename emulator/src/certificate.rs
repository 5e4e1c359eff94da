//! Client certificates: [`TestCertificate`], a fresh self-signed RSA
//! certificate to register on an app and sign client assertions with, and
//! what the token endpoint needs from a registered one, its thumbprints and
//! its RSA public key.
//!
//! ring verifies RS256 but cannot make RSA keys, so the `rsa` crate makes
//! the key and rcgen (on ring) signs the certificate with it.

use std::fmt;

use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
use rsa::rand_core::OsRng;
use rsa::RsaPrivateKey;

use crate::text::b64url;

/// An RSA-2048 key and a self-signed certificate for it, as an app's
/// certificate credential: register [`TestCertificate::cert_der`] with
/// [`World::with_app_certificate`](crate::World::with_app_certificate) and
/// sign client assertions with [`TestCertificate::key_pem`].
#[derive(Clone, PartialEq, Eq)]
pub struct TestCertificate {
    /// The certificate, PEM (`CERTIFICATE`).
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM (`PRIVATE KEY`), unencrypted.
    pub key_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
}

impl fmt::Debug for TestCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCertificate")
            .field("x5t", &self.x5t())
            .finish_non_exhaustive()
    }
}

impl TestCertificate {
    /// A new key and a certificate with subject `CN={common_name}`, valid
    /// from 2024 to 2099.
    ///
    /// # Panics
    ///
    /// If the system's random number generator fails, or `common_name` is
    /// not a valid subject: a test-setup failure, not request input.
    pub fn generate(common_name: &str) -> TestCertificate {
        let key = RsaPrivateKey::new(&mut OsRng, 2048)
            .unwrap_or_else(|e| panic!("generating an RSA key: {e}"));
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|e| panic!("encoding the RSA key: {e}"))
            .to_string();
        let key_pair = rcgen::KeyPair::from_pem(&key_pem)
            .unwrap_or_else(|e| panic!("loading the RSA key: {e}"));
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap_or_else(|e| panic!("certificate parameters: {e}"));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2099, 12, 31);
        let cert = params
            .self_signed(&key_pair)
            .unwrap_or_else(|e| panic!("self-signing the certificate: {e}"));
        TestCertificate {
            cert_pem: cert.pem(),
            key_pem,
            cert_der: cert.der().to_vec(),
        }
    }

    /// The `x5t` header of assertions signed with it: base64url SHA-1 of the DER.
    pub fn x5t(&self) -> String {
        b64url(&sha1(&self.cert_der))
    }

    /// The `x5t#S256` header: base64url SHA-256 of the DER.
    pub fn x5t_s256(&self) -> String {
        b64url(&sha256(&self.cert_der))
    }

    /// The thumbprint as Entra shows it: uppercase hex SHA-1 of the DER.
    pub fn thumbprint(&self) -> String {
        hex_upper(&sha1(&self.cert_der))
    }
}

pub(crate) fn sha1(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .to_vec()
}

pub(crate) fn sha256(der: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .to_vec()
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// DER of the `rsaEncryption` algorithm identifier's OID, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// The `RSAPublicKey` (PKCS#1 DER, what ring verifies with) of an X.509
/// certificate's subject public key, or `None` when the DER is not a
/// certificate or its key is not RSA.
///
/// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
/// OPTIONAL, serialNumber, signature, issuer, validity, subject,
/// subjectPublicKeyInfo SEQUENCE { algorithm SEQUENCE, BIT STRING }, ... } ... }`
pub(crate) fn rsa_public_key(cert_der: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = expect(cert_der, 0x30)?;
    let (mut tbs, _) = expect(certificate, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = read(tbs)?.2;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        tbs = read(tbs)?.2;
    }
    let (spki, _) = expect(tbs, 0x30)?;
    let (algorithm, rest) = expect(spki, 0x30)?;
    if !algorithm.starts_with(&RSA_ENCRYPTION) {
        return None;
    }
    let (bits, _) = expect(rest, 0x03)?;
    // The first content byte counts unused bits, none for a DER key.
    bits.strip_prefix(&[0])
}

/// The content of the element at the start of `der` if its tag is `tag`,
/// and what follows it.
fn expect(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = read(der)?;
    (found == tag).then_some((content, rest))
}

/// The tag, content and what follows of the element at the start of `der`
/// (single-byte tags, definite lengths: all DER certificates use).
fn read(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b))
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_and_refuses_truncation() {
        assert_eq!(
            read(&[0x04, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0, 256));
        assert_eq!(read(&long).map(|(_, c, _)| c.len()), Some(256));
        assert_eq!(read(&[0x04, 0x02, 0xaa]), None);
        assert_eq!(read(&[0x04, 0x80]), None);
        assert_eq!(read(&[0x04]), None);
    }

    #[test]
    fn finds_the_rsa_key_of_a_test_certificate() {
        let cert = TestCertificate::generate("adxconn test");
        let key_der = rustls::pki_types::pem::PemObject::from_pem_slice(cert.key_pem.as_bytes())
            .map(|k: rustls::pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
        let key = ring::rsa::KeyPair::from_pkcs8(&key_der).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rsa_public_key(&cert.cert_der), Some(key.public().as_ref()));
        assert_eq!(cert.x5t().len(), 27);
        assert_eq!(cert.x5t_s256().len(), 43);
        assert_eq!(cert.thumbprint().len(), 40);
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn finds_no_rsa_key_where_there_is_none() {
        assert_eq!(rsa_public_key(&[]), None);
        assert_eq!(rsa_public_key(&[0x30, 0x00]), None);
        // An ECDSA certificate.
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let cert = rcgen::CertificateParams::new(vec!["x".to_owned()])
            .and_then(|p| p.self_signed(&key))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rsa_public_key(cert.der()), None);
    }
}
