//! What a BIMI logo and mark certificate say about themselves, read from the bytes fetched:
//! the `<svg>` root's profile attributes, and the leaf certificate's names, dates and the
//! logo it embeds (RFC 3709 logotype extension). Whether they are good enough is for the
//! rules to say.

use base64::Engine;
use maildoc_model::domain::{MarkCertificate, SvgFacts};
use quick_xml::events::{BytesStart, Event};
use rustls::pki_types::{CertificateDer, UnixTime};
use std::io::Read;

/// The roots of the Mark Verifying Authorities (data/SOURCE.md).
const MVA_ROOTS: &str = include_str!("../data/mark-verifying-authorities.pem");
/// id-kp-BrandIndicatorforMessageIdentification (1.3.6.1.5.5.7.3.31), the OID's DER value.
const BIMI_EKU: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x1f];

/// Whether a mark certificate (`leaf`, read as `parsed`, with its `intermediates`) chains
/// to a Mark Verifying Authority's root or one of `extra_roots`, for the BIMI key usage, at
/// `at_unix`; why not, otherwise.
fn issuer_check(
    leaf: &CertificateDer<'_>,
    parsed: &x509_parser::certificate::X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    extra_roots: &[CertificateDer<'static>],
    at_unix: u64,
) -> Result<(), String> {
    let roots: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut MVA_ROOTS.as_bytes())
        .filter_map(Result::ok)
        .chain(extra_roots.iter().cloned())
        .collect();
    let anchors: Vec<_> = roots
        .iter()
        .filter_map(|r| webpki::anchor_from_trusted_cert(r).ok())
        .collect();
    // The leaf must name the BIMI usage; intermediates may leave usages out (webpki's
    // "required" would ask it of every certificate on the path).
    let bimi_usage = parsed
        .extended_key_usage()
        .ok()
        .flatten()
        .is_some_and(|eku| {
            eku.value
                .other
                .iter()
                .any(|oid| oid.to_id_string() == "1.3.6.1.5.5.7.3.31")
        });
    if !bimi_usage {
        return Err("it lacks the BIMI extended key usage".into());
    }
    let leaf = webpki::EndEntityCert::try_from(leaf).map_err(|e| format!("{e:?}"))?;
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        intermediates,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(at_unix)),
        webpki::KeyUsage::required_if_present(BIMI_EKU),
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| match e {
        webpki::Error::UnknownIssuer => "its chain leads to no Mark Verifying Authority".into(),
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "an intermediate certificate does not allow the BIMI usage".into()
        }
        other => format!("{other:?}"),
    })
}

/// The logotype extension (RFC 3709, id-pe-logotype).
const LOGOTYPE_OID: &str = "1.3.6.1.5.5.7.1.12";
/// The most a gzip-compressed logo may unpack to (BIMI logos are at most 32 KB).
const MAX_LOGO: u64 = 1024 * 1024;

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let found = e.try_get_attribute(name).ok()??;
    found
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .ok()
        .map(|v| v.into_owned())
}

