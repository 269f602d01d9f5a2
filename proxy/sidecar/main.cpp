#include "proxy/sidecar/cli.hpp"

int main(int argc, char** argv) { return mtls::proxy::run_cli(argc, argv); }
