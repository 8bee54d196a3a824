// tests/support/test_pki.hpp: certificates made at test time (OpenSSL): a test CA, a server
// certificate it signed for localhost / 127.0.0.1, one it signed for another host name, and a
// self-signed one.
#pragma once

#include <string>

namespace mistral::test {

struct test_pki {
    std::string dir;
    std::string ca_cert;      ///< the test CA (PEM)
    std::string server_cert;  ///< signed by the CA, for localhost and 127.0.0.1
    std::string server_key;
    std::string wrong_host_cert;  ///< signed by the CA, for wrong.example only
    std::string wrong_host_key;
    std::string client_cert;  ///< signed by the CA, for mutual TLS
    std::string client_key;
};

/// Creates the files in a new temporary directory (once per process) and returns their paths.
const test_pki& make_test_pki();

}  // namespace mistral::test
