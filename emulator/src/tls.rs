//! The per-instance PKI: a CA certificate (what clients are told to trust),
//! a separate leaf for `127.0.0.1`/`localhost` signed by it (rustls refuses a
//! CA certificate used as a server certificate), and the rustls server config.
//!
//! The same CA also signs the "async operation signing certificate" embedded
//! in status URLs, mirroring the certificate ARM puts in their `c=` parameter.

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::text::random_bytes;

/// What the server needs from the PKI.
pub(crate) struct Pki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
    /// DER of the operation-signing certificate.
    pub signing_cert_der: Vec<u8>,
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("generating the emulator's certificates: {e}"))
}

pub(crate) fn generate() -> io::Result<Pki> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(to_io)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "adxconn emulator CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca_params);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(to_io)?)
        .map_err(to_io)?;

    let leaf_key = KeyPair::generate().map_err(to_io)?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(to_io)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    validity(&mut leaf_params);
    let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(to_io)?;

    let signing_cert_der = signing_certificate(&ca)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(to_io)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(to_io)?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(Pki {
        ca_pem: ca.pem(),
        server_config: Arc::new(server_config),
        signing_cert_der,
    })
}

fn validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 12, 31);
}

/// A certificate about as large as ARM's async-operation signing certificate
/// (about 2 KB of DER, hence about 2.6 KB of base64url in `c=`), so status
/// URLs have the real ones' size. The padding rides in a private extension.
fn signing_certificate(ca: &CertifiedIssuer<'_, KeyPair>) -> io::Result<Vec<u8>> {
    let key = KeyPair::generate().map_err(to_io)?;
    let mut params = CertificateParams::new(vec![
        "asyncoperationsigningcertificate.management.emulator.invalid".to_owned(),
    ])
    .map_err(to_io)?;
    params.distinguished_name.push(
        DnType::CommonName,
        "asyncoperationsigningcertificate.management.emulator.invalid",
    );
    validity(&mut params);
    let padding = random_bytes::<1400>();
    let mut content = vec![0x04, 0x82];
    content.extend_from_slice(&u16::try_from(padding.len()).unwrap_or(0).to_be_bytes());
    content.extend_from_slice(&padding);
    // 1.3.6.1.4.1.311 is Microsoft's arc; .99999 is unassigned.
    params.custom_extensions = vec![CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 311, 99999, 1],
        content,
    )];
    Ok(params.signed_by(&key, ca).map_err(to_io)?.der().to_vec())
}
