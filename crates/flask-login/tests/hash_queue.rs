//! The password-hash queue is bounded: past `PASSWORD_HASH_QUEUE_LIMIT` waiting hashes a
//! login is a 503 with `Retry-After` (never "wrong password"), and logins work again once
//! the burst is over; over real sockets. In a test binary of its own: the hashing threads
//! and the limit are the process's.

use flask::routing::post;
use flask::{Error, Flask, Form};
use flask_login::{LoginManager, UserMixin, generate_password_hash, verify_password_or_dummy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
struct User;

impl UserMixin for User {
    fn get_id(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

fn app(hash: String) -> Flask {
    Flask::new("hash-queue")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("PASSWORD_HASH_QUEUE_LIMIT", 2);
        })
        .extension(LoginManager::<User>::new().user_loader(|_: String| async { Some(User) }))
        .route(
            "/login",
            post(move |Form(f): Form<Credentials>| {
                let hash = hash.clone();
                async move {
                    let stored = (f.name == "ada").then_some(hash.as_str());
                    let ok = verify_password_or_dummy(stored, &f.password).await?;
                    Ok::<_, Error>(if ok { "welcome" } else { "wrong" })
                }
            }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_a_503_with_retry_after_and_logins_work_after_it() {
    let base =
        test_support::http::serve(app(generate_password_hash("pw").unwrap()).build().unwrap())
            .await;
    let attempt = |name: &'static str, password: &'static str| {
        let base = base.clone();
        async move {
            let body = format!("name={name}&password={password}");
            let resp = test_support::http::send(
                &base,
                "POST",
                "/login",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                body.as_bytes(),
            )
            .await
            .unwrap();
            (
                resp.status,
                resp.header("retry-after").map(str::to_owned),
                resp.body,
            )
        }
    };
    // An unknown user and a wrong password are both "wrong" (the dummy hash is checked).
    assert_eq!(attempt("nobody", "pw").await.2, "wrong");
    assert_eq!(attempt("ada", "nope").await.2, "wrong");

    let burst: Vec<_> = (0..24)
        .map(|_| tokio::spawn(attempt("ada", "pw")))
        .collect();
    let mut refused = 0;
    for answer in burst {
        let (status, retry_after, text) = answer.await.unwrap();
        match status {
            200 => assert_eq!(text, "welcome"),
            503 => {
                refused += 1;
                assert_eq!(retry_after.as_deref(), Some("1"));
                assert!(text.contains("Please try again in a moment."), "{text}");
            }
            other => panic!("{other}: {text}"),
        }
    }
    assert!(
        refused > 0,
        "24 logins at once with room for 2 waiting: some are refused"
    );
    assert_eq!(
        attempt("ada", "pw").await,
        (200, None, "welcome".to_owned())
    );
}

#[test]
fn a_zero_limit_does_not_start() {
    let err = Flask::new("zero")
        .configure(|c| {
            c.set("SECRET_KEY", "k");
            c.set("PASSWORD_HASH_QUEUE_LIMIT", 0);
        })
        .extension(LoginManager::<User>::new().user_loader(|_: String| async { Some(User) }))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("PASSWORD_HASH_QUEUE_LIMIT"), "{err}");
}
