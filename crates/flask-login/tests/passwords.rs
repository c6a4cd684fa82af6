//! Password hashes: argon2id round trips, and Werkzeug's hashes (vectors made with Werkzeug
//! 3.1.8's `generate_password_hash`) verify.

use flask_login::{
    check_password_hash, generate_password_hash, hash_password, needs_rehash, verify_password,
};

/// (hash, password) pairs Werkzeug made.
const WERKZEUG: [&str; 3] = [
    "pbkdf2:sha256:1000$cdCRvVnbqAA8rNtt$63d74b40ae93b426c0f7c7cb36098ff78fbdbbfb28396c6a16871bf136baca31",
    "pbkdf2:sha512:1000$PsxLqubCMMgS6E5J$8914544c5da0912fb8f94ef2aae2d49861ca9b06f52f89b1fa09eca7ea58d05707021ec1a30943e22005f98b2e542ce5cf34b5fb067920670728f3232ccf4579",
    "scrypt:16384:8:1$8KFSKxY4yRudK7ot$484b9a99d0f9bf2a67e9c745a2ff717f2a91c44e6b98acc94845bba4c3698ddb7471643f2bb1491d363ba48a1191c2d22f682c874115cfdc935a2399836c1b4b",
];

#[test]
fn werkzeug_hashes_verify() {
    for hash in WERKZEUG {
        assert!(check_password_hash(hash, "correct horse"), "{hash}");
        assert!(!check_password_hash(hash, "correct horsE"), "{hash}");
        assert!(
            needs_rehash(hash),
            "{hash}: moved to argon2id at the next login"
        );
    }
    // One changed hex digit, a changed salt, a truncated hash: no match.
    let tampered = WERKZEUG[0].replace("63d74b40", "63d74b41");
    assert!(!check_password_hash(&tampered, "correct horse"));
    let salted = WERKZEUG[0].replace("cdCRvVnbqAA8rNtt", "cdCRvVnbqAA8rNtu");
    assert!(!check_password_hash(&salted, "correct horse"));
    assert!(!check_password_hash(&WERKZEUG[0][..60], "correct horse"));
}

/// Hashes made with Werkzeug 3.1.8's defaults, what a Flask app of today has stored:
/// `generate_password_hash("correct horse")` (scrypt, n=2**15, r=8, p=1) and
/// `generate_password_hash("correct horse", method="pbkdf2")` (sha256, 1,000,000
/// iterations). Checked against `hashlib.scrypt` / `hashlib.pbkdf2_hmac` with the salt and
/// parameters they name. Two tests so that the two run side by side: in a debug build the
/// pbkdf2 one takes about 20 s, the scrypt one about 6 s.
const WERKZEUG_DEFAULT_SCRYPT: &str = "scrypt:32768:8:1$AQhU07xl8QDFLYbt$d4d0f74a1d94a7c3356e8ed0e81608d70690b3f9c76db61d51a170e26817161b30a5b88960a26b23ab151dd0b7db75340760e89232226aacc059a97696c4afc2";
const WERKZEUG_DEFAULT_PBKDF2: &str = "pbkdf2:sha256:1000000$rbEVXA9l2Cdkf0QS$f216ff77bdb2e0df7e3b999a08cfdde1db51cabc6ca1f1079148ad461c56890e";

#[test]
fn werkzeug_default_scrypt_hash_verifies() {
    let hash = WERKZEUG_DEFAULT_SCRYPT;
    assert!(check_password_hash(hash, "correct horse"));
    assert!(!check_password_hash(hash, "correct horsE"));
    assert!(needs_rehash(hash));
}

#[test]
fn werkzeug_default_pbkdf2_hash_verifies() {
    let hash = WERKZEUG_DEFAULT_PBKDF2;
    assert!(check_password_hash(hash, "correct horse"));
    assert!(!check_password_hash(hash, "correct horsE"));
    assert!(needs_rehash(hash));
}

#[test]
fn argon2id_round_trips_with_a_salt_each_time() {
    let a = generate_password_hash("s3cret ünïcode").unwrap();
    let b = generate_password_hash("s3cret ünïcode").unwrap();
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    assert_ne!(a, b, "a new salt each time");
    assert!(check_password_hash(&a, "s3cret ünïcode"));
    assert!(check_password_hash(&b, "s3cret ünïcode"));
    assert!(!check_password_hash(&a, "s3cret unicode"));
    assert!(!needs_rehash(&a));
    // Weaker argon2 settings, or another algorithm, are rehashed at the next login.
    let weak = "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
    assert!(needs_rehash(weak));
}

/// Hashes made by another implementation (Python's argon2-cffi, the reference C code):
/// every argon2 variant, several parameter sets and output lengths.
#[test]
fn argon2_hashes_made_elsewhere_verify() {
    let vectors = [
        (
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$vWSoMy/UBm7ShOEEO3CVOYYYpe0ltdjB2r2WSXbPFfc",
            "correct horse",
        ),
        (
            "$argon2i$v=19$m=4096,t=3,p=2$YW5vdGhlcnNhbHQxMjM0NQ$IC1P6XUcb/ZBv8piE7aMng4brC8BVCoP8RDdzLlw62I",
            "hunter2",
        ),
        (
            "$argon2d$v=19$m=8192,t=2,p=1$c2hvcnRlcnNhbHQh$jilYs8GEglab9fsUIAQrRA",
            "pässwörd",
        ),
    ];
    for (hash, password) in vectors {
        assert!(check_password_hash(hash, password), "{hash}");
        assert!(!check_password_hash(hash, "wrong"), "{hash}");
        // One changed character of the stored hash no longer matches.
        let tampered = format!("{}A", &hash[..hash.len() - 1]);
        let tampered = if tampered == hash {
            format!("{}B", &hash[..hash.len() - 1])
        } else {
            tampered
        };
        assert!(!check_password_hash(&tampered, password), "{tampered}");
    }
}

#[test]
fn anything_unreadable_never_matches() {
    for hash in [
        "",
        "$",
        "plain",
        "md5$x$y",
        "pbkdf2:sha1:1$a$00",
        "scrypt:3:8:1$a$00",
        "$argon2id$broken",
    ] {
        assert!(!check_password_hash(hash, "anything"), "{hash:?}");
        assert!(needs_rehash(hash), "{hash:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_forms_run_off_the_runtime() {
    let hash = hash_password("correct horse").await.unwrap();
    assert!(verify_password(&hash, "correct horse").await.unwrap());
    assert!(!verify_password(&hash, "wrong").await.unwrap());
    assert!(verify_password(WERKZEUG[2], "correct horse").await.unwrap());
}

/// Many checks at once on a single-threaded runtime: they queue for the hashing threads,
/// and the runtime stays free meanwhile (a timer task keeps ticking).
#[tokio::test(flavor = "current_thread")]
async fn a_burst_of_checks_queues_without_blocking_the_runtime() {
    let hash = hash_password("correct horse").await.unwrap();
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let checks: Vec<_> = (0..12)
        .map(|i| {
            let hash = hash.clone();
            tokio::spawn(async move {
                let password = if i % 2 == 0 { "correct horse" } else { "wrong" };
                verify_password(&hash, password).await.unwrap() == (i % 2 == 0)
            })
        })
        .collect();
    for check in checks {
        assert!(check.await.unwrap());
    }
    ticker.abort();
    // Twelve checks take a good part of a second; the timer ran all along.
    assert!(ticks.load(std::sync::atomic::Ordering::Relaxed) > 20);
}
