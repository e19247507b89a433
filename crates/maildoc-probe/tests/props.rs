//! What a BIMI logo and a mark certificate fetched from a domain's server say about
//! themselves, and what a server's certificate says, whatever bytes they are: read or
//! refused, never a panic, and the logo a certificate embeds read up to its limit.

#![allow(clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maildoc_probe::{bimi, cert};
use proptest::prelude::*;
use std::io::Write;
use std::sync::OnceLock;

/// The logotype extension (RFC 3709) as mark certificates carry it: a `data:` URL of the
/// gzip-compressed SVG.
fn logotype(svg: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let packed = gz
        .write_all(svg)
        .and_then(|()| gz.finish())
        .unwrap_or_else(|e| panic!("gzip: {e}"));
    let url = format!("data:image/svg+xml;base64,{}", STANDARD.encode(packed));
    // An IA5String in a few SEQUENCEs, as the real extension nests it.
    let mut out = vec![0x30, 0x82, 0, 0, 0x16, 0x82];
    out.extend_from_slice(&(url.len() as u16).to_be_bytes());
    out.extend_from_slice(url.as_bytes());
    let inner = (out.len() - 4) as u16;
    out[2..4].copy_from_slice(&inner.to_be_bytes());
    out
}

/// A mark certificate with a logotype, issued by a CA of its own: (the leaf's DER, the
/// file as fetched: leaf and CA in PEM).
fn mark(svg: &[u8]) -> (Vec<u8>, String) {
    fn fail<T>(e: rcgen::Error) -> T {
        panic!("{e}")
    }
    let ca_key = rcgen::KeyPair::generate().unwrap_or_else(fail);
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(fail);
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap_or_else(fail);
    let key = rcgen::KeyPair::generate().unwrap_or_else(fail);
    let mut params = rcgen::CertificateParams::new(vec![
        "brand.example".to_string(),
        "*.brand.example".to_string(),
    ])
    .unwrap_or_else(fail);
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 12],
        logotype(svg),
    )];
    let leaf = params.signed_by(&key, &ca).unwrap_or_else(fail);
    (leaf.der().to_vec(), format!("{}{}", leaf.pem(), ca.pem()))
}

const SVG: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps"><title>Brand</title></svg>"#;

fn issued() -> &'static (Vec<u8>, String) {
    static ISSUED: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    ISSUED.get_or_init(|| mark(SVG))
}

/// A PEM block of any bytes.
fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn cut(bytes: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for &(at, how, byte) in edits {
        if how == 2 {
            b.truncate(at % (b.len() + 1));
        } else {
            maildoc_testkit::mutate::edit(&mut b, at, how, byte);
        }
    }
    b
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), 0u8..4, any::<u8>()), 1..6)
}

