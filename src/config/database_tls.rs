//! TLS to a PostgreSQL server, asked for in its URL with libpq's options, so that a
//! URL that works with `psql` works here:
//!
//! - `sslmode`: `disable`, `allow` and `prefer` (the default) connect without TLS;
//!   `require` encrypts without checking the server's certificate (as libpq does,
//!   unless `sslrootcert` is given: then as `verify-ca`); `verify-ca` checks that a
//!   trusted authority signed it; `verify-full` checks that too, and that it names
//!   the host connected to.
//! - `sslrootcert`: a PEM file of the authorities to trust (a managed server's CA
//!   bundle), resolved against the config file's folder when relative; or `system`
//!   for the Mozilla root program's authorities, built in, which implies and allows
//!   only `verify-full` (as in libpq 16 and later). `verify-ca` and
//!   `verify-full` need one: feedbraid runs as a service and reads no home folder,
//!   where libpq would look for `~/.postgresql/root.crt`.
//! - `sslcert` and `sslkey`: PEM files of a client certificate and its key, for a
//!   server that authenticates clients by certificate; resolved like `sslrootcert`.
//!
//! Pure: this reads the options; the PostgreSQL backend connects with them.

use std::path::{Path, PathBuf};

/// How a connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS (`disable`, `allow`, `prefer`).
    Off,
    /// TLS, the certificate unchecked (`require` without `sslrootcert`).
    Encrypt,
    /// TLS with a certificate a trusted authority signed, for any host name.
    VerifyCa,
    /// TLS with a certificate a trusted authority signed for the host connected to.
    VerifyFull,
}

/// The authorities a checked certificate must come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// A PEM file of CA certificates.
    File(PathBuf),
    /// The Mozilla root program's authorities (`sslrootcert=system`).
    BuiltIn,
}

/// The certificate feedbraid shows the server (`sslcert`, `sslkey`), for servers
/// that authenticate clients by certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// A PEM file of the certificate, then any intermediates.
    pub certificate: PathBuf,
    /// A PEM file of its private key.
    pub key: PathBuf,
}

/// The TLS a database URL asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTls {
    pub mode: TlsMode,
    /// Set whenever `mode` checks certificates.
    pub roots: Option<RootCerts>,
    /// Set when the URL names one and TLS is used.
    pub client: Option<ClientCert>,
}

/// The options naming files, resolved against the config file's folder.
const FILE_OPTIONS: [&str; 3] = ["sslrootcert", "sslcert", "sslkey"];

