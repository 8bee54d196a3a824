// tests/support/loopback.hpp: shared by the tests that run the real default transport over
// 127.0.0.1.
#pragma once

#include <mistral/mistral.hpp>

#include <chrono>
#include <string>

#include "fake_server.hpp"
#include "test_pki.hpp"

namespace mistral::test {

/// The API key of the loopback tests: CI checks that it appears nowhere in the test output.
inline constexpr const char* loopback_key = "sk-loopback-SECRET-4242";

/// Options for a client of a test server: the test key, no proxy from the environment, and
/// retries that wait milliseconds.
inline client_options options_for(const std::string& base_url) {
    client_options o;
    o.api_key = loopback_key;
    o.base_url = base_url;
    o.transport.proxy.use_environment = false;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(5);
    return o;
}

inline chat_request question(std::string text = "What is the capital of France?") {
    return {.model = "mistral-small-latest", .messages = {user(std::move(text))}};
}

/// A fake server that speaks TLS with a certificate of the test CA for localhost/127.0.0.1.
inline fake_server_options tls_server() {
    fake_server_options tls;
    tls.cert_file = make_test_pki().server_cert;
    tls.key_file = make_test_pki().server_key;
    return tls;
}

/// How long f() took.
template <class F>
std::chrono::steady_clock::duration elapsed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::steady_clock::now() - start;
}

}  // namespace mistral::test
