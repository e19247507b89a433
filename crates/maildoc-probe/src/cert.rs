//! Certificate facts for the evidence: names, dates, issuer, fingerprint, AIA URLs.

use maildoc_model::CertInfo;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS;

/// Describes one DER certificate; `None` when it does not parse.
pub fn describe(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    let not_before_unix = validity.not_before.timestamp();
    let not_after_unix = validity.not_after.timestamp();
    let mut names: Vec<String> = Vec::new();
    let mut aia_issuers = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(n) => names.push(n.to_ascii_lowercase()),
                        GeneralName::IPAddress(bytes) => {
                            if let Some(ip) = ip_from_bytes(bytes) {
                                names.push(ip);
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in &aia.accessdescs {
                    if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS
                        && let GeneralName::URI(uri) = &desc.access_location
                    {
                        aia_issuers.push(uri.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(|s| s.to_ascii_lowercase()),
        );
    }
    let hex = |alg: &'static ring::digest::Algorithm, data: &[u8]| -> String {
        ring::digest::digest(alg, data)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let spki = cert.tbs_certificate.subject_pki.raw;
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.tbs_certificate.raw_serial_as_string(),
        not_before: rfc3339(not_before_unix),
        not_after: rfc3339(not_after_unix),
        not_before_unix,
        not_after_unix,
        names,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        sha256: hex(&ring::digest::SHA256, der),
        sha512: hex(&ring::digest::SHA512, der),
        spki_sha256: hex(&ring::digest::SHA256, spki),
        spki_sha512: hex(&ring::digest::SHA512, spki),
        aia_issuers,
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().ok()?;
            Some(std::net::Ipv4Addr::from(a).to_string())
        }
        16 => {
            let a: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

/// RFC 3339 in UTC; the number itself when it is out of range.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Whether a certificate's names cover `host` (a `*.` wildcard covers one label).
pub fn matches_host(names: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    names.iter().any(|name| {
        let name = name.trim_end_matches('.');
        if name == host {
            return true;
        }
        match (name.strip_prefix("*."), host.split_once('.')) {
            (Some(suffix), Some((first, rest))) => !first.is_empty() && rest == suffix,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label_only() {
        let names = vec!["*.example.jp".to_string(), "example.jp".to_string()];
        assert!(matches_host(&names, "imap.example.jp"));
        assert!(matches_host(&names, "EXAMPLE.jp."));
        assert!(!matches_host(&names, "a.b.example.jp"));
        assert!(!matches_host(&names, "example.com"));
    }

    #[test]
    fn describes_a_generated_certificate() {
        let ck = rcgen::generate_simple_self_signed(vec!["imap.example.jp".into()])
            .unwrap_or_else(|e| panic!("{e}"));
        let info = describe(ck.cert.der()).unwrap_or_else(|| panic!("no parse"));
        assert_eq!(info.names, vec!["imap.example.jp"]);
        assert!(info.self_signed);
        assert_eq!(info.sha256.len(), 64);
        // The TLSA digests: of the certificate and of its SubjectPublicKeyInfo.
        let hex = |alg, data: &[u8]| -> String {
            ring::digest::digest(alg, data)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let spki = rcgen::PublicKeyData::subject_public_key_info(&ck.signing_key);
        assert_eq!(info.sha512, hex(&ring::digest::SHA512, ck.cert.der()));
        assert_eq!(info.spki_sha256, hex(&ring::digest::SHA256, &spki));
        assert_eq!(info.spki_sha512, hex(&ring::digest::SHA512, &spki));
        assert_ne!(info.spki_sha256, info.sha256);
        assert!(info.not_after_unix > info.not_before_unix);
        assert!(describe(b"not a certificate").is_none());
    }
}
