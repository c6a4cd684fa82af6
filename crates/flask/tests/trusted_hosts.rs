//! `TRUSTED_HOSTS` (Flask 3.1) over a real socket: a request naming another host is a 400
//! before routing, and external URLs are built only from a trusted host.

use flask::routing::get;
use flask::{Flask, RequestContext};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[flask::view]
async fn external(ctx: RequestContext) -> Result<String, flask::Error> {
    Ok(ctx.url_for("external").external().build()?)
}

async fn serve(app: Flask) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app.build().unwrap();
    tokio::spawn(app.serve_with_shutdown(listener, std::future::pending()));
    addr
}

/// `GET path` with this `Host` header (none when `None`): status line and body.
async fn get_with_host(
    addr: std::net::SocketAddr,
    path: &str,
    host: Option<&str>,
) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    conn.write_all(format!("GET {path} HTTP/1.1\r\n{host}Connection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test]
async fn only_listed_hosts_and_subdomains_are_served() {
    let addr = serve(
        Flask::new("trusted")
            .configure(|c| {
                c.set(
                    "TRUSTED_HOSTS",
                    ["example.com", ".example.org", "127.0.0.1"],
                );
            })
            .route("/", get(external).endpoint("external")),
    )
    .await;
    for (host, url) in [
        ("example.com", "http://example.com/"),
        ("example.com:8080", "http://example.com:8080/"),
        ("example.org", "http://example.org/"),
        ("a.b.example.org", "http://a.b.example.org/"),
        (&*addr.to_string(), &*format!("http://{addr}/")),
    ] {
        assert_eq!(
            get_with_host(addr, "/", Some(host)).await,
            (200, url.to_owned()),
            "{host}"
        );
    }
    for host in [
        "evil.com",
        "example.com.evil.com",
        "EXAMPLE.COM",
        "notexample.org",
    ] {
        let (status, body) = get_with_host(addr, "/", Some(host)).await;
        assert_eq!(status, 400, "{host}");
        assert!(
            body.contains(&format!("Host &#39;{host}&#39; is not trusted.")),
            "{host}: {body}"
        );
    }
    // Before routing: an unknown path on an untrusted host is a 400, not a 404.
    assert_eq!(
        get_with_host(addr, "/missing", Some("evil.com")).await.0,
        400
    );
    assert_eq!(
        get_with_host(addr, "/missing", Some("example.com")).await.0,
        404
    );
    // No Host header at all is not a trusted host.
    let (status, body) = get_with_host(addr, "/", None).await;
    assert_eq!(status, 400);
    assert!(body.contains("Host &#39;&#39; is not trusted."), "{body}");
}

/// An app-wide hook that sends everyone to a login page on the request's own host, built
/// with `url_for(..).external()`: the kind of link a forged host must never reach.
async fn to_login(ctx: RequestContext) -> Option<flask::Redirect> {
    let url = ctx.url_for("external").external().build().ok()?;
    Some(flask::redirect(format!("{url}login")))
}

#[tokio::test]
async fn an_untrusted_host_reaches_no_hook() {
    let addr = serve(
        Flask::new("trusted-hooks")
            .configure(|c| c.set("TRUSTED_HOSTS", ["example.com"]))
            .before_request(to_login)
            .route("/", get(external).endpoint("external")),
    )
    .await;
    let (status, body) = get_with_host(addr, "/", Some("evil.com")).await;
    assert_eq!(status, 400, "{body}");
    assert!(!body.contains("evil.com/login"), "{body}");
    // A trusted host goes through the hook as usual.
    assert_eq!(get_with_host(addr, "/", Some("example.com")).await.0, 302);
}

#[tokio::test]
async fn without_trusted_hosts_any_host_is_served() {
    let addr = serve(Flask::new("open").route("/", get(external).endpoint("external"))).await;
    assert_eq!(
        get_with_host(addr, "/", Some("anything.test")).await,
        (200, "http://anything.test/".to_owned())
    );
}
