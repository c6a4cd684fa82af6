//! `#[view]`'s error messages, as a user sees them.

#[test]
fn view_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
