//! Any command line an operator types for `relais serve`: settings, or one error naming what is
//! wrong; never a panic. Arguments are the input split at NUL bytes.
#![no_main]

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use relais::config::{ServeArgs, ServerConfig};

#[derive(Parser)]
struct Serve {
    #[command(flatten)]
    args: ServeArgs,
}

fuzz_target!(|input: &str| {
    let arguments = std::iter::once("relais").chain(input.split('\0'));
    if let Ok(parsed) = Serve::try_parse_from(arguments) {
        if let Err(error) = ServerConfig::from_args(parsed.args) {
            assert!(!error.to_string().is_empty());
        }
    }
});
