//! Making a connection to the server: a bounded wait, errors that say why, and the
//! TLS the URL's options ask for ([`crate::config::database_tls`]), with rustls and
//! ring as the fetcher uses. Every connection (writing, reading, listening) is made
//! here.
//!
//! - `verify-full`: rustls's own checks, against the given authorities.
//! - `verify-ca`: the same, less the host name (a server reached by an address its
//!   certificate does not list).
//! - `require` without authorities: no check of the certificate at all, as libpq
//!   does; the handshake's signatures are still checked, so the session is with
//!   whoever holds the certificate's key.

use std::path::Path;
use std::sync::Arc;

use postgres::{Client, NoTls};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::database_tls::{ClientCert, DatabaseTls, RootCerts, TlsMode};
use crate::store::error::DriverError;

/// How long connecting may take when the URL does not say (`connect_timeout`): the
/// store thread, which every poll waits on, connects again after a lost connection,
/// and a server host that does not answer would otherwise hold it for minutes.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A new client of the server at `url`, with the TLS its options ask for
/// ([`crate::config::database_tls`]), which gives up connecting after
/// [`CONNECT_TIMEOUT`] unless the URL says otherwise. Every connection is made here.
pub(super) fn connect_client(url: &str) -> Result<Client, DriverError> {
    let (driver_url, tls) = crate::config::database_tls::split_tls_options(url, Path::new(""))
        .map_err(DriverError::message)?;
    let mut config: postgres::Config = driver_url.parse().map_err(DriverError::new)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    match connector(&tls).map_err(DriverError::message)? {
        Some(connector) => config.connect(connector),
        None => config.connect(NoTls),
    }
    .map_err(|error| DriverError::message(crate::error_chain(&error)))
}

/// The connector for `tls`, or `None` when the connection is plain.
fn connector(tls: &DatabaseTls) -> Result<Option<MakeRustlsConnect>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let verifying = match (tls.mode, &tls.roots) {
        (TlsMode::Off, _) => return Ok(None),
        (TlsMode::VerifyCa | TlsMode::VerifyFull, None) => {
            return Err("checking the server's certificate needs sslrootcert".into());
        }
        (TlsMode::Encrypt, _) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LaxVerifier {
                chain: None,
                provider,
            })),
        (TlsMode::VerifyFull, Some(roots)) => builder.with_root_certificates(root_store(roots)?),
        (TlsMode::VerifyCa, Some(roots)) => {
            let chain = WebPkiServerVerifier::builder_with_provider(
                Arc::new(root_store(roots)?),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LaxVerifier {
                    chain: Some(chain),
                    provider,
                }))
        }
    };
    let config = match &tls.client {
        None => verifying.with_no_client_auth(),
        Some(client) => {
            let (chain, key) = client_identity(client)?;
            verifying.with_client_auth_cert(chain, key).map_err(|e| {
                format!(
                    "sslkey {} does not fit sslcert {}: {e}",
                    client.key.display(),
                    client.certificate.display()
                )
            })?
        }
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// The certificate chain and private key of `client`; an error names the file.
fn client_identity(
    client: &ClientCert,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = certificates("sslcert", &client.certificate)?;
    let key = PrivateKeyDer::from_pem_file(&client.key).map_err(|e| {
        format!(
            "cannot read a private key from sslkey {}: {e}",
            client.key.display()
        )
    })?;
    Ok((chain, key))
}

/// The authorities `roots` names.
fn root_store(roots: &RootCerts) -> Result<RootCertStore, String> {
    let path = match roots {
        RootCerts::BuiltIn => {
            return Ok(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            });
        }
        RootCerts::File(path) => path,
    };
    let mut store = RootCertStore::empty();
    let (_, refused) = store.add_parsable_certificates(certificates("sslrootcert", path)?);
    if store.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no usable CA certificate ({refused} refused)",
            path.display()
        ));
    }
    Ok(store)
}

/// The certificates of the PEM file at `path`, which `option` names; an error names
/// both, and so does a file that holds none.
fn certificates(option: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {option} {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{option} {shown} is not a PEM file of certificates: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("{option} {shown} holds no certificate"));
    }
    Ok(certificates)
}

/// The certificate checks rustls has no built-in mode for: the chain against
/// `chain`'s authorities whatever host name the certificate is for (`verify-ca`),
/// or, without `chain`, none (`require`). The handshake's signatures are checked
/// either way.
#[derive(Debug)]
struct LaxVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for LaxVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl super::Conn {
    /// `result`, noting whether its error means the connection is lost: closed, an
    /// I/O failure ("error communicating with the server"), or the server ending the
    /// session (SQLSTATE class 57P: shut down, terminated by an administrator).
    pub(super) fn noted<T>(
        &mut self,
        result: Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        if let Err(error) = &result {
            let io = std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>());
            let ended = error
                .as_db_error()
                .is_some_and(|db| db.code().code().starts_with("57P"));
            self.lost |= error.is_closed() || io || ended;
        }
        result
    }
}
