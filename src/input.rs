//! A problem with what the user typed, found before anything is sent: the flag (or
//! environment variable) at fault, what is wrong, and how to fix it.

#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct InputError {
    /// The flag (or environment variable) at fault, e.g. `--iothub-id`.
    pub flag: String,
    /// What is wrong with it.
    pub problem: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl InputError {
    pub fn new(flag: impl Into<String>, problem: impl Into<String>) -> Self {
        InputError {
            flag: flag.into(),
            problem: problem.into(),
            hint: None,
        }
    }

    fn describe(&self) -> String {
        format!("invalid value for `{}`: {}", self.flag, self.problem)
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
