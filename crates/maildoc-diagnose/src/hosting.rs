//! Shared hosting: a certificate made out for the hosting company's server, used under the
//! customer's own name (`mail.example.jp` on a server whose certificate says
//! `sv1234.xserver.jp` or `*.sakura.ne.jp`). Mail apps then warn about the certificate; the
//! fix is to use the hosting company's name for the server, as its manuals say.
//!
//! Hosting companies are recognised by the domains their servers are named under
//! ([`HOSTING_DOMAINS`], a short documented list: extend it when a hoster's customers meet
//! this). Pure: the rule reads only the certificate's names and the host used.

/// Domains under which hosting companies name their shared servers.
pub(crate) const HOSTING_DOMAINS: &[&str] = &[
    // Japan
    "sakura.ne.jp",  // Sakura Internet: <initial domain>.sakura.ne.jp
    "xserver.jp",    // Xserver: sv1234.xserver.jp
    "wpx.ne.jp",     // Xserver's wpX
    "lolipop.jp",    // Lolipop (GMO Pepabo)
    "heteml.jp",     // heteml (GMO Pepabo)
    "conoha.ne.jp",  // ConoHa WING
    "kagoya.net",    // KAGOYA
    "kagoya.jp",     // KAGOYA
    "coreserver.jp", // CORESERVER (Value Domain)
    "xrea.com",      // XREA (Value Domain)
    // Elsewhere
    "secureserver.net",   // GoDaddy
    "bluehost.com",       // Bluehost
    "hostgator.com",      // HostGator
    "websitewelcome.com", // HostGator
    "dreamhost.com",      // DreamHost
    "a2hosting.com",      // A2 Hosting
];

/// What the certificate suggests instead of the host used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HostingName {
    /// The hosting company's domain the certificate names (`xserver.jp`).
    pub(crate) domain: &'static str,
    /// A name from the certificate to use instead: one without `*` when there is one
    /// (`sv1234.xserver.jp`), else the wildcard pattern (`*.sakura.ne.jp`).
    pub(crate) suggestion: String,
}

fn under(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain)
        .is_some_and(|rest| rest.ends_with('.'))
}

/// The hosting company's name in `names` (a certificate's names) when `host` (the name used)
/// is not one of that company's own names.
pub(crate) fn hosting_name(host: &str, names: &[String]) -> Option<HostingName> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let names: Vec<String> = names
        .iter()
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    for &domain in HOSTING_DOMAINS {
        if host == domain || under(&host, domain) {
            // A wrong server of the hoster itself: an ordinary name mismatch.
            continue;
        }
        let concrete = names
            .iter()
            .find(|n| !n.starts_with("*.") && under(n, domain));
        let wildcard = names.iter().find(|n| {
            n.strip_prefix("*.")
                .is_some_and(|rest| rest == domain || under(rest, domain))
        });
        if let Some(name) = concrete.or(wildcard) {
            return Some(HostingName {
                domain,
                suggestion: name.clone(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_concrete_name_is_preferred_to_a_wildcard() {
        let m = hosting_name(
            "mail.example.jp",
            &names(&["*.xserver.jp", "sv1234.xserver.jp", "xserver.jp"]),
        );
        assert_eq!(
            m,
            Some(HostingName {
                domain: "xserver.jp",
                suggestion: "sv1234.xserver.jp".into()
            })
        );
    }

    #[test]
    fn a_wildcard_alone_is_given_as_the_pattern() {
        let m = hosting_name(
            "mail.example.jp",
            &names(&["*.sakura.ne.jp", "sakura.ne.jp"]),
        );
        assert_eq!(
            m.map(|m| (m.domain, m.suggestion)),
            Some(("sakura.ne.jp", "*.sakura.ne.jp".to_string()))
        );
        let m = hosting_name("MAIL.example.jp.", &names(&["*.Lolipop.JP"]));
        assert_eq!(m.map(|m| m.domain), Some("lolipop.jp"));
    }

    #[test]
    fn not_for_other_names_or_the_hosters_own_hosts() {
        // An ordinary mismatch: no hosting company in the certificate.
        assert_eq!(
            hosting_name("mail.example.jp", &names(&["other.example.jp"])),
            None
        );
        // The bare hosting domain is not a server name to suggest.
        assert_eq!(
            hosting_name("mail.example.jp", &names(&["sakura.ne.jp"])),
            None
        );
        // A wrong server number at the hoster itself is a plain mismatch.
        assert_eq!(
            hosting_name("sv999.xserver.jp", &names(&["sv1234.xserver.jp"])),
            None
        );
        // Look-alike domains are not the hoster.
        assert_eq!(
            hosting_name("mail.example.jp", &names(&["*.notsakura.ne.jp"])),
            None
        );
        assert_eq!(
            hosting_name("mail.example.jp", &names(&["sakura.ne.jp.evil.example"])),
            None
        );
        assert_eq!(hosting_name("mail.example.jp", &[]), None);
    }
}
