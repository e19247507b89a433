//! What keeps other web pages from driving this server, which probes with passwords: only the
//! Host names of the listen address are answered (a DNS-rebinding page names its own host), a
//! request that changes anything must come from this server's own pages (Origin and
//! Sec-Fetch-Site) and carry the process's CSRF token, the token of `--token` when one is set,
//! and every answer carries a strict Content-Security-Policy.

use crate::App;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::{IpAddr, SocketAddr};

/// The header a script sends the CSRF token in (forms send the `_csrf` field).
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
const TOKEN_COOKIE: &str = "maildoc_token";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The Host header values answered.
#[derive(Debug)]
pub(crate) struct Hosts {
    port: u16,
    /// The listen address; an unspecified one (0.0.0.0, ::) answers any IP literal.
    ip: IpAddr,
}

impl Hosts {
    pub(crate) fn for_listen(listen: SocketAddr) -> Hosts {
        Hosts {
            port: listen.port(),
            ip: listen.ip(),
        }
    }

    /// Whether `host` (the Host header, `name:port`) is this server: the listen address or,
    /// on loopback, `localhost`; never another name, whatever it resolves to.
    fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse::<u16>().ok() != Some(self.port) {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if name == "localhost" {
            return self.ip.is_loopback() || self.ip.is_unspecified();
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip == self.ip || self.ip.is_unspecified(),
            Err(_) => false,
        }
    }
}

/// 32 random bytes as hex.
pub(crate) fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time that does not depend on where the texts differ.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The guard in front of every route, and the headers after it.
pub(crate) async fn guard(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let lang = crate::lang::of_request(&app, request.headers(), request.uri().query());
    let refuse = |status: StatusCode| {
        let page = maildoc_report::web::message_page(lang, "web-forbidden");
        secured((status, axum::response::Html(page)).into_response())
    };
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return refuse(StatusCode::FORBIDDEN);
    };
    if !app.0.hosts.allows(host) {
        return refuse(StatusCode::FORBIDDEN);
    }
    if let Some(expected) = &app.0.config.token {
        match token_of(&request) {
            Given::Header | Given::Cookie => {}
            Given::Query(t) if same_secret(&t, expected) => {
                // Once from the address bar: kept in a cookie, taken out of the address.
                let cookie = format!("{TOKEN_COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/");
                let mut response = Redirect::to(request.uri().path()).into_response();
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().insert(header::SET_COOKIE, v);
                }
                return secured(response);
            }
            _ => return refuse(StatusCode::UNAUTHORIZED),
        }
        if !token_matches(headers, expected) {
            return refuse(StatusCode::UNAUTHORIZED);
        }
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        if !same_origin(headers, host) {
            return refuse(StatusCode::FORBIDDEN);
        }
        // Scripts send the CSRF token as a header, forms as their `_csrf` field: the body is
        // read here (up to the largest any route takes; each route's own limit still holds)
        // and handed on whole.
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, crate::EXPLAIN_BODY_LIMIT).await else {
            return secured(StatusCode::PAYLOAD_TOO_LARGE.into_response());
        };
        let header = parts.headers.get(CSRF_HEADER).map(HeaderValue::as_bytes);
        if !header
            .or_else(|| form_token(&parts.headers, &bytes))
            .is_some_and(|given| same_secret(&String::from_utf8_lossy(given), &app.0.csrf))
        {
            return refuse(StatusCode::FORBIDDEN);
        }
        request = Request::from_parts(parts, axum::body::Body::from(bytes));
    }
    secured(next.run(request).await)
}

/// The `_csrf` field of a form's body. The token is hex, so its field is never encoded.
fn form_token<'a>(headers: &HeaderMap, body: &'a [u8]) -> Option<&'a [u8]> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    body.split(|b| *b == b'&')
        .find_map(|field| field.strip_prefix(b"_csrf="))
}

/// Where the `--token` came with the request.
enum Given {
    Header,
    Cookie,
    Query(String),
    None,
}

fn token_of(request: &Request) -> Given {
    let headers = request.headers();
    if headers.contains_key(header::AUTHORIZATION) {
        return Given::Header;
    }
    if cookie(headers).is_some() {
        return Given::Cookie;
    }
    let query = request.uri().query().unwrap_or("");
    match query.split('&').find_map(|kv| kv.strip_prefix("token=")) {
        Some(t) if request.method() == Method::GET => Given::Query(t.to_string()),
        _ => Given::None,
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{TOKEN_COOKIE}=")[..]))
}

fn token_matches(headers: &HeaderMap, expected: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer
        .or_else(|| cookie(headers))
        .is_some_and(|t| same_secret(t, expected))
}

/// A request that changes anything comes from this server's own pages: the browser says so
/// with Sec-Fetch-Site, and an Origin, when sent, is this server. A client that sends neither
/// (a script, curl) still needs the CSRF token, which another site's page cannot read.
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.eq_ignore_ascii_case(&format!("http://{host}")),
        None => true,
    }
}

/// `response` with the security headers.
fn secured(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        // Not no-referrer: under it a browser sends `Origin: null` with a form's POST, which
        // the same-origin check must refuse. No other site ever gets a referrer.
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_the_listen_address_is_answered() {
        let loopback = Hosts::for_listen("127.0.0.1:8587".parse().unwrap());
        for ok in ["127.0.0.1:8587", "localhost:8587", "LOCALHOST:8587"] {
            assert!(loopback.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8587",
            "127.0.0.1:80",
            "127.0.0.1",
            "localhost",
            "127.0.0.2:8587",
            "[::1]:8587",
            "127.0.0.1.nip.io:8587",
            "",
        ] {
            assert!(!loopback.allows(bad), "{bad}");
        }
        let v6 = Hosts::for_listen("[::1]:9000".parse().unwrap());
        assert!(v6.allows("[::1]:9000") && v6.allows("localhost:9000"));
        let any = Hosts::for_listen("0.0.0.0:9000".parse().unwrap());
        assert!(any.allows("192.0.2.7:9000") && !any.allows("mail.example:9000"));
        let lan = Hosts::for_listen("192.0.2.7:9000".parse().unwrap());
        assert!(lan.allows("192.0.2.7:9000") && !lan.allows("localhost:9000"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc") && !same_secret("ab", "abc") && !same_secret("", "abc"));
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, random_token());
    }
}
