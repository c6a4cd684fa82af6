// Written by `cargo xtask guides` from docs/: edit the pages there, then run it with --fix.
#![doc = include_str!("../guide/tasks.md")]
