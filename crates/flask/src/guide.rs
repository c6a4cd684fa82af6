// Written by `cargo xtask guides` from docs/: edit the pages there, then run it with --fix.
#![doc = include_str!("../guide/index.md")]

#[doc = include_str!("../guide/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../guide/cli.md")]
pub mod cli {}

#[doc = include_str!("../guide/coming-from-flask.md")]
pub mod coming_from_flask {}

#[doc = include_str!("../guide/cookbook.md")]
pub mod cookbook {}

#[doc = include_str!("../guide/debugging.md")]
pub mod debugging {}

#[doc = include_str!("../guide/deployment.md")]
pub mod deployment {}

#[doc = include_str!("../guide/extensions.md")]
pub mod extensions {}

#[doc = include_str!("../guide/performance.md")]
pub mod performance {}

#[doc = include_str!("../guide/porting.md")]
pub mod porting {}

#[doc = include_str!("../guide/quickstart.md")]
pub mod quickstart {}

#[doc = include_str!("../guide/realtime.md")]
pub mod realtime {}

#[doc = include_str!("../guide/routing.md")]
pub mod routing {}

#[doc = include_str!("../guide/sessions.md")]
pub mod sessions {}

#[doc = include_str!("../guide/spa.md")]
pub mod spa {}

#[doc = include_str!("../guide/static-files.md")]
pub mod static_files {}

#[doc = include_str!("../guide/templates.md")]
pub mod templates {}

#[doc = include_str!("../guide/tutorial.md")]
pub mod tutorial {}
