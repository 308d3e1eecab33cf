//! `passerelle-node`: Passerelle's command line (see the crate's library).

fn main() -> std::process::ExitCode {
    passerelle_commands::main()
}
