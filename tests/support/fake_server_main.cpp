// tests/support/fake_server_main.cpp: mistral-fake-server: the fake Mistral API as a program, for
// the demo and the examples.
//
//   mistral-fake-server [--port 8088] [--token-delay-ms 40] [--tls CERT KEY]
//
// Prints "listening on <url>" and serves until interrupted. --port 0 picks a free port.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "fake_server.hpp"

namespace {
volatile std::sig_atomic_t interrupted = 0;
}

int main(int argc, char** argv) {
    mistral::test::fake_server_options options;
    options.port = 8088;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            options.port = std::atoi(argv[++i]);
        } else if (arg == "--token-delay-ms" && i + 1 < argc) {
            options.token_delay = std::chrono::milliseconds(std::atoi(argv[++i]));
        } else if (arg == "--tls" && i + 2 < argc) {
            options.cert_file = argv[++i];
            options.key_file = argv[++i];
        } else {
            std::cerr
                << "usage: mistral-fake-server [--port N] [--token-delay-ms N] [--tls CERT KEY]\n";
            return 2;
        }
    }
    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
    try {
        mistral::test::fake_server server(options);
        std::cout << "listening on " << server.base_url() << std::endl;
        while (interrupted == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } catch (const std::exception& e) {
        std::cerr << "mistral-fake-server: " << e.what() << "\n";
        return 1;
    }
}
