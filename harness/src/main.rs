fn main() -> std::process::ExitCode {
    plm::cli::main()
}
