// examples/example_config.hpp: shared by the examples: where to send requests.
//
// With MISTRAL_API_KEY set, the examples talk to api.mistral.ai (or MISTRAL_BASE_URL).
// Without it they talk to the fake server bundled with the library (tools/demo.sh starts it),
// at MISTRAL_BASE_URL or http://127.0.0.1:8088, so they run without an account.
#pragma once

#include <mistral/mistral.hpp>

#include <cstdlib>
#include <iostream>

namespace example {

inline mistral::client_options options() {
    mistral::client_options options;  // api_key defaults to $MISTRAL_API_KEY
    if (const char* url = std::getenv("MISTRAL_BASE_URL")) options.base_url = url;
    if (options.api_key.empty()) {
        if (std::getenv("MISTRAL_BASE_URL") == nullptr) options.base_url = "http://127.0.0.1:8088";
        options.api_key = "fake-server-key";  // the fake server accepts any key
        std::cerr << "(MISTRAL_API_KEY is not set: using the fake server at " << options.base_url
                  << ")\n";
    }
    return options;
}

inline const char* model() {
    const char* m = std::getenv("MISTRAL_MODEL");
    return m != nullptr ? m : "mistral-small-latest";
}

}  // namespace example
