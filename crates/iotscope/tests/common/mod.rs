//! Running the built binary, for the command-line tests.

use std::process::{Command, Output};

pub fn iotscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iotscope"))
        .args(args)
        .output()
        .expect("run iotscope")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
