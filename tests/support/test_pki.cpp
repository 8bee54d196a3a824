// tests/support/test_pki.cpp: the test certificates and keys, made with OpenSSL at run time (see
// test_pki.hpp).
#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace mistral::test {

namespace {

struct key_deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_deleter {
    void operator()(X509* c) const { X509_free(c); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using cert_ptr = std::unique_ptr<X509, cert_deleter>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

key_ptr new_key() {
    key_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EC key generation failed");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "bad extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is null).
cert_ptr make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                   bool is_ca, const char* subject_alt_names, long serial) {
    cert_ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("mistral-cpp tests"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    add_extension(cert.get(), signer, NID_basic_constraints,
                  is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage,
                  is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr)
        add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    if (subject_alt_names != nullptr)
        add_extension(cert.get(), signer, NID_subject_alt_name, subject_alt_names);
    check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
          "signing failed");
    return cert;
}

void write_pem(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr && PEM_write_X509(f, cert) == 1, "cannot write certificate");
    std::fclose(f);
}

void write_pem(const std::string& path, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "cannot write key");
    std::fclose(f);
}

test_pki create() {
    test_pki pki;
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "mistral-pki-XXXXXX").string();
    check(mkdtemp(dir_template.data()) != nullptr, "cannot create a temporary directory");
    pki.dir = dir_template;
    auto path = [&](const char* file) { return pki.dir + "/" + file; };

    key_ptr ca_key = new_key();
    cert_ptr ca =
        make_cert(ca_key.get(), "mistral-cpp test CA", nullptr, nullptr, true, nullptr, 1);
    key_ptr server_key = new_key();
    cert_ptr server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), false,
                                "DNS:localhost,IP:127.0.0.1", 2);
    key_ptr wrong_key = new_key();
    cert_ptr wrong = make_cert(wrong_key.get(), "wrong.example", ca.get(), ca_key.get(), false,
                               "DNS:wrong.example", 3);
    key_ptr client_key = new_key();
    cert_ptr client = make_cert(client_key.get(), "mistral-cpp test client", ca.get(), ca_key.get(),
                                false, nullptr, 4);

    pki.ca_cert = path("ca.pem");
    pki.server_cert = path("server.pem");
    pki.server_key = path("server-key.pem");
    pki.wrong_host_cert = path("wrong-host.pem");
    pki.wrong_host_key = path("wrong-host-key.pem");
    pki.client_cert = path("client.pem");
    pki.client_key = path("client-key.pem");
    write_pem(pki.ca_cert, ca.get());
    write_pem(pki.server_cert, server.get());
    write_pem(pki.server_key, server_key.get());
    write_pem(pki.wrong_host_cert, wrong.get());
    write_pem(pki.wrong_host_key, wrong_key.get());
    write_pem(pki.client_cert, client.get());
    write_pem(pki.client_key, client_key.get());
    return pki;
}

}  // namespace

const test_pki& make_test_pki() {
    static const test_pki pki = create();
    return pki;
}

}  // namespace mistral::test
