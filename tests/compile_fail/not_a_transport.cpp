// tests/compile_fail/not_a_transport.cpp: must not compile: `send` has the wrong signature, so this
// is not a mistral::transport.
// EXPECT: transport_has_send
#include <mistral/core.hpp>

struct not_a_transport {
    int send(const mistral::http_request&) { return 0; }
};

int main() {
    mistral::basic_client<not_a_transport> client;
    (void)client;
}
