#include "proxy/demo.hpp"

#include <cstdio>

namespace mtls::proxy {

int run_demo() {
  std::fputs("demo: not written yet\n", stderr);
  return 1;
}

}  // namespace mtls::proxy
