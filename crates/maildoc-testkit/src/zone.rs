//! A tiny well-behaved DNS server for tests that need a few real answers without the lab: it
//! answers MX questions for the names it is given (authoritatively, one record each) and
//! NXDOMAIN to everything else. UDP on 127.0.0.1 only.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

/// The DNS type of MX.
const MX: u16 = 15;

/// Starts the server with `mx`: (domain, exchange) pairs. Returns its address. It serves
/// until the test process ends.
pub fn mx_only(mx: &[(&str, &str)]) -> SocketAddr {
    let records: Vec<(String, String)> = mx
        .iter()
        .map(|(d, e)| (d.trim_end_matches('.').to_ascii_lowercase(), e.to_string()))
        .collect();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let addr = socket.local_addr().expect("udp addr");
    let _ = socket.set_read_timeout(Some(Duration::from_secs(120)));
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            if let Some(reply) = answer(&buf[..n], &records) {
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    addr
}

/// The answer to one query, or `None` for what is not a query with one question.
fn answer(query: &[u8], records: &[(String, String)]) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 || query[4..6] != [0, 1] {
        return None;
    }
    let (name, end) = read_name(query, 12)?;
    let qtype = u16::from_be_bytes([*query.get(end)?, *query.get(end + 1)?]);
    let question_end = end + 4;
    if question_end > query.len() {
        return None;
    }
    let mut reply = query[..question_end].to_vec();
    // QR, AA, RD copied; RA. No EDNS: the additional section is dropped.
    reply[2] = 0x84 | (query[2] & 0x01);
    reply[3] = 0x80;
    reply[6..12].fill(0);
    let exchange = records.iter().find(|(d, _)| *d == name).map(|(_, e)| e);
    match exchange {
        None => reply[3] |= 3,
        Some(exchange) if qtype == MX => {
            reply[7] = 1;
            let mut rdata = vec![0, 10];
            rdata.extend(encode_name(exchange));
            // The name by a pointer to the question, MX, IN, TTL 300.
            reply.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 44]);
            reply.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
            reply.extend(rdata);
        }
        // The name exists without records of the type asked for (NODATA).
        Some(_) => {}
    }
    Some(reply)
}

/// The name at `start` (no compression in queries), lower case, and where it ends.
fn read_name(packet: &[u8], start: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut i = start;
    loop {
        let len = usize::from(*packet.get(i)?);
        if len == 0 {
            return Some((labels.join(".").to_ascii_lowercase(), i + 1));
        }
        if len > 63 {
            return None;
        }
        let label = packet.get(i + 1..i + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        i += 1 + len;
    }
}

fn encode_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend(encode_name(name));
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    #[test]
    fn mx_answered_other_names_nxdomain_other_types_nodata() {
        let records = vec![("shop.example".to_string(), "www1.host.example".to_string())];
        let r = answer(&query("Shop.Example", MX), &records).unwrap();
        assert_eq!(&r[..2], &[0x12, 0x34]);
        assert_eq!(r[3] & 0x0f, 0, "NOERROR");
        assert_eq!(r[7], 1, "one answer");
        assert!(r.ends_with(&encode_name("www1.host.example")));
        let r = answer(&query("shop.example", 1), &records).unwrap();
        assert_eq!((r[3] & 0x0f, r[7]), (0, 0), "NODATA");
        let r = answer(&query("other.example", MX), &records).unwrap();
        assert_eq!(r[3] & 0x0f, 3, "NXDOMAIN");
        assert_eq!(answer(&[0; 5], &records), None);
    }
}
