//! Hand-rolled option parsing shared by the commands: `--name value` or `--name=value`.

use std::process::ExitCode;
use std::str::FromStr;

/// Reads the options of `xtask <command>`: `option` sets each one it knows (`Ok(false)` for
/// a name it does not), `--help` prints `help`. `Err` is the exit code when the command must
/// not run (help shown, or a usage error printed with the help).
pub(crate) fn parse_options(
    command: &str,
    help: &str,
    words: Vec<String>,
    mut option: impl FnMut(&mut Args, &str) -> Result<bool, String>,
) -> Result<(), ExitCode> {
    let mut args = Args::new(words);
    let parsed = (|| {
        while let Some(name) = args.next_option()? {
            match name.as_str() {
                "--help" | "-h" => return Ok(false),
                other if !option(&mut args, other)? => {
                    return Err(format!("unknown option `{other}`"));
                }
                _ => {}
            }
        }
        Ok(true)
    })();
    match parsed {
        Ok(true) => Ok(()),
        Ok(false) => {
            println!("{help}");
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("xtask {command}: {message}\n\n{help}");
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code of a check that ran: `Ok(false)` (a check failed) and an error are failures.
pub(crate) fn check_exit(command: &str, result: Result<bool, String>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("xtask {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The words after the command name, read one option at a time.
pub(crate) struct Args {
    words: std::vec::IntoIter<String>,
    /// The value given inline as `--name=value`, waiting for [`Args::value`].
    inline: Option<(String, String)>,
}

impl Args {
    pub(crate) fn new(words: Vec<String>) -> Self {
        Self {
            words: words.into_iter(),
            inline: None,
        }
    }

    /// The next option's name, or `None` at the end.
    pub(crate) fn next_option(&mut self) -> Result<Option<String>, String> {
        if let Some((name, _)) = self.inline.take() {
            return Err(format!("{name} takes no value"));
        }
        let Some(word) = self.words.next() else {
            return Ok(None);
        };
        if !word.starts_with('-') {
            return Err(format!("unexpected argument `{word}`"));
        }
        match word.split_once('=') {
            Some((name, value)) => {
                self.inline = Some((name.to_owned(), value.to_owned()));
                Ok(Some(name.to_owned()))
            }
            None => Ok(Some(word)),
        }
    }

    /// The value of the option `name` just returned by [`Args::next_option`].
    pub(crate) fn value(&mut self, name: &str) -> Result<String, String> {
        match self.inline.take() {
            Some((_, value)) => Ok(value),
            None => self
                .words
                .next()
                .ok_or_else(|| format!("{name} needs a value")),
        }
    }

    /// The value of `name` as a number of at least 1.
    pub(crate) fn positive<T>(&mut self, name: &str) -> Result<T, String>
    where
        T: FromStr + PartialOrd + From<u8>,
    {
        let raw = self.value(name)?;
        match raw.parse::<T>() {
            Ok(n) if n >= T::from(1) => Ok(n),
            _ => Err(format!(
                "{name}: expected a whole number of at least 1, got `{raw}`"
            )),
        }
    }
}
