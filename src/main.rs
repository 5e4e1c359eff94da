fn main() -> std::process::ExitCode {
    adxconn::main()
}