/// The URL's TLS options, and the URL without them, for a driver that knows only
/// `disable`, `prefer` and `require`: `sslmode=require` when TLS is used (so the
/// driver never falls back to plain text), else `sslmode=disable`. A relative
/// `sslrootcert` is resolved against `base` (the config file's folder). The URL's
/// other options are passed on byte for byte.
pub fn split_tls_options(url: &str, base: &Path) -> Result<(String, DatabaseTls), String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    let mut mode_text = None;
    let mut root_text = None;
    let (mut cert_text, mut key_text) = (None, None);
    let mut kept = Vec::new();
    for option in options(&parsed) {
        match option.key.as_str() {
            "sslmode" => mode_text = Some(option.value),
            "sslrootcert" => root_text = Some(option.value),
            "sslcert" => cert_text = Some(option.value),
            "sslkey" => key_text = Some(option.value),
            _ => kept.push(option.raw),
        }
    }
    let client = match (cert_text.as_deref(), key_text.as_deref()) {
        (None, None) => None,
        (Some(certificate), Some(key)) if !certificate.is_empty() && !key.is_empty() => {
            Some(ClientCert {
                certificate: base.join(certificate),
                key: base.join(key),
            })
        }
        _ => {
            return Err(
                "sslcert and sslkey go together: the PEM files of a client certificate and of its key"
                    .into(),
            );
        }
    };
    let roots = match root_text.as_deref() {
        None => None,
        Some("") => {
            return Err(
                "sslrootcert is empty: name a PEM file of CA certificates, or system".into(),
            );
        }
        Some("system") => Some(RootCerts::BuiltIn),
        Some(path) => Some(RootCerts::File(base.join(path))),
    };
    // As libpq (16 and later) has it: the public authorities sign certificates for
    // any name their holder controls, so trusting them without checking the host
    // name checks nothing; `system` therefore means, and allows only, verify-full.
    let default_mode = if roots == Some(RootCerts::BuiltIn) {
        "verify-full"
    } else {
        "prefer"
    };
    let mode_name = mode_text.as_deref().unwrap_or(default_mode);
    if roots == Some(RootCerts::BuiltIn) && mode_name != "verify-full" {
        return Err(format!(
            "sslmode={mode_name} may not be used with sslrootcert=system: the public authorities are trusted for the host name only (use sslmode=verify-full)"
        ));
    }
    let mode = match mode_name {
        "disable" | "allow" | "prefer" => TlsMode::Off,
        "require" if roots.is_some() => TlsMode::VerifyCa,
        "require" => TlsMode::Encrypt,
        "verify-ca" => TlsMode::VerifyCa,
        "verify-full" => TlsMode::VerifyFull,
        other => {
            return Err(format!(
                "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            ));
        }
    };
    if matches!(mode, TlsMode::VerifyCa | TlsMode::VerifyFull) && roots.is_none() {
        return Err(format!(
            "sslmode={} needs sslrootcert: a PEM file of the CA certificates that sign the server's, or sslrootcert=system for the Mozilla root program's",
            mode_text.unwrap_or_default()
        ));
    }
    let driver_mode = if mode == TlsMode::Off {
        "sslmode=disable"
    } else {
        "sslmode=require"
    };
    kept.push(driver_mode.to_string());
    parsed.set_query(Some(&kept.join("&")));
    let roots = if mode == TlsMode::Encrypt {
        None
    } else {
        roots
    };
    let client = if mode == TlsMode::Off { None } else { client };
    Ok((
        parsed.to_string(),
        DatabaseTls {
            mode,
            roots,
            client,
        },
    ))
}

/// `url` with the files its TLS options name (`sslrootcert` unless `system`,
/// `sslcert`, `sslkey`) made absolute against `base`: the URL a config file's folder
/// no longer needs to read. Errors as [`split_tls_options`].
pub fn with_absolute_files(url: &str, base: &Path) -> Result<String, String> {
    split_tls_options(url, base)?;
    let mut parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    let options = options(&parsed);
    let names_a_file = |option: &QueryOption| {
        FILE_OPTIONS.contains(&option.key.as_str())
            && !option.value.is_empty()
            && !(option.key == "sslrootcert" && option.value == "system")
    };
    if !options.iter().any(names_a_file) {
        return Ok(url.to_string());
    }
    let query: Vec<String> = options
        .iter()
        .map(|option| {
            if !names_a_file(option) {
                return option.raw.clone();
            }
            let joined = base.join(&option.value);
            let file = std::path::absolute(&joined).unwrap_or(joined);
            let shown = file.display().to_string();
            let encoded = percent_encoding::utf8_percent_encode(&shown, PATH_IN_QUERY);
            format!("{}={encoded}", option.key)
        })
        .collect();
    parsed.set_query(Some(&query.join("&")));
    Ok(parsed.to_string())
}

/// The files `tls` names, each with the option that names it.
pub fn named_files(tls: &DatabaseTls) -> Vec<(&'static str, &Path)> {
    let mut files = Vec::new();
    if let Some(RootCerts::File(file)) = &tls.roots {
        files.push(("sslrootcert", file.as_path()));
    }
    if let Some(client) = &tls.client {
        files.push(("sslcert", client.certificate.as_path()));
        files.push(("sslkey", client.key.as_path()));
    }
    files
}

/// Replaces the value of a `password=` option of `url`'s query, leaving the other
/// options as written.
pub(super) fn without_password_option(url: &mut url::Url) {
    let options = options(url);
    if options.iter().all(|option| option.key != "password") {
        return;
    }
    let query: Vec<String> = options
        .into_iter()
        .map(|option| match option.key.as_str() {
            "password" => "password=…".to_string(),
            _ => option.raw,
        })
        .collect();
    url.set_query(Some(&query.join("&")));
}

/// What a path written into a query escapes: all but letters, digits and `/._-`, so
/// the path stays readable where the URL is shown (`feedbraid check`, errors).
const PATH_IN_QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'_')
    .remove(b'-');

/// One `key=value` of a URL's query: as written, and percent-decoded as libpq
/// decodes it (a `+` stays a `+`).
struct QueryOption {
    raw: String,
    key: String,
    value: String,
}

