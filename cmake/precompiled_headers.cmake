# Precompiled headers: the heavy, stable third-party headers (Asio, OpenSSL, prometheus-cpp,
# GoogleTest) parsed once per tree instead of once per translation unit. Never a header of ours: a
# change to one of them must rebuild only the files that include it, as without a PCH. Every file
# still includes what it uses: one that compiles only thanks to the PCH is a bug.
#
# OFF by default, for now. Measured on 9 typical files (CPU s, GCC 12.2, ccache off): release
# 99 -> 87 (-12 %), ASan+UBSan 53 -> 46 (-13 %, 4 files). But with GCC 12.2 at -O2 the PCH alone
# makes files fail -Werror with the std::string -Warray-bounds false positive (libstdc++'s
# char_traits::copy inlined into a string concatenation), which the same headers included as
# text do not trigger: certs/aws/json_client.cpp with the library PCH, and
# tests/unit/config_names_test.cpp with config_tests' std + GoogleTest one, so not one file to
# exclude but a GCC 12 limit. The sanitizer trees (-O0) built with it (config_tests, ASan+UBSan).
# Turn it on per tree with -DMTLS_PCH=ON; with ccache, export CCACHE_SLOPPINESS as
# scripts/build.sh does, or ccache declines every file that uses the PCH. REUSE_FROM makes a test
# binary depend on mtls_test_support, so `ninja metrics_tests` then builds all the libraries.
option(MTLS_PCH "precompile the heavy third-party headers (Asio, OpenSSL, GoogleTest)" OFF)
# The fuzz tree (clang, a handful of files) is left as it was.
if(NOT MTLS_PCH OR MTLS_FUZZ)
  return()
endif()

# Measured, not guessed: a GCC PCH costs its size in load time on every file that uses it (the
# first cut, with Beast, Boost.JSON and asio/ssl, was ~300 MB and made small files slower), so
# only what most files include anyway: Asio's core (~95 of ~250 files), OpenSSL (~140),
# prometheus-cpp (~80) and GoogleTest (~115). Beast (6 files), Boost.JSON (25) and gmock (18)
# stay out.
set(MTLS_PCH_STD
  <algorithm> <array> <atomic> <chrono> <cstdint> <cstring> <functional> <map> <memory> <mutex>
  <optional> <stdexcept> <string> <string_view> <thread> <utility> <vector>)
set(MTLS_PCH_THIRD_PARTY
  <boost/asio/io_context.hpp> <boost/asio/ip/tcp.hpp> <boost/asio/post.hpp>
  <boost/asio/steady_timer.hpp> <openssl/err.h> <openssl/evp.h> <openssl/ssl.h> <openssl/x509.h>
  <prometheus/counter.h> <prometheus/family.h> <prometheus/gauge.h> <prometheus/registry.h>)
set(MTLS_PCH_GTEST <gtest/gtest.h>)

# A PCH is valid only for files compiled with the same flags and macros, so one per flag set, and
# the targets that share a flag set reuse it (REUSE_FROM): CMake adds -Winvalid-pch, which -Werror
# turns into a failed build, never a silent fallback, if they ever drift apart.
# 1. Every library and executable above mtls_metrics: its Boost macros (separate compilation) are
#    PUBLIC, so they all compile with the same ones.
target_precompile_headers(mtls_metrics PRIVATE ${MTLS_PCH_STD} ${MTLS_PCH_THIRD_PARTY})
foreach(target mtls_aws mtls_certs mtls_proxy mtls_sidecar mtls_demo mtls-sidecar)
  target_precompile_headers(${target} REUSE_FROM mtls_metrics)
endforeach()
if(TARGET mtls-load)
  target_precompile_headers(mtls-load REUSE_FROM mtls_metrics)
endif()
# The files that compile Asio, asio/ssl and Beast themselves (their impl/src.hpp) and the one that
# must define OPENSSL_SUPPRESS_DEPRECATED before any OpenSSL header are compiled without the PCH.
set_source_files_properties(${PROJECT_SOURCE_DIR}/metrics/boost_asio.cpp
  ${PROJECT_SOURCE_DIR}/metrics/boost_beast.cpp TARGET_DIRECTORY mtls_metrics
  PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
set_source_files_properties(${PROJECT_SOURCE_DIR}/certs/aws/boost_asio_ssl.cpp
  TARGET_DIRECTORY mtls_aws PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
set_source_files_properties(${PROJECT_SOURCE_DIR}/certs/pkcs11_key.cpp TARGET_DIRECTORY mtls_certs
  PROPERTIES SKIP_PRECOMPILE_HEADERS ON)

if(MTLS_BUILD_TESTS)
  # 2. The test binaries above mtls_metrics: the same, plus GoogleTest's macros.
  target_precompile_headers(mtls_test_support PRIVATE ${MTLS_PCH_STD} ${MTLS_PCH_THIRD_PARTY}
                            ${MTLS_PCH_GTEST})
  foreach(target certs_tests metrics_tests proxy_tests integration_tests)
    target_precompile_headers(${target} REUSE_FROM mtls_test_support)
  endforeach()
  # 3. config_tests (config/ sees no Boost): its own, small one.
  target_precompile_headers(config_tests PRIVATE ${MTLS_PCH_STD} ${MTLS_PCH_GTEST})
endif()
