//! A real browser for the web app's tests: Debian's chromedriver started on a free loopback
//! port, and a W3C WebDriver session of headless Chromium driven over it with plain HTTP and
//! JSON (no client crate: the few commands the tests need).

use crate::http::request;
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver, stopped when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    /// chromedriver on a free port of 127.0.0.1 (it listens on loopback only when no
    /// `--allowed-ips` is given); `None` when it is not installed.
    pub fn start() -> Option<Driver> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let driver = Driver { child, addr };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if std::net::TcpStream::connect(addr).is_ok() {
                let status = request(addr, "GET", "/status", &[], b"");
                if status.body.contains("\"ready\":true") {
                    return Some(driver);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not become ready on {addr}");
    }

    /// A new headless session, its pages in `lang`; `scripts: false` turns JavaScript off.
    pub fn session(&self, lang: &str, scripts: bool) -> Session<'_> {
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-gpu".to_string(),
            "--window-size=1280,900".to_string(),
            format!("--lang={lang}"),
        ];
        if !scripts {
            args.push("--blink-settings=scriptEnabled=false".to_string());
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let answer = call(self.addr, "POST", "/session", &caps);
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        Session { driver: self, id }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session, deleted when dropped.
#[derive(Debug)]
pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

fn call(addr: SocketAddr, method: &str, path: &str, body: &Value) -> Value {
    // A GET has no body: chromedriver reads `null` as a command without its parameters.
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let answer = request(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let v: Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", answer.body));
    if answer.status != 200 {
        panic!("{method} {path}: {} {v}", answer.status);
    }
    v["value"].clone()
}

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        call(
            self.driver.addr,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", &json!({ "url": url }));
    }

    /// The elements `css` selects, in document order.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call(
            "POST",
            "/elements",
            &json!({"using": "css selector", "value": css}),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element `css` selects.
    pub fn find(&self, css: &str) -> String {
        self.find_all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element {css} on {}", self.url()))
    }

    /// Waits up to `limit` for an element `css` selects.
    pub fn wait_for(&self, css: &str, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if !self.find_all(css).is_empty() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.call(
            "GET",
            &format!("/element/{element}/attribute/{name}"),
            &Value::Null,
        )
        .as_str()
        .map(str::to_string)
    }

    pub fn text(&self, element: &str) -> String {
        self.call("GET", &format!("/element/{element}/text"), &Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Types `text` into `element` (after what it holds).
    pub fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            &json!({ "text": text }),
        );
    }

    pub fn click(&self, element: &str) {
        self.call("POST", &format!("/element/{element}/click"), &json!({}));
    }

    /// The page's HTML as the browser has it now.
    pub fn source(&self) -> String {
        self.call("GET", "/source", &Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", &Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` in the page and gives its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            &json!({"script": script, "args": []}),
        )
    }

    /// The window's size in CSS pixels.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            &json!({"width": width, "height": height}),
        );
    }

    /// A screenshot of the viewport, written to `path` as PNG.
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.call("GET", "/screenshot", &Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = request(
            self.driver.addr,
            "DELETE",
            &format!("/session/{}", self.id),
            &[],
            b"",
        );
    }
}
