fn main() {
    std::process::exit(anneal::cli::main());
}