/// The root `<svg>` element's version, baseProfile and x/y, and whether a `<title>` is
/// among its children. An error when the document is not XML or its root is not `<svg>`.
pub fn svg_facts(bytes: &[u8]) -> Result<SvgFacts, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut facts: Option<SvgFacts> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("not XML: {e} at byte {}", reader.error_position()))?;
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if depth == 0 => {
                let name = e.local_name().as_ref().to_string();
                if name != "svg" {
                    return Err(format!("the root element is <{name}>, not <svg>"));
                }
                facts = Some(SvgFacts {
                    version: attr(&e, "version"),
                    base_profile: attr(&e, "baseProfile"),
                    has_title: false,
                    root_position: attr(&e, "x").is_some() || attr(&e, "y").is_some(),
                });
                if !opens {
                    break;
                }
                depth = 1;
            }
            Event::Start(e) | Event::Empty(e) => {
                if depth == 1
                    && e.local_name().as_ref() == "title"
                    && let Some(f) = facts.as_mut()
                {
                    f.has_title = true;
                }
                if opens {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    facts.ok_or_else(|| "no root element".to_string())
}

/// The subject attributes the VMC requirements speak of, by OID, with their names there.
const SUBJECT_FIELDS: &[(&str, &str)] = &[
    ("2.5.4.3", "commonName"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "countryName"),
    ("2.5.4.7", "localityName"),
    ("2.5.4.8", "stateOrProvinceName"),
    ("2.5.4.9", "streetAddress"),
    ("2.5.4.10", "organizationName"),
    ("2.5.4.11", "organizationalUnitName"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.97", "organizationIdentifier"),
    (
        "1.3.6.1.4.1.311.60.2.1.1",
        "jurisdictionOfIncorporationLocalityName",
    ),
    (
        "1.3.6.1.4.1.311.60.2.1.2",
        "jurisdictionOfIncorporationStateOrProvinceName",
    ),
    (
        "1.3.6.1.4.1.311.60.2.1.3",
        "jurisdictionOfIncorporationCountryName",
    ),
    ("1.3.6.1.4.1.53087.1.2", "trademarkOfficeName"),
    ("1.3.6.1.4.1.53087.1.3", "trademarkCountryOrRegionName"),
    ("1.3.6.1.4.1.53087.1.4", "trademarkIdentifier"),
    ("1.3.6.1.4.1.53087.1.5", "legalEntityIdentifier"),
    ("1.3.6.1.4.1.53087.1.6", "wordMark"),
    ("1.3.6.1.4.1.53087.1.13", "markType"),
    ("1.3.6.1.4.1.53087.3.2", "statuteCountryName"),
    ("1.3.6.1.4.1.53087.3.3", "statuteStateOrProvinceName"),
    ("1.3.6.1.4.1.53087.3.4", "statuteLocalityName"),
    ("1.3.6.1.4.1.53087.3.5", "statuteCitation"),
    ("1.3.6.1.4.1.53087.3.6", "statuteURL"),
    ("1.3.6.1.4.1.53087.5.1", "priorUseMarkSourceURL"),
];

/// Reads a mark certificate file fetched from `url` (the leaf first, then intermediates):
/// the leaf's facts, the logo its logotype extension embeds, its subject fields, and whether
/// it chains to a Mark Verifying Authority (or one of `extra_roots`) for the BIMI usage. The
/// chain is judged at `now_unix` moved into the leaf's validity, so that an expired
/// certificate reads as expired (the rules' business), not as untrusted. A file that is not
/// a certificate leaves `leaf` empty and says why in `detail`.
pub fn mark_certificate(
    url: &str,
    pem: &[u8],
    extra_roots: &[CertificateDer<'static>],
    now_unix: u64,
) -> MarkCertificate {
    let mut cert = MarkCertificate {
        fetched: true,
        ..MarkCertificate::not_fetched(url, String::new())
    };
    if let Err(e) = read_mark(&mut cert, pem, extra_roots, now_unix) {
        cert.detail = e;
    }
    cert
}

fn read_mark(
    cert: &mut MarkCertificate,
    pem: &[u8],
    extra_roots: &[CertificateDer<'static>],
    now_unix: u64,
) -> Result<(), String> {
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not PEM: {e}"))?;
    let (der, intermediates) = certs
        .split_first()
        .ok_or_else(|| "no PEM certificate in the file".to_string())?;
    let leaf = crate::cert::describe(der.as_ref()).ok_or("not a certificate")?;
    let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref())
        .map_err(|e| format!("not a certificate: {e}"))?;
    let logotype = parsed
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == LOGOTYPE_OID);
    cert.logotype = logotype.is_some();
    cert.logo_sha256 = logotype
        .and_then(|e| embedded_logo(e.value))
        .map(|svg| sha256_hex(&svg));
    for attr in parsed.subject().iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        let name = SUBJECT_FIELDS
            .iter()
            .find(|(o, _)| *o == oid)
            .map_or(oid.clone(), |(_, n)| (*n).to_string());
        if name == "markType" {
            cert.mark_type = attr.as_str().ok().map(str::to_string);
        }
        cert.subject_fields.push(name);
    }
    cert.extensions = parsed
        .extensions()
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect();
    let now = i64::try_from(now_unix).unwrap_or(i64::MAX);
    let at = now.clamp(
        leaf.not_before_unix,
        leaf.not_after_unix.max(leaf.not_before_unix),
    );
    let issuer = issuer_check(
        der,
        &parsed,
        intermediates,
        extra_roots,
        u64::try_from(at).unwrap_or_default(),
    );
    cert.issuer_verified = issuer.is_ok();
    cert.issuer_detail = issuer.err().unwrap_or_default();
    cert.leaf = Some(leaf);
    Ok(())
}

/// The SVG in a logotype extension: the `data:image/svg+xml;base64,` URL in its bytes,
/// decoded, and unpacked when gzip-compressed (as mark certificates store it).
fn embedded_logo(ext: &[u8]) -> Option<Vec<u8>> {
    const MARKER: &[u8] = b"data:image/svg+xml;base64,";
    let at = ext.windows(MARKER.len()).position(|w| w == MARKER)?;
    let encoded: Vec<u8> = ext[at + MARKER.len()..]
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    let data = base64::engine::general_purpose::STANDARD
        .decode(&encoded)
        .ok()?;
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&data[..])
            .take(MAX_LOGO)
            .read_to_end(&mut out)
            .ok()?;
        Some(out)
    } else {
        Some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_tiny_ps_facts() {
        let ok = br#"<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 10 10">
  <title>Example</title><g><title>not the root's</title></g>
</svg>"#;
        assert_eq!(
            svg_facts(ok),
            Ok(SvgFacts {
                version: Some("1.2".into()),
                base_profile: Some("tiny-ps".into()),
                has_title: true,
                root_position: false,
            })
        );
        let bad = br#"<svg version="1.1" x="0" y="0"><g><title>deep</title></g></svg>"#;
        let f = svg_facts(bad).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.base_profile, None);
        assert!(!f.has_title, "a title below a child does not count");
        assert!(f.root_position);
        assert!(svg_facts(b"<html><body/></html>").is_err_and(|e| e.contains("<html>")));
        assert!(svg_facts(b"\x89PNG\r\n").is_err());
        assert!(svg_facts(b"").is_err());
    }

    /// A CA and a mark certificate it issues, with or without the BIMI usage: (the file's
    /// PEM, the CA's DER).
    fn issued(bimi_usage: bool) -> (String, CertificateDer<'static>) {
        fn fail<T>(e: rcgen::Error) -> T {
            panic!("{e}")
        }
        let ca_key = rcgen::KeyPair::generate().unwrap_or_else(fail);
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(fail);
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap_or_else(fail);
        let key = rcgen::KeyPair::generate().unwrap_or_else(fail);
        let mut params =
            rcgen::CertificateParams::new(vec!["brand.example".to_string()]).unwrap_or_else(fail);
        if bimi_usage {
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::Other(vec![
                1, 3, 6, 1, 5, 5, 7, 3, 31,
            ])];
        }
        let leaf = params.signed_by(&key, &ca).unwrap_or_else(fail);
        (format!("{}{}", leaf.pem(), ca.pem()), ca.der().clone())
    }

    #[test]
    fn a_mark_certificate_needs_a_known_issuer_and_the_bimi_usage() {
        let now = crate::clock::now_unix();
        let read = |pem: &str, roots: &[CertificateDer<'static>]| {
            mark_certificate("https://brand.example/vmc.pem", pem.as_bytes(), roots, now)
        };
        let (pem, ca) = issued(true);
        let trusted = read(&pem, std::slice::from_ref(&ca));
        assert!(trusted.issuer_verified, "{}", trusted.issuer_detail);
        assert_eq!(
            trusted.leaf.map(|l| l.names),
            Some(vec!["brand.example".to_string()])
        );
        let unknown = read(&pem, &[]);
        assert!(!unknown.issuer_verified);
        assert!(
            unknown
                .issuer_detail
                .contains("no Mark Verifying Authority")
        );
        let (pem, ca) = issued(false);
        let no_usage = read(&pem, &[ca]);
        assert!(no_usage.issuer_detail.contains("BIMI extended key usage"));
        let not_pem = read("not pem", &[]);
        assert!(not_pem.leaf.is_none() && !not_pem.detail.is_empty());
    }

    #[test]
    fn the_logo_inside_a_logotype_extension() {
        let svg = b"<svg version=\"1.2\"/>";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, svg).unwrap_or_default();
        let packed = gz.finish().unwrap_or_default();
        for data in [packed.as_slice(), svg.as_slice()] {
            let mut ext = b"\x30\x82junk data:image/svg+xml;base64,".to_vec();
            ext.extend(
                base64::engine::general_purpose::STANDARD
                    .encode(data)
                    .bytes(),
            );
            ext.extend(b"\x04\x00trailing");
            assert_eq!(embedded_logo(&ext).as_deref(), Some(svg.as_slice()));
        }
        assert_eq!(embedded_logo(b"no marker here"), None);
    }
}
