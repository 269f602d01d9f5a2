#pragma once
// The command line of DESIGN.md §5. main() only calls run_cli(); each command parses its own
// flags and hands off. Returns the process exit code.

namespace mtls::proxy {

int run_cli(int argc, char** argv);

}  // namespace mtls::proxy
