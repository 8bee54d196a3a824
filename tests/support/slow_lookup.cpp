// tests/support/slow_lookup.cpp: see slow_lookup.hpp.
#include "slow_lookup.hpp"

#include <dlfcn.h>
#include <netdb.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace {
std::atomic<int> lookup_delay_ms{0};
}  // namespace

// Every getaddrinfo() of the program, cpp-httplib's and Boost.Asio's included, comes here first.
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                           addrinfo** res) {
    using real_t = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
    static const auto real = reinterpret_cast<real_t>(::dlsym(RTLD_NEXT, "getaddrinfo"));
    if (node != nullptr && std::strcmp(node, "localhost") == 0 && lookup_delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(lookup_delay_ms.load()));
    return real(node, service, hints, res);
}

namespace mistral::test {

slow_lookup::slow_lookup(std::chrono::milliseconds delay) {
    lookup_delay_ms = static_cast<int>(delay.count());
}
slow_lookup::~slow_lookup() {
    lookup_delay_ms = 0;
}

}  // namespace mistral::test
