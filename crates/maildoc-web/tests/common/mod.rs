//! What the web app's tests share: the app on loopback, and reading the markup contract.

use maildoc_web::Config;
use std::net::SocketAddr;

/// The app on 127.0.0.1 with `config`, on a runtime of its own.
pub fn start(config: Config) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            maildoc_web::serve(listener, config).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The finding codes of a report, sorted.
pub fn codes_of(report: &maildoc_model::Report) -> Vec<String> {
    let mut codes: Vec<String> = report
        .findings
        .iter()
        .map(|f| f.code.as_str().to_string())
        .collect();
    codes.sort();
    codes
}
