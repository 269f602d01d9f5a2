#pragma once
namespace mtls::proxy {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace mtls::proxy