fn options(url: &url::Url) -> Vec<QueryOption> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    url.query()
        .unwrap_or("")
        .split('&')
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            let (key, value) = raw.split_once('=').unwrap_or((raw, ""));
            QueryOption {
                raw: raw.to_string(),
                key: decode(key),
                value: decode(value),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Result<(String, DatabaseTls), String> {
        split_tls_options(url, Path::new("/etc/feedbraid"))
    }

    #[test]
    fn without_options_no_tls_is_used_and_other_options_stay() {
        let (url, tls) = split("postgres://u@db.example/news?connect_timeout=5").unwrap();
        assert_eq!(
            url,
            "postgres://u@db.example/news?connect_timeout=5&sslmode=disable"
        );
        assert_eq!(
            tls,
            DatabaseTls {
                mode: TlsMode::Off,
                roots: None,
                client: None,
            }
        );
    }

    #[test]
    fn modes_read_as_libpq_reads_them() {
        let mode = |query: &str| split(&format!("postgres://u@h/d?{query}")).map(|(_, t)| t.mode);
        assert_eq!(mode("sslmode=prefer"), Ok(TlsMode::Off));
        assert_eq!(mode("sslmode=require"), Ok(TlsMode::Encrypt));
        assert_eq!(
            mode("sslmode=require&sslrootcert=ca.pem"),
            Ok(TlsMode::VerifyCa)
        );
        assert_eq!(mode("sslrootcert=system"), Ok(TlsMode::VerifyFull));
        assert_eq!(
            mode("sslmode=verify-ca&sslrootcert=/srv/ca.pem"),
            Ok(TlsMode::VerifyCa)
        );
        assert_eq!(
            mode("sslmode=verify-full&sslrootcert=ca.pem"),
            Ok(TlsMode::VerifyFull)
        );
    }

    #[test]
    fn tls_modes_hand_the_driver_require_and_a_relative_root_file_is_resolved() {
        let (url, tls) =
            split("postgres://u@h/d?sslrootcert=certs/ca.pem&sslmode=verify-full").unwrap();
        assert_eq!(url, "postgres://u@h/d?sslmode=require");
        assert_eq!(
            tls.roots,
            Some(RootCerts::File(PathBuf::from(
                "/etc/feedbraid/certs/ca.pem"
            )))
        );
        let (_, tls) = split("postgres://u@h/d?sslrootcert=/srv/ca.pem&sslmode=verify-ca").unwrap();
        assert_eq!(
            tls.roots,
            Some(RootCerts::File(PathBuf::from("/srv/ca.pem")))
        );
    }

    #[test]
    fn other_options_pass_byte_for_byte_and_paths_are_decoded_as_libpq_does() {
        let (url, tls) = split(
            "postgres://u@h/d?options=-c%20statement_timeout%3D5000&sslmode=verify-ca&sslrootcert=/srv/a+b%20c.pem",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://u@h/d?options=-c%20statement_timeout%3D5000&sslmode=require"
        );
        assert_eq!(
            tls.roots,
            Some(RootCerts::File(PathBuf::from("/srv/a+b c.pem")))
        );
    }

    #[test]
    fn a_relative_root_file_is_written_back_absolute_and_other_urls_stay_as_given() {
        let url =
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=certs/ca%2Bx.pem&connect_timeout=5";
        let absolute = with_absolute_files(url, Path::new("/etc/feedbraid")).unwrap();
        assert_eq!(
            absolute,
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=/etc/feedbraid/certs/ca%2Bx.pem&connect_timeout=5"
        );
        let (_, tls) = split(&absolute).unwrap();
        assert_eq!(
            tls.roots,
            Some(RootCerts::File(PathBuf::from(
                "/etc/feedbraid/certs/ca+x.pem"
            )))
        );
        let plain = "postgres://u@h/d?options=-c%20x%3Dy";
        assert_eq!(
            with_absolute_files(plain, Path::new("/etc")).unwrap(),
            plain
        );
    }

    #[test]
    fn a_client_certificate_is_read_beside_the_config_and_only_with_tls() {
        let url = "postgres://u@h/d?sslmode=verify-full&sslrootcert=ca.pem&sslcert=me.pem&sslkey=keys/me.key";
        let (driver, tls) = split(url).unwrap();
        assert_eq!(driver, "postgres://u@h/d?sslmode=require");
        assert_eq!(
            tls.client,
            Some(ClientCert {
                certificate: PathBuf::from("/etc/feedbraid/me.pem"),
                key: PathBuf::from("/etc/feedbraid/keys/me.key"),
            })
        );
        let files: Vec<&str> = named_files(&tls)
            .iter()
            .map(|(option, _)| *option)
            .collect();
        assert_eq!(files, ["sslrootcert", "sslcert", "sslkey"]);
        let absolute = with_absolute_files(url, Path::new("/etc/feedbraid")).unwrap();
        assert_eq!(
            absolute,
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=/etc/feedbraid/ca.pem&sslcert=/etc/feedbraid/me.pem&sslkey=/etc/feedbraid/keys/me.key"
        );
        let (_, plain) =
            split("postgres://u@h/d?sslmode=disable&sslcert=me.pem&sslkey=me.key").unwrap();
        assert_eq!(plain.client, None);
    }

    #[test]
    fn unknown_modes_and_checks_without_authorities_are_refused() {
        let error = split("postgres://u@h/d?sslmode=verify_full").unwrap_err();
        assert!(
            error.contains("sslmode=verify_full is not one of"),
            "{error}"
        );
        let error = split("postgres://u@h/d?sslmode=verify-full").unwrap_err();
        assert!(error.contains("needs sslrootcert"), "{error}");
        for weak in ["prefer", "require", "verify-ca"] {
            let error = split(&format!(
                "postgres://u@h/d?sslmode={weak}&sslrootcert=system"
            ))
            .unwrap_err();
            assert!(
                error.contains("may not be used with sslrootcert=system"),
                "{error}"
            );
        }
        let error = split("postgres://u@h/d?sslmode=require&sslcert=me.pem").unwrap_err();
        assert!(error.contains("sslcert and sslkey go together"), "{error}");
        let error = split("postgres://u@h/d?sslmode=require&sslrootcert=").unwrap_err();
        assert!(error.contains("sslrootcert is empty"), "{error}");
    }
}
