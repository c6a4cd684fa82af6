//! `myapp shell`: Flask's `flask shell`, an expression prompt with the app's context.

use std::io::IsTerminal as _;

use clap::{Arg, ArgAction, ArgMatches, Command};
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncWriteExt as _};

use super::Output;
use crate::app::{App, BoxError};
use std::sync::{Arc, Mutex};

use crate::console::{Console, eval_blocking};

pub(super) fn command() -> Command {
    Command::new("shell")
        .about(
            "An expression prompt with the app's context (Flask's `flask shell`): Jinja \
             expressions over config, url_for and the names of the app's shell context \
             processors; `set name = expression` keeps a value. Reads lines from standard \
             input; -c evaluates its expressions instead.",
        )
        .arg(
            Arg::new("command")
                .short('c')
                .long("command")
                .value_name("EXPRESSION")
                .action(ArgAction::Append)
                .help("Evaluate EXPRESSION and print its value (repeat it for several lines); an error ends the command with a failure"),
        )
}

/// Runs `shell` on `app`, in an app context (the caller's).
pub(super) async fn run(app: &App, matches: &ArgMatches, out: &Output) -> Result<(), BoxError> {
    let console = Arc::new(Mutex::new(Console::new(app)));
    if let Some(lines) = matches.get_many::<String>("command") {
        for line in lines {
            if let Some(shown) = eval_blocking(&console, line.clone(), false).await? {
                out.line(&shown);
            }
        }
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        // Piped in: a script, one expression a line, no prompt.
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        return read_eval_print(&console, stdin, out, false).await;
    }
    let names = lock(&console).names().join(", ");
    out.line(&format!(
        "App: {} (Jinja expressions; config, url_for{}; `set x = ..` keeps a value; Ctrl-D ends)",
        app.name(),
        if names.is_empty() {
            String::new()
        } else {
            format!(", {names}")
        }
    ));
    terminal(&console, app, out).await
}

/// The prompt's state, for a moment (evaluations hold it on a blocking thread).
fn lock(console: &Mutex<Console>) -> std::sync::MutexGuard<'_, Console> {
    console.lock().unwrap_or_else(|e| e.into_inner())
}

/// The prompt on a terminal: line editing and a history in the instance folder.
#[cfg(feature = "line-editing")]
async fn terminal(console: &Arc<Mutex<Console>>, app: &App, out: &Output) -> Result<(), BoxError> {
    use rustyline::error::ReadlineError;

    let mut editor = rustyline::DefaultEditor::new()?;
    let history = app.instance_path().join("shell_history");
    // No history yet (or an unreadable one) is an empty one.
    let _ = editor.load_history(&history);
    loop {
        let prompt = if lock(console).continues() {
            "... "
        } else {
            ">>> "
        };
        // rustyline reads the terminal synchronously: off the runtime's threads.
        let (back, line) = tokio::task::spawn_blocking(move || {
            let line = editor.readline(prompt);
            (editor, line)
        })
        .await?;
        editor = back;
        match line {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                print_eval(console, line, out).await;
            }
            // Ctrl-C drops the line (and the lines it continued), as Python's prompt does.
            Err(ReadlineError::Interrupted) => {
                lock(console).cancel();
                out.line("KeyboardInterrupt");
            }
            Err(ReadlineError::Eof) => {
                if lock(console).continues() {
                    print_eval(console, String::new(), out).await;
                }
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(dir) = history.parent()
        && std::fs::create_dir_all(dir).is_ok()
        && let Err(e) = editor.save_history(&history)
    {
        tracing::warn!(
            "shell: could not save the history to {}: {e}",
            history.display()
        );
    }
    Ok(())
}

/// The prompt on a terminal, without line editing (the `line-editing` feature is off).
#[cfg(not(feature = "line-editing"))]
async fn terminal(console: &Arc<Mutex<Console>>, _app: &App, out: &Output) -> Result<(), BoxError> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    read_eval_print(console, stdin, out, true).await
}

/// Reads `line` into the prompt and prints the value it completes, or `error: ..`.
async fn print_eval(console: &Arc<Mutex<Console>>, line: String, out: &Output) {
    match eval_blocking(console, line, true).await {
        Ok(Some(shown)) => out.line(&shown),
        Ok(None) => {}
        Err(message) => out.line(&format!("error: {message}")),
    }
}

/// Evaluates each line of `input` and prints its value, or `error: ..` for a line that
/// fails (the next line is still read), until the input ends. `prompt` writes `>>> `
/// before each line (to a terminal).
async fn read_eval_print(
    console: &Arc<Mutex<Console>>,
    input: impl AsyncBufRead + Unpin,
    out: &Output,
    prompt: bool,
) -> Result<(), BoxError> {
    let mut lines = input.lines();
    loop {
        if prompt {
            let mut stdout = tokio::io::stdout();
            let shown: &[u8] = if lock(console).continues() {
                b"... "
            } else {
                b">>> "
            };
            stdout.write_all(shown).await?;
            stdout.flush().await?;
        }
        let Some(line) = lines.next_line().await? else {
            if lock(console).continues() {
                // The input ended inside an expression: say what is wrong with it.
                print_eval(console, String::new(), out).await;
            }
            if prompt {
                out.line("");
            }
            return Ok(());
        };
        print_eval(console, line, out).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_evaluated_until_the_input_ends() {
        let app = crate::Flask::new("shell")
            .configure(|c| c.set("GREETING", "hi"))
            .shell_context_processor(|_| minijinja::context! { answer => 42 })
            .build()
            .unwrap();
        let console = Arc::new(Mutex::new(Console::new(&app)));
        let buffer = Arc::new(Mutex::new(String::new()));
        let out = Output::Buffer(buffer.clone());
        let input: &[u8] = b"answer + 1\nset x = [1, 2]\nx | length\n\nconfig.GREETING\nnope\n1 +\nx\n[x,\n  answer]\n{'a':\n";
        read_eval_print(&console, input, &out, false).await.unwrap();
        let printed = buffer.lock().unwrap().clone();
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines[..3], ["43", "2", "'hi'"]);
        assert!(
            lines[3].starts_with("error: `nope` is undefined"),
            "{printed}"
        );
        assert!(lines[4].starts_with("error: syntax error"), "{printed}");
        assert_eq!(lines[5], "[1, 2]");
        // Open brackets continue on the next line; an input ending inside one is an error.
        assert_eq!(lines[6], "[[1, 2], 42]");
        assert!(lines[7].starts_with("error: syntax error"), "{printed}");
        assert_eq!(lines.len(), 8, "{printed}");
    }
}
