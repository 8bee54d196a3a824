// tests/without_openssl.cpp: the library over a cpp-httplib without TLS support (http:// only,
// as with MISTRAL_ENABLE_OPENSSL=OFF) compiles: a TLS-only name used outside its #ifdef fails the
// build. Compiled, never linked (Debian's cpp-httplib library itself is built with OpenSSL).
#undef CPPHTTPLIB_OPENSSL_SUPPORT  // the build's targets define it; this file must not see it
#include <mistral/mistral.hpp>

mistral::chat_response ask_over_http(mistral::client& client,
                                     const mistral::chat_request& request) {
    return client.chat(request);
}
