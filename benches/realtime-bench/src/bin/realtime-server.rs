//! `realtime-server ours|axum PORT`: serves one side of the realtime bench on 127.0.0.1.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (side, port) = match args.as_slice() {
        [side, port] => (side.as_str(), port.parse::<u16>()?),
        _ => return Err("usage: realtime-server ours|axum PORT".into()),
    };
    match side {
        "ours" => realtime_bench::ours().build()?.run("127.0.0.1", port).await,
        "axum" => {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            println!("listening on 127.0.0.1:{port}");
            axum::serve(listener, realtime_bench::plain_axum()).await?;
            Ok(())
        }
        other => Err(format!("the side is ours or axum, not {other}").into()),
    }
}
