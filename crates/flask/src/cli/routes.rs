//! `routes`: every rule with its endpoint, methods and owner.

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::Output;
use crate::App;

pub(super) fn command() -> Command {
    Command::new("routes")
        .about("Show the routes for the app.")
        .arg(
            Arg::new("sort")
                .long("sort")
                .short('s')
                .value_parser(["endpoint", "methods", "rule", "match"])
                .default_value("endpoint")
                .help("Method to sort routes by. \"match\" is the order that routes were registered in."),
        )
        .arg(Arg::new("all-methods").long("all-methods").action(ArgAction::SetTrue).help("Show HEAD and OPTIONS methods."))
}

pub(super) fn print(app: &App, args: &ArgMatches, out: &Output) {
    let all = args.get_flag("all-methods");
    let mut rows: Vec<[String; 4]> = app
        .rules()
        .into_iter()
        .map(|r| {
            let mut methods: Vec<&str> = r.methods.iter().map(http::Method::as_str).collect();
            if all {
                methods.push("OPTIONS");
                methods.sort_unstable();
                methods.dedup();
            } else {
                methods.retain(|m| *m != "HEAD" && *m != "OPTIONS");
            }
            [r.endpoint, methods.join(", "), r.rule, r.owner]
        })
        .collect();
    match args.get_one::<String>("sort").map(String::as_str) {
        Some("methods") => rows.sort_by(|a, b| a[1].cmp(&b[1]).then_with(|| a[0].cmp(&b[0]))),
        Some("rule") => rows.sort_by(|a, b| a[2].cmp(&b[2])),
        Some("match") => {}
        _ => rows.sort_by(|a, b| a[0].cmp(&b[0]).then_with(|| a[2].cmp(&b[2]))),
    }
    if rows.is_empty() {
        out.line("No routes were registered.");
        return;
    }
    let headers = ["Endpoint", "Methods", "Rule", "Owner"];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let s: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.join("  ").trim_end().to_owned()
    };
    out.line(&line(headers));
    let dashes = widths.map(|w| "-".repeat(w));
    out.line(&line([&dashes[0], &dashes[1], &dashes[2], &dashes[3]]));
    for row in &rows {
        out.line(&line([&row[0], &row[1], &row[2], &row[3]]));
    }
}