/// An SVG document as a brand may publish it: (bytes, version, baseProfile, title at the
/// root, x or y on the root).
fn svg() -> impl Strategy<Value = (Vec<u8>, Option<String>, Option<String>, bool, bool)> {
    (
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["1.1", "1.2"])),
        prop::option::of(prop::sample::select(vec!["tiny-ps", "tiny", "full"])),
        prop::option::of(prop::sample::select(vec!["x=\"0\"", "y=\"10\""])),
        (any::<bool>(), any::<bool>(), 0usize..40),
        any::<bool>(),
    )
        .prop_map(
            |(decl, version, profile, position, (title, deep_title, depth), prefixed)| {
                let mut doc = String::new();
                if decl {
                    doc.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- logo -->\n");
                }
                let tag = if prefixed { "s:svg" } else { "svg" };
                doc.push_str(&format!("<{tag} xmlns=\"http://www.w3.org/2000/svg\""));
                if let Some(v) = version {
                    doc.push_str(&format!(" version=\"{v}\""));
                }
                if let Some(p) = profile {
                    doc.push_str(&format!(" baseProfile=\"{p}\""));
                }
                if let Some(p) = position {
                    doc.push_str(&format!(" {p}"));
                }
                doc.push('>');
                doc.push_str(&"<g>".repeat(depth));
                if deep_title {
                    doc.push_str("<title>below</title>");
                }
                doc.push_str(&"</g>".repeat(depth));
                if title {
                    doc.push_str("<title>Brand</title>");
                }
                doc.push_str(&format!("<path d=\"M0 0\"/></{tag}>"));
                let root_title = title || (deep_title && depth == 0);
                (
                    doc.into_bytes(),
                    version.map(str::to_string),
                    profile.map(str::to_string),
                    root_title,
                    position.is_some(),
                )
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// An SVG document reads back its root's facts, a title counting only as the root's
    /// child; cut about or any bytes, it is read or refused without a panic.
    #[test]
    fn svg_logos_read_back((doc, version, base_profile, has_title, root_position) in svg(), e in edits(), junk in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(
            bimi::svg_facts(&doc),
            Ok(maildoc_model::domain::SvgFacts { version, base_profile, has_title, root_position })
        );
        let _ = bimi::svg_facts(&cut(&doc, &e));
        let _ = bimi::svg_facts(&junk);
    }

    /// A certificate cut about, in DER or in a PEM file: described or refused, never a
    /// panic; the mark certificate's reading says why when there is no leaf.
    #[test]
    fn cut_certificates_are_read_or_refused(e in edits(), pem_edits in edits(), now in any::<u64>()) {
        let (der, file) = issued();
        let damaged = cut(der, &e);
        if let Some(info) = cert::describe(&damaged) {
            prop_assert_eq!(info.sha256.len(), 64);
        }
        for file in [pem(&damaged), String::from_utf8_lossy(&cut(file.as_bytes(), &pem_edits)).into_owned()] {
            let m = bimi::mark_certificate("https://brand.example/vmc.pem", file.as_bytes(), &[], now);
            prop_assert!(m.fetched);
            prop_assert!(m.leaf.is_some() || !m.detail.is_empty());
        }
    }

    /// Host names against certificate names: a name covers itself in any case and a
    /// `*.` name one label below it, never two.
    #[test]
    fn certificate_names_cover_hosts(label in "[a-z0-9-]{1,12}", parent in "[a-z0-9]{1,8}\\.(jp|com)", other in any::<String>()) {
        let host = format!("{label}.{parent}");
        prop_assert!(cert::matches_host(std::slice::from_ref(&host), &host.to_ascii_uppercase()));
        let wildcard = vec![format!("*.{parent}")];
        let (dotted, below) = (format!("{host}."), format!("x.{host}"));
        prop_assert!(cert::matches_host(&wildcard, &dotted));
        prop_assert!(!cert::matches_host(&wildcard, &below));
        let _ = cert::matches_host(std::slice::from_ref(&other), &host);
        let _ = cert::matches_host(std::slice::from_ref(&host), &other);
    }
}

/// The mark certificate issued above: its leaf described, its logo found and hashed.
#[test]
fn a_mark_certificate_gives_its_logo() {
    let (der, file) = issued();
    let info = cert::describe(der).unwrap_or_else(|| panic!("not described"));
    assert_eq!(info.names, ["brand.example", "*.brand.example"]);
    let m = bimi::mark_certificate("https://brand.example/vmc.pem", file.as_bytes(), &[], 0);
    assert!(m.logotype);
    assert_eq!(m.logo_sha256, Some(bimi::sha256_hex(SVG)));
}

/// A logotype that unpacks to far more than any logo (a gzip bomb): read up to 1 MiB.
#[test]
fn an_embedded_logo_is_read_up_to_its_limit() {
    let bomb = vec![b' '; 8 << 20];
    let (_, file) = mark(&bomb);
    let m = bimi::mark_certificate("https://brand.example/vmc.pem", file.as_bytes(), &[], 0);
    assert_eq!(m.logo_sha256, Some(bimi::sha256_hex(&bomb[..1 << 20])));
}
