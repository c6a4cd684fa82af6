//! Pinning servers and wrk to separate CPUs with `taskset`.

use std::path::Path;
use std::process::Command;

use crate::process::find_on_path;

/// Which CPUs the servers and wrk run on, when two can be told apart.
pub(super) struct Pinning {
    cpus: Option<(u32, u32)>,
}

impl Pinning {
    /// The first two CPUs this process may run on, if `taskset` is there to pin with.
    pub(super) fn detect() -> Self {
        if find_on_path("taskset").is_none() {
            return Self { cpus: None };
        }
        let output = Command::new("taskset")
            .args(["-cp", &std::process::id().to_string()])
            .output();
        // "pid 1234's current affinity list: 0,1" or "0-3,6"
        let cpus = output.ok().and_then(|output| {
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            let list = text.rsplit(':').next()?.trim().to_owned();
            let mut cpus = cpu_list(&list).into_iter();
            Some((cpus.next()?, cpus.next()?))
        });
        Self { cpus }
    }

    /// No pinning: the process may run on every CPU.
    pub(super) fn none() -> Self {
        Self { cpus: None }
    }

    pub(super) fn describe(&self) -> String {
        match self.cpus {
            Some((server, wrk)) => {
                format!("servers pinned to CPU {server}, wrk to CPU {wrk} (taskset)")
            }
            None => {
                "not pinned (needs taskset and two CPUs): servers and wrk share the CPUs".to_owned()
            }
        }
    }

    /// `program args`, or `taskset -c CPU program args`.
    pub(super) fn command(&self, program: &Path, for_server: bool) -> Command {
        match self.cpus {
            Some((server, wrk)) => {
                let cpu = if for_server { server } else { wrk };
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpu.to_string()).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

/// CPUs of a Linux CPU list such as `0-3,6`.
fn cpu_list(list: &str) -> Vec<u32> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim) {
        match part.split_once('-') {
            Some((first, last)) => {
                if let (Ok(first), Ok(last)) = (first.parse::<u32>(), last.parse::<u32>()) {
                    cpus.extend(first..=last);
                }
            }
            None => cpus.extend(part.parse::<u32>().ok()),
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::cpu_list;

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_list("0,1"), [0, 1]);
        assert_eq!(cpu_list("0-2,6"), [0, 1, 2, 6]);
    }
}
